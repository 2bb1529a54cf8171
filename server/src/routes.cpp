#include "routes.hpp"

#include <charconv>

#include "static_files.hpp"

namespace tlslab::server {
namespace http = boost::beast::http;

namespace {

// "/bytes/1048576" → 1048576; nullopt for anything else, or above the limit.
std::optional<std::uint64_t> generated_size(std::string_view path, std::uint64_t limit) {
  constexpr std::string_view prefix = "/bytes/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = path.substr(prefix.size());
  std::uint64_t size = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (error != std::errc() || end != digits.data() + digits.size() || size > limit) return std::nullopt;
  return size;
}

}  // namespace

Route route(http::verb method, std::string_view target, const ServerSettings& settings) {
  Route chosen;
  std::string_view path = target.substr(0, target.find('?'));
  if (method != http::verb::get && method != http::verb::head) {
    chosen.kind = Route::Kind::method_not_allowed;
  } else if (auto size = generated_size(path, settings.max_generated_bytes)) {
    chosen.kind = Route::Kind::generated_bytes;
    chosen.size = *size;
  } else if (settings.www) {
    StaticFile found = find_static_file(*settings.www, target);
    if (found.file) {
      chosen.kind = Route::Kind::file;
      chosen.file = std::move(*found.file);
    } else {
      chosen.refusal = std::move(found.refusal);  // not_found
    }
  } else if (path == "/" || path == "/index.html") {
    chosen.kind = Route::Kind::session_page;
  }
  return chosen;
}

std::string_view mime_type(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  if (extension == ".html" || extension == ".htm") return "text/html; charset=utf-8";
  if (extension == ".txt") return "text/plain; charset=utf-8";
  if (extension == ".css") return "text/css";
  if (extension == ".js") return "application/javascript";
  if (extension == ".json") return "application/json";
  if (extension == ".png") return "image/png";
  if (extension == ".jpg" || extension == ".jpeg") return "image/jpeg";
  if (extension == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace tlslab::server
