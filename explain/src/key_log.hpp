#pragma once
// The key log a learner hands tlslab-explain (--keylog): NSS format, as browsers, curl and OpenSSL
// write it with SSLKEYLOGFILE. Untrusted input like the capture: read up to a size limit, each line
// parsed by computations.hpp's parse_key_log_line; a line that is not a key log line is counted, not
// fatal, and the first one is quoted so the user can see what is wrong.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"

namespace tlslab::explain {

// A browser session's key log grows by five lines per connection: 64 MiB is a million connections.
inline constexpr std::size_t max_key_log_bytes = std::size_t{64} << 20;

class KeyLog {
 public:
  KeyLog() = default;
  // Throws std::runtime_error naming the file when it cannot be read or is over max_key_log_bytes.
  static KeyLog read(const std::string& path);
  // The lines given as text (tests).
  static KeyLog parse(std::string_view text);

  // The secret logged under `label` for the connection whose ClientHello had `client_random`.
  [[nodiscard]] std::optional<Bytes> find(std::string_view label, ByteView client_random) const;
  // The lines of that connection, as computations.hpp's compute_handshake reads them.
  [[nodiscard]] std::vector<std::string> lines_of(ByteView client_random) const;

  [[nodiscard]] bool empty() const noexcept { return lines_.empty(); }
  [[nodiscard]] std::size_t lines() const noexcept { return lines_.size(); }
  [[nodiscard]] std::size_t ignored() const noexcept { return ignored_; }
  // The first line that was not a key log line, made printable (empty when none).
  [[nodiscard]] const std::string& first_ignored() const noexcept { return first_ignored_; }

 private:
  struct Entry {
    std::string label;
    Bytes secret;
    std::string line;
  };
  std::multimap<Bytes, Entry> lines_;  // by client random
  std::size_t ignored_ = 0;
  std::string first_ignored_;
};

}  // namespace tlslab::explain
