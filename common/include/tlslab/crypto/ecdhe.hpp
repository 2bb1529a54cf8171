#pragma once
// Ephemeral ECDH for the ECDHE suites (PROTOCOL.md §7.6): a fresh key pair per handshake in the
// chosen group, the peer's public key checked, the shared secret derived. OpenSSL does every
// operation (EVP_PKEY_keygen, EVP_PKEY_fromdata / new_raw_public_key, EVP_PKEY_derive).
#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

class EphemeralKey {
 public:
  // A fresh key pair in `group`.
  static EphemeralKey generate(NamedGroup group);
  // A given key pair, for known-answer tests: x25519 from its private key alone; secp256r1 from
  // its private scalar and its public point (04 ‖ x ‖ y).
  static EphemeralKey from_private_key(NamedGroup group, ByteView private_key, ByteView public_key = {});

  [[nodiscard]] NamedGroup group() const noexcept { return group_; }
  // The public key as it goes on the wire: 32 bytes (x25519), or 04 ‖ x ‖ y (secp256r1).
  [[nodiscard]] const Bytes& public_key() const noexcept { return public_key_; }
  // The private key's bytes, for --show-secrets only (32 bytes in both groups).
  [[nodiscard]] Secret private_key() const;
  // The PRE-MASTER: ECDH with the peer's public key (x25519: the 32-byte output; secp256r1: the
  // x-coordinate). illegal_parameter for a peer key that is no valid point of the group, or an
  // x25519 result of all zeros (a low-order point, RFC 7748 §6.1).
  [[nodiscard]] Result<Secret> derive(ByteView peer_public_key) const;

 private:
  EphemeralKey(NamedGroup group, ossl::PKey key, Bytes public_key)
      : group_(group), key_(std::move(key)), public_key_(std::move(public_key)) {}

  NamedGroup group_;
  ossl::PKey key_;  // OpenSSL clears the private key when it frees it
  Bytes public_key_;
};

// A peer's public key of `group`, checked: exactly 32 bytes for x25519; for secp256r1 65 bytes,
// 04 ‖ x ‖ y, a point on the curve. illegal_parameter otherwise.
Result<ossl::PKey> peer_public_key(NamedGroup group, ByteView encoded);

}  // namespace tlslab::crypto
