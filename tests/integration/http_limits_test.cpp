// Arrow 8 against a hostile client that has finished a handshake: what it can make the server
// hold, and for how long (issue: a 1 MiB body was buffered for a GET, a byte every 29 s kept a
// connection forever).
#include <gtest/gtest.h>

#include "handshake.hpp"
#include "lab.hpp"
#include "tlslab/net/status_client.hpp"

namespace tlslab::integration {
namespace {

using namespace std::chrono_literals;

// Connects and completes a handshake as tlslab-client does; returns the protected channel.
awaitable<net::Channel> handshake_with(const Lab& lab, const client::ClientSettings& settings) {
  tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
  net::Channel channel(std::move(socket), settings.timeouts);
  net::StatusClient ca_service(settings.ca_service, settings.timeouts);
  TraceOptions quiet;
  quiet.text = false;
  Trace trace(quiet);
  SessionTrace session(trace, 0);
  co_await client::run_handshake(channel, settings, lab.trust(), ca_service, session);
  ca_service.close();
  co_return channel;
}

// Everything the server sends until it closes (its close_notify, an alert, EOF or our deadline).
awaitable<std::string> read_until_closed(net::Channel& channel) {
  std::string received;
  try {
    while (auto content = co_await channel.next_application_data()) received.append(content->begin(), content->end());
  } catch (const ProtocolError&) {
  }
  co_return received;
}

TEST(HttpLimits, ABodyOverAFewKibIsRefusedNotBuffered) {
  Lab lab;
  auto settings = lab.client_settings();
  std::string response = run_in_this_thread([&]() -> awaitable<std::string> {
    net::Channel channel = co_await handshake_with(lab, settings);
    std::string request =
        "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + std::string(100000, 'x');
    co_await channel.write_application_data(as_bytes(request));
    co_return co_await read_until_closed(channel);
  }());
  EXPECT_EQ(response.rfind("HTTP/1.1 400 Bad Request", 0), 0u) << response.substr(0, 200);
  EXPECT_NE(response.find("body limit exceeded"), std::string::npos) << response.substr(0, 300);
}

TEST(HttpLimits, ASmallBodyWithAGetIsReadAndIgnored) {
  Lab lab;
  auto settings = lab.client_settings();
  std::string response = run_in_this_thread([&]() -> awaitable<std::string> {
    net::Channel channel = co_await handshake_with(lab, settings);
    std::string request =
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
    co_await channel.write_application_data(as_bytes(request));
    co_return co_await read_until_closed(channel);
  }());
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response.substr(0, 200);
}

// A request that trickles in, one byte at a time well within the idle timeout, must still be
// whole within it: the server cuts the connection instead of holding it for ever.
TEST(HttpLimits, ATricklingRequestIsCutAtTheWholeRequestDeadline) {
  LabOptions options;
  options.server_timeouts = {5s, 1s};  // handshake, idle: the whole request gets 1 s
  Lab lab(options);
  auto settings = lab.client_settings();
  struct Trickle {
    std::size_t sent = 0;
    bool cut = false;
  };
  Trickle result = run_in_this_thread([&]() -> awaitable<Trickle> {
    net::Channel channel = co_await handshake_with(lab, settings);
    const std::string request = "GET /some/long/path/that/takes/a/while/to/arrive HTTP/1.1\r\nHost: localhost\r\n\r\n";
    Trickle trickle;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    try {
      // 200 ms apart: every single read would meet a 1 s idle timeout, the whole request cannot.
      for (; trickle.sent < request.size(); ++trickle.sent) {
        co_await channel.write_application_data(as_bytes(std::string_view(request).substr(trickle.sent, 1)));
        pause.expires_after(200ms);
        co_await pause.async_wait(use_awaitable);
      }
      // All sent: the server either answered (no deadline) or had closed long before.
      std::string answer = co_await read_until_closed(channel);
      trickle.cut = answer.empty();
    } catch (const ProtocolError&) {
      trickle.cut = true;  // our write met the closed connection
    }
    co_return trickle;
  }());
  EXPECT_TRUE(result.cut) << "the server answered a request that took " << result.sent * 200 << " ms to arrive";
  EXPECT_LT(result.sent, 80u) << "the server held the connection for the whole trickle";
}

}  // namespace
}  // namespace tlslab::integration
