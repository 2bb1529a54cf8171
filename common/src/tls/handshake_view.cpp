#include "tlslab/tls/handshake_view.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "extensions_view.hpp"
#include "view_cursor.hpp"

namespace tlslab::tls {

std::string_view to_string(HandshakeKind kind) {
  switch (kind) {
    case HandshakeKind::hello_request: return "HelloRequest";
    case HandshakeKind::client_hello: return "ClientHello";
    case HandshakeKind::server_hello: return "ServerHello";
    case HandshakeKind::new_session_ticket: return "NewSessionTicket";
    case HandshakeKind::end_of_early_data: return "EndOfEarlyData";
    case HandshakeKind::encrypted_extensions: return "EncryptedExtensions";
    case HandshakeKind::certificate: return "Certificate";
    case HandshakeKind::server_key_exchange: return "ServerKeyExchange";
    case HandshakeKind::certificate_request: return "CertificateRequest";
    case HandshakeKind::server_hello_done: return "ServerHelloDone";
    case HandshakeKind::certificate_verify: return "CertificateVerify";
    case HandshakeKind::client_key_exchange: return "ClientKeyExchange";
    case HandshakeKind::finished: return "Finished";
    case HandshakeKind::certificate_status: return "CertificateStatus";
    case HandshakeKind::key_update: return "KeyUpdate";
    case HandshakeKind::message_hash: return "MessageHash";
  }
  return "handshake";
}

namespace {

using detail::bytes_count;
using detail::Cursor;
using detail::ExtensionsOf;
using detail::read_extensions;
using Spans = std::vector<FieldSpan>;

std::optional<HandshakeKind> kind_of(std::uint8_t type) {
  switch (type) {
    case 0:
    case 1:
    case 2:
    case 4:
    case 5:
    case 8:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 20:
    case 22:
    case 24:
    case 254: return static_cast<HandshakeKind>(type);
    default: return std::nullopt;
  }
}

// RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest (SHA-256 of
// "HelloRetryRequest").
constexpr std::array<std::uint8_t, 32> hello_retry_request_random = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

Bytes copy(ByteView bytes) {
  return Bytes(bytes.begin(), bytes.end());
}

// RFC 8446 §4.1.2 (RFC 5246 §7.4.1.2: the same fields under older names).
bool client_hello(Cursor& c, HandshakeView& view, Spans& spans) {
  auto version = c.u16("legacy_version", spans);
  auto random = c.fixed(32, "random", spans);
  auto session_id = c.opaque(1, 0, 32, "legacy_session_id", spans);
  if (!version || !random || !session_id) return false;
  view.legacy_version = *version;
  view.random = copy(*random);
  view.session_id = copy(*session_id);
  auto suites = c.vector(2, 2, 0xfffe, "cipher_suites", 2, "cipher_suite");
  if (!suites) return false;
  while (suites->body.left() > 0) {
    auto suite = suites->body.u16("cipher_suite", suites->span.children);
    if (!suite) return false;
    view.cipher_suites.push_back(*suite);
  }
  if (!c.close(*suites, spans)) return false;
  auto compression = c.vector(1, 1, 255, "legacy_compression_methods");
  if (!compression) return false;
  while (compression->body.left() > 0) {
    if (!compression->body.u8("compression_method", compression->span.children)) return false;
  }
  if (!c.close(*compression, spans)) return false;
  // TLS 1.2 allows a ClientHello without extensions (RFC 5246 §7.4.1.2).
  return c.left() == 0 || read_extensions(c, ExtensionsOf::client_hello, view, spans);
}

// RFC 8446 §4.1.3, and the HelloRetryRequest that shares its msg_type.
bool server_hello(Cursor& c, HandshakeView& view, Spans& spans, std::string& message) {
  auto version = c.u16("legacy_version", spans);
  auto random = c.fixed(32, "random", spans);
  if (!version || !random) return false;
  view.legacy_version = *version;
  view.random = copy(*random);
  bool retry = std::equal(random->begin(), random->end(), hello_retry_request_random.begin());
  if (retry) view.name = message = "HelloRetryRequest";
  auto session_id = c.opaque(1, 0, 32, "legacy_session_id", spans);
  auto suite = c.u16("cipher_suite", spans);
  auto compression = c.u8("legacy_compression_method", spans);
  if (!session_id || !suite || !compression) return false;
  view.session_id = copy(*session_id);
  view.cipher_suite = *suite;
  if (c.left() > 0 &&
      !read_extensions(c, retry ? ExtensionsOf::hello_retry_request : ExtensionsOf::server_hello, view, spans))
    return false;
  if (!view.selected_version) view.selected_version = *version;
  return true;
}

// RFC 8446 §4.4.2 (1.3: a context, entries with extensions); RFC 5246 §7.4.2 (1.2: a list of DER).
bool certificate(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  const bool tls13_layout = context.version >= tls13;
  if (tls13_layout && !c.opaque(1, 0, 255, "certificate_request_context", spans)) return false;
  auto list = c.vector(3, 0, 0xffffff, "certificate_list");
  if (!list) return false;
  Cursor& entries = list->body;
  while (entries.left() > 0) {
    FieldSpan entry = entries.begin_struct("certificate_entry", entries.offset());
    auto cert_data = entries.opaque(3, 1, 0xffffff, "cert_data", entry.children);
    bool ok = cert_data.has_value();
    if (ok) view.certificates.push_back(copy(*cert_data));
    if (ok && tls13_layout) {
      auto* staple = view.certificates.size() == 1 ? &view.ocsp_response : nullptr;
      ok = read_extensions(entries, ExtensionsOf::certificate_entry, view, entry.children, staple);
    }
    entries.end_struct(std::move(entry), list->span.children);
    if (!ok) return false;
  }
  return c.close(*list, spans);
}

// The signature after ServerKeyExchange's params and in CertificateVerify (RFC 5246 §4.7
// digitally-signed; RFC 8446 §4.4.3): the scheme from TLS 1.2 on, then the signature.
bool signature(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  if (context.version >= tls12) {
    auto scheme = c.u16("algorithm", spans);
    if (!scheme) return false;
    view.signature_scheme = *scheme;
  }
  return c.opaque(2, 0, 0xffff, "signature", spans).has_value();
}

bool key_exchange_known(Cursor& c, const ViewContext& context) {
  if (context.key_exchange == KeyExchange::ecdhe || context.key_exchange == KeyExchange::dhe) return true;
  return c.fail("", context.key_exchange == KeyExchange::rsa
                        ? "RSA key transport has no ServerKeyExchange (RFC 5246 §7.4.3)"
                        : "its layout depends on the suite's key exchange, which the context does not give");
}

// RFC 8422 §5.4 (ECDHE: ECParameters and the point), RFC 5246 §7.4.3 (DHE: p, g, Ys).
bool server_key_exchange(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  if (!key_exchange_known(c, context)) return false;
  FieldSpan params = c.begin_struct("signed_params", c.offset());
  std::optional<ByteView> public_key;
  if (context.key_exchange == KeyExchange::ecdhe) {
    auto curve_type = c.u8("curve_type", params.children);
    if (curve_type && *curve_type != 3) c.fail("curve_type", std::to_string(*curve_type) + " is not named_curve(3)");
    auto curve = c.u16("namedcurve", params.children);
    if (curve) view.ecdhe_group = *curve;
    public_key = c.opaque(1, 1, 255, "public", params.children);
  } else {
    if (c.opaque(2, 1, 0xffff, "dh_p", params.children) && c.opaque(2, 1, 0xffff, "dh_g", params.children))
      public_key = c.opaque(2, 1, 0xffff, "dh_Ys", params.children);
  }
  c.end_struct(std::move(params), spans);
  if (!public_key || !c.ok()) return false;
  view.public_key = copy(*public_key);
  return signature(c, view, spans, context);
}

// RFC 8446 §4.3.2 (1.3: a context and extensions); RFC 5246 §7.4.4 (1.2: types, schemes, CAs).
bool certificate_request(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  if (context.version >= tls13) {
    return c.opaque(1, 0, 255, "certificate_request_context", spans) &&
           read_extensions(c, ExtensionsOf::certificate_request, view, spans);
  }
  auto types = c.vector(1, 1, 255, "certificate_types");
  if (!types) return false;
  while (types->body.left() > 0) {
    if (!types->body.u8("certificate_type", types->span.children)) return false;
  }
  if (!c.close(*types, spans)) return false;
  if (context.version >= tls12) {
    auto schemes = c.vector(2, 2, 0xfffe, "supported_signature_algorithms", 2, "signature_scheme");
    if (!schemes) return false;
    while (schemes->body.left() > 0) {
      auto scheme = schemes->body.u16("signature_scheme", schemes->span.children);
      if (!scheme) return false;
      view.signature_algorithms.push_back(*scheme);
    }
    if (!c.close(*schemes, spans)) return false;
  }
  auto authorities = c.vector(2, 0, 0xffff, "certificate_authorities");
  if (!authorities) return false;
  while (authorities->body.left() > 0) {
    if (!authorities->body.opaque(2, 1, 0xffff, "distinguished_name", authorities->span.children)) return false;
  }
  return c.close(*authorities, spans);
}

// RFC 5246 §7.4.7: the RSA-encrypted pre_master_secret, or the client's (EC)DH public value.
bool client_key_exchange(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  std::optional<ByteView> value;
  switch (context.key_exchange) {
    case KeyExchange::rsa:
      value = c.opaque(2, 0, 0xffff, "encrypted_pre_master_secret", spans);
      if (value) view.encrypted_pre_master = copy(*value);
      return value.has_value();
    case KeyExchange::ecdhe: value = c.opaque(1, 1, 255, "ecdh_Yc", spans); break;
    case KeyExchange::dhe: value = c.opaque(2, 1, 0xffff, "dh_Yc", spans); break;
    case KeyExchange::none:
      return c.fail("", "its layout depends on the suite's key exchange, which the context does not give");
  }
  if (value) view.public_key = copy(*value);
  return value.has_value();
}

// RFC 8446 §4.6.1 (1.3) and RFC 5077 §3.3 (1.2).
bool new_session_ticket(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context) {
  if (context.version < tls13) {
    return c.u32("ticket_lifetime_hint", spans) && c.opaque(2, 0, 0xffff, "ticket", spans);
  }
  return c.u32("ticket_lifetime", spans) && c.u32("ticket_age_add", spans) &&
         c.opaque(1, 0, 255, "ticket_nonce", spans) && c.opaque(2, 1, 0xffff, "ticket", spans) &&
         read_extensions(c, ExtensionsOf::new_session_ticket, view, spans);
}

bool body(Cursor& c, HandshakeView& view, Spans& spans, const ViewContext& context, std::string& message) {
  switch (view.kind) {
    case HandshakeKind::hello_request:
    case HandshakeKind::end_of_early_data:
    case HandshakeKind::server_hello_done: return true;
    case HandshakeKind::client_hello: return client_hello(c, view, spans);
    case HandshakeKind::server_hello: return server_hello(c, view, spans, message);
    case HandshakeKind::new_session_ticket: return new_session_ticket(c, view, spans, context);
    case HandshakeKind::encrypted_extensions:
      return read_extensions(c, ExtensionsOf::encrypted_extensions, view, spans);
    case HandshakeKind::certificate: return certificate(c, view, spans, context);
    case HandshakeKind::server_key_exchange: return server_key_exchange(c, view, spans, context);
    case HandshakeKind::certificate_request: return certificate_request(c, view, spans, context);
    case HandshakeKind::certificate_verify: return signature(c, view, spans, context);
    case HandshakeKind::client_key_exchange: return client_key_exchange(c, view, spans, context);
    case HandshakeKind::finished: {
      // RFC 5246 §7.4.9: 12 bytes; RFC 8446 §4.4.4: the suite's hash length (SHA-256 or SHA-384).
      const std::size_t size = c.left();
      if (context.version < tls13 && size != 12) {
        return c.fail("verify_data", bytes_count(size) + ", where TLS 1.2 has 12");
      }
      if (context.version >= tls13 && size != 32 && size != 48) {
        return c.fail("verify_data", bytes_count(size) + ", where TLS 1.3 has 32 (SHA-256) or 48 (SHA-384)");
      }
      view.verify_data = copy(c.rest("verify_data", spans));
      return true;
    }
    case HandshakeKind::certificate_status: {
      // RFC 6066 §8: status_type ocsp(1), then an OCSPResponse<1..2^24-1>.
      auto status_type = c.u8("status_type", spans);
      if (!status_type) return false;
      if (*status_type != 1) return c.fail("status_type", std::to_string(*status_type) + " is not ocsp(1)");
      auto response = c.opaque(3, 1, 0xffffff, "ocsp_response", spans);
      if (response) view.ocsp_response = copy(*response);
      return response.has_value();
    }
    case HandshakeKind::key_update: {
      auto request = c.u8("request_update", spans);
      if (request && *request > 1) {
        return c.fail("request_update",
                      std::to_string(*request) + " is neither update_not_requested(0) nor update_requested(1)");
      }
      return request.has_value();
    }
    case HandshakeKind::message_hash: c.rest("hash", spans); return true;
  }
  return false;
}

}  // namespace

Result<HandshakeView> view_handshake(ByteView message, const ViewContext& context) {
  auto slot = std::make_shared<detail::FailureSlot>();
  slot->message = "handshake";
  Cursor c(message, slot);
  HandshakeView view;
  Spans parts;
  auto type = c.u8("msg_type", parts);
  if (!type) return *slot->failure;
  auto kind = kind_of(*type);
  if (!kind) {
    c.fail("msg_type", std::to_string(*type) + " is not a handshake message type");
    return *slot->failure;
  }
  view.kind = *kind;
  view.name = std::string(to_string(*kind));
  slot->message = view.name;
  // Limits before anything of the body is read or copied.
  if (message.size() > 4 + 0xffffff) {
    c.fail("", std::to_string(message.size()) + " bytes, longer than a handshake message can be (4 + 2^24-1)");
    return *slot->failure;
  }
  if (message.size() > max_viewed_message) {
    c.fail("",
           std::to_string(message.size()) + " bytes, more than the " + std::to_string(max_viewed_message) + " shown");
    return *slot->failure;
  }
  auto length = c.u24("length", parts);
  if (!length) return *slot->failure;
  if (*length != c.left()) {
    c.fail("length", "says " + bytes_count(*length) + ", " + std::to_string(c.left()) + " follow");
    return *slot->failure;
  }
  if (!body(c, view, parts, context, slot->message) || !c.finish()) {
    if (slot->failure) return *slot->failure;
    return fail(AlertDescription::decode_error, slot->message + ": unreadable");  // every false records why
  }
  view.spans.push_back(FieldSpan{0, message.size(), view.name, std::move(parts)});
  return view;
}

}  // namespace tlslab::tls
