#include "key_log.hpp"

#include <openssl/crypto.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "tlslab/text.hpp"
#include "tlslab/tls/computations.hpp"

namespace tlslab::explain {

KeyLog KeyLog::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read key log '" + printable(path) + "': no such file or not readable");
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0) throw std::runtime_error("cannot read key log '" + printable(path) + "': not a regular file");
  if (static_cast<std::size_t>(size) > max_key_log_bytes) {
    throw std::runtime_error("key log '" + printable(path) + "' is " +
                             std::to_string(static_cast<long long>(size) >> 20) +
                             " MiB: over the 64 MiB a key log needs (is it the right file?)");
  }
  in.seekg(0);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
