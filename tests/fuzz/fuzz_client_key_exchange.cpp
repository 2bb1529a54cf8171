// Arrow 5, as the server reads it: ClientKeyExchange (PROTOCOL.md §7.1).
// Input: one complete handshake message (msg_type || uint24 length || body), the fragment of a
// `handshake` frame. Seeds: tests/fuzz/corpus/fuzz_client_key_exchange/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tlslab::fuzz::check_handshake_message<tlslab::ClientKeyExchange>(tlslab::ByteView(data, size));
  return 0;
}
