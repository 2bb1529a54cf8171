// The CA's responder (ca/src/responder.hpp): what it keeps between requests. Anyone may ask about
// any certificate; only this CA's own certificates are kept parsed, so a stranger's requests cost
// no lasting memory (they took the CA from 11 MB to 217 MB before).
#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include "database.hpp"
#include "responder.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::ca {
namespace {

using test::test_pki;

StatusRequest request_about(X509* certificate) {
  return StatusRequest{crypto::certificate_der(certificate), crypto::random_bytes(32)};
}

int response_status(const Bytes& der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  return response ? OCSP_response_status(response.get()) : -1;
}

TEST(Responder, KeepsOnlyItsOwnCertificates) {
  Database database(":memory:", Database::Mode::create);
  CaMaterial ca = make_ca(KeyType::ec_p256, "tlslab responder test CA", validity_from_now(30));
  ossl::X509Ptr own = issue_certificate(ca, test_pki().server_key.get(),
                                        IssueRequest{"localhost", {"DNS:localhost"}, validity_from_now(30)});
  database.record_issued(own.get(), "DNS:localhost");
  Responder responder(std::move(ca), database, std::chrono::seconds(3600));

  // Strangers: certificates of two other CAs, asked about again and again.
  for (int round = 0; round < 50; ++round) {
    for (X509* foreign : {test_pki().server_certificate.get(), test_pki().other_ca_certificate.get(),
                          test_pki().expired_certificate.get(), test_pki().second_certificate.get()}) {
      EXPECT_EQ(response_status(responder.answer(request_about(foreign))), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    }
  }
  EXPECT_EQ(responder.remembered_certificates(), 0u) << "a stranger's certificate was kept";

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response_status(responder.answer(request_about(own.get()))), OCSP_RESPONSE_STATUS_SUCCESSFUL);
  }
  EXPECT_EQ(responder.remembered_certificates(), 1u);
}

TEST(Responder, AnswersMalformedRequestForBytesThatAreNoCertificate) {
  Database database(":memory:", Database::Mode::create);
  Responder responder(make_ca(KeyType::ec_p256, "tlslab responder test CA", validity_from_now(30)), database,
                      std::chrono::seconds(3600));
  StatusRequest garbage{Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, crypto::random_bytes(32)};
  EXPECT_EQ(response_status(responder.answer(garbage)), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  EXPECT_EQ(responder.remembered_certificates(), 0u);
}

}  // namespace
}  // namespace tlslab::ca
