#include "tlslab/tls/computations.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/names.hpp"

namespace tlslab::tls {
namespace {

constexpr std::uint16_t extended_master_secret_extension = 23;  // RFC 7627 §5.1
constexpr std::size_t tls12_verify_data_size = 12;              // RFC 5246 §7.4.9
constexpr std::size_t tls13_iv_size = 12;                       // RFC 8446 §5.3: the per-record nonce
constexpr std::size_t max_keylog_line = 1024;                   // a longer line is not NSS key log
// `openssl kdf` prints "7A:29:…": the commands print the lowercase hex the trace shows.
constexpr std::string_view kdf_hex = " | tr -d : | tr A-F a-f";

using Mac = std::unique_ptr<EVP_MAC, ossl::Deleter<&EVP_MAC_free>>;
using MacCtx = std::unique_ptr<EVP_MAC_CTX, ossl::Deleter<&EVP_MAC_CTX_free>>;

struct Hash {
  HashAlgorithm algorithm = HashAlgorithm::sha256;
  std::string name = "SHA256";  // EVP's and `-kdfopt digest:`'s
  std::string flag = "sha256";  // `openssl dgst -sha256`
  std::size_t size = 32;
};

// A TLS 1.2 suite names the PRF's hash when it is not SHA-256 (RFC 5246 §5, RFC 5289 §3); a TLS 1.3
// suite names the schedule's hash (RFC 8446 §B.4).
Hash hash_of(std::uint16_t suite) {
  if (cipher_suite_name(suite).ends_with("SHA384")) return {HashAlgorithm::sha384, "SHA384", "sha384", 48};
  return {};
}

Bytes concat(ByteView a, ByteView b) {
  Bytes out(a.begin(), a.end());
  append(out, b);
  return out;
}

std::string hex(ByteView bytes) {
  return to_hex(bytes);
}
std::string hex(std::string_view text) {
  return to_hex(as_bytes(text));
}

Bytes digest(const Hash& hash, ByteView data) {
  ossl::Md md(EVP_MD_fetch(nullptr, hash.name.c_str(), nullptr));
  ossl::check(md != nullptr, "EVP_MD_fetch");
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  ossl::check(EVP_Digest(data.data(), data.size(), out.data(), &size, md.get(), nullptr) == 1, "EVP_Digest");
  out.resize(size);
  return out;
}

// RFC 5869 §2.3 HKDF-Expand, by OpenSSL's HKDF in EXPAND_ONLY mode.
Bytes hkdf_expand(const Hash& hash, ByteView secret, ByteView info, std::size_t length) {
  static const ossl::Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  ossl::check(kdf != nullptr, "EVP_KDF_fetch(HKDF)");
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  ossl::check(ctx != nullptr, "EVP_KDF_CTX_new");
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest_name = hash.name;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  Bytes out(length);
  ossl::check(EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1, "HKDF-Expand");
  return out;
}

Bytes hmac(const Hash& hash, ByteView key, ByteView data) {
  static const Mac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  ossl::check(mac != nullptr, "EVP_MAC_fetch(HMAC)");
  MacCtx ctx(EVP_MAC_CTX_new(mac.get()));
  ossl::check(ctx != nullptr, "EVP_MAC_CTX_new");
  std::string digest_name = hash.name;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  ossl::check(EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1, "EVP_MAC_init");
  ossl::check(EVP_MAC_update(ctx.get(), data.data(), data.size()) == 1, "EVP_MAC_update");
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t size = 0;
  ossl::check(EVP_MAC_final(ctx.get(), out.data(), &size, out.size()) == 1, "EVP_MAC_final");
  out.resize(size);
  return out;
}

Bytes tls12_prf(const Hash& hash, ByteView secret, std::string_view label, ByteView seed, std::size_t length) {
  Secret out = crypto::prf(hash.algorithm, secret, label, seed, length);
  return {out.view().begin(), out.view().end()};
}

// The commands. Each writes its inputs out in hex, so that it runs alone in any POSIX shell.
std::string prf_command(const Hash& hash, std::size_t length, ByteView secret, std::string_view label,
                        std::initializer_list<ByteView> seeds) {
  std::string command = "openssl kdf -keylen " + std::to_string(length) + " -kdfopt digest:" + hash.name +
                        " -kdfopt hexsecret:" + hex(secret) + " \\\n  -kdfopt hexseed:" + hex(label);
  for (ByteView seed : seeds) command += " -kdfopt hexseed:" + hex(seed);
  return command + " TLS1-PRF" + std::string(kdf_hex);
}

std::string hkdf_command(const Hash& hash, std::size_t length, ByteView secret, ByteView info) {
  return "openssl kdf -keylen " + std::to_string(length) + " -kdfopt digest:" + hash.name +
         " -kdfopt mode:EXPAND_ONLY -kdfopt hexkey:" + hex(secret) + " \\\n  -kdfopt hexinfo:" + hex(info) + " HKDF" +
         std::string(kdf_hex);
}

std::string hmac_command(const Hash& hash, ByteView key, ByteView data) {
  return "printf %s " + hex(data) + " | xxd -r -p | openssl mac -digest " + hash.name + " -macopt hexkey:" + hex(key) +
         " HMAC | tr A-F a-f";
}

// The first `count` hex digits after `skip` bytes of what `command` prints.
std::string cut_command(const std::string& command, std::size_t skip, std::size_t count) {
  return command + " | cut -c" + std::to_string(2 * skip + 1) + "-" + std::to_string(2 * (skip + count));
}

struct Message {
  const TappedMessage* tapped = nullptr;
  HandshakeView view;
};

std::string transcript_command(const Hash& hash, std::span<const Message> transcript) {
  std::string command = "printf %s";
  for (const auto& message : transcript) command += " \\\n  " + hex(message.tapped->bytes);
  return command + " \\\n  | xxd -r -p | openssl dgst -" + hash.flag + " -r | cut -d' ' -f1";
}

// "client Finished": a transcript may hold both Finished.
std::string name_of(const Message& message) {
  if (message.view.kind != HandshakeKind::finished) return message.view.name;
  return std::string(message.tapped->from == Party::client ? "client " : "server ") + message.view.name;
}

std::string names_of(std::span<const Message> transcript, std::string_view separator) {
  std::string names;
  for (const auto& message : transcript) {
    if (!names.empty()) names += separator;
    names += name_of(message);
  }
  return names;
}

// "Hash(ClientHello..ClientKeyExchange)"
std::string transcript_name(std::string_view hash_word, std::span<const Message> transcript) {
  return std::string(hash_word) + "(" + name_of(transcript.front()) + ".." + name_of(transcript.back()) + ")";
}

// The key log lines of this connection, by label (the first line of a label wins).
struct KeyLog {
  std::map<std::string, Bytes, std::less<>> secrets;
  std::optional<Bytes> rsa_pre_master;
};

KeyLog read_keylog(std::span<const std::string> lines, ByteView client_random, const std::optional<Bytes>& encrypted) {
  KeyLog log;
  for (const auto& text : lines) {
    auto line = parse_key_log_line(text);
    if (!line) continue;
    if (line->label == "RSA") {
      // NSS: the first 8 bytes of the encrypted pre-master name the connection.
      if (encrypted && encrypted->size() >= 8 && line->key.size() == 8 &&
          std::equal(line->key.begin(), line->key.end(), encrypted->begin()) && !log.rsa_pre_master)
        log.rsa_pre_master = std::move(line->secret);
    } else if (line->key == Bytes(client_random.begin(), client_random.end())) {
      log.secrets.emplace(std::move(line->label), std::move(line->secret));
    }
  }
  return log;
}

class Builder {
 public:
  Builder(const Hash& hash, Computations& out) : hash_(hash), out_(out) {}

  // Returns a copy of the value: a later step may move the list.
  Bytes step(std::string name, Bytes value, std::string computation, std::string command, bool secret = true,
             bool command_reveals_secret = true) {
    out_.steps.push_back({{std::move(name), value, std::move(computation), {}, secret},
                          secret,
                          std::move(command),
                          command_reveals_secret});
    return value;
  }
  std::vector<CheckFact>& checks() { return out_.checks; }
  void left_out(std::string line) { out_.left_out.push_back(std::move(line)); }

  // Adds the transcript hash of `transcript` as a step named `name` and returns it.
  Bytes transcript_hash(std::string name, std::span<const Message> transcript, std::string_view why) {
    Bytes joined;
    for (const auto& message : transcript) append(joined, message.tapped->bytes);
    return step(std::move(name), digest(hash_, joined),
                std::string(why) + ": " + hash_.name + "(" + names_of(transcript, " || ") +
                    "), the handshake messages as libssl handed them over (type, length, body)",
                transcript_command(hash_, transcript), false, false);
  }

  void finished_check(const std::string& who, const Message& finished, const Bytes& recomputed) {
    const Bytes sent = finished.view.verify_data.value_or(Bytes{});
    out_.checks.push_back({who + " Finished", constant_time_equal(sent, recomputed),
                           "verify_data " + hex(sent) + " (the Finished exchanged)",
                           "verify_data " + hex(recomputed) + " (recomputed)"});
  }

  const Hash& hash() const { return hash_; }

 private:
  const Hash& hash_;
  Computations& out_;
};

const Message* first(std::span<const Message> messages, HandshakeKind kind, std::optional<Party> from = {}) {
  for (const auto& message : messages) {
    if (message.view.kind == kind && (!from || message.tapped->from == *from)) return &message;
  }
  return nullptr;
}

std::span<const Message> before(std::span<const Message> messages, const Message* end) {
  return messages.first(static_cast<std::size_t>(end - messages.data()));
}

std::string party_word(Party party) {
  return party == Party::client ? "client" : "server";
}

// The record keys a TLS 1.2 AEAD suite takes from the key block (RFC 5246 §6.3, RFC 5288 §3,
// RFC 7905 §2); nullopt for a suite this does not lay out (CBC with its MAC keys).
struct KeySizes {
  std::size_t key = 0;
  std::size_t iv = 0;
};
std::optional<KeySizes> tls12_key_sizes(const std::string& suite) {
  std::size_t key = suite.find("AES_256") != std::string::npos ? 32 : 16;
  if (suite.find("CHACHA20_POLY1305") != std::string::npos) return KeySizes{32, 12};
  if (suite.find("_GCM_") != std::string::npos || suite.find("_CCM") != std::string::npos) return KeySizes{key, 4};
  return std::nullopt;
}

void compute_tls12(std::span<const Message> messages, const ComputationInput& input, Builder& build) {
  const Hash& hash = build.hash();
  const Message* client_hello = first(messages, HandshakeKind::client_hello);
  const Message* server_hello = first(messages, HandshakeKind::server_hello);
  if (client_hello == nullptr || server_hello == nullptr || !client_hello->view.random || !server_hello->view.random) {
    build.left_out("no ClientHello and ServerHello among the messages: nothing computed");
    return;
  }
  const Bytes& client_random = *client_hello->view.random;
  const Bytes& server_random = *server_hello->view.random;
  const Message* client_key_exchange = first(messages, HandshakeKind::client_key_exchange);
  bool extended = false;
  for (const auto& extension : server_hello->view.extensions)
    extended = extended || extension.type == extended_master_secret_extension;
  KeyLog log = read_keylog(
      input.keylog_lines, client_random,
      client_key_exchange != nullptr ? client_key_exchange->view.encrypted_pre_master : std::optional<Bytes>{});
  const KeyExchange exchange = key_exchange_of(input.cipher_suite);
  const std::string prf_word = "TLS1-PRF-" + hash.name;

  std::optional<Bytes> session_hash;
  if (extended && client_key_exchange != nullptr) {
    session_hash = build.transcript_hash("session_hash", before(messages, client_key_exchange + 1),
                                         "RFC 7627 §3 (the ServerHello has extended_master_secret): session_hash = "
                                         "Hash(ClientHello..ClientKeyExchange)");
  }

  std::optional<Bytes> master;
  auto logged_master = log.secrets.find("CLIENT_RANDOM");
  if (exchange == KeyExchange::rsa && log.rsa_pre_master) {
    Bytes pre_master = build.step(
        "PRE-MASTER", *log.rsa_pre_master,
        "from the key log (libssl's RSA line: the first 8 bytes of the encrypted PRE-MASTER of the ClientKeyExchange, "
        "then the PRE-MASTER; libssl logs it on the client, which chose and encrypted it)",
        "");
    if (extended && session_hash) {
      master = build.step(
          "SESSION MASTER KEY", tls12_prf(hash, pre_master, "extended master secret", *session_hash, 48),
          "RFC 7627 §4: master_secret = " + prf_word + "(PRE-MASTER, \"extended master secret\", session_hash)[0..47]",
          prf_command(hash, 48, pre_master, "extended master secret", {*session_hash}));
    } else if (extended) {
      build.left_out("SESSION MASTER KEY: no ClientKeyExchange, so no session_hash to compute it from");
    } else {
      master = build.step("SESSION MASTER KEY",
                          tls12_prf(hash, pre_master, "master secret", concat(client_random, server_random), 48),
                          "RFC 5246 §8.1: master_secret = " + prf_word +
                              "(PRE-MASTER, \"master secret\", RAND-CLIENT || RAND-SERVER)[0..47]",
                          prf_command(hash, 48, pre_master, "master secret", {client_random, server_random}));
    }
    if (master && logged_master != log.secrets.end()) {
      bool same = constant_time_equal(*master, logged_master->second);
      build.checks().push_back(
          {"SESSION MASTER KEY", same, "the master secret of the key log's CLIENT_RANDOM line",
           same ? "the same, recomputed from the PRE-MASTER" : "a different one, recomputed from the PRE-MASTER"});
    }
  } else if (exchange == KeyExchange::rsa) {
    build.left_out(
        "PRE-MASTER: no RSA line in the key log for this ClientKeyExchange (only the server that decrypts it logs "
        "one)");
  }
  if (!master) {
    if (logged_master == log.secrets.end()) {
      build.left_out(
          "SESSION MASTER KEY: no CLIENT_RANDOM line in the key log for this RAND-CLIENT: no Finished or key block "
          "computed");
      return;
    }
    std::string why =
        exchange == KeyExchange::rsa
            ? "from the key log (libssl's CLIENT_RANDOM line)"
            : "from the key log (libssl's CLIENT_RANDOM line): with (EC)DHE the PRE-MASTER is the Diffie-Hellman "
              "result, which libssl never logs, so the computations start from the master secret";
    master = build.step("SESSION MASTER KEY", logged_master->second, why, "");
  }

  // RFC 5246 §7.4.9: each Finished hashes every handshake message before it.
  for (Party party : {Party::client, Party::server}) {
    const std::string who = party_word(party);
    const Message* finished = first(messages, HandshakeKind::finished, party);
    if (finished == nullptr || finished == messages.data()) {
      build.left_out(who + " Finished: not among the messages");
      continue;
    }
    Bytes transcript_hash =
        build.transcript_hash(transcript_name("Hash", before(messages, finished)), before(messages, finished),
                              "RFC 5246 §7.4.9: the hash of the " + who + "'s Finished");
    std::string label = who + " finished";
    Bytes verify_data = tls12_prf(hash, *master, label, transcript_hash, tls12_verify_data_size);
    build.step(who + " verify_data", verify_data,
               "RFC 5246 §7.4.9: verify_data = " + prf_word + "(SESSION MASTER KEY, \"" + label + "\", " +
                   transcript_name("Hash", before(messages, finished)) + ")[0..11]",
               prf_command(hash, tls12_verify_data_size, *master, label, {transcript_hash}), false);
    build.finished_check(who, *finished, verify_data);
  }

  std::string suite = cipher_suite_name(input.cipher_suite);
  auto sizes = tls12_key_sizes(suite);
  if (!sizes) {
    build.left_out("key block: " + suite + " is not an AEAD suite; its MAC keys are not laid out here");
    return;
  }
  std::size_t length = 2 * sizes->key + 2 * sizes->iv;
  Bytes block = tls12_prf(hash, *master, "key expansion", concat(server_random, client_random), length);
  std::string command = prf_command(hash, length, *master, "key expansion", {server_random, client_random});
  std::string formula = "RFC 5246 §6.3: key_block = " + prf_word +
                        "(SESSION MASTER KEY, \"key expansion\", RAND-SERVER || RAND-CLIENT)[0.." +
                        std::to_string(length - 1) +
                        "] = client_write_key || server_write_key || client_write_IV || "
                        "server_write_IV; ";
  std::size_t offset = 0;
  for (auto [name, size] : {std::pair{"client_write_key", sizes->key}, std::pair{"server_write_key", sizes->key},
                            std::pair{"client_write_IV", sizes->iv}, std::pair{"server_write_IV", sizes->iv}}) {
    build.step(name,
               Bytes(block.begin() + static_cast<std::ptrdiff_t>(offset),
                     block.begin() + static_cast<std::ptrdiff_t>(offset + size)),
               formula + name + " = bytes " + std::to_string(offset) + ".." + std::to_string(offset + size - 1),
               cut_command(command, offset, size));
    offset += size;
  }
}

std::string hkdf_label_words(std::size_t length, std::string_view label, const Bytes& info) {
  return "HkdfLabel " + hex(info) + " = length " + std::to_string(length) + " (" + hex(ByteView(info).first(2)) +
         "), label \"tls13 " + std::string(label) + "\" (" + hex(ByteView(info).subspan(2, 1)) + " " +
         hex("tls13 " + std::string(label)) +
         "), empty context (00); OpenSSL's TLS13-KDF (mode EXPAND_ONLY, prefix \"tls13 \", label \"" +
         std::string(label) + "\") builds the same HkdfLabel";
}

void compute_tls13(std::span<const Message> messages, const ComputationInput& input, Builder& build) {
  const Hash& hash = build.hash();
  const Message* client_hello = first(messages, HandshakeKind::client_hello);
  const Message* server_hello = first(messages, HandshakeKind::server_hello);
  if (client_hello == nullptr || server_hello == nullptr || !client_hello->view.random) {
    build.left_out("no ClientHello and ServerHello among the messages: nothing computed");
    return;
  }
  // RFC 8446 §4.4.1: after a HelloRetryRequest the transcript starts with message_hash, standing for
  // the first ClientHello: msg_type 254, a 3-byte length, then Hash(ClientHello1).
  std::vector<Message> rewritten;
  TappedMessage message_hash;
  if (server_hello->view.name == "HelloRetryRequest") {
    Bytes first_hash = build.transcript_hash("Hash(ClientHello1)", std::span<const Message>(client_hello, 1),
                                             "RFC 8446 §4.4.1: the first ClientHello, which a HelloRetryRequest "
                                             "answered, enters the transcript as its hash");
    message_hash.from = Party::client;
    message_hash.name = "message_hash";
    message_hash.bytes = {static_cast<std::uint8_t>(HandshakeKind::message_hash), 0, 0,
                          static_cast<std::uint8_t>(first_hash.size())};
    append(message_hash.bytes, first_hash);
    message_hash.size = message_hash.bytes.size();
    HandshakeView view;
    view.kind = HandshakeKind::message_hash;
    view.name = "message_hash";
    rewritten.push_back({&message_hash, std::move(view)});
    for (const Message* message = client_hello + 1; message != messages.data() + messages.size(); ++message) {
      rewritten.push_back(*message);
    }
    messages = rewritten;
    server_hello = nullptr;
    for (const auto& message : messages) {
      if (message.view.kind == HandshakeKind::server_hello && message.view.name != "HelloRetryRequest") {
        server_hello = &message;
        break;
      }
    }
    if (server_hello == nullptr) {
      build.left_out("a HelloRetryRequest and no ServerHello after it: nothing computed");
      return;
    }
  }
  KeyLog log = read_keylog(input.keylog_lines, *client_hello->view.random, std::nullopt);

  // RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length);
  // verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*)).
  for (Party party : {Party::server, Party::client}) {
    const std::string who = party_word(party);
    const std::string line =
        party == Party::server ? "SERVER_HANDSHAKE_TRAFFIC_SECRET" : "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    auto logged = log.secrets.find(line);
    if (logged == log.secrets.end()) {
      build.left_out(who + " Finished: no " + line + " line in the key log for this RAND-CLIENT");
      continue;
    }
    const std::string secret_name = who + "_handshake_traffic_secret";
    Bytes secret = build.step(secret_name, logged->second, "from the key log (libssl's " + line + " line)", "");
    Bytes info = hkdf_label(static_cast<std::uint16_t>(hash.size), "finished", {});
    Bytes finished_key =
        build.step(who + " finished_key", hkdf_expand(hash, secret, info, hash.size),
                   "RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(" + secret_name + ", \"finished\", \"\", " +
                       std::to_string(hash.size) + ") = HKDF-Expand(secret, HkdfLabel, " + std::to_string(hash.size) +
                       "); " + hkdf_label_words(hash.size, "finished", info),
                   hkdf_command(hash, hash.size, secret, info));
    const Message* finished = first(messages, HandshakeKind::finished, party);
    if (finished == nullptr || finished == messages.data()) {
      build.left_out(who + " Finished: not among the messages");
      continue;
    }
    Bytes transcript_hash = build.transcript_hash(transcript_name("Transcript-Hash", before(messages, finished)),
                                                  before(messages, finished),
                                                  "RFC 8446 §4.4.1: the transcript of the " + who + "'s Finished");
    Bytes verify_data = hmac(hash, finished_key, transcript_hash);
    build.step(who + " verify_data", verify_data,
               "RFC 8446 §4.4.4: verify_data = HMAC-" + hash.name + "(" + who + " finished_key, " +
                   transcript_name("Transcript-Hash", before(messages, finished)) + ")",
               hmac_command(hash, finished_key, transcript_hash), false);
    build.finished_check(who, *finished, verify_data);
  }

  // RFC 8446 §7.3: the record keys of the application data.
  std::string suite = cipher_suite_name(input.cipher_suite);
  std::size_t key_size = suite.find("AES_128") != std::string::npos ? 16 : 32;
  for (Party party : {Party::client, Party::server}) {
    const std::string who = party_word(party);
    const std::string line = party == Party::client ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0";
    auto logged = log.secrets.find(line);
    if (logged == log.secrets.end()) {
      build.left_out(who + "_write_key: no " + line + " line in the key log for this RAND-CLIENT");
      continue;
    }
    const std::string secret_name = who + "_application_traffic_secret_0";
    Bytes secret = build.step(secret_name, logged->second, "from the key log (libssl's " + line + " line)", "");
    for (auto [label, size] : {std::pair<std::string_view, std::size_t>{"key", key_size}, {"iv", tls13_iv_size}}) {
      Bytes info = hkdf_label(static_cast<std::uint16_t>(size), label, {});
      build.step(who + "_write_" + std::string(label), hkdf_expand(hash, secret, info, size),
                 "RFC 8446 §7.3: [sender]_write_" + std::string(label) + " = HKDF-Expand-Label(" + secret_name +
                     ", \"" + std::string(label) + "\", \"\", " + std::to_string(size) + "); " +
                     hkdf_label_words(size, label, info),
                 hkdf_command(hash, size, secret, info));
    }
  }
}

}  // namespace

Bytes hkdf_label(std::uint16_t length, std::string_view label, ByteView context) {
  constexpr std::string_view prefix = "tls13 ";
  if (prefix.size() + label.size() > 255 || context.size() > 255) return {};
  Bytes out{static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xff),
            static_cast<std::uint8_t>(prefix.size() + label.size())};
  append(out, as_bytes(prefix));
  append(out, as_bytes(label));
  out.push_back(static_cast<std::uint8_t>(context.size()));
  append(out, context);
  return out;
}

Bytes hkdf_expand_label(std::uint16_t suite, ByteView secret, std::string_view label, std::size_t length) {
  return hkdf_expand(hash_of(suite), secret, hkdf_label(static_cast<std::uint16_t>(length), label, {}), length);
}

std::optional<KeyLogLine> parse_key_log_line(std::string_view line) {
  if (line.size() > max_keylog_line) return std::nullopt;
  std::string_view words[3];
  std::size_t count = 0;
  while (!line.empty() && count < 3) {
    std::size_t space = line.find(' ');
    words[count++] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  if (count != 3 || !line.empty() || words[0].empty()) return std::nullopt;
  auto key = from_hex(words[1]);
  auto secret = from_hex(words[2]);
  if (!key || !secret) return std::nullopt;
  return KeyLogLine{std::string(words[0]), std::move(*key), std::move(*secret)};
}

void withhold_secrets(Computations& computations) {
  for (auto& shown : computations.steps) {
    if (shown.secret) {
      OPENSSL_cleanse(shown.fact.value.data(), shown.fact.value.size());
      shown.fact.value.clear();
    }
    if (shown.command_reveals_secret) {
      OPENSSL_cleanse(shown.command.data(), shown.command.size());
      shown.command.clear();
    }
  }
}

Computations compute_handshake(const ComputationInput& input) {
  Computations out;
  if (input.version != tls12 && input.version != tls13) {
    out.left_out.push_back("the computations of " + version_name(input.version) +
                           " are not shown (TLS 1.2 and 1.3 are)");
    return out;
  }
  ViewContext context{input.version, input.version == tls12 ? key_exchange_of(input.cipher_suite) : KeyExchange::none};
  std::vector<Message> messages;
  for (const auto& tapped : input.messages) {
    if (tapped.type != TappedType::handshake) continue;
    if (tapped.bytes.empty()) {
      out.left_out.push_back("the tap kept no bytes of " + tapped.name + " (past its " +
                             std::to_string(max_tapped_bytes / 1024) + " KiB): no transcript, nothing computed");
      return out;
    }
    // RFC 5246 §7.4.1.1: a HelloRequest is in no transcript.
    if (tapped.bytes[0] == static_cast<std::uint8_t>(HandshakeKind::hello_request)) continue;
    auto view = view_handshake(tapped.bytes, context);
    if (!view) {
      out.left_out.push_back(view.failure().reason + ": nothing computed");
      return out;
    }
    messages.push_back({&tapped, std::move(view).value()});
  }
  Hash hash = hash_of(input.cipher_suite);
  Builder build(hash, out);
  try {
    if (input.version == tls12)
      compute_tls12(messages, input, build);
    else
      compute_tls13(messages, input, build);
  } catch (const ossl::Error& error) {
    out.left_out.push_back(std::string("OpenSSL failed: ") + error.what());
  }
  return out;
}

}  // namespace tlslab::tls
