// RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) for the PRE-MASTER (PROTOCOL.md §7.1).
#include <gtest/gtest.h>

#include <optional>

#include "test_pki.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::crypto {
namespace {

using test::test_pki;

constexpr std::size_t rsa_2048_modulus_size = 256;

Bytes sample_pre_master() {
  Bytes pre_master{0x01, 0x00};  // client_version
  append(pre_master, random_bytes(46));
  return pre_master;
}

// The client only has the SERVER'S PUBLIC KEY from ServerHello: encrypt with that.
ossl::PKey server_public_key() {
  return parse_public_key_der(public_key_der(test_pki().server_key.get())).take();
}

TEST(RsaOaep, RoundTripsPreMasterUnderTheServersKey) {
  const Bytes pre_master = sample_pre_master();
  Bytes encrypted = rsa_oaep_encrypt(server_public_key().get(), pre_master);
  EXPECT_EQ(encrypted.size(), rsa_2048_modulus_size) << "encrypted_pre_master is exactly the modulus length";
  std::optional<Secret> decrypted = rsa_oaep_decrypt(test_pki().server_key.get(), encrypted);
  ASSERT_TRUE(decrypted.has_value());
  EXPECT_EQ(Bytes(decrypted->view().begin(), decrypted->view().end()), pre_master);
}

// The server's decryptor is set up once and used for every ClientKeyExchange, from any thread:
// a failed decryption must leave nothing behind that affects the next one.
TEST(OaepDecryptor, DecryptsEachCiphertextIndependentlyOfTheOnesBefore) {
  OaepDecryptor decryptor(test_pki().server_key.get());
  auto key = server_public_key();
  for (int round = 0; round < 3; ++round) {
    const Bytes pre_master = sample_pre_master();
    Bytes encrypted = rsa_oaep_encrypt(key.get(), pre_master);
    Bytes tampered = encrypted;
    tampered[100] ^= 0x40;
    EXPECT_FALSE(decryptor.decrypt(tampered).has_value()) << "round " << round;
    auto decrypted = decryptor.decrypt(encrypted);
    ASSERT_TRUE(decrypted.has_value()) << "round " << round;
    EXPECT_EQ(Bytes(decrypted->view().begin(), decrypted->view().end()), pre_master);
  }
}

TEST(RsaOaep, EncryptsTheSamePlaintextDifferentlyEachTime) {
  const Bytes pre_master = sample_pre_master();
  auto key = server_public_key();
  EXPECT_NE(rsa_oaep_encrypt(key.get(), pre_master), rsa_oaep_encrypt(key.get(), pre_master));
}

TEST(RsaOaep, RejectsCiphertextForAnotherKey) {
  Bytes encrypted = rsa_oaep_encrypt(server_public_key().get(), sample_pre_master());
  EVP_PKEY* wrong_key = test_pki().ca.key.get();  // also RSA-2048
  ASSERT_EQ(rsa_bits(wrong_key), 2048);
  EXPECT_FALSE(rsa_oaep_decrypt(wrong_key, encrypted).has_value());
}

TEST(RsaOaep, RejectsEveryFlippedCiphertextByte) {
  Bytes encrypted = rsa_oaep_encrypt(server_public_key().get(), sample_pre_master());
  for (std::size_t index = 0; index < encrypted.size(); ++index) {
    Bytes flipped = encrypted;
    flipped[index] ^= 0x01;
    EXPECT_FALSE(rsa_oaep_decrypt(test_pki().server_key.get(), flipped).has_value()) << "byte " << index;
  }
}

TEST(RsaOaep, RejectsTruncatedCiphertext) {
  Bytes encrypted = rsa_oaep_encrypt(server_public_key().get(), sample_pre_master());
  EVP_PKEY* key = test_pki().server_key.get();
  EXPECT_FALSE(rsa_oaep_decrypt(key, ByteView(encrypted).first(encrypted.size() - 1)).has_value()) << "last byte cut";
  EXPECT_FALSE(rsa_oaep_decrypt(key, ByteView(encrypted).subspan(1)).has_value()) << "first byte cut";
  EXPECT_FALSE(rsa_oaep_decrypt(key, ByteView(encrypted).first(128)).has_value()) << "half";
  const Bytes one_byte{0x01};
  EXPECT_FALSE(rsa_oaep_decrypt(key, one_byte).has_value());
}

TEST(RsaOaep, RejectsCiphertextWithAnExtraByte) {
  Bytes encrypted = rsa_oaep_encrypt(server_public_key().get(), sample_pre_master());
  encrypted.push_back(0x00);
  EXPECT_FALSE(rsa_oaep_decrypt(test_pki().server_key.get(), encrypted).has_value());
}

}  // namespace
}  // namespace tlslab::crypto
