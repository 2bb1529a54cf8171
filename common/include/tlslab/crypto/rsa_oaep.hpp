#pragma once
// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (PROTOCOL.md §7.1).
#include <optional>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/secret.hpp"

namespace tlslab::crypto {

Bytes rsa_oaep_encrypt(EVP_PKEY* public_key, ByteView plaintext);
// nullopt when the ciphertext does not decrypt. The caller must not reveal which (§7.1).
std::optional<Secret> rsa_oaep_decrypt(EVP_PKEY* private_key, ByteView ciphertext);

}  // namespace tlslab::crypto
