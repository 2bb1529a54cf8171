// net::http_get (http_get.hpp): the CRL fetch's HTTP GET against a tiny server on 127.0.0.1:0 that
// answers one connection with canned bytes: what a user sees for a good answer, a redirect, an
// error status, a list too large, an endless body, a silent server, garbage, and a URL that is not
// http://.
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <string>
#include <thread>

#include "tlslab/net/http_get.hpp"

namespace tlslab::net {
namespace {

// Accepts one connection on 127.0.0.1:0 and hands it to `answer` (which reads the request first).
class CannedServer {
 public:
  using Answer = std::function<awaitable<void>(tcp::socket&)>;
  explicit CannedServer(Answer answer) : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(
        io_,
        [this, answer = std::move(answer)]() -> awaitable<void> {
          tcp::socket socket = co_await acceptor_.async_accept(use_awaitable);
          std::string request;
          char buffer[1024];
          while (request.find("\r\n\r\n") == std::string::npos) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), use_awaitable);
            request.append(buffer, n);
          }
          request_.set_value(request);
          co_await answer(socket);
        },
        asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~CannedServer() {
    io_.stop();
    thread_.join();
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;

  [[nodiscard]] std::string url(const std::string& path = "/crl") const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  std::future<std::string> request() { return request_.get_future(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::promise<std::string> request_;
  std::thread thread_;
};

// Writes `bytes`, then closes.
CannedServer::Answer send(std::string bytes) {
  return [bytes = std::move(bytes)](tcp::socket& socket) -> awaitable<void> {
    co_await asio::async_write(socket, asio::buffer(bytes), use_awaitable);
    socket.close();
  };
}

struct Got {
  std::optional<HttpGetResponse> response;
  std::string error;
};

Got get(const std::string& url, HttpGetLimits limits = {}) {
  asio::io_context io;
  Got got;
  asio::co_spawn(io, http_get(url, limits), [&](std::exception_ptr error, HttpGetResponse response) {
    if (!error) {
      got.response = std::move(response);
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const HttpGetError& e) {
      got.error = e.what();
    } catch (const std::exception& e) {
      got.error = std::string("not an HttpGetError: ") + e.what();
    }
  });
  io.run();
  return got;
}

TEST(HttpGet, ReturnsTheBodyOfA200WithWhatTheTraceShows) {
  CannedServer server(
      send("HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nETag: \"7\"\r\nContent-Length: 5\r\n\r\nhello"));
  auto request = server.request();
  Got got = get(server.url());
  ASSERT_TRUE(got.response) << got.error;
  EXPECT_EQ(std::string(got.response->body.begin(), got.response->body.end()), "hello");
  EXPECT_EQ(got.response->status, 200u);
  EXPECT_EQ(got.response->content_type, "application/pkix-crl");
  EXPECT_EQ(got.response->etag, "\"7\"");
  EXPECT_EQ(got.response->peer.rfind("127.0.0.1:", 0), 0u) << got.response->peer;
  std::string sent = request.get();
  EXPECT_EQ(sent.rfind("GET /crl HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Host: 127.0.0.1"), std::string::npos) << sent;
}

TEST(HttpGet, DoesNotFollowARedirect) {
  CannedServer server(
      send("HTTP/1.1 301 Moved Permanently\r\nLocation: http://elsewhere.example/crl\r\n"
           "Content-Length: 0\r\n\r\n"));
  Got got = get(server.url(), {.what = "the CRL URL"});
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("the CRL URL redirects to http://elsewhere.example/crl: not followed"), std::string::npos)
      << got.error;
}

TEST(HttpGet, AnotherStatusIsAnErrorThatNamesIt) {
  CannedServer server(send("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"));
  Got got = get(server.url());
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("HTTP 404 Not Found"), std::string::npos) << got.error;
}

TEST(HttpGet, RefusesAContentLengthAboveTheLimitWithoutReadingTheBody) {
  // The server announces 1 GiB and sends none of it: the refusal cannot come from reading it.
  CannedServer server([](tcp::socket& socket) -> awaitable<void> {
    std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(header), use_awaitable);
    asio::steady_timer wait(socket.get_executor(), std::chrono::seconds(60));
    co_await wait.async_wait(asio::as_tuple(use_awaitable));
  });
  Got got = get(server.url(), {.deadline = std::chrono::seconds(30), .body_limit = 1000});
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("1073741824 bytes"), std::string::npos) << got.error;
  EXPECT_NE(got.error.find("more than 1000"), std::string::npos) << got.error;
}

TEST(HttpGet, RefusesAHeaderAboveTheLimit) {
  CannedServer server(
      send("HTTP/1.1 200 OK\r\nX-Padding: " + std::string(16 * 1024, 'a') + "\r\nContent-Length: 0\r\n\r\n"));
  Got got = get(server.url());
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("header is more than 8192 bytes"), std::string::npos) << got.error;
}

TEST(HttpGet, StopsAnEndlessChunkedBodyAtTheLimit) {
  CannedServer server([](tcp::socket& socket) -> awaitable<void> {
    std::string header = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(header), use_awaitable);
    std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
    for (;;) {
      auto [error, n] = co_await asio::async_write(socket, asio::buffer(chunk), asio::as_tuple(use_awaitable));
      if (error) co_return;
    }
  });
  Got got = get(server.url(), {.deadline = std::chrono::seconds(30), .body_limit = 64 * 1024});
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("more than 65536 bytes"), std::string::npos) << got.error;
}

TEST(HttpGet, GivesUpOnASilentServerAtTheDeadline) {
  CannedServer server([](tcp::socket& socket) -> awaitable<void> {
    asio::steady_timer wait(socket.get_executor(), std::chrono::seconds(60));
    co_await wait.async_wait(asio::as_tuple(use_awaitable));
  });
  Got got = get(server.url(), {.deadline = std::chrono::milliseconds(300)});
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("timed out after 300 ms"), std::string::npos) << got.error;
}

TEST(HttpGet, RefusesAnAnswerThatIsNotHttp) {
  CannedServer server(send("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  Got got = get(server.url());
  EXPECT_FALSE(got.response);
  EXPECT_NE(got.error.find("is not an HTTP/1.1 answer"), std::string::npos) << got.error;
}

TEST(HttpGet, FetchesOnlyHttpUrls) {
  for (std::string url : {"ftp://x/crl", "https://127.0.0.1/crl", "http://", "http://127.0.0.1:99999/crl",
                          "http://bad host/crl", "file:///etc/passwd"}) {
    Got got = get(url);
    EXPECT_FALSE(got.response) << url;
    EXPECT_NE(got.error.find("http://HOST[:PORT]/PATH"), std::string::npos) << url << ": " << got.error;
  }
  HttpUrl parsed = parse_http_url("http://[::1]:8080/ca/crl?x=1");
  EXPECT_EQ(parsed.host, "::1");
  EXPECT_EQ(parsed.port, 8080);
  EXPECT_EQ(parsed.target, "/ca/crl?x=1");
  EXPECT_EQ(parse_http_url("http://ca.example").target, "/");
  EXPECT_EQ(parse_http_url("http://ca.example").port, 80);
}

}  // namespace
}  // namespace tlslab::net
