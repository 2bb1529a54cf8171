#pragma once
// Signatures with a certificate's key: the server's over its ephemeral key share (PROTOCOL.md §7.6)
// and the client's CertificateVerify (§7.7): RSASSA-PSS with SHA-256 for an RSA key, ECDSA with
// SHA-256 for an EC P-256 key. OpenSSL's EVP_DigestSign / EVP_DigestVerify do the work.
#include <cstdint>
#include <optional>
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/result.hpp"

namespace tlslab::crypto {

// TLS SignatureScheme values (RFC 8446 §4.2.3).
enum class SignatureScheme : std::uint16_t {
  ecdsa_secp256r1_sha256 = 0x0403,
  rsa_pss_rsae_sha256 = 0x0804,
};
std::string_view to_string(SignatureScheme scheme);
std::optional<SignatureScheme> signature_scheme(std::uint16_t value);

// The scheme a key signs with here: RSA (≥ 2048 bits) → rsa_pss_rsae_sha256, EC P-256 →
// ecdsa_secp256r1_sha256; nullopt for any other key.
std::optional<SignatureScheme> scheme_for(EVP_PKEY* key);

Bytes sign(EVP_PKEY* private_key, SignatureScheme scheme, ByteView content);
// decrypt_error when the signature does not verify (as TLS reports a bad signature); the reason
// names what was signed and the key that did not verify it.
Result<void> verify(EVP_PKEY* public_key, SignatureScheme scheme, ByteView content, ByteView signature,
                    std::string_view signed_what = "the key share", std::string_view key_name = "SERVER'S PUBLIC KEY");

}  // namespace tlslab::crypto
