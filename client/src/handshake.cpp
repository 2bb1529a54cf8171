#include "handshake.hpp"

#include "certificate_status.hpp"
#include "client_hello.hpp"
#include "pre_master.hpp"
#include "resumption.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::client {

awaitable<SessionParameters> run_handshake(net::Channel& channel, const ClientSettings& settings,
                                           const crypto::TrustStore& trust, net::StatusClient& ca_service,
                                           SessionTrace& trace) {
  FlowCursor flow(seed_flow(), Party::client, Party::server);
  crypto::Transcript transcript;
  SessionParameters session;
  channel.record_frames(trace.enabled());

  // (1) Client → Server: ClientHello (RAND-CLIENT, version, cipher suites)
  session.client_random = crypto::random_hello_value();
  const ClientHello hello = make_client_hello(settings, session.client_random);
  auto sent_hello = co_await channel.send(flow, hello, &transcript);
  trace.arrow(sent_hello.step, std::move(sent_hello.frame), [&] {
    return Described{describe::client_hello(hello), facts_of::client_hello(hello)};
  });

  // (2) Server → Client: ServerHello (RAND-SERVER, suite, CERTIFICATE, SERVER'S PUBLIC KEY)
  auto received_hello = co_await channel.expect<ServerHello>(flow, &transcript);
  const ServerHello& server_hello = received_hello.message;
  session.server_random = server_hello.random;
  if (server_hello.resumed()) {
    // §7.8: the server accepted the ticket: arrows 6 and 7 with fresh keys from the ticket's master secret.
    co_await run_resumed_handshake(channel, flow, transcript, session, hello, server_hello,
                                   std::move(received_hello.frame), settings, trace);
    co_return session;
  }
  if (hello.session_ticket() && !hello.session_ticket()->empty()) {
    trace.local(Party::client, "not resumed: full handshake",
                "the server did not accept the ticket offered (expired, rotated out, or not its own), so the "
                "handshake is a full one: CERTIFICATE, the CA's answer, PRE-MASTER",
                [&] { return std::vector<TraceField>{}; });
  }
  const bool ticket = server_hello.ticket_mode() == TicketMode::new_ticket;
  ossl::X509Ptr certificate = trust.memo().parse(server_hello.certificate).take();
  session.certificate_subject = crypto::subject_of(certificate.get());
  session.certificate_serial = crypto::serial_hex(certificate.get());
  auto checked = check_server_hello(hello, server_hello, certificate.get());
  if (checked) {
    // The variant's words for arrows 2 to 5: ECDHE, a staple, a request for our certificate.
    flow.choose(flow_for(FlowVariant{checked->key_exchange, server_hello.staple().has_value(),
                                     server_hello.certificate_request().has_value(), ticket}));
  }
  trace.arrow(flow.last(), std::move(received_hello.frame), [&] {
    return Described{describe::server_hello(server_hello, certificate.get(), checked.ok()),
                     facts_of::server_hello(server_hello)};
  });
  session.suite = std::move(checked).take();
  // The step is drawn whether it passes or not: a refused CERTIFICATE is the step that failed, in
  // red, with the values each check compared.
  auto verified = crypto::verify_server_certificate(trust, certificate.get(), settings.server_name);
  trace.local(Party::client, verified ? "checks the CERTIFICATE locally" : "checks the CERTIFICATE locally: FAILED",
              verified
                  ? "SERVER'S PUBLIC KEY equals the CERTIFICATE's; chain to the trusted CA, validity period, host name"
                  : "the CERTIFICATE is refused (the check in red); the client ends the handshake with an alert",
              [&] {
                std::time_t now = std::time(nullptr);
                return Described{describe::certificate_check(trust, certificate.get(), settings.server_name,
                                                             verified ? nullptr : &verified.failure(), now),
                                 facts_of::certificate_check(trust, certificate.get(), settings.server_name, now)};
              });
  std::move(verified).take();

  // (3)–(4): the CA's signed answer about the CERTIFICATE, stapled by the server ahead of time, or
  // asked for by the client itself (Client → CA, CA → Client), as --ca-check says
  CertificateStatus status = co_await check_certificate_status(settings, trust, ca_service, server_hello,
                                                               certificate.get(), flow.flow(), trace);
  session.stapled = status.stapled;

  // (5) Client → Server: a new random PRE-MASTER, encrypted with SERVER'S PUBLIC KEY (or, with
  // ECDHE, the client's key share: the PRE-MASTER is never sent)
  Secret pre_master = co_await send_pre_master(channel, flow, transcript, session.suite, hello, server_hello,
                                               certificate.get(), settings.identity.get(), trace);

  // Client creates the SESSION MASTER KEY from RAND-CLIENT, PRE-MASTER and RAND-SERVER.
  SessionKeys keys =
      derive_session_keys(session.suite, std::move(pre_master), session.client_random, session.server_random);
  // Written now, before the Finished: the key log is how a user decrypts a handshake that fails there.
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, keys.master_secret);
  trace.local(Party::client, "SESSION MASTER KEY", describe::session_keys_step(session.suite, false), [&] {
    return Described{describe::session_keys(keys, trace.shows_secrets()),
                     facts_of::session_keys(session.suite, keys, session.client_random, session.server_random,
                                            trace.shows_secrets())};
  });

  // (6) Client → Server: the test message (client Finished), encrypted
  Bytes hash = transcript.hash(session.suite.hash);
  Finished finished;
  finished.verify_data =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::client, hash);
  channel.protect_writes(session.suite.aead, std::move(keys.keys.client_write));
  auto sent_finished = co_await channel.send(flow, finished, &transcript);
  trace.arrow(sent_finished.step, std::move(sent_finished.frame), [&] {
    return Described{
        describe::finished(finished, hash, false),
        facts_of::finished(session.suite, {Party::client, finished.verify_data, hash, &keys.master_secret, {}},
                           trace.shows_secrets())};
  });

  // (7) Server → Client: the ACK (server Finished), encrypted
  hash = transcript.hash(session.suite.hash);
  auto expected =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::server, hash);
  channel.protect_reads(session.suite.aead, std::move(keys.keys.server_write));
  auto received_ack = co_await channel.expect<Finished>(flow, &transcript);
  const Finished& ack = received_ack.message;
  check_finished(ack, expected, Party::server).take();
  trace.arrow(received_ack.step, std::move(received_ack.frame), [&] {
    return Described{
        describe::finished(ack, hash, true),
        facts_of::finished(session.suite, {Party::server, ack.verify_data, hash, &keys.master_secret, expected},
                           trace.shows_secrets())};
  });
  // §7.8: the ticket for next time, kept no longer than the CA's answer this session relied on.
  if (ticket)
    co_await receive_session_ticket(channel, flow, session, keys.master_secret, status.next_update, settings, trace);
  channel.handshake_done();
  co_return session;
}

}  // namespace tlslab::client
