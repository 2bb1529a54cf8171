// Files holding a private key or a secret (private_file.hpp): created new and 0600, or an
// existing one of ours that is 0600; never a file another user prepared, never through a symlink.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tlslab/crypto/keylog.hpp"
#include "tlslab/private_file.hpp"

namespace tlslab {
namespace {

namespace fs = std::filesystem;

class PrivateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tlslab-private-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static unsigned mode_of(const std::string& path) {
    struct stat status {};
    EXPECT_EQ(::lstat(path.c_str(), &status), 0);
    return status.st_mode & 07777;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static void write(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  fs::path dir_;
};

TEST_F(PrivateFile, WriteCreatesA0600File) {
  write_private_file(path("server.key"), "KEY", "private key");
  EXPECT_EQ(read(path("server.key")), "KEY");
  EXPECT_EQ(mode_of(path("server.key")), 0600u);
}

TEST_F(PrivateFile, WriteReplacesOurOwn0600File) {
  write(path("server.key"), "OLD", 0600);
  write_private_file(path("server.key"), "NEW", "private key");
  EXPECT_EQ(read(path("server.key")), "NEW");
  EXPECT_EQ(mode_of(path("server.key")), 0600u);
}

TEST_F(PrivateFile, WriteRefusesAnExistingFileOthersCanRead) {
  write(path("server.key"), "PREPARED", 0666);
  try {
    write_private_file(path("server.key"), "KEY", "private key");
    FAIL() << "a 0666 file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mode 0666"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(path("server.key")), "PREPARED");  // the key went nowhere
  EXPECT_EQ(mode_of(path("server.key")), 0666u);
}

TEST_F(PrivateFile, WriteRefusesASymlinkAndLeavesItsTargetAlone) {
  write(path("victim"), "THEIRS", 0644);
  fs::create_symlink(path("victim"), path("server.key"));
  EXPECT_THROW(write_private_file(path("server.key"), "KEY", "private key"), std::runtime_error);
  EXPECT_EQ(read(path("victim")), "THEIRS");
  EXPECT_TRUE(fs::is_symlink(path("server.key")));
}

TEST_F(PrivateFile, WriteRefusesAFileOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  write(path("server.key"), "PREPARED", 0600);
  ASSERT_EQ(::chown(path("server.key").c_str(), 65534, 65534), 0);
  EXPECT_THROW(write_private_file(path("server.key"), "KEY", "private key"), std::runtime_error);
  EXPECT_EQ(read(path("server.key")), "PREPARED");
}

TEST_F(PrivateFile, WriteLeavesNoTemporaryFileBehind) {
  write_private_file(path("a.key"), "KEY", "private key");
  write(path("b.key"), "X", 0644);
  EXPECT_THROW(write_private_file(path("b.key"), "KEY", "private key"), std::runtime_error);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2u);
}

TEST_F(PrivateFile, AppendCreates0600AndAppends) {
  for (const char* line : {"one\n", "two\n"}) {
    int fd = open_private_append(path("keylog"), "key log");
    ASSERT_EQ(::write(fd, line, 4), 4);
    ::close(fd);
  }
  EXPECT_EQ(read(path("keylog")), "one\ntwo\n");
  EXPECT_EQ(mode_of(path("keylog")), 0600u);
}

TEST_F(PrivateFile, AppendRefusesAWorldReadableKeyLog) {
  write(path("keylog"), "", 0644);  // what capture.sh used to make with the default umask
  EXPECT_THROW(open_private_append(path("keylog"), "key log"), std::runtime_error);
}

TEST_F(PrivateFile, AppendRefusesASymlink) {
  write(path("victim"), "", 0600);
  fs::create_symlink(path("victim"), path("keylog"));
  EXPECT_THROW(open_private_append(path("keylog"), "key log"), std::runtime_error);
}

TEST_F(PrivateFile, KeylogLinesGoOnlyToAPrivateFile) {
  write(path("keylog"), "", 0644);
  Random random{};
  Secret master(48);
  EXPECT_THROW(crypto::append_keylog(path("keylog"), random, master), std::runtime_error);
  EXPECT_EQ(read(path("keylog")), "");
}

TEST_F(PrivateFile, OutputCreates0600AndTruncatesOurOwn) {
  std::FILE* out = open_private_output(path("trace.json"), "--trace-json file");
  std::fputs("first", out);
  std::fclose(out);
  out = open_private_output(path("trace.json"), "--trace-json file");
  std::fputs("2", out);
  std::fclose(out);
  EXPECT_EQ(read(path("trace.json")), "2");
  EXPECT_EQ(mode_of(path("trace.json")), 0600u);
}

TEST_F(PrivateFile, OutputRefusesWhatOthersCanRead) {
  write(path("trace.json"), "KEEP", 0644);
  EXPECT_THROW(open_private_output(path("trace.json"), "--trace-json file"), std::runtime_error);
  EXPECT_EQ(read(path("trace.json")), "KEEP");
}

// Documents (a report, a diagram, a trace without secrets, a response body): readable by others,
// but never written through a symlink nor into another user's file (issue 20, item 2).
class OutputFile : public PrivateFile {
 protected:
  void expect_refused(const std::string& name, const std::string& why) {
    SCOPED_TRACE(name);
    for (FileKind kind : {FileKind::document, FileKind::secret}) {
      try {
        write_output_file(path(name), "NEW", "--report file", kind);
        ADD_FAILURE() << "write_output_file accepted it";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      }
      try {
        std::FILE* out = open_output(path(name), "--trace-json file", kind);
        std::fclose(out);
        ADD_FAILURE() << "open_output accepted it";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      }
    }
  }
};

TEST_F(OutputFile, ADocumentIsCreatedReadableAndReplacesOurOwn) {
  mode_t mask = ::umask(022);
  write_output_file(path("run.html"), "FIRST", "--report file", FileKind::document);
  EXPECT_EQ(mode_of(path("run.html")), 0644u);
  write_output_file(path("run.html"), "2", "--report file", FileKind::document);
  EXPECT_EQ(read(path("run.html")), "2");
  std::FILE* out = open_output(path("trace.jsonl"), "--trace-json file", FileKind::document);
  std::fputs("a much longer first run", out);
  std::fclose(out);
  out = open_output(path("trace.jsonl"), "--trace-json file", FileKind::document);
  std::fputs("3", out);
  std::fclose(out);
  ::umask(mask);
  EXPECT_EQ(read(path("trace.jsonl")), "3");
  EXPECT_EQ(mode_of(path("trace.jsonl")), 0644u);
}

TEST_F(OutputFile, ASecretOutputIs0600) {
  write_output_file(path("run.puml"), "KEYS", "--plantuml file", FileKind::secret);
  EXPECT_EQ(mode_of(path("run.puml")), 0600u);
}

TEST_F(OutputFile, APlantedSymlinkIsNeverFollowed) {
  write(path("victim"), "VICTIM", 0666);
  fs::create_symlink(path("victim"), path("out"));
  expect_refused("out", "symbolic link");
  EXPECT_EQ(read(path("victim")), "VICTIM");
  EXPECT_TRUE(fs::is_symlink(path("out")));
}

TEST_F(OutputFile, ADanglingSymlinkIsNotCreatedThrough) {
  fs::create_symlink(path("created-by-the-link"), path("out"));
  expect_refused("out", "symbolic link");
  EXPECT_FALSE(fs::exists(path("created-by-the-link")));
}

TEST_F(OutputFile, AnotherUsersFileIsNotTruncated) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  write(path("theirs"), "THEIRS", 0666);
  ASSERT_EQ(::chown(path("theirs").c_str(), 12345, 12345), 0);
  expect_refused("theirs", "another user");
  EXPECT_EQ(read(path("theirs")), "THEIRS");
}

TEST_F(OutputFile, ADeviceIsWrittenAsItIs) {
  write_output_file("/dev/null", "NOTHING", "--report file", FileKind::document);
  std::FILE* out = open_output("/dev/null", "--output file", FileKind::document);
  ASSERT_NE(out, nullptr);
  std::fclose(out);
  EXPECT_TRUE(fs::is_character_file("/dev/null")) << "/dev/null was replaced";
}

TEST_F(OutputFile, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  expect_refused("fifo", "not a regular file");
}

TEST_F(OutputFile, AMissingDirectorySaysSo) {
  expect_refused("no/such/dir/run.html", "does its directory exist");
}

}  // namespace
}  // namespace tlslab
