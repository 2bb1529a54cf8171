#include "tcp_capture.hpp"

#include <tins/exceptions.h>
#include <tins/ip_address.h>
#include <tins/ipv6_address.h>
#include <tins/packet.h>
#include <tins/sniffer.h>
#include <tins/tcp.h>
#include <tins/tcp_ip/stream.h>
#include <tins/tcp_ip/stream_identifier.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <map>
#include <stdexcept>

#include "frame_stream.hpp"

namespace tlslab::decrypt {

std::string_view to_string(Direction direction) {
  return direction == Direction::client_to_server ? "client → server" : "server → client";
}

namespace {

using Tins::TCPIP::Stream;

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

std::string seconds_of(std::chrono::microseconds idle) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(idle).count()) + " s";
}

// libpcap's last error while libtins read the file: libtins ends its loop on an error exactly as
// at the end of the file, so the sniffing method it calls is this one, which remembers why.
thread_local std::string pcap_read_error;

int read_packets_noting_errors(pcap_t* handle, int count, pcap_handler handler, u_char* user) {
  int result = pcap_loop(handle, count, handler, user);
  if (result == PCAP_ERROR) pcap_read_error = pcap_geterr(handle);
  return result;
}

// Follows the TCP connections of a capture with libtins's Stream (which puts each direction's
// segments back in order), keeping the bytes of those that are tlslab. What StreamFollower would
// keep forever (a connection is only forgotten at its FIN or RST, or idle for its keep-alive) is
// bounded here: a connection whose first client bytes are not tlslab is forgotten at once, one
// that has said nothing is forgotten when idle in capture time or to make room, and the tlslab
// ones are kept within CaptureLimits. So a capture full of other traffic costs nothing but the
// time to read it.
class Follower {
 public:
  Follower(const CaptureLimits& limits, Recognize recognize, const TakeConnection* take)
      : limits_(limits), recognize_(recognize != nullptr ? recognize : &looks_like_client_hello), take_(take) {}

  void process(Tins::PDU& pdu, std::chrono::microseconds now) {
    now_ = std::max(now_, now);
    const auto* tcp = pdu.find_pdu<Tins::TCP>();
    if (tcp == nullptr) return;
    auto id = StreamId::make_identifier(pdu);
    auto found = live_.find(id);
    if (found == live_.end()) {
      // A connection starts at the client's SYN; a packet of one not followed is ignored.
      bool syn = tcp->get_flag(Tins::TCP::SYN) && !tcp->get_flag(Tins::TCP::ACK);
      if (!syn) return expire_idle();
      if (limits_.only_connection && stats_.connections != *limits_.only_connection) {
        // Numbered, not followed: remembered while its SYN may come again (lost, resent), so that it
        // is counted once, as when it is followed.
        auto [passed, first] = passed_.try_emplace(id, now);
        passed->second = now;
        if (first) ++stats_.connections;
        return expire_idle();
      }
      found = start(id, pdu, now);
    }
    Followed& followed = found->second;
    followed.stream.process_packet(pdu, now);
    if (followed.kind == Kind::undecided) undecided_.splice(undecided_.end(), undecided_, followed.in_undecided);
    check_buffers(followed);
    if (followed.end != End::following) finish(found);
    expire_idle();
  }

  Capture take() && {
    while (!live_.empty()) {
      auto first = live_.begin();
      if (first->second.end == End::following) first->second.end = End::capture_ended;
      finish(first);
    }
    Capture capture;
    capture.connections.reserve(kept_.size());
    for (auto& [number, connection] : kept_) capture.connections.push_back(std::move(connection));
    capture.stats = stats_;
    return capture;
  }

 private:
  using Stream = Tins::TCPIP::Stream;
  using StreamId = Tins::TCPIP::StreamIdentifier;
  enum class Kind : std::uint8_t { undecided, kept, other };
  // Why a connection stops being followed.
  enum class End : std::uint8_t { following, closed, other, limit, buffered, idle, evicted, capture_ended };
  struct Followed {
    Followed(Tins::PDU& syn, std::chrono::microseconds now, std::uint64_t syn_number)
        : stream(syn, now), number(syn_number) {}
    Stream stream;
    std::uint64_t number;  // in the order the SYNs were seen
    Kind kind = Kind::undecided;
    End end = End::following;
    TcpConnection connection;
    std::size_t bytes = 0;
    std::size_t buffered = 0;  // what libtins holds for it, as last counted in buffered_
    std::list<StreamId>::iterator in_undecided;
  };
  using Live = std::map<StreamId, Followed>;

  Live::iterator start(const StreamId& id, Tins::PDU& syn, std::chrono::microseconds now) {
    if (undecided_.size() >= limits_.max_undecided) {
      // The connection that has been silent longest makes room: a tlslab client speaks first,
      // within a round trip of its SYN.
      auto oldest = live_.find(undecided_.front());
      oldest->second.end = End::evicted;
      finish(oldest);
    }
    auto [it, inserted] = live_.try_emplace(id, syn, now, stats_.connections++);
    Followed& followed = it->second;
    // The flows' callbacks point at the stream: set them once it is where it stays.
    followed.stream.setup_flows_callbacks();
    followed.stream.client_data_callback(
        [this, &followed](Stream&) { on_data(followed, Direction::client_to_server); });
    followed.stream.server_data_callback(
        [this, &followed](Stream&) { on_data(followed, Direction::server_to_client); });
    followed.stream.stream_closed_callback([&followed](Stream&) { followed.end = End::closed; });
    followed.in_undecided = undecided_.insert(undecided_.end(), id);
    stats_.peak_followed = std::max(stats_.peak_followed, live_.size());
    stats_.peak_undecided = std::max(stats_.peak_undecided, undecided_.size());
    return it;
  }

  void on_data(Followed& followed, Direction direction) {
    bool from_client = direction == Direction::client_to_server;
    auto& payload = from_client ? followed.stream.client_payload() : followed.stream.server_payload();
    if (followed.end != End::following || payload.empty()) return;
    if (followed.kind == Kind::undecided && !from_client) {
      // A tlslab server never speaks first.
      followed.end = End::other;
      return;
    }
    std::size_t room = limits_.max_connection_bytes - followed.bytes;
    if (followed.kind == Kind::kept) room = std::min(room, limits_.max_capture_bytes - stats_.kept_bytes);
    std::size_t taken = std::min(payload.size(), room);
    Bytes& into = from_client ? followed.connection.client_bytes : followed.connection.server_bytes;
    into.insert(into.end(), payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(taken));
    followed.bytes += taken;
    if (followed.kind == Kind::kept) stats_.kept_bytes += taken;
    if (taken > 0) followed.connection.arrivals.push_back(Arrival{direction, into.size(), now_});
    if (followed.kind == Kind::undecided) decide(followed);
    if (taken < payload.size() && followed.end == End::following) followed.end = End::limit;
  }

  void decide(Followed& followed) {
    auto tlslab = recognize_(followed.connection.client_bytes);
    if (!tlslab) return;
    undecided_.erase(followed.in_undecided);
    if (!*tlslab) {
      followed.kind = Kind::other;
      followed.end = End::other;
      return;
    }
    if (kept_.size() + kept_live_ >= limits_.max_sessions ||
        stats_.kept_bytes + followed.bytes > limits_.max_capture_bytes) {
      ++stats_.sessions_not_kept;
      followed.kind = Kind::other;
      followed.end = End::limit;
      return;
    }
    followed.kind = Kind::kept;
    ++kept_live_;
    stats_.kept_bytes += followed.bytes;
    followed.connection.number = followed.number;
    followed.connection.client = endpoint_of(followed.stream, Direction::client_to_server);
    followed.connection.server = endpoint_of(followed.stream, Direction::server_to_client);
  }

  // libtins's own limits per connection (StreamFollower's: 3 MB or 512 segments held while it
  // waits for a missing one), a tighter one before a connection has said it is tlslab, and one
  // for all connections together.
  void check_buffers(Followed& followed) {
    const Stream& stream = followed.stream;
    std::size_t chunks =
        stream.client_flow().buffered_payload().size() + stream.server_flow().buffered_payload().size();
    std::size_t bytes = stream.client_flow().total_buffered_bytes() + stream.server_flow().total_buffered_bytes();
    buffered_ = buffered_ - followed.buffered + bytes;
    followed.buffered = bytes;
    bool over = followed.kind == Kind::undecided
                    ? bytes > limits_.max_undecided_buffer
                    : chunks > 512 || bytes > 3'000'000 || buffered_ > limits_.max_buffered_bytes;
    if (over && followed.end == End::following) followed.end = End::buffered;
  }

  void expire_idle() {
    while (!undecided_.empty()) {
      auto oldest = live_.find(undecided_.front());
      if (oldest->second.stream.last_seen() + limits_.undecided_idle > now_) break;
      oldest->second.end = End::idle;
      finish(oldest);
    }
    // The tlslab ones are few (max_sessions): a look at each, every 10 s of capture time.
    if (now_ < next_session_sweep_) return;
    next_session_sweep_ = now_ + std::chrono::seconds(10);
    for (auto it = passed_.begin(); it != passed_.end();) {
      it = it->second + limits_.undecided_idle <= now_ ? passed_.erase(it) : std::next(it);
    }
    for (auto it = live_.begin(); it != live_.end();) {
      auto next = std::next(it);
      if (it->second.kind == Kind::kept && it->second.stream.last_seen() + limits_.session_idle <= now_) {
        it->second.end = End::idle;
        finish(it);
      }
      it = next;
    }
  }

  // Stops following a connection: a tlslab one is kept, with why its bytes may stop short.
  void finish(Live::iterator it) {
    Followed& followed = it->second;
    buffered_ -= followed.buffered;
    if (followed.kind == Kind::undecided) {
      undecided_.erase(followed.in_undecided);
      ++(followed.end == End::evicted ? stats_.evicted : stats_.silent);
    } else if (followed.kind == Kind::other) {
      if (followed.end == End::other) ++stats_.other;  // else counted in sessions_not_kept
    } else {
      --kept_live_;
      followed.connection.cut_short = cut_short(followed);
      if (take_ != nullptr) {
        // Handed over, no longer held: it counts no more against the bounds of what is held.
        stats_.kept_bytes -= std::min(stats_.kept_bytes, followed.bytes);
        (*take_)(std::move(followed.connection));
      } else {
        kept_.emplace(followed.number, std::move(followed.connection));
      }
    }
    live_.erase(it);
  }

  std::string cut_short(const Followed& followed) const {
    const Stream& stream = followed.stream;
    switch (followed.end) {
      case End::closed:
        // libtins ends a stream at the FINs even when a segment before them never came: what it
        // was holding after the gap is dropped with the stream.
        if (!stream.client_flow().buffered_payload().empty() || !stream.server_flow().buffered_payload().empty()) {
          return "closed while a segment was missing from the capture: what came after the gap is not shown";
        }
        return {};
      case End::limit:
        if (followed.bytes >= limits_.max_connection_bytes) {
          return "followed for its first " + mebibytes(limits_.max_connection_bytes) + " only (a limit of " +
                 std::string(limits_.tool) + "): what came after is not shown";
        }
        return "followed until the sessions kept reached " + mebibytes(limits_.max_capture_bytes) +
               " in all (a limit of " + std::string(limits_.tool) + "): what came after is not shown";
      case End::buffered:
        return "the capture lacks a segment that libtins waited for while holding 3 MB or 512 segments after it: "
               "the connection is shown up to that gap";
      case End::idle:
        return "idle for " + seconds_of(limits_.session_idle) +
               " of capture time without closing (its close is not in the capture): followed no further";
      default: return "still open when the capture ended: what came after is not in it";
    }
  }

  CaptureLimits limits_;
  Recognize recognize_;
  const TakeConnection* take_;
  Live live_;
  std::list<StreamId> undecided_;                         // least recently seen first
  std::map<StreamId, std::chrono::microseconds> passed_;  // not followed (only_connection), by last SYN
  std::size_t kept_live_ = 0;
  std::size_t buffered_ = 0;
  std::map<std::uint64_t, TcpConnection> kept_;  // by SYN order
  CaptureStats stats_;
  std::chrono::microseconds now_{0};
  std::chrono::microseconds next_session_sweep_{0};
};

}  // namespace

Capture read_capture(const std::string& path, const CaptureLimits& limits, Recognize recognize) {
  return read_capture(path, limits, recognize, nullptr);
}

Capture read_capture(const std::string& path, const CaptureLimits& limits, Recognize recognize,
                     const TakeConnection& take) {
  Follower follower(limits, recognize, take ? &take : nullptr);
  std::uint64_t packets = 0, skipped = 0;
  pcap_read_error.clear();
  try {
    Tins::FileSniffer sniffer(path);
    sniffer.set_pcap_sniffing_method(&read_packets_noting_errors);
    sniffer.sniff_loop([&](Tins::Packet& packet) {
      ++packets;
      try {
        follower.process(*packet.pdu(), bounded_capture_time(packet.timestamp()));
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
  Capture capture = std::move(follower).take();
  capture.packets = packets;
  capture.skipped_packets = skipped;
  capture.truncated = pcap_read_error;
  return capture;
}

}  // namespace tlslab::decrypt
