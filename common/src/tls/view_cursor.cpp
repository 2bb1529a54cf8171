#include "view_cursor.hpp"

namespace tlslab::tls::detail {

std::string bytes_count(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " byte" : " bytes");
}

std::string Cursor::path_of(std::string_view field) const {
  if (path_.empty()) return std::string(field);
  if (field.empty()) return path_;
  return path_ + "/" + std::string(field);
}

bool Cursor::fail(std::string_view field, std::string_view what, AlertDescription alert) const {
  if (slot_->failure) return false;
  std::string where = path_of(field);
  std::string reason = slot_->message + ": " + (where.empty() ? "" : where + ": ") + std::string(what);
  slot_->failure = Failure{alert, std::move(reason)};
  return false;
}

bool Cursor::need(std::size_t count, std::string_view field) {
  if (!ok()) return false;
  if (left() >= count) return true;
  return fail(field, bytes_count(left()) + " left where " + std::to_string(count) + " are needed");
}

void Cursor::leaf(std::size_t from, std::string_view field, std::vector<FieldSpan>& spans) const {
  if (at_ > from) spans.push_back(FieldSpan{from, at_ - from, std::string(field), {}});
}

std::optional<ByteView> Cursor::fixed(std::size_t count, std::string_view field, std::vector<FieldSpan>& spans) {
  if (!need(count, field)) return std::nullopt;
  std::size_t from = at_;
  at_ += count;
  leaf(from, field, spans);
  return bytes_.subspan(from, count);
}

std::optional<std::uint8_t> Cursor::u8(std::string_view field, std::vector<FieldSpan>& spans) {
  auto bytes = fixed(1, field, spans);
  if (!bytes) return std::nullopt;
  return (*bytes)[0];
}

std::optional<std::uint16_t> Cursor::u16(std::string_view field, std::vector<FieldSpan>& spans) {
  auto bytes = fixed(2, field, spans);
  if (!bytes) return std::nullopt;
  return static_cast<std::uint16_t>(((*bytes)[0] << 8) | (*bytes)[1]);
}

std::optional<std::uint32_t> Cursor::u24(std::string_view field, std::vector<FieldSpan>& spans) {
  auto bytes = fixed(3, field, spans);
  if (!bytes) return std::nullopt;
  return (std::uint32_t{(*bytes)[0]} << 16) | (std::uint32_t{(*bytes)[1]} << 8) | (*bytes)[2];
}

std::optional<std::uint32_t> Cursor::u32(std::string_view field, std::vector<FieldSpan>& spans) {
  auto bytes = fixed(4, field, spans);
  if (!bytes) return std::nullopt;
  std::uint32_t value = 0;
  for (std::uint8_t byte : *bytes) value = (value << 8) | byte;
  return value;
}

ByteView Cursor::rest(std::string_view field, std::vector<FieldSpan>& spans) {
  if (!ok()) return {};
  std::size_t from = at_;
  at_ = end_;
  leaf(from, field, spans);
  return bytes_.subspan(from, end_ - from);
}

namespace {

// The length of a vector whose prefix is `width` bytes, read without spans.
std::size_t length_of(ByteView prefix) {
  std::size_t length = 0;
  for (std::uint8_t byte : prefix) length = (length << 8) | byte;
  return length;
}

}  // namespace

std::optional<Cursor::Vector> Cursor::vector(std::size_t width, std::size_t floor, std::size_t ceiling,
                                             std::string_view field, std::size_t item, std::string_view item_name) {
  if (!need(width, field)) return std::nullopt;
  std::size_t from = at_;
  std::size_t length = length_of(bytes_.subspan(at_, width));
  if (length > left() - width) {
    fail(field, "length says " + bytes_count(length) + ", " + std::to_string(left() - width) + " left");
    return std::nullopt;
  }
  if (length > ceiling) {
    fail(field, bytes_count(length) + ", more than the " + std::to_string(ceiling) + " allowed");
    return std::nullopt;
  }
  if (length < floor) {
    fail(field, bytes_count(length) + ", fewer than the " + std::to_string(floor) + " required");
    return std::nullopt;
  }
  if (item > 1 && length % item != 0) {
    fail(field,
         bytes_count(length) + ", not a whole number of " + std::to_string(item) + "-byte " + std::string(item_name));
    return std::nullopt;
  }
  at_ += width;
  Vector vector{FieldSpan{from, width + length, std::string(field), {FieldSpan{from, width, "length", {}}}},
                Cursor(bytes_, at_, at_ + length, slot_, path_of(field))};
  at_ += length;
  return vector;
}

std::optional<Cursor::Vector> Cursor::group(std::size_t count, std::string_view field) {
  if (!need(count, field)) return std::nullopt;
  Vector group{FieldSpan{at_, count, std::string(field), {}}, Cursor(bytes_, at_, at_ + count, slot_, path_of(field))};
  at_ += count;
  return group;
}

bool Cursor::close(Vector& vector, std::vector<FieldSpan>& spans) {
  if (!vector.body.finish()) return false;
  // A group of 0 bytes has nothing to name (an extension without data is its type and length).
  if (vector.span.length > 0) spans.push_back(std::move(vector.span));
  return true;
}

std::optional<ByteView> Cursor::opaque(std::size_t width, std::size_t floor, std::size_t ceiling,
                                       std::string_view field, std::vector<FieldSpan>& spans) {
  auto vector = this->vector(width, floor, ceiling, field);
  if (!vector) return std::nullopt;
  spans.push_back(FieldSpan{vector->span.offset, width, std::string(field) + ".length", {}});
  return vector->body.rest(field, spans);
}

FieldSpan Cursor::begin_struct(std::string_view field, std::size_t from) {
  struct_marks_.push_back(path_.size());
  path_ = path_of(field);
  return FieldSpan{from, 0, std::string(field), {}};
}

void Cursor::end_struct(FieldSpan&& span, std::vector<FieldSpan>& spans) {
  if (!struct_marks_.empty()) {
    path_.resize(struct_marks_.back());
    struct_marks_.pop_back();
  }
  span.length = at_ - span.offset;
  if (span.length > 0) spans.push_back(std::move(span));
}

bool Cursor::finish() {
  if (!ok()) return false;
  if (at_ == end_) return true;
  return fail("", std::to_string(left()) + " trailing " + (left() == 1 ? "byte" : "bytes") + " after the last field");
}

}  // namespace tlslab::tls::detail
