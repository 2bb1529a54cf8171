// A capture is input like any other (docs/ATTACKS.md, "A capture is input too"): truncated,
// garbled or made-up streams and capture files must never crash tlslab-decrypt, hang it or make
// it read past a buffer. Fuzzer-style: every truncation of a real session, then thousands of
// seeded random mutations of its bytes and of a capture file holding it. (Under
// TLSLAB_SANITIZE=ON, ASan and UBSan watch every one of them.)
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <random>

#include "captured_session.hpp"
#include "frame_stream.hpp"
#include "pcap_builder.hpp"
#include "recorded_session.hpp"
#include "session_report.hpp"
#include "stolen_key.hpp"
#include "tcp_capture.hpp"
#include "test_files.hpp"

namespace tlslab::decrypt::test {
namespace {

// The whole pipeline after reassembly, as tlslab-decrypt runs it; returns what was printed.
std::string decrypt_all(const StolenKey& key, const TcpConnection& connection) {
  if (!looks_like_client_hello(connection.client_bytes).value_or(false)) return {};
  auto session = read_session(connection);
  if (!session) return render_undecodable(1, 1, connection, session.failure().reason);
  OpenedSession opened = key.open(session.value());
  return render_session(1, 1, session.value(), opened, {.show_secrets = true});
}

// One arrival per direction, at its end (what a connection whose bytes changed would hold).
void rearrive(TcpConnection& connection) {
  connection.arrivals = {{Direction::client_to_server, connection.client_bytes.size()},
                         {Direction::server_to_client, connection.server_bytes.size()}};
}

TEST(HostileCapture, EveryTruncationOfEitherDirectionIsHandled) {
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  for (bool client : {true, false}) {
    const Bytes& whole = client ? recorded.connection.client_bytes : recorded.connection.server_bytes;
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
      TcpConnection connection = recorded.connection;
      (client ? connection.client_bytes : connection.server_bytes).resize(cut);
      rearrive(connection);
      std::string shown = decrypt_all(key, connection);
      if (cut == whole.size()) {
        EXPECT_NE(shown.find("opened: 2 records"), std::string::npos) << shown;
      }
    }
  }
}

TEST(HostileCapture, RandomlyGarbledStreamsAreHandled) {
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  std::mt19937 random(20240614);
  auto pick = [&](std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound)(random); };
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 3000; ++round) {
    TcpConnection connection = recorded.connection;
    for (int edits = 1 + static_cast<int>(pick(3)); edits > 0; --edits) {
      Bytes& bytes = pick(1) ? connection.client_bytes : connection.server_bytes;
      if (bytes.empty()) continue;
      std::size_t at = pick(bytes.size() - 1);
      switch (pick(4)) {
        case 0:  // flip a byte
          bytes[at] ^= static_cast<std::uint8_t>(1 + pick(254));
          break;
        case 1:  // a length field's worth of random bytes: headers and vectors lie
          for (std::size_t i = at; i < std::min(bytes.size(), at + 3); ++i)
            bytes[i] = static_cast<std::uint8_t>(pick(255));
          break;
        case 2:  // cut out a range
          bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                      bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), at + 1 + pick(64))));
          break;
        case 3:  // repeat a range (a retransmission reassembled wrongly)
        case 4: {
          std::size_t length = std::min(bytes.size() - at, 1 + pick(300));
          Bytes copy(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                     bytes.begin() + static_cast<std::ptrdiff_t>(at + length));
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(pick(bytes.size())), copy.begin(), copy.end());
          break;
        }
      }
    }
    rearrive(connection);
    (void)decrypt_all(key, connection);
  }
  // No input may make the work superlinear: 3000 sessions of a few kilobytes are quick.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(HostileCapture, MadeUpStreamsAreHandled) {
  StolenKey key(copy_of(server_key()));
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    TcpConnection connection;
    // A ClientHello frame header with a made-up rest, and made-up answers.
    connection.client_bytes = {0x16, 0x01, 0x00, 0x00, 0x00, 0x01};
    std::size_t length = std::uniform_int_distribution<std::size_t>(0, 600)(random);
    connection.client_bytes[4] = static_cast<std::uint8_t>(length & 0xff);
    connection.client_bytes[3] = static_cast<std::uint8_t>(length >> 8);
    for (std::size_t i = 0; i < length + 200; ++i)
      connection.client_bytes.push_back(static_cast<std::uint8_t>(random()));
    for (std::size_t i = 0; i < 800; ++i) connection.server_bytes.push_back(static_cast<std::uint8_t>(random()));
    if (round % 2) {
      // a plausible server frame header in front, so that its body is decoded
      Bytes header = {0x16, 0x01, 0x00, 0x01, 0x00, 0x02};
      connection.server_bytes.insert(connection.server_bytes.begin(), header.begin(), header.end());
    }
    rearrive(connection);
    (void)decrypt_all(key, connection);
  }
}

TEST(HostileCapture, GarbledCaptureFilesAreALocalErrorOrReadAsWellAsTheyCan) {
  TempFiles files;
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  {
    PcapBuilder pcap(files.path("good.pcap"));
    auto connection = pcap.connect(50100, 4433);
    std::size_t sent[2] = {0, 0};
    for (const auto& arrival : recorded.connection.arrivals) {
      bool from_client = arrival.direction == Direction::client_to_server;
      const Bytes& bytes = from_client ? recorded.connection.client_bytes : recorded.connection.server_bytes;
      std::size_t& done = sent[from_client ? 1 : 0];
      connection.send(from_client, ByteView(bytes).subspan(done, arrival.end - done));
      done = arrival.end;
    }
    connection.close();
  }
  std::ifstream in(files.path("good.pcap"), std::ios::binary);
  Bytes good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(good.size(), 1000u);
  std::mt19937 random(99);
  int read = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    Bytes garbled = good;
    int flips = 1 + static_cast<int>(random() % 16);
    for (int i = 0; i < flips; ++i) garbled[random() % garbled.size()] ^= static_cast<std::uint8_t>(1 + random() % 255);
    if (round % 10 == 0) garbled.resize(random() % garbled.size());
    std::ofstream(files.path("garbled.pcap"), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(garbled.data()), static_cast<std::streamsize>(garbled.size()));
    try {
      Capture capture = read_capture(files.path("garbled.pcap"));
      ++read;
      for (const auto& connection : capture.connections) (void)decrypt_all(key, connection);
    } catch (const std::runtime_error&) {
      ++refused;  // not a capture any more (its header was hit): a local error, said in one line
    }
  }
  EXPECT_EQ(read + refused, 400);
  EXPECT_GT(read, 0);
}

}  // namespace
}  // namespace tlslab::decrypt::test
