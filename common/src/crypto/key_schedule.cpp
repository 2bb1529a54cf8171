#include "tlslab/crypto/key_schedule.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include <string>

#include "tlslab/crypto/ossl.hpp"

namespace tlslab::crypto {
namespace {

EVP_KDF* tls1_prf() {
  // Fetched once per process: the algorithm object is immutable and shared between threads.
  static const ossl::Kdf kdf(EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr));
  ossl::check(kdf != nullptr, "EVP_KDF_fetch(TLS1-PRF)");
  return kdf.get();
}

const char* digest_name(HashAlgorithm hash) {
  return hash == HashAlgorithm::sha256 ? "SHA256" : "SHA384";
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  append(out, b);
  return out;
}

}  // namespace

Secret prf(HashAlgorithm hash, ByteView secret, std::string_view label, ByteView seed, std::size_t length) {
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(tls1_prf()));
  ossl::check(ctx != nullptr, "EVP_KDF_CTX_new");
  // RFC 5246 §5: PRF(secret, label, seed) = P_hash(secret, label + seed).
  Bytes label_and_seed = concat(as_bytes(label), seed);
  std::string digest = digest_name(hash);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, label_and_seed.data(), label_and_seed.size()),
      OSSL_PARAM_construct_end(),
  };
  Secret out(length);
  ossl::check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1, "TLS1-PRF derive");
  return out;
}

Secret derive_master_secret(HashAlgorithm hash, const Secret& pre_master, const Random& client_random,
                            const Random& server_random) {
  return prf(hash, pre_master.view(), "master secret", concat(client_random, server_random), master_secret_size);
}

KeyBlock derive_key_block(const SuiteInfo& suite, const Secret& master_secret, const Random& client_random,
                          const Random& server_random) {
  std::size_t length = 2 * suite.key_length + 2 * suite.iv_length;
  Secret block = prf(suite.hash, master_secret.view(), "key expansion", concat(server_random, client_random), length);
  ByteView rest = block.view();
  auto take = [&rest](std::size_t count) {
    Secret part(rest.first(count));
    rest = rest.subspan(count);
    return part;
  };
  KeyBlock keys;
  keys.client_write.key = take(suite.key_length);
  keys.server_write.key = take(suite.key_length);
  keys.client_write.iv = take(suite.iv_length);
  keys.server_write.iv = take(suite.iv_length);
  return keys;
}

std::array<std::uint8_t, verify_data_size> compute_verify_data(HashAlgorithm hash, const Secret& master_secret,
                                                               FinishedSender sender, ByteView transcript_hash) {
  std::string_view label = sender == FinishedSender::client ? "client finished" : "server finished";
  Secret out = prf(hash, master_secret.view(), label, transcript_hash, verify_data_size);
  std::array<std::uint8_t, verify_data_size> verify_data{};
  std::copy(out.view().begin(), out.view().end(), verify_data.begin());
  return verify_data;
}

}  // namespace tlslab::crypto
