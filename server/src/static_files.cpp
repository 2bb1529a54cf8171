#include "static_files.hpp"

#include <algorithm>
#include <vector>

namespace tlslab::server {
namespace fs = std::filesystem;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Rule 2: once, and only once.
std::optional<std::string> percent_decode(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out.push_back(path[i]);
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    int high = hex_value(path[i + 1]);
    int low = hex_value(path[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

// Whether `path` is `root` or lies below it, compared segment by segment (not as strings:
// "/srv/www-private" is not inside "/srv/www").
bool lies_within(const fs::path& path, const fs::path& root) {
  auto [root_end, path_at] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

StaticFile refused(std::string reason) {
  return {std::nullopt, std::move(reason)};
}

}  // namespace

StaticFile find_static_file(const fs::path& canonical_root, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return refused("the target does not start with '/'");
  if (path.size() > max_target_path) return refused("the target is longer than 2,048 bytes");
  auto decoded = percent_decode(path);
  if (!decoded) return refused("a '%' not followed by two hex digits");
  std::vector<std::string_view> segments;
  std::string_view rest = *decoded;
  for (char c : rest) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return refused("a control byte (NUL included)");
    if (c == '\\') return refused("a backslash");
  }
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return refused("a '..' segment");
    segments.push_back(segment);
  }
  fs::path file = canonical_root;
  for (std::string_view segment : segments) file /= fs::path(segment);  // relative: never replaces the root
  std::error_code error;
  if (fs::is_directory(file, error)) file /= "index.html";
  fs::path resolved = fs::weakly_canonical(file, error);
  if (error) return {};
  if (!lies_within(resolved, canonical_root)) return refused("a symlink that leads outside the served directory");
  if (!fs::is_regular_file(resolved, error)) return {};
  return {resolved, {}};
}

}  // namespace tlslab::server
