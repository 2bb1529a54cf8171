#pragma once
// One AEAD key (AES-GCM or ChaCha20-Poly1305, 12-byte nonce, 16-byte tag) with its OpenSSL
// contexts created once: sealing or opening a record only sets the nonce.
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

  // Writes plaintext.size() + 16 bytes (ciphertext || tag) to `out`, which may alias plaintext.
  void seal(ByteView nonce, ByteView aad, ByteView plaintext, std::uint8_t* out);
  // Decrypts ciphertext || tag into `out` (ciphertext.size() - 16 bytes, may alias). False when the
  // tag does not verify; `out` is then zeroed.
  [[nodiscard]] bool open(ByteView nonce, ByteView aad, ByteView ciphertext_and_tag, std::uint8_t* out);

 private:
  ossl::CipherCtx seal_ctx_;
  ossl::CipherCtx open_ctx_;
};

}  // namespace tlslab::crypto
