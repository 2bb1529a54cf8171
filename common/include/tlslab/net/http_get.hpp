#pragma once
// One HTTP/1.1 GET of a plain http:// URL, for the CA's published CRL (PROTOCOL.md §9.3), or one
// POST, for OCSP over HTTP to the responder a certificate names (RFC 6960 A.1). The
// answer is attacker-controlled bytes from the network: resolving, connecting, writing and reading
// share one deadline; the header and the body have limits the parser enforces before it allocates
// (a Content-Length above the limit is refused without reading the body); a redirect is not
// followed; any status but 200 is an error. Every failure is an HttpGetError with one line.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/net/asio.hpp"

namespace tlslab::net {

class HttpGetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// http://HOST[:PORT]/PATH, HOST a name or an IP literal ([::1] for IPv6).
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";  // the path and query, as sent in the request line
};
// Throws HttpGetError: "… is not an http:// URL (http://HOST[:PORT]/PATH; https and others are not
// fetched)", and for a bad host or port.
HttpUrl parse_http_url(std::string_view url);

struct HttpGetLimits {
  std::chrono::milliseconds deadline{10000};  // the whole GET
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::string_view what = "the URL";  // names the URL in errors: "the CRL URL redirects to …"
};

// What came back, with what a trace shows of it.
struct HttpGetResponse {
  Bytes body;
  unsigned status = 0;
  std::string content_type;
  std::string etag;
  std::string peer;  // the address connected to, "127.0.0.1:8080"
  double elapsed_ms = 0;
};

// GET `url` (Connection: close). Throws HttpGetError for a URL that is not http://, a failure to
// resolve or connect, the deadline, an answer that is not HTTP/1.x, a header or body over its
// limit, a redirect ("… redirects to LOCATION: not followed"), or a status other than 200.
awaitable<HttpGetResponse> http_get(std::string_view url, const HttpGetLimits& limits);

// POST `body` as `content_type` to `url` (Connection: close), as OCSP over HTTP does (RFC 6960
// A.1: application/ocsp-request). The same limits and the same errors as http_get, each line
// starting "POST URL" where http_get's start "GET URL".
awaitable<HttpGetResponse> http_post(std::string_view url, std::string_view content_type, ByteView body,
                                     std::string_view accept, const HttpGetLimits& limits);

}  // namespace tlslab::net
