// A capture is input like any other (docs/ATTACKS.md, "A capture is input too"): truncated,
// garbled or made-up streams and capture files must never crash tlslab-decrypt, hang it or make
// it read past a buffer. Fuzzer-style: every truncation of a real session, then thousands of
// seeded random mutations of its bytes and of a capture file holding it. (Under
// TLSLAB_SANITIZE=ON, ASan and UBSan watch every one of them.)
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "captured_session.hpp"
#include "frame_stream.hpp"
#include "pcap_builder.hpp"
#include "recorded_session.hpp"
#include "session_report.hpp"
#include "stolen_key.hpp"
#include "tcp_capture.hpp"
#include "test_files.hpp"
#include "tlslab/text.hpp"

namespace tlslab::decrypt::test {
namespace {

// What the whole pipeline after reassembly made of a connection, as tlslab-decrypt runs it.
struct Outcome {
  bool client_hello = false;  // the client's stream starts with a ClientHello frame
  bool decoded = false;       // arrows 1, 2 and 5 decoded (else `shown` gives the reason)
  OpenedSession opened;
  std::string shown;   // what was printed
  std::string reason;  // why it did not decode, or why it did not open ("" when it opened)
};

Outcome decrypt_all(const StolenKey& key, const TcpConnection& connection) {
  Outcome outcome;
  if (!looks_like_client_hello(connection.client_bytes).value_or(false)) return outcome;
  outcome.client_hello = true;
  auto session = read_session(connection);
  if (!session) {
    outcome.reason = session.failure().reason;
    outcome.shown = render_undecodable(1, 1, connection, outcome.reason);
    return outcome;
  }
  outcome.decoded = true;
  outcome.opened = key.open(session.value());
  outcome.reason = outcome.opened.reason;
  outcome.shown = render_session(1, 1, session.value(), outcome.opened, {.show_secrets = true});
  return outcome;
}

std::vector<std::string> application_data(const Outcome& outcome) {
  std::vector<std::string> plaintexts;
  for (const auto& revealed : outcome.opened.revealed) {
    if (revealed.kind == Revealed::Kind::application_data)
      plaintexts.emplace_back(revealed.content.begin(), revealed.content.end());
  }
  return plaintexts;
}

// The key log's master secret, hex (its third field).
std::string master_secret_hex(const RecordedSession& recorded) {
  std::string line = recorded.keylog_line.substr(0, recorded.keylog_line.find_last_not_of("\r\n") + 1);
  return line.substr(line.rfind(' ') + 1);
}

// What no changed, cut or made-up input may make the program claim: an opened session whose keys
// are not the recorded session's, or plaintext that the two sides never sent. (The AEAD tag and
// Finished stand in the way; a bug that printed a record which did not authenticate would not.)
void expect_nothing_made_up(const Outcome& outcome, const RecordedSession& recorded, const std::string& what) {
  const SessionOptions sent;
  if (outcome.opened.verdict == Verdict::opened) {
    ASSERT_TRUE(outcome.opened.master_secret.has_value()) << what;
    EXPECT_EQ(to_hex(outcome.opened.master_secret->view()), master_secret_hex(recorded)) << what << "\n"
                                                                                         << outcome.shown;
  }
  for (const auto& plaintext : application_data(outcome)) {
    bool was_sent = std::find(sent.requests.begin(), sent.requests.end(), plaintext) != sent.requests.end() ||
                    std::find(sent.responses.begin(), sent.responses.end(), plaintext) != sent.responses.end();
    EXPECT_TRUE(was_sent) << what << ": plaintext that was never sent: " << printable(plaintext) << "\n"
                          << outcome.shown;
  }
  if (outcome.client_hello && (!outcome.decoded || outcome.opened.verdict != Verdict::opened)) {
    EXPECT_FALSE(outcome.reason.empty()) << what << ": not opened, and no reason given\n" << outcome.shown;
  }
}

// One arrival per direction, at its end (what a connection whose bytes changed would hold).
void rearrive(TcpConnection& connection) {
  connection.arrivals = {{Direction::client_to_server, connection.client_bytes.size()},
                         {Direction::server_to_client, connection.server_bytes.size()}};
}

TEST(HostileCapture, EveryTruncationOfEitherDirectionIsHandled) {
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  const SessionOptions sent;
  Outcome whole_session = decrypt_all(key, recorded.connection);
  ASSERT_EQ(whole_session.opened.verdict, Verdict::opened) << whole_session.shown;
  ASSERT_EQ(application_data(whole_session), (std::vector<std::string>{sent.requests[0], sent.responses[0]}))
      << whole_session.shown;
  for (bool client : {true, false}) {
    const Bytes& whole = client ? recorded.connection.client_bytes : recorded.connection.server_bytes;
    std::size_t records_before = 0;
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      TcpConnection connection = recorded.connection;
      (client ? connection.client_bytes : connection.server_bytes).resize(cut);
      rearrive(connection);
      Outcome outcome = decrypt_all(key, connection);
      std::string what = std::string(client ? "client" : "server") + " stream cut at " + std::to_string(cut) + " of " +
                         std::to_string(whole.size());
      expect_nothing_made_up(outcome, recorded, what);
      // A truncation is never silent: what is shown differs from the whole session's report.
      EXPECT_NE(outcome.shown, whole_session.shown) << what;
      // Bytes that arrive can only add records, in order: a longer stream never shows fewer.
      std::size_t records = application_data(outcome).size();
      EXPECT_GE(records, records_before) << what << "\n" << outcome.shown;
      records_before = records;
      if (client && !outcome.client_hello) {
        EXPECT_LT(cut, 6u) << what << ": a ClientHello frame header not seen";
      }
    }
  }
}

TEST(HostileCapture, RandomlyGarbledStreamsAreHandled) {
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  std::mt19937 random(20240614);
  auto pick = [&](std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound)(random); };
  std::map<std::string, int> verdicts;  // how far the garbled sessions got: each path is exercised
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
    Outcome outcome = decrypt_all(key, connection);
    expect_nothing_made_up(outcome, recorded, "garbled round " + std::to_string(round));
    // No input may make the output superlinear: each byte shown comes from a byte of the capture.
    EXPECT_LT(outcome.shown.size(), 8 * (connection.client_bytes.size() + connection.server_bytes.size()) + 4096)
        << "garbled round " << round;
    ++verdicts[!outcome.client_hello ? "not a session"
               : !outcome.decoded    ? "undecodable"
                                     : std::string(to_string(outcome.opened.verdict))];
  }
  // The garbling reaches every stage: refused at the first bytes, at the clear handshake, at the
  // client's Finished, and past it (changes after the handshake leave it opened).
  std::string seen;
  for (const auto& [verdict, count] : verdicts) seen += verdict + ": " + std::to_string(count) + "; ";
  for (const char* verdict : {"undecodable", "opened"}) EXPECT_GT(verdicts[verdict], 0) << verdict << " — " << seen;
  EXPECT_GT(verdicts[std::string(to_string(Verdict::handshake_altered))], 0) << seen;
}

TEST(HostileCapture, MadeUpStreamsAreHandled) {
  StolenKey key(copy_of(server_key()));
  RecordedSession recorded = record_rsa_session();
  std::mt19937 random(7);
  int refused_with_reason = 0;
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
    Outcome outcome = decrypt_all(key, connection);
    std::string what = "made-up round " + std::to_string(round);
    // Random bytes are never a session that opens, nor one with plaintext in it; each is refused
    // with a reason, in one block that names it.
    EXPECT_NE(outcome.opened.verdict, Verdict::opened) << what << "\n" << outcome.shown;
    EXPECT_TRUE(application_data(outcome).empty()) << what << "\n" << outcome.shown;
    expect_nothing_made_up(outcome, recorded, what);
    if (outcome.client_hello) {
      EXPECT_NE(outcome.shown.find("cannot open: " + printable(outcome.reason)), std::string::npos) << what << "\n"
                                                                                                    << outcome.shown;
      ++refused_with_reason;
    }
  }
  // The header in front makes nearly every stream a candidate that reaches the decoder (a made-up
  // length the frame header refuses is not one): the test is not refused at the door.
  EXPECT_GE(refused_with_reason, 1990);
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
  // The file as written opens: what the garbled copies are measured against.
  Capture whole = read_capture(files.path("good.pcap"));
  ASSERT_EQ(whole.connections.size(), 1u);
  ASSERT_EQ(decrypt_all(key, whole.connections[0]).opened.verdict, Verdict::opened);
  std::mt19937 random(99);
  int read = 0, refused = 0, sessions = 0;
  for (int round = 0; round < 400; ++round) {
    Bytes garbled = good;
    int flips = 1 + static_cast<int>(random() % 16);
    for (int i = 0; i < flips; ++i) garbled[random() % garbled.size()] ^= static_cast<std::uint8_t>(1 + random() % 255);
    if (round % 10 == 0) garbled.resize(random() % garbled.size());
    std::ofstream(files.path("garbled.pcap"), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(garbled.data()), static_cast<std::streamsize>(garbled.size()));
    std::string what = "garbled file, round " + std::to_string(round);
    try {
      Capture capture = read_capture(files.path("garbled.pcap"));
      ++read;
      EXPECT_LE(capture.connections.size(), 1u) << what << ": connections made up";
      for (const auto& connection : capture.connections) {
        Outcome outcome = decrypt_all(key, connection);
        expect_nothing_made_up(outcome, recorded, what);
        sessions += outcome.client_hello ? 1 : 0;
      }
    } catch (const std::runtime_error& error) {
      // Not a capture any more (its header was hit): a local error, said in one line that names the file.
      std::string message = error.what();
      EXPECT_EQ(message.find('\n'), std::string::npos) << what << ": " << message;
      EXPECT_NE(message.find("garbled.pcap"), std::string::npos) << what << ": " << message;
      ++refused;
    }
  }
  // Both ends are reached: files refused as a whole, and files read whose session was decrypted.
  EXPECT_GT(refused, 0);
  EXPECT_GT(read, 0);
  EXPECT_GT(sessions, 0) << read << " garbled files read, no session found in any";
}

}  // namespace
}  // namespace tlslab::decrypt::test
