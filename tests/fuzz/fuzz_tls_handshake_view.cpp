// The display parser of TLS messages libssl made (tls/handshake_view.hpp, tls/record_view.hpp): a
// handshake message under every context a reader may pass (1.2 with each key exchange, 1.3), and
// the same bytes as a record, a record header, an alert and a ChangeCipherSpec. Nothing may throw;
// a failure is one non-empty line; what is accepted has every byte in exactly one leaf span.
// Seeds: tests/fuzz/corpus/fuzz_tls_handshake_view/, the messages of tests/unit/data/tls/ (recorded
// from openssl s_server and s_client by capture.py).
#include <string>

#include "fuzz_support.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/record_view.hpp"

namespace {

template <class T>
void require_one_line(const tlslab::Result<T>& result) {
  if (result.ok()) return;
  const std::string& reason = result.failure().reason;
  tlslab::fuzz::require(!reason.empty() && reason.find('\n') == std::string::npos, "a failure is one line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  namespace tls = tlslab::tls;
  using tls::KeyExchange, tls::ViewContext, tls::tls12, tls::tls13;
  ByteView bytes(data, size);
  const ViewContext contexts[] = {{tls13, KeyExchange::none},
                                  {tls12, KeyExchange::rsa},
                                  {tls12, KeyExchange::ecdhe},
                                  {tls12, KeyExchange::dhe},
                                  {0x0301, KeyExchange::ecdhe}};
  for (const ViewContext& context : contexts) {
    auto view = tls::view_handshake(bytes, context);
    require_one_line(view);
    if (!view) continue;
    fuzz::require(covers_exactly(view->spans, size), "an accepted message's spans cover it exactly");
    fuzz::require(size >= 4 && view->kind == static_cast<tls::HandshakeKind>(data[0]), "the kind is the msg_type");
    fuzz::require(size <= tls::max_viewed_message, "no message over the display cap is accepted");
    for (const Bytes& certificate : view->certificates) fuzz::require(!certificate.empty(), "no empty certificate");
    if (view->random) fuzz::require(view->random->size() == 32, "a random is 32 bytes");
  }

  auto record = tls::view_record(bytes);
  require_one_line(record);
  if (record) {
    fuzz::require(covers_exactly(record->spans, size), "an accepted record's spans cover it exactly");
    fuzz::require(record->length + tls::record_header_size == size, "a record is its header and its fragment");
    fuzz::require(record->length <= tls::max_record_fragment, "no fragment over 2^14+256");
  }
  auto header = tls::view_record_header(bytes);
  require_one_line(header);
  if (header)
    fuzz::require(size == tls::record_header_size && covers_exactly(header->spans, size), "a header is 5 bytes");
  auto alert = tls::view_alert(bytes);
  require_one_line(alert);
  if (alert) {
    fuzz::require(size == 2 && covers_exactly(alert->spans, size), "an alert is 2 bytes");
    fuzz::require(!tls::alert_description_name(alert->description).empty(), "every description has a name");
  }
  auto change_cipher_spec = tls::view_change_cipher_spec(bytes);
  require_one_line(change_cipher_spec);
  if (change_cipher_spec) fuzz::require(size == 1 && data[0] == 1, "a ChangeCipherSpec is the byte 1");
  return 0;
}
