#pragma once
// What a real TLS session negotiated, as its trace events show it: the version, the suite, the group,
// both randoms, the certificates and the staple. A live side asks libssl (negotiated_of); a capture
// has only the messages that crossed, read with the display parser (negotiated_from). A test holds
// the two to the same answer on one connection.
#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "tlslab/bytes.hpp"

namespace tlslab::tls {

struct TappedMessage;

// What a session negotiated, as its events show it: from libssl for a live connection
// (negotiated_of), or from the messages themselves for a capture (tlslab-explain).
struct NegotiatedSession {
  bool tls13 = false;
  bool ecdhe = false;              // TLS 1.2: an (EC)DHE suite
  std::uint16_t version = 0;       // 0x0303, 0x0304
  std::uint16_t cipher_suite = 0;  // the ServerHello's; 0 when unknown
  std::string protocol;            // "TLS 1.2", "TLS 1.3"
  std::string suite;               // IANA name
  std::string group;               // "x25519"; empty under RSA key transport
  Bytes client_random;
  Bytes server_random;
  Bytes server_certificate;  // DER; empty when not seen (TLS 1.3 without its keys)
  Bytes client_certificate;
  Bytes staple;           // the CA's OCSP answer the server stapled, DER
  bool finished = false;  // the handshake completed
  // The earlier session taken again (RFC 5077 ticket or session ID in TLS 1.2, a PSK in TLS 1.3): no
  // Certificate crossed and nobody asked the CA; the certificates above are the earlier session's.
  bool resumed = false;
  bool extended_master_secret = false;
  Bytes master_secret;  // TLS 1.2, filled only to be shown (--show-secrets)
  // The check a live side made of its peer's certificate (libssl's verdict); none for an observer.
  struct PeerCheck {
    bool ok = false;
    std::string error;  // X509_verify_cert_error_string when not ok
    std::string host;   // the name checked; empty when none
  };
  std::optional<PeerCheck> peer_check;
};
// libssl's view of `ssl` (the master secret only when `with_master_secret`).
NegotiatedSession negotiated_of(const SSL* ssl, bool with_master_secret);

// An observer's view: what the handshake messages themselves say (a capture, whose encrypted
// messages are there only when its key log opened them). `messages` are in the order they crossed;
// the master secret and the peer check are never known this way; `finished` is true once both
// Finished are among them.
NegotiatedSession negotiated_from(std::span<const TappedMessage> messages);

}  // namespace tlslab::tls
