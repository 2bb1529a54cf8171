#pragma once
// What a stolen server key opens in a recorded session, and what it cannot.
//
// RSA key transport (PROTOCOL.md §7.1): the PRE-MASTER crossed the wire encrypted under
// SERVER'S PUBLIC KEY, so its private half recovers it, and with both randoms (which crossed in
// the clear) the SESSION MASTER KEY and every record key follow (§7.2). Every step is the
// project's own code: crypto::OaepDecryptor, derive_session_keys (derive_master_secret and
// derive_key_block), RecordProtection, compute_verify_data. The client's Finished is the proof:
// it opens, and its verify_data matches, only with the keys the two sides really had.
//
// ECDHE (§7.6): the PRE-MASTER never crossed the wire; the key only signed the server's ephemeral
// key share. Nothing in the recording, key included, gives the PRE-MASTER back.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "captured_session.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/secret.hpp"

namespace tlslab::decrypt {

enum class Verdict : std::uint8_t {
  opened,             // the client's Finished opened with the derived keys: everything after it is shown
  nothing_encrypted,  // the handshake stopped before the client's Finished: nothing to open
  forward_secret,     // an ECDHE session: the key cannot open it, by design
  not_this_server,    // the key is not this session's server's
  handshake_altered,  // the key is the server's, but the client's Finished does not open with the
                      // keys that follow from the handshake as captured: it was changed on the wire
                      // (docs/ATTACKS.md)
  undecodable,        // the handshake does not decode (a broken or hostile capture)
  resumed,            // a resumed session (§7.8) no ticket given opened: no PRE-MASTER was sent, the
                      // server's key cannot open it; the server's ticket key (or a key log line) can
  no_ticket,          // only a ticket key was given, and no ticket in the capture holds this session's
                      // master secret
};
// An opened session, or one with nothing encrypted, is not a failure of the program.
[[nodiscard]] bool counts_as_opened(Verdict verdict) noexcept;
// "opened", "forward secrecy", "not this server's key", …: the summary's words.
[[nodiscard]] std::string_view to_string(Verdict verdict) noexcept;

// One thing the key revealed, in capture order.
struct Revealed {
  enum class Kind : std::uint8_t {
    finished,          // a Finished (arrow 6 or 7), verified or not: `text` says which
    application_data,  // arrow 8: `content` is the plaintext
    alert,             // an alert, protected or in the clear: `text` names it
    stop,              // a record that does not open, or a direction that ends early: `text` says why
  };
  Kind kind;
  Direction from;
  std::optional<std::uint64_t> record;  // the record's sequence number in its direction (§7.4-7.5)
  Bytes content;
  std::string text;
};

struct OpenedSession {
  Verdict verdict = Verdict::undecodable;
  std::string reason;  // one sentence, in the lab's words, for every verdict but `opened`
  std::uint16_t cipher_suite = 0;
  std::optional<Secret> master_secret;  // only when opened: the key log's second field
  // Only when opened from a ticket (§7.8): which ticket gave the SESSION MASTER KEY, in the report's
  // words; empty: it came from the PRE-MASTER of arrow 5.
  std::string master_from;
  std::vector<Revealed> revealed;
};

class StolenKey {
 public:
  // Any private key: an RSA one can decrypt a PRE-MASTER; another kind opens nothing, and says
  // it is not the server's (the session's server key is RSA for RSA key transport).
  explicit StolenKey(ossl::PKey private_key);

  [[nodiscard]] OpenedSession open(const CapturedSession& session) const;

 private:
  [[nodiscard]] OpenedSession try_to_open(const CapturedSession& session) const;

  ossl::PKey private_key_;
  Bytes public_key_;  // SubjectPublicKeyInfo DER: compared with SERVER'S PUBLIC KEY
  std::optional<crypto::OaepDecryptor> oaep_;
};

// A session whose master secret is known (from the PRE-MASTER, or from a ticket, §7.8): the key
// block from it and the session's own randoms, the client's Finished as the proof, then every
// record. `resumed`: the transcript is ClientHello ‖ ServerHello (no arrow 5).
[[nodiscard]] OpenedSession open_with_master_secret(const CapturedSession& session, Secret master_secret, bool resumed);

// §7.6: the suites 0x0B01-0x0BFF are ECDHE (the assigned ones and those reserved for more).
[[nodiscard]] bool is_ecdhe_suite(std::uint16_t suite) noexcept;
// "x25519", "secp256r1", or "0x1234" for a value §7.6 does not name.
[[nodiscard]] std::string group_name(std::uint16_t group);

}  // namespace tlslab::decrypt
