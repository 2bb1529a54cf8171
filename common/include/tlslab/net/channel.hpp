#pragma once
// A framed connection (PROTOCOL.md §2, §6, §7.4): reads frames with the size limit checked on
// the header before any fragment byte is buffered and a deadline on every read and write;
// writes frames; once a direction has keys, frames in it are protected. Alerts received are
// thrown as ProtocolError(origin = received); EOF and timeouts as ProtocolError(origin = transport).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::net {

using Clock = std::chrono::steady_clock;

struct Timeouts {
  std::chrono::milliseconds handshake{10'000};  // from accept/connect to both Finished
  std::chrono::milliseconds idle{30'000};       // every read after the handshake
};

class Channel {
 public:
  Channel(tcp::socket socket, Timeouts timeouts);

  [[nodiscard]] tcp::socket& socket() noexcept { return socket_; }
  [[nodiscard]] const Timeouts& timeouts() const noexcept { return timeouts_; }
  // After the handshake every read gets `idle` instead of the handshake deadline.
  void handshake_done() noexcept {
    handshake_deadline_.reset();
    handshaking_ = false;
  }
  // An absolute deadline for the reads to come (a CA request, an HTTP request must arrive whole by
  // then); clear_deadline goes back to `idle` for each read.
  void set_deadline(Clock::time_point deadline) noexcept {
    handshake_deadline_ = deadline;
    deadline_name_ = "request deadline";
  }
  void clear_deadline() noexcept { handshake_deadline_.reset(); }

  // Keep a copy of each handshake and alert frame, with its fields' spans, for the trace
  // (send/expect return them). Off by default: a quiet bench copies nothing.
  void record_frames(bool on) noexcept { recording_ = on; }
  [[nodiscard]] bool recording_frames() const noexcept { return recording_; }
  // Arrow 8 byte by byte (when recording): the first application-data record written and the
  // first one read after this call are kept, with their spans and inner plaintext; the records
  // after them (the bulk of a response) are never copied.
  void record_next_application_records() noexcept {
    sent_record_.reset();
    received_record_.reset();
    want_sent_record_ = want_received_record_ = recording_;
  }
  [[nodiscard]] std::optional<WireFrame> take_sent_record() noexcept { return std::exchange(sent_record_, {}); }
  [[nodiscard]] std::optional<WireFrame> take_received_record() noexcept { return std::exchange(received_record_, {}); }
  // The last alert frame sent or received (when recording), for the trace's last line.
  [[nodiscard]] const std::optional<WireFrame>& last_alert_frame() const noexcept { return alert_frame_; }

  // One complete handshake message (msg_type || length || body), from a handshake frame, or from
  // a protected frame of inner type handshake once reads are protected.
  awaitable<Bytes> read_handshake();
  awaitable<void> write_handshake(ByteView message);

  // A message sent as the flow's next step, added to the transcript (when given).
  struct Sent {
    const FlowStep& step;
    std::optional<WireFrame> frame;  // when recording
  };
  template <HandshakeMessage T>
  awaitable<Sent> send(FlowCursor& flow, const T& message, crypto::Transcript* transcript) {
    const FlowStep& step = flow.send(T::type);
    if (!recording_) {
      Bytes bytes = encode_handshake(message);
      if (transcript != nullptr) transcript->add(bytes);
      co_await write_handshake(bytes);
      co_return Sent{step, std::nullopt};
    }
    EncodedMessage encoded = encode_handshake_with_spans(message);
    if (transcript != nullptr) transcript->add(encoded.bytes);
    co_await write_handshake(encoded.bytes);
    co_return Sent{step, framed(std::move(encoded.spans), encoded.bytes.size())};
  }

  // The next message, which the flow must expect from the peer (unexpected_message otherwise),
  // decoded as T and added to the transcript (when given). Finished needs the transcript's hash
  // before its own bytes: compute it before calling.
  template <HandshakeMessage T>
  struct Received {
    T message;
    const FlowStep& step;
    std::optional<WireFrame> frame;  // when recording
  };
  template <HandshakeMessage T>
  awaitable<Received<T>> expect(FlowCursor& flow, crypto::Transcript* transcript) {
    Bytes bytes = co_await read_handshake();
    auto envelope = decode_handshake_envelope(bytes);
    if (!envelope) throw ProtocolError(envelope.failure().alert, envelope.failure().reason);
    const FlowStep* step = flow.receive(envelope->type).take();
    if (step->message != T::type) throw std::logic_error("the flow and the code disagree on the next message");
    T message = decode_handshake<T>(bytes).take();
    if (transcript != nullptr) transcript->add(bytes);
    if (!recording_) co_return Received<T>{std::move(message), *step, std::nullopt};
    std::optional<WireFrame> frame = framed(spans_of_received(message, bytes), bytes.size());
    co_return Received<T>{std::move(message), *step, std::move(frame)};
  }

  void protect_writes(Aead aead, crypto::DirectionKeys keys);
  void protect_reads(Aead aead, crypto::DirectionKeys keys);

  // Application data: split into records of at most 16384 bytes, written in one gathered write.
  awaitable<void> write_application_data(ByteView data);
  // The content of the next application-data record (empty records are skipped); a view valid
  // until the next read. Throws ProtocolError(close_notify, received) at the peer's close_notify.
  awaitable<ByteView> read_application_data();
  // The same, with the peer's close_notify as nullopt: the normal end of a session, not an error.
  awaitable<std::optional<ByteView>> next_application_data();

  // Best effort, never throws: the alert in the clear or protected as §8 says, within 1 s.
  awaitable<void> send_alert(AlertDescription description) noexcept;
  // The end of a session (§10): close_notify, half-close, then wait briefly for the peer's
  // close_notify or EOF, so the connection ends with FIN on both sides rather than a reset.
  awaitable<void> close_gracefully() noexcept;
  void close() noexcept;

 private:
  struct FrameView {
    FrameHeader header;
    std::span<std::uint8_t> fragment;
  };
  awaitable<FrameView> read_frame();
  // The next record's content after opening (if protected). The peer's close_notify comes back
  // as InnerType::alert with no content; any other alert is thrown.
  awaitable<std::pair<InnerType, ByteView>> read_record();
  awaitable<void> write_all(ByteView bytes);
  awaitable<void> fill(std::size_t at_least);
  // Reads and writes first try the socket without waiting. A peer that keeps it always ready would
  // then keep this thread to itself: after a run of such operations, yield to the other sessions.
  awaitable<void> take_turns();
  [[nodiscard]] Clock::time_point read_deadline() const;

  // The frame just written or read (header and fragment in `frame_`), with a message's spans:
  // a WireFrame for the trace.
  [[nodiscard]] WireFrame framed(std::vector<FieldSpan> message_spans, std::size_t message_size) const;
  // One protected application-data record as on the wire, with its opened content.
  [[nodiscard]] static WireFrame application_record(ByteView wire, ByteView content);

  tcp::socket socket_;
  Timeouts timeouts_;
  bool recording_ = false;
  bool handshaking_ = true;
  Bytes frame_;            // when recording: the last handshake frame, as on the wire
  Bytes frame_plaintext_;  // … and its inner plaintext when protected
  std::optional<WireFrame> alert_frame_;
  bool want_sent_record_ = false;  // record_next_application_records() asked, not yet seen
  bool want_received_record_ = false;
  std::optional<WireFrame> sent_record_;
  std::optional<WireFrame> received_record_;
  std::optional<Clock::time_point> handshake_deadline_;
  const char* deadline_name_ = "handshake deadline";  // what a timeout of handshake_deadline_ reports
  asio::steady_timer timer_;
  // Received, not yet consumed: allocated when data arrives, released while the session is idle.
  std::unique_ptr<std::uint8_t[]> in_;
  std::size_t in_size_ = 0;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  Bytes out_;  // reused for every write
  std::optional<crypto::RecordProtection> writer_;
  std::optional<crypto::RecordProtection> reader_;
  unsigned ready_in_a_row_ = 0;
  bool peer_protected_ = false;  // a protected frame has been opened: no more frames in the clear
};

}  // namespace tlslab::net
