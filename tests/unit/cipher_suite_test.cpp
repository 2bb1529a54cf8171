// The cipher-suite registry (PROTOCOL.md §7.5) and the --suites parser.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tlslab/cipher_suite.hpp"

namespace tlslab {
namespace {

using Suites = std::vector<CipherSuite>;

TEST(ParseSuiteList, AcceptsShortNamesInTheGivenOrder) {
  std::string error;
  auto suites = parse_suite_list("chacha20,aes256gcm,aes128gcm", error);
  ASSERT_TRUE(suites.has_value()) << error;
  EXPECT_EQ(*suites, (Suites{CipherSuite::rsa_oaep_chacha20_poly1305_sha256, CipherSuite::rsa_oaep_aes_256_gcm_sha384,
                             CipherSuite::rsa_oaep_aes_128_gcm_sha256}));
}

TEST(ParseSuiteList, AcceptsFullNames) {
  std::string error;
  auto suites = parse_suite_list(
      "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256,TLSLAB_RSA_OAEP_WITH_AES_256_GCM_SHA384,"
      "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256",
      error);
  ASSERT_TRUE(suites.has_value()) << error;
  EXPECT_EQ(*suites, (Suites{CipherSuite::rsa_oaep_aes_128_gcm_sha256, CipherSuite::rsa_oaep_aes_256_gcm_sha384,
                             CipherSuite::rsa_oaep_chacha20_poly1305_sha256}));
}

TEST(ParseSuiteList, AcceptsMixedNamesAndSkipsEmptyItems) {
  std::string error;
  auto suites = parse_suite_list("aes128gcm,,TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256,", error);
  ASSERT_TRUE(suites.has_value()) << error;
  EXPECT_EQ(*suites,
            (Suites{CipherSuite::rsa_oaep_aes_128_gcm_sha256, CipherSuite::rsa_oaep_chacha20_poly1305_sha256}));
}

TEST(ParseSuiteList, RejectsUnknownNameAndNamesIt) {
  std::string error;
  auto suites = parse_suite_list("aes128gcm,rc4", error);
  EXPECT_FALSE(suites.has_value());
  EXPECT_NE(error.find("'rc4'"), std::string::npos) << error;
  EXPECT_NE(error.find("aes128gcm, aes256gcm, chacha20"), std::string::npos) << "lists the known names: " << error;
}

TEST(ParseSuiteList, RejectsNamesThatOnlyDifferInCase) {
  std::string error;
  EXPECT_FALSE(parse_suite_list("AES128GCM", error).has_value());
  EXPECT_NE(error.find("AES128GCM"), std::string::npos) << error;
}

TEST(ParseSuiteList, RejectsEmptyList) {
  for (const char* list : {"", ",", ",,,"}) {
    std::string error;
    EXPECT_FALSE(parse_suite_list(list, error).has_value()) << "'" << list << "'";
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
  }
}

TEST(SuiteInfo, DescribesEverySuiteOfTheTable) {
  auto aes128 = suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  ASSERT_TRUE(aes128.has_value());
  EXPECT_EQ(aes128->aead, Aead::aes_128_gcm);
  EXPECT_EQ(aes128->hash, HashAlgorithm::sha256);
  EXPECT_EQ(aes128->key_length, 16u);
  EXPECT_EQ(aes128->iv_length, 12u);

  auto aes256 = suite_info(std::uint16_t{0x0A02});
  ASSERT_TRUE(aes256.has_value());
  EXPECT_EQ(aes256->suite, CipherSuite::rsa_oaep_aes_256_gcm_sha384);
  EXPECT_EQ(aes256->aead, Aead::aes_256_gcm);
  EXPECT_EQ(aes256->hash, HashAlgorithm::sha384);
  EXPECT_EQ(aes256->key_length, 32u);

  auto chacha = suite_info(std::uint16_t{0x0A03});
  ASSERT_TRUE(chacha.has_value());
  EXPECT_EQ(chacha->aead, Aead::chacha20_poly1305);
  EXPECT_EQ(chacha->hash, HashAlgorithm::sha256);
  EXPECT_EQ(chacha->key_length, 32u);
  EXPECT_EQ(chacha->name, "TLSLAB_RSA_OAEP_WITH_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(chacha->short_name, "chacha20");

  EXPECT_EQ(all_suites().size(), 6u);  // three with RSA key transport, three with ECDHE (§7.5, §7.6)
}

TEST(SuiteInfo, IsNulloptForUnknownValue) {
  for (std::uint16_t value : std::initializer_list<std::uint16_t>{0x0000, 0x0A00, 0x0A04, 0x0B00, 0x0B04, 0xFFFF}) {
    EXPECT_FALSE(suite_info(value).has_value()) << value;
  }
  EXPECT_FALSE(suite_info(static_cast<CipherSuite>(0x1301)).has_value());
}

TEST(SuiteName, NamesUnknownValuesInHex) {
  EXPECT_EQ(suite_name(0x0A01), "TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(suite_name(0x0B07), "unknown suite 0x0B07");
}

TEST(DefaultSuites, FollowsTheDefaultPreferenceOfSection7_5) {
  EXPECT_EQ(default_suites(),
            (Suites{CipherSuite::rsa_oaep_aes_128_gcm_sha256, CipherSuite::rsa_oaep_chacha20_poly1305_sha256,
                    CipherSuite::rsa_oaep_aes_256_gcm_sha384, CipherSuite::ecdhe_aes_128_gcm_sha256,
                    CipherSuite::ecdhe_chacha20_poly1305_sha256, CipherSuite::ecdhe_aes_256_gcm_sha384}));
}

TEST(Groups, ParseByNameOrAliasAndKeepTheOrder) {
  std::string error;
  auto groups = parse_group_list("p256,x25519", error);
  ASSERT_TRUE(groups) << error;
  EXPECT_EQ(*groups, (std::vector<NamedGroup>{NamedGroup::secp256r1, NamedGroup::x25519}));
  EXPECT_FALSE(parse_group_list("x448", error));
  EXPECT_NE(error.find("unknown group 'x448'"), std::string::npos);
  EXPECT_EQ(named_group(0x001D), NamedGroup::x25519);
  EXPECT_EQ(named_group(0x0018), std::nullopt);
  EXPECT_EQ(default_groups(), (std::vector<NamedGroup>{NamedGroup::x25519, NamedGroup::secp256r1}));
}

TEST(Suites, EcdheSuitesParseByTheirNames) {
  std::string error;
  auto suites = parse_suite_list("ecdhe-aes128gcm,ecdhe-chacha20,ecdhe-aes256gcm", error);
  ASSERT_TRUE(suites) << error;
  for (CipherSuite suite : *suites) EXPECT_EQ(suite_info(suite)->key_exchange, KeyExchange::ecdhe);
}

}  // namespace
}  // namespace tlslab
