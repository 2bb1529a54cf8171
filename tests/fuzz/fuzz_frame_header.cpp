// Frames (PROTOCOL.md §2) as a receiver reads them off a TCP stream: a 5-byte header, checked
// against the limits before any fragment byte is read, then `length` bytes of fragment; repeat.
// Input: the bytes of one direction of a connection (one or more frames, possibly truncated).
// Every header that decodes must encode back to the same 5 bytes, and header || fragment must be
// what encode_frame builds. Seeds: tests/fuzz/corpus/fuzz_frame_header/ (make_corpus.py).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  ByteView stream(data, size);
  if (stream.size() < frame_header_size) {
    auto short_header = FrameHeader::decode(stream);
    fuzz::require(!short_header && short_header.failure().alert == AlertDescription::decode_error,
                  "a header shorter than 5 bytes is a decode_error");
    return 0;
  }
  while (stream.size() >= frame_header_size) {
    ByteView header_bytes = stream.first(frame_header_size);
    auto header = FrameHeader::decode(header_bytes);
    if (!header) {
      auto alert = header.failure().alert;
      fuzz::require(alert == AlertDescription::unexpected_message || alert == AlertDescription::protocol_version ||
                        alert == AlertDescription::record_overflow || alert == AlertDescription::decode_error,
                    "a bad frame header gets one of the alerts of §2");
      return 0;
    }
    std::size_t limit = header->type == ContentType::protected_record ? max_protected_fragment : max_plaintext;
    fuzz::require(header->length >= 1 && header->length <= limit, "a decoded header's length is within §2's limits");
    fuzz::require(header->version == ProtocolVersion::tlslab_1_0, "a decoded header is tlslab/1.0");
    auto encoded = header->encode();
    if (!fuzz::same_bytes(encoded, header_bytes))
      fuzz::violated("re-encoding a frame header does not reproduce its bytes");

    stream = stream.subspan(frame_header_size);
    if (stream.size() < header->length) return 0;  // truncated: the receiver waits for more
    ByteView fragment = stream.first(header->length);
    Bytes frame = encode_frame(header->type, fragment);
    fuzz::require(fuzz::same_bytes(ByteView(frame).first(frame_header_size), header_bytes) &&
                      fuzz::same_bytes(ByteView(frame).subspan(frame_header_size), fragment),
                  "encode_frame(type, fragment) differs from the frame read");
    stream = stream.subspan(header->length);
  }
  return 0;
}
