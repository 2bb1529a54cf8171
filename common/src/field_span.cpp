#include "tlslab/field_span.hpp"

namespace tlslab {
namespace {

bool check(std::span<const FieldSpan> spans, std::size_t& at, std::size_t end, std::string* problem,
           const std::string& where) {
  for (const FieldSpan& span : spans) {
    std::string path = where.empty() ? span.field : where + "/" + span.field;
    if (span.offset != at) {
      if (problem) *problem = path + " starts at " + std::to_string(span.offset) + ", expected " + std::to_string(at);
      return false;
    }
    if (span.length == 0 || span.offset + span.length > end) {
      if (problem) *problem = path + " has length " + std::to_string(span.length) + " at " + std::to_string(at);
      return false;
    }
    if (span.children.empty()) {
      at += span.length;
      continue;
    }
    std::size_t inner = at;
    if (!check(span.children, inner, span.offset + span.length, problem, path)) return false;
    if (inner != span.offset + span.length) {
      if (problem)
        *problem =
            path + "'s parts end at " + std::to_string(inner) + ", it at " + std::to_string(span.offset + span.length);
      return false;
    }
    at = inner;
  }
  return true;
}

}  // namespace

bool covers_exactly(std::span<const FieldSpan> spans, std::size_t size, std::string* problem) {
  std::size_t at = 0;
  if (!check(spans, at, size, problem, "")) return false;
  if (at != size) {
    if (problem) *problem = "the spans end at " + std::to_string(at) + " of " + std::to_string(size) + " bytes";
    return false;
  }
  return true;
}

void shift_spans(std::vector<FieldSpan>& spans, std::size_t by) {
  for (FieldSpan& span : spans) {
    span.offset += by;
    shift_spans(span.children, by);
  }
}

std::string field_path_at(std::span<const FieldSpan> spans, std::size_t offset) {
  for (const FieldSpan& span : spans) {
    if (offset < span.offset || offset >= span.offset + span.length) continue;
    if (span.children.empty()) return span.field;
    std::string inner = field_path_at(span.children, offset);
    return inner.empty() ? std::string() : span.field + "/" + inner;
  }
  return {};
}

}  // namespace tlslab
