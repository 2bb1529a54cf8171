// The client's certificate checks and the CA's signed answer (PROTOCOL.md §5 step 4, §9).
// OCSP is timed with an RSA-2048 CA (the test PKI's "tlslab test CA" and its server certificate)
// and an EC P-256 CA ("tlslab other CA" and the certificate it issued). The baselines are the
// pieces inside each: EVP_DigestSign/EVP_DigestVerify of the same tbsResponseData, the parse of the
// response and of the certificate alone (d2i_*), X509_verify of the certificate signature alone,
// and X509_verify_cert set up by hand exactly as verify_server_certificate does.
#include <benchmark/benchmark.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::microbench {
namespace {

constexpr std::chrono::seconds ocsp_validity = std::chrono::hours(1);

// A CA, a certificate it issued, and a trust store holding only that CA.
struct OcspCase {
  const ca::CaMaterial& ca;
  X509* certificate;
  crypto::TrustStore trust;
  Bytes nonce = crypto::random_bytes(32);

  [[nodiscard]] crypto::ResponderIdentity responder() const { return {ca.certificate.get(), ca.key.get()}; }
  [[nodiscard]] Bytes build(std::time_t now) const {
    return crypto::build_ocsp_response(responder(), X509_get_serialNumber(certificate),
                                       crypto::StatusAnswer{.status = crypto::CertStatus::good}, ByteView(nonce),
                                       ocsp_validity, now);
  }
};

crypto::TrustStore trusting(X509* anchor) {
  std::vector<ossl::X509Ptr> anchors;
  anchors.push_back(test::share(anchor));
  return crypto::TrustStore(std::move(anchors));
}

OcspCase ocsp_case(ca::KeyType ca_type) {
  const auto& pki = test::test_pki();
  if (ca_type == ca::KeyType::ec_p256) {
    return OcspCase{pki.other_ca, pki.other_ca_certificate.get(), trusting(pki.other_ca.certificate.get())};
  }
  return OcspCase{pki.ca, pki.server_certificate.get(), trusting(pki.ca.certificate.get())};
}

void BM_Ocsp_BuildSign(benchmark::State& state, ca::KeyType ca_type) {
  OcspCase ocsp = ocsp_case(ca_type);
  std::time_t now = std::time(nullptr);
  std::size_t size = 0;
  for (auto _ : state) {
    Bytes response = ocsp.build(now);
    size = response.size();
    benchmark::DoNotOptimize(response.data());
  }
  state.SetLabel(std::to_string(size) + " B response");
}
BENCHMARK_CAPTURE(BM_Ocsp_BuildSign, rsa2048, ca::KeyType::rsa2048);
BENCHMARK_CAPTURE(BM_Ocsp_BuildSign, ec_p256, ca::KeyType::ec_p256);

void BM_Ocsp_Verify(benchmark::State& state, ca::KeyType ca_type) {
  OcspCase ocsp = ocsp_case(ca_type);
  const Bytes response = ocsp.build(std::time(nullptr));
  for (auto _ : state) {
    auto verified = crypto::verify_ocsp_response(response, ocsp.trust, ocsp.certificate, ocsp.nonce);
    if (!verified || verified->answer.status != crypto::CertStatus::good) {
      state.SkipWithError("OCSP response does not verify");
      break;
    }
    benchmark::DoNotOptimize(verified->next_update);
  }
}
BENCHMARK_CAPTURE(BM_Ocsp_Verify, rsa2048, ca::KeyType::rsa2048);
BENCHMARK_CAPTURE(BM_Ocsp_Verify, ec_p256, ca::KeyType::ec_p256);

// The client checks the server certificate it parsed from ServerHello, by its DNS name.
void BM_X509_VerifyServerCertificate(benchmark::State& state) {
  auto trust = test::trust_store_with_test_ca();
  X509* certificate = test::test_pki().server_certificate.get();
  for (auto _ : state) {
    auto verified = crypto::verify_server_certificate(trust, certificate, test::server_dns_name);
    if (!verified) {
      state.SkipWithError("server certificate does not verify");
      break;
    }
    benchmark::DoNotOptimize(verified.value());
  }
}
BENCHMARK(BM_X509_VerifyServerCertificate);

// DER from the wire, parsed by `parse`, then verified for the server's host name.
template <class Parse>
void parse_and_verify(benchmark::State& state, const crypto::TrustStore& trust, Parse parse) {
  const Bytes der = crypto::certificate_der(test::test_pki().server_certificate.get());
  for (auto _ : state) {
    auto certificate = parse(der);
    if (!certificate) {
      state.SkipWithError("server certificate does not parse");
      break;
    }
    auto verified = crypto::verify_server_certificate(trust, certificate->get(), test::server_dns_name);
    if (!verified) {
      state.SkipWithError("server certificate does not verify");
      break;
    }
    benchmark::DoNotOptimize(verified.value());
  }
  state.SetLabel(std::to_string(der.size()) + " B certificate");
}

// What the client does on its first handshake with a server (a fresh X509 has no cached
// extension flags).
void BM_X509_ParseAndVerify(benchmark::State& state) {
  auto trust = test::trust_store_with_test_ca();
  parse_and_verify(state, trust, [](ByteView der) { return crypto::parse_certificate_der(der); });
}
BENCHMARK(BM_X509_ParseAndVerify);

// The same, for a CERTIFICATE this process has met before: what the client does from its second
// handshake with a server on (the trust store's memo, certificate_memo.hpp).
void BM_X509_ParseAndVerify_Memo(benchmark::State& state) {
  auto trust = test::trust_store_with_test_ca();
  parse_and_verify(state, trust, [&trust](ByteView der) { return trust.memo().parse(der); });
}
BENCHMARK(BM_X509_ParseAndVerify_Memo);

// ---- OpenSSL baselines ----

// The bytes OCSP_basic_sign signs: the DER tbsResponseData of a response built like tlslab's.
Bytes tbs_response_data(const OcspCase& ocsp) {
  Bytes response = ocsp.build(std::time(nullptr));
  const unsigned char* cursor = response.data();
  ossl::OcspResponse parsed(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response.size())));
  require(parsed != nullptr, "d2i_OCSP_RESPONSE");
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(parsed.get()));
  require(basic != nullptr, "OCSP_response_get1_basic");
  const OCSP_RESPDATA* tbs = OCSP_resp_get0_respdata(basic.get());
  int length = i2d_OCSP_RESPDATA(tbs, nullptr);
  require(length > 0, "i2d_OCSP_RESPDATA");
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* write = out.data();
  i2d_OCSP_RESPDATA(tbs, &write);
  return out;
}

// SHA-256 and the key's default padding (PKCS#1 v1.5 for RSA), as OCSP_basic_sign uses; a fresh
// EVP_MD_CTX per signature, as ASN1_item_sign does.
std::size_t digest_sign(EVP_PKEY* key, ByteView message, Bytes& signature) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = signature.size();
  require(ctx && EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) == 1,
          "EVP_DigestSign");
  return length;
}

void BM_OpenSSL_DigestSign(benchmark::State& state, ca::KeyType ca_type) {
  OcspCase ocsp = ocsp_case(ca_type);
  const Bytes tbs = tbs_response_data(ocsp);
  Bytes signature(static_cast<std::size_t>(EVP_PKEY_get_size(ocsp.ca.key.get())));
  for (auto _ : state) {
    std::size_t length = digest_sign(ocsp.ca.key.get(), tbs, signature);
    benchmark::DoNotOptimize(length);
    benchmark::DoNotOptimize(signature.data());
  }
  state.SetLabel(std::to_string(tbs.size()) + " B tbsResponseData");
}
BENCHMARK_CAPTURE(BM_OpenSSL_DigestSign, rsa2048, ca::KeyType::rsa2048);
BENCHMARK_CAPTURE(BM_OpenSSL_DigestSign, ec_p256, ca::KeyType::ec_p256);

void BM_OpenSSL_DigestVerify(benchmark::State& state, ca::KeyType ca_type) {
  OcspCase ocsp = ocsp_case(ca_type);
  const Bytes tbs = tbs_response_data(ocsp);
  Bytes signature(static_cast<std::size_t>(EVP_PKEY_get_size(ocsp.ca.key.get())));
  signature.resize(digest_sign(ocsp.ca.key.get(), tbs, signature));
  EVP_PKEY* ca_public_key = X509_get0_pubkey(ocsp.ca.certificate.get());
  for (auto _ : state) {
    ossl::MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, ca_public_key) != 1 ||
        EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), tbs.data(), tbs.size()) != 1) {
      state.SkipWithError("signature does not verify");
      break;
    }
    benchmark::ClobberMemory();
  }
}
BENCHMARK_CAPTURE(BM_OpenSSL_DigestVerify, rsa2048, ca::KeyType::rsa2048);
BENCHMARK_CAPTURE(BM_OpenSSL_DigestVerify, ec_p256, ca::KeyType::ec_p256);

// Parsing the CA's answer alone, as verify_ocsp_response starts: d2i_OCSP_RESPONSE keeps
// responseBytes as an OCTET STRING; OCSP_response_get1_basic decodes the BasicOCSPResponse,
// including the CA certificate in `certs` (one more d2i_X509).
void BM_OpenSSL_OcspResponse_Parse(benchmark::State& state, ca::KeyType ca_type) {
  OcspCase ocsp = ocsp_case(ca_type);
  const Bytes response = ocsp.build(std::time(nullptr));
  for (auto _ : state) {
    const unsigned char* cursor = response.data();
    ossl::OcspResponse parsed(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(response.size())));
    ossl::OcspBasicResponse basic(parsed ? OCSP_response_get1_basic(parsed.get()) : nullptr);
    if (!basic) {
      state.SkipWithError("OCSP response does not parse");
      break;
    }
    benchmark::DoNotOptimize(basic.get());
  }
}
BENCHMARK_CAPTURE(BM_OpenSSL_OcspResponse_Parse, rsa2048, ca::KeyType::rsa2048);
BENCHMARK_CAPTURE(BM_OpenSSL_OcspResponse_Parse, ec_p256, ca::KeyType::ec_p256);

// The certificate's signature alone, with the CA's public key: no path building, no checks.
void BM_OpenSSL_X509_verify(benchmark::State& state) {
  const auto& pki = test::test_pki();
  X509* certificate = pki.server_certificate.get();
  EVP_PKEY* ca_public_key = X509_get0_pubkey(pki.ca.certificate.get());
  for (auto _ : state) {
    if (X509_verify(certificate, ca_public_key) != 1) {
      state.SkipWithError("certificate signature does not verify");
      break;
    }
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_OpenSSL_X509_verify);

// Parsing alone, as parse_certificate_der does: in OpenSSL 3.0 this decodes the public key through
// the provider decoders, which is the known slow path (openssl/openssl#19119, #17950).
void BM_OpenSSL_d2i_X509(benchmark::State& state) {
  const Bytes der = crypto::certificate_der(test::test_pki().server_certificate.get());
  for (auto _ : state) {
    const unsigned char* cursor = der.data();
    ossl::X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!certificate) {
      state.SkipWithError("server certificate does not parse");
      break;
    }
    benchmark::DoNotOptimize(certificate.get());
  }
}
BENCHMARK(BM_OpenSSL_d2i_X509);

// X509_verify_cert with the same store and parameters as verify_server_certificate.
void BM_OpenSSL_X509_verify_cert(benchmark::State& state) {
  auto trust = test::trust_store_with_test_ca();
  X509* certificate = test::test_pki().server_certificate.get();
  for (auto _ : state) {
    ossl::X509StoreCtx ctx(X509_STORE_CTX_new());
    require(ctx && X509_STORE_CTX_init(ctx.get(), trust.store(), certificate, nullptr) == 1, "X509_STORE_CTX_init");
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, test::server_dns_name.c_str(), test::server_dns_name.size());
    if (X509_verify_cert(ctx.get()) != 1) {
      state.SkipWithError("server certificate does not verify");
      break;
    }
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_OpenSSL_X509_verify_cert);

}  // namespace
}  // namespace tlslab::microbench
