#pragma once
// The client's exit codes: one per class of failure, so scripts can tell them apart
// (documented in README.md, "Client exit codes").
#include "tlslab/session_end.hpp"

namespace tlslab::client {

enum class ExitCode : int {
  ok = 0,
  local_error = 1,           // a file, a key, an internal fault
  usage = 2,                 // bad command line
  connection_failed = 3,     // server unreachable, timed out, closed without an alert
  certificate_rejected = 4,  // unknown_ca, bad_certificate, certificate_expired
  certificate_status = 5,    // certificate_revoked, certificate_unknown (the CA's answer)
  ca_check_failed = 6,       // bad_certificate_status_response: CA down, bad signature, nonce, stale
  negotiation_failed = 7,    // handshake_failure, protocol_version, illegal_parameter, unsupported_extension
  integrity_failed = 8,      // bad_record_mac, decrypt_error: tampering or wrong keys detected
  protocol_error = 9,        // unexpected_message, decode_error, record_overflow, other alerts
  http_error = 10,           // the handshake worked, a request got a non-2xx status
  // The server refused this client's certificate, or required one (mutual authentication,
  // PROTOCOL.md §7.7): certificate_required, and the certificate alerts a server sends about it.
  client_certificate_refused = 11,
};

// `offered_certificate`: the client offered a certificate (--cert), so a certificate alert from the
// server is about it.
ExitCode exit_code_for(const Ending& ending, bool offered_certificate = false);

}  // namespace tlslab::client
