// The client side of arrow 4 (PROTOCOL.md §9 steps 2–6): verify_ocsp_response on the CA's answer,
// against a fixed trust store (tests/fuzz/pki/ca.crt, the CA of the run that made the seeds) and,
// in turn, both fixed certificates (pki/server.crt, good; pki/revoked.crt, revoked), with the nonce
// make_corpus.py put in its requests (32 bytes of 5a) and the time the seeds were made.
//
// Input: the ocsp_response of a StatusResponse, a DER OCSPResponse. Any failure must be
// bad_certificate_status_response; an accepted answer must satisfy the freshness window of step 6.
// Seeds: tests/fuzz/corpus/fuzz_status_response_verify/ (make_corpus.py): the CA's answers to
// requests with that nonce, the ones the real client got (other nonces), and `openssl ocsp` ones.
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
  Bytes nonce = Bytes(32, 0x5a);
  std::time_t now = fuzz::pki_generated_at();
};

const ClientView& client_view() {
  static const ClientView* view = new ClientView;  // never freed: lives as long as the process
  return *view;
}

void check(ByteView der, X509* certificate) {
  const ClientView& view = client_view();
  auto verified = crypto::verify_ocsp_response(der, view.trust, certificate, view.nonce, view.now);
  if (!verified) {
    fuzz::require(verified.failure().alert == AlertDescription::bad_certificate_status_response,
                  "every failure of the status check is bad_certificate_status_response");
    return;
  }
  auto skew = crypto::ocsp_clock_skew.count();
  fuzz::require(verified->this_update <= view.now + skew, "accepted an answer from the future");
  fuzz::require(verified->next_update >= view.now - skew, "accepted a stale answer");
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
