// The client's check of a staple (PROTOCOL.md §9.1): verify_staple on the OCSP response a
// ServerHello carried, against a fixed trust store (tests/fuzz/pki/ca.crt) and, in turn, both fixed
// certificates (pki/server.crt, good; pki/revoked.crt, revoked), at the time the seeds were made,
// with the default --max-staple-age.
//
// Input: a DER OCSPResponse. Any failure must be bad_certificate_status_response; an accepted staple
// must be about the certificate asked, no older than the maximum age and not expired.
// Seeds: tests/fuzz/corpus/fuzz_staple_verify/ (make_corpus.py): the staples of a stapling server,
// the CA's answers to the client, and `openssl ocsp` ones.
#include <openssl/err.h>

#include "fuzz_support.hpp"
#include "tlslab/crypto/ocsp.hpp"

namespace {

using namespace tlslab;

struct ClientView {
  ossl::X509Ptr anchor = fuzz::pki_certificate("ca.crt");
  crypto::TrustStore trust = fuzz::trust_store_of(anchor.get());
  ossl::X509Ptr good = fuzz::pki_certificate("server.crt");
  ossl::X509Ptr revoked = fuzz::pki_certificate("revoked.crt");
  std::time_t now = fuzz::pki_generated_at();
};

const ClientView& client_view() {
  static const ClientView* view = new ClientView;  // never freed: lives as long as the process
  return *view;
}

void check(ByteView der, X509* certificate) {
  const ClientView& view = client_view();
  auto max_age = crypto::default_max_staple_age;
  auto verified = crypto::verify_staple(der, view.trust, certificate, max_age, view.now);
  if (!verified) {
    fuzz::require(verified.failure().alert == AlertDescription::bad_certificate_status_response,
                  "every failure of the staple check is bad_certificate_status_response");
    return;
  }
  fuzz::require(view.now - verified->this_update <= max_age.count(), "accepted a staple older than the maximum age");
  fuzz::require(verified->next_update >= view.now, "accepted an expired staple");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)client_view();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ClientView& view = client_view();
  ByteView der(data, size);
  check(der, view.good.get());
  check(der, view.revoked.get());
  ERR_clear_error();
  return 0;
}
