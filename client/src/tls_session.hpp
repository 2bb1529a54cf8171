#pragma once
// One run of tlslab-client --tls: standard TLS 1.2/1.3 with libssl (any TLS server: tlslab-server
// --tls, openssl s_server, gnutls-serv), the same checks as the lab client (the chain from --trust,
// the dates, the host name from the SANs only, the CA check inside the handshake), then the same
// HTTP/1.1 requests on the TLS stream, the trace from libssl's messages (tls/tap.hpp), one line
// and the lab's exit codes on failure.
#include <cstdio>

#include "client_config.hpp"
#include "client_session.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

awaitable<Outcome> run_tls_session(const ClientSettings& settings, Trace& trace, std::FILE* body_out);

}  // namespace tlslab::client
