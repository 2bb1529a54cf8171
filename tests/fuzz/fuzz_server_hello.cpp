// Arrow 2, as the client reads it: ServerHello (PROTOCOL.md §5).
// Input: one complete handshake message (msg_type || uint24 length || body), the fragment of a
// `handshake` frame. Seeds: tests/fuzz/corpus/fuzz_server_hello/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tlslab::fuzz::check_handshake_message<tlslab::ServerHello>(tlslab::ByteView(data, size));
  return 0;
}
