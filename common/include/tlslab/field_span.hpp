#pragma once
// Which bytes of a frame are which field: the codec records them as it writes a message (Writer
// with spans on), so the trace, the JSON and the HTML report show each field's bytes exactly as
// the codec laid them out, never as a second parser guessed them.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tlslab {

struct FieldSpan {
  std::size_t offset = 0;  // from the start of the bytes described
  std::size_t length = 0;
  std::string field;                // the spec's name: "random", "cipher_suites", "length", "tag"
  std::vector<FieldSpan> children;  // a field with parts; empty for a leaf
  bool operator==(const FieldSpan&) const = default;
};

// Whether the leaves of `spans` cover [0, size) exactly once, in order, without gap or overlap,
// and every composite covers exactly its children. On failure, `problem` says where.
bool covers_exactly(std::span<const FieldSpan> spans, std::size_t size, std::string* problem = nullptr);

// Moves every offset by `by` (a message's spans placed after a frame header).
void shift_spans(std::vector<FieldSpan>& spans, std::size_t by);

// The leaf at byte `offset`, with the names of the fields around it ("ClientHello/cipher_suites/
// cipher_suite"); empty when no leaf covers it.
std::string field_path_at(std::span<const FieldSpan> spans, std::size_t offset);

}  // namespace tlslab
