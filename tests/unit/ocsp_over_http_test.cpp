// net::ask_ocsp_responder and net::ocsp_responder_url (ocsp_over_http.hpp), and http_post: OCSP over
// HTTP as the web does it (RFC 6960 A.1), against a responder on 127.0.0.1:0 that reads one POST and
// answers it: good, revoked, and what a hostile or broken responder does (an error status, a
// redirect, a huge Content-Length, garbage, an answer about another serial, no nonce or another
// nonce, silence); and an Authority Information Access URL that is not http:// is never fetched.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <functional>
#include <future>
#include <string>
#include <thread>

#include "test_pki.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/net/http_get.hpp"
#include "tlslab/net/ocsp_over_http.hpp"

namespace tlslab::net {
namespace {

using test::test_pki;

struct Received {
  std::string head;  // request line and header fields
  Bytes body;
};

// Accepts one connection on 127.0.0.1:0, reads one whole request (its Content-Length body too) and
// hands it to `answer`.
class Responder {
 public:
  using Answer = std::function<awaitable<void>(tcp::socket&, const Received&)>;
  explicit Responder(Answer answer) : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(
        io_,
        [this, answer = std::move(answer)]() -> awaitable<void> {
          tcp::socket socket = co_await acceptor_.async_accept(use_awaitable);
          std::string bytes;
          char buffer[4096];
          std::size_t end = std::string::npos;
          while ((end = bytes.find("\r\n\r\n")) == std::string::npos) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), use_awaitable);
            bytes.append(buffer, n);
          }
          Received received;
          received.head = bytes.substr(0, end + 4);
          std::size_t length = 0;
          if (auto at = received.head.find("Content-Length: "); at != std::string::npos) {
            length = std::stoul(received.head.substr(at + 16));
          }
          std::string body = bytes.substr(end + 4);
          while (body.size() < length) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(buffer), use_awaitable);
            body.append(buffer, n);
          }
          received.body.assign(body.begin(), body.end());
          received_.set_value(received);
          co_await answer(socket, received);
        },
        asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Responder() {
    io_.stop();
    thread_.join();
  }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/";
  }
  std::future<Received> received() { return received_.get_future(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::promise<Received> received_;
  std::thread thread_;
};

awaitable<void> write_and_close(tcp::socket& socket, std::string bytes) {
  co_await asio::async_write(socket, asio::buffer(bytes), use_awaitable);
  socket.close();
}

std::string http_200(const Bytes& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body.begin(), body.end());
}

enum class NonceReply : std::uint8_t { copied, none, other };

// The CA's answer to the received request: the status of its (first) CertID, or of `serial_of` when
// given (an answer about another certificate), with the nonce copied, left out or replaced.
Bytes answer_to(const Received& received, crypto::StatusAnswer status, NonceReply nonce = NonceReply::copied,
                X509* serial_of = nullptr) {
  const unsigned char* cursor = received.body.data();
  ossl::OcspRequest request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(received.body.size())));
  ossl::check(request != nullptr, "d2i_OCSP_REQUEST");
  const auto& pki = test_pki();
  crypto::ResponderIdentity responder{pki.ca.certificate.get(), pki.ca.key.get()};
  ossl::OcspCertId other;
  OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), 0));
  if (serial_of != nullptr) {
    other.reset(OCSP_cert_to_id(EVP_sha1(), serial_of, pki.ca.certificate.get()));
    id = other.get();
  }
  crypto::SingleAnswer single{id, status};
  Bytes other_nonce(16, 0x42);
  return crypto::build_ocsp_response(responder, std::span<const crypto::SingleAnswer>(&single, 1),
                                     nonce == NonceReply::other ? std::optional<ByteView>(other_nonce) : std::nullopt,
                                     nonce == NonceReply::copied ? request.get() : nullptr, std::chrono::seconds(3600),
                                     std::time(nullptr));
}

Responder::Answer answering(crypto::StatusAnswer status, NonceReply nonce = NonceReply::copied,
                            X509* serial_of = nullptr) {
  return [=](tcp::socket& socket, const Received& received) -> awaitable<void> {
    co_await write_and_close(socket, http_200(answer_to(received, status, nonce, serial_of)));
  };
}

Responder::Answer sending(std::string bytes) {
  return [bytes = std::move(bytes)](tcp::socket& socket, const Received&) -> awaitable<void> {
    co_await write_and_close(socket, bytes);
  };
}

OcspOverHttp ask(const std::string& url, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  static const crypto::TrustStore trust = test::trust_store_with_test_ca();
  const auto& pki = test_pki();
  OcspQuery query{pki.server_certificate.get(), pki.ca.certificate.get(), &trust, url, deadline};
  asio::io_context io;
  std::optional<OcspOverHttp> result;
  asio::co_spawn(io, ask_ocsp_responder(query), [&](std::exception_ptr error, OcspOverHttp exchange) {
    if (error) std::rethrow_exception(error);
    result = std::move(exchange);
  });
  io.run();
  return std::move(*result);
}

std::string reason_of(const OcspOverHttp& exchange) {
  return exchange.verified ? std::string("(it verified)") : exchange.verified.failure().reason;
}

TEST(OcspOverHttp, PostsAnOcspRequestWithANonceAndVerifiesAGoodAnswer) {
  Responder responder(answering({crypto::CertStatus::good}));
  auto received = responder.received();
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::good) << reason_of(exchange);
  EXPECT_EQ(exchange.summary().rfind("good (thisUpdate ", 0), 0u) << exchange.summary();
  Received request = received.get();
  EXPECT_EQ(request.head.rfind("POST / HTTP/1.1\r\n", 0), 0u) << request.head;
  EXPECT_NE(request.head.find("Content-Type: application/ocsp-request\r\n"), std::string::npos) << request.head;
  EXPECT_EQ(request.body, exchange.request_der);
  EXPECT_FALSE(exchange.response_der.empty());
  EXPECT_EQ(exchange.peer.rfind("127.0.0.1:", 0), 0u) << exchange.peer;

  // The request is a standard OCSPRequest: OpenSSL reads its CertID (SHA-1, the issuer's name and
  // key, the serial) and its nonce.
  const unsigned char* cursor = exchange.request_der.data();
  ossl::OcspRequest parsed(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(exchange.request_der.size())));
  ASSERT_NE(parsed, nullptr);
  ASSERT_EQ(OCSP_request_onereq_count(parsed.get()), 1);
  ossl::OcspCertId expected(
      OCSP_cert_to_id(EVP_sha1(), test_pki().server_certificate.get(), test_pki().ca.certificate.get()));
  EXPECT_EQ(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(parsed.get(), 0)), expected.get()), 0);
  EXPECT_EQ(exchange.nonce.size(), 16u);
  EXPECT_GE(OCSP_REQUEST_get_ext_by_NID(parsed.get(), NID_id_pkix_OCSP_Nonce, -1), 0);
}

TEST(OcspOverHttp, TwoRequestsCarryDifferentNonces) {
  Responder first(answering({crypto::CertStatus::good}));
  Responder second(answering({crypto::CertStatus::good}));
  EXPECT_NE(ask(first.url()).nonce, ask(second.url()).nonce);
}

TEST(OcspOverHttp, ARevokedAnswerSaysWhenAndWhy) {
  std::time_t when = std::time(nullptr) - 3600;
  Responder responder(answering({crypto::CertStatus::revoked, when, OCSP_REVOKED_STATUS_KEYCOMPROMISE}));
  OcspOverHttp exchange = ask(responder.url());
  ASSERT_EQ(exchange.verdict(), OcspVerdict::revoked) << reason_of(exchange);
  EXPECT_EQ(exchange.verified->answer.revocation_time, when);
  EXPECT_NE(exchange.summary().find("(keyCompromise)"), std::string::npos) << exchange.summary();
}

TEST(OcspOverHttp, AnUnknownAnswerIsUnknown) {
  Responder responder(answering({crypto::CertStatus::unknown}));
  EXPECT_EQ(ask(responder.url()).verdict(), OcspVerdict::unknown);
}

TEST(OcspOverHttp, AnErrorStatusDoesNotVerify) {
  Responder responder(sending("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("answered HTTP 500 Internal Server Error, not 200 OK"), std::string::npos)
      << reason_of(exchange);
  EXPECT_EQ(reason_of(exchange).find('\n'), std::string::npos);
}

TEST(OcspOverHttp, DoesNotFollowARedirect) {
  Responder responder(
      sending("HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/ocsp\r\nContent-Length: 0\r\n\r\n"));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("the OCSP responder URL redirects to http://elsewhere.example/ocsp: not followed"),
            std::string::npos)
      << reason_of(exchange);
}

TEST(OcspOverHttp, RefusesAHugeContentLengthBeforeReadingTheBody) {
  // 1 GiB announced, none of it sent: the refusal cannot come from reading it.
  Responder responder([](tcp::socket& socket, const Received&) -> awaitable<void> {
    std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(header), use_awaitable);
    asio::steady_timer wait(socket.get_executor(), std::chrono::seconds(60));
    co_await wait.async_wait(asio::as_tuple(use_awaitable));
  });
  OcspOverHttp exchange = ask(responder.url(), std::chrono::seconds(30));
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("announces 1073741824 bytes, more than 65536 bytes: refused"), std::string::npos)
      << reason_of(exchange);
}

TEST(OcspOverHttp, ABodyThatIsNotOcspDoesNotVerify) {
  Responder responder(sending("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("is not a DER OCSPResponse"), std::string::npos) << reason_of(exchange);
}

TEST(OcspOverHttp, AnAnswerAboutAnotherSerialDoesNotVerify) {
  Responder responder(answering({crypto::CertStatus::good}, NonceReply::copied, test_pki().second_certificate.get()));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("about another certificate"), std::string::npos) << reason_of(exchange);
}

TEST(OcspOverHttp, AnAnswerWithoutOurNonceDoesNotVerify) {
  Responder responder(answering({crypto::CertStatus::good}, NonceReply::none));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("carries no nonce: it may be a replay"), std::string::npos) << reason_of(exchange);
}

TEST(OcspOverHttp, AnAnswerWithAnotherNonceDoesNotVerify) {
  Responder responder(answering({crypto::CertStatus::good}, NonceReply::other));
  OcspOverHttp exchange = ask(responder.url());
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("nonce differs from ours"), std::string::npos) << reason_of(exchange);
}

TEST(OcspOverHttp, GivesUpOnAStalledResponderAtTheDeadline) {
  Responder responder([](tcp::socket& socket, const Received&) -> awaitable<void> {
    asio::steady_timer wait(socket.get_executor(), std::chrono::seconds(60));
    co_await wait.async_wait(asio::as_tuple(use_awaitable));
  });
  OcspOverHttp exchange = ask(responder.url(), std::chrono::milliseconds(300));
  EXPECT_EQ(exchange.verdict(), OcspVerdict::does_not_verify);
  EXPECT_NE(reason_of(exchange).find("POST " + responder.url() + " timed out after 300 ms"), std::string::npos)
      << reason_of(exchange);
}

// A certificate from the test CA whose Authority Information Access names `url` as its OCSP
// responder, written as is (issue_certificate would refuse most of these).
ossl::X509Ptr with_ocsp_responder(const std::string& url) {
  const auto& pki = test_pki();
  ossl::X509Ptr certificate(X509_dup(pki.server_certificate.get()));
  X509V3_CTX context;
  X509V3_set_ctx(&context, pki.ca.certificate.get(), certificate.get(), nullptr, nullptr, 0);
  ossl::X509Extension extension(X509V3_EXT_conf_nid(nullptr, &context, NID_info_access, ("OCSP;URI:" + url).c_str()));
  ossl::check(extension != nullptr, "X509V3_EXT_conf_nid");
  ossl::check(X509_add_ext(certificate.get(), extension.get(), -1) == 1, "X509_add_ext");
  ossl::check(X509_sign(certificate.get(), pki.ca.key.get(), EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

TEST(OcspResponderUrl, ReadsTheHttpResponderFromTheCertificate) {
  ca::IssueRequest request{"ocsp.test", {"DNS:ocsp.test"}, ca::validity_from_now(30), ca::Role::server};
  request.ocsp_url = "http://127.0.0.1:8080/ocsp";
  ossl::X509Ptr certificate = ca::issue_certificate(test_pki().ca, test_pki().server_key.get(), request);
  auto url = ocsp_responder_url(certificate.get());
  ASSERT_TRUE(url) << url.failure().reason;
  EXPECT_EQ(url.value(), std::optional<std::string>("http://127.0.0.1:8080/ocsp"));
}

TEST(OcspResponderUrl, ACertificateWithoutAResponderNamesNone) {
  auto url = ocsp_responder_url(test_pki().server_certificate.get());
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->has_value());
}

TEST(OcspResponderUrl, RefusesAResponderThatIsNotPlainHttpInOneLine) {
  for (std::string url : {"https://ocsp.example/", "file:///etc/passwd", "http:///no-host", "ldap://ca.example/"}) {
    ossl::X509Ptr certificate = with_ocsp_responder(url);
    auto found = ocsp_responder_url(certificate.get());
    ASSERT_FALSE(found) << url;
    EXPECT_EQ(found.failure().alert, AlertDescription::bad_certificate_status_response);
    EXPECT_NE(found.failure().reason.find("is not an http:// URL"), std::string::npos) << found.failure().reason;
    EXPECT_NE(found.failure().reason.find("not asked"), std::string::npos) << found.failure().reason;
    EXPECT_EQ(found.failure().reason.find('\n'), std::string::npos);
  }
}

TEST(IssueOcspUrl, RefusesAUrlThatIsNotHttpToAHostWithOneEscapedLine) {
  for (std::string url : {"https://ca.example:80/", "file:///x", "http://", "http://a b:80/", "http://ca:99999/",
                          "http://ca:80/\x1b[31m"}) {
    ca::IssueRequest request{"ocsp.test", {"DNS:ocsp.test"}, ca::validity_from_now(30), ca::Role::server};
    request.ocsp_url = url;
    try {
      (void)ca::issue_certificate(test_pki().ca, test_pki().server_key.get(), request);
      ADD_FAILURE() << url << " was accepted";
    } catch (const std::invalid_argument& e) {
      std::string line = e.what();
      EXPECT_NE(line.find("--ocsp-url"), std::string::npos) << line;
      EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
      EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace tlslab::net
