#include "tlslab/crypto/ocsp.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <array>
#include <functional>
#include <utility>

#include "tlslab/crypto/algorithms.hpp"
#include "tlslab/time.hpp"

namespace tlslab::crypto {
namespace {

constexpr std::array reason_names{
    std::pair{OCSP_REVOKED_STATUS_UNSPECIFIED, std::string_view("unspecified")},
    std::pair{OCSP_REVOKED_STATUS_KEYCOMPROMISE, std::string_view("keyCompromise")},
    std::pair{OCSP_REVOKED_STATUS_CACOMPROMISE, std::string_view("cACompromise")},
    std::pair{OCSP_REVOKED_STATUS_AFFILIATIONCHANGED, std::string_view("affiliationChanged")},
    std::pair{OCSP_REVOKED_STATUS_SUPERSEDED, std::string_view("superseded")},
    std::pair{OCSP_REVOKED_STATUS_CESSATIONOFOPERATION, std::string_view("cessationOfOperation")},
    std::pair{OCSP_REVOKED_STATUS_CERTIFICATEHOLD, std::string_view("certificateHold")},
    std::pair{OCSP_REVOKED_STATUS_REMOVEFROMCRL, std::string_view("removeFromCRL")},
    std::pair{9, std::string_view("privilegeWithdrawn")},
    std::pair{10, std::string_view("aACompromise")},
};

ossl::Asn1Time asn1_time(std::time_t when) {
  ossl::Asn1Time time(ASN1_GENERALIZEDTIME_set(nullptr, when));
  ossl::check(time != nullptr, "ASN1_GENERALIZEDTIME_set");
  return time;
}

Bytes response_der(OCSP_RESPONSE* response) {
  return ossl::to_der<i2d_OCSP_RESPONSE>(response, "i2d_OCSP_RESPONSE");
}

Failure bad_response(const std::string& reason) {
  ERR_clear_error();
  return fail(AlertDescription::bad_certificate_status_response, reason);
}

}  // namespace

std::string_view to_string(CertStatus status) {
  switch (status) {
    case CertStatus::good: return "good";
    case CertStatus::revoked: return "revoked";
    case CertStatus::unknown: return "unknown";
  }
  return "?";
}

std::optional<int> revocation_reason_from(std::string_view name) {
  for (const auto& [code, known] : reason_names) {
    if (known == name) return code;
  }
  return std::nullopt;
}

std::string_view revocation_reason_name(int reason) {
  for (const auto& [code, name] : reason_names) {
    if (code == reason) return name;
  }
  return "none";
}

Bytes build_ocsp_response(const ResponderIdentity& responder, ASN1_INTEGER* serial, const StatusAnswer& answer,
                          std::optional<ByteView> nonce, std::chrono::seconds validity, std::time_t now,
                          SignerCertificate signer_certificate) {
  // CertID(SHA-1, issuer = this CA, serial): what clients and `openssl ocsp` compute (RFC 6960 §4.1.1).
  ossl::OcspCertId id(OCSP_cert_id_new(sha1(), X509_get_subject_name(responder.ca_certificate),
                                       X509_get0_pubkey_bitstr(responder.ca_certificate), serial));
  ossl::check(id != nullptr, "OCSP_cert_id_new");
  SingleAnswer single{id.get(), answer};
  return build_ocsp_response(responder, std::span<const SingleAnswer>(&single, 1), nonce, nullptr, validity, now,
                             signer_certificate);
}

Bytes build_ocsp_response(const ResponderIdentity& responder, std::span<const SingleAnswer> answers,
                          std::optional<ByteView> nonce, OCSP_REQUEST* nonce_source, std::chrono::seconds validity,
                          std::time_t now, SignerCertificate signer_certificate) {
  ossl::OcspBasicResponse basic(OCSP_BASICRESP_new());
  ossl::check(basic != nullptr, "OCSP_BASICRESP_new");
  auto this_update = asn1_time(now);
  auto next_update = asn1_time(now + validity.count());
  for (const auto& single : answers) {
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    ossl::Asn1Time revocation_time;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    if (single.answer.status == CertStatus::good) status = V_OCSP_CERTSTATUS_GOOD;
    if (single.answer.status == CertStatus::revoked) {
      status = V_OCSP_CERTSTATUS_REVOKED;
      revocation_time = asn1_time(single.answer.revocation_time);
      reason = single.answer.revocation_reason;
    }
    ossl::check(OCSP_basic_add1_status(basic.get(), single.id, status, reason, revocation_time.get(), this_update.get(),
                                       next_update.get()) != nullptr,
                "OCSP_basic_add1_status");
  }
  if (nonce) {
    ossl::check(OCSP_basic_add1_nonce(basic.get(), const_cast<unsigned char*>(nonce->data()),
                                      static_cast<int>(nonce->size())) == 1,
                "OCSP_basic_add1_nonce");
  } else if (nonce_source != nullptr) {
    ossl::check(OCSP_copy_nonce(basic.get(), nonce_source) > 0, "OCSP_copy_nonce");
  }
  // Responder ID by key hash (RFC 6960 §4.2.1); the CA certificate in `certs` unless omitted.
  unsigned long flags = OCSP_RESPID_KEY | (signer_certificate == SignerCertificate::omitted ? OCSP_NOCERTS : 0);
  ossl::check(OCSP_basic_sign(basic.get(), responder.ca_certificate, responder.ca_key, sha256(), nullptr, flags) == 1,
              "OCSP_basic_sign");
  ossl::OcspResponse response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  ossl::check(response != nullptr, "OCSP_response_create");
  return response_der(response.get());
}

Bytes build_ocsp_error(int response_status) {
  ossl::OcspResponse response(OCSP_response_create(response_status, nullptr));
  ossl::check(response != nullptr, "OCSP_response_create");
  return response_der(response.get());
}

namespace {

// §9 steps 2, 3 and 5 (and §9.1 steps 1–3): a successful BasicOCSPResponse signed by the
// certificate's issuer from the trust store, with a SingleResponse for this certificate. `answer`
// names it in the reasons ("CA answer", "staple").
struct SignedAnswer {
  ossl::OcspBasicResponse basic;
  X509* signer = nullptr;
  VerifiedStatus status;
};

Result<SignedAnswer> verify_signed_answer(ByteView der, const TrustStore& trust, X509* certificate,
                                          const std::string& answer,
                                          const std::function<Result<void>(OCSP_BASICRESP*)>& check_nonce) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  if (!response || cursor != der.data() + der.size()) return bad_response(answer + " is not a DER OCSPResponse");
  int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return bad_response(answer + " says '" + OCSP_response_status_str(response_status) + "'");
  }
  SignedAnswer signed_answer;
  signed_answer.basic.reset(OCSP_response_get1_basic(response.get()));
  OCSP_BASICRESP* basic = signed_answer.basic.get();
  if (basic == nullptr) return bad_response(answer + " has no BasicOCSPResponse");

  // The signer must be the certificate's issuer itself, taken from the local trust store: never a
  // certificate the answer carries (OCSP_NOINTERN), so that it needs no chain of its own
  // (OCSP_NOVERIFY: building one for a trust anchor re-checks nothing and costs as much as the
  // signature). The signature is verified with that anchor's key.
  X509* issuer = trust.issuer_of(certificate);
  if (issuer == nullptr) return bad_response("no trusted issuer for the certificate the " + answer + " is about");
  if (OCSP_basic_verify(basic, trust.anchors(), trust.store(), OCSP_NOINTERN | OCSP_NOVERIFY) != 1) {
    return bad_response(ossl::error_string(answer + "'s signature does not verify with the trusted CA key"));
  }
  X509* signer = nullptr;
  if (OCSP_resp_get0_signer(basic, &signer, trust.anchors()) != 1 || signer == nullptr ||
      X509_cmp(signer, issuer) != 0) {
    ERR_clear_error();
    return bad_response(answer + " is signed by '" + (signer ? subject_of(signer) : std::string("?")) +
                        "', not by the certificate's issuer '" + subject_of(issuer) + "'");
  }
  signed_answer.signer = signer;
  if (auto nonce = check_nonce(basic); !nonce) return nonce.failure();

  ossl::OcspCertId id(OCSP_cert_to_id(sha1(), certificate, issuer));
  ossl::check(id != nullptr, "OCSP_cert_to_id");
  int status = 0;
  int reason = 0;
  ASN1_GENERALIZEDTIME* revocation_time = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (OCSP_resp_find_status(basic, id.get(), &status, &reason, &revocation_time, &this_update, &next_update) != 1) {
    return bad_response(answer + " is about another certificate (no matching CertID)");
  }
  auto this_time = to_time_t(this_update);
  auto next_time = to_time_t(next_update);
  if (!this_time || !next_time) return bad_response(answer + " lacks thisUpdate or nextUpdate");

  VerifiedStatus& verified = signed_answer.status;
  verified.this_update = *this_time;
  verified.next_update = *next_time;
  verified.signer = subject_of(signer);
  verified.produced_at = to_time_t(OCSP_resp_get0_produced_at(basic)).value_or(0);
  const X509_ALGOR* algorithm = OCSP_resp_get0_tbs_sigalg(basic);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  verified.signature_algorithm = oid ? OBJ_nid2ln(OBJ_obj2nid(oid)) : "?";
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD: verified.answer.status = CertStatus::good; break;
    case V_OCSP_CERTSTATUS_REVOKED:
      verified.answer.status = CertStatus::revoked;
      verified.answer.revocation_time = to_time_t(revocation_time).value_or(0);
      verified.answer.revocation_reason = reason;
      break;
    default: verified.answer.status = CertStatus::unknown; break;
  }
  return signed_answer;
}

}  // namespace

Result<VerifiedStatus> verify_ocsp_response(ByteView der, const TrustStore& trust, X509* certificate, ByteView nonce,
                                            std::optional<std::time_t> at) {
  auto check_nonce = [nonce](OCSP_BASICRESP* basic) -> Result<void> {
    ossl::OcspRequest request(OCSP_REQUEST_new());
    ossl::check(request && OCSP_request_add1_nonce(request.get(), const_cast<unsigned char*>(nonce.data()),
                                                   static_cast<int>(nonce.size())) == 1,
                "OCSP_request_add1_nonce");
    switch (OCSP_check_nonce(request.get(), basic)) {
      case 1: return {};
      // -1: the request has a nonce, the response none (3 would be the reverse, impossible here).
      case -1: return bad_response("CA answer carries no nonce: it may be a replay");
      default: return bad_response("CA answer's nonce differs from ours: it answers another request");
    }
  };
  auto signed_answer = verify_signed_answer(der, trust, certificate, "CA answer", check_nonce);
  if (!signed_answer) return signed_answer.failure();
  const VerifiedStatus& verified = signed_answer->status;
  std::time_t now = at.value_or(std::time(nullptr));
  if (verified.this_update > now + ocsp_clock_skew.count())
    return bad_response("CA answer's thisUpdate is in the future");
  if (verified.next_update < now - ocsp_clock_skew.count())
    return bad_response("CA answer is stale: nextUpdate has passed");
  return verified;
}

Result<VerifiedStatus> verify_staple(ByteView der, const TrustStore& trust, X509* certificate,
                                     std::chrono::seconds max_age, std::optional<std::time_t> at) {
  // §9.1: no nonce to check (the staple was made before this client said hello); time instead.
  auto no_nonce = [](OCSP_BASICRESP*) -> Result<void> { return {}; };
  auto signed_answer = verify_signed_answer(der, trust, certificate, "the staple", no_nonce);
  if (!signed_answer) return signed_answer.failure();
  const VerifiedStatus& verified = signed_answer->status;
  std::time_t now = at.value_or(std::time(nullptr));
  if (verified.this_update > now + ocsp_clock_skew.count()) {
    return bad_response("the staple's thisUpdate " + utc_time(verified.this_update) + " is in the future");
  }
  if (now - verified.this_update > max_age.count()) {
    return bad_response("the staple is " + std::to_string(now - verified.this_update) + " s old (thisUpdate " +
                        utc_time(verified.this_update) + "), more than the " + std::to_string(max_age.count()) +
                        " s allowed (--max-staple-age)");
  }
  if (verified.next_update < now) {
    return bad_response("the staple expired: its nextUpdate " + utc_time(verified.next_update) + " has passed");
  }
  return verified;
}

}  // namespace tlslab::crypto
