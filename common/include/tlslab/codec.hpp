#pragma once
// Reader and Writer: the only code that touches wire bytes directly. Reader is a non-owning,
// bounds-checked view: every getter fails instead of reading past the end (the failure is a
// decode_error), and `finish` rejects trailing bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tlslab/bytes.hpp"
#include "tlslab/field_span.hpp"
#include "tlslab/result.hpp"

namespace tlslab {

class Reader {
 public:
  explicit Reader(ByteView bytes, std::string_view what = "message") : rest_(bytes), what_(what) {}

  [[nodiscard]] std::optional<std::uint8_t> u8();
  [[nodiscard]] std::optional<std::uint16_t> u16();
  [[nodiscard]] std::optional<std::uint32_t> u24();
  [[nodiscard]] std::optional<std::uint32_t> u32();
  [[nodiscard]] std::optional<std::uint64_t> u64();
  [[nodiscard]] std::optional<ByteView> fixed(std::size_t count);
  // A vector preceded by a `length_bytes`-wide length (1, 2 or 3), RFC 8446 §3.4.
  [[nodiscard]] std::optional<ByteView> vector(std::size_t length_bytes);

  [[nodiscard]] std::size_t remaining() const noexcept { return rest_.size(); }
  [[nodiscard]] bool empty() const noexcept { return rest_.empty(); }
  [[nodiscard]] std::string_view what() const noexcept { return what_; }

  // The failures the codec reports, with the alert PROTOCOL.md prescribes.
  [[nodiscard]] Failure truncated(std::string_view field) const;
  [[nodiscard]] Failure trailing() const;
  // decode_error if bytes remain; nullopt when the reader is exhausted.
  [[nodiscard]] std::optional<Failure> finish() const;

 private:
  ByteView rest_;
  std::string_view what_;
};

// Writes wire bytes. With spans on (Writer(Writer::with_spans)), every named write also records
// which field its bytes are (field_span.hpp); without, names cost nothing.
class Writer {
 public:
  static constexpr struct WithSpans {
  } with_spans{};
  Writer() = default;
  explicit Writer(WithSpans) : recording_(true) {}

  void u8(std::uint8_t value, std::string_view field = {});
  void u16(std::uint16_t value, std::string_view field = {});
  void u24(std::uint32_t value, std::string_view field = {});
  void u32(std::uint32_t value, std::string_view field = {});
  void u64(std::uint64_t value, std::string_view field = {});
  void bytes(ByteView value, std::string_view field = {});
  // Writes the length prefix (1, 2 or 3 bytes) then the bytes: two fields, "FIELD.length" and
  // "FIELD". The caller guarantees the length fits; encode of our own messages checks limits
  // before it gets here.
  void vector(std::size_t length_bytes, ByteView value, std::string_view field = {});

  // For nested vectors whose length is only known after writing: reserve, write, then patch. A
  // named vector is a field of its own whose parts are "length" and what is written inside.
  struct VectorMark {
    std::size_t at;
    std::size_t length_bytes;
    bool named;
  };
  [[nodiscard]] VectorMark begin_vector(std::size_t length_bytes, std::string_view field = {});
  void end_vector(VectorMark mark);
  // A field made of the fields written until end_group ("extension", a whole message).
  void begin_group(std::string_view field);
  void end_group();

  [[nodiscard]] const Bytes& data() const& noexcept { return out_; }
  [[nodiscard]] Bytes take() && noexcept { return std::move(out_); }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  [[nodiscard]] bool recording() const noexcept { return recording_; }
  // The spans recorded so far (outermost first). Every group and vector must have ended.
  [[nodiscard]] std::vector<FieldSpan> take_spans() &&;
  // Appends what `other` wrote, its spans moved to where its bytes land here.
  void append(Writer&& other);

 private:
  void leaf(std::size_t offset, std::string_view field);
  void open(std::string_view field);
  void close();

  Bytes out_;
  bool recording_ = false;
  std::vector<FieldSpan> roots_;
  std::vector<FieldSpan> open_;  // fields begun and not yet ended, outermost first
};

}  // namespace tlslab
