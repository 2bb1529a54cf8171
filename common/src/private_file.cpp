#include "tlslab/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>

namespace tlslab {
namespace {

[[noreturn]] void refuse(std::string_view what, const std::string& path, const std::string& reason) {
  throw std::runtime_error(std::string(what) + " '" + path + "' " + reason);
}

std::string errno_text() {
  return std::strerror(errno);
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The mode a new document gets: 0666 less the umask, as any program's output. (umask can only be
// read by setting it; this reads it once, before any thread could race it.)
mode_t document_mode() {
  static const mode_t mode = [] {
    mode_t mask = ::umask(022);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

// What an existing path may be, checked on an lstat result or on the descriptor actually opened.
// Returns true for a character device (a document written to /dev/null, say): used as it is, never
// truncated or replaced.
bool require_usable(const struct stat& status, std::string_view what, const std::string& path, FileKind kind) {
  const char* holds = kind == FileKind::secret ? "a secret" : "an output";
  if (S_ISLNK(status.st_mode)) {
    refuse(what, path,
           std::string("is a symbolic link: refusing to write ") + holds +
               " through it (remove it or choose another path)");
  }
  if (kind == FileKind::document && S_ISCHR(status.st_mode)) return true;
  if (!S_ISREG(status.st_mode)) refuse(what, path, "is not a regular file");
  if (status.st_uid != ::geteuid()) {
    refuse(what, path,
           "belongs to another user (uid " + std::to_string(status.st_uid) + "): remove it or choose another path");
  }
  if (kind == FileKind::secret && (status.st_mode & 077) != 0) {
    refuse(what, path,
           "is readable by others (mode " + mode_text(status.st_mode) + "): run 'chmod 600 " + path +
               "' or choose another path");
  }
  return false;
}

std::string directory_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Checks `path` by lstat; returns true when it exists as a character device (see require_usable).
bool check_path(const std::string& path, std::string_view what, FileKind kind) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno != ENOENT) refuse(what, path, "cannot be checked: " + errno_text());
    if (::access(directory_of(path).c_str(), W_OK) != 0) {
      refuse(what, path,
             "cannot be created: " + errno_text() + " (does its directory exist, and may you write in it?)");
    }
    return false;
  }
  return require_usable(status, what, path, kind);
}

void write_all(int fd, std::string_view content, const std::function<void(const std::string&)>& fail) {
  for (std::string_view rest = content; !rest.empty();) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot be written: " + errno_text());
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace

void require_output_or_absent(const std::string& path, std::string_view what, FileKind kind) {
  check_path(path, what, kind);
}

void write_output_file(const std::string& path, std::string_view content, std::string_view what, FileKind kind) {
  if (check_path(path, what, kind)) {  // a device: written as it is
    std::FILE* out = open_output(path, what, kind);
    bool ok = std::fwrite(content.data(), 1, content.size(), out) == content.size();
    if (std::fclose(out) != 0 || !ok) refuse(what, path, "cannot be written: " + errno_text());
    return;
  }
  std::string temporary = (std::filesystem::path(directory_of(path)) / ".tlslab-XXXXXX").string();
  int fd = ::mkstemp(temporary.data());  // O_EXCL, mode 0600
  if (fd < 0) refuse(what, path, "cannot be written: " + errno_text() + " (is the directory writable?)");
  auto fail = [&](const std::string& reason) {
    ::close(fd);
    ::unlink(temporary.c_str());
    refuse(what, path, reason);
  };
  mode_t mode = kind == FileKind::secret ? 0600 : document_mode();
  if (::fchmod(fd, mode) != 0) fail("cannot be given mode " + mode_text(mode) + ": " + errno_text());
  write_all(fd, content, fail);
  if (kind == FileKind::secret && ::fsync(fd) != 0) fail("cannot be written: " + errno_text());
  if (::close(fd) != 0) {
    ::unlink(temporary.c_str());
    refuse(what, path, "cannot be written: " + errno_text());
  }
  // rename() replaces whatever is at `path` now, a link included, without following it.
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::string reason = errno_text();
    ::unlink(temporary.c_str());
    refuse(what, path, "cannot be written: " + reason);
  }
}

std::FILE* open_output(const std::string& path, std::string_view what, FileKind kind) {
  check_path(path, what, kind);
  // O_EXCL when absent; else the existing file, never through a link (O_NOFOLLOW), without O_TRUNC:
  // it is truncated only once fstat has checked what was actually opened. O_NONBLOCK keeps a FIFO
  // planted meanwhile from blocking the open (it is then refused as not a regular file).
  constexpr int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  mode_t mode = kind == FileKind::secret ? 0600 : 0666;  // the umask applies to 0666
  int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, mode);
  if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    if (errno == ELOOP) refuse(what, path, "is a symbolic link: refusing to write through it");
    refuse(what, path, "cannot be opened: " + errno_text());
  }
  auto fail = [&](const std::string& reason) {
    ::close(fd);
    refuse(what, path, reason);
  };
  struct stat status {};
  if (::fstat(fd, &status) != 0) fail("cannot be checked: " + errno_text());
  bool device = false;
  try {
    device = require_usable(status, what, path, kind);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (!device && ::ftruncate(fd, 0) != 0) fail("cannot be truncated: " + errno_text());
  if (::fcntl(fd, F_SETFL, O_WRONLY) != 0) fail("cannot be opened: " + errno_text());
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) fail("cannot be opened: " + errno_text());
  return file;
}

void require_private_or_absent(const std::string& path, std::string_view what) {
  require_output_or_absent(path, what, FileKind::secret);
}

void write_private_file(const std::string& path, std::string_view content, std::string_view what) {
  write_output_file(path, content, what, FileKind::secret);
}

std::FILE* open_private_output(const std::string& path, std::string_view what) {
  return open_output(path, what, FileKind::secret);
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
    require_usable(status, what, path, FileKind::secret);
  } catch (...) {
    ::close(fd);
    throw;
  }
  return fd;
}

}  // namespace tlslab
