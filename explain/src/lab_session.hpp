#pragma once
// A tlslab session of a capture (scripts/capture.sh records them) explained by the same command as a
// TLS connection: its frames cut by the project's codec (decrypt/src/frame_stream.hpp), the clear
// messages of arrows 1, 2 and 5 decoded and described as the lab's own trace describes them
// (describe.hpp, facts_of.hpp), the protected frames of arrows 6–8 shown as an observer sees them.
// Opening those needs the session's keys: tlslab-decrypt (the server key, RSA key transport) or the
// dissector with the lab's key log.
#include "explained_connection.hpp"
#include "tcp_capture.hpp"

namespace tlslab::explain {

Summary summarize_lab(const decrypt::TcpConnection& connection);
Explained explain_lab(const decrypt::TcpConnection& connection);

}  // namespace tlslab::explain
