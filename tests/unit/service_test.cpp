// net::serve (service.hpp): a listener whose accept loop fails is reported, and the service stops
// with a non-zero status; it never dies silently while the process stays up.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <future>
#include <sstream>

#include "tlslab/failure_reason.hpp"
#include "tlslab/logging.hpp"
#include "tlslab/net/service.hpp"

namespace tlslab::net {
namespace {

TEST(Serve, AFailingAcceptLoopIsReportedAndStopsTheService) {
  std::ostringstream log_text;
  auto log = make_escaping_logger("tlslab-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text));
  std::promise<std::uint16_t> port;
  ServiceRun run{1, 16, log, [&](std::span<const tcp::endpoint> bound) { port.set_value(bound[0].port()); }};
  // A handler that throws before it returns its coroutine: the exception leaves the accept loop.
  ConnectionHandler broken = [](tcp::socket, std::uint64_t) -> awaitable<void> {
    throw std::runtime_error("the handler could not start");
  };
  auto served = std::async(std::launch::async, [&] {
    return serve({{tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), broken}}, run);
  });
  std::uint16_t listening = port.get_future().get();
  asio::io_context io;
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), listening));
  // A hang detector, not a timing assertion: a silently dead listener never returns.
  ASSERT_EQ(served.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "the service kept running";
  EXPECT_EQ(served.get(), 1);
  EXPECT_NE(log_text.str().find("the listener on 127.0.0.1:"), std::string::npos) << log_text.str();
  EXPECT_NE(log_text.str().find("the handler could not start; stopping"), std::string::npos) << log_text.str();
}

}  // namespace
}  // namespace tlslab::net

namespace tlslab {
namespace {

// The one line a handler logs for a coroutine that ended on an exception.
TEST(FailureReason, NamesAStandardExceptionAndCallsAnyOtherUnknown) {
  EXPECT_EQ(failure_reason(std::make_exception_ptr(std::runtime_error("the CA is down"))), "the CA is down");
  EXPECT_EQ(failure_reason(std::make_exception_ptr(42)), "unknown error");
}

}  // namespace
}  // namespace tlslab
