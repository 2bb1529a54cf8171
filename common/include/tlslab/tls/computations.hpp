#pragma once
// The computations of one real TLS handshake, redone from the messages the tap kept and the secrets
// libssl wrote to its key log, each with a stock OpenSSL 3.0 command a learner can run to check it
// (issue 24): the TLS 1.2 PRF (`openssl kdf … TLS1-PRF`), the TLS 1.3 schedule (`openssl kdf … HKDF`
// with the HkdfLabel in hex, `openssl mac … HMAC`), the transcript hashes (`openssl dgst`). The
// Finished messages libssl exchanged are checked against the recomputation: a transcript or secret
// that is not the one the peers used makes a CheckFact with ok = false.
//
// Nothing here runs the protocol or hand-writes crypto: the PRF, HKDF, HMAC and digests are OpenSSL's
// EVP_KDF, EVP_MAC and EVP_Digest. The inputs are untrusted (a capture, a peer's messages): each
// message is read with the display parser (handshake_view.hpp), and what cannot be computed (a key-log
// line or a message missing, a message over the tap's cap) is left out with one line saying why.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tlslab/tls/tap.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::tls {

struct ComputationInput {
  // One connection's messages in the order libssl handed them over (Tap::messages()); only the
  // handshake messages are read.
  std::span<const TappedMessage> messages;
  std::uint16_t version = 0;       // 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3): SSL_version()
  std::uint16_t cipher_suite = 0;  // SSL_CIPHER_get_protocol_id(SSL_get_current_cipher())
  // NSS key log lines (SSL_CTX_set_keylog_callback), of this connection or of many: a line is used only
  // when its client random is this ClientHello's (an RSA line: when its 8 bytes open this
  // ClientKeyExchange's encrypted pre-master).
  std::span<const std::string> keylog_lines;
};

// One value of the handshake, how it was made and the command that prints it again (lowercase hex).
struct ShownComputation {
  SecretFact fact;
  bool secret = true;  // false for what is not secret (a transcript hash): shown without --show-secrets
  // A POSIX sh command (openssl, xxd, tr, cut) that prints fact.value in lowercase hex from values
  // written out in it, all shown before it; empty for a value taken from the key log as it is.
  std::string command;
  // The command writes out a secret (a master secret, a traffic secret, a finished_key): shown only
  // with --show-secrets. Only a transcript hash's command writes out none.
  bool command_reveals_secret = true;
};

struct Computations {
  std::vector<ShownComputation> steps;  // in the order a learner would redo them
  std::vector<CheckFact> checks;        // "SESSION MASTER KEY", "client Finished", "server Finished"
  std::vector<std::string> left_out;    // one line per computation left out, saying why
};

// TLS 1.2 (RSA key transport, (EC)DHE; extended master secret or not) and TLS 1.3 (after a
// HelloRetryRequest too: RFC 8446 §4.4.1's message_hash). Never throws on bad input: a message the display parser
// rejects, a version other than 1.2/1.3, a missing line: all are a line in left_out.
Computations compute_handshake(const ComputationInput& input);

// Without --show-secrets: each secret value is emptied and each command that writes a secret out is
// emptied; the checks, the transcript hashes, the verify_data and every computation's words stay.
void withhold_secrets(Computations& computations);

// One line of an NSS key log ("CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>", both in
// hex): nullopt for a line that is not three words with two hex ones (a comment, a blank line, a line
// longer than any NSS line).
struct KeyLogLine {
  std::string label;  // "CLIENT_RANDOM", "SERVER_TRAFFIC_SECRET_0", "RSA"
  Bytes key;          // the client random (an RSA line: the encrypted pre-master's first 8 bytes)
  Bytes secret;
};
std::optional<KeyLogLine> parse_key_log_line(std::string_view line);

// HKDF-Expand-Label(secret, label, "", length) of RFC 8446 §7.1 with the hash of TLS 1.3 `suite`: a
// traffic secret's record key and iv (§7.3), the next traffic secret ("traffic upd", §7.2).
Bytes hkdf_expand_label(std::uint16_t suite, ByteView secret, std::string_view label, std::size_t length);

// The HkdfLabel of RFC 8446 §7.1: uint16 length, opaque label<7..255> = "tls13 " + label, opaque
// context<0..255>. Empty when the label or context is too long.
Bytes hkdf_label(std::uint16_t length, std::string_view label, ByteView context);

}  // namespace tlslab::tls
