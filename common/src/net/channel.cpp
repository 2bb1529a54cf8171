#include "tlslab/net/channel.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace tlslab::net {
namespace {

using namespace asio::experimental::awaitable_operators;

// Room for four of the largest frames, so that one read takes a burst of bulk records (a writer
// gathers four per write); an idle session releases it.
constexpr std::size_t input_capacity = 4 * (frame_header_size + max_protected_fragment);

// Reads and writes that complete at once, in a row, before the session lets the others on its
// thread run (about 1 MiB of bulk data).
constexpr unsigned max_ready_in_a_row = 16;

[[noreturn]] void transport_failure(TransportFailure failure, const std::string& reason) {
  throw ProtocolError(failure, reason);
}

ProtocolError peer_closed() {
  return ProtocolError(AlertDescription::close_notify, "peer closed the session (close_notify)",
                       ProtocolError::Origin::received);
}

}  // namespace

Channel::Channel(tcp::socket socket, Timeouts timeouts)
    : socket_(std::move(socket)),
      timeouts_(timeouts),
      handshake_deadline_(Clock::now() + timeouts.handshake),
      timer_(socket_.get_executor()) {
  boost::system::error_code ignored;  // a socket that is not open fails at its first read instead
  socket_.non_blocking(true, ignored);
}

Clock::time_point Channel::read_deadline() const {
  return handshake_deadline_ ? *handshake_deadline_ : Clock::now() + timeouts_.idle;
}

awaitable<void> Channel::fill(std::size_t at_least) {
  if (in_end_ - in_begin_ >= at_least) co_return;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  if (in_ && in_begin_ + at_least > in_size_) {  // compact: move the partial frame to the front
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  while (in_end_ - in_begin_ < at_least) {
    if (in_) {
      // In a stream of records the next bytes are usually there already: take them without a
      // trip through the reactor (the socket is non-blocking, so this never waits).
      boost::system::error_code error;
      std::size_t count = socket_.read_some(asio::buffer(in_.get() + in_end_, in_size_ - in_end_), error);
      if (!error) {
        in_end_ += count;
        co_await take_turns();
        continue;
      }
      if (error == asio::error::eof) {
        if (in_end_ == in_begin_) transport_failure(TransportFailure::eof, "peer closed the connection");
        transport_failure(TransportFailure::truncated,
                          "peer closed the connection in the middle of a frame (truncated)");
      }
      if (error != asio::error::would_block && error != asio::error::try_again) {
        transport_failure(TransportFailure::broken, "read failed: " + error.message());
      }
    }
    // Nothing to read: wait for readiness or the deadline. An idle session holds no input buffer
    // meanwhile (10,000 idle sessions would otherwise pin 650 MiB); it is allocated again when
    // data arrives.
    if (in_end_ == 0) {
      in_.reset();
      in_size_ = 0;
    }
    ready_in_a_row_ = 0;
    timer_.expires_at(read_deadline());
    auto ready = co_await (socket_.async_wait(tcp::socket::wait_read, asio::as_tuple(use_awaitable)) ||
                           timer_.async_wait(asio::as_tuple(use_awaitable)));
    if (ready.index() == 1) {
      transport_failure(TransportFailure::timeout,
                        handshake_deadline_ ? std::string(deadline_name_) + " passed: the peer is too slow or stalled"
                                            : "idle timeout: the peer sent nothing");
    }
    if (auto [error] = std::get<0>(ready); error)
      transport_failure(TransportFailure::broken, "read failed: " + error.message());
    if (!in_) {
      in_ = std::make_unique_for_overwrite<std::uint8_t[]>(input_capacity);  // no zero-fill: bytes are read into it
      in_size_ = input_capacity;
    }
  }
}

awaitable<void> Channel::take_turns() {
  if (++ready_in_a_row_ < max_ready_in_a_row) co_return;
  ready_in_a_row_ = 0;
  co_await asio::post(socket_.get_executor(), use_awaitable);
}

awaitable<Channel::FrameView> Channel::read_frame() {
  co_await fill(frame_header_size);
  FrameHeader header =
      FrameHeader::decode(ByteView(in_.get() + in_begin_, frame_header_size)).take();  // limits checked here
  co_await fill(frame_header_size + header.length);
  std::span<std::uint8_t> fragment(in_.get() + in_begin_ + frame_header_size, header.length);
  in_begin_ += frame_header_size + header.length;
  co_return FrameView{header, fragment};
}

awaitable<std::pair<InnerType, ByteView>> Channel::read_record() {
  FrameView frame = co_await read_frame();
  InnerType type = InnerType::handshake;
  ByteView content = frame.fragment;
  // §7.4: the peer's direction turns protected with its Finished, the first protected frame it
  // sends. Until then an alert in the clear is legitimate even though we hold its keys (a server
  // rejecting our Finished answers before it has sent its own).
  bool clear_alert_before_switch = reader_ && !peer_protected_ && frame.header.type == ContentType::alert;
  // Frames are kept for the trace during the handshake only: bulk data is never copied.
  bool keep = recording_ && handshaking_;
  // …and the one record of arrow 8 asked for by record_next_application_records().
  Bytes wire;
  if (want_received_record_ && reader_ && frame.header.type == ContentType::protected_record) {
    wire.assign(frame.fragment.data() - frame_header_size, frame.fragment.data() + frame.fragment.size());
  }
  if (keep && frame.header.type != ContentType::protected_record) {
    frame_.assign(frame.fragment.data() - frame_header_size, frame.fragment.data() + frame.fragment.size());
    frame_plaintext_.clear();
  }
  if (reader_ && !clear_alert_before_switch) {
    // Opened in place: the ciphertext is copied first when the trace wants the frame.
    if (keep) frame_.assign(frame.fragment.data() - frame_header_size, frame.fragment.data() + frame.fragment.size());
    auto opened = reader_->open(frame.header, frame.fragment).take();
    peer_protected_ = true;
    type = opened.type;
    content = opened.content;
    if (keep && type != InnerType::application_data) {
      frame_plaintext_.assign(content.begin(), content.end());
      frame_plaintext_.push_back(static_cast<std::uint8_t>(type));
    }
    if (!wire.empty() && type == InnerType::application_data && !content.empty()) {
      received_record_ = application_record(wire, content);
      want_received_record_ = false;
    }
  } else if (clear_alert_before_switch) {
    type = InnerType::alert;
  } else if (frame.header.type == ContentType::protected_record) {
    throw ProtocolError(AlertDescription::unexpected_message,
                        "protected frame before the peer's Finished: the peer has no keys yet");
  } else {
    type = frame.header.type == ContentType::alert ? InnerType::alert : InnerType::handshake;
  }
  if (type == InnerType::alert) {
    if (keep) alert_frame_ = framed(alert_spans(), content.size());
    Alert alert = Alert::decode(content).take();
    if (alert.description == AlertDescription::close_notify) co_return std::pair{InnerType::alert, ByteView()};
    throw ProtocolError(alert.description, "peer sent alert " + std::string(to_string(alert.description)),
                        ProtocolError::Origin::received);
  }
  co_return std::pair{type, content};
}

awaitable<Bytes> Channel::read_handshake() {
  auto [type, content] = co_await read_record();
  if (type == InnerType::alert) throw peer_closed();
  if (type != InnerType::handshake) {
    throw ProtocolError(AlertDescription::unexpected_message, "application data before the handshake finished");
  }
  co_return Bytes(content.begin(), content.end());
}

awaitable<ByteView> Channel::read_application_data() {
  std::optional<ByteView> content = co_await next_application_data();
  if (!content) throw peer_closed();
  co_return *content;
}

awaitable<std::optional<ByteView>> Channel::next_application_data() {
  for (;;) {
    auto [type, content] = co_await read_record();
    if (type == InnerType::alert) co_return std::nullopt;
    if (type != InnerType::application_data) {
      throw ProtocolError(AlertDescription::unexpected_message, "handshake message after the handshake");
    }
    if (!content.empty()) co_return content;
  }
}

awaitable<void> Channel::write_all(ByteView bytes) {
  // Most writes fit the socket's send buffer at once: no reactor round trip, no timer.
  boost::system::error_code error;
  std::size_t written = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), error);
  if (error && error != asio::error::would_block && error != asio::error::try_again) {
    transport_failure(TransportFailure::broken, "write failed: " + error.message());
  }
  if (error) written = 0;
  bytes = bytes.subspan(written);
  if (bytes.empty()) {
    co_await take_turns();
    co_return;
  }
  ready_in_a_row_ = 0;
  timer_.expires_after(timeouts_.idle);
  auto result =
      co_await (asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), asio::as_tuple(use_awaitable)) ||
                timer_.async_wait(asio::as_tuple(use_awaitable)));
  if (result.index() == 1) transport_failure(TransportFailure::timeout, "write timed out: the peer does not read");
  if (auto [write_error, count] = std::get<0>(result); write_error) {
    transport_failure(TransportFailure::broken, "write failed: " + write_error.message());
  }
}

awaitable<void> Channel::write_handshake(ByteView message) {
  out_.clear();
  if (writer_) {
    writer_->seal(InnerType::handshake, message, out_);
  } else {
    out_ = encode_frame(ContentType::handshake, message);
  }
  if (recording_) {
    frame_ = out_;
    frame_plaintext_.clear();
    if (writer_) {
      frame_plaintext_.assign(message.begin(), message.end());
      frame_plaintext_.push_back(static_cast<std::uint8_t>(InnerType::handshake));
    }
  }
  co_await write_all(out_);
}

WireFrame Channel::framed(std::vector<FieldSpan> message_spans, std::size_t message_size) const {
  WireFrame frame;
  frame.bytes = frame_;
  if (frame_plaintext_.empty()) {
    frame.spans = clear_frame_spans(std::move(message_spans));
  } else {
    frame.spans = protected_frame_spans(frame_.size() - frame_header_size);
    frame.plaintext = frame_plaintext_;
    frame.plaintext_spans = inner_plaintext_spans(std::move(message_spans), message_size);
  }
  return frame;
}

WireFrame Channel::application_record(ByteView wire, ByteView content) {
  WireFrame frame;
  frame.bytes.assign(wire.begin(), wire.end());
  frame.spans = protected_frame_spans(wire.size() - frame_header_size);
  frame.plaintext.assign(content.begin(), content.end());
  frame.plaintext.push_back(static_cast<std::uint8_t>(InnerType::application_data));
  frame.plaintext_spans = inner_plaintext_spans({{0, content.size(), "application_data", {}}}, content.size());
  return frame;
}

awaitable<void> Channel::write_application_data(ByteView data) {
  if (!writer_) throw ProtocolError(AlertDescription::internal_error, "application data before keys");
  out_.clear();
  while (!data.empty()) {
    std::size_t chunk = std::min(data.size(), max_plaintext);
    writer_->seal(InnerType::application_data, data.first(chunk), out_);
    if (want_sent_record_) {
      sent_record_ = application_record(out_, data.first(chunk));
      want_sent_record_ = false;
    }
    data = data.subspan(chunk);
  }
  co_await write_all(out_);
}

void Channel::protect_writes(Aead aead, crypto::DirectionKeys keys) {
  writer_.emplace(aead, std::move(keys));
}
void Channel::protect_reads(Aead aead, crypto::DirectionKeys keys) {
  reader_.emplace(aead, std::move(keys));
}

awaitable<void> Channel::send_alert(AlertDescription description) noexcept {
  try {
    Alert alert{description == AlertDescription::close_notify ? AlertLevel::warning : AlertLevel::fatal, description};
    Bytes fragment = alert.encode();
    out_.clear();
    if (writer_) {
      writer_->seal(InnerType::alert, fragment, out_);
    } else {
      out_ = encode_frame(ContentType::alert, fragment);
    }
    if (recording_) {
      frame_ = out_;
      frame_plaintext_.clear();
      if (writer_) {
        frame_plaintext_ = fragment;
        frame_plaintext_.push_back(static_cast<std::uint8_t>(InnerType::alert));
      }
      alert_frame_ = framed(alert_spans(), fragment.size());
    }
    timer_.expires_after(std::chrono::seconds(1));
    co_await (asio::async_write(socket_, asio::buffer(out_), asio::as_tuple(use_awaitable)) ||
              timer_.async_wait(asio::as_tuple(use_awaitable)));
  } catch (...) {
    // The connection is ending anyway; the local reason has already been reported.
  }
}

awaitable<void> Channel::close_gracefully() noexcept {
  co_await send_alert(AlertDescription::close_notify);
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  handshake_deadline_ = Clock::now() + std::chrono::seconds(1);
  try {
    for (;;) {  // until the peer's close_notify, or EOF (thrown)
      auto [type, content] = co_await read_record();
      if (type == InnerType::alert) break;
    }
  } catch (...) {
  }
  close();
}

void Channel::close() noexcept {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace tlslab::net
