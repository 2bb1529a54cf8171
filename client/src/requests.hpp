#pragma once
// Arrow 8 on the client: HTTP/1.1 GETs over the encrypted channel (Boost.Beast through
// net::SecureStream), one connection kept alive for all of them, then close_notify.
#include <string>
#include <vector>

#include "client_config.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

struct RequestResults {
  std::vector<unsigned> statuses;
  [[nodiscard]] bool all_ok() const;
};

// Writes each body to `body_out` (stdout or --output). Throws ProtocolError on a channel failure.
awaitable<RequestResults> send_requests(net::Channel& channel, const ClientSettings& settings, SessionTrace& trace,
                                        std::FILE* body_out);

}  // namespace tlslab::client
