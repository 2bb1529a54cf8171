#pragma once
// A reassembled direction of a connection cut into frames (PROTOCOL.md §2) by the project's codec:
// FrameHeader::decode checks every header before its fragment is looked at, so a stream that is
// not tlslab, or stops being tlslab, ends the cutting with the codec's reason instead of a guess.
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "tcp_capture.hpp"
#include "tlslab/frame.hpp"
#include "tlslab/result.hpp"

namespace tlslab::decrypt {

// Whether the first bytes a client sent are a tlslab ClientHello frame: a handshake frame header
// that decodes (16 01 00, a length within §2's limits) followed by msg_type client_hello (01).
// nullopt while fewer bytes than that have arrived.
std::optional<bool> looks_like_client_hello(ByteView first_bytes);

struct CapturedFrame {
  Direction from;
  FrameHeader header;
  ByteView bytes;       // header and fragment, a view into the connection's bytes
  ByteView fragment;    // bytes after the header
  std::size_t arrival;  // index into TcpConnection::arrivals of the arrival that completed it

  [[nodiscard]] ByteView header_bytes() const { return bytes.first(frame_header_size); }
};

struct DirectionFrames {
  std::vector<CapturedFrame> frames;
  // Why cutting stopped before the end of the bytes: a header the codec rejects, or a frame that
  // the capture cut short. Empty when every byte was one whole frame.
  std::string stopped;
};

// The frames of one direction, in order. Never reads past `stream`.
DirectionFrames split_frames(ByteView stream, Direction from, std::span<const Arrival> arrivals);

// The frames of both directions in capture order (the order in which their last bytes arrived);
// within one direction, the order of the stream.
std::vector<CapturedFrame> in_capture_order(const DirectionFrames& client, const DirectionFrames& server);

}  // namespace tlslab::decrypt
