#include "relay.hpp"

#include <spdlog/spdlog.h>

#include "tlslab/net/endpoint.hpp"

namespace tlslab::mitm {
namespace {

using namespace asio::experimental::awaitable_operators;

std::string_view arrow_of(Direction direction) {
  return direction == Direction::to_upstream ? "→" : "←";
}

using Clock = std::chrono::steady_clock;

// Reads frames from `from` and writes what the attack decides to `to` (or back to `from`).
// `last_frame` is when either direction last completed a frame: the watchdog's clock.
awaitable<void> pump(tcp::socket& from, tcp::socket& to, Direction direction, Attack& attack, std::uint64_t id,
                     spdlog::logger& log, Clock::time_point& last_frame) {
  for (;;) {
    Bytes frame(frame_header_size);
    auto [header_error, header_bytes] =
        co_await asio::async_read(from, asio::buffer(frame), asio::as_tuple(use_awaitable));
    if (header_error) co_return;
    // Only the length is needed to find the frame's end; the attack sees the bytes as they came.
    std::size_t length = (std::size_t{frame[3]} << 8) | frame[4];
    frame.resize(frame_header_size + length);
    auto [body_error, body_bytes] = co_await asio::async_read(
        from, asio::buffer(frame.data() + frame_header_size, length), asio::as_tuple(use_awaitable));
    if (body_error) co_return;
    last_frame = Clock::now();
    bool fired_before = attack.fired();
    Verdict verdict = attack.on_frame(direction, std::move(frame));
    if (attack.fired() && !fired_before) {
      log.warn("[conn {}] {} attack '{}' fired: {}", id, arrow_of(direction), attack.info().name, attack.info().what);
    }
    if (verdict.stall) {
      asio::steady_timer forever(from.get_executor(), asio::steady_timer::time_point::max());
      co_await forever.async_wait(asio::as_tuple(use_awaitable));  // until the other side ends
      co_return;
    }
    tcp::socket& target = verdict.reply ? from : to;
    for (const Bytes& bytes : verdict.send) {
      auto [write_error, written] =
          co_await asio::async_write(target, asio::buffer(bytes), asio::as_tuple(use_awaitable));
      if (write_error) co_return;
    }
    if (verdict.close_after) co_return;
  }
}

// Ends when neither direction has completed a frame for `idle`: a frame header promising 64 KiB
// that never come, a byte a minute, or both sides silent (a stalled upstream, or the stall attack
// once its client has stopped caring). The pumps' reads have no deadline of their own; this is it.
awaitable<bool> idle_watchdog(const Clock::time_point& last_frame, std::chrono::milliseconds idle) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    Clock::time_point deadline = last_frame + idle;
    if (deadline <= Clock::now()) co_return true;
    timer.expires_at(deadline);
    co_await timer.async_wait(asio::as_tuple(use_awaitable));
  }
}

}  // namespace

awaitable<void> relay_connection(tcp::socket downstream, std::uint64_t id, tcp::endpoint upstream,
                                 const AttackInfo& info, const AttackOptions& options,
                                 std::shared_ptr<spdlog::logger> log, std::chrono::milliseconds idle) {
  tcp::socket upstream_socket = co_await net::connect_with_deadline(upstream, std::chrono::seconds(5));
  log->info("[conn {}] relaying to {}:{} with attack '{}'", id, upstream.address().to_string(), upstream.port(),
            info.name);
  Attack attack(info, options);
  // Either direction ending ends the relay: the other pump is cancelled; so does the watchdog.
  Clock::time_point last_frame = Clock::now();
  auto ended = co_await (pump(downstream, upstream_socket, Direction::to_upstream, attack, id, *log, last_frame) ||
                         pump(upstream_socket, downstream, Direction::to_downstream, attack, id, *log, last_frame) ||
                         idle_watchdog(last_frame, idle));
  if (ended.index() == 2) {
    log->warn("[conn {}] no whole frame from either side for {} ms (--idle-timeout-ms): closed both connections", id,
              idle.count());
  }
  boost::system::error_code ignored;
  downstream.shutdown(tcp::socket::shutdown_both, ignored);
  upstream_socket.shutdown(tcp::socket::shutdown_both, ignored);
  downstream.close(ignored);
  upstream_socket.close(ignored);
  if (!attack.fired()) log->info("[conn {}] closed; the attack did not fire on this connection", id);
}

}  // namespace tlslab::mitm
