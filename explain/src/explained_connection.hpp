#pragma once
// One captured TLS connection explained: the trace's events on the seed's arrows (events_of, as a
// live --tls run makes them), what an observer of the wire sees and what stays hidden, the
// application data (opened with the key log, or not), and how it ended. Also the one-line summary
// --list prints.
#include <string>
#include <vector>

#include "captured_tls.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::explain {

struct Summary {
  std::string protocol;  // "TLS 1.3", "TLS 1.2", "TLS (no ServerHello)"
  std::string sni;       // the ClientHello's server_name, printable; "-" when none
  std::string suite;     // IANA name; "-" before a ServerHello
  std::string outcome;   // "handshake complete …", "alert handshake_failure from Server", "incomplete: …"
  bool complete = false;
};

struct Explained {
  Summary summary;
  std::vector<HandshakeEvent> events;
  OutcomeEvent outcome;
};

// What a capture alone says of the connection (`captured` read with or without keys).
Summary summarize(const CapturedTls& captured);

Explained explain_connection(CapturedTls captured, const KeyLog& keys, bool show_secrets);

}  // namespace tlslab::explain
