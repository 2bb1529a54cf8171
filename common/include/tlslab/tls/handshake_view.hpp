#pragma once
// The one display parser of TLS 1.2 / 1.3 handshake messages made by something other than tlslab's
// codec (libssl, a capture): which bytes are which field (FieldSpan, every byte in exactly one
// leaf) and the facts a report shows. Its input is untrusted: every read is bounds-checked, every
// length is checked against what is left before anything is copied, and bad input is a Result
// failure with one line naming the field ("ServerHello: cipher_suite: 1 byte left where 2 are
// needed"), never an exception. Layouts: RFC 8446 §4 (1.3), RFC 5246 §7.4 (1.2), RFC 8422 §5
// (ECDHE), RFC 6066 §8 (CertificateStatus), RFC 5077 §3.3 (1.2 NewSessionTicket).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/field_span.hpp"
#include "tlslab/result.hpp"
#include "tlslab/tls/names.hpp"

namespace tlslab::tls {

enum class HandshakeKind : std::uint8_t {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  end_of_early_data = 5,
  encrypted_extensions = 8,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  client_key_exchange = 16,
  finished = 20,
  certificate_status = 22,
  key_update = 24,
  message_hash = 254,
};
// "ClientHello", "EncryptedExtensions", ...
std::string_view to_string(HandshakeKind kind);

inline constexpr std::uint16_t tls12 = 0x0303;
inline constexpr std::uint16_t tls13 = 0x0304;
// The largest message shown: a certificate chain with a staple fits many times over; a
// 16 MiB "message" is refused before anything of it is copied.
inline constexpr std::size_t max_viewed_message = 256 * 1024;

// What the bytes alone do not say: the negotiated version (Certificate, CertificateRequest,
// NewSessionTicket differ between 1.2 and 1.3) and, under 1.2, the suite's key exchange
// (ServerKeyExchange, ClientKeyExchange: key_exchange_of(the ServerHello's cipher_suite)).
struct ViewContext {
  std::uint16_t version = tls13;
  KeyExchange key_exchange = KeyExchange::none;
};

struct Extension {
  std::uint16_t type = 0;
  std::string name;  // extension_name(type)
  bool operator==(const Extension&) const = default;
};

struct HandshakeView {
  HandshakeKind kind = HandshakeKind::client_hello;
  std::string name;  // to_string(kind); "HelloRetryRequest" for a ServerHello with RFC 8446 §4.1.3's random
  // Every byte of the message in exactly one leaf: one span named `name` whose parts are msg_type,
  // length and the body's fields, in the RFC's words.
  std::vector<FieldSpan> spans;

  // The facts a report needs, when the message has them.
  std::optional<Bytes> random;                  // ClientHello, ServerHello
  std::optional<Bytes> session_id;              // ClientHello, ServerHello (legacy_session_id)
  std::optional<std::uint16_t> cipher_suite;    // ServerHello: chosen
  std::vector<std::uint16_t> cipher_suites;     // ClientHello: offered
  std::optional<std::uint16_t> legacy_version;  // ClientHello, ServerHello
  // ServerHello: supported_versions when present (0x0304 is TLS 1.3), else legacy_version.
  std::optional<std::uint16_t> selected_version;
  std::vector<std::uint16_t> supported_versions;  // ClientHello
  std::vector<std::uint16_t> key_share_groups;    // ClientHello: groups with a share; ServerHello: its one
  std::vector<std::size_t> key_share_sizes;       // the key_exchange length of each of those shares
  // ALPN (RFC 7301): ClientHello the protocols offered; ServerHello (1.2) / EncryptedExtensions the one
  // chosen. Raw bytes: escape to show.
  std::vector<std::string> alpn;
  std::vector<std::uint16_t> supported_groups;      // ClientHello
  std::vector<std::uint16_t> signature_algorithms;  // ClientHello, CertificateRequest
  std::vector<Extension> extensions;                // the message's own, in order
  std::optional<std::string> server_name;           // ClientHello SNI host_name, raw bytes (escape to show)
  bool status_request = false;                      // ClientHello / CertificateRequest ask for OCSP
  std::vector<Bytes> certificates;                  // Certificate: DER, leaf first
  // CertificateStatus (1.2), or the status_request extension of the first CertificateEntry (1.3).
  std::optional<Bytes> ocsp_response;
  std::optional<std::uint16_t> signature_scheme;  // CertificateVerify; ServerKeyExchange (1.2)
  std::optional<std::uint16_t> ecdhe_group;       // ServerKeyExchange named_curve
  std::optional<Bytes> public_key;                // ServerKeyExchange / ClientKeyExchange: the (EC)DH share
  std::optional<Bytes> encrypted_pre_master;      // ClientKeyExchange under RSA key transport
  std::optional<Bytes> verify_data;               // Finished
};

// `message` is one whole handshake message: msg_type(1) length(3) body, nothing after it.
Result<HandshakeView> view_handshake(ByteView message, const ViewContext& context);

}  // namespace tlslab::tls
