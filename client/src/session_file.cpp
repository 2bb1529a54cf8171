#include "session_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/private_file.hpp"
#include "tlslab/text.hpp"

namespace tlslab::client {
namespace {

constexpr std::string_view magic = "tlslab-session 1";
// A ticket is at most 2^16-1 bytes: its hex and the rest fit well within this.
constexpr std::size_t max_file_size = 160 * 1024;

}  // namespace

std::string encode_session(const StoredSession& session) {
  return std::string(magic) + "\nserver_name " + session.server_name + "\nsuite " +
         std::to_string(session.cipher_suite) + "\nmaster_secret " + to_hex(session.master_secret.view()) +
         "\nticket " + to_hex(session.ticket) + "\nexpires " + std::to_string(session.expires) + "\n";
}

std::optional<StoredSession> parse_session(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line) || line != magic) return std::nullopt;
  StoredSession session;
  bool have_name = false, have_suite = false, have_secret = false, have_ticket = false, have_expires = false;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    std::string key = line.substr(0, space);
    std::string value = line.substr(space + 1);
    if (key == "server_name" && !have_name && is_host_name(value)) {
      session.server_name = value;
      have_name = true;
    } else if (key == "suite" && !have_suite) {
      unsigned long suite = 0;
      try {
        std::size_t used = 0;
        suite = std::stoul(value, &used);
        if (used != value.size()) return std::nullopt;
      } catch (const std::exception&) {
        return std::nullopt;
      }
      if (suite > 0xffff || !suite_info(static_cast<std::uint16_t>(suite))) return std::nullopt;
      session.cipher_suite = static_cast<std::uint16_t>(suite);
      have_suite = true;
    } else if (key == "master_secret" && !have_secret) {
      auto secret = from_hex(value);
      if (!secret || secret->size() != 48) return std::nullopt;
      session.master_secret = Secret(*secret);
      std::fill(secret->begin(), secret->end(), 0);
      have_secret = true;
    } else if (key == "ticket" && !have_ticket) {
      auto ticket = from_hex(value);
      if (!ticket || ticket->empty() || ticket->size() > max_ticket_size) return std::nullopt;
      session.ticket = std::move(*ticket);
      have_ticket = true;
    } else if (key == "expires" && !have_expires) {
      try {
        std::size_t used = 0;
        session.expires = std::stoll(value, &used);
        if (used != value.size()) return std::nullopt;
      } catch (const std::exception&) {
        return std::nullopt;
      }
      have_expires = true;
    } else {
      return std::nullopt;
    }
  }
  if (!have_name || !have_suite || !have_secret || !have_ticket || !have_expires) return std::nullopt;
  return session;
}

SessionLoad load_session(const std::string& path, const std::string& server_name, std::int64_t now) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return {std::nullopt, {}};
    return {std::nullopt, std::string("cannot be read (") + std::strerror(errno) + "; a symlink is never followed)"};
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077) != 0) {
    ::close(fd);
    return {std::nullopt, "is not a regular file of this user with mode 0600, not used"};
  }
  if (info.st_size > static_cast<off_t>(max_file_size)) {
    ::close(fd);
    return {std::nullopt, "is too large to be a session file, not used"};
  }
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  auto session = parse_session(text);
  std::fill(text.begin(), text.end(), '\0');
  if (!session) return {std::nullopt, "is not a complete tlslab session file (short or corrupt), not used"};
  if (session->server_name != server_name) {
    return {std::nullopt, "holds a session with another server name, not offered to this one"};
  }
  if (session->expires <= now) return {std::nullopt, "holds a session whose ticket has expired"};
  return {std::move(session), {}};
}

void save_session(const std::string& path, const StoredSession& session) {
  std::string text = encode_session(session);
  write_private_file(path, text, "--session-file");
  std::fill(text.begin(), text.end(), '\0');
}

}  // namespace tlslab::client
