// Arrow 3, as the CA reads it: StatusRequest (PROTOCOL.md §9).
// Input: one complete handshake message (msg_type || uint24 length || body), the fragment of a
// `handshake` frame. Seeds: tests/fuzz/corpus/fuzz_status_request/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tlslab::fuzz::check_handshake_message<tlslab::StatusRequest>(tlslab::ByteView(data, size));
  return 0;
}
