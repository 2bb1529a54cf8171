#pragma once
// The TCP connections of a capture file that carry tlslab, each direction reassembled in order.
// libtins does the work (Tins::FileSniffer over libpcap reads pcap and pcapng, and
// Tins::TCPIP::StreamFollower puts segments back in order and drops retransmitted bytes); this
// file only decides what to keep. A capture is input like any other: what it can make us hold is
// bounded (CaptureLimits), and a packet that does not parse is skipped, not fatal.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
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
  std::chrono::microseconds at{};  // the packet's capture time (since the epoch)
};

// The latest capture time worked with: nanoseconds since the epoch (system_clock's and
// steady_clock's count) still fit in 64 bits, up to the year 2255. A pcapng can say later (64-bit
// timestamps), and such a time is read as this one rather than overflow.
inline constexpr std::chrono::microseconds latest_capture_time{9'000'000'000'000'000};
inline std::chrono::microseconds bounded_capture_time(std::chrono::microseconds at) {
  return std::clamp(at, std::chrono::microseconds{0}, latest_capture_time);
}

struct TcpConnection {
  std::uint64_t number = 0;  // counting every connection whose SYN the capture holds, from 0
  std::string client;        // "127.0.0.1:41234": the side that sent the SYN
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
  // make us hold an unbounded amount.
  std::size_t max_connection_bytes = std::size_t{64} << 20;
  // All the tlslab connections kept, together, and how many: a capture of a million small
  // sessions is refused the same way as one huge one (past these, a session is counted, not kept).
  std::size_t max_capture_bytes = std::size_t{256} << 20;
  std::size_t max_sessions = 4096;
  // Connections whose client has not yet sent the bytes that say whether they are tlslab (a SYN
  // and nothing else, say): at most this many are followed at once, each holding at most
  // max_undecided_buffer bytes of out-of-order segments; the one seen least recently makes room.
  // About 1 KiB each for libtins and us: 4 MiB, plus 64 MiB of buffers at worst.
  std::size_t max_undecided = 4096;
  std::size_t max_undecided_buffer = std::size_t{16} << 10;
  // What libtins may hold for all tlslab connections together while it waits for a missing
  // segment (3 MB or 512 segments per connection are its own limits).
  std::size_t max_buffered_bytes = std::size_t{64} << 20;
  // Idle in capture time (the packets' timestamps, not the clock): a client sends its ClientHello
  // right after the TCP handshake and the server gives up on a silent one after 10 s
  // (--handshake-timeout-ms); a session idle for 10 minutes outlived the server's 30 s idle
  // timeout (--idle-timeout-ms) twenty times over, and its close was not captured.
  std::chrono::microseconds undecided_idle = std::chrono::seconds(60);
  std::chrono::microseconds session_idle = std::chrono::minutes(10);
  // Follow only the connection with this number (TcpConnection::number): the others are counted at
  // their SYN and never followed, so one connection of a capture of millions costs what it holds.
  std::optional<std::uint64_t> only_connection;
  // Who sets these limits, for the reasons that quote them ("a limit of tlslab-decrypt").
  std::string_view tool = "tlslab-decrypt";
};

// What reading the capture cost and what it left out: the bounds above, seen from outside.
struct CaptureStats {
  std::uint64_t connections = 0;        // connections whose SYN was seen
  std::uint64_t other = 0;              // whose first bytes were not tlslab: forgotten at once
  std::uint64_t silent = 0;             // that never said, and were forgotten when idle or at the end
  std::uint64_t evicted = 0;            // forgotten undecided to keep max_undecided
  std::uint64_t sessions_not_kept = 0;  // tlslab ones past max_sessions or max_capture_bytes
  std::size_t peak_followed = 0;        // connections followed at once, at most
  std::size_t peak_undecided = 0;       // of those, undecided
  std::size_t kept_bytes = 0;           // bytes of the tlslab connections kept
};

struct Capture {
  std::vector<TcpConnection> connections;  // the recognized ones only, in the order their SYN was seen
  std::uint64_t packets = 0;
  std::uint64_t skipped_packets = 0;  // libtins could not follow (an exception of its own)
  CaptureStats stats;
  // The file stops in the middle of a packet (a capture still being written, or copied in part):
  // libpcap's words. Empty when the file ended where a packet did.
  std::string truncated;
};

// Whether the first bytes a client sent open a connection worth keeping: nullopt while too few have
// arrived to say.
using Recognize = std::optional<bool> (*)(ByteView first_bytes);

// Reads `path` (pcap or pcapng). A connection is kept when `recognize` says yes to the first bytes
// its client sent (by default: a tlslab ClientHello frame, looks_like_client_hello in
// frame_stream.hpp), whatever the ports; a server that speaks first is never kept. Connections
// whose SYN is not in the capture are not followed. What it keeps is bounded by `limits` whatever
// the capture holds. Throws std::runtime_error naming the file when it cannot be read as a capture.
Capture read_capture(const std::string& path, const CaptureLimits& limits = {}, Recognize recognize = nullptr);

// The same, handing each kept connection to `take` as soon as it is over (closed, idle, or at the
// end of the file), in the order they end, instead of holding them all: what is held at once is
// then the connections still open, whatever the capture's length. The Capture returned has no
// connections; max_sessions and max_capture_bytes bound those held at once.
using TakeConnection = std::function<void(TcpConnection&&)>;
Capture read_capture(const std::string& path, const CaptureLimits& limits, Recognize recognize,
                     const TakeConnection& take);

}  // namespace tlslab::decrypt
