// The CA's standard OCSP over HTTP (PROTOCOL.md §9, RFC 6960 Appendix A): the body of a
// `POST /` with Content-Type application/ocsp-request, answered by Responder::answer_ocsp_request
// of the fixed CA of fixed_ca.hpp.
//
// Input: the request body, a DER OCSPRequest. The answer must always be one DER OCSPResponse:
//   - malformedRequest when the body is not one OCSPRequest with at least one CertID, each of
//     which can be copied into the answer;
//   - otherwise successful, signed by the CA, one SingleResponse per CertID, and the request's
//     nonce copied when it has one (RFC 6960 §4.4.1).
// The seeds' CertIDs name the issuer of the run that made them, not the fixed CA, so every request
// that parses is also asked again with each CertID re-targeted to the fixed CA (same hash
// algorithm and serial): then each answer must be what the database holds for that serial.
// Seeds: tests/fuzz/corpus/fuzz_ca_ocsp_http/ (make_corpus.py, from `openssl ocsp` requests).
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <vector>

#include "fixed_ca.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace tlslab;
using fuzz::expected_status;
using fuzz::fixed_ca;
using fuzz::FixedCa;

ossl::OcspResponse parse_response(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  fuzz::require(response != nullptr && cursor == der.data() + der.size(),
                "the CA's answer is not one DER OCSPResponse");
  return response;
}

// The request as the responder parses it, or nullptr when it must be answered malformedRequest.
ossl::OcspRequest parse_request(ByteView der) {
  const unsigned char* cursor = der.data();
  ossl::OcspRequest request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size())));
  if (!request || cursor != der.data() + der.size() || OCSP_request_onereq_count(request.get()) < 1) return nullptr;
  // The answer copies each CertID: one that parses but cannot be copied makes the request malformed.
  for (int i = 0; i < OCSP_request_onereq_count(request.get()); ++i) {
    ossl::OcspCertId copy(OCSP_CERTID_dup(OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i))));
    if (!copy) return nullptr;
  }
  return request;
}

// Successful, signed by the CA, one SingleResponse per CertID, nonce as in the request.
ossl::OcspBasicResponse check_successful(const Bytes& answer, OCSP_REQUEST* request) {
  FixedCa& ca = fixed_ca();
  auto response = parse_response(answer);
  fuzz::require(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL,
                "a request that parses gets a successful response");
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(response.get()));
  fuzz::require(basic != nullptr, "a successful response holds a BasicOCSPResponse");
  fuzz::require(OCSP_resp_count(basic.get()) == OCSP_request_onereq_count(request), "one SingleResponse per CertID");
  // OCSP_NOCHECKS: a CertID may name another issuer (then the answer is `unknown`, and a client
  // rightly refuses the CA as responder for it); the signature and the CA's chain are still checked.
  fuzz::require(OCSP_basic_verify(basic.get(), ca.trust->anchors(), ca.trust->store(), OCSP_NOCHECKS) == 1,
                "the answer is signed by the CA");
  // 1: both carry the same nonce; 2: neither has one. -1 (dropped) and 0 (changed) are bugs; 3
  // (a nonce the request did not have) too.
  int nonce = OCSP_check_nonce(request, basic.get());
  fuzz::require(nonce == 1 || nonce == 2, "the answer's nonce is not the request's");
  return basic;
}

// The same request with each CertID re-targeted to the fixed CA; nullptr when none can be.
ossl::OcspRequest retargeted(OCSP_REQUEST* original) {
  FixedCa& ca = fixed_ca();
  ossl::OcspRequest request(OCSP_REQUEST_new());
  ossl::check(request != nullptr, "OCSP_REQUEST_new");
  for (int i = 0; i < OCSP_request_onereq_count(original); ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(original, i));
    ASN1_OBJECT* hash_algorithm = nullptr;
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, &hash_algorithm, nullptr, &serial, id);
    const EVP_MD* md = EVP_get_digestbyobj(hash_algorithm);
    if (md == nullptr || serial == nullptr) continue;
    OCSP_CERTID* ours = OCSP_cert_id_new(md, X509_get_subject_name(ca.certificate.get()),
                                         X509_get0_pubkey_bitstr(ca.certificate.get()), serial);
    if (ours == nullptr) continue;
    if (OCSP_request_add0_id(request.get(), ours) == nullptr) {
      OCSP_CERTID_free(ours);
      continue;
    }
  }
  if (OCSP_request_onereq_count(request.get()) < 1) return nullptr;
  // Keep the nonce, if any, so that copying it is checked on this path too.
  int at = OCSP_REQUEST_get_ext_by_NID(original, NID_id_pkix_OCSP_Nonce, -1);
  if (at >= 0)
    ossl::check(OCSP_REQUEST_add_ext(request.get(), OCSP_REQUEST_get_ext(original, at), -1) == 1, "add nonce");
  return request;
}

Bytes request_der(OCSP_REQUEST* request) {
  unsigned char* encoded = nullptr;
  int length = i2d_OCSP_REQUEST(request, &encoded);
  ossl::check(length > 0, "i2d_OCSP_REQUEST");
  Bytes der(encoded, encoded + length);
  OPENSSL_free(encoded);
  return der;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixed_ca();  // key generation and the database once, outside the timed runs
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FixedCa& ca = fixed_ca();
  ByteView body(data, size);
  Bytes answer = ca.responder->answer_ocsp_request(body);
  auto request = parse_request(body);
  if (!request) {
    ERR_clear_error();
    auto response = parse_response(answer);
    fuzz::require(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
                  "a body that is not an OCSPRequest with a CertID gets malformedRequest");
    return 0;
  }
  (void)check_successful(answer, request.get());

  if (auto ours = retargeted(request.get())) {
    Bytes again = ca.responder->answer_ocsp_request(request_der(ours.get()));
    auto reparsed = parse_request(request_der(ours.get()));
    fuzz::require(reparsed != nullptr, "a re-targeted request parses");
    auto basic = check_successful(again, reparsed.get());
    for (int i = 0; i < OCSP_request_onereq_count(reparsed.get()); ++i) {
      OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(reparsed.get(), i));
      ASN1_INTEGER* serial = nullptr;
      OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id);
      int status = -1;
      fuzz::require(OCSP_resp_find_status(basic.get(), id, &status, nullptr, nullptr, nullptr, nullptr) == 1,
                    "a CertID of the request has no SingleResponse");
      int expected = V_OCSP_CERTSTATUS_UNKNOWN;
      switch (expected_status(serial)) {
        case crypto::CertStatus::good: expected = V_OCSP_CERTSTATUS_GOOD; break;
        case crypto::CertStatus::revoked: expected = V_OCSP_CERTSTATUS_REVOKED; break;
        case crypto::CertStatus::unknown: break;
      }
      fuzz::require(status == expected, "a SingleResponse's certStatus is not what the database holds for the serial");
    }
  }
  ERR_clear_error();
  return 0;
}
