#include "stolen_ticket_key.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tlslab::decrypt {
namespace {

// Long enough that no key of the file is ever due for rotation: the keyring then never rewrites it.
constexpr std::chrono::seconds never_rotate{std::numeric_limits<std::int64_t>::max() / 2};
// The time tickets are opened at: before any `expires`, since what a ticket opens in a recording
// does not depend on whether it would still resume today.
constexpr std::int64_t before_every_expiry = 0;

const std::string& existing(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    throw std::runtime_error("--ticket-key-file " + path + ": cannot open (" + std::strerror(errno) + ")");
  }
  return path;
}

}  // namespace

StolenTicketKey::StolenTicketKey(const std::string& path)
    : keyring_(never_rotate, before_every_expiry, existing(path)) {}

crypto::TicketOpening StolenTicketKey::open(ByteView ticket) {
  return keyring_.open(ticket, before_every_expiry);
}

}  // namespace tlslab::decrypt
