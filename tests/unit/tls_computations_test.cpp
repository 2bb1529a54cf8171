// The computations of real TLS handshakes (issue 24), redone from the messages and the key log of two
// libssl SSL objects talking over a BIO pair in memory: the master secret must be libssl's, the
// verify_data the Finished messages', the record keys must open the first application data record,
// and every command shown must print the value computed when it is run.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "authority.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/tls/computations.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/tls/handshake_view.hpp"

namespace tlslab::tls {
namespace {

using SslPtr = std::unique_ptr<SSL, ossl::Deleter<&SSL_free>>;

struct Files {
  test::TempDir dir;
  std::string ca = dir.file("ca.pem");
  std::string rsa_certificate = dir.file("server.pem");
  std::string rsa_key = dir.file("server.key");
  std::string ec_certificate = dir.file("server-ec.pem");
  std::string ec_key = dir.file("server-ec.key");
  Files() {
    const auto& pki = test::test_pki();
    ca::write_certificate_pem(ca, pki.ca.certificate.get());
    ca::write_certificate_pem(rsa_certificate, pki.server_certificate.get());
    ca::write_private_key_pem(rsa_key, pki.server_key.get());
    ca::write_certificate_pem(ec_certificate, pki.ec_server_certificate.get());
    ca::write_private_key_pem(ec_key, pki.ec_server_key.get());
  }
};

// What one end saw: its handshake messages (as the message callback hands them over) and its key log.
struct Side {
  std::vector<TappedMessage> messages;
  std::vector<std::string> keylog;
};

int side_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void on_message(int write_p, int /*version*/, int content_type, const void* buf, std::size_t len, SSL* ssl,
                void* /*arg*/) {
  if (content_type != SSL3_RT_HANDSHAKE) return;
  auto* side = static_cast<Side*>(SSL_get_ex_data(ssl, side_index()));
  TappedMessage message;
  message.from = (write_p != 0) == (SSL_is_server(ssl) != 0) ? Party::server : Party::client;
  message.type = TappedType::handshake;
  const auto* bytes = static_cast<const std::uint8_t*>(buf);
  message.bytes.assign(bytes, bytes + len);
  message.size = len;
  message.name = len > 0 ? std::string(to_string(static_cast<HandshakeKind>(bytes[0]))) : "";
  side->messages.push_back(std::move(message));
}

void on_keylog(const SSL* ssl, const char* line) {
  auto* side = static_cast<Side*>(SSL_get_ex_data(ssl, side_index()));
  side->keylog.emplace_back(line);
}

struct Run {
  SslPtr client;
  SslPtr server;
  Side client_side;
  Side server_side;
  bool ok = false;
  Bytes client_record;  // the client's first application data record, as it crossed the wire
};

// Both ends until both finish; then the client sends "ping" and the record is taken off the wire.
std::unique_ptr<Run> handshake(Context& client_context, Context& server_context) {
  auto run = std::make_unique<Run>();
  SSL_CTX_set_keylog_callback(client_context.native(), on_keylog);
  SSL_CTX_set_keylog_callback(server_context.native(), on_keylog);
  run->client.reset(SSL_new(client_context.native()));
  run->server.reset(SSL_new(server_context.native()));
  SSL_set_ex_data(run->client.get(), side_index(), &run->client_side);
  SSL_set_ex_data(run->server.get(), side_index(), &run->server_side);
  SSL_set_msg_callback(run->client.get(), on_message);
  SSL_set_msg_callback(run->server.get(), on_message);
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  BIO_new_bio_pair(&client_end, 0, &server_end, 0);
  SSL_set_bio(run->client.get(), client_end, client_end);
  SSL_set_bio(run->server.get(), server_end, server_end);
  SSL_set_connect_state(run->client.get());
  SSL_set_accept_state(run->server.get());
  SSL_set_tlsext_host_name(run->client.get(), test::server_dns_name.c_str());
  int client_done = 0;
  int server_done = 0;
  for (int round = 0; round < 50 && (client_done != 1 || server_done != 1); ++round) {
    if (client_done != 1) client_done = SSL_do_handshake(run->client.get());
    if (server_done != 1) server_done = SSL_do_handshake(run->server.get());
  }
  run->ok = client_done == 1 && server_done == 1;
  ERR_clear_error();
  if (!run->ok) return run;
  char byte = 0;
  EXPECT_LE(SSL_read(run->client.get(), &byte, 1), 0);  // no data: reads the TLS 1.3 tickets
  ERR_clear_error();
  EXPECT_EQ(SSL_write(run->client.get(), "ping", 4), 4);
  std::uint8_t wire[4096];
  int got = BIO_read(server_end, wire, sizeof wire);
  if (got > 0) run->client_record.assign(wire, wire + got);
  return run;
}

ContextOptions server_options(const Files& files, std::string versions, bool ec = false) {
  ContextOptions options;
  options.role = Role::server;
  options.certificate_path = ec ? files.ec_certificate : files.rsa_certificate;
  options.key_path = ec ? files.ec_key : files.rsa_key;
  options.versions = std::move(versions);
  return options;
}

ContextOptions client_options(const Files& files, std::string versions, std::string ciphers = "") {
  ContextOptions options;
  options.role = Role::client;
  options.trust_path = files.ca;
  options.versions = std::move(versions);
  options.tls12_ciphers = std::move(ciphers);
  return options;
}

ComputationInput input_of(const SSL* ssl, const Side& side) {
  ComputationInput input;
  input.messages = side.messages;
  input.version = static_cast<std::uint16_t>(SSL_version(ssl));
  input.cipher_suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl));
  input.keylog_lines = side.keylog;
  return input;
}

const ShownComputation* step(const Computations& computations, const std::string& name) {
  for (const auto& shown : computations.steps) {
    if (shown.fact.name == name) return &shown;
  }
  return nullptr;
}

const CheckFact* check(const Computations& computations, const std::string& name) {
  for (const auto& fact : computations.checks) {
    if (fact.check == name) return &fact;
  }
  return nullptr;
}

std::string lines(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& line : list) out += line + "\n";
  return out;
}

// Runs `command` with sh (from a file: a transcript may be longer than one argument may be) and
// returns what it printed, without the final newline.
std::string run_shell(const std::string& command) {
  test::TempDir dir;
  std::string script = dir.file("command.sh");
  std::ofstream(script) << command << "\n";
  std::string shell = "sh " + script + " 2>&1";
  FILE* pipe = popen(shell.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  std::string out;
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, got);
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Every command shown prints the value the code computed.
void expect_commands_print_their_values(const Computations& computations, std::size_t at_least = 6) {
  std::size_t ran = 0;
  for (const auto& shown : computations.steps) {
    if (shown.command.empty()) continue;
    EXPECT_EQ(run_shell(shown.command), to_hex(shown.fact.value)) << shown.fact.name << "\n" << shown.command;
    ++ran;
  }
  EXPECT_GE(ran, at_least);
}

// Opens an AES-GCM record with the recomputed keys: the keys are the ones libssl used. TLS 1.2
// (RFC 5288 §3): nonce = client_write_IV || explicit nonce, AAD = seq_num || type || version ||
// length. TLS 1.3 (RFC 8446 §5.2–5.3): nonce = write_iv XOR seq_num, AAD = the record header.
std::optional<std::string> open_record(const Bytes& record, const Bytes& key, const Bytes& iv, bool tls13,
                                       std::uint64_t sequence) {
  constexpr std::size_t tag_size = 16;
  if (record.size() < 5 + tag_size + (tls13 ? 0 : 8)) return std::nullopt;
  Bytes nonce = iv;
  Bytes aad;
  ByteView body = ByteView(record).subspan(5);
  if (tls13) {
    for (std::size_t i = 0; i < 8; ++i) nonce[nonce.size() - 1 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
    aad.assign(record.begin(), record.begin() + 5);
  } else {
    append(nonce, body.first(8));
    body = body.subspan(8);
    for (int i = 7; i >= 0; --i) aad.push_back(static_cast<std::uint8_t>(sequence >> (8 * i)));
    std::size_t length = body.size() - tag_size;
    aad.insert(aad.end(), {record[0], record[1], record[2], static_cast<std::uint8_t>(length >> 8),
                           static_cast<std::uint8_t>(length & 0xff)});
  }
  ByteView ciphertext = body.first(body.size() - tag_size);
  ByteView tag = body.last(tag_size);
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* cipher = key.size() == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
  int length = 0;
  Bytes plain(ciphertext.size());
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.data(), &length, ciphertext.data(), static_cast<int>(ciphertext.size())) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size),
                          const_cast<std::uint8_t*>(tag.data())) != 1)
    return std::nullopt;
  int final_length = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + length, &final_length) != 1) return std::nullopt;
  return std::string(plain.begin(), plain.end());
}

Bytes master_key(const SSL* ssl) {
  Bytes master(SSL_MAX_MASTER_KEY_LENGTH);
  master.resize(SSL_SESSION_get_master_key(SSL_get_session(ssl), master.data(), master.size()));
  return master;
}

// What a learner checks of a TLS 1.2 run: both Finished recomputed, the master secret libssl's, the
// key block opens the first record, every command prints its value.
void expect_tls12_computations(const Run& run, const SSL* ssl, const Side& side) {
  Computations computed = compute_handshake(input_of(ssl, side));
  for (const char* name : {"client Finished", "server Finished"}) {
    const CheckFact* finished = check(computed, name);
    ASSERT_NE(finished, nullptr) << name << "\n" << lines(computed.left_out);
    EXPECT_TRUE(finished->ok) << finished->expected << " / " << finished->actual;
  }
  const ShownComputation* master = step(computed, "SESSION MASTER KEY");
  ASSERT_NE(master, nullptr);
  EXPECT_EQ(master->fact.value, master_key(ssl));
  const ShownComputation* key = step(computed, "client_write_key");
  const ShownComputation* iv = step(computed, "client_write_IV");
  ASSERT_NE(key, nullptr);
  ASSERT_NE(iv, nullptr);
  // Sequence number 1: the client's Finished was record 0 under these keys.
  EXPECT_EQ(open_record(run.client_record, key->fact.value, iv->fact.value, false, 1),
            std::optional<std::string>("ping"));
  expect_commands_print_their_values(computed);
}

TEST(TlsComputations, Tls12RsaKeyTransportRecomputesTheExtendedMasterSecretFinishedAndKeyBlock) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.2", "AES128-GCM-SHA256"));
  auto run = handshake(client, server);
  ASSERT_TRUE(run->ok);
  // libssl's client logs the RSA line (the PRE-MASTER it encrypted): the master secret is recomputed.
  Computations computed = compute_handshake(input_of(run->client.get(), run->client_side));
  ASSERT_NE(step(computed, "PRE-MASTER"), nullptr) << lines(computed.left_out);
  ASSERT_NE(step(computed, "session_hash"), nullptr);
  const ShownComputation* master = step(computed, "SESSION MASTER KEY");
  ASSERT_NE(master, nullptr);
  EXPECT_NE(master->fact.computation.find("\"extended master secret\", session_hash"), std::string::npos);
  EXPECT_NE(master->command.find("TLS1-PRF"), std::string::npos);
  EXPECT_EQ(master->fact.value, master_key(run->client.get()));
  const CheckFact* logged = check(computed, "SESSION MASTER KEY");
  ASSERT_NE(logged, nullptr);
  EXPECT_TRUE(logged->ok);
  // The session hash covers ClientHello..ClientKeyExchange.
  EXPECT_NE(step(computed, "session_hash")
                ->fact.computation.find(
                    "(ClientHello || ServerHello || Certificate || ServerHelloDone || ClientKeyExchange)"),
            std::string::npos);
  expect_tls12_computations(*run, run->client.get(), run->client_side);
  // The server logs no RSA line: it starts from the master secret and says why.
  Computations server_side = compute_handshake(input_of(run->server.get(), run->server_side));
  EXPECT_NE(lines(server_side.left_out).find("no RSA line in the key log"), std::string::npos)
      << lines(server_side.left_out);
  expect_tls12_computations(*run, run->server.get(), run->server_side);
}

TEST(TlsComputations, Tls12EcdheStartsFromTheLoggedMasterSecretAndChecksBothFinished) {
  Files files;
  Context server(server_options(files, "1.2", true));
  Context client(client_options(files, "1.2"));
  auto run = handshake(client, server);
  ASSERT_TRUE(run->ok);
  Computations computed = compute_handshake(input_of(run->client.get(), run->client_side));
  EXPECT_EQ(step(computed, "PRE-MASTER"), nullptr);
  const ShownComputation* master = step(computed, "SESSION MASTER KEY");
  ASSERT_NE(master, nullptr);
  EXPECT_NE(master->fact.computation.find("libssl never logs"), std::string::npos);
  EXPECT_TRUE(master->command.empty());
  expect_tls12_computations(*run, run->client.get(), run->client_side);
  expect_tls12_computations(*run, run->server.get(), run->server_side);
}

void expect_tls13_computations(const char* suite, std::size_t key_size) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.3"));
  ASSERT_EQ(SSL_CTX_set_ciphersuites(client.native(), suite), 1);
  auto run = handshake(client, server);
  ASSERT_TRUE(run->ok);
  ASSERT_STREQ(SSL_CIPHER_standard_name(SSL_get_current_cipher(run->client.get())), suite);
  Computations client_side = compute_handshake(input_of(run->client.get(), run->client_side));
  Computations server_side = compute_handshake(input_of(run->server.get(), run->server_side));
  for (const Computations* computed : {&client_side, &server_side}) {
    for (const char* name : {"client Finished", "server Finished"}) {
      const CheckFact* finished = check(*computed, name);
      ASSERT_NE(finished, nullptr) << name << "\n" << lines(computed->left_out);
      EXPECT_TRUE(finished->ok) << finished->expected << " / " << finished->actual;
    }
    EXPECT_TRUE(computed->left_out.empty()) << lines(computed->left_out);
  }
  // Both ends compute the same values, from their own messages and key logs.
  ASSERT_EQ(client_side.steps.size(), server_side.steps.size());
  for (std::size_t i = 0; i < client_side.steps.size(); ++i) {
    EXPECT_EQ(client_side.steps[i].fact.name, server_side.steps[i].fact.name);
    EXPECT_EQ(client_side.steps[i].fact.value, server_side.steps[i].fact.value) << client_side.steps[i].fact.name;
  }
  // RFC 8446 §4.4.4: the server's Finished hashes up to its CertificateVerify, the client's up to the
  // server's Finished.
  EXPECT_NE(step(client_side, "Transcript-Hash(ClientHello..CertificateVerify)"), nullptr);
  EXPECT_NE(step(client_side, "Transcript-Hash(ClientHello..server Finished)"), nullptr);
  const ShownComputation* finished_key = step(client_side, "server finished_key");
  ASSERT_NE(finished_key, nullptr);
  EXPECT_NE(finished_key->command.find("hexinfo:00" + std::string(key_size == 16 ? "20" : "30") +
                                       "0e746c7331332066696e697368656400"),
            std::string::npos)
      << finished_key->command;
  const ShownComputation* key = step(client_side, "client_write_key");
  const ShownComputation* iv = step(client_side, "client_write_iv");
  ASSERT_NE(key, nullptr);
  ASSERT_NE(iv, nullptr);
  EXPECT_EQ(key->fact.value.size(), key_size);
  // The first record under client_application_traffic_secret_0: "ping" and its content type.
  EXPECT_EQ(open_record(run->client_record, key->fact.value, iv->fact.value, true, 0),
            std::optional<std::string>(std::string("ping\x17")));
  expect_commands_print_their_values(client_side);
}

TEST(TlsComputations, Tls13Aes128GcmSha256RecomputesFinishedAndTrafficKeys) {
  expect_tls13_computations("TLS_AES_128_GCM_SHA256", 16);
}

TEST(TlsComputations, Tls13Aes256GcmSha384RecomputesFinishedAndTrafficKeys) {
  expect_tls13_computations("TLS_AES_256_GCM_SHA384", 32);
}

// One byte of the ServerHello's random flipped: the transcript is not the peers', both Finished fail.
void flip_server_random(std::vector<TappedMessage>& messages) {
  for (auto& message : messages) {
    if (!message.bytes.empty() && message.bytes[0] == 2) {
      message.bytes[4 + 2 + 5] ^= 0x01;
      return;
    }
  }
  FAIL() << "no ServerHello";
}

TEST(TlsComputations, ATamperedTranscriptFailsTheFinishedCheck) {
  Files files;
  for (const char* versions : {"1.2", "1.3"}) {
    Context server(server_options(files, "1.2,1.3", true));
    Context client(client_options(files, versions));
    auto run = handshake(client, server);
    ASSERT_TRUE(run->ok);
    Side tampered = run->client_side;
    flip_server_random(tampered.messages);
    Computations computed = compute_handshake(input_of(run->client.get(), tampered));
    for (const char* name : {"client Finished", "server Finished"}) {
      const CheckFact* finished = check(computed, name);
      ASSERT_NE(finished, nullptr) << versions << " " << name << "\n" << lines(computed.left_out);
      EXPECT_FALSE(finished->ok) << versions << " " << name;
      EXPECT_NE(finished->expected, finished->actual);
    }
  }
}

TEST(TlsComputations, AWrongTls13SecretFailsThatSidesFinishedOnly) {
  Files files;
  Context server(server_options(files, "1.3"));
  Context client(client_options(files, "1.3"));
  auto run = handshake(client, server);
  ASSERT_TRUE(run->ok);
  Side wrong = run->client_side;
  bool replaced = false;
  for (auto& line : wrong.keylog) {
    if (line.starts_with("SERVER_HANDSHAKE_TRAFFIC_SECRET ")) {
      char& last = line.back();
      last = last == '0' ? '1' : '0';
      replaced = true;
    }
  }
  ASSERT_TRUE(replaced);
  Computations computed = compute_handshake(input_of(run->client.get(), wrong));
  ASSERT_NE(check(computed, "server Finished"), nullptr);
  EXPECT_FALSE(check(computed, "server Finished")->ok);
  ASSERT_NE(check(computed, "client Finished"), nullptr);
  EXPECT_TRUE(check(computed, "client Finished")->ok);
}

TEST(TlsComputations, AMissingKeyLogOrAMalformedMessageIsALineNotACrash) {
  Files files;
  Context server(server_options(files, "1.2,1.3", true));
  for (const char* versions : {"1.2", "1.3"}) {
    Context client(client_options(files, versions));
    auto run = handshake(client, server);
    ASSERT_TRUE(run->ok);
    Side no_keylog = run->client_side;
    no_keylog.keylog.clear();
    Computations computed = compute_handshake(input_of(run->client.get(), no_keylog));
    EXPECT_TRUE(computed.checks.empty());
    EXPECT_NE(
        lines(computed.left_out)
            .find(std::string(versions) == "1.2" ? "no CLIENT_RANDOM line" : "no SERVER_HANDSHAKE_TRAFFIC_SECRET line"),
        std::string::npos)
        << lines(computed.left_out);

    // A ServerHello one byte short of what its header says: the display parser rejects it.
    Side malformed = run->client_side;
    for (auto& message : malformed.messages) {
      if (message.bytes[0] == 2) message.bytes.pop_back();
    }
    computed = compute_handshake(input_of(run->client.get(), malformed));
    EXPECT_TRUE(computed.steps.empty());
    ASSERT_EQ(computed.left_out.size(), 1u);
    EXPECT_NE(computed.left_out[0].find("ServerHello"), std::string::npos) << computed.left_out[0];

    // A message the tap kept no bytes of (past its cap): no transcript.
    Side capped = run->client_side;
    capped.messages[1].bytes.clear();
    computed = compute_handshake(input_of(run->client.get(), capped));
    EXPECT_TRUE(computed.steps.empty());
    ASSERT_EQ(computed.left_out.size(), 1u);
    EXPECT_NE(computed.left_out[0].find("kept no bytes"), std::string::npos);
  }
}

TEST(TlsComputations, WithoutShowSecretsNoSecretIsLeftInAValueOrACommand) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  for (const char* versions : {"1.2", "1.3"}) {
    Context client(client_options(files, versions, "AES128-GCM-SHA256"));
    auto run = handshake(client, server);
    ASSERT_TRUE(run->ok);
    Computations computed = compute_handshake(input_of(run->client.get(), run->client_side));
    std::vector<std::string> secrets;
    for (const auto& shown : computed.steps) {
      if (shown.secret) secrets.push_back(to_hex(shown.fact.value));
    }
    ASSERT_GE(secrets.size(), 4u) << versions;
    withhold_secrets(computed);
    std::size_t transcript_commands = 0;
    for (const auto& shown : computed.steps) {
      if (shown.secret) {
        EXPECT_TRUE(shown.fact.value.empty()) << shown.fact.name;
      }
      if (!shown.command.empty()) ++transcript_commands;
      for (const auto& secret : secrets) {
        EXPECT_EQ(shown.command.find(secret), std::string::npos) << shown.fact.name;
        EXPECT_EQ(shown.fact.computation.find(secret), std::string::npos) << shown.fact.name;
      }
    }
    for (const auto& fact : computed.checks) {
      EXPECT_TRUE(fact.ok) << fact.check;
      for (const auto& secret : secrets) {
        EXPECT_EQ(fact.expected.find(secret), std::string::npos);
        EXPECT_EQ(fact.actual.find(secret), std::string::npos);
      }
    }
    // The transcript hashes write out only the messages: their commands stay.
    EXPECT_GE(transcript_commands, 2u) << versions;
    expect_commands_print_their_values(computed, 2);
  }
}

TEST(TlsComputations, HkdfLabelIsRfc8446sEncoding) {
  // RFC 8446 §7.1: uint16 length 32, "tls13 finished" with its length byte, an empty context.
  EXPECT_EQ(to_hex(hkdf_label(32, "finished", {})), "00200e746c7331332066696e697368656400");
  EXPECT_EQ(to_hex(hkdf_label(12, "iv", {})),
            "000c08746c733133206976"
            "00");
  EXPECT_TRUE(hkdf_label(16, std::string(250, 'x'), {}).empty());
}

}  // namespace
}  // namespace tlslab::tls
