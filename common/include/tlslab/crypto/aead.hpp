#pragma once
// One AEAD key (AES-GCM or ChaCha20-Poly1305, 12-byte nonce, 16-byte tag). Its OpenSSL context is
// keyed once; sealing or opening a record then only sets the nonce.
#include <cstdint>
#include <span>

#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ossl.hpp"

namespace tlslab::crypto {

inline constexpr std::size_t aead_nonce_size = 12;

class AeadKey {
 public:
  AeadKey(Aead aead, ByteView key);
  ~AeadKey();
  AeadKey(AeadKey&&) noexcept = default;
  AeadKey& operator=(AeadKey&&) noexcept = default;

  // Writes plaintext.size() + 16 bytes (ciphertext || tag) to `out`, which may alias plaintext.
  void seal(ByteView nonce, ByteView aad, ByteView plaintext, std::uint8_t* out);
  // Decrypts ciphertext || tag into `out` (ciphertext.size() - 16 bytes, may alias). False when the
  // tag does not verify; `out` is then zeroed.
  [[nodiscard]] bool open(ByteView nonce, ByteView aad, ByteView ciphertext_and_tag, std::uint8_t* out);

 private:
  // Created on first use: a record direction only ever seals or only ever opens, so a session key
  // sets up one OpenSSL context, not two.
  EVP_CIPHER_CTX* context(bool encrypt);

  Aead aead_;
  Bytes key_;  // wiped in the destructor
  ossl::CipherCtx seal_ctx_;
  ossl::CipherCtx open_ctx_;
};

}  // namespace tlslab::crypto
