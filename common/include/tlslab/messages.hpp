#pragma once
// Handshake messages (PROTOCOL.md §3–§9): one struct per message, each with
// `encode(Writer&) const` and `static Result<T> decode(Reader&)`. Decode never throws and
// rejects truncation, trailing bytes and wrong lengths with the alert the spec names.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/codec.hpp"
#include "tlslab/frame.hpp"

namespace tlslab {

enum class HandshakeType : std::uint8_t {
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,  // TLS's number (RFC 5077 §3.3); PROTOCOL.md §7.8
  client_key_exchange = 16,
  finished = 20,
  status_request = 64,
  status_response = 65,
};
std::string_view to_string(HandshakeType type);

enum class ExtensionType : std::uint16_t {
  server_name = 0,
  status_stapling = 5,  // TLS's status_request number (RFC 6066 §8); PROTOCOL.md §9.1
  session_ticket = 35,  // RFC 5077's number; PROTOCOL.md §7.8
  key_share = 51,
  certificate_request = 64,  // tlslab's own; PROTOCOL.md §7.7
  requester = 65,            // tlslab's own, in a StatusRequest: who asks the CA; PROTOCOL.md §9
};

// Who asks the CA (§9, the StatusRequest's requester extension): the CA's words for arrows 3–4.
enum class Requester : std::uint8_t {
  client = 1,               // the client, about the server's CERTIFICATE (§9)
  server_for_staple = 2,    // the server, about its own, to staple the answer (§9.1)
  server_about_client = 3,  // the server, about the client's CERTIFICATE (§9.2)
};
std::string_view to_string(Requester requester);  // "Client", "Server (its staple)", …

// What a ServerHello's session_ticket extension says (§7.8): the one byte of its data.
enum class TicketMode : std::uint8_t {
  new_ticket = 1,  // a full handshake; a NewSessionTicket follows the server's Finished
  resumed = 2,     // the ticket offered is accepted: no CERTIFICATE, no SERVER'S PUBLIC KEY, no arrows 3–5
};
inline constexpr std::size_t max_ticket_size = 0xffff;

inline constexpr std::size_t random_size = 32;
inline constexpr std::size_t verify_data_size = 12;
inline constexpr std::size_t min_nonce_size = 16;
inline constexpr std::size_t max_nonce_size = 32;
using Random = std::array<std::uint8_t, random_size>;

struct Extension {
  std::uint16_t type;
  Bytes data;
  bool operator==(const Extension&) const = default;
};

// The ServerHello's key_share (§7.6): the server's ephemeral public key, signed.
struct ServerKeyShare {
  std::uint16_t group = 0;   // NamedGroup
  Bytes key_exchange;        // the server's ephemeral public key
  std::uint16_t scheme = 0;  // SignatureScheme
  Bytes signature;

  void encode(Writer& out) const;
  static Result<ServerKeyShare> decode(Reader& in);
  bool operator==(const ServerKeyShare&) const = default;
};

// What the server signs (§7.6, TLS 1.2's ServerKeyExchange): RAND-CLIENT ‖ RAND-SERVER ‖ 03 ‖
// group ‖ uint8 length ‖ key_exchange.
Bytes key_share_signed_content(ByteView client_random, ByteView server_random, std::uint16_t group,
                               ByteView key_exchange);

// Arrow 1.
struct ClientHello {
  static constexpr HandshakeType type = HandshakeType::client_hello;
  ProtocolVersion client_version = ProtocolVersion::tlslab_1_0;
  Random random{};                           // RAND-CLIENT
  std::vector<std::uint16_t> cipher_suites;  // raw values: unknown ones are kept, and ignored
  std::vector<Extension> extensions;

  [[nodiscard]] std::optional<std::string> server_name() const;
  void set_server_name(const std::string& host_name);
  // The groups offered for ECDHE (the key_share extension, §7.6); nullopt without one.
  [[nodiscard]] std::optional<std::vector<std::uint16_t>> key_share_groups() const;
  void set_key_share_groups(const std::vector<std::uint16_t>& groups);
  // "Staple, please" (the empty status_stapling extension, §9.1).
  [[nodiscard]] bool asks_for_staple() const;
  void ask_for_staple();
  // The client has a certificate to authenticate with if asked (the empty certificate_request
  // extension, §7.7).
  [[nodiscard]] bool offers_certificate() const;
  void offer_certificate();
  // The session_ticket extension (§7.8): nullopt without one; empty: "I can store a ticket";
  // otherwise the ticket offered for resumption.
  [[nodiscard]] std::optional<Bytes> session_ticket() const;
  void offer_session_ticket(ByteView ticket);

  void encode(Writer& out) const;
  static Result<ClientHello> decode(Reader& in);
  bool operator==(const ClientHello&) const = default;
};

// Arrow 2.
struct ServerHello {
  static constexpr HandshakeType type = HandshakeType::server_hello;
  ProtocolVersion server_version = ProtocolVersion::tlslab_1_0;
  Random random{};  // RAND-SERVER
  std::uint16_t cipher_suite = 0;
  Bytes certificate;        // CERTIFICATE, X.509 DER
  Bytes server_public_key;  // SERVER'S PUBLIC KEY, SubjectPublicKeyInfo DER
  std::vector<Extension> extensions;

  // The signed ephemeral key share of an ECDHE suite (§7.6); nullopt without one.
  [[nodiscard]] std::optional<ServerKeyShare> key_share() const;
  void set_key_share(const ServerKeyShare& share);
  // The staple: the CA's DER OCSPResponse about the CERTIFICATE (status_stapling, §9.1).
  [[nodiscard]] std::optional<Bytes> staple() const;
  void set_staple(ByteView ocsp_response);
  // "Your certificate, please": the signature schemes the server accepts for the client's
  // CertificateVerify (certificate_request, §7.7); nullopt when the server does not ask.
  [[nodiscard]] std::optional<std::vector<std::uint16_t>> certificate_request() const;
  void set_certificate_request(const std::vector<std::uint16_t>& signature_schemes);
  // The session_ticket extension's answer (§7.8); nullopt without one.
  [[nodiscard]] std::optional<TicketMode> ticket_mode() const;
  void set_ticket_mode(TicketMode mode);
  // The resumed form (§7.8): the ticket accepted, certificate and server_public_key empty.
  [[nodiscard]] bool resumed() const { return ticket_mode() == TicketMode::resumed; }

  void encode(Writer& out) const;
  static Result<ServerHello> decode(Reader& in);
  bool operator==(const ServerHello&) const = default;
};

// Arrow 3.
struct StatusRequest {
  static constexpr HandshakeType type = HandshakeType::status_request;
  Bytes certificate;
  Bytes nonce;
  // nullopt: no list at all, the form of 1.0's first text (§9); otherwise §3.1's list.
  std::optional<std::vector<Extension>> extensions = std::nullopt;

  // The role the requester says it asks in; nullopt when it does not say (no list, no requester
  // extension, or a role this version does not know).
  [[nodiscard]] std::optional<Requester> requester() const;
  void set_requester(Requester requester);

  void encode(Writer& out) const;
  static Result<StatusRequest> decode(Reader& in);
  bool operator==(const StatusRequest&) const = default;
};

// Arrow 4.
struct StatusResponse {
  static constexpr HandshakeType type = HandshakeType::status_response;
  Bytes ocsp_response;  // DER OCSPResponse (RFC 6960)

  void encode(Writer& out) const;
  static Result<StatusResponse> decode(Reader& in);
  bool operator==(const StatusResponse&) const = default;
};

// Arrow 5.
struct ClientKeyExchange {
  static constexpr HandshakeType type = HandshakeType::client_key_exchange;
  Bytes encrypted_pre_master;

  void encode(Writer& out) const;
  static Result<ClientKeyExchange> decode(Reader& in);
  bool operator==(const ClientKeyExchange&) const = default;
};

// Arrow 5 with an ECDHE suite (§7.6): the client's ephemeral public key. The same message type as
// ClientKeyExchange: which form arrow 5 takes follows from the suite chosen (as in TLS 1.2).
struct ClientKeyShare {
  static constexpr HandshakeType type = HandshakeType::client_key_exchange;
  Bytes key_exchange;

  void encode(Writer& out) const;
  static Result<ClientKeyShare> decode(Reader& in);
  bool operator==(const ClientKeyShare&) const = default;
};

// Mutual authentication (§7.7): what arrow 5 carries after its key exchange when the server asked
// for a certificate: the client's CERTIFICATE and its CertificateVerify.
struct ClientAuthentication {
  Bytes client_certificate;  // X.509 DER
  std::uint16_t scheme = 0;  // SignatureScheme
  Bytes signature;           // over certificate_verify_content (below)

  void encode(Writer& out) const;
  static Result<ClientAuthentication> decode(Reader& in);
  bool operator==(const ClientAuthentication&) const = default;
};

// Arrow 5 in its mutual form (§7.7): the suite's key exchange (ClientKeyExchange or ClientKeyShare),
// then the client's authentication. The same message type: which form arrow 5 takes follows from
// the suite chosen and from the ServerHello's certificate_request.
template <class KeyExchangeForm>
struct Authenticated {
  static constexpr HandshakeType type = HandshakeType::client_key_exchange;
  KeyExchangeForm key_exchange;
  ClientAuthentication authentication;

  void encode(Writer& out) const {
    key_exchange.encode(out);
    authentication.encode(out);
  }
  static Result<Authenticated> decode(Reader& in) {
    auto exchange = KeyExchangeForm::decode(in);
    if (!exchange) return exchange.failure();
    auto authentication = ClientAuthentication::decode(in);
    if (!authentication) return authentication.failure();
    return Authenticated{std::move(exchange).value(), std::move(authentication).value()};
  }
  // §7.7 signed_fields: the body's bytes before `scheme` (the key exchange and the certificate,
  // each with its length).
  [[nodiscard]] Bytes signed_fields() const {
    Writer out;
    key_exchange.encode(out);
    out.vector(2, authentication.client_certificate);
    return std::move(out).take();
  }
  bool operator==(const Authenticated&) const = default;
};
using AuthenticatedKeyExchange = Authenticated<ClientKeyExchange>;
using AuthenticatedKeyShare = Authenticated<ClientKeyShare>;

// What the client's key signs (§7.7): 64 × 0x20 ‖ the context string ‖ 00 ‖ transcript_hash, where
// transcript_hash = Hash(ClientHello ‖ ServerHello ‖ signed_fields) with the suite's hash.
inline constexpr std::string_view certificate_verify_context = "tlslab 1.0, client CertificateVerify";
Bytes certificate_verify_content(ByteView transcript_hash);

// Arrows 6 and 7: the diagram's "test message" and "ACK".
struct Finished {
  static constexpr HandshakeType type = HandshakeType::finished;
  std::array<std::uint8_t, verify_data_size> verify_data{};

  void encode(Writer& out) const;
  static Result<Finished> decode(Reader& in);
  bool operator==(const Finished&) const = default;
};

// After the server's Finished (§7.8), protected: a ticket the client offers next time.
struct NewSessionTicket {
  static constexpr HandshakeType type = HandshakeType::new_session_ticket;
  std::uint32_t ticket_lifetime_hint = 0;  // seconds; the client keeps the ticket no longer
  Bytes ticket;                            // opaque to the client

  void encode(Writer& out) const;
  static Result<NewSessionTicket> decode(Reader& in);
  bool operator==(const NewSessionTicket&) const = default;
};

struct Alert {
  AlertLevel level = AlertLevel::fatal;
  AlertDescription description = AlertDescription::internal_error;

  [[nodiscard]] Bytes encode() const;
  static Result<Alert> decode(ByteView fragment);
};

template <class T>
concept HandshakeMessage = requires(const T message, Writer& out, Reader& in) {
  { T::type } -> std::convertible_to<HandshakeType>;
  message.encode(out);
  { T::decode(in) } -> std::same_as<Result<T>>;
};

// The complete handshake message `msg_type || uint24 length || body` (§3): what goes in a frame
// and into the transcript.
template <HandshakeMessage T>
Bytes encode_handshake(const T& message) {
  Writer body;
  message.encode(body);
  Writer out;
  out.u8(static_cast<std::uint8_t>(T::type));
  out.vector(3, body.data());
  return std::move(out).take();
}

// A handshake message with the span of each of its fields (field_span.hpp): the message is one
// field named as its type ("ClientHello"), made of msg_type, length and the body's fields.
struct EncodedMessage {
  Bytes bytes;
  std::vector<FieldSpan> spans;
};

template <HandshakeMessage T>
EncodedMessage encode_handshake_with_spans(const T& message) {
  Writer body(Writer::with_spans);
  message.encode(body);
  Writer out(Writer::with_spans);
  out.begin_group(to_string(T::type));
  out.u8(static_cast<std::uint8_t>(T::type), "msg_type");
  out.u24(static_cast<std::uint32_t>(body.size()), "length");
  out.append(std::move(body));
  out.end_group();
  EncodedMessage encoded;
  encoded.bytes = out.data();
  encoded.spans = std::move(out).take_spans();
  return encoded;
}

// The spans of a message received as `bytes` and decoded as `message`. Every message has one
// encoding (lengths are exact, nothing is optional), so encoding the decoded message again gives
// the same bytes, and the spans the codec records on the way are those of `bytes`. Should the
// bytes ever differ, the message is one opaque field rather than a wrong picture.
template <HandshakeMessage T>
std::vector<FieldSpan> spans_of_received(const T& message, ByteView bytes) {
  EncodedMessage again = encode_handshake_with_spans(message);
  if (again.bytes.size() == bytes.size() && std::equal(again.bytes.begin(), again.bytes.end(), bytes.begin())) {
    return std::move(again.spans);
  }
  return {FieldSpan{0, bytes.size(), std::string(to_string(T::type)), {}}};
}

// Splits a handshake message into its type and body; rejects unknown types.
struct HandshakeEnvelope {
  HandshakeType type;
  ByteView body;
};
Result<HandshakeEnvelope> decode_handshake_envelope(ByteView message);

// Decodes the body of an envelope as T, or unexpected_message when it is another type.
template <HandshakeMessage T>
Result<T> decode_handshake(ByteView message) {
  auto envelope = decode_handshake_envelope(message);
  if (!envelope) return envelope.failure();
  if (envelope->type != T::type) {
    return fail(AlertDescription::unexpected_message, std::string("expected ") + std::string(to_string(T::type)) +
                                                          ", got " + std::string(to_string(envelope->type)));
  }
  Reader in(envelope->body, to_string(T::type));
  auto decoded = T::decode(in);
  if (!decoded) return decoded;
  if (auto trailing = in.finish()) return *trailing;
  return decoded;
}

}  // namespace tlslab
