// The CA side of arrows 3–4 (PROTOCOL.md §9): what serve_status_connection does with a frame's
// bytes, without the socket, answered by the fixed CA of fixed_ca.hpp.
//
// Input: one complete handshake message, the fragment of the client's `handshake` frame.
// When it decodes as a StatusRequest, Responder::answer must give an OCSPResponse that fits one
// StatusResponse frame (§9: every request is answered), that parses, and that says:
//   - malformedRequest when `certificate` does not parse;
//   - otherwise successful, signed by the CA, with the request's nonce and one SingleResponse for
//     CertID(SHA-1, this CA, the certificate's serial), `unknown` unless the CA issued it.
// The CA did not issue the seeds' certificates (their issuer is the CA of the run that made the
// seeds), so, to reach the database lookup with fuzzer-chosen serials too, every certificate that
// parses is also re-issued by the fixed CA (issuer name replaced, authorityKeyIdentifier removed,
// re-signed) and asked about: the client's own verify_ocsp_response must then accept the answer,
// with good/revoked/unknown exactly as the database says for that serial.
// Seeds: tests/fuzz/corpus/fuzz_ca_status_request/ (make_corpus.py).
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <optional>

#include "fixed_ca.hpp"
#include "fuzz_support.hpp"
#include "tlslab/crypto/ocsp.hpp"

namespace {

using namespace tlslab;
using fuzz::expected_status;
using fuzz::fixed_ca;
using fuzz::FixedCa;
using fuzz::issued_by_fixed_ca;

// What the framed service sends back: the answer must fit one StatusResponse in one frame.
void require_fits_one_frame(const Bytes& ocsp_response) {
  fuzz::require(ocsp_response.size() + 4 + 2 <= max_plaintext,
                "the OCSP answer does not fit one StatusResponse frame: the request goes unanswered");
  Bytes message = encode_handshake(StatusResponse{ocsp_response});
  auto decoded = decode_handshake<StatusResponse>(message);
  fuzz::require(decoded.ok() && decoded->ocsp_response == ocsp_response, "the StatusResponse does not decode back");
}

ossl::OcspResponse parse_response(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  fuzz::require(response != nullptr && cursor == der.data() + der.size(),
                "the CA's answer is not one DER OCSPResponse");
  return response;
}

// The answer about a certificate the fixed CA did not issue: signed, with the nonce, `unknown`.
void check_answer_about_foreign(const Bytes& der, X509* certificate, const Bytes& nonce) {
  FixedCa& ca = fixed_ca();
  auto response = parse_response(der);
  fuzz::require(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL,
                "a certificate that parses gets a successful response");
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(response.get()));
  fuzz::require(basic != nullptr && OCSP_resp_count(basic.get()) == 1, "one SingleResponse");
  fuzz::require(OCSP_basic_verify(basic.get(), ca.trust->anchors(), ca.trust->store(), 0) == 1,
                "the answer is signed by the CA");
  ossl::OcspRequest request(OCSP_REQUEST_new());
  fuzz::require(request && OCSP_request_add1_nonce(request.get(), const_cast<unsigned char*>(nonce.data()),
                                                   static_cast<int>(nonce.size())) == 1,
                "OCSP_request_add1_nonce");
  fuzz::require(OCSP_check_nonce(request.get(), basic.get()) == 1, "the answer carries the request's nonce");
  ossl::OcspCertId id(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca.certificate.get()),
                                       X509_get0_pubkey_bitstr(ca.certificate.get()),
                                       X509_get0_serialNumber(certificate)));
  int status = -1;
  fuzz::require(id && OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr) == 1,
                "the SingleResponse is for CertID(SHA-1, this CA, the certificate's serial)");
  fuzz::require(status == V_OCSP_CERTSTATUS_UNKNOWN, "a certificate the CA did not issue is unknown");
  ERR_clear_error();
}

// The certificate, as if the fixed CA had issued it; nullptr when OpenSSL cannot re-sign it.
ossl::X509Ptr reissue(X509* certificate) {
  FixedCa& ca = fixed_ca();
  ossl::X509Ptr copy(X509_dup(certificate));
  if (!copy || X509_set_issuer_name(copy.get(), X509_get_subject_name(ca.certificate.get())) != 1) return nullptr;
  for (int at = X509_get_ext_by_NID(copy.get(), NID_authority_key_identifier, -1); at >= 0;
       at = X509_get_ext_by_NID(copy.get(), NID_authority_key_identifier, -1)) {
    X509_EXTENSION_free(X509_delete_ext(copy.get(), at));
  }
  if (X509_sign(copy.get(), ca.key.get(), EVP_sha256()) <= 0) return nullptr;
  return copy;
}

void check_answer_about_own(X509* reissued, const Bytes& nonce) {
  FixedCa& ca = fixed_ca();
  unsigned char* encoded = nullptr;
  int length = i2d_X509(reissued, &encoded);
  if (length <= 0) return;
  Bytes der(encoded, encoded + length);
  OPENSSL_free(encoded);
  auto parsed = crypto::parse_certificate_der(der);
  if (!parsed || !issued_by_fixed_ca(parsed.value().get())) return;  // OpenSSL would not call it ours either

  Bytes answer = ca.responder->answer(StatusRequest{der, nonce});
  require_fits_one_frame(answer);
  // The client's check (§9 steps 2–6) must accept what the CA signed for its own certificate.
  auto verified = crypto::verify_ocsp_response(answer, *ca.trust, parsed.value().get(), nonce);
  if (!verified) {
    std::fprintf(stderr, "verify_ocsp_response: %s\n", verified.failure().reason.c_str());
    fuzz::violated("the client rejects the CA's answer about a certificate the CA issued");
  }
  crypto::CertStatus expected = expected_status(X509_get0_serialNumber(parsed.value().get()));
  fuzz::require(verified->answer.status == expected,
                "the answer's certStatus is not what the database holds for the serial");
  if (expected == crypto::CertStatus::revoked) {
    fuzz::require(verified->answer.revocation_reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE, "revocation reason kept");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixed_ca();  // key generation and the database once, outside the timed runs
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FixedCa& ca = fixed_ca();
  // Client → CA: the CERTIFICATE for authentication (with a fresh nonce).
  auto request = decode_handshake<StatusRequest>(ByteView(data, size));
  if (!request) return 0;  // the service sends the alert and closes
  // CA → Client: the signed answer.
  Bytes answer = ca.responder->answer(request.value());
  require_fits_one_frame(answer);

  auto certificate = crypto::parse_certificate_der(request->certificate);
  if (!certificate) {
    auto response = parse_response(answer);
    fuzz::require(OCSP_response_status(response.get()) == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST,
                  "a certificate that does not parse gets malformedRequest");
    return 0;
  }
  if (!issued_by_fixed_ca(certificate.value().get())) {
    check_answer_about_foreign(answer, certificate.value().get(), request->nonce);
  }
  if (auto reissued = reissue(certificate.value().get())) check_answer_about_own(reissued.get(), request->nonce);
  ERR_clear_error();
  return 0;
}
