#include "tlslab/tls/record_view.hpp"

#include <memory>

#include "tlslab/tls/names.hpp"
#include "view_cursor.hpp"

namespace tlslab::tls {
namespace {

using detail::bytes_count;
using detail::Cursor;

std::shared_ptr<detail::FailureSlot> slot_for(std::string message) {
  auto slot = std::make_shared<detail::FailureSlot>();
  slot->message = std::move(message);
  return slot;
}

// The header's fields, read from `c`; its span goes to `view.spans`.
bool read_header(Cursor& c, RecordView& view) {
  FieldSpan header{c.offset(), 0, "header", {}};
  auto type = c.u8("type", header.children);
  if (type && content_type_name(*type).starts_with("0x")) {
    return c.fail("type", std::to_string(*type) + " is not a content type");
  }
  auto version = c.u16("legacy_record_version", header.children);
  auto length = c.u16("length", header.children);
  if (!type || !version || !length) return false;
  // RFC 8446 §5.2, RFC 5246 §6.2.3: checked on the header, before any fragment is buffered.
  if (*length > max_record_fragment) {
    return c.fail("length", bytes_count(*length) + ", more than the " + std::to_string(max_record_fragment) +
                                " allowed (2^14+256)");
  }
  header.length = c.offset() - header.offset;
  view.content_type = *type;
  view.legacy_record_version = *version;
  view.length = *length;
  view.spans.push_back(std::move(header));
  return true;
}

}  // namespace

std::string content_type_name(std::uint8_t type) {
  switch (type) {
    case 20: return "change_cipher_spec";
    case 21: return "alert";
    case 22: return "handshake";
    case 23: return "application_data";
    case 24: return "heartbeat";
    default: return "0x" + std::string(1, "0123456789abcdef"[type >> 4]) + "0123456789abcdef"[type & 0x0f];
  }
}

Result<RecordView> view_record_header(ByteView header) {
  auto slot = slot_for("record");
  Cursor c(header, slot);
  RecordView view;
  if (!read_header(c, view) || !c.finish()) return *slot->failure;
  return view;
}

Result<RecordView> view_record(ByteView record) {
  auto slot = slot_for("record");
  Cursor c(record, slot);
  RecordView view;
  if (!read_header(c, view)) return *slot->failure;
  if (view.length > c.left()) {
    c.fail("fragment", "length says " + bytes_count(view.length) + ", " + std::to_string(c.left()) + " left");
    return *slot->failure;
  }
  // RFC 8446 §5.1: no zero-length fragment of handshake, alert or change_cipher_spec (application
  // data may be empty, RFC 5246 §6.2.1).
  if (view.length == 0 && view.content_type != 23) {
    c.fail("fragment", "0 bytes, fewer than the 1 required");
    return *slot->failure;
  }
  (void)c.fixed(view.length, "fragment", view.spans);
  if (!c.finish()) return *slot->failure;
  return view;
}

Result<ChangeCipherSpecView> view_change_cipher_spec(ByteView message) {
  auto slot = slot_for("ChangeCipherSpec");
  Cursor c(message, slot);
  ChangeCipherSpecView view;
  FieldSpan span{0, message.size(), "ChangeCipherSpec", {}};
  auto type = c.u8("type", span.children);
  if (type && *type != 1)
    c.fail("type", std::to_string(*type) + ", where RFC 5246 §7.1 has only change_cipher_spec(1)");
  if (!type || !c.finish()) return *slot->failure;
  view.spans.push_back(std::move(span));
  return view;
}

Result<AlertView> view_alert(ByteView message) {
  auto slot = slot_for("Alert");
  Cursor c(message, slot);
  AlertView view;
  FieldSpan span{0, message.size(), "Alert", {}};
  auto level = c.u8("level", span.children);
  if (level && *level != 1 && *level != 2)
    c.fail("level", std::to_string(*level) + " is neither warning(1) nor fatal(2)");
  auto description = c.u8("description", span.children);
  if (!level || !description || !c.finish()) return *slot->failure;
  view.level = *level;
  view.description = *description;
  view.spans.push_back(std::move(span));
  return view;
}

}  // namespace tlslab::tls
