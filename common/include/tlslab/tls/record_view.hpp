#pragma once
// The display parser of TLS records (RFC 8446 §5.1, RFC 5246 §6.2) and of the two messages that
// are not handshake messages: ChangeCipherSpec (1 byte) and Alert (level, description; §6). As
// handshake_view.hpp: untrusted input, bounds-checked, a one-line failure naming the field.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/field_span.hpp"
#include "tlslab/result.hpp"

namespace tlslab::tls {

inline constexpr std::size_t record_header_size = 5;
// RFC 5246 §6.2.3 / RFC 8446 §5.2: a protected record's fragment is at most 2^14 + 256 bytes
// (2^14 + 2048 under 1.2's compression and CBC, which OpenSSL 3.0 does not send).
inline constexpr std::size_t max_record_fragment = (1u << 14) + 256;

// change_cipher_spec(20), alert(21), handshake(22), application_data(23), heartbeat(24).
std::string content_type_name(std::uint8_t type);

struct RecordView {
  std::uint8_t content_type = 0;
  std::uint16_t legacy_record_version = 0;
  std::size_t length = 0;        // of the fragment
  std::vector<FieldSpan> spans;  // "header" {type, legacy_record_version, length}, then "fragment"
};
// `header` is exactly the 5 bytes of a record header.
Result<RecordView> view_record_header(ByteView header);
// `record` is one whole record: its header and exactly `length` bytes of fragment.
Result<RecordView> view_record(ByteView record);

struct ChangeCipherSpecView {
  std::vector<FieldSpan> spans;  // "ChangeCipherSpec" {type}
};
Result<ChangeCipherSpecView> view_change_cipher_spec(ByteView message);

struct AlertView {
  std::uint8_t level = 0;        // 1 warning, 2 fatal
  std::uint8_t description = 0;  // alert_description_name(description): any code is shown
  std::vector<FieldSpan> spans;  // "Alert" {level, description}
};
Result<AlertView> view_alert(ByteView message);

}  // namespace tlslab::tls
