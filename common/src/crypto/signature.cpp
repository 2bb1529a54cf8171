#include "tlslab/crypto/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <string>

#include "tlslab/crypto/algorithms.hpp"

namespace tlslab::crypto {
namespace {

// PSS with MGF1-SHA-256 and a salt as long as the digest (RFC 8446 §4.2.3).
void use_pss(EVP_PKEY_CTX* context) {
  ossl::check(EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) == 1 &&
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(context, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                  EVP_PKEY_CTX_set_rsa_mgf1_md(context, sha256()) == 1,
              "RSA-PSS parameters");
}

bool is_p256(EVP_PKEY* key) {
  char group[32] = {};
  std::size_t length = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) == 1 &&
         (std::string(group) == "prime256v1" || std::string(group) == "P-256");
}

}  // namespace

std::string_view to_string(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::ecdsa_secp256r1_sha256: return "ecdsa_secp256r1_sha256";
    case SignatureScheme::rsa_pss_rsae_sha256: return "rsa_pss_rsae_sha256";
  }
  return "?";
}

std::optional<SignatureScheme> signature_scheme(std::uint16_t value) {
  switch (value) {
    case static_cast<std::uint16_t>(SignatureScheme::ecdsa_secp256r1_sha256):
      return SignatureScheme::ecdsa_secp256r1_sha256;
    case static_cast<std::uint16_t>(SignatureScheme::rsa_pss_rsae_sha256): return SignatureScheme::rsa_pss_rsae_sha256;
    default: return std::nullopt;
  }
}

std::optional<SignatureScheme> scheme_for(EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) >= 2048) return SignatureScheme::rsa_pss_rsae_sha256;
      return std::nullopt;
    case EVP_PKEY_EC:
      if (is_p256(key)) return SignatureScheme::ecdsa_secp256r1_sha256;
      ERR_clear_error();
      return std::nullopt;
    default: return std::nullopt;
  }
}

Bytes sign(EVP_PKEY* private_key, SignatureScheme scheme, ByteView content) {
  ossl::MdCtx context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  ossl::check(context && EVP_DigestSignInit(context.get(), &key_context, sha256(), nullptr, private_key) == 1,
              "EVP_DigestSignInit");
  if (scheme == SignatureScheme::rsa_pss_rsae_sha256) use_pss(key_context);
  std::size_t length = 0;
  ossl::check(EVP_DigestSign(context.get(), nullptr, &length, content.data(), content.size()) == 1, "EVP_DigestSign");
  Bytes signature(length);
  ossl::check(EVP_DigestSign(context.get(), signature.data(), &length, content.data(), content.size()) == 1,
              "EVP_DigestSign");
  signature.resize(length);  // an ECDSA signature in DER is at most `length` bytes
  return signature;
}

Result<void> verify(EVP_PKEY* public_key, SignatureScheme scheme, ByteView content, ByteView signature,
                    std::string_view signed_what, std::string_view key_name) {
  ossl::MdCtx context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  ossl::check(context && EVP_DigestVerifyInit(context.get(), &key_context, sha256(), nullptr, public_key) == 1,
              "EVP_DigestVerifyInit");
  if (scheme == SignatureScheme::rsa_pss_rsae_sha256) use_pss(key_context);
  int verified = EVP_DigestVerify(context.get(), signature.data(), signature.size(), content.data(), content.size());
  ERR_clear_error();
  if (verified != 1) {
    return fail(AlertDescription::decrypt_error, "the " + std::string(to_string(scheme)) + " signature over " +
                                                     std::string(signed_what) + " does not verify with " +
                                                     std::string(key_name));
  }
  return {};
}

}  // namespace tlslab::crypto
