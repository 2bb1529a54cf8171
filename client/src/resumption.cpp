#include "resumption.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "session_file.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::client {

awaitable<void> run_resumed_handshake(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                      SessionParameters& session, const ClientHello& hello,
                                      const ServerHello& server_hello, std::optional<WireFrame> frame,
                                      const ClientSettings& settings, SessionTrace& trace) {
  const StoredSession* stored = settings.resume.get();
  // A ServerHello that resumes answers a ticket we offered, with the session's own suite.
  auto checked = check_resumed_server_hello(hello, server_hello, stored != nullptr ? stored->cipher_suite : 0);
  if (checked) flow.choose(resumed_flow());
  trace.arrow(flow.last(), std::move(frame), [&] {
    return Described{describe::resumed_server_hello(server_hello), facts_of::server_hello(server_hello)};
  });
  session.suite = std::move(checked).take();
  session.resumed = true;

  // The SESSION MASTER KEY from the session file (the full handshake made it); fresh keys from it
  // and the new randoms.
  SessionKeys keys = resume_session_keys(session.suite, Secret(stored->master_secret.view()), session.client_random,
                                         session.server_random);
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, keys.master_secret);
  trace.local(Party::client, "SESSION MASTER KEY", describe::session_keys_step(session.suite, true), [&] {
    return Described{describe::session_keys(keys, trace.shows_secrets()),
                     facts_of::session_keys(session.suite, keys, session.client_random, session.server_random,
                                            trace.shows_secrets(), true)};
  });

  // (6) Client → Server: the test message, under the fresh keys
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

  // (7) Server → Client: the ACK, which only a server that opened the ticket can make
  hash = transcript.hash(session.suite.hash);
  auto expected =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::server, hash);
  channel.protect_reads(session.suite.aead, std::move(keys.keys.server_write));
  auto received_ack = co_await channel.expect<Finished>(flow, &transcript);
  const Finished& ack = received_ack.message;
  check_finished(ack, expected, Party::server).take();
  channel.handshake_done();
  trace.arrow(received_ack.step, std::move(received_ack.frame), [&] {
    return Described{
        describe::finished(ack, hash, true),
        facts_of::finished(session.suite, {Party::server, ack.verify_data, hash, &keys.master_secret, expected},
                           trace.shows_secrets())};
  });
}

awaitable<void> receive_session_ticket(net::Channel& channel, FlowCursor& flow, const SessionParameters& session,
                                       const Secret& master_secret, std::time_t next_update,
                                       const ClientSettings& settings, SessionTrace& trace) {
  auto received = co_await channel.expect<NewSessionTicket>(flow, nullptr);
  const NewSessionTicket& ticket = received.message;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::int64_t expires = now + static_cast<std::int64_t>(ticket.ticket_lifetime_hint);
  if (next_update > 0) expires = std::min<std::int64_t>(expires, static_cast<std::int64_t>(next_update));
  trace.arrow(received.step, std::move(received.frame), [&] {
    auto fields = describe::new_session_ticket(ticket);
    fields.push_back({"kept until",
                      utc_time(static_cast<std::time_t>(expires)) +
                          ": the earlier of the lifetime hint and the CA answer's nextUpdate (" +
                          (next_update > 0 ? utc_time(next_update) : std::string("none")) + ")",
                      TraceColor::plain});
    return Described{std::move(fields), EventFacts{}};
  });
  if ((!settings.session_file && !settings.keep_session) || ticket.ticket_lifetime_hint == 0) co_return;
  StoredSession stored;
  stored.server_name = settings.server_name;
  stored.cipher_suite = static_cast<std::uint16_t>(session.suite.suite);
  stored.master_secret = Secret(master_secret.view());
  stored.ticket = ticket.ticket;
  stored.expires = expires;
  if (settings.keep_session) {
    settings.keep_session(std::move(stored));
    co_return;
  }
  try {
    save_session(*settings.session_file, stored);
  } catch (const std::exception& e) {
    // The session itself is fine: only the next one will not resume.
    spdlog::warn("the session ticket is not kept: {}", e.what());
  }
}

}  // namespace tlslab::client
