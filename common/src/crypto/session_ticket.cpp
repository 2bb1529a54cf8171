#include "tlslab/crypto/session_ticket.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "tlslab/codec.hpp"
#include "tlslab/crypto/aead.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/private_file.hpp"

namespace tlslab::crypto {
namespace {

constexpr std::size_t tag_size = 16;
constexpr std::size_t max_master_secret = 255;
constexpr std::string_view key_file_magic = "tlslab-ticket-keys 1";
constexpr std::size_t max_key_file_size = 4096;

Bytes encode_state(const TicketState& state) {
  Writer out;
  out.u16(static_cast<std::uint16_t>(state.version));
  out.u16(state.cipher_suite);
  out.vector(1, state.master_secret.view());
  out.u64(static_cast<std::uint64_t>(state.created));
  out.u64(static_cast<std::uint64_t>(state.expires));
  return std::move(out).take();
}

std::optional<TicketState> decode_state(ByteView plaintext) {
  Reader in(plaintext, "ticket");
  auto version = in.u16();
  auto suite = in.u16();
  if (!version || !suite) return std::nullopt;
  auto secret = in.vector(1);
  if (!secret || secret->empty()) return std::nullopt;
  auto created = in.u64();
  auto expires = in.u64();
  if (!created || !expires || !in.empty()) return std::nullopt;
  TicketState state;
  state.version = static_cast<ProtocolVersion>(*version);
  state.cipher_suite = *suite;
  state.master_secret = Secret(*secret);
  state.created = static_cast<std::int64_t>(*created);
  state.expires = static_cast<std::int64_t>(*expires);
  return state;
}

std::string key_line(const TicketKey& key) {
  return std::to_string(key.created) + " " + to_hex(key.name) + " " + to_hex(key.key.view()) + "\n";
}

std::optional<TicketKey> parse_key_line(const std::string& line) {
  std::istringstream in(line);
  long long created = 0;
  std::string name_hex;
  std::string key_hex;
  if (!(in >> created >> name_hex >> key_hex)) return std::nullopt;
  auto name = from_hex(name_hex);
  auto key = from_hex(key_hex);
  if (!name || !key || name->size() != ticket_key_name_size || key->size() != ticket_key_size) return std::nullopt;
  TicketKey parsed;
  std::copy(name->begin(), name->end(), parsed.name.begin());
  parsed.key = Secret(*key);
  OPENSSL_cleanse(key->data(), key->size());
  parsed.created = created;
  return parsed;
}

// The key file's text, read through a descriptor opened without following a link and checked as
// §7.8 asks: a regular file of ours that no one else can read.
std::string read_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("--ticket-key-file " + path + ": cannot open (" + std::strerror(errno) +
                             "); a symlink is never followed");
  }
  struct stat info {};
  std::string text;
  bool ok = ::fstat(fd, &info) == 0;
  if (ok && (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077) != 0 ||
             info.st_size > static_cast<off_t>(max_key_file_size))) {
    ::close(fd);
    throw std::runtime_error("--ticket-key-file " + path +
                             ": refused: it must be a regular file of this user with mode 0600 (no group or world "
                             "access; chmod 600 it), at most 4 KiB");
  }
  char buffer[max_key_file_size + 1];
  ssize_t got = ok ? ::read(fd, buffer, sizeof buffer) : -1;
  ::close(fd);
  if (got < 0) throw std::runtime_error("--ticket-key-file " + path + ": cannot read");
  text.assign(buffer, static_cast<std::size_t>(got));
  OPENSSL_cleanse(buffer, sizeof buffer);
  return text;
}

}  // namespace

TicketKey TicketKey::generate(std::int64_t now) {
  TicketKey key;
  random_fill(key.name);
  key.key = Secret(ticket_key_size);
  random_fill(key.key.span());
  key.created = now;
  return key;
}

Bytes seal_ticket(const TicketKey& key, const TicketState& state) {
  Bytes plaintext = encode_state(state);
  Bytes ticket(key.name.begin(), key.name.end());
  Bytes nonce = random_bytes(ticket_nonce_size);
  ticket.insert(ticket.end(), nonce.begin(), nonce.end());
  std::size_t at = ticket.size();
  ticket.resize(at + plaintext.size() + tag_size);
  AeadKey aead(Aead::aes_256_gcm, key.key.view());
  aead.seal(nonce, key.name, plaintext, ticket.data() + at);
  OPENSSL_cleanse(plaintext.data(), plaintext.size());
  return ticket;
}

TicketOpening open_ticket(const std::vector<const TicketKey*>& keys, ByteView ticket, std::int64_t now) {
  if (ticket.size() < ticket_key_name_size + ticket_nonce_size + tag_size + 1) {
    return {std::nullopt, "the ticket is too short to be one of this server's"};
  }
  ByteView name = ticket.first(ticket_key_name_size);
  auto found = std::find_if(keys.begin(), keys.end(), [&](const TicketKey* key) {
    return key != nullptr && std::equal(key->name.begin(), key->name.end(), name.begin());
  });
  if (found == keys.end()) {
    return {std::nullopt,
            "the ticket was sealed under a key this server no longer has (rotated out, or the server restarted)"};
  }
  ByteView nonce = ticket.subspan(ticket_key_name_size, ticket_nonce_size);
  ByteView sealed = ticket.subspan(ticket_key_name_size + ticket_nonce_size);
  Bytes plaintext(sealed.size() - tag_size);
  AeadKey aead(Aead::aes_256_gcm, (*found)->key.view());
  if (!aead.open(nonce, name, sealed, plaintext.data())) {
    return {std::nullopt, "the ticket does not open under its key (modified?)"};
  }
  auto state = decode_state(plaintext);
  OPENSSL_cleanse(plaintext.data(), plaintext.size());
  if (!state || state->master_secret.size() > max_master_secret) {
    return {std::nullopt, "the ticket opens but does not hold a session"};
  }
  if (state->expires <= now) return {std::nullopt, "the ticket has expired"};
  return {std::move(state), {}};
}

TicketKeyring::TicketKeyring(std::chrono::seconds lifetime, std::int64_t now, std::optional<std::string> key_file)
    : lifetime_(lifetime), key_file_(std::move(key_file)) {
  if (lifetime_.count() <= 0) throw std::runtime_error("--ticket-lifetime must be at least 1 second");
  if (key_file_) {
    load(now);
  } else {
    current_ = TicketKey::generate(now);
  }
}

void TicketKeyring::load(std::int64_t now) {
  const std::string& key_file = *key_file_;
  struct stat info {};
  if (::lstat(key_file.c_str(), &info) != 0 && errno == ENOENT) {
    require_private_or_absent(key_file, "--ticket-key-file");
    current_ = TicketKey::generate(now);
    save();
    return;
  }
  std::string text = read_key_file(key_file);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  if (line != key_file_magic) {
    throw std::runtime_error("--ticket-key-file " + key_file + ": not a tlslab ticket key file (first line \"" +
                             std::string(key_file_magic) + "\")");
  }
  std::vector<TicketKey> keys;
  while (std::getline(lines, line) && keys.size() < 2) {
    if (line.empty()) continue;
    auto key = parse_key_line(line);
    if (!key) throw std::runtime_error("--ticket-key-file " + key_file + ": a key line does not parse");
    keys.push_back(std::move(*key));
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (keys.empty()) throw std::runtime_error("--ticket-key-file " + key_file + ": holds no key");
  current_ = std::move(keys[0]);
  if (keys.size() > 1) previous_ = std::move(keys[1]);
  rotate_if_due(now);
}

void TicketKeyring::rotate_if_due(std::int64_t now) {
  if (now - current_.created < lifetime_.count()) return;
  previous_ = std::move(current_);
  current_ = TicketKey::generate(now);
  if (key_file_) save();
}

void TicketKeyring::save() const {
  std::string text = std::string(key_file_magic) + "\n" + key_line(current_);
  if (previous_) text += key_line(*previous_);
  write_private_file(*key_file_, text, "--ticket-key-file");
  OPENSSL_cleanse(text.data(), text.size());
}

Bytes TicketKeyring::seal(TicketState state, std::int64_t now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  std::int64_t until = now + lifetime_.count();
  if (state.expires == 0 || state.expires > until) state.expires = until;
  return seal_ticket(current_, state);
}

TicketOpening TicketKeyring::open(ByteView ticket, std::int64_t now) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  std::vector<const TicketKey*> keys{&current_};
  if (previous_) keys.push_back(&*previous_);
  return open_ticket(keys, ticket, now);
}

void TicketKeyring::with_sealing_key(std::int64_t now, const std::function<void(const TicketKey&)>& use) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  use(current_);
}

bool TicketKeyring::with_key_named(ByteView name, std::int64_t now,
                                   const std::function<void(const TicketKey&, bool current)>& use) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now);
  auto named = [&](const TicketKey& key) {
    return name.size() == key.name.size() && std::equal(key.name.begin(), key.name.end(), name.begin());
  };
  if (named(current_)) {
    use(current_, true);
    return true;
  }
  if (previous_ && named(*previous_)) {
    use(*previous_, false);
    return true;
  }
  return false;
}

}  // namespace tlslab::crypto
