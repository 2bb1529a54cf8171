#include "ocsp_http.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <vector>

#include "crl_http.hpp"
#include "database.hpp"
#include "http_answer.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/endpoint.hpp"
#include "tlslab/time.hpp"

namespace tlslab::ca {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t max_request_body = 64 * 1024;  // an OCSPRequest is a few hundred bytes
// A request may name many certificates (within its 64 KiB): the trace shows this many, then a count.
constexpr int max_traced_certificates = 8;

// Arrows 3 and 4 as standard OCSP over HTTP carries them: the seed's arrows, RFC 6960's messages.
// Whoever asks is drawn as the Client (the seed's asker); the request does not say who it is.
constexpr FlowStep ocsp_request_step{3,
                                     Party::client,
                                     Party::ca,
                                     HandshakeType::status_request,
                                     "OCSPRequest (HTTP POST)",
                                     "sends the CERTIFICATE's ID for authentication (standard OCSP, RFC 6960)"};
constexpr FlowStep ocsp_response_step{4,
                                      Party::ca,
                                      Party::client,
                                      HandshakeType::status_response,
                                      "OCSPResponse (HTTP 200)",
                                      "sends ACK for the certificate, signed with the CA'S PRIVATE KEY (an OCSP "
                                      "response); the client verifies it with the CA'S PUBLIC KEY"};

std::string serial_text(ASN1_INTEGER* serial) {
  ossl::BigNum number(serial ? ASN1_INTEGER_to_BN(serial, nullptr) : nullptr);
  if (!number) return "(none)";
  char* hex = BN_bn2hex(number.get());
  std::string text = Database::normalize_serial(hex ? hex : "");
  OPENSSL_free(hex);
  return text;
}

// One CertID of the request: its serial, and whether its issuer hashes are this CA's name and key.
struct CertificateAsked {
  std::string serial;
  std::string hash;  // the hash of the issuer's name and key: "SHA1"
  bool issued_here = false;
};

CertificateAsked certificate_asked(const Responder& responder, OCSP_CERTID* id) {
  ASN1_OBJECT* hash_algorithm = nullptr;
  ASN1_INTEGER* serial = nullptr;
  OCSP_id_get0_info(nullptr, &hash_algorithm, nullptr, &serial, id);
  const EVP_MD* md = hash_algorithm ? EVP_get_digestbyobj(hash_algorithm) : nullptr;
  X509* ca = responder.ca_certificate();
  CertificateAsked asked{serial_text(serial), md != nullptr ? EVP_MD_get0_name(md) : "unknown", false};
  if (md != nullptr && serial != nullptr) {
    ossl::OcspCertId ca_id(OCSP_cert_id_new(md, X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), serial));
    asked.issued_here = ca_id && OCSP_id_issuer_cmp(ca_id.get(), id) == 0;
  }
  ERR_clear_error();
  return asked;
}

std::string nonce_of(OCSP_REQUEST* request) {
  int at = OCSP_REQUEST_get_ext_by_NID(request, NID_id_pkix_OCSP_Nonce, -1);
  X509_EXTENSION* extension = at >= 0 ? OCSP_REQUEST_get_ext(request, at) : nullptr;
  if (extension == nullptr) return "none: the answer can be checked by its time only";
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
  return to_hex(ByteView(ASN1_STRING_get0_data(value), static_cast<std::size_t>(ASN1_STRING_length(value))));
}

std::vector<TraceField> request_fields(const Responder& responder, OCSP_REQUEST* request, const std::string& peer) {
  std::vector<TraceField> fields{
      {"asked by", "an HTTP client at " + peer + ": OCSP over HTTP does not say who asks (drawn as the Client)",
       TraceColor::plain}};
  int count = OCSP_request_onereq_count(request);
  for (int i = 0; i < count && i < max_traced_certificates; ++i) {
    CertificateAsked asked = certificate_asked(responder, OCSP_onereq_get0_id(OCSP_request_onereq_get0(request, i)));
    fields.push_back({"CERTIFICATE",
                      "serial " + asked.serial + ", its issuer named by " + asked.hash +
                          " hashes: " + (asked.issued_here ? "this CA" : "not this CA"),
                      TraceColor::certificate});
  }
  if (count > max_traced_certificates) {
    fields.push_back(
        {"CERTIFICATE", "… and " + std::to_string(count - max_traced_certificates) + " more", TraceColor::certificate});
  }
  fields.push_back({"nonce", nonce_of(request), TraceColor::plain});
  return fields;
}

TraceField database_says(const Responder::SignedSingle& single) {
  std::string found;
  switch (single.status.status) {
    case crypto::CertStatus::good: found = "good: issued here, not revoked"; break;
    case crypto::CertStatus::revoked:
      found = "revoked at " + utc_time(single.status.revocation_time) + " (" +
              std::string(crypto::revocation_reason_name(single.status.revocation_reason)) + ")";
      break;
    case crypto::CertStatus::unknown:
      found = single.issued_here ? "unknown: no record of this serial" : "unknown: not issued by this CA";
      break;
  }
  return {"database says", found + " (serial " + single.serial + ")",
          single.status.status == crypto::CertStatus::good ? TraceColor::good : TraceColor::bad};
}

// Arrows 3 and 4 of one OCSP request over HTTP, with the database lookup between them; a body that
// is not an OCSPRequest, or an answer that is not a signed one, is one failure line. What was signed
// is taken from the responder as it signed it: parsing the answer back (the CA certificate in it,
// its key above all) cost more than the signature.
void trace_exchange(SessionTrace& trace, const Responder& responder, ByteView body, const Responder::OcspAnswer& answer,
                    const std::string& peer) {
  if (!trace.enabled()) return;
  const unsigned char* cursor = body.data();
  ossl::OcspRequest request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(body.size())));
  if (!request || cursor != body.data() + body.size() || OCSP_request_onereq_count(request.get()) < 1) {
    ERR_clear_error();
    trace.outcome(false, "OCSP request over HTTP refused",
                  "the body (" + std::to_string(body.size()) +
                      " bytes) is not a DER OCSPRequest: answered malformedRequest, unsigned");
    return;
  }
  trace.arrow(ocsp_request_step, std::nullopt, [&] { return request_fields(responder, request.get(), peer); });

  if (!answer.signed_answer) {
    trace.outcome(
        false, "OCSP request over HTTP not answered",
        std::string("answered ") + OCSP_response_status_str(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST) + ", unsigned");
    return;
  }
  trace.local(Party::ca, "checks its database", "looks up each serial asked about in its database", [&] {
    std::vector<TraceField> fields;
    for (const auto& single : answer.singles) fields.push_back(database_says(single));
    return fields;
  });
  trace.arrow(ocsp_response_step, std::nullopt, [&] {
    std::vector<TraceField> fields;
    for (const auto& single : answer.singles) {
      fields.push_back({"signed",
                        "OCSP BasicResponse for serial " + single.serial + " (" +
                            std::string(crypto::to_string(single.status.status)) + "), thisUpdate " +
                            utc_time(answer.this_update) + ", nextUpdate " + utc_time(answer.next_update),
                        TraceColor::plain});
    }
    fields.push_back({"nonce", nonce_of(request.get()), TraceColor::plain});
    fields.push_back({"signed with",
                      "CA'S PRIVATE KEY of " + crypto::subject_of(responder.ca_certificate()) + " (" +
                          responder.signature_algorithm() + ")",
                      TraceColor::ca_key});
    return fields;
  });
}

}  // namespace

awaitable<void> serve_ocsp_http_connection(tcp::socket socket, std::uint64_t id, StatusContext& context,
                                           CrlPublisher* crl) {
  const Responder& responder = context.responder;
  const ServiceOptions& options = context.options;
  const auto& log = context.log;
  boost::system::error_code gone;
  tcp::endpoint endpoint = socket.remote_endpoint(gone);
  std::string peer = gone ? "(peer gone)" : net::endpoint_text(endpoint);
  SessionTrace trace(context.trace, id);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (std::uint64_t answered = 0; answered < options.max_requests_per_connection; ++answered) {
    http::request_parser<http::vector_body<std::uint8_t>> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(max_request_body);
    stream.expires_after(options.request_deadline);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(use_awaitable));
    if (read_error) {
      if (read_error != http::error::end_of_stream && read_error != asio::error::eof) {
        log->info("[conn {}] HTTP request (OCSP or CRL) not read: {}", id, read_error.message());
        trace.outcome(false, "HTTP request (OCSP or CRL) not read", read_error.message());
      }
      break;
    }
    auto request = parser.release();
    HttpResponse response;
    auto content_type = request[http::field::content_type];
    bool get_or_head = request.method() == http::verb::get || request.method() == http::verb::head;
    if (request.target() == crl_target && crl != nullptr) {
      if (get_or_head) {
        response = answer_crl_request(request, *crl, responder.ca_certificate(), trace, peer, log, id);
      } else {
        response = text_response(request.version(), http::status::method_not_allowed, "GET or HEAD the CRL\n");
        response.set(http::field::allow, "GET, HEAD");
        trace.outcome(false, "not a CRL request",
                      "HTTP " + peer_text(request.method_string()) + " /crl, not GET: answered 405 Method Not Allowed");
      }
    } else if (get_or_head && request.target() != "/") {
      // Only /crl is served: a target is never a file name (no /../ca.key, no query string).
      response = text_response(
          request.version(), http::status::not_found,
          crl != nullptr ? "not found: the CRL is at /crl, OCSP is POST /\n" : "not found: OCSP is POST /\n");
      trace.outcome(false, "not a CRL or OCSP request",
                    "HTTP " + peer_text(request.method_string()) + " " + peer_text(request.target()) +
                        ": answered 404 Not Found");
    } else if (request.method() != http::verb::post) {
      response = text_response(request.version(), http::status::method_not_allowed,
                               "POST an application/ocsp-request (RFC 6960 A.1)\n");
      response.set(http::field::allow, "POST");
      trace.outcome(false, "not an OCSP request",
                    "HTTP " + peer_text(request.method_string()) + ", not POST: answered 405 Method Not Allowed");
    } else if (content_type != "application/ocsp-request") {
      response = text_response(request.version(), http::status::unsupported_media_type,
                               "Content-Type must be application/ocsp-request\n");
      trace.outcome(false, "not an OCSP request",
                    "Content-Type '" + peer_text(content_type) +
                        "', not application/ocsp-request: answered 415 Unsupported Media Type");
    } else {
      response = {http::status::ok, request.version()};
      response.set(http::field::content_type, "application/ocsp-response");
      Responder::OcspAnswer answer = responder.decide_ocsp_request(request.body());
      trace_exchange(trace, responder, request.body(), answer, peer);
      response.body() = std::move(answer.ocsp_response);
      response.prepare_payload();
    }
    response.keep_alive(request.keep_alive());
    stream.expires_after(options.request_deadline);
    auto [write_error, written] = co_await http::async_write(stream, response, asio::as_tuple(use_awaitable));
    if (write_error || !response.keep_alive()) break;
  }
  // The socket closes here (FIN), as `openssl ocsp` ends each exchange: no separate shutdown call.
}

}  // namespace tlslab::ca
