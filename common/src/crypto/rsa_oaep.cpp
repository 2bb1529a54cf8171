#include "tlslab/crypto/rsa_oaep.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "tlslab/crypto/algorithms.hpp"

namespace tlslab::crypto {
namespace {

ossl::PKeyCtx oaep_context(EVP_PKEY* key, bool encrypt) {
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  ossl::check(ctx != nullptr, "EVP_PKEY_CTX_new_from_pkey");
  ossl::check((encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) == 1,
              "RSA-OAEP init (is the key RSA?)");
  ossl::check(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1, "OAEP padding");
  ossl::check(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), sha256()) == 1, "OAEP hash");
  ossl::check(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), sha256()) == 1, "OAEP MGF1 hash");
  return ctx;
}

}  // namespace

Bytes rsa_oaep_encrypt(EVP_PKEY* public_key, ByteView plaintext) {
  auto ctx = oaep_context(public_key, true);
  std::size_t length = 0;
  ossl::check(EVP_PKEY_encrypt(ctx.get(), nullptr, &length, plaintext.data(), plaintext.size()) == 1,
              "RSA-OAEP encrypt (size)");
  Bytes out(length);
  ossl::check(EVP_PKEY_encrypt(ctx.get(), out.data(), &length, plaintext.data(), plaintext.size()) == 1,
              "RSA-OAEP encrypt");
  out.resize(length);
  return out;
}

OaepDecryptor::OaepDecryptor(EVP_PKEY* private_key)
    : prepared_(oaep_context(private_key, false)),
      modulus_size_(static_cast<std::size_t>(EVP_PKEY_get_size(private_key))) {}

std::optional<Secret> OaepDecryptor::decrypt(ByteView ciphertext) const {
  // §7.1: exactly the modulus length. OpenSSL would accept a shorter input as the same number
  // (a ciphertext whose leading zero byte was cut), which is not what the peer sent.
  if (ciphertext.size() != modulus_size_) return std::nullopt;
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_dup(prepared_.get()));
  ossl::check(ctx != nullptr, "EVP_PKEY_CTX_dup");
  // The output buffer has the modulus size, the most OAEP can yield: no size query needed.
  Secret out(modulus_size_);
  std::size_t length = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &length, ciphertext.data(), ciphertext.size()) != 1) {
    // The reason is deliberately dropped: it must not influence what the peer sees (§7.1).
    ERR_clear_error();
    return std::nullopt;
  }
  Secret exact(out.view().first(length));
  return exact;
}

std::optional<Secret> rsa_oaep_decrypt(EVP_PKEY* private_key, ByteView ciphertext) {
  return OaepDecryptor(private_key).decrypt(ciphertext);
}

}  // namespace tlslab::crypto
