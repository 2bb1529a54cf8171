#pragma once
// The encrypted channel after the handshake, as an Asio AsyncReadStream/AsyncWriteStream so that
// Boost.Beast reads and writes HTTP/1.1 over it (PROTOCOL.md §10). A protocol failure surfaces to
// Beast as an error code; the alert behind it is kept in `failure()` for the caller to report.
#include <boost/system/error_code.hpp>

#include <exception>
#include <optional>
#include <utility>

#include "tlslab/net/channel.hpp"

namespace tlslab::net {

class SecureStream {
 public:
  using executor_type = asio::any_io_executor;

  explicit SecureStream(Channel& channel) : channel_(channel) {}
  executor_type get_executor() { return channel_.socket().get_executor(); }

  template <class MutableBufferSequence, class Token>
  auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, MutableBufferSequence target) {
          asio::co_spawn(get_executor(), read_some(target),
                         [this, handler = std::move(handler)](std::exception_ptr error, ReadResult result) mutable {
                           if (error) {
                             std::move(handler)(to_error_code(error), 0);
                           } else {
                             std::move(handler)(result.first, result.second);
                           }
                         });
        },
        token, buffers);
  }

  template <class ConstBufferSequence, class Token>
  auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, ConstBufferSequence source) {
          asio::co_spawn(get_executor(), write_some(source),
                         [this, handler = std::move(handler)](std::exception_ptr error, std::size_t count) mutable {
                           std::move(handler)(to_error_code(error), count);
                         });
        },
        token, buffers);
  }

  // What is left of the last record read and not yet handed to a read_some, for a caller that
  // goes on reading records from the Channel itself. A view valid until the next read.
  ByteView take_buffered() noexcept { return std::exchange(pending_, ByteView()); }

  // The ProtocolError behind the last failed operation (nullptr when none).
  [[nodiscard]] std::exception_ptr failure() const noexcept { return failure_; }

 private:
  using ReadResult = std::pair<boost::system::error_code, std::size_t>;

  // The peer's close_notify is the normal end of the stream (eof), returned rather than thrown:
  // every session ends that way, and an exception per session shows in a server's profile.
  template <class MutableBufferSequence>
  awaitable<ReadResult> read_some(MutableBufferSequence target) {
    if (pending_.empty()) {
      std::optional<ByteView> content = co_await channel_.next_application_data();
      if (!content) {
        failure_ = std::make_exception_ptr(ProtocolError(
            AlertDescription::close_notify, "peer closed the session (close_notify)", ProtocolError::Origin::received));
        co_return ReadResult{asio::error::eof, 0};
      }
      pending_ = *content;
    }
    std::size_t count = asio::buffer_copy(target, asio::buffer(pending_.data(), pending_.size()));
    pending_ = pending_.subspan(count);
    co_return ReadResult{{}, count};
  }

  template <class ConstBufferSequence>
  awaitable<std::size_t> write_some(ConstBufferSequence source) {
    // Gather up to four full records per call: one sealed, gathered socket write.
    constexpr std::size_t max_batch = 4 * max_plaintext;
    staging_.resize(std::min(asio::buffer_size(source), max_batch));
    std::size_t count = asio::buffer_copy(asio::buffer(staging_), source);
    co_await channel_.write_application_data(ByteView(staging_.data(), count));
    co_return count;
  }

  boost::system::error_code to_error_code(std::exception_ptr error);

  Channel& channel_;
  ByteView pending_;
  Bytes staging_;
  std::exception_ptr failure_;
};

}  // namespace tlslab::net
