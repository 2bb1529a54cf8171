#include "fixtures.hpp"

#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::microbench {

crypto::DirectionKeys RecordKeyMaterial::direction_keys() const {
  return crypto::DirectionKeys{Secret(ByteView(key)), Secret(ByteView(iv))};
}

RecordKeyMaterial record_key_material(CipherSuite suite) {
  auto info = suite_info(suite);
  require(info.has_value(), "unknown suite");
  return RecordKeyMaterial{*info, crypto::random_bytes(info->key_length), crypto::random_bytes(info->iv_length)};
}

ServerHello sample_server_hello() {
  const auto& pki = test::test_pki();
  ServerHello hello;
  hello.random = crypto::random_hello_value();
  hello.cipher_suite = static_cast<std::uint16_t>(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  hello.certificate = crypto::certificate_der(pki.server_certificate.get());
  hello.server_public_key = crypto::public_key_der(pki.server_key.get());
  return hello;
}

const EVP_CIPHER* evp_cipher(Aead aead) {
  switch (aead) {
    case Aead::aes_128_gcm: return EVP_aes_128_gcm();
    case Aead::aes_256_gcm: return EVP_aes_256_gcm();
    case Aead::chacha20_poly1305: return EVP_chacha20_poly1305();
  }
  return nullptr;
}

void require(bool ok, std::string_view what) {
  ossl::check(ok, what);
}

}  // namespace tlslab::microbench
