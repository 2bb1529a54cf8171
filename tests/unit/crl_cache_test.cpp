// The client's CRL cache (crl_cache.hpp, --crl-cache DIR): one file per URL, mode 0600; a list
// used until its nextUpdate; its number remembered after, so an older list is refused; an entry
// others can write refused without being read; a corrupt one ignored.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "crl_cache.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/crl.hpp"

namespace tlslab::client {
namespace {

constexpr std::time_t hour = 3600;
const std::string url = "http://127.0.0.1:8080/crl";

class CrlCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tlslab-crl-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root = pattern;
    directory = root / "cache";
  }
  void TearDown() override { std::filesystem::remove_all(root); }

  // A list signed by the test CA, fetched at `now` and verified then, as fetch_crl leaves it.
  net::CrlCheck fetched(std::uint64_t number, std::time_t at) {
    crypto::CrlContents contents;
    contents.number = number;
    contents.this_update = at - 60;
    contents.next_update = at + hour;
    Bytes der = crypto::build_crl(test::test_pki().ca.certificate.get(), test::test_pki().ca.key.get(), contents);
    net::CrlCheck check;
    check.url = url;
    check.fetched_at = at;
    check.crl = crypto::verify_crl(der, trust, server, std::nullopt, at).value();
    return check;
  }
  static mode_t mode_of(const std::filesystem::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
  }

  std::filesystem::path root;
  std::filesystem::path directory;
  crypto::TrustStore trust = test::trust_store_with_test_ca();
  X509* server = test::test_pki().server_certificate.get();
  std::time_t now = std::time(nullptr);
};

TEST_F(CrlCacheTest, KeepsTheListInAFileOfMode0600NamedByTheUrlsSha256) {
  CrlCache cache(directory);
  EXPECT_EQ(mode_of(directory), 0700u);
  cache.keep(fetched(7, now));
  // The name: hex SHA-256 of the URL, as `printf %s URL | sha256sum` prints it.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(url.data(), url.size(), digest, &length, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  std::filesystem::path entry = directory / (hex + ".crl");
  EXPECT_EQ(cache.path_for(url), entry);
  ASSERT_TRUE(std::filesystem::exists(entry));
  EXPECT_EQ(mode_of(entry), 0600u);

  auto offer = cache.offer(url, trust, server, now + 60);
  ASSERT_TRUE(offer.usable) << offer.note;
  EXPECT_TRUE(offer.usable->cached);
  EXPECT_EQ(offer.usable->crl->number, 7u);
  EXPECT_EQ(offer.usable->fetched_at, now);
}

TEST_F(CrlCacheTest, RefusesAnEntryOthersCanWriteWithoutReadingIt) {
  CrlCache cache(directory);
  cache.keep(fetched(7, now));
  std::filesystem::path entry = cache.path_for(url);
  ASSERT_EQ(::chmod(entry.c_str(), 0666), 0);
  try {
    (void)cache.offer(url, trust, server, now);
    FAIL() << "an entry others can write was used";
  } catch (const CrlCacheError& e) {
    EXPECT_EQ(std::string(e.what()), "refusing the CRL cache entry " + entry.string() +
                                         ": writable by others; remove it or fix its mode (chmod 600 " +
                                         entry.string() + ")");
  }
}

TEST_F(CrlCacheTest, RefusesADirectoryOthersCanWriteAndARegularFile) {
  std::filesystem::create_directory(directory);
  ASSERT_EQ(::chmod(directory.c_str(), 0777), 0);
  try {
    CrlCache cache(directory);
    FAIL() << "a directory others can write was used";
  } catch (const CrlCacheError& e) {
    EXPECT_NE(std::string(e.what()).find("writable by others"), std::string::npos) << e.what();
  }
  std::ofstream(root / "file") << "x";
  try {
    CrlCache cache(root / "file");
    FAIL() << "a regular file was used as the directory";
  } catch (const CrlCacheError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a directory"), std::string::npos) << e.what();
  }
}

TEST_F(CrlCacheTest, IgnoresACorruptEntryWithANote) {
  CrlCache cache(directory);
  for (std::string garbage : {std::string("not a cache entry\n"), std::string(),
                              "tlslab CRL cache entry 1\nurl: " + url +
                                  "\nfetched_at: 12\nhighest_number: 7\n-----BEGIN X509 CRL-----\nAAAA\n"}) {
    std::filesystem::path entry = cache.path_for(url);
    std::filesystem::remove(entry);
    {
      std::ofstream out(entry);
      out << garbage;
    }
    ASSERT_EQ(::chmod(entry.c_str(), 0600), 0);
    auto offer = cache.offer(url, trust, server, now);
    EXPECT_FALSE(offer.usable);
    EXPECT_FALSE(offer.highest_number);
    EXPECT_NE(offer.note.find("corrupt"), std::string::npos) << offer.note;
  }
}

TEST_F(CrlCacheTest, RemembersTheNumberAfterTheListExpiresSoAnOlderListIsRefused) {
  CrlCache cache(directory);
  cache.keep(fetched(8, now));
  std::time_t later = now + 2 * hour;  // past the list's nextUpdate
  auto offer = cache.offer(url, trust, server, later);
  EXPECT_FALSE(offer.usable);
  EXPECT_NE(offer.note.find("stale"), std::string::npos) << offer.note;
  ASSERT_TRUE(offer.highest_number);
  EXPECT_EQ(*offer.highest_number, 8u);
  // What the client does with it: list 7, fresh at `later`, is an old list replayed.
  crypto::CrlContents old;
  old.number = 7;
  old.this_update = later - 60;
  old.next_update = later + hour;
  Bytes der = crypto::build_crl(test::test_pki().ca.certificate.get(), test::test_pki().ca.key.get(), old);
  auto verified = crypto::verify_crl(der, trust, server, offer.highest_number, later);
  ASSERT_FALSE(verified);
  EXPECT_NE(verified.failure().reason.find("an old list replayed"), std::string::npos) << verified.failure().reason;
}

}  // namespace
}  // namespace tlslab::client
