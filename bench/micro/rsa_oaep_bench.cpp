// Arrow 5's key transport (PROTOCOL.md §7.1): RSA-OAEP (SHA-256, MGF1-SHA-256) with the test
// PKI's RSA-2048 server key. The client encrypts under the key it parsed from ServerHello; the
// server decrypts, and recover_pre_master adds the RFC 5246 §7.4.7.1 countermeasure. tlslab makes
// a fresh EVP_PKEY_CTX per call; the baselines set one up once and reuse it.
#include <benchmark/benchmark.h>
#include <openssl/rsa.h>

#include "fixtures.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::microbench {
namespace {

EVP_PKEY* server_private_key() {
  return test::test_pki().server_key.get();
}

// The key as the client holds it: parsed from SERVER'S PUBLIC KEY (SubjectPublicKeyInfo DER).
ossl::PKey server_public_key() {
  return std::move(crypto::parse_public_key_der(crypto::public_key_der(server_private_key()))).take();
}

void BM_RsaOaep_Encrypt(benchmark::State& state) {
  auto public_key = server_public_key();
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  for (auto _ : state) {
    Bytes encrypted_pre_master = crypto::rsa_oaep_encrypt(public_key.get(), pre_master.view());
    benchmark::DoNotOptimize(encrypted_pre_master.data());
  }
}
BENCHMARK(BM_RsaOaep_Encrypt);

void BM_RsaOaep_Decrypt(benchmark::State& state) {
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted_pre_master = crypto::rsa_oaep_encrypt(server_public_key().get(), pre_master.view());
  for (auto _ : state) {
    auto decrypted = crypto::rsa_oaep_decrypt(server_private_key(), encrypted_pre_master);
    if (!decrypted) {
      state.SkipWithError("pre_master does not decrypt");
      break;
    }
    benchmark::DoNotOptimize(decrypted->data());
  }
}
BENCHMARK(BM_RsaOaep_Decrypt);

// What the server does: one OaepDecryptor for the process, a copy of its context per ClientKeyExchange.
void BM_OaepDecryptor_Decrypt(benchmark::State& state) {
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted_pre_master = crypto::rsa_oaep_encrypt(server_public_key().get(), pre_master.view());
  crypto::OaepDecryptor decryptor(server_private_key());
  for (auto _ : state) {
    auto decrypted = decryptor.decrypt(encrypted_pre_master);
    if (!decrypted) {
      state.SkipWithError("pre_master does not decrypt");
      break;
    }
    benchmark::DoNotOptimize(decrypted->data());
  }
}
BENCHMARK(BM_OaepDecryptor_Decrypt);

// valid: a ClientKeyExchange from an honest client. tampered: one flipped byte, so OAEP decoding
// fails and the server continues with its random replacement; both should cost the same.
void BM_RecoverPreMaster(benchmark::State& state, bool tampered) {
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted_pre_master = crypto::rsa_oaep_encrypt(server_public_key().get(), pre_master.view());
  if (tampered) encrypted_pre_master[encrypted_pre_master.size() / 2] ^= 0x01;
  crypto::OaepDecryptor decryptor(server_private_key());
  for (auto _ : state) {
    Secret recovered = recover_pre_master(decryptor, encrypted_pre_master, ProtocolVersion::tlslab_1_0);
    benchmark::DoNotOptimize(recovered.data());
  }
}
BENCHMARK_CAPTURE(BM_RecoverPreMaster, valid, false);
BENCHMARK_CAPTURE(BM_RecoverPreMaster, tampered, true);

// ---- OpenSSL baselines ----

ossl::PKeyCtx oaep_context(EVP_PKEY* key, bool encrypt) {
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  require(ctx && (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) == 1 &&
              EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) == 1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) == 1,
          "RSA-OAEP context");
  return ctx;
}

void BM_OpenSSL_RsaOaep_Encrypt(benchmark::State& state) {
  auto public_key = server_public_key();
  auto ctx = oaep_context(public_key.get(), true);
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted_pre_master(static_cast<std::size_t>(EVP_PKEY_get_size(public_key.get())));
  for (auto _ : state) {
    std::size_t length = encrypted_pre_master.size();
    require(
        EVP_PKEY_encrypt(ctx.get(), encrypted_pre_master.data(), &length, pre_master.data(), pre_master.size()) == 1,
        "EVP_PKEY_encrypt");
    benchmark::DoNotOptimize(encrypted_pre_master.data());
  }
}
BENCHMARK(BM_OpenSSL_RsaOaep_Encrypt);

void BM_OpenSSL_RsaOaep_Decrypt(benchmark::State& state) {
  auto ctx = oaep_context(server_private_key(), false);
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Bytes encrypted_pre_master = crypto::rsa_oaep_encrypt(server_public_key().get(), pre_master.view());
  Bytes decrypted(encrypted_pre_master.size());
  for (auto _ : state) {
    std::size_t length = decrypted.size();
    if (EVP_PKEY_decrypt(ctx.get(), decrypted.data(), &length, encrypted_pre_master.data(),
                         encrypted_pre_master.size()) != 1 ||
        length != pre_master.size()) {
      state.SkipWithError("pre_master does not decrypt");
      break;
    }
    benchmark::DoNotOptimize(decrypted.data());
  }
}
BENCHMARK(BM_OpenSSL_RsaOaep_Decrypt);

}  // namespace
}  // namespace tlslab::microbench
