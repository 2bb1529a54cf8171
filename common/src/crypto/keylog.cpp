#include "tlslab/crypto/keylog.hpp"

#include <unistd.h>

#include <stdexcept>

#include "tlslab/private_file.hpp"

namespace tlslab::crypto {

std::string keylog_line(const Random& client_random, const Secret& master_secret) {
  return "CLIENT_RANDOM " + to_hex(client_random) + " " + to_hex(master_secret.view()) + "\n";
}

void append_keylog(const std::string& path, const Random& client_random, const Secret& master_secret) {
  // The file holds master secrets: created 0600, or an existing one only if it is ours and 0600.
  int fd = open_private_append(path, "key log");
  std::string line = keylog_line(client_random, master_secret);
  ssize_t written = ::write(fd, line.data(), line.size());
  OPENSSL_cleanse(line.data(), line.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("cannot write key log '" + path + "'");
  }
}

}  // namespace tlslab::crypto
