// Channel over real loopback sockets, in one thread: a peer that keeps its socket always readable
// must not keep the thread from the other sessions (Channel reads without waiting while data is
// there, and lets the others run after a short run of such reads).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdint>
#include <exception>
#include <vector>

#include "tlslab/frame.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab::net {
namespace {

struct SocketPair {
  tcp::socket client;
  tcp::socket server;
};

SocketPair connected_pair(asio::io_context& io, tcp::acceptor& acceptor) {
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

// Writes whole frames without waiting until the kernel takes no more; returns the bytes written.
std::size_t fill_with_frames(tcp::socket& socket, std::size_t limit) {
  const Bytes frame = encode_frame(ContentType::handshake, Bytes(max_plaintext, 0x42));
  socket.non_blocking(true);
  std::size_t written = 0;
  while (written < limit) {
    boost::system::error_code error;
    std::size_t count = asio::write(socket, asio::buffer(frame), error);
    written += count;
    if (error) break;  // would block: the socket buffers are full
  }
  return written;
}

TEST(Channel, AlwaysReadablePeerLetsOtherSessionsOnItsThreadRun) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  SocketPair flood = connected_pair(io, acceptor);
  SocketPair quiet = connected_pair(io, acceptor);
  // Large kernel buffers, so that megabytes are ready at once (the FORCE options need root, as
  // the CI has; without them the test is skipped below).
  int size = 4 << 20;
  ::setsockopt(flood.server.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  ::setsockopt(flood.client.native_handle(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);

  // Everything the flooding peer will send is already in the kernel, and so is the quiet peer's
  // one message: both sessions are ready from the first moment.
  std::size_t flooded = fill_with_frames(flood.client, 32u << 20);
  if (flooded < (4u << 20)) GTEST_SKIP() << "the kernel buffered only " << flooded << " bytes";
  const Bytes hello = encode_frame(ContentType::handshake, Bytes{1, 2, 3});
  asio::write(quiet.client, asio::buffer(hello));

  Timeouts timeouts{std::chrono::seconds(10), std::chrono::seconds(10)};
  Channel flooded_channel(std::move(flood.server), timeouts);
  Channel quiet_channel(std::move(quiet.server), timeouts);
  std::size_t read_from_flood = 0;
  std::size_t read_from_flood_when_quiet_done = 0;
  bool quiet_done = false;
  std::exception_ptr failure;
  auto report = [&failure](std::exception_ptr error) {
    if (error && !failure) failure = error;
  };
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        while (read_from_flood + frame_header_size + max_plaintext <= flooded) {
          Bytes message = co_await flooded_channel.read_handshake();
          read_from_flood += frame_header_size + message.size();
        }
      },
      report);
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        Bytes message = co_await quiet_channel.read_handshake();
        EXPECT_EQ(message, (Bytes{1, 2, 3}));
        read_from_flood_when_quiet_done = read_from_flood;
        quiet_done = true;
      },
      report);
  io.run();
  if (failure) std::rethrow_exception(failure);

  ASSERT_TRUE(quiet_done);
  EXPECT_EQ(read_from_flood, flooded - flooded % (frame_header_size + max_plaintext));
  // The quiet session got its turn long before the flood was drained (at most a few MiB in).
  EXPECT_LT(read_from_flood_when_quiet_done, flooded / 2)
      << "the quiet session waited for " << read_from_flood_when_quiet_done << " of " << flooded << " flooded bytes";
}

}  // namespace
}  // namespace tlslab::net
