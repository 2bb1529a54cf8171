#include "trace_file.hpp"

#include <sys/stat.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "tlslab/text.hpp"

namespace tlslab::report {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string too_big(std::size_t limit) {
  return "larger than " + std::to_string(limit >> 20) + " MiB";
}

std::string read_bounded(const std::string& path, std::size_t limit) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw std::runtime_error(printable(path) + ": cannot read it: " + std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) throw std::runtime_error(printable(path) + ": is a directory, not a trace file");
  if (S_ISREG(info.st_mode) && static_cast<std::size_t>(info.st_size) > limit) {
    throw std::runtime_error(printable(path) + ": " + too_big(limit) + " (" + std::to_string(info.st_size) +
                             " bytes): not a trace of one run");
  }
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error(printable(path) + ": cannot read it: " + std::strerror(errno));
  std::string content;
  char chunk[65536];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, file.get())) {
    if (content.size() + n > limit) throw std::runtime_error(printable(path) + ": " + too_big(limit));
    content.append(chunk, n);
  }
  if (std::ferror(file.get())) throw std::runtime_error(printable(path) + ": read error");
  return content;
}

}  // namespace

std::vector<TraceRecord> read_trace_file(const std::string& path, const TraceLimits& limits, std::size_t* bytes_read) {
  std::string content = read_bounded(path, limits.file_bytes);
  if (bytes_read) {
    *bytes_read += content.size();
    if (*bytes_read > limits.total_bytes) {
      throw std::runtime_error("the traces together are " + too_big(limits.total_bytes) + " (at " + printable(path) +
                               "): give the three files of one run");
    }
  }
  std::vector<TraceRecord> records;
  std::string shown = printable(path);
  std::size_t start = 0, number = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string::npos) end = content.size();
    ++number;
    LineOrigin origin{shown, number};
    std::string_view line(content.data() + start, end - start);
    start = end + 1;
    if (line.size() > limits.line_bytes) {
      throw std::runtime_error(origin.where() + ": the line is " + too_big(limits.line_bytes));
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(line, error);
    if (error) throw std::runtime_error(origin.where() + ": not JSON (" + error.message() + ")");
    records.push_back(read_trace_record(value, origin));
  }
  return records;
}

}  // namespace tlslab::report
