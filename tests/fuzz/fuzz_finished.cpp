// Arrows 6 and 7, as the peer reads them once the record layer has opened the frame: Finished
// (PROTOCOL.md §7.3). Input: one complete handshake message (msg_type || uint24 length || body),
// the content of a protected frame of inner type handshake.
// Seeds: tests/fuzz/corpus/fuzz_finished/ (make_corpus.py).
#include "fuzz_support.hpp"
#include "tlslab/crypto/secret.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  auto finished = fuzz::check_handshake_message<Finished>(ByteView(data, size));
  if (!finished) return 0;
  fuzz::require(size == 4 + verify_data_size, "a decoded Finished is 16 bytes");
  // The receiver's comparison (constant time) against the verify_data it computed.
  fuzz::require(constant_time_equal(finished->verify_data, ByteView(data + 4, verify_data_size)),
                "verify_data is the body");
  return 0;
}
