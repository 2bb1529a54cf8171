// The client's check of a CRL it fetched (PROTOCOL.md §9.3): verify_crl, then look_up, against a
// CA built in-process with two certificates it issued.
//
// Input: a DER CertificateList, checked twice: as it came (almost every mutation then fails the
// signature), and re-issued: its issuer name set to the CA's and signed again with the CA's key, so
// that mutated extensions, entries, numbers and times reach the checks behind the signature, as a
// list from a CA that signs what it should not. Any failure must be
// bad_certificate_status_response; an accepted list must be current, within the 10-day lifetime,
// not below the last number seen, and a lookup must answer good or revoked.
// Seeds: tests/fuzz/corpus/fuzz_crl_verify/ (make_corpus.py crl_lists): lists with reasons, many
// entries, a delta indicator, an issuingDistributionPoint, an unknown critical extension.
#include <openssl/err.h>
#include <openssl/x509.h>

#include <ctime>

#include "authority.hpp"
#include "fuzz_support.hpp"
#include "tlslab/crypto/crl.hpp"

namespace {

using namespace tlslab;

constexpr std::uint64_t last_number = 4;

struct ClientView {
  ca::CaMaterial ca = ca::make_ca(ca::KeyType::ec_p256, "tlslab fuzz CRL CA", ca::validity_from_now(3650));
  crypto::TrustStore trust = fuzz::trust_store_of(ca.certificate.get());
  ossl::PKey leaf_key = ca::generate_key(ca::KeyType::ec_p256);
  ossl::X509Ptr first = issue("one.test");
  ossl::X509Ptr second = issue("two.test");
  std::time_t now = std::time(nullptr);

  ossl::X509Ptr issue(const char* name) {
    return ca::issue_certificate(ca, leaf_key.get(),
                                 ca::IssueRequest{name, {std::string("DNS:") + name}, ca::validity_from_now(365)});
  }
};

const ClientView& client_view() {
  static const ClientView* view = new ClientView;  // never freed: lives as long as the process
  return *view;
}

void check(ByteView der) {
  const ClientView& view = client_view();
  for (X509* certificate : {view.first.get(), view.second.get()}) {
    auto verified = crypto::verify_crl(der, view.trust, certificate, last_number, view.now);
    if (!verified) {
      fuzz::require(verified.failure().alert == AlertDescription::bad_certificate_status_response,
                    "every failure of the CRL check is bad_certificate_status_response");
      continue;
    }
    fuzz::require(verified->number >= last_number, "accepted a list below the last number seen");
    fuzz::require(verified->next_update >= view.now, "accepted a stale list");
    fuzz::require(verified->next_update - verified->this_update <= crypto::max_crl_lifetime.count(),
                  "accepted a list that lives more than 10 days");
    fuzz::require(crypto::check_crl_times(verified.value(), view.now).ok(), "a verified list fails its time check");
    crypto::StatusAnswer answer = crypto::look_up(verified.value(), certificate);
    fuzz::require(answer.status == crypto::CertStatus::good || answer.status == crypto::CertStatus::revoked,
                  "a CRL lookup answers good or revoked");
  }
}

// The input with the CA's name as issuer, its thisUpdate a minute ago (nextUpdate moved as much,
// so the seeds' lifetimes stay theirs whenever they were made), signed by the CA: empty when it
// does not parse.
Bytes reissued(ByteView der) {
  const ClientView& view = client_view();
  const unsigned char* cursor = der.data();
  crypto::CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  if (!crl) return {};
  auto this_update = crypto::to_time_t(X509_CRL_get0_lastUpdate(crl.get()));
  auto next_update = crypto::to_time_t(X509_CRL_get0_nextUpdate(crl.get()));
  if (this_update && next_update && *next_update - *this_update < 1000L * 86400 &&
      *next_update - *this_update > -1000L * 86400) {
    std::time_t start = view.now - 60;
    ossl::Asn1Time first(ASN1_TIME_set(nullptr, start));
    ossl::Asn1Time next(ASN1_TIME_set(nullptr, start + (*next_update - *this_update)));
    if (!first || !next || X509_CRL_set1_lastUpdate(crl.get(), first.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
      return {};
    }
  }
  if (X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(view.ca.certificate.get())) != 1 ||
      X509_CRL_sign(crl.get(), view.ca.key.get(), EVP_sha256()) <= 0) {
    return {};
  }
  int length = i2d_X509_CRL(crl.get(), nullptr);
  if (length <= 0) return {};
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* write = out.data();
  i2d_X509_CRL(crl.get(), &write);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)client_view();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView der(data, size);
  check(der);
  Bytes signed_again = reissued(der);
  ERR_clear_error();
  if (!signed_again.empty()) check(signed_again);
  ERR_clear_error();
  return 0;
}
