// What each request gets (server/src/routes.hpp), without a socket.
#include <gtest/gtest.h>

#include <filesystem>

#include "routes.hpp"

namespace tlslab::server {
namespace {

namespace http = boost::beast::http;

TEST(Routes, OnlyGetAndHeadAreServed) {
  ServerSettings settings;
  for (http::verb verb : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options}) {
    EXPECT_EQ(route(verb, "/", settings).kind, Route::Kind::method_not_allowed);
  }
  EXPECT_EQ(route(http::verb::get, "/", settings).kind, Route::Kind::session_page);
  EXPECT_EQ(route(http::verb::head, "/index.html?x", settings).kind, Route::Kind::session_page);
  EXPECT_EQ(route(http::verb::get, "/other", settings).kind, Route::Kind::not_found);
}

TEST(Routes, GeneratedBytesUpToTheLimit) {
  ServerSettings settings;
  settings.max_generated_bytes = 1000;
  Route ok = route(http::verb::get, "/bytes/1000", settings);
  EXPECT_EQ(ok.kind, Route::Kind::generated_bytes);
  EXPECT_EQ(ok.size, 1000u);
  EXPECT_EQ(route(http::verb::get, "/bytes/1001", settings).kind, Route::Kind::not_found);
  EXPECT_EQ(route(http::verb::get, "/bytes/18446744073709551616", settings).kind, Route::Kind::not_found);
  EXPECT_EQ(route(http::verb::get, "/bytes/-1", settings).kind, Route::Kind::not_found);
  EXPECT_EQ(route(http::verb::get, "/bytes/12x", settings).kind, Route::Kind::not_found);
  EXPECT_EQ(route(http::verb::get, "/bytes/5?q", settings).size, 5u);
}

TEST(Routes, TheDefaultCapIsAQuarterGibibyte) {
  EXPECT_EQ(ServerSettings{}.max_generated_bytes, std::uint64_t{256} << 20);
}

TEST(Routes, WwwRefusalsCarryTheirReason) {
  ServerSettings settings;
  settings.www = std::filesystem::canonical(std::filesystem::temp_directory_path());
  Route refused = route(http::verb::get, "/../etc/passwd", settings);
  EXPECT_EQ(refused.kind, Route::Kind::not_found);
  EXPECT_EQ(refused.refusal, "a '..' segment");
  EXPECT_EQ(route(http::verb::get, "//etc/passwd", settings).kind, Route::Kind::not_found);
}

TEST(Routes, MimeTypes) {
  EXPECT_EQ(mime_type("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("a"), "application/octet-stream");
}

}  // namespace
}  // namespace tlslab::server
