#include "tlslab/net/secure_stream.hpp"

namespace tlslab::net {

boost::system::error_code SecureStream::to_error_code(std::exception_ptr error) {
  if (!error) return {};
  failure_ = error;
  try {
    std::rethrow_exception(error);
  } catch (const ProtocolError& failure) {
    if (failure.alert() == AlertDescription::close_notify && failure.origin() == ProtocolError::Origin::received) {
      return asio::error::eof;  // the peer's clean end of the session
    }
  } catch (...) {
  }
  return asio::error::connection_aborted;
}

}  // namespace tlslab::net
