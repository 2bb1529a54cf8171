#include "tlslab/time.hpp"
#include "handshake.hpp"

#include <ctime>

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/keylog.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/status_client.hpp"

namespace tlslab::client {

awaitable<SessionParameters> run_handshake(net::Channel& channel, const ClientSettings& settings,
                                           const crypto::TrustStore& trust, net::StatusClient& ca_service,
                                           Trace& trace) {
  crypto::Transcript transcript;
  SessionParameters session;

  // (1) Client → Server: ClientHello (RAND-CLIENT, version, cipher suites)
  ClientHello hello;
  hello.random = crypto::random_hello_value();
  for (CipherSuite suite : settings.suites) hello.cipher_suites.push_back(static_cast<std::uint16_t>(suite));
  hello.set_server_name(settings.server_name);
  session.client_random = hello.random;
  co_await channel.send(hello, transcript);
  trace.step(0, {1, "Client", "Server", "ClientHello", std::string(arrow_description(1)),
                 {{"RAND-CLIENT", to_hex(hello.random), TraceColor::rand_client},
                  {"version", std::string(to_string(hello.client_version)), TraceColor::plain},
                  {"cipher suites", suite_list(hello.cipher_suites), TraceColor::cipher_suites},
                  {"server name", settings.server_name, TraceColor::plain}}});

  // (2) Server → Client: ServerHello (RAND-SERVER, suite, CERTIFICATE, SERVER'S PUBLIC KEY)
  ServerHello server_hello = co_await channel.expect<ServerHello>(&transcript);
  session.server_random = server_hello.random;
  ossl::X509Ptr certificate = trust.memo().parse(server_hello.certificate).take();
  session.certificate_subject = crypto::subject_of(certificate.get());
  session.certificate_serial = crypto::serial_hex(certificate.get());
  trace.step(0, {2, "Server", "Client", "ServerHello", std::string(arrow_description(2)),
                 {{"RAND-SERVER", to_hex(server_hello.random), TraceColor::rand_server},
                  {"cipher suite", suite_name(server_hello.cipher_suite), TraceColor::cipher_suites},
                  {"CERTIFICATE", session.certificate_subject + ", serial " + session.certificate_serial + ", issuer " +
                                      crypto::issuer_of(certificate.get()),
                   TraceColor::certificate},
                  {"SERVER'S PUBLIC KEY", hex_field(server_hello.server_public_key, 24), TraceColor::public_key}}});
  SuiteInfo suite = check_server_hello(hello, server_hello, certificate.get()).take();
  session.suite = suite;
  crypto::verify_server_certificate(trust, certificate.get(), settings.server_name).take();
  trace.step(0, {0, "Client", "Client", "checks the CERTIFICATE locally",
                 "SERVER'S PUBLIC KEY equals the CERTIFICATE's; chain to the trusted CA, validity period, host name",
                 {{"trusted CA", crypto::subject_of(trust.issuer_of(certificate.get())), TraceColor::ca_key},
                  {"valid", crypto::not_before_of(certificate.get()) + " .. " + crypto::not_after_of(certificate.get()),
                   TraceColor::good},
                  {"host name", settings.server_name + " matches a subjectAltName", TraceColor::good}}});

  // (3) Client → CA: the CERTIFICATE for authentication
  // (4) CA → Client: the ACK, signed with the CA's PRIVATE KEY; verified with its PUBLIC KEY
  net::StatusExchange status = co_await ca_service.query(server_hello.certificate, certificate.get(), trust);
  trace.step(0, {3, "Client", "CA", "StatusRequest", std::string(arrow_description(3)),
                 {{"CERTIFICATE", "serial " + session.certificate_serial, TraceColor::certificate},
                  {"nonce", to_hex(status.request.nonce), TraceColor::plain}}});
  const auto& verified = status.verified;
  std::string answer(crypto::to_string(verified.answer.status));
  if (verified.answer.status == crypto::CertStatus::revoked) {
    answer += " at " + utc_time(verified.answer.revocation_time) + " (" +
              std::string(crypto::revocation_reason_name(verified.answer.revocation_reason)) + ")";
  }
  trace.step(0, {4, "CA", "Client", "StatusResponse", std::string(arrow_description(4)),
                 {{"certificate status", answer,
                   verified.answer.status == crypto::CertStatus::good ? TraceColor::good : TraceColor::bad},
                  {"signed by", verified.signer + " (CA'S PRIVATE KEY)", TraceColor::ca_key},
                  {"signature", "verified with CA'S PUBLIC KEY from the local trust store", TraceColor::ca_key},
                  {"nonce", "matches ours", TraceColor::good},
                  {"this/next update", utc_time(verified.this_update) + " / " + utc_time(verified.next_update), TraceColor::plain},
                  {"OCSP response", std::to_string(status.response.ocsp_response.size()) + " bytes DER",
                   TraceColor::plain}}});
  net::require_good(verified, certificate.get());

  // (5) Client → Server: a new random PRE-MASTER, encrypted with SERVER'S PUBLIC KEY
  Secret pre_master = make_pre_master(hello.client_version);
  ClientKeyExchange key_exchange{crypto::rsa_oaep_encrypt(X509_get0_pubkey(certificate.get()), pre_master.view())};
  co_await channel.send(key_exchange, transcript);
  trace.step(0, {5, "Client", "Server", "ClientKeyExchange", std::string(arrow_description(5)),
                 {secret_field(trace, "PRE-MASTER", pre_master.view(), TraceColor::pre_master),
                  {"PRE-MASTER (encrypted)", hex_field(key_exchange.encrypted_pre_master, 24), TraceColor::pre_master}}});

  // Client creates the SESSION MASTER KEY from RAND-CLIENT, PRE-MASTER and RAND-SERVER.
  Secret master_secret =
      crypto::derive_master_secret(suite.hash, pre_master, session.client_random, session.server_random);
  pre_master.wipe();
  if (settings.keylog) crypto::append_keylog(*settings.keylog, session.client_random, master_secret);
  crypto::KeyBlock keys = crypto::derive_key_block(suite, master_secret, session.client_random, session.server_random);
  trace.step(0, {0, "Client", "Client", "SESSION MASTER KEY",
                 "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, " +
                     std::string(to_string(suite.hash)) + ")",
                 {secret_field(trace, "SESSION MASTER KEY", master_secret.view(), TraceColor::master_key),
                  secret_field(trace, "client write key", keys.client_write.key.view(), TraceColor::master_key),
                  secret_field(trace, "server write key", keys.server_write.key.view(), TraceColor::master_key)}});

  // (6) Client → Server: the test message (client Finished), encrypted
  Finished finished;
  finished.verify_data = crypto::compute_verify_data(suite.hash, master_secret, crypto::FinishedSender::client,
                                                     transcript.hash(suite.hash));
  channel.protect_writes(suite.aead, std::move(keys.client_write));
  co_await channel.send(finished, transcript);
  trace.step(0, {6, "Client", "Server", "Finished (test message)", std::string(arrow_description(6)),
                 {{"verify_data", to_hex(finished.verify_data), TraceColor::master_key}}});

  // (7) Server → Client: the ACK (server Finished), encrypted
  auto expected_verify_data = crypto::compute_verify_data(suite.hash, master_secret, crypto::FinishedSender::server,
                                                          transcript.hash(suite.hash));
  channel.protect_reads(suite.aead, std::move(keys.server_write));
  Bytes ack_message = co_await channel.read_handshake();
  Finished ack = decode_handshake<Finished>(ack_message).take();
  if (!constant_time_equal(ack.verify_data, expected_verify_data)) {
    throw ProtocolError(AlertDescription::decrypt_error,
                        "server Finished does not verify: the two sides saw different handshake bytes");
  }
  channel.handshake_done();
  trace.step(0, {7, "Server", "Client", "Finished (ACK)", std::string(arrow_description(7)),
                 {{"verify_data", to_hex(ack.verify_data), TraceColor::master_key},
                  {"check", "decrypted and verified", TraceColor::good}}});
  co_return session;
}

}  // namespace tlslab::client
