#include "frame_stream.hpp"

#include <algorithm>

#include "tlslab/messages.hpp"

namespace tlslab::decrypt {

std::optional<bool> looks_like_client_hello(ByteView first_bytes) {
  if (first_bytes.size() < frame_header_size + 1) return std::nullopt;
  auto header = FrameHeader::decode(first_bytes.first(frame_header_size));
  return header && header->type == ContentType::handshake &&
         first_bytes[frame_header_size] == static_cast<std::uint8_t>(HandshakeType::client_hello);
}

DirectionFrames split_frames(ByteView stream, Direction from, std::span<const Arrival> arrivals) {
  // Where each arrival of this direction left the stream's end, in order: a frame completed with
  // the first arrival that reached its last byte.
  std::vector<std::pair<std::size_t, std::size_t>> ends;  // (end, index into arrivals)
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    if (arrivals[i].direction == from) ends.emplace_back(arrivals[i].end, i);
  }
  auto arrival_of = [&](std::size_t frame_end) {
    auto it = std::lower_bound(ends.begin(), ends.end(), frame_end,
                               [](const auto& mark, std::size_t end) { return mark.first < end; });
    return it == ends.end() ? arrivals.size() : it->second;
  };

  DirectionFrames out;
  std::size_t at = 0;
  while (at < stream.size()) {
    ByteView rest = stream.subspan(at);
    if (rest.size() < frame_header_size) {
      out.stopped = "the capture ends inside a frame header (" + std::to_string(rest.size()) + " of 5 bytes)";
      break;
    }
    auto header = FrameHeader::decode(rest.first(frame_header_size));
    if (!header) {
      out.stopped = "the bytes at offset " + std::to_string(at) + " are not a tlslab frame: " + header.failure().reason;
      break;
    }
    std::size_t frame_size = frame_header_size + header->length;
    if (rest.size() < frame_size) {
      out.stopped = "the capture ends inside a frame (" + std::to_string(rest.size()) + " of " +
                    std::to_string(frame_size) + " bytes)";
      break;
    }
    ByteView bytes = rest.first(frame_size);
    out.frames.push_back(
        CapturedFrame{from, header.value(), bytes, bytes.subspan(frame_header_size), arrival_of(at + frame_size)});
    at += frame_size;
  }
  return out;
}

std::vector<CapturedFrame> in_capture_order(const DirectionFrames& client, const DirectionFrames& server) {
  std::vector<CapturedFrame> merged;
  merged.reserve(client.frames.size() + server.frames.size());
  // Each direction is already in arrival order: a merge keeps it, and puts a frame of the other
  // direction first only when it was complete earlier.
  std::merge(client.frames.begin(), client.frames.end(), server.frames.begin(), server.frames.end(),
             std::back_inserter(merged),
             [](const CapturedFrame& a, const CapturedFrame& b) { return a.arrival < b.arrival; });
  return merged;
}

}  // namespace tlslab::decrypt
