// The TLS 1.2 key schedule (PROTOCOL.md §7.2–7.3), checked against prf() called directly, and
// the Secret and constant-time helpers it relies on.
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/crypto/transcript.hpp"

namespace tlslab::crypto {
namespace {

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  append(out, b);
  return out;
}

Bytes to_bytes(ByteView view) {
  return Bytes(view.begin(), view.end());
}

class KeyScheduleTest : public ::testing::TestWithParam<CipherSuite> {
 protected:
  void SetUp() override {
    suite_ = suite_info(GetParam()).value();
    pre_master_ = Secret(random_bytes(pre_master_size));
    client_random_ = random_hello_value();
    server_random_ = random_hello_value();
  }

  SuiteInfo suite_{};
  Secret pre_master_;
  Random client_random_{};
  Random server_random_{};
};

std::string suite_test_name(const ::testing::TestParamInfo<CipherSuite>& info) {
  return std::string(suite_info(info.param)->short_name);
}

INSTANTIATE_TEST_SUITE_P(AllSuites, KeyScheduleTest,
                         ::testing::Values(CipherSuite::rsa_oaep_aes_128_gcm_sha256,
                                           CipherSuite::rsa_oaep_aes_256_gcm_sha384,
                                           CipherSuite::rsa_oaep_chacha20_poly1305_sha256),
                         suite_test_name);

TEST_P(KeyScheduleTest, MasterSecretIsPrfOfPreMasterOverClientThenServerRandom) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  ASSERT_EQ(master.size(), master_secret_size);
  Secret expected =
      prf(suite_.hash, pre_master_.view(), "master secret", concat(client_random_, server_random_), master_secret_size);
  EXPECT_EQ(to_hex(master.view()), to_hex(expected.view()));
  Secret swapped =
      prf(suite_.hash, pre_master_.view(), "master secret", concat(server_random_, client_random_), master_secret_size);
  EXPECT_NE(to_hex(master.view()), to_hex(swapped.view()));
}

TEST_P(KeyScheduleTest, KeyBlockHasTheSuitesKeyAndIvLengths) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  KeyBlock keys = derive_key_block(suite_, master, client_random_, server_random_);
  std::size_t expected_key_length = GetParam() == CipherSuite::rsa_oaep_aes_128_gcm_sha256 ? 16 : 32;
  EXPECT_EQ(suite_.key_length, expected_key_length);
  EXPECT_EQ(keys.client_write.key.size(), expected_key_length);
  EXPECT_EQ(keys.server_write.key.size(), expected_key_length);
  EXPECT_EQ(keys.client_write.iv.size(), 12u);
  EXPECT_EQ(keys.server_write.iv.size(), 12u);
}

TEST_P(KeyScheduleTest, KeyBlockIsClientKeyServerKeyClientIvServerIv) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  KeyBlock keys = derive_key_block(suite_, master, client_random_, server_random_);
  const std::size_t key_length = suite_.key_length;
  const std::size_t iv_length = suite_.iv_length;
  // RFC 5246 §6.3: key expansion is seeded with server_random || client_random.
  Secret block = prf(suite_.hash, master.view(), "key expansion", concat(server_random_, client_random_),
                     2 * key_length + 2 * iv_length);
  ByteView expected = block.view();
  EXPECT_EQ(to_hex(keys.client_write.key.view()), to_hex(expected.subspan(0, key_length)));
  EXPECT_EQ(to_hex(keys.server_write.key.view()), to_hex(expected.subspan(key_length, key_length)));
  EXPECT_EQ(to_hex(keys.client_write.iv.view()), to_hex(expected.subspan(2 * key_length, iv_length)));
  EXPECT_EQ(to_hex(keys.server_write.iv.view()), to_hex(expected.subspan(2 * key_length + iv_length, iv_length)));
}

TEST_P(KeyScheduleTest, VerifyDataIsPrfOfTheTranscriptHashWithTheSendersLabel) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  Bytes transcript_hash = digest(suite_.hash, as_bytes("ClientHello ServerHello ClientKeyExchange"));
  auto client = compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash);
  auto server = compute_verify_data(suite_.hash, master, FinishedSender::server, transcript_hash);
  Secret expected_client = prf(suite_.hash, master.view(), "client finished", transcript_hash, verify_data_size);
  Secret expected_server = prf(suite_.hash, master.view(), "server finished", transcript_hash, verify_data_size);
  EXPECT_EQ(to_hex(client), to_hex(expected_client.view()));
  EXPECT_EQ(to_hex(server), to_hex(expected_server.view()));
}

TEST_P(KeyScheduleTest, VerifyDataDiffersBetweenClientAndServerLabels) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  Bytes transcript_hash = digest(suite_.hash, as_bytes("transcript"));
  EXPECT_NE(compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash),
            compute_verify_data(suite_.hash, master, FinishedSender::server, transcript_hash));
}

TEST_P(KeyScheduleTest, VerifyDataDiffersForAChangedTranscriptHash) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  Bytes transcript_hash = digest(suite_.hash, as_bytes("transcript"));
  Bytes changed_hash = transcript_hash;
  changed_hash.back() ^= 0x01;
  EXPECT_EQ(compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash),
            compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash))
      << "deterministic";
  EXPECT_NE(compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash),
            compute_verify_data(suite_.hash, master, FinishedSender::client, changed_hash));
}

TEST_P(KeyScheduleTest, VerifyDataDiffersForAnotherMasterSecret) {
  Secret master = derive_master_secret(suite_.hash, pre_master_, client_random_, server_random_);
  Random other_client_random = client_random_;
  other_client_random[0] ^= 0x01;
  Secret other_master = derive_master_secret(suite_.hash, pre_master_, other_client_random, server_random_);
  Bytes transcript_hash = digest(suite_.hash, as_bytes("transcript"));
  EXPECT_NE(compute_verify_data(suite_.hash, master, FinishedSender::client, transcript_hash),
            compute_verify_data(suite_.hash, other_master, FinishedSender::client, transcript_hash));
}

TEST(Prf, ShorterOutputIsAPrefixOfLongerOutput) {
  const Bytes secret(48, 0x0B);
  const Bytes seed(64, 0x5E);
  Secret longer = prf(HashAlgorithm::sha256, secret, "key expansion", seed, 104);
  Secret shorter = prf(HashAlgorithm::sha256, secret, "key expansion", seed, 40);
  EXPECT_EQ(to_hex(longer.view().first(40)), to_hex(shorter.view()));
}

TEST(Prf, DependsOnHashLabelAndSeed) {
  const Bytes secret(48, 0x0B);
  const Bytes seed(64, 0x5E);
  Bytes base = to_bytes(prf(HashAlgorithm::sha256, secret, "master secret", seed, 48).view());
  Bytes other_hash = to_bytes(prf(HashAlgorithm::sha384, secret, "master secret", seed, 48).view());
  Bytes other_label = to_bytes(prf(HashAlgorithm::sha256, secret, "master secreT", seed, 48).view());
  Bytes changed_seed = seed;
  changed_seed[10] ^= 0x01;
  Bytes other_seed = to_bytes(prf(HashAlgorithm::sha256, secret, "master secret", changed_seed, 48).view());
  EXPECT_NE(base, other_hash);
  EXPECT_NE(base, other_label);
  EXPECT_NE(base, other_seed);
}

// --- Transcript -----------------------------------------------------------------------------

TEST(Transcript, HashesTheConcatenationOfMessagesInOrder) {
  Transcript transcript;
  transcript.add(as_bytes("a"));
  transcript.add(as_bytes("bc"));
  // FIPS 180-2 "abc" vectors.
  EXPECT_EQ(to_hex(transcript.hash(HashAlgorithm::sha256)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(transcript.hash(HashAlgorithm::sha384)),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(transcript.messages(), to_bytes(as_bytes("abc")));
}

// --- Secret ---------------------------------------------------------------------------------

TEST(Secret, WipeZeroesEveryByteAndKeepsTheSize) {
  Secret secret(Bytes{0x11, 0x22, 0x33, 0x44, 0x55});
  secret.wipe();
  ASSERT_EQ(secret.size(), 5u);
  EXPECT_EQ(to_bytes(secret.view()), Bytes(5, 0x00));
}

TEST(Secret, MoveLeavesTheSourceEmpty) {
  Secret source(Bytes{0xAA, 0xBB});
  Secret target(std::move(source));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state is the point
  EXPECT_EQ(to_bytes(target.view()), (Bytes{0xAA, 0xBB}));

  Secret assigned(Bytes{0x01});
  assigned = std::move(target);
  EXPECT_TRUE(target.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(to_bytes(assigned.view()), (Bytes{0xAA, 0xBB}));
}

// --- constant_time_equal --------------------------------------------------------------------

TEST(ConstantTimeEqual, AcceptsEqualBytes) {
  EXPECT_TRUE(constant_time_equal(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_TRUE(constant_time_equal(ByteView{}, ByteView{}));
}

TEST(ConstantTimeEqual, RejectsADifferenceInAnyPosition) {
  const Bytes reference(12, 0x5A);
  for (std::size_t i = 0; i < reference.size(); ++i) {
    Bytes changed = reference;
    changed[i] ^= 0x01;
    EXPECT_FALSE(constant_time_equal(reference, changed)) << "byte " << i;
  }
}

TEST(ConstantTimeEqual, RejectsDifferentLengthsEvenWithACommonPrefix) {
  EXPECT_FALSE(constant_time_equal(Bytes{1, 2, 3}, Bytes{1, 2}));
  EXPECT_FALSE(constant_time_equal(Bytes{1, 2}, Bytes{1, 2, 3}));
  EXPECT_FALSE(constant_time_equal(ByteView{}, Bytes{0}));
}

}  // namespace
}  // namespace tlslab::crypto
