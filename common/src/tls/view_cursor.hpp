#pragma once
// The reader under the display parser (handshake_view, record_view): a bounds-checked cursor over
// a range of one message that records a FieldSpan for every field it reads. The first failure is
// kept (one line: "ServerHello: cipher_suite: 1 byte left where 2 are needed") and every later
// read fails, so a parser may stop at its next check. Nothing is copied before its length has been
// checked against the bytes that are really there.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/field_span.hpp"
#include "tlslab/result.hpp"

namespace tlslab::tls::detail {

// Where the first failure of one parse goes; shared by a cursor and the cursors of its vectors.
struct FailureSlot {
  std::string message;  // "ServerHello"
  std::optional<Failure> failure;
};

class Cursor {
 public:
  // A cursor over all of `bytes`; spans are offsets into `bytes`.
  Cursor(ByteView bytes, std::shared_ptr<FailureSlot> slot) : Cursor(bytes, 0, bytes.size(), std::move(slot), "") {}

  [[nodiscard]] std::size_t offset() const noexcept { return at_; }
  [[nodiscard]] std::size_t left() const noexcept { return end_ - at_; }
  [[nodiscard]] bool ok() const noexcept { return !slot_->failure; }
  [[nodiscard]] ByteView bytes() const noexcept { return bytes_; }

  // Fixed-size fields: a leaf named `field` in `spans`.
  std::optional<std::uint8_t> u8(std::string_view field, std::vector<FieldSpan>& spans);
  std::optional<std::uint16_t> u16(std::string_view field, std::vector<FieldSpan>& spans);
  std::optional<std::uint32_t> u24(std::string_view field, std::vector<FieldSpan>& spans);
  std::optional<std::uint32_t> u32(std::string_view field, std::vector<FieldSpan>& spans);
  std::optional<ByteView> fixed(std::size_t count, std::string_view field, std::vector<FieldSpan>& spans);
  // The rest of the range as one leaf (nothing when it is empty).
  ByteView rest(std::string_view field, std::vector<FieldSpan>& spans);

  // An opaque vector <floor..ceiling> with a `width`-byte length (RFC 8446 §3.4): two leaves,
  // "FIELD.length" and "FIELD" (none for an empty one), as the codec's Writer::vector writes them.
  std::optional<ByteView> opaque(std::size_t width, std::size_t floor, std::size_t ceiling, std::string_view field,
                                 std::vector<FieldSpan>& spans);

  // A vector of structures: `span` is its composite ("FIELD", parts "length" then what the caller
  // reads from `body`, a cursor over exactly its contents). `item` > 1 requires the length to be a
  // multiple of it (a list of uint16: "not a whole number of 2-byte cipher_suite").
  struct Vector;
  std::optional<Vector> vector(std::size_t width, std::size_t floor, std::size_t ceiling, std::string_view field,
                               std::size_t item = 1, std::string_view item_name = {});
  // Ends a vector: its body must have been read to the end; appends its span to `spans`.
  bool close(Vector& vector, std::vector<FieldSpan>& spans);

  // A composite field over a known number of bytes that the caller reads with `body` (an
  // extension's data); closed as a vector is.
  std::optional<Vector> group(std::size_t count, std::string_view field);

  // A structure of fields read one after the other (a KeyShareEntry, an extension): its span starts
  // at `from`; failures inside name it ("client_shares/key_share_entry/key_exchange"). Every
  // begin_struct has its end_struct, which appends the span (with the bytes read since) to `spans`.
  FieldSpan begin_struct(std::string_view field, std::size_t from);
  void end_struct(FieldSpan&& span, std::vector<FieldSpan>& spans);

  // Records `what` about `field` as the failure, if none was recorded yet. Returns false.
  bool fail(std::string_view field, std::string_view what,
            AlertDescription alert = AlertDescription::decode_error) const;
  // Fails unless the whole range has been read.
  bool finish();

 private:
  Cursor(ByteView bytes, std::size_t at, std::size_t end, std::shared_ptr<FailureSlot> slot, std::string path)
      : bytes_(bytes), at_(at), end_(end), slot_(std::move(slot)), path_(std::move(path)) {}
  bool need(std::size_t count, std::string_view field);
  std::string path_of(std::string_view field) const;
  void leaf(std::size_t from, std::string_view field, std::vector<FieldSpan>& spans) const;

  ByteView bytes_;
  std::size_t at_;
  std::size_t end_;
  std::shared_ptr<FailureSlot> slot_;
  std::string path_;                       // "extensions/key_share": the fields around this range, for failures
  std::vector<std::size_t> struct_marks_;  // path_'s size before each open struct
};

struct Cursor::Vector {
  FieldSpan span;
  Cursor body;
};

// "1 byte", "3 bytes".
std::string bytes_count(std::size_t count);

}  // namespace tlslab::tls::detail
