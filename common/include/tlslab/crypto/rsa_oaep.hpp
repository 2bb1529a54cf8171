#pragma once
// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (PROTOCOL.md §7.1).
#include <optional>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/secret.hpp"

namespace tlslab::crypto {

Bytes rsa_oaep_encrypt(EVP_PKEY* public_key, ByteView plaintext);

// A private key with its OAEP decryption context set up once (padding, hashes). Each decryption
// works on a copy of that context: cheaper than setting one up, and safe from any thread.
class OaepDecryptor {
 public:
  explicit OaepDecryptor(EVP_PKEY* private_key);
  // nullopt when the ciphertext does not decrypt. The caller must not reveal which (§7.1).
  [[nodiscard]] std::optional<Secret> decrypt(ByteView ciphertext) const;

 private:
  ossl::PKeyCtx prepared_;
  std::size_t modulus_size_;
};

// One decryption with a context made for it (tests, tools); a server keeps an OaepDecryptor.
std::optional<Secret> rsa_oaep_decrypt(EVP_PKEY* private_key, ByteView ciphertext);

}  // namespace tlslab::crypto
