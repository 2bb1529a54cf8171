#include "tlslab/messages.hpp"

#include <algorithm>
#include <string>

#include "tlslab/text.hpp"

namespace tlslab {
namespace {

constexpr auto server_name_type = static_cast<std::uint16_t>(ExtensionType::server_name);
constexpr auto key_share_type = static_cast<std::uint16_t>(ExtensionType::key_share);
constexpr auto status_stapling_type = static_cast<std::uint16_t>(ExtensionType::status_stapling);
constexpr auto certificate_request_type = static_cast<std::uint16_t>(ExtensionType::certificate_request);
constexpr auto requester_type = static_cast<std::uint16_t>(ExtensionType::requester);
constexpr auto session_ticket_type = static_cast<std::uint16_t>(ExtensionType::session_ticket);

// §7.8, ClientHello: opaque ticket<0..2^16-1>, and nothing else.
Result<Bytes> decode_offered_ticket(ByteView data) {
  Reader in(data, "session_ticket");
  auto ticket = in.vector(2);
  if (!ticket || !in.empty()) {
    return fail(AlertDescription::decode_error, "ClientHello: the session_ticket extension is not one ticket vector");
  }
  return Bytes(ticket->begin(), ticket->end());
}

// §7.8, ServerHello: one byte, new_ticket (1) or resumed (2).
Result<TicketMode> decode_ticket_mode(ByteView data) {
  if (data.size() != 1 || (data[0] != static_cast<std::uint8_t>(TicketMode::new_ticket) &&
                           data[0] != static_cast<std::uint8_t>(TicketMode::resumed))) {
    return fail(AlertDescription::decode_error,
                "ServerHello: the session_ticket extension is not one byte, 1 (new ticket) or 2 (resumed)");
  }
  return static_cast<TicketMode>(data[0]);
}

void encode_groups(Writer& out, const std::vector<std::uint16_t>& groups) {
  auto list = out.begin_vector(2, "groups");
  for (std::uint16_t group : groups) out.u16(group, "group");
  out.end_vector(list);
}

Result<std::vector<std::uint16_t>> decode_groups(ByteView data) {
  Reader in(data, "key_share");
  auto list = in.vector(2);
  if (!list || !in.empty() || list->empty() || list->size() % 2 != 0) {
    return fail(AlertDescription::decode_error, "ClientHello: the key_share extension is not a list of groups");
  }
  std::vector<std::uint16_t> groups;
  Reader items(*list);
  while (auto group = items.u16()) groups.push_back(*group);
  return groups;
}

// §9.1: the staple is one opaque<1..2^16-1> vector, and nothing else.
Result<Bytes> decode_staple(ByteView data) {
  Reader in(data, "status_stapling");
  auto staple = in.vector(2);
  if (!staple || !in.empty() || staple->empty()) {
    return fail(AlertDescription::decode_error,
                "ServerHello: the status_stapling extension is not one non-empty ocsp_response");
  }
  return Bytes(staple->begin(), staple->end());
}

void encode_schemes(Writer& out, const std::vector<std::uint16_t>& schemes) {
  auto list = out.begin_vector(2, "signature_schemes");
  for (std::uint16_t scheme : schemes) out.u16(scheme, "signature_scheme");
  out.end_vector(list);
}

// §7.7: SignatureScheme signature_schemes<2..2^16-2>.
Result<std::vector<std::uint16_t>> decode_schemes(ByteView data) {
  Reader in(data, "certificate_request");
  auto list = in.vector(2);
  if (!list || !in.empty() || list->empty() || list->size() % 2 != 0) {
    return fail(AlertDescription::decode_error,
                "ServerHello: the certificate_request extension is not a list of signature schemes");
  }
  std::vector<std::uint16_t> schemes;
  Reader items(*list);
  while (auto scheme = items.u16()) schemes.push_back(*scheme);
  return schemes;
}

Result<ServerKeyShare> decode_server_key_share(ByteView data) {
  Reader in(data, "key_share");
  auto share = ServerKeyShare::decode(in);
  if (!share) return share;
  if (auto trailing = in.finish()) return *trailing;
  return share;
}

// The extension's data, with the parts of the extensions this version knows named (the bytes are
// the same either way: the spans only say more).
void encode_extension_data(Writer& out, const Extension& extension, HandshakeType in) {
  if (out.recording()) {
    if (extension.type == server_name_type) {
      Reader host_name(extension.data);
      auto name = host_name.vector(1);
      if (name && host_name.empty()) {
        auto data = out.begin_vector(2, "extension_data");
        out.vector(1, *name, "host_name");
        out.end_vector(data);
        return;
      }
    } else if (extension.type == key_share_type && in == HandshakeType::client_hello) {
      if (auto groups = decode_groups(extension.data)) {
        auto data = out.begin_vector(2, "extension_data");
        encode_groups(out, groups.value());
        out.end_vector(data);
        return;
      }
    } else if (extension.type == key_share_type && in == HandshakeType::server_hello) {
      if (auto share = decode_server_key_share(extension.data)) {
        auto data = out.begin_vector(2, "extension_data");
        share->encode(out);
        out.end_vector(data);
        return;
      }
    } else if (extension.type == status_stapling_type && in == HandshakeType::server_hello) {
      if (auto staple = decode_staple(extension.data)) {
        auto data = out.begin_vector(2, "extension_data");
        out.vector(2, staple.value(), "ocsp_response");
        out.end_vector(data);
        return;
      }
    } else if (extension.type == session_ticket_type && in == HandshakeType::client_hello) {
      if (auto ticket = decode_offered_ticket(extension.data)) {
        auto data = out.begin_vector(2, "extension_data");
        out.vector(2, ticket.value(), "ticket");
        out.end_vector(data);
        return;
      }
    } else if (extension.type == session_ticket_type && in == HandshakeType::server_hello &&
               extension.data.size() == 1) {
      auto data = out.begin_vector(2, "extension_data");
      out.u8(extension.data[0], "ticket_mode");
      out.end_vector(data);
      return;
    } else if (extension.type == requester_type && in == HandshakeType::status_request && extension.data.size() == 1) {
      auto data = out.begin_vector(2, "extension_data");
      out.u8(extension.data[0], "role");
      out.end_vector(data);
      return;
    } else if (extension.type == certificate_request_type && in == HandshakeType::server_hello) {
      if (auto schemes = decode_schemes(extension.data)) {
        auto data = out.begin_vector(2, "extension_data");
        encode_schemes(out, schemes.value());
        out.end_vector(data);
        return;
      }
    }
  }
  out.vector(2, extension.data, "extension_data");
}

void encode_extensions(Writer& out, const std::vector<Extension>& extensions, HandshakeType in) {
  auto list = out.begin_vector(2, "extensions");
  for (const auto& extension : extensions) {
    out.begin_group("extension");
    out.u16(extension.type, "extension_type");
    encode_extension_data(out, extension, in);
    out.end_group();
  }
  out.end_vector(list);
}

// Replaces the extension where it stands (the order of the others is the peer's), or appends it.
void set_extension(std::vector<Extension>& extensions, std::uint16_t type, Bytes data) {
  auto found =
      std::find_if(extensions.begin(), extensions.end(), [type](const Extension& e) { return e.type == type; });
  if (found != extensions.end()) {
    found->data = std::move(data);
  } else {
    extensions.push_back(Extension{type, std::move(data)});
  }
}

const Extension* find_extension(const std::vector<Extension>& extensions, std::uint16_t type) {
  auto found =
      std::find_if(extensions.begin(), extensions.end(), [type](const Extension& e) { return e.type == type; });
  return found == extensions.end() ? nullptr : &*found;
}

// §3.1: unknown types are kept (and ignored by the caller), duplicates rejected.
Result<std::vector<Extension>> decode_extensions(Reader& in) {
  auto list = in.vector(2);
  if (!list) return in.truncated("extensions");
  Reader items(*list, in.what());
  std::vector<Extension> extensions;
  while (!items.empty()) {
    auto type = items.u16();
    if (!type) return items.truncated("extension_type");
    auto data = items.vector(2);
    if (!data) return items.truncated("extension_data");
    bool duplicate =
        std::any_of(extensions.begin(), extensions.end(), [&](const Extension& seen) { return seen.type == *type; });
    if (duplicate) {
      return fail(AlertDescription::decode_error,
                  std::string(in.what()) + ": extension " + std::to_string(*type) + " appears twice");
    }
    extensions.push_back(Extension{*type, Bytes(data->begin(), data->end())});
  }
  return extensions;
}

Result<Random> decode_random(Reader& in, std::string_view field) {
  auto bytes = in.fixed(random_size);
  if (!bytes) return in.truncated(field);
  Random random{};
  std::copy(bytes->begin(), bytes->end(), random.begin());
  return random;
}

Result<ProtocolVersion> decode_version(Reader& in, std::string_view field) {
  auto value = in.u16();
  if (!value) return in.truncated(field);
  // The caller negotiates (§4.1): any value is representable; only 1.0 is known here.
  return static_cast<ProtocolVersion>(*value);
}

// A vector that may be empty (the resumed ServerHello's certificate and key, §7.8).
Result<Bytes> decode_maybe_empty(Reader& in, std::size_t length_bytes, std::string_view field) {
  auto bytes = in.vector(length_bytes);
  if (!bytes) return in.truncated(field);
  return Bytes(bytes->begin(), bytes->end());
}

Result<Bytes> decode_opaque(Reader& in, std::size_t length_bytes, std::string_view field) {
  auto bytes = in.vector(length_bytes);
  if (!bytes) return in.truncated(field);
  if (bytes->empty())
    return fail(AlertDescription::decode_error, std::string(in.what()) + ": empty " + std::string(field));
  return Bytes(bytes->begin(), bytes->end());
}

}  // namespace

std::string_view to_string(HandshakeType type) {
  switch (type) {
    case HandshakeType::client_hello: return "ClientHello";
    case HandshakeType::server_hello: return "ServerHello";
    case HandshakeType::new_session_ticket: return "NewSessionTicket";
    case HandshakeType::client_key_exchange: return "ClientKeyExchange";
    case HandshakeType::finished: return "Finished";
    case HandshakeType::status_request: return "StatusRequest";
    case HandshakeType::status_response: return "StatusResponse";
  }
  return "unknown";
}

std::optional<std::string> ClientHello::server_name() const {
  for (const auto& extension : extensions) {
    if (extension.type != static_cast<std::uint16_t>(ExtensionType::server_name)) continue;
    Reader in(extension.data, "server_name");
    auto name = in.vector(1);
    if (!name || name->empty() || !in.empty()) return std::nullopt;
    return std::string(name->begin(), name->end());
  }
  return std::nullopt;
}

void ClientHello::set_server_name(const std::string& host_name) {
  Writer data;
  data.vector(1, as_bytes(host_name));
  set_extension(extensions, server_name_type, std::move(data).take());
}

void ClientHello::encode(Writer& out) const {
  out.u16(static_cast<std::uint16_t>(client_version), "client_version");
  out.bytes(random, "random");
  auto suites = out.begin_vector(2, "cipher_suites");
  for (std::uint16_t suite : cipher_suites) out.u16(suite, "cipher_suite");
  out.end_vector(suites);
  encode_extensions(out, extensions, type);
}

Result<ClientHello> ClientHello::decode(Reader& in) {
  ClientHello hello;
  auto version = decode_version(in, "client_version");
  if (!version) return version.failure();
  hello.client_version = version.value();
  auto random = decode_random(in, "random (RAND-CLIENT)");
  if (!random) return random.failure();
  hello.random = random.value();
  auto suites = in.vector(2);
  if (!suites) return in.truncated("cipher_suites");
  if (suites->empty()) return fail(AlertDescription::decode_error, "ClientHello: empty cipher_suites list");
  if (suites->size() % 2 != 0) {
    return fail(AlertDescription::decode_error, "ClientHello: cipher_suites length is odd");
  }
  Reader suite_reader(*suites);
  while (auto suite = suite_reader.u16()) hello.cipher_suites.push_back(*suite);
  auto extensions = decode_extensions(in);
  if (!extensions) return extensions.failure();
  hello.extensions = std::move(extensions).value();
  if (auto name = std::find_if(
          hello.extensions.begin(), hello.extensions.end(),
          [](const Extension& e) { return e.type == static_cast<std::uint16_t>(ExtensionType::server_name); });
      name != hello.extensions.end()) {
    auto host_name = hello.server_name();
    if (!host_name) return fail(AlertDescription::decode_error, "ClientHello: malformed server_name extension");
    // §3.1: a host name (LDH labels) or an address literal, nothing a terminal or a log could
    // take for a command; the reason quotes no byte of it.
    if (!is_host_name(*host_name)) {
      return fail(AlertDescription::decode_error,
                  "ClientHello: server_name is not a host name (letters, digits, hyphens and dots, or an IP address)");
    }
  }
  if (const Extension* key_share = find_extension(hello.extensions, key_share_type)) {
    if (auto groups = decode_groups(key_share->data); !groups) return groups.failure();
  }
  // §3.1: in a ClientHello, status_stapling and certificate_request carry nothing.
  if (const Extension* staple = find_extension(hello.extensions, status_stapling_type);
      staple && !staple->data.empty()) {
    return fail(AlertDescription::decode_error, "ClientHello: the status_stapling extension must be empty");
  }
  if (const Extension* request = find_extension(hello.extensions, certificate_request_type);
      request && !request->data.empty()) {
    return fail(AlertDescription::decode_error, "ClientHello: the certificate_request extension must be empty");
  }
  if (const Extension* ticket = find_extension(hello.extensions, session_ticket_type)) {
    if (auto offered = decode_offered_ticket(ticket->data); !offered) return offered.failure();
  }
  return hello;
}

void ServerHello::encode(Writer& out) const {
  out.u16(static_cast<std::uint16_t>(server_version), "server_version");
  out.bytes(random, "random");
  out.u16(cipher_suite, "cipher_suite");
  out.vector(2, certificate, "certificate");
  out.vector(2, server_public_key, "server_public_key");
  encode_extensions(out, extensions, type);
}

Result<ServerHello> ServerHello::decode(Reader& in) {
  ServerHello hello;
  auto version = decode_version(in, "server_version");
  if (!version) return version.failure();
  hello.server_version = version.value();
  auto random = decode_random(in, "random (RAND-SERVER)");
  if (!random) return random.failure();
  hello.random = random.value();
  auto suite = in.u16();
  if (!suite) return in.truncated("cipher_suite");
  hello.cipher_suite = *suite;
  // Empty only in the resumed form (§7.8), which the extensions say: checked once they are read.
  auto certificate = decode_maybe_empty(in, 2, "certificate");
  if (!certificate) return certificate.failure();
  hello.certificate = std::move(certificate).value();
  auto key = decode_maybe_empty(in, 2, "server_public_key");
  if (!key) return key.failure();
  hello.server_public_key = std::move(key).value();
  auto extensions = decode_extensions(in);
  if (!extensions) return extensions.failure();
  hello.extensions = std::move(extensions).value();
  bool resumed = false;
  if (const Extension* ticket = find_extension(hello.extensions, session_ticket_type)) {
    auto mode = decode_ticket_mode(ticket->data);
    if (!mode) return mode.failure();
    resumed = mode.value() == TicketMode::resumed;
  }
  if (resumed) {
    // §7.8: a resumed handshake authenticates by the ticket's master secret; a certificate, a key
    // share, a staple or a request for the client's certificate has no place in it.
    if (!hello.certificate.empty() || !hello.server_public_key.empty()) {
      return fail(AlertDescription::decode_error,
                  "ServerHello: a resumed ServerHello carries no certificate and no server_public_key");
    }
    for (std::uint16_t other : {key_share_type, status_stapling_type, certificate_request_type}) {
      if (find_extension(hello.extensions, other) != nullptr) {
        return fail(AlertDescription::decode_error,
                    "ServerHello: a resumed ServerHello carries extension " + std::to_string(other));
      }
    }
  } else if (hello.certificate.empty()) {
    return fail(AlertDescription::decode_error, "ServerHello: empty certificate");
  } else if (hello.server_public_key.empty()) {
    return fail(AlertDescription::decode_error, "ServerHello: empty server_public_key");
  }
  // §3.1: a server that echoes server_name sends it empty, as RFC 6066 §3 says; a name in it
  // would be a second, unchecked claim about which host this is.
  if (const Extension* name = find_extension(hello.extensions, server_name_type); name && !name->data.empty()) {
    return fail(AlertDescription::decode_error, "ServerHello: the server_name extension is not empty");
  }
  if (const Extension* key_share = find_extension(hello.extensions, key_share_type)) {
    if (auto share = decode_server_key_share(key_share->data); !share) {
      return fail(AlertDescription::decode_error,
                  "ServerHello: the key_share extension does not decode: " + share.failure().reason);
    }
  }
  if (const Extension* staple = find_extension(hello.extensions, status_stapling_type)) {
    if (auto decoded = decode_staple(staple->data); !decoded) return decoded.failure();
  }
  if (const Extension* request = find_extension(hello.extensions, certificate_request_type)) {
    if (auto schemes = decode_schemes(request->data); !schemes) return schemes.failure();
  }
  return hello;
}

std::optional<std::vector<std::uint16_t>> ClientHello::key_share_groups() const {
  const Extension* key_share = find_extension(extensions, key_share_type);
  if (key_share == nullptr) return std::nullopt;
  auto groups = decode_groups(key_share->data);
  if (!groups) return std::nullopt;
  return std::move(groups).value();
}

void ClientHello::set_key_share_groups(const std::vector<std::uint16_t>& groups) {
  Writer data;
  encode_groups(data, groups);
  set_extension(extensions, key_share_type, std::move(data).take());
}

std::optional<ServerKeyShare> ServerHello::key_share() const {
  const Extension* key_share = find_extension(extensions, key_share_type);
  if (key_share == nullptr) return std::nullopt;
  auto share = decode_server_key_share(key_share->data);
  if (!share) return std::nullopt;
  return std::move(share).value();
}

void ServerHello::set_key_share(const ServerKeyShare& share) {
  Writer data;
  share.encode(data);
  set_extension(extensions, key_share_type, std::move(data).take());
}

bool ClientHello::asks_for_staple() const {
  return find_extension(extensions, status_stapling_type) != nullptr;
}

void ClientHello::ask_for_staple() {
  set_extension(extensions, status_stapling_type, {});
}

bool ClientHello::offers_certificate() const {
  return find_extension(extensions, certificate_request_type) != nullptr;
}

void ClientHello::offer_certificate() {
  set_extension(extensions, certificate_request_type, {});
}

std::optional<Bytes> ServerHello::staple() const {
  const Extension* staple = find_extension(extensions, status_stapling_type);
  if (staple == nullptr) return std::nullopt;
  auto decoded = decode_staple(staple->data);
  if (!decoded) return std::nullopt;
  return std::move(decoded).value();
}

void ServerHello::set_staple(ByteView ocsp_response) {
  Writer data;
  data.vector(2, ocsp_response);
  set_extension(extensions, status_stapling_type, std::move(data).take());
}

std::optional<std::vector<std::uint16_t>> ServerHello::certificate_request() const {
  const Extension* request = find_extension(extensions, certificate_request_type);
  if (request == nullptr) return std::nullopt;
  auto schemes = decode_schemes(request->data);
  if (!schemes) return std::nullopt;
  return std::move(schemes).value();
}

void ServerHello::set_certificate_request(const std::vector<std::uint16_t>& signature_schemes) {
  Writer data;
  encode_schemes(data, signature_schemes);
  set_extension(extensions, certificate_request_type, std::move(data).take());
}

std::optional<Bytes> ClientHello::session_ticket() const {
  const Extension* ticket = find_extension(extensions, session_ticket_type);
  if (ticket == nullptr) return std::nullopt;
  auto offered = decode_offered_ticket(ticket->data);
  if (!offered) return std::nullopt;
  return std::move(offered).value();
}

void ClientHello::offer_session_ticket(ByteView ticket) {
  Writer data;
  data.vector(2, ticket);
  set_extension(extensions, session_ticket_type, std::move(data).take());
}

std::optional<TicketMode> ServerHello::ticket_mode() const {
  const Extension* ticket = find_extension(extensions, session_ticket_type);
  if (ticket == nullptr) return std::nullopt;
  auto mode = decode_ticket_mode(ticket->data);
  if (!mode) return std::nullopt;
  return mode.value();
}

void ServerHello::set_ticket_mode(TicketMode mode) {
  set_extension(extensions, session_ticket_type, Bytes{static_cast<std::uint8_t>(mode)});
}

void NewSessionTicket::encode(Writer& out) const {
  out.u32(ticket_lifetime_hint, "ticket_lifetime_hint");
  out.vector(2, ticket, "ticket");
}

Result<NewSessionTicket> NewSessionTicket::decode(Reader& in) {
  NewSessionTicket message;
  auto hint = in.u32();
  if (!hint) return in.truncated("ticket_lifetime_hint");
  message.ticket_lifetime_hint = *hint;
  auto ticket = decode_opaque(in, 2, "ticket");
  if (!ticket) return ticket.failure();
  message.ticket = std::move(ticket).value();
  return message;
}

void ClientAuthentication::encode(Writer& out) const {
  out.vector(2, client_certificate, "client_certificate");
  out.u16(scheme, "scheme");
  out.vector(2, signature, "signature");
}

Result<ClientAuthentication> ClientAuthentication::decode(Reader& in) {
  ClientAuthentication authentication;
  auto certificate = decode_opaque(in, 2, "client_certificate");
  if (!certificate) return certificate.failure();
  authentication.client_certificate = std::move(certificate).value();
  auto scheme = in.u16();
  if (!scheme) return in.truncated("scheme");
  authentication.scheme = *scheme;
  auto signature = decode_opaque(in, 2, "signature");
  if (!signature) return signature.failure();
  authentication.signature = std::move(signature).value();
  return authentication;
}

Bytes certificate_verify_content(ByteView transcript_hash) {
  Writer out;
  out.bytes(Bytes(64, 0x20));
  out.bytes(as_bytes(certificate_verify_context));
  out.u8(0);
  out.bytes(transcript_hash);
  return std::move(out).take();
}

void ServerKeyShare::encode(Writer& out) const {
  out.u16(group, "group");
  out.vector(1, key_exchange, "key_exchange");
  out.u16(scheme, "scheme");
  out.vector(2, signature, "signature");
}

Result<ServerKeyShare> ServerKeyShare::decode(Reader& in) {
  ServerKeyShare share;
  auto group = in.u16();
  if (!group) return in.truncated("group");
  share.group = *group;
  auto key = decode_opaque(in, 1, "key_exchange");
  if (!key) return key.failure();
  share.key_exchange = std::move(key).value();
  auto scheme = in.u16();
  if (!scheme) return in.truncated("scheme");
  share.scheme = *scheme;
  auto signature = decode_opaque(in, 2, "signature");
  if (!signature) return signature.failure();
  share.signature = std::move(signature).value();
  return share;
}

Bytes key_share_signed_content(ByteView client_random, ByteView server_random, std::uint16_t group,
                               ByteView key_exchange) {
  Writer out;
  out.bytes(client_random);
  out.bytes(server_random);
  out.u8(3);  // ECCurveType named_curve (RFC 8422 §5.4)
  out.u16(group);
  out.vector(1, key_exchange);
  return std::move(out).take();
}

void ClientKeyShare::encode(Writer& out) const {
  out.vector(1, key_exchange, "key_exchange");
}

Result<ClientKeyShare> ClientKeyShare::decode(Reader& in) {
  auto key = decode_opaque(in, 1, "key_exchange");
  if (!key) return key.failure();
  return ClientKeyShare{std::move(key).value()};
}

std::string_view to_string(Requester requester) {
  switch (requester) {
    case Requester::client: return "Client";
    case Requester::server_for_staple: return "Server (for its staple)";
    case Requester::server_about_client: return "Server (about a client's certificate)";
  }
  return "requester (not said)";
}

std::optional<Requester> StatusRequest::requester() const {
  if (!extensions) return std::nullopt;
  const Extension* found = find_extension(*extensions, requester_type);
  if (found == nullptr || found->data.size() != 1) return std::nullopt;
  switch (found->data[0]) {
    case static_cast<std::uint8_t>(Requester::client):
    case static_cast<std::uint8_t>(Requester::server_for_staple):
    case static_cast<std::uint8_t>(Requester::server_about_client): return static_cast<Requester>(found->data[0]);
    default: return std::nullopt;  // a role of a later version: not said, as far as this one knows
  }
}

void StatusRequest::set_requester(Requester requester) {
  if (!extensions) extensions.emplace();
  set_extension(*extensions, requester_type, Bytes{static_cast<std::uint8_t>(requester)});
}

void StatusRequest::encode(Writer& out) const {
  out.vector(2, certificate, "certificate");
  out.vector(1, nonce, "nonce");
  if (extensions) encode_extensions(out, *extensions, type);
}

Result<StatusRequest> StatusRequest::decode(Reader& in) {
  StatusRequest request;
  auto certificate = decode_opaque(in, 2, "certificate");
  if (!certificate) return certificate.failure();
  request.certificate = std::move(certificate).value();
  auto nonce = in.vector(1);
  if (!nonce) return in.truncated("nonce");
  if (nonce->size() < min_nonce_size || nonce->size() > max_nonce_size) {
    return fail(AlertDescription::decode_error,
                "StatusRequest: nonce of " + std::to_string(nonce->size()) + " bytes, must be 16..32");
  }
  request.nonce.assign(nonce->begin(), nonce->end());
  if (in.empty()) return request;  // 1.0's first form: no extension list
  auto extensions = decode_extensions(in);
  if (!extensions) return extensions.failure();
  request.extensions = std::move(extensions).value();
  if (const Extension* requester = find_extension(*request.extensions, requester_type);
      requester != nullptr && requester->data.size() != 1) {
    return fail(AlertDescription::decode_error, "StatusRequest: the requester extension is not one byte");
  }
  return request;
}

void StatusResponse::encode(Writer& out) const {
  out.vector(2, ocsp_response, "ocsp_response");
}

Result<StatusResponse> StatusResponse::decode(Reader& in) {
  auto response = decode_opaque(in, 2, "ocsp_response");
  if (!response) return response.failure();
  return StatusResponse{std::move(response).value()};
}

void ClientKeyExchange::encode(Writer& out) const {
  out.vector(2, encrypted_pre_master, "encrypted_pre_master");
}

Result<ClientKeyExchange> ClientKeyExchange::decode(Reader& in) {
  auto encrypted = decode_opaque(in, 2, "encrypted_pre_master");
  if (!encrypted) return encrypted.failure();
  return ClientKeyExchange{std::move(encrypted).value()};
}

void Finished::encode(Writer& out) const {
  out.bytes(verify_data, "verify_data");
}

Result<Finished> Finished::decode(Reader& in) {
  auto bytes = in.fixed(verify_data_size);
  if (!bytes) return in.truncated("verify_data");
  Finished finished;
  std::copy(bytes->begin(), bytes->end(), finished.verify_data.begin());
  return finished;
}

Bytes Alert::encode() const {
  return {static_cast<std::uint8_t>(level), static_cast<std::uint8_t>(description)};
}

Result<Alert> Alert::decode(ByteView fragment) {
  if (fragment.size() != 2) {
    return fail(AlertDescription::decode_error, "alert must be 2 bytes, got " + std::to_string(fragment.size()));
  }
  if (fragment[0] != 1 && fragment[0] != 2) {
    return fail(AlertDescription::illegal_parameter, "alert level " + std::to_string(fragment[0]));
  }
  Alert alert;
  alert.level = static_cast<AlertLevel>(fragment[0]);
  // An unknown description is kept as-is and treated as fatal by the receiver (§8).
  alert.description = alert_description_from(fragment[1]).value_or(static_cast<AlertDescription>(fragment[1]));
  return alert;
}

Result<HandshakeEnvelope> decode_handshake_envelope(ByteView message) {
  Reader in(message, "handshake");
  auto type = in.u8();
  if (!type) return in.truncated("msg_type");
  switch (*type) {
    case static_cast<std::uint8_t>(HandshakeType::client_hello):
    case static_cast<std::uint8_t>(HandshakeType::server_hello):
    case static_cast<std::uint8_t>(HandshakeType::new_session_ticket):
    case static_cast<std::uint8_t>(HandshakeType::client_key_exchange):
    case static_cast<std::uint8_t>(HandshakeType::finished):
    case static_cast<std::uint8_t>(HandshakeType::status_request):
    case static_cast<std::uint8_t>(HandshakeType::status_response): break;
    default: return fail(AlertDescription::unexpected_message, "unknown handshake type " + std::to_string(*type));
  }
  auto body = in.vector(3);
  if (!body) return in.truncated("length (body shorter than declared)");
  if (auto trailing = in.finish()) return *trailing;
  return HandshakeEnvelope{static_cast<HandshakeType>(*type), *body};
}

}  // namespace tlslab
