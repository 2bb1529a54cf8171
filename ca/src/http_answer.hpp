#pragma once
// What the CA's HTTP listener (OCSP POSTs, GET /crl) shares: its message types, a one-line text
// answer, and how a value a peer chose is shown (cut short, then made printable by the trace).
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace tlslab::ca {

using HttpRequest = boost::beast::http::request<boost::beast::http::vector_body<std::uint8_t>>;
using HttpResponse = boost::beast::http::response<boost::beast::http::vector_body<std::uint8_t>>;

// What a peer chose (a method, a Content-Type, a target, an If-None-Match) is shown cut to this length.
inline constexpr std::size_t max_peer_text = 64;

inline std::string peer_text(std::string_view text) {
  return text.size() <= max_peer_text ? std::string(text) : std::string(text.substr(0, max_peer_text)) + "…";
}

inline HttpResponse text_response(unsigned version, boost::beast::http::status status, std::string_view text) {
  HttpResponse response(status, version);
  response.set(boost::beast::http::field::content_type, "text/plain");
  response.body().assign(text.begin(), text.end());
  response.prepare_payload();
  return response;
}

}  // namespace tlslab::ca
