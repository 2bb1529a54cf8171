// The TLS 1.2 key schedule (PROTOCOL.md §7.2–7.3): four PRF calls per handshake and side. The
// baseline is EVP_KDF "TLS1-PRF" called directly, a fresh EVP_KDF_CTX per derive as tlslab does,
// but with the label and seed parts passed as separate seed parameters (no concatenation) and the
// output on the stack (no Secret).
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include <array>
#include <initializer_list>
#include <string_view>

#include "fixtures.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::microbench {
namespace {

struct HandshakeInputs {
  Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
  Random client_random = crypto::random_hello_value();
  Random server_random = crypto::random_hello_value();
  Bytes transcript_hash;  // the hash Finished signs; its value does not change the cost

  explicit HandshakeInputs(HashAlgorithm hash) : transcript_hash(crypto::digest(hash, crypto::random_bytes(2048))) {}
};

HashAlgorithm hash_of(CipherSuite suite) {
  auto info = suite_info(suite);
  require(info.has_value(), "unknown suite");
  return info->hash;
}

void BM_Prf_MasterSecret(benchmark::State& state, CipherSuite suite) {
  HashAlgorithm hash = hash_of(suite);
  HandshakeInputs inputs(hash);
  for (auto _ : state) {
    Secret master_secret =
        crypto::derive_master_secret(hash, inputs.pre_master, inputs.client_random, inputs.server_random);
    benchmark::DoNotOptimize(master_secret.data());
  }
}
BENCHMARK_CAPTURE(BM_Prf_MasterSecret, sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256);
BENCHMARK_CAPTURE(BM_Prf_MasterSecret, sha384, CipherSuite::rsa_oaep_aes_256_gcm_sha384);

// master_secret, key_block, and both verify_data: every PRF call one side of a handshake makes.
// (The server's verify_data hashes one more message; the PRF input has the same size.)
void BM_KeySchedule(benchmark::State& state, CipherSuite suite) {
  auto info = suite_info(suite);
  require(info.has_value(), "unknown suite");
  HandshakeInputs inputs(info->hash);
  for (auto _ : state) {
    Secret master_secret =
        crypto::derive_master_secret(info->hash, inputs.pre_master, inputs.client_random, inputs.server_random);
    crypto::KeyBlock keys = crypto::derive_key_block(*info, master_secret, inputs.client_random, inputs.server_random);
    auto client_verify_data =
        crypto::compute_verify_data(info->hash, master_secret, crypto::FinishedSender::client, inputs.transcript_hash);
    auto server_verify_data =
        crypto::compute_verify_data(info->hash, master_secret, crypto::FinishedSender::server, inputs.transcript_hash);
    benchmark::DoNotOptimize(keys.client_write.key.data());
    benchmark::DoNotOptimize(client_verify_data);
    benchmark::DoNotOptimize(server_verify_data);
  }
}
BENCHMARK_CAPTURE(BM_KeySchedule, sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256);
BENCHMARK_CAPTURE(BM_KeySchedule, sha384, CipherSuite::rsa_oaep_aes_256_gcm_sha384);

// ---- OpenSSL baseline ----

EVP_KDF* tls1_prf() {
  static const ossl::Kdf kdf(EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr));
  require(kdf != nullptr, "EVP_KDF_fetch(TLS1-PRF)");
  return kdf.get();
}

// TLS1-PRF concatenates repeated seed parameters itself.
void raw_prf(const char* digest, ByteView secret, std::string_view label, std::initializer_list<ByteView> seeds,
             std::span<std::uint8_t> out) {
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(tls1_prf()));
  require(ctx != nullptr, "EVP_KDF_CTX_new");
  std::array<OSSL_PARAM, 6> params{};
  std::size_t count = 0;
  params[count++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0);
  params[count++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<std::uint8_t*>(secret.data()), secret.size());
  params[count++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<char*>(label.data()), label.size());
  for (ByteView seed : seeds) {
    params[count++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, const_cast<std::uint8_t*>(seed.data()), seed.size());
  }
  params[count] = OSSL_PARAM_construct_end();
  require(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params.data()) == 1, "TLS1-PRF derive");
}

const char* digest_name(HashAlgorithm hash) {
  return hash == HashAlgorithm::sha256 ? "SHA256" : "SHA384";
}

void BM_OpenSSL_Tls1Prf_MasterSecret(benchmark::State& state, CipherSuite suite) {
  HashAlgorithm hash = hash_of(suite);
  HandshakeInputs inputs(hash);
  std::array<std::uint8_t, crypto::master_secret_size> master_secret{};
  // The baseline must compute what tlslab computes, or the ratio means nothing.
  raw_prf(digest_name(hash), inputs.pre_master.view(), "master secret", {inputs.client_random, inputs.server_random},
          master_secret);
  Secret expected = crypto::derive_master_secret(hash, inputs.pre_master, inputs.client_random, inputs.server_random);
  if (!constant_time_equal(expected.view(), master_secret)) {
    state.SkipWithError("raw TLS1-PRF disagrees with derive_master_secret");
    return;
  }
  for (auto _ : state) {
    raw_prf(digest_name(hash), inputs.pre_master.view(), "master secret", {inputs.client_random, inputs.server_random},
            master_secret);
    benchmark::DoNotOptimize(master_secret);
  }
}
BENCHMARK_CAPTURE(BM_OpenSSL_Tls1Prf_MasterSecret, sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256);
BENCHMARK_CAPTURE(BM_OpenSSL_Tls1Prf_MasterSecret, sha384, CipherSuite::rsa_oaep_aes_256_gcm_sha384);

void BM_OpenSSL_Tls1Prf_KeySchedule(benchmark::State& state, CipherSuite suite) {
  auto info = suite_info(suite);
  require(info.has_value(), "unknown suite");
  const char* digest = digest_name(info->hash);
  HandshakeInputs inputs(info->hash);
  std::array<std::uint8_t, crypto::master_secret_size> master_secret{};
  std::array<std::uint8_t, 2 * 32 + 2 * 12> key_block{};
  std::array<std::uint8_t, verify_data_size> client_verify_data{};
  std::array<std::uint8_t, verify_data_size> server_verify_data{};
  std::span<std::uint8_t> key_block_used(key_block.data(), 2 * info->key_length + 2 * info->iv_length);
  for (auto _ : state) {
    raw_prf(digest, inputs.pre_master.view(), "master secret", {inputs.client_random, inputs.server_random},
            master_secret);
    raw_prf(digest, master_secret, "key expansion", {inputs.server_random, inputs.client_random}, key_block_used);
    raw_prf(digest, master_secret, "client finished", {inputs.transcript_hash}, client_verify_data);
    raw_prf(digest, master_secret, "server finished", {inputs.transcript_hash}, server_verify_data);
    benchmark::DoNotOptimize(key_block);
    benchmark::DoNotOptimize(client_verify_data);
    benchmark::DoNotOptimize(server_verify_data);
  }
}
BENCHMARK_CAPTURE(BM_OpenSSL_Tls1Prf_KeySchedule, sha256, CipherSuite::rsa_oaep_aes_128_gcm_sha256);
BENCHMARK_CAPTURE(BM_OpenSSL_Tls1Prf_KeySchedule, sha384, CipherSuite::rsa_oaep_aes_256_gcm_sha384);

}  // namespace
}  // namespace tlslab::microbench
