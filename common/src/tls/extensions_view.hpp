#pragma once
// Extension blocks of the display parser (RFC 8446 §4.2): which extensions a block holds, each a
// span named for it ("key_share": extension_type, extension_data.length, then its fields), the
// ones a report needs read into facts, every other one a single `extension_data` leaf.
#include <optional>
#include <vector>

#include "tlslab/tls/handshake_view.hpp"
#include "view_cursor.hpp"

namespace tlslab::tls::detail {

// Which message the block is in: the same extension has another layout in each (key_share is a
// list in a ClientHello, one entry in a ServerHello, a group in a HelloRetryRequest).
enum class ExtensionsOf : std::uint8_t {
  client_hello,
  server_hello,
  hello_retry_request,
  encrypted_extensions,
  certificate_request,
  certificate_entry,
  new_session_ticket,
};

// Reads `extensions<0..2^16-1>` at the cursor into `spans`. The message's own extensions and their
// facts go into `view`; a CertificateEntry's go nowhere but its OCSP staple, into `entry_staple`
// when given (the first entry's, RFC 8446 §4.4.2.1).
bool read_extensions(Cursor& cursor, ExtensionsOf where, HandshakeView& view, std::vector<FieldSpan>& spans,
                     std::optional<Bytes>* entry_staple = nullptr);

}  // namespace tlslab::tls::detail
