#pragma once
// One run of tlslab-client, from connect to close: the handshake (CA check included), the
// requests, then close_notify; a failure is reported to the server as a typed alert and to the
// user as one line and an exit code.
#include <cstdio>
#include <string>

#include "client_config.hpp"
#include "exit_codes.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

struct Outcome {
  ExitCode code = ExitCode::ok;
  std::string line;  // "handshake failed: certificate_revoked (…)"; empty on success
};

// Response bodies go to `body_out`.
awaitable<Outcome> run_session(const ClientSettings& settings, const crypto::TrustStore& trust, Trace& trace,
                               std::FILE* body_out);

}  // namespace tlslab::client
