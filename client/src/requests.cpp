#include "requests.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tlslab/net/secure_stream.hpp"

namespace tlslab::client {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

[[noreturn]] void rethrow_stream_failure(const net::SecureStream& stream, const boost::system::error_code& error) {
  if (auto failure = stream.failure()) std::rethrow_exception(failure);
  throw ProtocolError(AlertDescription::decode_error, "the server's HTTP response: " + error.message());
}

}  // namespace

bool RequestResults::all_ok() const {
  for (unsigned status : statuses) {
    if (status < 200 || status > 299) return false;
  }
  return true;
}

awaitable<RequestResults> send_requests(net::Channel& channel, const ClientSettings& settings, SessionTrace& trace,
                                        std::FILE* body_out) {
  net::SecureStream stream(channel);
  RequestStreamHooks hooks{[&] {
                             if (trace.enabled()) channel.record_next_application_records();
                           },
                           [&] { return channel.take_sent_record(); }, [&] { return channel.take_received_record(); },
                           [&](const boost::system::error_code& error) { rethrow_stream_failure(stream, error); }};
  co_return co_await send_requests_over(stream, settings, trace, body_out, hooks);
}

}  // namespace tlslab::client
