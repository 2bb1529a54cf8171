// tlslab-explain's whole read of a capture file: libpcap and libtins read the bytes as a pcap or
// pcapng file (decrypt/src/tcp_capture.hpp, with explain's recognizer of a TLS ClientHello), then
// each connection kept is read as TLS (captured_tls.hpp), explained and summarized. A capture is as
// hostile as a peer: nothing may crash, leak or hit undefined behaviour; a file that is not a
// capture is one std::runtime_error, the one exception caught here.
//
// The input is written to a file in a private directory made once per process (read_capture takes
// a path). Small limits keep an iteration fast. Seeds: tests/fuzz/corpus/fuzz_explain_capture/,
// small captures made by tests/explain/captures.py (copied by explain_seeds.py).
#include <stdlib.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "captured_tls.hpp"
#include "explained_connection.hpp"
#include "fuzz_support.hpp"
#include "key_log.hpp"
#include "tcp_capture.hpp"

namespace {

// Never destroyed: the atexit handler that removes the file runs after static destructors.
const std::string& capture_path() {
  static const std::string* path = [] {
    char dir[] = "/tmp/fuzz_explain_capture.XXXXXX";
    if (mkdtemp(dir) == nullptr) tlslab::fuzz::violated("mkdtemp for the capture file");
    auto* file = new std::string(std::string(dir) + "/capture");
    std::atexit([] {
      const std::string& made = capture_path();
      ::unlink(made.c_str());
      ::rmdir(made.substr(0, made.rfind('/')).c_str());
    });
    return file;
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  const std::string& path = capture_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) fuzz::violated("writing the capture file");
  }
  decrypt::CaptureLimits limits;
  limits.max_connection_bytes = 64 << 10;
  limits.max_capture_bytes = 256 << 10;
  limits.max_sessions = 8;
  limits.max_undecided = 16;
  limits.max_undecided_buffer = 4 << 10;
  limits.max_buffered_bytes = 256 << 10;
  limits.tool = "tlslab-explain";
  decrypt::Capture capture;
  try {
    capture = decrypt::read_capture(path, limits, explain::looks_like_tls_client_hello);
  } catch (const std::runtime_error& error) {
    std::string reason = error.what();
    fuzz::require(!reason.empty() && reason.find('\n') == std::string::npos, "a capture refused in one line");
    return 0;
  }
  fuzz::require(capture.connections.size() <= limits.max_sessions, "at most max_sessions connections kept");
  static const explain::KeyLog keys = explain::KeyLog::parse(
      "CLIENT_RANDOM c0f8f55b8533bb062643539c37c97779ee9b308403c0e1267e93f526a68161f0 "
      "256ee813bbc2fb6a9febc31d59f0c54a57cdb91e6a8bbfb835c8f02722a262277a59ffea5c1888e2d8567432ad5c1026\n");
  for (const auto& connection : capture.connections) {
    explain::CapturedTls captured = explain::read_tls(connection, keys);
    explain::Summary summary = explain::summarize(captured);
    fuzz::require(!summary.outcome.empty(), "every connection has an outcome");
    explain::Explained explained = explain::explain_connection(std::move(captured), keys, false);
    (void)explained;
  }
  return 0;
}
