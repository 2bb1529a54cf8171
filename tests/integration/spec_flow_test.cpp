// The spec's rules about the order of a session (docs/PROTOCOL.md §6, §10), with the real server:
// a client that sends a request right after its own Finished, and a session that ends without
// close_notify.
#include <gtest/gtest.h>

#include <thread>

#include "handshake.hpp"
#include "lab.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::integration {
namespace {

// Everything the server sends until it closes.
awaitable<std::string> read_until_closed(net::Channel& channel) {
  std::string received;
  try {
    while (auto content = co_await channel.next_application_data()) received.append(content->begin(), content->end());
  } catch (const ProtocolError&) {
  }
  co_return received;
}

// §6: a client MAY send application data right after its own Finished, before the server's (as
// TLS's False Start does); the server answers it once its own Finished is sent. This client is
// tlslab-client's steps in that order (the CA check left out: the server does not see it).
awaitable<std::string> request_before_the_servers_finished(const client::ClientSettings& settings) {
  tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
  net::Channel channel(std::move(socket), settings.timeouts);
  FlowCursor flow(seed_flow(), Party::client, Party::server);
  crypto::Transcript transcript;
  ClientHello hello;
  hello.random = crypto::random_hello_value();
  hello.cipher_suites = {static_cast<std::uint16_t>(CipherSuite::rsa_oaep_aes_128_gcm_sha256)};
  hello.set_server_name(settings.server_name);
  co_await channel.send(flow, hello, &transcript);
  auto [server_hello, step, frame] = co_await channel.expect<ServerHello>(flow, &transcript);
  ossl::X509Ptr certificate = crypto::parse_certificate_der(server_hello.certificate).take();
  SuiteInfo suite = check_server_hello(hello, server_hello, certificate.get()).take();
  Secret pre_master = make_pre_master(hello.client_version);
  ClientKeyExchange key_exchange{crypto::rsa_oaep_encrypt(X509_get0_pubkey(certificate.get()), pre_master.view())};
  co_await channel.send(flow, key_exchange, &transcript);
  SessionKeys keys = derive_session_keys(suite, std::move(pre_master), hello.random, server_hello.random);
  Finished finished;
  finished.verify_data = crypto::compute_verify_data(suite.hash, keys.master_secret, crypto::FinishedSender::client,
                                                     transcript.hash(suite.hash));
  channel.protect_writes(suite.aead, std::move(keys.keys.client_write));
  co_await channel.send(flow, finished, &transcript);
  // The request now, before the server's Finished has been read.
  std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  co_await channel.write_application_data(as_bytes(request));
  auto expected = crypto::compute_verify_data(suite.hash, keys.master_secret, crypto::FinishedSender::server,
                                              transcript.hash(suite.hash));
  channel.protect_reads(suite.aead, std::move(keys.keys.server_write));
  auto [ack, ack_step, ack_frame] = co_await channel.expect<Finished>(flow, &transcript);
  check_finished(ack, expected, Party::server).take();
  channel.handshake_done();
  co_return co_await read_until_closed(channel);
}

TEST(SessionOrder, ARequestRightAfterTheClientsFinishedIsAnswered) {
  Lab lab;
  std::string response = run_in_this_thread(request_before_the_servers_finished(lab.client_settings()));
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response.substr(0, 200);
}

// §10: EOF without close_notify sends nothing (the connection is gone) and is reported by the
// receiver as a truncation of the session.
TEST(SessionOrder, EofWithoutCloseNotifyIsReportedAsATruncation) {
  Lab lab;
  auto settings = lab.client_settings();
  run_in_this_thread([&]() -> awaitable<int> {
    tcp::socket socket = co_await net::connect_with_deadline(settings.server, settings.timeouts.handshake);
    net::Channel channel(std::move(socket), settings.timeouts);
    net::StatusClient ca_service(settings.ca_service, settings.timeouts);
    TraceOptions quiet;
    quiet.text = false;
    Trace trace(quiet);
    SessionTrace session(trace, 0);
    co_await client::run_handshake(channel, settings, lab.trust(), ca_service, session);
    channel.close();  // no close_notify
    co_return 0;
  }());
  bool reported = false;
  for (int i = 0; i < 200 && !reported; ++i) {
    for (const auto& outcome : lab.service_events().outcomes()) {
      if (outcome.event == "connection ended without close_notify (a truncation)") reported = true;
    }
    if (!reported) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reported) << "the server did not report the truncation";
}

}  // namespace
}  // namespace tlslab::integration
