#include "crl_http.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "tlslab/crypto/x509.hpp"
#include "tlslab/time.hpp"

namespace tlslab::ca {
namespace http = boost::beast::http;

namespace {

// Arrows 3 and 4 as a CRL fetch carries them (PROTOCOL.md §9.3): the seed's arrows, but arrow 3
// names no certificate, and arrow 4 is the whole list, the same for every client.
constexpr FlowStep crl_request_step{3,
                                    Party::client,
                                    Party::ca,
                                    HandshakeType::status_request,
                                    "CRL request (HTTP GET /crl)",
                                    "asks for the CA's list of revoked certificates; it names no CERTIFICATE, so "
                                    "the CA learns only that someone fetched the list (RFC 5280 §5)"};
constexpr FlowStep crl_response_step{4,
                                     Party::ca,
                                     Party::client,
                                     HandshakeType::status_response,
                                     "CertificateList (HTTP 200)",
                                     "sends every revoked serial, signed with the CA'S PRIVATE KEY (a CRL); the "
                                     "client verifies it with the CA'S PUBLIC KEY and looks the serial up itself"};
constexpr FlowStep crl_not_modified_step{4,
                                         Party::ca,
                                         Party::client,
                                         HandshakeType::status_response,
                                         "304 Not Modified (the client's copy is current)",
                                         "sends no list: the client's copy, named by its ETag, is the current one"};

// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Dec 2026 18:00:00 GMT".
std::string http_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

std::string etag_of(const SignedCrl& crl) {
  return "\"" + std::to_string(crl.number) + "\"";
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// If-None-Match (RFC 9110 §13.1.2): "*", or a list of entity tags compared weakly.
bool names_etag(std::string_view if_none_match, const std::string& etag) {
  while (!if_none_match.empty()) {
    std::size_t comma = if_none_match.find(',');
    std::string_view tag = trimmed(if_none_match.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

std::vector<TraceField> request_fields(const HttpRequest& request, const std::string& peer) {
  std::vector<TraceField> fields{
      {"asked by", "an HTTP client at " + peer + ": a CRL fetch does not say who asks (drawn as the Client)",
       TraceColor::plain},
      {"CERTIFICATE", "none named: the same list is fetched whichever server the client visits", TraceColor::good}};
  if (request.method() == http::verb::head) {
    fields.push_back({"method", "HEAD: the headers only, to see whether the list changed", TraceColor::plain});
  }
  auto if_none_match = request[http::field::if_none_match];
  if (!if_none_match.empty()) {
    fields.push_back({"If-None-Match", peer_text(if_none_match) + " (the list the client has)", TraceColor::plain});
  }
  return fields;
}

std::vector<TraceField> list_fields(const SignedCrl& crl, X509* ca_certificate, std::time_t now) {
  return {
      {"CRL number", std::to_string(crl.number) + " (ETag " + etag_of(crl) + ")", TraceColor::plain},
      {"revoked", std::to_string(crl.revoked_count) + " certificate" + (crl.revoked_count == 1 ? "" : "s"),
       TraceColor::plain},
      {"thisUpdate", utc_time(crl.this_update), TraceColor::plain},
      {"nextUpdate",
       utc_time(crl.next_update) +
           " (Cache-Control max-age=" + std::to_string(std::max<std::time_t>(0, crl.next_update - now)) + ")",
       TraceColor::plain},
      {"signed with",
       "CA'S PRIVATE KEY of " + crypto::subject_of(ca_certificate) + " (" + crl.signature_algorithm + ")",
       TraceColor::ca_key},
  };
}

void set_cache_headers(HttpResponse& response, const SignedCrl& crl, std::time_t now) {
  response.set(http::field::etag, etag_of(crl));
  // A client may keep the list until nextUpdate, and no longer (RFC 5280 §5.1.2.5).
  response.set(http::field::cache_control,
               "max-age=" + std::to_string(std::max<std::time_t>(0, crl.next_update - now)));
  response.set(http::field::last_modified, http_date(crl.this_update));
  response.set(http::field::expires, http_date(crl.next_update));
}

}  // namespace

HttpResponse answer_crl_request(const HttpRequest& request, CrlPublisher& publisher, X509* ca_certificate,
                                SessionTrace& trace, const std::string& peer,
                                const std::shared_ptr<spdlog::logger>& log, std::uint64_t id) {
  // (3) Client → CA: the request for the list, which names no certificate.
  trace.arrow(crl_request_step, std::nullopt, [&] { return request_fields(request, peer); });
  std::time_t now = std::time(nullptr);
  CrlPublisher::Published published;
  try {
    published = publisher.current(now);
  } catch (const std::exception& error) {
    log->error("[conn {}] cannot sign the CRL: {}", id, error.what());
    trace.outcome(false, "CRL not published", std::string("the CA could not sign its list: ") + error.what());
    return text_response(request.version(), http::status::internal_server_error, "the CA cannot sign its CRL now\n");
  }
  const SignedCrl& crl = *published.crl;
  if (!published.signed_because.empty()) {
    trace.local(Party::ca, "signs its CRL", "reads every revoked certificate from its database and signs the list",
                [&] {
                  return std::vector<TraceField>{
                      {"why", published.signed_because, TraceColor::plain},
                      {"database says", std::to_string(crl.revoked_count) + " revoked", TraceColor::plain}};
                });
  }
  std::string etag = etag_of(crl);
  HttpResponse response;
  if (names_etag(request[http::field::if_none_match], etag)) {
    // (4) CA → Client: nothing new; the client's copy is the current list.
    response = HttpResponse(http::status::not_modified, request.version());
    set_cache_headers(response, crl, now);
    trace.arrow(crl_not_modified_step, std::nullopt, [&] {
      return std::vector<TraceField>{
          {"CRL number", std::to_string(crl.number) + " (ETag " + etag + "): the client has it, nothing is sent again",
           TraceColor::plain}};
    });
    return response;
  }
  // (4) CA → Client: the CertificateList, signed with the CA'S PRIVATE KEY.
  response = HttpResponse(http::status::ok, request.version());
  response.set(http::field::content_type, "application/pkix-crl");
  set_cache_headers(response, crl, now);
  if (request.method() == http::verb::head) {
    response.content_length(crl.der.size());  // what a GET would send, and no body
  } else {
    response.body() = crl.der;
    response.prepare_payload();
  }
  trace.arrow(crl_response_step, std::nullopt, [&] { return list_fields(crl, ca_certificate, now); });
  log->debug("[conn {}] CRL #{} sent to {}", id, crl.number, peer);
  return response;
}

}  // namespace tlslab::ca
