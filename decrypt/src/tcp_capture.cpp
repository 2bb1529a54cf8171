#include "tcp_capture.hpp"

#include <tins/exceptions.h>
#include <tins/ip_address.h>
#include <tins/ipv6_address.h>
#include <tins/packet.h>
#include <tins/sniffer.h>
#include <tins/tcp_ip/stream_follower.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <stdexcept>

#include "frame_stream.hpp"

namespace tlslab::decrypt {

std::string_view to_string(Direction direction) {
  return direction == Direction::client_to_server ? "client → server" : "server → client";
}

namespace {

using Tins::TCPIP::Stream;
using Tins::TCPIP::StreamFollower;

std::string endpoint_of(const Stream& stream, Direction side) {
  bool client = side == Direction::client_to_server;
  std::string port = std::to_string(client ? stream.client_port() : stream.server_port());
  if (stream.is_v6()) {
    return "[" + (client ? stream.client_addr_v6() : stream.server_addr_v6()).to_string() + "]:" + port;
  }
  return (client ? stream.client_addr_v4() : stream.server_addr_v4()).to_string() + ":" + port;
}

std::string mebibytes(std::size_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

// Keeps the bytes of each connection libtins follows, until its first client bytes say whether
// it is tlslab; forgets the others at once, so that a capture full of other traffic costs
// nothing but the time to read it.
class Collector {
 public:
  explicit Collector(const CaptureLimits& limits) : limits_(limits) {}

  void on_new_stream(Stream& stream) {
    std::size_t index = followed_.size();
    followed_.emplace_back();
    followed_.back().connection.client = endpoint_of(stream, Direction::client_to_server);
    followed_.back().connection.server = endpoint_of(stream, Direction::server_to_client);
    // A stream lives in the follower's map until it ends: its address names it until then, and
    // a later stream at the same address is another connection (a new entry here).
    index_of_[&stream] = index;
    stream.client_data_callback([this, index](Stream& s) { on_data(index, s, Direction::client_to_server); });
    stream.server_data_callback([this, index](Stream& s) { on_data(index, s, Direction::server_to_client); });
    stream.stream_closed_callback([this, index](Stream& s) { on_closed(index, s); });
  }

  void on_termination(Stream& stream, StreamFollower::TerminationReason reason) {
    auto found = index_of_.find(&stream);
    if (found == index_of_.end()) return;
    Followed& followed = followed_[found->second];
    if (reason == StreamFollower::BUFFERED_DATA && followed.connection.cut_short.empty()) {
      followed.connection.cut_short =
          "the capture lacks a segment that libtins waited for while holding 3 MB or 512 segments after it: "
          "the connection is shown up to that gap";
    }
    // A TIMEOUT cannot happen (keep-alive of a year); SACKED_SEGMENTS is not built in Debian's libtins.
  }

  Capture take() && {
    Capture capture;
    for (auto& followed : followed_) {
      if (followed.kind != Kind::tlslab) continue;
      if (!followed.closed && followed.connection.cut_short.empty()) {
        followed.connection.cut_short = "still open when the capture ended: what came after is not in it";
      }
      capture.connections.push_back(std::move(followed.connection));
    }
    return capture;
  }

 private:
  enum class Kind : std::uint8_t { undecided, tlslab, other };
  struct Followed {
    TcpConnection connection;
    Kind kind = Kind::undecided;
    std::size_t bytes = 0;
    bool closed = false;  // FIN both ways, or a RST
  };

  void on_closed(std::size_t index, const Stream& stream) {
    Followed& followed = followed_[index];
    followed.closed = true;
    // libtins ends a stream at the FINs even when a segment before them never came: what it was
    // holding after the gap is dropped with the stream.
    bool gap = !stream.client_flow().buffered_payload().empty() || !stream.server_flow().buffered_payload().empty();
    if (gap && followed.connection.cut_short.empty()) {
      followed.connection.cut_short =
          "closed while a segment was missing from the capture: what came after the gap is not shown";
    }
  }

  void on_data(std::size_t index, Stream& stream, Direction direction) {
    Followed& followed = followed_[index];
    bool from_client = direction == Direction::client_to_server;
    const Stream::payload_type& payload = from_client ? stream.client_payload() : stream.server_payload();
    if (followed.kind == Kind::other || payload.empty()) return;
    std::size_t room = limits_.max_connection_bytes - followed.bytes;
    std::size_t taken = std::min(payload.size(), room);
    Bytes& into = from_client ? followed.connection.client_bytes : followed.connection.server_bytes;
    into.insert(into.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(taken));
    followed.bytes += taken;
    if (taken > 0) followed.connection.arrivals.push_back(Arrival{direction, into.size()});
    if (taken < payload.size()) {
      followed.connection.cut_short = "followed for its first " + mebibytes(limits_.max_connection_bytes) +
                                      " only (a limit of tlslab-decrypt): what came after is not shown";
      stream.ignore_client_data();
      stream.ignore_server_data();
    }
    if (followed.kind == Kind::undecided) {
      auto tlslab = looks_like_client_hello(followed.connection.client_bytes);
      if (tlslab && *tlslab) {
        followed.kind = Kind::tlslab;
      } else if (tlslab) {
        followed.kind = Kind::other;
        followed.connection = TcpConnection{};  // its bytes are not ours to keep
        stream.ignore_client_data();
        stream.ignore_server_data();
      }
    }
  }

  CaptureLimits limits_;
  std::deque<Followed> followed_;  // a deque: entries stay where the callbacks' indexes point
  std::map<const Stream*, std::size_t> index_of_;
};

}  // namespace

Capture read_capture(const std::string& path, const CaptureLimits& limits) {
  Collector collector(limits);
  std::uint64_t packets = 0, skipped = 0;
  try {
    Tins::FileSniffer sniffer(path);
    StreamFollower follower;
    follower.new_stream_callback([&](Stream& stream) { collector.on_new_stream(stream); });
    follower.stream_termination_callback(
        [&](Stream& stream, StreamFollower::TerminationReason reason) { collector.on_termination(stream, reason); });
    // libtins drops a connection idle for 5 minutes of capture time by default; a recorded lab
    // session may sit idle longer than that, and nothing here runs long enough to need it.
    follower.stream_keep_alive(std::chrono::hours(24 * 365));
    sniffer.sniff_loop([&](Tins::Packet& packet) {
      ++packets;
      try {
        follower.process_packet(packet);
      } catch (const Tins::exception_base&) {
        ++skipped;  // a packet libtins cannot follow is one packet lost, not the capture
      }
      return true;
    });
  } catch (const Tins::unknown_link_type&) {
    throw std::runtime_error("cannot read capture '" + path +
                             "': its link type is not one libtins reads (capture on an Ethernet-like "
                             "interface such as lo)");
  } catch (const Tins::exception_base& e) {
    throw std::runtime_error("cannot read capture '" + path + "': " + e.what());
  }
  Capture capture = std::move(collector).take();
  capture.packets = packets;
  capture.skipped_packets = skipped;
  return capture;
}

}  // namespace tlslab::decrypt
