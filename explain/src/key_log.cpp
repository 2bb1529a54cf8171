#include "key_log.hpp"

#include <openssl/crypto.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tlslab/text.hpp"
#include "tlslab/tls/computations.hpp"

namespace tlslab::explain {

KeyLog KeyLog::read(const std::string& path) {
  std::string name = "key log '" + printable(path) + "'";
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw std::runtime_error("cannot read " + name + ": it is a directory");
  // Read up to the limit, whatever the file is (a pipe such as <(…) too): its size is never trusted.
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + name + ": no such file or not readable");
  std::string text;
  char chunk[64 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_key_log_bytes) {
      OPENSSL_cleanse(text.data(), text.size());
      OPENSSL_cleanse(chunk, sizeof chunk);
      throw std::runtime_error(name + " is over the 64 MiB a key log needs (is it the right file?)");
    }
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  if (in.bad()) throw std::runtime_error("cannot read " + name + ": a read error");
  KeyLog log = parse(text);
  OPENSSL_cleanse(text.data(), text.size());
  return log;
}

KeyLog KeyLog::parse(std::string_view text) {
  KeyLog log;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;  // NSS: comments and blank lines
    auto parsed = tls::parse_key_log_line(line);
    if (!parsed) {
      if (log.ignored_++ == 0) log.first_ignored_ = printable(line.substr(0, 120));
      continue;
    }
    log.lines_.emplace(std::move(parsed->key),
                       Entry{std::move(parsed->label), std::move(parsed->secret), std::string(line)});
  }
  return log;
}

std::optional<Bytes> KeyLog::find(std::string_view label, ByteView client_random) const {
  auto [first, last] = lines_.equal_range(Bytes(client_random.begin(), client_random.end()));
  for (auto it = first; it != last; ++it) {
    if (it->second.label == label) return it->second.secret;
  }
  return std::nullopt;
}

std::vector<std::string> KeyLog::lines_of(ByteView client_random) const {
  std::vector<std::string> out;
  auto [first, last] = lines_.equal_range(Bytes(client_random.begin(), client_random.end()));
  for (auto it = first; it != last; ++it) out.push_back(it->second.line);
  return out;
}

}  // namespace tlslab::explain
