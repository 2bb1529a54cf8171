#pragma once
// The CA the CA-side fuzzers answer with: built in-process once (EC P-256, as `tlslab-ca init`
// makes by default), with an in-memory SQLite database that knows tests/fuzz/pki/server.crt
// (good) and tests/fuzz/pki/revoked.crt (revoked, keyCompromise). Those two are the seeds'
// certificates, so a request about their serials reaches the database rows.
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <chrono>
#include <optional>

#include "authority.hpp"
#include "database.hpp"
#include "fuzz_support.hpp"
#include "responder.hpp"
#include "tlslab/crypto/ocsp.hpp"

namespace tlslab::fuzz {

struct FixedCa {
  ossl::PKey key;             // the CA's private key, shared with the responder
  ossl::X509Ptr certificate;  // the CA certificate, shared with the responder
  ossl::X509Ptr good;         // pki/server.crt: in the database, good
  ossl::X509Ptr revoked;      // pki/revoked.crt: in the database, revoked (keyCompromise)
  ca::Database database{":memory:", ca::Database::Mode::create};
  std::optional<ca::Responder> responder;
  std::optional<crypto::TrustStore> trust;  // holds only this CA: what a client of it would trust
};

inline FixedCa& fixed_ca() {
  static FixedCa* state = [] {
    auto* ca = new FixedCa;  // never freed: lives as long as the fuzzing process
    ca::CaMaterial material = ca::make_ca(ca::KeyType::ec_p256, "tlslab fuzz CA", ca::validity_from_now(3650));
    ossl::check(EVP_PKEY_up_ref(material.key.get()) == 1, "EVP_PKEY_up_ref");
    ca->key.reset(material.key.get());
    ca->certificate = share(material.certificate.get());
    ca->good = pki_certificate("server.crt");
    ca->revoked = pki_certificate("revoked.crt");
    ca->database.record_issued(ca->good.get(), "DNS:localhost");
    ca->database.record_issued(ca->revoked.get(), "DNS:localhost");
    require(ca->database.revoke(crypto::serial_hex(ca->revoked.get()), OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                                pki_generated_at()) == ca::Database::RevokeOutcome::revoked,
            "the fixed database revokes pki/revoked.crt");
    // No certificate memo: what a cache keeps between inputs, libFuzzer's leak check takes for a
    // leak, and it then scans the whole heap after every input (44 executions a second).
    ca->responder.emplace(std::move(material), ca->database, std::chrono::seconds(3600), 0);
    ca->trust.emplace(trust_store_of(ca->certificate.get()));
    return ca;
  }();
  return *state;
}

inline bool issued_by_fixed_ca(X509* certificate) {
  FixedCa& ca = fixed_ca();
  bool ours = X509_check_issued(ca.certificate.get(), certificate) == X509_V_OK &&
              X509_verify(certificate, X509_get0_pubkey(ca.certificate.get())) == 1;
  ERR_clear_error();
  return ours;
}

// What the database says about `serial`.
inline crypto::CertStatus expected_status(const ASN1_INTEGER* serial) {
  FixedCa& ca = fixed_ca();
  if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(ca.good.get())) == 0) return crypto::CertStatus::good;
  if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(ca.revoked.get())) == 0) return crypto::CertStatus::revoked;
  return crypto::CertStatus::unknown;
}

}  // namespace tlslab::fuzz
