#include "tlslab/crypto/algorithms.hpp"

#include "tlslab/crypto/ossl.hpp"

namespace tlslab::crypto {
namespace {

// Deliberately never freed: OpenSSL's own cleanup at exit may run before static destructors.
const EVP_MD* fetch_digest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  ossl::check(md != nullptr, std::string("EVP_MD_fetch(") + name + ")");
  return md;
}

const EVP_CIPHER* fetch_cipher(const char* name) {
  const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  ossl::check(cipher != nullptr, std::string("EVP_CIPHER_fetch(") + name + ")");
  return cipher;
}

}  // namespace

const EVP_MD* sha1() {
  static const EVP_MD* md = fetch_digest("SHA1");
  return md;
}

const EVP_MD* sha256() {
  static const EVP_MD* md = fetch_digest("SHA256");
  return md;
}

const EVP_MD* sha384() {
  static const EVP_MD* md = fetch_digest("SHA384");
  return md;
}

const EVP_MD* digest_for(HashAlgorithm hash) {
  return hash == HashAlgorithm::sha256 ? sha256() : sha384();
}

const EVP_CIPHER* cipher_for(Aead aead) {
  static const EVP_CIPHER* aes_128_gcm = fetch_cipher("AES-128-GCM");
  static const EVP_CIPHER* aes_256_gcm = fetch_cipher("AES-256-GCM");
  static const EVP_CIPHER* chacha20_poly1305 = fetch_cipher("ChaCha20-Poly1305");
  switch (aead) {
    case Aead::aes_128_gcm: return aes_128_gcm;
    case Aead::aes_256_gcm: return aes_256_gcm;
    case Aead::chacha20_poly1305: return chacha20_poly1305;
  }
  return nullptr;
}

}  // namespace tlslab::crypto
