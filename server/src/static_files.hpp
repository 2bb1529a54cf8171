#pragma once
// --www: which file, if any, an HTTP request target names under the served root. Pure (no
// sockets) and tested on its own with a table of hostile targets.
//
// The rules, as a careful static server applies them (docs/ATTACKS.md, "Files served"):
// 1. the path part of the target (before '?') must start with '/' and be at most 2,048 bytes;
// 2. it is percent-decoded exactly once ("/my%20page.html" works; "%252e" stays "%2e", a name);
//    a '%' not followed by two hex digits is refused;
// 3. the decoded path may hold no NUL, no other control byte and no backslash;
// 4. it is split on '/': empty and "." segments are dropped, a ".." segment refuses the target
//    (a decoded "%2f" is a '/' too, so it cannot smuggle a segment past this rule);
// 5. the segments are joined under the root, a directory gets "index.html";
// 6. the result, with every symlink resolved (weakly_canonical), must lie inside the canonical
//    root: a symlink inside the root may point elsewhere inside it, never outside;
// 7. it must be a regular file.
// A refused target (1-4, 6) and a missing file (5, 7) are both a 404 to the client; only a refusal
// is worth a warning in the log.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tlslab::server {

struct StaticFile {
  std::optional<std::filesystem::path> file;  // the canonical path to open, when there is one
  std::string refusal;                        // why the target was refused; empty if it was not
};

// `canonical_root` must be canonical (std::filesystem::canonical of --www, taken at start).
StaticFile find_static_file(const std::filesystem::path& canonical_root, std::string_view target);

inline constexpr std::size_t max_target_path = 2048;

}  // namespace tlslab::server
