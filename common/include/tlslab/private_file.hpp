#pragma once
// Files that hold a private key or a secret (a key log, a trace under --show-secrets). In a
// shared directory another user may have created the path first, with a wide mode, or planted a
// symlink to a file of theirs: opening with O_CREAT|O_TRUNC would then write our secret where they
// can read it. So such a file is either created new (O_EXCL|O_NOFOLLOW, mode 0600) or, when it
// exists, used only if it is a regular file of ours with no permission for group or others; any
// other case is refused with one line that says what to do.
#include <cstdio>
#include <string>
#include <string_view>

namespace tlslab {

// Throws std::runtime_error naming `path` unless it is absent, or a regular file owned by this
// user with mode 0600 or narrower (not a symlink).
void require_private_or_absent(const std::string& path, std::string_view what);

// Replaces `path` with `content`: written to a new 0600 file beside it, flushed to disk, then
// renamed over `path` (so a reader never sees half a key). `what` names the file in errors
// ("private key"). Throws std::runtime_error.
void write_private_file(const std::string& path, std::string_view content, std::string_view what);

// A file descriptor for appending secret lines (O_APPEND: each line one write, so processes can
// share the file). Created 0600 when absent. Throws std::runtime_error.
int open_private_append(const std::string& path, std::string_view what);

// A stream for writing a file of secrets from its start (truncating one of ours). Throws.
std::FILE* open_private_output(const std::string& path, std::string_view what);

}  // namespace tlslab
