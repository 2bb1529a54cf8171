#include "tlslab/crypto/keylog.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tlslab::crypto {

std::string keylog_line(const Random& client_random, const Secret& master_secret) {
  return "CLIENT_RANDOM " + to_hex(client_random) + " " + to_hex(master_secret.view()) + "\n";
}

void append_keylog(const std::string& path, const Random& client_random, const Secret& master_secret) {
  // 0600: the file holds secrets. O_APPEND makes each line one write, so processes can share it.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open key log '" + path + "': " + std::strerror(errno));
  std::string line = keylog_line(client_random, master_secret);
  ssize_t written = ::write(fd, line.data(), line.size());
  OPENSSL_cleanse(line.data(), line.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("cannot write key log '" + path + "'");
  }
}

}  // namespace tlslab::crypto
