// Arrow 4, as the client reads it: StatusResponse (PROTOCOL.md §9).
// Input: one complete handshake message (msg_type || uint24 length || body), the fragment of a
// `handshake` frame. Seeds: tests/fuzz/corpus/fuzz_status_response/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tlslab::fuzz::check_handshake_message<tlslab::StatusResponse>(tlslab::ByteView(data, size));
  return 0;
}
