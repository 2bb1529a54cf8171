#include "handshake.hpp"

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::server {

awaitable<SessionParameters> run_handshake(net::Channel& channel, const ServerIdentity& identity,
                                           const ServerSettings& settings, Trace& trace, std::uint64_t connection) {
  crypto::Transcript transcript;
  SessionParameters session;

  // (1) Client → Server: ClientHello (RAND-CLIENT, version, cipher suites)
  ClientHello hello = co_await channel.expect<ClientHello>(&transcript);
  session.client_random = hello.random;
  session.server_name = hello.server_name().value_or("");
  trace.step(connection, {1, "Client", "Server", "ClientHello", std::string(arrow_description(1)),
                          {{"RAND-CLIENT", to_hex(hello.random), TraceColor::rand_client},
                           {"version", std::string(to_string(hello.client_version)), TraceColor::plain},
                           {"cipher suites", suite_list(hello.cipher_suites), TraceColor::cipher_suites},
                           {"server name", session.server_name, TraceColor::plain}}});
  ProtocolVersion version = negotiate_version(hello.client_version).take();
  auto suite = choose_suite(hello.cipher_suites, settings.suites);
  if (!suite) {
    std::vector<std::uint16_t> accepted;
    for (auto s : settings.suites) accepted.push_back(static_cast<std::uint16_t>(s));
    throw ProtocolError(AlertDescription::handshake_failure, "no cipher suite in common: the client offers " +
                                                                 suite_list(hello.cipher_suites) +
                                                                 "; this server accepts " + suite_list(accepted));
  }
  session.suite = *suite;

  // (2) Server → Client: ServerHello (RAND-SERVER, suite, CERTIFICATE, SERVER'S PUBLIC KEY)
  ServerHello server_hello;
  server_hello.server_version = version;
  server_hello.random = crypto::random_hello_value();
  server_hello.cipher_suite = static_cast<std::uint16_t>(suite->suite);
  server_hello.certificate = identity.certificate_der;
  server_hello.server_public_key = identity.public_key_der;
  session.server_random = server_hello.random;
  co_await channel.send(server_hello, transcript);
  trace.step(connection, {2, "Server", "Client", "ServerHello", std::string(arrow_description(2)),
                          {{"RAND-SERVER", to_hex(server_hello.random), TraceColor::rand_server},
                           {"cipher suite", std::string(suite->name), TraceColor::cipher_suites},
                           {"CERTIFICATE", identity.subject + ", serial " + identity.serial, TraceColor::certificate},
                           {"SERVER'S PUBLIC KEY", hex_field(identity.public_key_der, 24), TraceColor::public_key}}});

  // (5) Client → Server: PRE-MASTER, encrypted with SERVER'S PUBLIC KEY
  ClientKeyExchange key_exchange = co_await channel.expect<ClientKeyExchange>(&transcript);
  Secret pre_master = recover_pre_master(*identity.decryptor, key_exchange.encrypted_pre_master, hello.client_version);
  trace.step(connection, {5, "Client", "Server", "ClientKeyExchange", std::string(arrow_description(5)),
                          {{"PRE-MASTER (encrypted)", hex_field(key_exchange.encrypted_pre_master, 24),
                            TraceColor::pre_master},
                           secret_field(trace, "PRE-MASTER", pre_master.view(), TraceColor::pre_master)}});

  // Server creates the SESSION MASTER KEY from RAND-CLIENT, PRE-MASTER and RAND-SERVER.
  Secret master_secret =
      crypto::derive_master_secret(suite->hash, pre_master, session.client_random, session.server_random);
  pre_master.wipe();
  crypto::KeyBlock keys =
      crypto::derive_key_block(*suite, master_secret, session.client_random, session.server_random);
  trace.step(connection,
             {0, "Server", "Server", "SESSION MASTER KEY",
              "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, " +
                  std::string(to_string(suite->hash)) + ")",
              {secret_field(trace, "SESSION MASTER KEY", master_secret.view(), TraceColor::master_key),
               secret_field(trace, "client write key", keys.client_write.key.view(), TraceColor::master_key),
               secret_field(trace, "server write key", keys.server_write.key.view(), TraceColor::master_key)}});
  auto expected_verify_data = crypto::compute_verify_data(suite->hash, master_secret, crypto::FinishedSender::client,
                                                          transcript.hash(suite->hash));
  channel.protect_reads(suite->aead, std::move(keys.client_write));

  // (6) Client → Server: the test message (client Finished), encrypted
  Bytes finished_message = co_await channel.read_handshake();
  Finished finished = decode_handshake<Finished>(finished_message).take();
  if (!constant_time_equal(finished.verify_data, expected_verify_data)) {
    throw ProtocolError(AlertDescription::decrypt_error,
                        "client Finished does not verify: the two sides saw different handshake bytes");
  }
  transcript.add(finished_message);
  // Only now: a peer that never proves the keys leaves no line in the key log (nor fills the disk).
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, master_secret);
  trace.step(connection, {6, "Client", "Server", "Finished (test message)", std::string(arrow_description(6)),
                          {{"verify_data", to_hex(finished.verify_data), TraceColor::master_key},
                           {"check", "decrypted and verified", TraceColor::good}}});

  // (7) Server → Client: the ACK (server Finished), encrypted
  Finished ack;
  ack.verify_data = crypto::compute_verify_data(suite->hash, master_secret, crypto::FinishedSender::server,
                                                transcript.hash(suite->hash));
  channel.protect_writes(suite->aead, std::move(keys.server_write));
  co_await channel.send(ack, transcript);
  channel.handshake_done();
  trace.step(connection, {7, "Server", "Client", "Finished (ACK)", std::string(arrow_description(7)),
                          {{"verify_data", to_hex(ack.verify_data), TraceColor::master_key}}});
  co_return session;
}

}  // namespace tlslab::server
