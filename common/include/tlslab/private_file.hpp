#pragma once
// Every file a program writes where the user told it to (a report, a diagram, a trace, a response
// body, a key log, a private key). The directory may be shared, and another user may have been
// there first: a symlink planted at the path, or a file of theirs. So an output is written only
// when the path is absent (created new, O_EXCL|O_NOFOLLOW) or is a regular file of ours; a symlink
// is never followed, another user's file never truncated, each refused with one line that says
// what to do. A file that holds a secret (a private key, a key log, any output under
// --show-secrets) is also mode 0600: created so, and an existing one that group or others can
// read is refused.
#include <cstdio>
#include <string>
#include <string_view>

namespace tlslab {

// What an output holds: a document anyone may read (mode 0666 less the umask), or secrets (0600).
enum class FileKind { document, secret };

// Throws std::runtime_error naming `path` unless it is absent, or a regular file owned by this
// user (for a secret: with mode 0600 or narrower), or for a document a character device such as
// /dev/null. Never follows a symlink. Also refuses an absent path whose directory is not writable.
void require_output_or_absent(const std::string& path, std::string_view what, FileKind kind);

// Replaces `path` with `content`: written to a new file beside it (mode by kind), flushed, then
// renamed over `path`, so a reader never sees half a file and a link planted meanwhile is replaced,
// not followed. `what` names the file in errors ("--report file"). Throws std::runtime_error.
void write_output_file(const std::string& path, std::string_view content, std::string_view what, FileKind kind);

// A stream for writing an output from its start: created new, or an existing file of ours
// truncated only after it was checked (through the descriptor actually opened). Throws.
std::FILE* open_output(const std::string& path, std::string_view what, FileKind kind);

// The secret forms, as before: require_output_or_absent(…, secret), write_output_file(…, secret),
// open_output(…, secret).
void require_private_or_absent(const std::string& path, std::string_view what);
void write_private_file(const std::string& path, std::string_view content, std::string_view what);
std::FILE* open_private_output(const std::string& path, std::string_view what);

// A file descriptor for appending secret lines (O_APPEND: each line one write, so processes can
// share the file). Created 0600 when absent. Throws std::runtime_error.
int open_private_append(const std::string& path, std::string_view what);

}  // namespace tlslab
