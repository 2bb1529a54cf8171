#include "tlslab/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace tlslab {
namespace {

[[noreturn]] void refuse(std::string_view what, const std::string& path, const std::string& reason) {
  throw std::runtime_error(std::string(what) + " '" + path + "' " + reason);
}

// The checks of require_private_or_absent on an open descriptor or an lstat result.
void require_private(const struct stat& status, std::string_view what, const std::string& path) {
  if (S_ISLNK(status.st_mode)) refuse(what, path, "is a symbolic link: refusing to write a secret through it");
  if (!S_ISREG(status.st_mode)) refuse(what, path, "is not a regular file");
  if (status.st_uid != ::geteuid()) {
    refuse(what, path,
           "belongs to another user (uid " + std::to_string(status.st_uid) + "): remove it or choose another path");
  }
  if ((status.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    refuse(
        what, path,
        std::string("is readable by others (mode ") + mode + "): run 'chmod 600 " + path + "' or choose another path");
  }
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

void require_private_or_absent(const std::string& path, std::string_view what) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return;
    refuse(what, path, "cannot be checked: " + errno_text());
  }
  require_private(status, what, path);
}

void write_private_file(const std::string& path, std::string_view content, std::string_view what) {
  require_private_or_absent(path, what);
  std::filesystem::path target(path);
  std::string temporary =
      (target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) / ".tlslab-XXXXXX";
  int fd = ::mkstemp(temporary.data());  // O_EXCL, mode 0600
  if (fd < 0) refuse(what, path, "cannot be written: " + errno_text() + " (is the directory writable?)");
  auto fail = [&](const std::string& reason) {
    ::close(fd);
    ::unlink(temporary.c_str());
    refuse(what, path, reason);
  };
  if (::fchmod(fd, 0600) != 0) fail("cannot be made private: " + errno_text());
  for (std::string_view rest = content; !rest.empty();) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot be written: " + errno_text());
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd) != 0) fail("cannot be written: " + errno_text());
  if (::close(fd) != 0) {
    ::unlink(temporary.c_str());
    refuse(what, path, "cannot be written: " + errno_text());
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string reason = errno_text();
    ::unlink(temporary.c_str());
    refuse(what, path, "cannot be written: " + reason);
  }
}

int open_private_append(const std::string& path, std::string_view what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ELOOP) refuse(what, path, "is a symbolic link: refusing to write a secret through it");
    refuse(what, path, "cannot be opened: " + errno_text());
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    ::close(fd);
    refuse(what, path, "cannot be checked: " + errno_text());
  }
  try {
    require_private(status, what, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  return fd;
}

std::FILE* open_private_output(const std::string& path, std::string_view what) {
  require_private_or_absent(path, what);
  // O_EXCL when absent; an existing file was just checked, and O_NOFOLLOW keeps a symlink
  // planted since from being followed. fstat below re-checks what was actually opened.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) refuse(what, path, "cannot be opened: " + errno_text());
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    ::close(fd);
    refuse(what, path, "cannot be checked: " + errno_text());
  }
  try {
    require_private(status, what, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    refuse(what, path, "cannot be opened: " + errno_text());
  }
  return file;
}

}  // namespace tlslab
