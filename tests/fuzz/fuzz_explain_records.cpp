// tlslab-explain's reader of one captured TLS connection (explain/src/captured_tls.hpp) and what is
// made of it (explained_connection.hpp): the bytes of both directions and how they arrived, as the
// capture reader hands them over, read with a fixed key log, then explained and summarized. Nothing
// may crash, leak or hit undefined behaviour whatever the bytes; every note is one line.
//
// Input: byte 0 chooses a re-split (0: the chunks as given; n: every chunk cut into pieces of n
// bytes), then chunks of [direction (bit 7 of a byte: server → client) | 2-byte length | bytes].
// The key log is that of two real captures (tests/explain/captures.py: curl-tls13 and
// curl-tls12-ecdhe), and the seeds in tests/fuzz/corpus/fuzz_explain_records/ are those
// connections (written by explain_seeds.py): the record opener's paths run from the first input.
#include <string>

#include "captured_tls.hpp"
#include "explained_connection.hpp"
#include "fuzz_support.hpp"
#include "key_log.hpp"

namespace {

const tlslab::explain::KeyLog& key_log() {
  static const tlslab::explain::KeyLog keys = tlslab::explain::KeyLog::parse(
      "SERVER_HANDSHAKE_TRAFFIC_SECRET 4750188c6d9feb9076c8958672efa0f23cf1318b1b6824548fa80d81aa779ba3 "
      "1c27e958b9818f14239ad1b8e784f6f0558a3b60949fd8b913a3d399da29dec1\n"
      "SERVER_TRAFFIC_SECRET_0 4750188c6d9feb9076c8958672efa0f23cf1318b1b6824548fa80d81aa779ba3 "
      "b2761b102e7a18add4f0c374ece2621ba1838800723a1bd51849660237fec0b1\n"
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET 4750188c6d9feb9076c8958672efa0f23cf1318b1b6824548fa80d81aa779ba3 "
      "92f8fae641f9237a4209fb0d67a6b3d98e02de88b41db25423c214212ff2837b\n"
      "CLIENT_TRAFFIC_SECRET_0 4750188c6d9feb9076c8958672efa0f23cf1318b1b6824548fa80d81aa779ba3 "
      "95fd94000b2f35b582a71c6fae74bbf308a3c220005484a0fda9bf2129d81a3a\n"
      "CLIENT_RANDOM c0f8f55b8533bb062643539c37c97779ee9b308403c0e1267e93f526a68161f0 "
      "256ee813bbc2fb6a9febc31d59f0c54a57cdb91e6a8bbfb835c8f02722a262277a59ffea5c1888e2d8567432ad5c1026\n");
  return keys;
}

void require_one_line(const std::string& text, const char* what) {
  tlslab::fuzz::require(!text.empty() && text.find('\n') == std::string::npos, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tlslab;
  if (size == 0) return 0;
  std::size_t piece = data[0];
  decrypt::TcpConnection connection;
  connection.client = "192.0.2.1:40000";
  connection.server = "192.0.2.2:443";
  std::size_t at = 1;
  std::int64_t time = 1'700'000'000'000'000;
  while (at + 3 <= size) {
    bool from_server = (data[at] & 0x80) != 0;
    std::size_t length = (std::size_t{data[at + 1]} << 8) | data[at + 2];
    at += 3;
    length = std::min(length, size - at);
    Bytes& bytes = from_server ? connection.server_bytes : connection.client_bytes;
    std::size_t step = piece == 0 ? std::max<std::size_t>(length, 1) : piece;
    for (std::size_t done = 0; done < length; done += step) {
      std::size_t n = std::min(step, length - done);
      bytes.insert(bytes.end(), data + at + done, data + at + done + n);
      connection.arrivals.push_back(
          {from_server ? decrypt::Direction::server_to_client : decrypt::Direction::client_to_server, bytes.size(),
           std::chrono::microseconds(time += 1000)});
    }
    at += length;
  }
  for (const explain::KeyLog* keys : {&key_log(), static_cast<const explain::KeyLog*>(nullptr)}) {
    static const explain::KeyLog no_keys;
    const explain::KeyLog& used = keys != nullptr ? *keys : no_keys;
    explain::CapturedTls captured = explain::read_tls(connection, used);
    for (const auto& note : captured.notes) require_one_line(note, "a note is one line");
    explain::Summary summary = explain::summarize(captured);
    require_one_line(summary.protocol, "the summary names a protocol");
    explain::Explained explained = explain::explain_connection(std::move(captured), used, true);
    (void)explained;
  }
  return 0;
}
