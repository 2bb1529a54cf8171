#pragma once
// The TCP connections of a capture file that carry tlslab, each direction reassembled in order.
// libtins does the work (Tins::FileSniffer over libpcap reads pcap and pcapng, and
// Tins::TCPIP::StreamFollower puts segments back in order and drops retransmitted bytes); this
// file only decides what to keep. A capture is input like any other: what it can make us hold is
// bounded (CaptureLimits), and a packet that does not parse is skipped, not fatal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"

namespace tlslab::decrypt {

enum class Direction : std::uint8_t { client_to_server, server_to_client };
std::string_view to_string(Direction direction);  // "client → server"

// After this arrival of bytes, `direction` had received `end` bytes in all. The arrivals of both
// directions, in capture order, say how the two directions interleave.
struct Arrival {
  Direction direction;
  std::size_t end;
};

struct TcpConnection {
  std::string client;  // "127.0.0.1:41234": the side that sent the SYN
  std::string server;
  Bytes client_bytes;  // client → server, reassembled
  Bytes server_bytes;  // server → client
  std::vector<Arrival> arrivals;
  // Why the bytes above may stop short of what the connection carried; empty when they do not.
  std::string cut_short;
};

struct CaptureLimits {
  // A connection is followed up to this many bytes (both directions together), then the rest is
  // ignored and cut_short says so: the lab's sessions are a few kilobytes, and a capture must not
  // make us hold an unbounded amount. (libtins bounds what it holds while waiting for a missing
  // segment: 3 MB or 512 segments per connection, then it gives the connection up.)
  std::size_t max_connection_bytes = std::size_t{64} << 20;
};

struct Capture {
  std::vector<TcpConnection> connections;  // tlslab ones only, in the order their SYN was seen
  std::uint64_t packets = 0;
  std::uint64_t skipped_packets = 0;  // libtins could not follow (an exception of its own)
};

// Reads `path` (pcap or pcapng). A connection is kept when the first bytes its client sent are a
// tlslab ClientHello frame (looks_like_client_hello, frame_stream.hpp), whatever the ports.
// Connections whose SYN is not in the capture are not followed. Throws std::runtime_error naming
// the file when it cannot be read as a capture.
Capture read_capture(const std::string& path, const CaptureLimits& limits = {});

}  // namespace tlslab::decrypt
