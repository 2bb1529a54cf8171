// The order of the handshake as data (handshake_flow.hpp): each side may only send its next step,
// and anything else received is unexpected_message.
#include <gtest/gtest.h>

#include "test_support.hpp"
#include "tlslab/handshake_flow.hpp"

namespace tlslab {
namespace {

using test::alert_of;

TEST(SeedFlow, IsTheDiagramsSevenHandshakeArrows) {
  const Flow& flow = seed_flow();
  ASSERT_EQ(flow.steps.size(), 7u);
  for (std::size_t i = 0; i < flow.steps.size(); ++i) EXPECT_EQ(flow.steps[i].arrow, static_cast<int>(i + 1));
  EXPECT_EQ(flow.steps[2].to, Party::ca);
  EXPECT_EQ(flow.steps[3].from, Party::ca);
}

TEST(FlowCursor, TheServerSeesItsLinkOnly) {
  FlowCursor server(seed_flow(), Party::server, Party::client);
  ASSERT_TRUE(server.receive(HandshakeType::client_hello));
  EXPECT_EQ(server.send(HandshakeType::server_hello).arrow, 2);
  // Arrows 3 and 4 are between client and CA: next is the ClientKeyExchange.
  auto key_exchange = server.receive(HandshakeType::client_key_exchange);
  ASSERT_TRUE(key_exchange);
  EXPECT_EQ(key_exchange.value()->arrow, 5);
  auto finished = server.receive(HandshakeType::finished);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished.value()->name, "Finished (test message)");
  EXPECT_EQ(server.send(HandshakeType::finished).arrow, 7);
  EXPECT_TRUE(server.complete());
}

TEST(FlowCursor, OutOfOrderIsUnexpectedMessage) {
  FlowCursor server(seed_flow(), Party::server, Party::client);
  EXPECT_EQ(alert_of(server.receive(HandshakeType::client_key_exchange)), AlertDescription::unexpected_message);
  FlowCursor again(seed_flow(), Party::server, Party::client);
  ASSERT_TRUE(again.receive(HandshakeType::client_hello));
  // Its own turn: nothing may come from the client now, not even a second ClientHello.
  EXPECT_EQ(alert_of(again.receive(HandshakeType::client_hello)), AlertDescription::unexpected_message);
}

TEST(FlowCursor, NothingIsExpectedOnceComplete) {
  FlowCursor client(seed_flow(), Party::client, Party::ca);
  client.send(HandshakeType::status_request);
  ASSERT_TRUE(client.receive(HandshakeType::status_response));
  EXPECT_TRUE(client.complete());
  EXPECT_EQ(alert_of(client.receive(HandshakeType::status_response)), AlertDescription::unexpected_message);
}

TEST(FlowCursor, SendingOutOfOrderIsABug) {
  FlowCursor client(seed_flow(), Party::client, Party::server);
  EXPECT_THROW(client.send(HandshakeType::finished), std::logic_error);
}

}  // namespace
}  // namespace tlslab
