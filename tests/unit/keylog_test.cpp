// NSS key log lines (PROTOCOL.md §11): the exact format Wireshark reads, and a 0600 file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <numeric>
#include <sstream>
#include <string>

#include "test_pki.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/keylog.hpp"

namespace tlslab::crypto {
namespace {

Random sample_client_random() {
  Random random{};
  std::iota(random.begin(), random.end(), std::uint8_t{0xA0});
  return random;
}

Secret sample_master_secret() {
  Bytes bytes(master_secret_size);
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{0x00});
  return Secret(bytes);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KeylogLine, IsClientRandomThenLowerCaseHexThenNewline) {
  std::string line = keylog_line(sample_client_random(), sample_master_secret());
  EXPECT_EQ(line,
            "CLIENT_RANDOM "
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf "
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\n");
}

TEST(KeylogLine, HasFieldsOf64And96HexDigits) {
  std::string line = keylog_line(sample_client_random(), sample_master_secret());
  ASSERT_EQ(line.back(), '\n');
  std::istringstream fields(line);
  std::string label, client_random, master_secret, extra;
  fields >> label >> client_random >> master_secret;
  EXPECT_EQ(label, "CLIENT_RANDOM");
  EXPECT_EQ(client_random.size(), 64u);
  EXPECT_EQ(master_secret.size(), 96u);
  EXPECT_FALSE(fields >> extra) << "no fourth field";
  EXPECT_EQ(line.size(), std::string("CLIENT_RANDOM ").size() + 64 + 1 + 96 + 1);
}

TEST(AppendKeylog, CreatesTheFileWithMode0600) {
  test::TempDir directory;
  std::string path = directory.file("keys.log");
  append_keylog(path, sample_client_random(), sample_master_secret());
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u) << std::oct << (status.st_mode & 07777);
  EXPECT_EQ(read_file(path), keylog_line(sample_client_random(), sample_master_secret()));
}

TEST(AppendKeylog, AppendsToAnExistingFileWithoutTruncating) {
  test::TempDir directory;
  std::string path = directory.file("keys.log");
  {
    std::ofstream existing(path);
    existing << "# earlier session\n";
  }
  // An existing key log is used only when it is private (0600): it holds master secrets.
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  Random second_random = sample_client_random();
  second_random[0] = 0x00;
  append_keylog(path, sample_client_random(), sample_master_secret());
  append_keylog(path, second_random, sample_master_secret());
  EXPECT_EQ(read_file(path), "# earlier session\n" + keylog_line(sample_client_random(), sample_master_secret()) +
                                 keylog_line(second_random, sample_master_secret()));
}

TEST(AppendKeylog, RejectsUnwritablePathNamingTheFile) {
  test::TempDir directory;
  std::string path = directory.file("no-such-directory/keys.log");
  try {
    append_keylog(path, sample_client_random(), sample_master_secret());
    FAIL() << "append_keylog must throw for a path it cannot create";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace tlslab::crypto
