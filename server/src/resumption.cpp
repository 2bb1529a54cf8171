#include "resumption.hpp"

#include <algorithm>
#include <ctime>

#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::server {
namespace {

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

void not_resumed(SessionTrace& trace, std::string why) {
  trace.local(Party::server, "does not resume: full handshake",
              "the ticket offered does not resume a session here, "
              "so the server goes on with a full handshake (never an error, §7.8)",
              [&] {
                return std::vector<TraceField>{{"why", why, TraceColor::plain}};
              });
}

}  // namespace

std::optional<crypto::TicketState> accept_ticket(const ClientHello& hello, ProtocolVersion version,
                                                 const ServerSettings& settings, SessionTrace& trace) {
  auto offered = hello.session_ticket();
  if (!offered || offered->empty() || !settings.tickets) return std::nullopt;
  if (settings.client_auth != ClientAuth::none) {
    // A ticket does not hold the client's certificate: a server that asks for one authenticates it
    // on every handshake.
    not_resumed(trace, "this server asks for client certificates (--client-auth), which a ticket does not hold");
    return std::nullopt;
  }
  crypto::TicketOpening opened = settings.tickets->open(*offered, now());
  if (!opened.state) {
    not_resumed(trace, opened.why_not);
    return std::nullopt;
  }
  std::uint16_t suite = opened.state->cipher_suite;
  bool offered_suite =
      std::find(hello.cipher_suites.begin(), hello.cipher_suites.end(), suite) != hello.cipher_suites.end();
  bool accepted = std::any_of(settings.suites.begin(), settings.suites.end(),
                              [&](CipherSuite ours) { return static_cast<std::uint16_t>(ours) == suite; });
  if (opened.state->version != version || !offered_suite || !accepted || !suite_info(suite)) {
    not_resumed(trace, "the ticket's session uses " + suite_name(suite) +
                           ", which this ClientHello does not offer or this server no longer accepts");
    return std::nullopt;
  }
  return std::move(opened.state);
}

awaitable<void> run_resumed_handshake(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                      SessionParameters& session, ProtocolVersion version, crypto::TicketState state,
                                      const ServerSettings& settings, SessionTrace& trace) {
  flow.choose(resumed_flow());
  session.resumed = true;
  session.suite = *suite_info(state.cipher_suite);

  // (2) Server → Client: ServerHello, resumed form: RAND-SERVER, the session's suite, no
  // CERTIFICATE, no SERVER'S PUBLIC KEY
  session.server_random = crypto::random_hello_value();
  ServerHello server_hello;
  server_hello.server_version = version;
  server_hello.random = session.server_random;
  server_hello.cipher_suite = state.cipher_suite;
  server_hello.set_ticket_mode(TicketMode::resumed);
  auto sent_hello = co_await channel.send(flow, server_hello, &transcript);
  trace.arrow(sent_hello.step, std::move(sent_hello.frame), [&] {
    return Described{describe::resumed_server_hello(server_hello, state.created), facts_of::server_hello(server_hello)};
  });

  // The SESSION MASTER KEY from the ticket; fresh keys from it and the new randoms.
  SessionKeys keys =
      resume_session_keys(session.suite, std::move(state.master_secret), session.client_random, session.server_random);
  trace.local(Party::server, "SESSION MASTER KEY", describe::session_keys_step(session.suite, true), [&] {
    return Described{describe::session_keys(keys, trace.shows_secrets()),
                     facts_of::session_keys(session.suite, keys, session.client_random, session.server_random,
                                            trace.shows_secrets(), true)};
  });

  // (6) Client → Server: the test message, under the fresh keys
  Bytes hash = transcript.hash(session.suite.hash);
  auto expected =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::client, hash);
  channel.protect_reads(session.suite.aead, std::move(keys.keys.client_write));
  auto received_finished = co_await channel.expect<Finished>(flow, &transcript);
  const Finished& finished = received_finished.message;
  check_finished(finished, expected, Party::client).take();
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, keys.master_secret);
  trace.arrow(received_finished.step, std::move(received_finished.frame), [&] {
    return Described{
        describe::finished(finished, hash, true),
        facts_of::finished(session.suite, {Party::client, finished.verify_data, hash, &keys.master_secret, expected},
                           trace.shows_secrets())};
  });

  // (7) Server → Client: the ACK
  hash = transcript.hash(session.suite.hash);
  Finished ack;
  ack.verify_data =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::server, hash);
  channel.protect_writes(session.suite.aead, std::move(keys.keys.server_write));
  auto sent_ack = co_await channel.send(flow, ack, &transcript);
  channel.handshake_done();
  trace.arrow(sent_ack.step, std::move(sent_ack.frame), [&] {
    return Described{describe::finished(ack, hash, false),
                     facts_of::finished(session.suite, {Party::server, ack.verify_data, hash, &keys.master_secret, {}},
                                        trace.shows_secrets())};
  });
}

awaitable<void> send_new_session_ticket(net::Channel& channel, FlowCursor& flow, const SessionParameters& session,
                                        ProtocolVersion version, const Secret& master_secret,
                                        const ServerSettings& settings, SessionTrace& trace) {
  crypto::TicketState state;
  state.version = version;
  state.cipher_suite = static_cast<std::uint16_t>(session.suite.suite);
  state.master_secret = Secret(master_secret.view());
  state.created = now();
  NewSessionTicket ticket;
  ticket.ticket = settings.tickets->seal(std::move(state), now());
  ticket.ticket_lifetime_hint = static_cast<std::uint32_t>(settings.tickets->lifetime().count());
  // Not in the transcript: both Finished are behind us (§7.8); the record layer protects it.
  auto sent = co_await channel.send(flow, ticket, nullptr);
  trace.arrow(sent.step, std::move(sent.frame), [&] {
    return Described{describe::new_session_ticket(ticket), EventFacts{}};
  });
}

}  // namespace tlslab::server
