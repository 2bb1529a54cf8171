#include "tlslab/net/ocsp_over_http.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "tlslab/crypto/random.hpp"
#include "tlslab/net/http_get.hpp"
#include "tlslab/text.hpp"
#include "tlslab/time.hpp"

namespace tlslab::net {
namespace {

Failure refused(std::string reason) {
  return fail(AlertDescription::bad_certificate_status_response, std::move(reason));
}

// RFC 6960 §4.4.1 recommends a nonce; 16 bytes is what OpenSSL's own client sends.
constexpr std::size_t nonce_size = 16;

}  // namespace

std::string_view to_string(OcspVerdict verdict) {
  switch (verdict) {
    case OcspVerdict::good: return "good";
    case OcspVerdict::revoked: return "revoked";
    case OcspVerdict::unknown: return "unknown";
    case OcspVerdict::does_not_verify: return "does not verify";
  }
  return "?";
}

Result<std::optional<std::string>> ocsp_responder_url(X509* certificate) {
  using Strings =
      std::unique_ptr<STACK_OF(OPENSSL_STRING), decltype([](STACK_OF(OPENSSL_STRING) * s) { X509_email_free(s); })>;
  Strings urls(X509_get1_ocsp(certificate));
  ERR_clear_error();
  if (!urls || sk_OPENSSL_STRING_num(urls.get()) == 0) return std::optional<std::string>();
  std::string first_refusal;
  for (int i = 0; i < sk_OPENSSL_STRING_num(urls.get()); ++i) {
    std::string url = sk_OPENSSL_STRING_value(urls.get(), i);
    try {
      (void)parse_http_url(url);
      return std::optional<std::string>(std::move(url));
    } catch (const HttpGetError& e) {
      if (first_refusal.empty()) first_refusal = e.what();
    }
  }
  // parse_http_url's line already shows the URL escaped.
  return refused("the certificate's OCSP responder (Authority Information Access) " + first_refusal + ": not asked");
}

Bytes build_ocsp_request(X509* certificate, X509* issuer, ByteView nonce) {
  ossl::OcspRequest request(OCSP_REQUEST_new());
  ossl::check(request != nullptr, "OCSP_REQUEST_new");
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), certificate, issuer);
  ossl::check(id != nullptr, "OCSP_cert_to_id");
  if (OCSP_request_add0_id(request.get(), id) == nullptr) {
    OCSP_CERTID_free(id);
    ossl::check(false, "OCSP_request_add0_id");
  }
  ossl::check(OCSP_request_add1_nonce(request.get(), const_cast<unsigned char*>(nonce.data()),
                                      static_cast<int>(nonce.size())) == 1,
              "OCSP_request_add1_nonce");
  unsigned char* der = nullptr;
  int length = i2d_OCSP_REQUEST(request.get(), &der);
  ossl::check(length > 0, "i2d_OCSP_REQUEST");
  Bytes bytes(der, der + length);
  OPENSSL_free(der);
  return bytes;
}

OcspVerdict OcspOverHttp::verdict() const {
  if (!verified) return OcspVerdict::does_not_verify;
  switch (verified->answer.status) {
    case crypto::CertStatus::good: return OcspVerdict::good;
    case crypto::CertStatus::revoked: return OcspVerdict::revoked;
    case crypto::CertStatus::unknown: return OcspVerdict::unknown;
  }
  return OcspVerdict::does_not_verify;
}

std::string OcspOverHttp::summary() const {
  if (!verified) return "does not verify: " + verified.failure().reason;
  const crypto::StatusAnswer& answer = verified->answer;
  switch (answer.status) {
    case crypto::CertStatus::good: return "good (thisUpdate " + utc_time(verified->this_update) + ")";
    case crypto::CertStatus::revoked:
      return "revoked at " + utc_time(answer.revocation_time) + " (" +
             std::string(answer.revocation_reason >= 0 ? crypto::revocation_reason_name(answer.revocation_reason)
                                                       : std::string_view("no reason given")) +
             ")";
    case crypto::CertStatus::unknown: return "unknown: the responder does not know this certificate";
  }
  return "?";
}

awaitable<OcspOverHttp> ask_ocsp_responder(OcspQuery query) {
  OcspOverHttp exchange;
  exchange.url = query.url;
  exchange.nonce = crypto::random_bytes(nonce_size);
  exchange.request_der = build_ocsp_request(query.certificate, query.issuer, exchange.nonce);
  try {
    HttpGetResponse response =
        co_await http_post(query.url, "application/ocsp-request", exchange.request_der, "application/ocsp-response",
                           {query.deadline, 8 * 1024, max_ocsp_response_size, "the OCSP responder URL"});
    exchange.peer = response.peer;
    exchange.elapsed_ms = response.elapsed_ms;
    exchange.response_der = std::move(response.body);
  } catch (const HttpGetError& e) {
    exchange.verified = refused(std::string("asking the OCSP responder: ") + e.what());
    co_return exchange;
  }
  // The answer is verified with the issuer's key: the trust store's anchor when the issuer is one,
  // else the issuer the caller verified a chain through (an intermediate CA).
  const crypto::TrustStore* trust = query.trust;
  std::optional<crypto::TrustStore> issuer_only;
  if (trust == nullptr || trust->issuer_of(query.certificate) == nullptr) {
    X509_up_ref(query.issuer);
    std::vector<ossl::X509Ptr> anchors;
    anchors.emplace_back(query.issuer);
    issuer_only.emplace(std::move(anchors));
    trust = &*issuer_only;
  }
  exchange.verified = crypto::verify_ocsp_response(exchange.response_der, *trust, query.certificate, exchange.nonce);
  co_return exchange;
}

}  // namespace tlslab::net
