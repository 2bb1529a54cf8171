#include "extensions_view.hpp"

#include <set>
#include <string>

namespace tlslab::tls::detail {
namespace {

namespace type {
constexpr std::uint16_t server_name = 0;
constexpr std::uint16_t status_request = 5;
constexpr std::uint16_t supported_groups = 10;
constexpr std::uint16_t signature_algorithms = 13;
constexpr std::uint16_t application_layer_protocol_negotiation = 16;
constexpr std::uint16_t supported_versions = 43;
constexpr std::uint16_t signature_algorithms_cert = 50;
constexpr std::uint16_t key_share = 51;
}  // namespace type

// A list of uint16 code points <2..2^16-2> (named_group_list, supported_signature_algorithms).
bool read_u16_list(Cursor& data, std::size_t width, std::size_t ceiling, std::string_view field, std::string_view item,
                   std::vector<std::uint16_t>* out, std::vector<FieldSpan>& spans) {
  auto list = data.vector(width, 2, ceiling, field, 2, item);
  if (!list) return false;
  while (list->body.left() > 0) {
    auto value = list->body.u16(item, list->span.children);
    if (!value) return false;
    if (out) out->push_back(*value);
  }
  return data.close(*list, spans);
}

// KeyShareEntry: group, key_exchange<1..2^16-1> (RFC 8446 §4.2.8).
bool read_key_share_entry(Cursor& data, std::string_view field, HandshakeView& view, std::vector<FieldSpan>& spans) {
  FieldSpan entry = data.begin_struct(field, data.offset());
  auto group = data.u16("group", entry.children);
  std::optional<ByteView> key_exchange;
  if (group) key_exchange = data.opaque(2, 1, 0xffff, "key_exchange", entry.children);
  data.end_struct(std::move(entry), spans);
  if (!key_exchange) return false;
  view.key_share_groups.push_back(*group);
  view.key_share_sizes.push_back(key_exchange->size());
  return true;
}

// ProtocolNameList (RFC 7301 §3.1): ProtocolName<1..2^8-1>, at least one.
bool read_protocol_name_list(Cursor& data, std::vector<std::string>* names, std::vector<FieldSpan>& spans) {
  auto list = data.vector(2, 2, 0xffff, "protocol_name_list");
  if (!list) return false;
  while (list->body.left() > 0) {
    auto name = list->body.opaque(1, 1, 0xff, "protocol_name", list->span.children);
    if (!name) return false;
    if (names) names->emplace_back(name->begin(), name->end());
  }
  return data.close(*list, spans);
}

// ServerNameList (RFC 6066 §3): host_name entries; the first host_name is the SNI.
bool read_server_name_list(Cursor& data, HandshakeView& view, std::vector<FieldSpan>& spans) {
  auto list = data.vector(2, 1, 0xffff, "server_name_list");
  if (!list) return false;
  Cursor& names = list->body;
  while (names.left() > 0) {
    FieldSpan entry = names.begin_struct("server_name", names.offset());
    auto name_type = names.u8("name_type", entry.children);
    std::optional<ByteView> host_name;
    // Only host_name(0) is defined; another type's layout is unknown, so the rest is its data.
    if (name_type && *name_type == 0) {
      host_name = names.opaque(2, 1, 0xffff, "host_name", entry.children);
    } else if (name_type) {
      host_name = names.rest("name", entry.children);
    }
    names.end_struct(std::move(entry), list->span.children);
    if (!host_name) return false;
    if (*name_type == 0 && !view.server_name) view.server_name = std::string(host_name->begin(), host_name->end());
  }
  return data.close(*list, spans);
}

// CertificateStatusRequest (RFC 6066 §8): status_type, responder_id_list, request_extensions.
bool read_status_request(Cursor& data, std::vector<FieldSpan>& spans) {
  return data.u8("status_type", spans) && data.opaque(2, 0, 0xffff, "responder_id_list", spans) &&
         data.opaque(2, 0, 0xffff, "request_extensions", spans);
}

bool read_extension_data(Cursor& data, std::uint16_t extension, ExtensionsOf where, HandshakeView& view,
                         std::vector<FieldSpan>& spans, std::optional<Bytes>* entry_staple) {
  const bool hello = where == ExtensionsOf::client_hello;
  if (data.left() == 0) return true;  // empty: status_request in a 1.2 ServerHello, extended_master_secret
  switch (extension) {
    case type::server_name:
      if (hello) return read_server_name_list(data, view, spans);
      break;
    case type::status_request:
      if (hello || where == ExtensionsOf::certificate_request) {
        view.status_request = true;
        return read_status_request(data, spans);
      }
      if (where == ExtensionsOf::certificate_entry) {
        // CertificateStatus (RFC 8446 §4.4.2.1): status_type ocsp(1), OCSPResponse<1..2^24-1>.
        auto status_type = data.u8("status_type", spans);
        if (!status_type) return false;
        if (*status_type != 1) break;
        auto response = data.opaque(3, 1, 0xffffff, "ocsp_response", spans);
        if (!response) return false;
        if (entry_staple && !*entry_staple) *entry_staple = Bytes(response->begin(), response->end());
        return true;
      }
      break;
    case type::supported_groups:
      if (hello || where == ExtensionsOf::encrypted_extensions) {
        return read_u16_list(data, 2, 0xfffe, "named_group_list", "named_group",
                             hello ? &view.supported_groups : nullptr, spans);
      }
      break;
    case type::signature_algorithms:
    case type::signature_algorithms_cert:
      if (hello || where == ExtensionsOf::certificate_request) {
        bool algorithms = extension == type::signature_algorithms;
        return read_u16_list(data, 2, 0xfffe, "supported_signature_algorithms", "signature_scheme",
                             algorithms ? &view.signature_algorithms : nullptr, spans);
      }
      break;
    case type::supported_versions:
      if (hello) return read_u16_list(data, 1, 254, "versions", "version", &view.supported_versions, spans);
      if (where == ExtensionsOf::server_hello || where == ExtensionsOf::hello_retry_request) {
        auto version = data.u16("selected_version", spans);
        if (version) view.selected_version = *version;
        return version.has_value();
      }
      break;
    case type::key_share:
      if (hello) {
        auto shares = data.vector(2, 0, 0xffff, "client_shares");
        if (!shares) return false;
        while (shares->body.left() > 0) {
          if (!read_key_share_entry(shares->body, "key_share_entry", view, shares->span.children)) return false;
        }
        return data.close(*shares, spans);
      }
      if (where == ExtensionsOf::server_hello) {
        return read_key_share_entry(data, "server_share", view, spans);
      }
      if (where == ExtensionsOf::hello_retry_request) {
        auto group = data.u16("selected_group", spans);
        if (group) view.key_share_groups.push_back(*group);
        return group.has_value();
      }
      break;
    case type::application_layer_protocol_negotiation:
      // The client's list, or the one protocol the server chose (a list of one).
      return read_protocol_name_list(data, &view.alpn, spans);
    default: break;
  }
  data.rest("extension_data", spans);
  return data.ok();
}

}  // namespace

bool read_extensions(Cursor& cursor, ExtensionsOf where, HandshakeView& view, std::vector<FieldSpan>& spans,
                     std::optional<Bytes>* entry_staple) {
  auto block = cursor.vector(2, 0, 0xffff, "extensions");
  if (!block) return false;
  Cursor& extensions = block->body;
  std::set<std::uint16_t> seen;
  while (extensions.left() > 0) {
    std::size_t from = extensions.offset();
    std::vector<FieldSpan> parts;
    auto extension = extensions.u16("extension_type", parts);
    if (!extension) return false;
    std::string name = extension_name(*extension);
    // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
    // extension block."
    if (!seen.insert(*extension).second) {
      return extensions.fail("", name + " (" + std::to_string(*extension) + ") appears twice",
                             AlertDescription::illegal_parameter);
    }
    // A span named for what the extension is; unknown ones (and GREASE) are just an "extension".
    bool known = !name.starts_with("0x") && name != "GREASE";
    std::string field = known ? name : "extension";
    auto data = extensions.vector(2, 0, 0xffff, field);
    if (!data) return false;
    parts.push_back(FieldSpan{data->span.offset, 2, "extension_data.length", {}});
    if (!read_extension_data(data->body, *extension, where, view, parts, entry_staple)) return false;
    if (!data->body.finish()) return false;
    block->span.children.push_back(FieldSpan{from, extensions.offset() - from, field, std::move(parts)});
    if (where != ExtensionsOf::certificate_entry) view.extensions.push_back(Extension{*extension, name});
  }
  return cursor.close(*block, spans);
}

}  // namespace tlslab::tls::detail
