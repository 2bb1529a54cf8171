#include "tlslab/crypto/aead.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "tlslab/crypto/algorithms.hpp"
#include "tlslab/frame.hpp"

namespace tlslab::crypto {
namespace {

ossl::CipherCtx keyed_context(Aead aead, ByteView key, bool encrypt) {
  const EVP_CIPHER* cipher = cipher_for(aead);
  if (static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher)) != key.size()) {
    throw std::invalid_argument("AEAD key of wrong length");
  }
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  ossl::check(ctx != nullptr, "EVP_CIPHER_CTX_new");
  ossl::check(EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), nullptr, encrypt ? 1 : 0) == 1,
              "AEAD key setup");
  return ctx;
}

}  // namespace

AeadKey::AeadKey(Aead aead, ByteView key) : aead_(aead), key_(key.begin(), key.end()) {
  if (static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher_for(aead))) != key.size()) {
    throw std::invalid_argument("AEAD key of wrong length");
  }
}

AeadKey::~AeadKey() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

EVP_CIPHER_CTX* AeadKey::context(bool encrypt) {
  ossl::CipherCtx& ctx = encrypt ? seal_ctx_ : open_ctx_;
  if (!ctx) ctx = keyed_context(aead_, key_, encrypt);
  return ctx.get();
}

void AeadKey::seal(ByteView nonce, ByteView aad, ByteView plaintext, std::uint8_t* out) {
  EVP_CIPHER_CTX* ctx = context(true);
  int length = 0;
  ossl::check(nonce.size() == aead_nonce_size && EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1,
              "AEAD nonce");
  ossl::check(EVP_EncryptUpdate(ctx, nullptr, &length, aad.data(), static_cast<int>(aad.size())) == 1, "AEAD aad");
  ossl::check(EVP_EncryptUpdate(ctx, out, &length, plaintext.data(), static_cast<int>(plaintext.size())) == 1,
              "AEAD encrypt");
  int final_length = 0;
  ossl::check(EVP_EncryptFinal_ex(ctx, out + length, &final_length) == 1, "AEAD final");
  ossl::check(
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aead_tag_size), out + plaintext.size()) == 1,
      "AEAD tag");
}

bool AeadKey::open(ByteView nonce, ByteView aad, ByteView ciphertext_and_tag, std::uint8_t* out) {
  if (nonce.size() != aead_nonce_size || ciphertext_and_tag.size() < aead_tag_size) return false;
  std::size_t ciphertext_size = ciphertext_and_tag.size() - aead_tag_size;
  std::array<std::uint8_t, aead_tag_size> tag{};
  std::memcpy(tag.data(), ciphertext_and_tag.data() + ciphertext_size, aead_tag_size);
  EVP_CIPHER_CTX* ctx = context(false);
  int length = 0;
  int final_length = 0;
  bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &length, aad.data(), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx, out, &length, ciphertext_and_tag.data(), static_cast<int>(ciphertext_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(aead_tag_size), tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx, out + length, &final_length) == 1;
  if (!ok) OPENSSL_cleanse(out, ciphertext_size);
  return ok;
}

}  // namespace tlslab::crypto
