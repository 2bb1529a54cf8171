#pragma once
// A --trace-json file, read within limits: its size is checked before it is read (and while it is
// read, for a pipe or a device that has none), each line's length before it is parsed. A line that
// is not one of the trace's objects stops the merge with one line naming FILE:LINE: a page drawn
// from part of a trace would show a handshake that did not happen.
#include <cstddef>
#include <string>
#include <vector>

#include "trace_record.hpp"

namespace tlslab::report {

// A trace of one program for a busy server holds many sessions; 64 MiB is some 20,000 of them.
inline constexpr std::size_t max_trace_file_bytes = 64u << 20;
// The longest line a program writes is a frame with its spans: at most 16 KiB of record, as hex,
// and its spans; 4 MiB leaves room for any of them.
inline constexpr std::size_t max_trace_line_bytes = 4u << 20;

// All the traces of one merge together: some four times this in memory once parsed.
inline constexpr std::size_t max_traces_bytes = 128u << 20;

struct TraceLimits {
  std::size_t file_bytes = max_trace_file_bytes;
  std::size_t line_bytes = max_trace_line_bytes;
  std::size_t total_bytes = max_traces_bytes;  // with `bytes_read`: this file and those before it
};

// Throws std::runtime_error "FILE: …" or "FILE:LINE: …". An empty file is no records (a CA nobody
// asked traced nothing).
// `bytes_read`, when given, is increased by the file's size, and must stay within total_bytes.
std::vector<TraceRecord> read_trace_file(const std::string& path, const TraceLimits& limits = {},
                                         std::size_t* bytes_read = nullptr);

}  // namespace tlslab::report
