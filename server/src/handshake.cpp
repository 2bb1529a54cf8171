#include "handshake.hpp"

#include "client_certificate.hpp"
#include "pre_master.hpp"
#include "resumption.hpp"
#include "server_hello.hpp"
#include "stapler.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::server {

awaitable<SessionParameters> run_handshake(net::Channel& channel, const ServerIdentity& identity,
                                           const ServerSettings& settings, SessionTrace& trace) {
  FlowCursor flow(seed_flow(), Party::server, Party::client);
  crypto::Transcript transcript;
  SessionParameters session;
  channel.record_frames(trace.enabled());

  // (1) Client → Server: ClientHello (RAND-CLIENT, version, cipher suites)
  auto received_hello = co_await channel.expect<ClientHello>(flow, &transcript);
  const ClientHello& hello = received_hello.message;
  session.client_random = hello.random;
  session.server_name = hello.server_name().value_or("");
  trace.arrow(received_hello.step, std::move(received_hello.frame), [&] {
    return Described{describe::client_hello(hello), facts_of::client_hello(hello)};
  });
  ProtocolVersion version = negotiate_version(hello.client_version).take();
  // §7.8: a ticket that opens resumes its session (arrows 2, 6, 7); any other, a full handshake.
  if (auto resumable = accept_ticket(hello, version, settings, trace)) {
    co_await run_resumed_handshake(channel, flow, transcript, session, version, std::move(*resumable), settings, trace);
    co_return session;
  }
  // A client that offered session_ticket gets a NewSessionTicket after a full handshake (not from a
  // server that asks for client certificates: a ticket does not hold one, so it never resumes).
  const bool ticket =
      settings.tickets != nullptr && settings.client_auth == ClientAuth::none && hello.session_ticket().has_value();
  auto group = choose_group(hello.key_share_groups().value_or(std::vector<std::uint16_t>{}), settings.groups);
  session.suite = choose_suite(hello.cipher_suites, settings.suites, ability_of(identity.key.get(), group)).take();
  // §7.7: ask for the client's certificate? (certificate_required when it is required and not offered)
  bool mutual = ask_for_certificate(settings.client_auth, hello).take();
  // §9.1: the staple, only when asked for, and only one that has not expired.
  std::shared_ptr<const Staple> staple =
      hello.asks_for_staple() && settings.stapler ? settings.stapler->current() : nullptr;
  flow.choose(flow_for(FlowVariant{session.suite.key_exchange, staple != nullptr, mutual, ticket}));

  // (2) Server → Client: ServerHello (RAND-SERVER, suite, CERTIFICATE, SERVER'S PUBLIC KEY; with
  // ECDHE also its ephemeral key share, signed with the CERTIFICATE's key)
  std::optional<crypto::EphemeralKey> ephemeral;
  if (session.suite.key_exchange == KeyExchange::ecdhe) ephemeral = crypto::EphemeralKey::generate(*group);
  session.server_random = crypto::random_hello_value();
  if (staple) session.staple = staple->status;
  ServerHello server_hello =
      make_server_hello({version, session.suite, ephemeral ? &*ephemeral : nullptr, staple.get(), mutual}, identity,
                        hello.random, session.server_random);
  if (ticket) server_hello.set_ticket_mode(TicketMode::new_ticket);
  auto sent_hello = co_await channel.send(flow, server_hello, &transcript);
  trace.arrow(sent_hello.step, std::move(sent_hello.frame), [&] {
    return Described{describe_server_hello(server_hello, identity, staple.get()), facts_of::server_hello(server_hello)};
  });

  // (5) Client → Server: PRE-MASTER, encrypted with SERVER'S PUBLIC KEY (or, with ECDHE, the
  // client's key share: the PRE-MASTER is never sent); when asked, the client's CERTIFICATE and
  // CertificateVerify too
  ReceivedKeyExchange received = co_await receive_pre_master(channel, flow, transcript, identity, hello,
                                                             ephemeral ? &*ephemeral : nullptr, mutual, trace);
  ephemeral.reset();  // forward secrecy: the ephemeral key is gone once the PRE-MASTER is made
  Secret pre_master = std::move(received.pre_master);

  // (3)–(4), mirrored: the client's CERTIFICATE checked here, then Server → CA → Server about it
  if (mutual) session.client = co_await authenticate_client(received, transcript, session.suite, settings, trace);
  // §7.7: only now, the client authenticated (its CertificateVerify covers the key exchange), is the
  // key exchange used; a key share that gives no PRE-MASTER is refused here (§7.6, illegal_parameter).
  std::move(received.key_exchange).take();

  // Server creates the SESSION MASTER KEY from RAND-CLIENT, PRE-MASTER and RAND-SERVER.
  SessionKeys keys =
      derive_session_keys(session.suite, std::move(pre_master), session.client_random, session.server_random);
  trace.local(Party::server, "SESSION MASTER KEY", describe::session_keys_step(session.suite, false), [&] {
    return Described{describe::session_keys(keys, trace.shows_secrets()),
                     facts_of::session_keys(session.suite, keys, session.client_random, session.server_random,
                                            trace.shows_secrets())};
  });

  // (6) Client → Server: the test message (client Finished), encrypted
  Bytes hash = transcript.hash(session.suite.hash);
  auto expected =
      crypto::compute_verify_data(session.suite.hash, keys.master_secret, crypto::FinishedSender::client, hash);
  channel.protect_reads(session.suite.aead, std::move(keys.keys.client_write));
  auto received_finished = co_await channel.expect<Finished>(flow, &transcript);
  const Finished& finished = received_finished.message;
  check_finished(finished, expected, Party::client).take();
  // Only now: a peer that never proves the keys leaves no line in the key log (nor fills the disk).
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, keys.master_secret);
  trace.arrow(received_finished.step, std::move(received_finished.frame), [&] {
    return Described{
        describe::finished(finished, hash, true),
        facts_of::finished(session.suite, {Party::client, finished.verify_data, hash, &keys.master_secret, expected},
                           trace.shows_secrets())};
  });

  // (7) Server → Client: the ACK (server Finished), encrypted
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
  if (ticket) co_await send_new_session_ticket(channel, flow, session, version, keys.master_secret, settings, trace);
  co_return session;
}

}  // namespace tlslab::server
