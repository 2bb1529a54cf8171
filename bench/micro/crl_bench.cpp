// The client's CRL check (PROTOCOL.md §9.3) with lists of 1,000 and 100,000 revoked serials signed
// by the test PKI's RSA-2048 CA, the server certificate not among them (a lookup's worst case: the
// whole binary search, then "good"). Baselines: X509_CRL_get0_by_serial alone, and the parse plus
// the signature check (d2i_X509_CRL + X509_CRL_verify) that verify_crl does first.
#include <benchmark/benchmark.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <map>

#include "fixtures.hpp"
#include "tlslab/crypto/crl.hpp"

namespace tlslab::microbench {
namespace {

struct CrlCase {
  Bytes der;
  crypto::TrustStore trust = test::trust_store_with_test_ca();
  X509* certificate = test::test_pki().server_certificate.get();
  std::time_t now = std::time(nullptr);
};

// Built once per size (100,000 entries take a second to sign and sort).
const CrlCase& crl_case(std::int64_t revoked) {
  static std::map<std::int64_t, CrlCase> cases;
  auto found = cases.find(revoked);
  if (found != cases.end()) return found->second;
  crypto::CrlContents contents;
  contents.number = 42;
  contents.this_update = std::time(nullptr) - 60;
  contents.next_update = contents.this_update + 86400;
  for (std::int64_t i = 0; i < revoked; ++i) {
    char serial[40];
    std::snprintf(serial, sizeof serial, "%016llx%016llx", 0x5a5a5a5a5a5a5a5aULL ^ static_cast<unsigned long long>(i),
                  static_cast<unsigned long long>(i) * 0x9e3779b97f4a7c15ULL);
    contents.revoked.push_back({serial, contents.this_update - 3600, i % 2 == 0 ? 1 : 4});
  }
  const auto& ca = test::test_pki().ca;
  CrlCase made;
  made.der = crypto::build_crl(ca.certificate.get(), ca.key.get(), contents);
  return cases.emplace(revoked, std::move(made)).first->second;
}

crypto::VerifiedCrl verified(const CrlCase& list) {
  auto checked = crypto::verify_crl(list.der, list.trust, list.certificate, std::nullopt, list.now);
  require(checked.ok(), "the benchmark's CRL verifies");
  return std::move(checked).value();
}

void BM_Crl_LookUp(benchmark::State& state) {
  const CrlCase& list = crl_case(state.range(0));
  crypto::VerifiedCrl crl = verified(list);
  for (auto _ : state) {
    crypto::StatusAnswer answer = crypto::look_up(crl, list.certificate);
    benchmark::DoNotOptimize(answer);
  }
  state.SetLabel(std::to_string(list.der.size() / 1024) + " KiB list");
}
BENCHMARK(BM_Crl_LookUp)->Arg(1000)->Arg(100000);

void BM_OpenSSL_X509_CRL_get0_by_serial(benchmark::State& state) {
  const CrlCase& list = crl_case(state.range(0));
  crypto::VerifiedCrl crl = verified(list);
  ASN1_INTEGER* serial = X509_get_serialNumber(list.certificate);
  for (auto _ : state) {
    X509_REVOKED* entry = nullptr;
    int found = X509_CRL_get0_by_serial(crl.crl.get(), &entry, serial);
    benchmark::DoNotOptimize(found);
    benchmark::DoNotOptimize(entry);
  }
}
BENCHMARK(BM_OpenSSL_X509_CRL_get0_by_serial)->Arg(1000)->Arg(100000);

void BM_Crl_Verify(benchmark::State& state) {
  const CrlCase& list = crl_case(state.range(0));
  for (auto _ : state) {
    auto checked = crypto::verify_crl(list.der, list.trust, list.certificate, 41, list.now);
    if (!checked) {
      state.SkipWithError("the CRL does not verify");
      break;
    }
    benchmark::DoNotOptimize(checked->number);
  }
  state.SetLabel(std::to_string(list.der.size() / 1024) + " KiB list");
}
BENCHMARK(BM_Crl_Verify)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_OpenSSL_d2i_X509_CRL_verify(benchmark::State& state) {
  const CrlCase& list = crl_case(state.range(0));
  EVP_PKEY* ca_public_key = X509_get0_pubkey(test::test_pki().ca.certificate.get());
  for (auto _ : state) {
    const unsigned char* cursor = list.der.data();
    crypto::CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(list.der.size())));
    if (!crl || X509_CRL_verify(crl.get(), ca_public_key) != 1) {
      state.SkipWithError("the CRL does not parse or verify");
      break;
    }
    benchmark::DoNotOptimize(crl.get());
  }
}
BENCHMARK(BM_OpenSSL_d2i_X509_CRL_verify)->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tlslab::microbench
