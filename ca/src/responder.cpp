#include "responder.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>

#include <vector>

#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {
namespace {

std::string serial_text(const ASN1_INTEGER* serial) {
  ossl::BigNum number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!number) return {};
  char* hex = BN_bn2hex(number.get());
  std::string text = Database::normalize_serial(hex);
  OPENSSL_free(hex);
  return text;
}

}  // namespace

// The memo's cost bound (certificate_memo.hpp): 40 MiB holds the 1,024 certificates of up to
// 1.2 KB that `remembered` allows by default; it holds only certificates this CA issued.
Responder::Responder(CaMaterial ca, Database& database, std::chrono::seconds validity, std::size_t remembered)
    : ca_(std::move(ca)), memo_(remembered, std::size_t{40} << 20), book_(database), validity_(validity) {
  EVP_PKEY* key = ca_.key.get();
  signature_algorithm_ =
      OBJ_nid2ln(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption);
  std::string kind = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC
                         ? "EC P-256, ECDSA with SHA-256"
                         : "RSA-" + std::to_string(EVP_PKEY_get_bits(key)) + ", PKCS#1 v1.5 with SHA-256";
  signer_ = "CA'S PRIVATE KEY (" + kind + ") of " + crypto::subject_of(ca_.certificate.get());
}

crypto::StatusAnswer Responder::status_of_serial(const ASN1_INTEGER* serial) const {
  return book_.status_of(serial_text(serial));  // unknown unless the database knows it
}

Responder::Answer Responder::decide(const StatusRequest& request) const {
  crypto::ResponderIdentity identity{ca_.certificate.get(), ca_.key.get()};
  Answer out;
  out.facts.signer = signer_;
  // The memo holds only certificates this CA issued: a stranger's (anyone can send any number)
  // is parsed, answered `unknown` and forgotten.
  ossl::X509Ptr certificate = memo_.find(request.certificate);
  bool ours = certificate != nullptr;
  if (!ours) {
    auto parsed = crypto::parse_certificate_der(request.certificate);
    if (!parsed) {
      out.ocsp_response = crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
      return out;
    }
    certificate = std::move(parsed).value();
  }
  X509* subject = certificate.get();
  out.facts.parsed = true;
  out.facts.subject = crypto::subject_of(subject);
  out.facts.serial = crypto::serial_hex(subject);
  // RFC 5280 §4.1.2.2: a serial is at most 20 octets. A longer one is not a certificate we could
  // have issued, and its CertID would not fit in an answer frame.
  if (ASN1_STRING_length(X509_get0_serialNumber(subject)) > 20) {
    out.ocsp_response = crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    return out;
  }
  if (!ours) {
    // Issued by us means: our name as issuer and our signature. A serial alone could collide with
    // another CA's certificate.
    ours = X509_check_issued(ca_.certificate.get(), subject) == X509_V_OK &&
           X509_verify(subject, X509_get0_pubkey(ca_.certificate.get())) == 1;
    ERR_clear_error();
    if (ours) certificate = memo_.remember(request.certificate, std::move(certificate));
    subject = certificate.get();
  }
  out.facts.issued_here = ours;
  if (ours) out.facts.status = status_of_serial(X509_get0_serialNumber(subject));  // else unknown (RFC 6960 §2.2)
  out.facts.signed_answer = true;
  out.facts.this_update = std::time(nullptr);
  out.facts.next_update = out.facts.this_update + validity_.count();
  // The framed client verifies with the CA certificate from its trust store: none in the answer.
  out.ocsp_response = crypto::build_ocsp_response(identity, const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(subject)),
                                                  out.facts.status, ByteView(request.nonce), validity_,
                                                  out.facts.this_update, crypto::SignerCertificate::omitted);
  return out;
}

Responder::OcspAnswer Responder::decide_ocsp_request(ByteView der) const {
  auto malformed = [] {
    ERR_clear_error();
    OcspAnswer unsigned_answer;
    unsigned_answer.ocsp_response = crypto::build_ocsp_error(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
    return unsigned_answer;
  };
  const unsigned char* cursor = der.data();
  ossl::OcspRequest request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der.size())));
  if (!request || cursor != der.data() + der.size() || OCSP_request_onereq_count(request.get()) < 1) {
    return malformed();
  }
  OcspAnswer out;
  std::vector<crypto::SingleAnswer> answers;
  for (int i = 0; i < OCSP_request_onereq_count(request.get()); ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    // The answer carries a copy of each CertID; one that OpenSSL parsed but cannot copy (its
    // re-encoding does not parse) makes the request malformed, not a local fault.
    if (ossl::OcspCertId copy(OCSP_CERTID_dup(id)); !copy) return malformed();
    ASN1_OBJECT* hash_algorithm = nullptr;
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, &hash_algorithm, nullptr, &serial, id);
    const EVP_MD* md = EVP_get_digestbyobj(hash_algorithm);
    crypto::StatusAnswer answer;
    bool issued_here = false;
    if (md != nullptr && serial != nullptr) {
      // Is the CertID's issuer us? Compute our own issuer hashes with the same algorithm.
      ossl::OcspCertId ours(OCSP_cert_id_new(md, X509_get_subject_name(ca_.certificate.get()),
                                             X509_get0_pubkey_bitstr(ca_.certificate.get()), serial));
      issued_here = ours && OCSP_id_issuer_cmp(ours.get(), id) == 0;
      if (issued_here) answer = status_of_serial(serial);
    }
    answers.push_back({id, answer});
    if (out.singles.size() < max_singles_kept) {
      out.singles.push_back({serial != nullptr ? serial_text(serial) : "(none)", issued_here, answer});
    }
  }
  ERR_clear_error();
  crypto::ResponderIdentity identity{ca_.certificate.get(), ca_.key.get()};
  out.this_update = std::time(nullptr);
  out.next_update = out.this_update + validity_.count();
  out.ocsp_response =
      crypto::build_ocsp_response(identity, answers, std::nullopt, request.get(), validity_, out.this_update);
  out.signed_answer = true;
  return out;
}

}  // namespace tlslab::ca
