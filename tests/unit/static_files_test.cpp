// --www (server/src/static_files.hpp): hostile request targets beside a secret file. Before the
// fix, "//etc/passwd" returned /etc/passwd: the joined path was absolute and replaced the root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "static_files.hpp"

namespace tlslab::server {
namespace {

namespace fs = std::filesystem;

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tlslab-www-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    fs::create_directories(base_ / "www" / "docs");
    fs::create_directories(base_ / "www-private");
    write(base_ / "secret.txt", "SECRET");
    write(base_ / "www-private" / "key.txt", "SECRET");
    write(base_ / "www" / "index.html", "home");
    write(base_ / "www" / "my page.html", "spaced");
    write(base_ / "www" / "%2e%2e", "literal name");
    write(base_ / "www" / "docs" / "a.txt", "a");
    fs::create_symlink(base_ / "secret.txt", base_ / "www" / "escape.txt");             // out of the root
    fs::create_symlink(base_ / "www" / "docs" / "a.txt", base_ / "www" / "alias.txt");  // inside
    fs::create_directory_symlink(base_, base_ / "www" / "up");                          // a directory out
    root_ = fs::canonical(base_ / "www");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  StaticFile find(const std::string& target) const { return find_static_file(root_, target); }
  std::string served(const std::string& target) const {
    auto found = find(target);
    if (!found.file) return "";
    std::ifstream in(*found.file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFiles, ServesFilesUnderTheRoot) {
  EXPECT_EQ(served("/"), "home");
  EXPECT_EQ(served("/index.html"), "home");
  EXPECT_EQ(served("/docs/a.txt"), "a");
  EXPECT_EQ(served("/docs/a.txt?x=1"), "a");
  EXPECT_EQ(served("/my%20page.html"), "spaced");
  EXPECT_EQ(served("/./docs//a.txt"), "a");
  EXPECT_EQ(served("/alias.txt"), "a") << "a symlink that stays inside the root is followed";
  EXPECT_EQ(served("/%252e%252e"), "literal name") << "decoded once: %25 is a '%', nothing more";
}

TEST_F(StaticFiles, NeverServesAnythingOutsideTheRoot) {
  const std::vector<std::string> hostile{
      "//etc/passwd",
      "///etc/passwd",
      "/../secret.txt",
      "/docs/../../secret.txt",
      "/..",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/.%2e/secret.txt",
      "/%2e%2e%2fsecret.txt",
      "/docs%2f..%2f..%2fsecret.txt",
      "/%2fetc%2fpasswd",
      "/..\\secret.txt",
      "/%5c..%5csecret.txt",
      "/secret.txt%00.html",
      std::string("/x\0/../../secret.txt", 20),
      "/%252e%252e/secret.txt",
      "/escape.txt",
      "/up/secret.txt",
      "/up/www-private/key.txt",
      "/../www-private/key.txt",
      "/%",
      "/%zz",
      "/%2",
      "etc/passwd",
      "",
      "/" + std::string(3000, 'a'),
  };
  for (const std::string& target : hostile) {
    StaticFile found = find(target);
    EXPECT_FALSE(found.file) << "served " << *found.file << " for " << target;
  }
}

TEST_F(StaticFiles, SaysWhyATargetWasRefused) {
  EXPECT_EQ(find("/../secret.txt").refusal, "a '..' segment");
  EXPECT_EQ(find("/escape.txt").refusal, "a symlink that leads outside the served directory");
  EXPECT_EQ(find("/a\\b").refusal, "a backslash");
  EXPECT_EQ(find("/%00").refusal, "a control byte (NUL included)");
  EXPECT_EQ(find("/%g0").refusal, "a '%' not followed by two hex digits");
  EXPECT_EQ(find("/" + std::string(3000, 'a')).refusal, "the target is longer than 2,048 bytes");
  // A file that simply is not there is no refusal: no warning in the log.
  EXPECT_EQ(find("/missing.html").refusal, "");
  EXPECT_FALSE(find("/missing.html").file);
}

}  // namespace
}  // namespace tlslab::server
