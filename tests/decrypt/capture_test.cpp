// Reading captures with libtins: reassembly of segments out of order, retransmitted and
// overlapping, sessions found by content and not by port, the connection limit, files that are
// not captures. The captures are written by libtins too (pcap_builder.hpp).
#include <gtest/gtest.h>

#include <fstream>

#include "captured_session.hpp"
#include "frame_stream.hpp"
#include "pcap_builder.hpp"
#include "recorded_session.hpp"
#include "stolen_key.hpp"
#include "tcp_capture.hpp"
#include "test_files.hpp"

namespace tlslab::decrypt::test {
namespace {

using Segment = PcapBuilder::Connection::Segment;

// Replays a recorded session over one connection, each frame of each direction in the order the
// session sent them, as the segments `cut` makes of it.
void replay(PcapBuilder::Connection& connection, const TcpConnection& recorded,
            const std::function<std::vector<Segment>(std::size_t)>& cut = {}) {
  std::size_t sent[2] = {0, 0};
  for (const auto& arrival : recorded.arrivals) {
    bool from_client = arrival.direction == Direction::client_to_server;
    const Bytes& bytes = from_client ? recorded.client_bytes : recorded.server_bytes;
    std::size_t& done = sent[from_client ? 1 : 0];
    ByteView data = ByteView(bytes).subspan(done, arrival.end - done);
    if (cut) {
      connection.send(from_client, data, cut(data.size()));
    } else {
      connection.send(from_client, data);
    }
    done = arrival.end;
  }
  connection.close();
}

TEST(TcpCapture, ReassemblesSegmentsOutOfOrderRetransmittedAndOverlapping) {
  TempFiles files;
  RecordedSession recorded = record_rsa_session();
  {
    PcapBuilder pcap(files.path("scrambled.pcap"));
    auto connection = pcap.connect(50001, 4433);
    // Every send in four parts: the third first, the first twice, the last overlapping the one
    // before it by two bytes, the second last.
    replay(connection, recorded.connection, [](std::size_t n) -> std::vector<Segment> {
      if (n < 8) return {{0, n}};
      std::size_t q = n / 4;
      return {{2 * q, q}, {0, q}, {0, q}, {3 * q - 2, n - 3 * q + 2}, {q, q}};
    });
  }
  Capture capture = read_capture(files.path("scrambled.pcap"));
  ASSERT_EQ(capture.connections.size(), 1u);
  const TcpConnection& connection = capture.connections[0];
  EXPECT_EQ(connection.client_bytes, recorded.connection.client_bytes);
  EXPECT_EQ(connection.server_bytes, recorded.connection.server_bytes);
  EXPECT_EQ(connection.client, "127.0.0.1:50001");
  EXPECT_EQ(connection.server, "127.0.0.1:4433");
  EXPECT_TRUE(connection.cut_short.empty());

  auto session = read_session(connection);
  ASSERT_TRUE(session.ok()) << session.failure().reason;
  OpenedSession opened = StolenKey(copy_of(server_key())).open(session.value());
  EXPECT_EQ(opened.verdict, Verdict::opened) << opened.reason;
}

TEST(TcpCapture, FindsTlslabSessionsByTheirClientHelloNotByTheirPort) {
  TempFiles files;
  RecordedSession on_other_port = record_rsa_session();
  RecordedSession on_lab_port = record_rsa_session();
  {
    PcapBuilder pcap(files.path("ports.pcap"));
    auto http = pcap.connect(50010, 4433);
    http.send(true, as_bytes("GET / HTTP/1.1\r\n\r\n"));
    http.send(false, as_bytes("HTTP/1.1 200 OK\r\n\r\n"));
    http.close();
    auto status = pcap.connect(50011, 4434);  // arrows 3-4: handshake frames, not a ClientHello
    status.send(true, std::vector<std::uint8_t>{0x16, 0x01, 0x00, 0x00, 0x04, 0x40, 0x00, 0x00, 0x00});
    status.close();
    auto first = pcap.connect(50012, 9999);
    replay(first, on_other_port.connection);
    auto second = pcap.connect(50013, 4433);
    replay(second, on_lab_port.connection);
  }
  Capture capture = read_capture(files.path("ports.pcap"));
  ASSERT_EQ(capture.connections.size(), 2u);
  EXPECT_EQ(capture.connections[0].server, "127.0.0.1:9999");
  EXPECT_EQ(capture.connections[0].client_bytes, on_other_port.connection.client_bytes);
  EXPECT_EQ(capture.connections[1].server, "127.0.0.1:4433");
  EXPECT_EQ(capture.connections[1].client_bytes, on_lab_port.connection.client_bytes);
}

TEST(TcpCapture, StopsFollowingAConnectionAtTheLimitAndSaysSo) {
  TempFiles files;
  SessionOptions options;
  options.responses = {std::string(3000, 'x'), std::string(3000, 'y')};
  RecordedSession recorded = record_rsa_session(options);
  {
    PcapBuilder pcap(files.path("big.pcap"));
    auto connection = pcap.connect(50020, 4433);
    replay(connection, recorded.connection);
  }
  CaptureLimits limits;
  limits.max_connection_bytes = 4000;
  Capture capture = read_capture(files.path("big.pcap"), limits);
  ASSERT_EQ(capture.connections.size(), 1u);
  const TcpConnection& connection = capture.connections[0];
  EXPECT_EQ(connection.client_bytes.size() + connection.server_bytes.size(), 4000u);
  EXPECT_NE(connection.cut_short.find("followed for its first"), std::string::npos) << connection.cut_short;

  // What fits is still opened, and the session says where the capture stopped.
  auto session = read_session(connection);
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE(session->notes.empty());
  OpenedSession opened = StolenKey(copy_of(server_key())).open(session.value());
  EXPECT_EQ(opened.verdict, Verdict::opened);
}

TEST(TcpCapture, SaysWhenTheCaptureMissedASegmentOrEndedFirst) {
  TempFiles files;
  RecordedSession recorded = record_rsa_session();
  const TcpConnection& session = recorded.connection;
  {
    PcapBuilder pcap(files.path("gaps.pcap"));
    // Each side's last frame (its close_notify, 24 bytes) loses its first 10 bytes; then both FINs.
    auto gap = pcap.connect(50040, 4433);
    replay(gap, session, [](std::size_t n) -> std::vector<Segment> {
      return n == 24 ? std::vector<Segment>{{10, 14}} : std::vector<Segment>{{0, n}};
    });
    // The capture stops before this one closes: no FIN.
    auto open = pcap.connect(50041, 4433);
    open.send(true, ByteView(session.client_bytes).first(200));
  }
  Capture capture = read_capture(files.path("gaps.pcap"));
  ASSERT_EQ(capture.connections.size(), 2u);
  EXPECT_NE(capture.connections[0].cut_short.find("closed while a segment was missing"), std::string::npos)
      << capture.connections[0].cut_short;
  EXPECT_NE(capture.connections[1].cut_short.find("still open when the capture ended"), std::string::npos)
      << capture.connections[1].cut_short;
}

TEST(TcpCapture, AFileThatIsNotACaptureIsALocalError) {
  TempFiles files;
  std::ofstream(files.path("not.pcap")) << "this is not a capture\n";
  EXPECT_THROW(read_capture(files.path("not.pcap")), std::runtime_error);
  EXPECT_THROW(read_capture(files.path("missing.pcap")), std::runtime_error);
}

TEST(TcpCapture, ACaptureWithoutTlslabHasNoConnections) {
  TempFiles files;
  {
    PcapBuilder pcap(files.path("http.pcap"));
    auto http = pcap.connect(50030, 4433);
    http.send(true, as_bytes("GET / HTTP/1.1\r\n\r\n"));
    http.close();
  }
  Capture capture = read_capture(files.path("http.pcap"));
  EXPECT_TRUE(capture.connections.empty());
  EXPECT_EQ(capture.packets, 7u);
}

}  // namespace
}  // namespace tlslab::decrypt::test
