// Cutting a reassembled direction into frames with the codec, and putting both directions back
// in capture order.
#include <gtest/gtest.h>

#include "frame_stream.hpp"

namespace tlslab::decrypt::test {
namespace {

TEST(FrameStream, ATlslabConnectionStartsWithAClientHelloFrame) {
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x01, 0x00, 0x00, 0x3e, 0x01}), true);
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x01, 0x00, 0x00, 0x3e}), std::nullopt);  // not yet known
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x01, 0x00, 0x00, 0x3e, 0x40}), false);   // a status request
  EXPECT_EQ(looks_like_client_hello(Bytes{0x15, 0x01, 0x00, 0x00, 0x02, 0x01}), false);   // an alert
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x03, 0x01, 0x00, 0x3e, 0x01}), false);   // real TLS
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x01, 0x00, 0x00, 0x00, 0x01}), false);   // length 0
  EXPECT_EQ(looks_like_client_hello(Bytes{0x16, 0x01, 0x00, 0x40, 0x01, 0x01}), false);   // over 2^14
  EXPECT_EQ(looks_like_client_hello(as_bytes("GET / HTTP/1.1\r\n")), false);
}

TEST(FrameStream, FramesAreCutByTheirHeadersAndStopWhereTheCodecDoes) {
  Bytes stream = encode_frame(ContentType::handshake, Bytes{1, 2, 3});
  append(stream, encode_frame(ContentType::alert, Bytes{2, 40}));
  Bytes whole = stream;
  append(stream, Bytes{0x63, 0x01, 0x00, 0x00, 0x01, 0x00});  // content type 99
  std::vector<Arrival> arrivals = {{Direction::client_to_server, stream.size()}};
  auto frames = split_frames(stream, Direction::client_to_server, arrivals);
  ASSERT_EQ(frames.frames.size(), 2u);
  EXPECT_EQ(frames.frames[0].header.type, ContentType::handshake);
  EXPECT_EQ(frames.frames[0].fragment.size(), 3u);
  EXPECT_EQ(frames.frames[1].header.type, ContentType::alert);
  EXPECT_NE(frames.stopped.find("offset 15 are not a tlslab frame"), std::string::npos) << frames.stopped;

  whole.pop_back();  // the alert is cut short
  auto cut = split_frames(whole, Direction::client_to_server, arrivals);
  EXPECT_EQ(cut.frames.size(), 1u);
  EXPECT_NE(cut.stopped.find("ends inside a frame (6 of 7 bytes)"), std::string::npos) << cut.stopped;
}

TEST(FrameStream, BothDirectionsComeBackInTheOrderTheirLastBytesArrived) {
  Bytes one = encode_frame(ContentType::alert, Bytes{1, 0});
  Bytes client = one, server = one;
  append(client, one);
  append(server, one);
  // client frame 1 arrives in two pieces, the server's first frame between them; then the rest.
  std::vector<Arrival> arrivals = {{Direction::client_to_server, 3},
                                   {Direction::server_to_client, 7},
                                   {Direction::client_to_server, 7},
                                   {Direction::server_to_client, 14},
                                   {Direction::client_to_server, 14}};
  auto merged = in_capture_order(split_frames(client, Direction::client_to_server, arrivals),
                                 split_frames(server, Direction::server_to_client, arrivals));
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].from, Direction::server_to_client);
  EXPECT_EQ(merged[1].from, Direction::client_to_server);
  EXPECT_EQ(merged[2].from, Direction::server_to_client);
  EXPECT_EQ(merged[3].from, Direction::client_to_server);
}

}  // namespace
}  // namespace tlslab::decrypt::test
