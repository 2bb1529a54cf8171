#include "tlslab/codec.hpp"

#include <stdexcept>
#include <string>

namespace tlslab {

std::optional<std::uint8_t> Reader::u8() {
  if (rest_.empty()) return std::nullopt;
  std::uint8_t value = rest_[0];
  rest_ = rest_.subspan(1);
  return value;
}

std::optional<std::uint16_t> Reader::u16() {
  auto bytes = fixed(2);
  if (!bytes) return std::nullopt;
  return static_cast<std::uint16_t>(((*bytes)[0] << 8) | (*bytes)[1]);
}

std::optional<std::uint32_t> Reader::u24() {
  auto bytes = fixed(3);
  if (!bytes) return std::nullopt;
  return (std::uint32_t{(*bytes)[0]} << 16) | (std::uint32_t{(*bytes)[1]} << 8) | (*bytes)[2];
}

std::optional<std::uint32_t> Reader::u32() {
  auto bytes = fixed(4);
  if (!bytes) return std::nullopt;
  std::uint32_t value = 0;
  for (std::uint8_t byte : *bytes) value = (value << 8) | byte;
  return value;
}

std::optional<std::uint64_t> Reader::u64() {
  auto bytes = fixed(8);
  if (!bytes) return std::nullopt;
  std::uint64_t value = 0;
  for (std::uint8_t byte : *bytes) value = (value << 8) | byte;
  return value;
}

std::optional<ByteView> Reader::fixed(std::size_t count) {
  if (count > rest_.size()) return std::nullopt;
  ByteView out = rest_.first(count);
  rest_ = rest_.subspan(count);
  return out;
}

std::optional<ByteView> Reader::vector(std::size_t length_bytes) {
  std::size_t length = 0;
  switch (length_bytes) {
    case 1: {
      auto value = u8();
      if (!value) return std::nullopt;
      length = *value;
      break;
    }
    case 2: {
      auto value = u16();
      if (!value) return std::nullopt;
      length = *value;
      break;
    }
    case 3: {
      auto value = u24();
      if (!value) return std::nullopt;
      length = *value;
      break;
    }
    default: return std::nullopt;
  }
  return fixed(length);
}

Failure Reader::truncated(std::string_view field) const {
  return fail(AlertDescription::decode_error,
              std::string(what_) + ": truncated or wrong length at field " + std::string(field));
}

Failure Reader::trailing() const {
  return fail(AlertDescription::decode_error,
              std::string(what_) + ": " + std::to_string(rest_.size()) + " trailing byte(s) after the last field");
}

std::optional<Failure> Reader::finish() const {
  if (rest_.empty()) return std::nullopt;
  return trailing();
}

void Writer::leaf(std::size_t offset, std::string_view field) {
  if (!recording_ || out_.size() == offset) return;
  FieldSpan span{offset, out_.size() - offset, std::string(field), {}};
  (open_.empty() ? roots_ : open_.back().children).push_back(std::move(span));
}

void Writer::open(std::string_view field) {
  if (recording_) open_.push_back(FieldSpan{out_.size(), 0, std::string(field), {}});
}

void Writer::close() {
  if (!recording_) return;
  if (open_.empty()) throw std::logic_error("Writer: end without a begin");
  FieldSpan span = std::move(open_.back());
  open_.pop_back();
  span.length = out_.size() - span.offset;
  if (span.length == 0) return;  // an empty list has no bytes to name
  (open_.empty() ? roots_ : open_.back().children).push_back(std::move(span));
}

void Writer::u8(std::uint8_t value, std::string_view field) {
  std::size_t at = out_.size();
  out_.push_back(value);
  leaf(at, field);
}

void Writer::u16(std::uint16_t value, std::string_view field) {
  std::size_t at = out_.size();
  out_.push_back(static_cast<std::uint8_t>(value >> 8));
  out_.push_back(static_cast<std::uint8_t>(value));
  leaf(at, field);
}

void Writer::u24(std::uint32_t value, std::string_view field) {
  std::size_t at = out_.size();
  out_.push_back(static_cast<std::uint8_t>(value >> 16));
  out_.push_back(static_cast<std::uint8_t>(value >> 8));
  out_.push_back(static_cast<std::uint8_t>(value));
  leaf(at, field);
}

void Writer::u32(std::uint32_t value, std::string_view field) {
  std::size_t at = out_.size();
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(value >> shift));
  leaf(at, field);
}

void Writer::u64(std::uint64_t value, std::string_view field) {
  std::size_t at = out_.size();
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(value >> shift));
  leaf(at, field);
}

void Writer::bytes(ByteView value, std::string_view field) {
  std::size_t at = out_.size();
  tlslab::append(out_, value);
  leaf(at, field);
}

void Writer::vector(std::size_t length_bytes, ByteView value, std::string_view field) {
  auto mark = begin_vector(length_bytes);
  if (recording_) leaf(mark.at, std::string(field) + ".length");
  bytes(value, field);
  end_vector(mark);
}

Writer::VectorMark Writer::begin_vector(std::size_t length_bytes, std::string_view field) {
  if (length_bytes < 1 || length_bytes > 3) throw std::logic_error("vector length prefix of 1..3 bytes");
  bool named = !field.empty();
  if (named) open(field);
  VectorMark mark{out_.size(), length_bytes, named};
  out_.insert(out_.end(), length_bytes, 0);
  if (named) leaf(mark.at, "length");
  return mark;
}

void Writer::end_vector(VectorMark mark) {
  std::size_t length = out_.size() - mark.at - mark.length_bytes;
  if (length >= (std::size_t{1} << (8 * mark.length_bytes))) {
    throw std::length_error("vector of " + std::to_string(length) + " bytes does not fit a " +
                            std::to_string(mark.length_bytes) + "-byte length");
  }
  for (std::size_t i = 0; i < mark.length_bytes; ++i) {
    out_[mark.at + i] = static_cast<std::uint8_t>(length >> (8 * (mark.length_bytes - 1 - i)));
  }
  if (mark.named) close();
}

void Writer::begin_group(std::string_view field) {
  open(field);
}

void Writer::end_group() {
  close();
}

void Writer::append(Writer&& other) {
  std::size_t at = out_.size();
  tlslab::append(out_, other.out_);
  if (!recording_) return;
  std::vector<FieldSpan> spans = std::move(other).take_spans();
  shift_spans(spans, at);
  auto& into = open_.empty() ? roots_ : open_.back().children;
  for (auto& span : spans) into.push_back(std::move(span));
}

std::vector<FieldSpan> Writer::take_spans() && {
  if (!open_.empty()) throw std::logic_error("Writer: a group or vector was not ended");
  return std::move(roots_);
}

}  // namespace tlslab
