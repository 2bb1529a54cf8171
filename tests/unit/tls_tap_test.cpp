// Real TLS through libssl, in memory: two SSL objects over a BIO pair, each with the tap, and the
// flights they put on the seed's arrows (issue 24; the mapping of tls_flow.hpp).
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "authority.hpp"
#include "test_pki.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/negotiated.hpp"
#include "tlslab/tls/tap.hpp"

namespace tlslab::tls {
namespace {

using SslPtr = std::unique_ptr<SSL, ossl::Deleter<&SSL_free>>;

// The files the programs take, written once per test.
struct Files {
  test::TempDir dir;
  std::string ca = dir.file("ca.pem");
  std::string rsa_certificate = dir.file("server.pem");
  std::string rsa_key = dir.file("server.key");
  std::string ec_certificate = dir.file("server-ec.pem");
  std::string ec_key = dir.file("server-ec.key");
  std::string client_certificate = dir.file("client.pem");
  std::string client_key = dir.file("client.key");
  Files() {
    const auto& pki = test::test_pki();
    ca::write_certificate_pem(ca, pki.ca.certificate.get());
    ca::write_certificate_pem(rsa_certificate, pki.server_certificate.get());
    ca::write_private_key_pem(rsa_key, pki.server_key.get());
    ca::write_certificate_pem(ec_certificate, pki.ec_server_certificate.get());
    ca::write_private_key_pem(ec_key, pki.ec_server_key.get());
    std::time_t now = std::time(nullptr);
    ca::IssueRequest request{"client.test", {"DNS:client.test"}, {now - test::one_day, now + test::one_day}};
    request.role = ca::Role::client;
    auto client = ca::issue_certificate(pki.ca, pki.ec_server_key.get(), request);
    ca::write_certificate_pem(client_certificate, client.get());
    ca::write_private_key_pem(client_key, pki.ec_server_key.get());
  }
};

struct Handshake {
  SslPtr client;
  SslPtr server;
  bool ok = false;
  std::vector<HandshakeEvent> client_events;
  std::vector<HandshakeEvent> server_events;
};

// Drives both ends until both finish (or one fails), then lets the client read the TLS 1.3 tickets.
Handshake handshake(Context& client_context, Context& server_context, Tap* client_tap, Tap* server_tap,
                    const std::string& host = test::server_dns_name, SSL_SESSION* resume = nullptr) {
  Handshake run;
  run.client.reset(SSL_new(client_context.native()));
  run.server.reset(SSL_new(server_context.native()));
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  BIO_new_bio_pair(&client_end, 0, &server_end, 0);
  SSL_set_bio(run.client.get(), client_end, client_end);
  SSL_set_bio(run.server.get(), server_end, server_end);
  SSL_set_connect_state(run.client.get());
  SSL_set_accept_state(run.server.get());
  expect_server_name(run.client.get(), host);
  if (resume != nullptr) SSL_set_session(run.client.get(), resume);
  if (client_tap != nullptr) client_tap->install(run.client.get());
  if (server_tap != nullptr) server_tap->install(run.server.get());
  int client_done = 0;
  int server_done = 0;
  for (int round = 0; round < 50 && (client_done != 1 || server_done != 1); ++round) {
    if (client_done != 1) client_done = SSL_do_handshake(run.client.get());
    if (server_done != 1) server_done = SSL_do_handshake(run.server.get());
    if (client_done <= 0 && SSL_get_error(run.client.get(), client_done) == SSL_ERROR_SSL) break;
    if (server_done <= 0 && SSL_get_error(run.server.get(), server_done) == SSL_ERROR_SSL) break;
  }
  run.ok = client_done == 1 && server_done == 1;
  ERR_clear_error();
  if (run.ok) {
    char byte = 0;
    EXPECT_LE(SSL_read(run.client.get(), &byte, 1), 0);  // no data: reads the tickets
    ERR_clear_error();
  } else {
    // Let the alert reach the other side.
    SSL_do_handshake(run.client.get());
    SSL_do_handshake(run.server.get());
    ERR_clear_error();
  }
  if (client_tap != nullptr) run.client_events = client_tap->take_events(run.client.get());
  if (server_tap != nullptr) run.server_events = server_tap->take_events(run.server.get());
  return run;
}

const HandshakeEvent* on_arrow(const std::vector<HandshakeEvent>& events, int arrow) {
  for (const auto& event : events) {
    if (event.arrow == arrow) return &event;
  }
  return nullptr;
}

const HandshakeEvent* local_step(const std::vector<HandshakeEvent>& events, const std::string& message) {
  for (const auto& event : events) {
    if (event.arrow == 0 && event.message == message) return &event;
  }
  return nullptr;
}

Bytes client_random(const SSL* ssl) {
  Bytes random(32);
  random.resize(SSL_get_client_random(ssl, random.data(), random.size()));
  return random;
}
Bytes server_random(const SSL* ssl) {
  Bytes random(32);
  random.resize(SSL_get_server_random(ssl, random.data(), random.size()));
  return random;
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

TEST(TlsTap, Tls12RsaKeyTransportPutsTheSeedsArrowsOnTheWire) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.2", "AES128-GCM-SHA256"));
  Tap server_tap({Party::server, false});
  Tap client_tap({Party::client, false});
  Handshake run = handshake(client, server, &client_tap, &server_tap);
  ASSERT_TRUE(run.ok);
  for (const auto& m : server_tap.messages())
    std::printf("%d %s %d %zu\n", int(m.from), m.name.c_str(), int(m.type), m.size);
  for (const auto* events : {&run.server_events, &run.client_events}) {
    ASSERT_NE(on_arrow(*events, 1), nullptr);
    EXPECT_EQ(on_arrow(*events, 1)->message, "ClientHello");
    ASSERT_NE(on_arrow(*events, 2), nullptr);
    EXPECT_EQ(on_arrow(*events, 2)->message, "ServerHello + Certificate + ServerHelloDone");
    EXPECT_EQ(on_arrow(*events, 2)->flight.size(), 3u);
    ASSERT_NE(on_arrow(*events, 5), nullptr);
    EXPECT_EQ(on_arrow(*events, 5)->message, "ClientKeyExchange");
    ASSERT_NE(on_arrow(*events, 6), nullptr);
    EXPECT_EQ(on_arrow(*events, 6)->message, "ChangeCipherSpec + Finished");
    EXPECT_TRUE(on_arrow(*events, 6)->flight[1].encrypted);
    EXPECT_FALSE(on_arrow(*events, 6)->flight[0].encrypted);
    ASSERT_NE(on_arrow(*events, 7), nullptr);
    EXPECT_EQ(on_arrow(*events, 7)->message, "NewSessionTicket + ChangeCipherSpec + Finished");
    EXPECT_EQ(on_arrow(*events, 2)->facts.protocol, "TLS 1.2");
    EXPECT_EQ(on_arrow(*events, 2)->facts.suite, "TLS_RSA_WITH_AES_128_GCM_SHA256");
    EXPECT_EQ(on_arrow(*events, 2)->facts.group, "");
    EXPECT_EQ(on_arrow(*events, 1)->facts.client_random, client_random(run.server.get()));
    EXPECT_EQ(on_arrow(*events, 2)->facts.server_random, server_random(run.client.get()));
    EXPECT_EQ(on_arrow(*events, 2)->facts.certificate,
              crypto::certificate_der(test::test_pki().server_certificate.get()));
    // Every message's bytes, whole: its 4-byte header says how long it is.
    for (const auto& message : on_arrow(*events, 2)->flight) {
      ASSERT_GE(message.frame.bytes.size(), 4u);
      std::size_t length = (std::size_t{message.frame.bytes[1]} << 16) | (std::size_t{message.frame.bytes[2]} << 8) |
                           message.frame.bytes[3];
      EXPECT_EQ(message.frame.bytes.size(), length + 4) << message.name;
      EXPECT_TRUE(covers_exactly(message.frame.spans, message.frame.bytes.size())) << message.name;
    }
    const HandshakeEvent* keys = local_step(*events, "SESSION MASTER KEY");
    ASSERT_NE(keys, nullptr);
    EXPECT_NE(keys->description.find("TLS 1.2 PRF (RFC 5246 §8.1)"), std::string::npos);
    ASSERT_EQ(keys->facts.secrets.size(), 1u);
    EXPECT_TRUE(keys->facts.secrets[0].value.empty());  // never without --show-secrets
  }
  const HandshakeEvent* check = local_step(run.client_events, "certificate check");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->description, "the CERTIFICATE is signed by the trusted CA and names server.test");
  ASSERT_FALSE(check->facts.checks.empty());
  EXPECT_TRUE(check->facts.checks[0].ok);
  EXPECT_EQ(local_step(run.server_events, "certificate check"), nullptr);  // no client certificate
}

TEST(TlsTap, Tls12EcdheArrowTwoCarriesTheSignedKeyShare) {
  Files files;
  Context server(server_options(files, "1.2", true));
  Context client(client_options(files, "1.2"));
  Tap server_tap({Party::server, false});
  Handshake run = handshake(client, server, nullptr, &server_tap);
  ASSERT_TRUE(run.ok);
  ASSERT_NE(on_arrow(run.server_events, 2), nullptr);
  EXPECT_EQ(on_arrow(run.server_events, 2)->message, "ServerHello + Certificate + ServerKeyExchange + ServerHelloDone");
  EXPECT_EQ(on_arrow(run.server_events, 2)->facts.suite, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  EXPECT_EQ(on_arrow(run.server_events, 2)->facts.group, "x25519");
  ASSERT_NE(on_arrow(run.server_events, 5), nullptr);
  EXPECT_EQ(on_arrow(run.server_events, 5)->message, "ClientKeyExchange");
}

TEST(TlsTap, Tls13ArrowTwoIsTheWholeFirstServerFlightAndThereIsNoArrowFive) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.3"));
  Tap server_tap({Party::server, false});
  Tap client_tap({Party::client, false});
  Handshake run = handshake(client, server, &client_tap, &server_tap);
  ASSERT_TRUE(run.ok);
  for (const auto* events : {&run.server_events, &run.client_events}) {
    ASSERT_NE(on_arrow(*events, 2), nullptr);
    EXPECT_EQ(on_arrow(*events, 2)->message,
              "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished");
    EXPECT_FALSE(on_arrow(*events, 2)->flight[0].encrypted);
    EXPECT_TRUE(on_arrow(*events, 2)->flight[1].encrypted);
    EXPECT_EQ(on_arrow(*events, 5), nullptr);
    ASSERT_NE(on_arrow(*events, 6), nullptr);
    EXPECT_EQ(on_arrow(*events, 6)->message, "Finished");
    ASSERT_NE(on_arrow(*events, 7), nullptr);
    EXPECT_EQ(on_arrow(*events, 7)->message, "NewSessionTicket + NewSessionTicket");
    EXPECT_EQ(on_arrow(*events, 2)->facts.protocol, "TLS 1.3");
    EXPECT_EQ(on_arrow(*events, 2)->facts.suite, "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(on_arrow(*events, 2)->facts.group, "x25519");
    EXPECT_EQ(on_arrow(*events, 1)->facts.client_random, client_random(run.client.get()));
    EXPECT_EQ(on_arrow(*events, 2)->facts.server_random, server_random(run.server.get()));
    const HandshakeEvent* keys = local_step(*events, "SESSION MASTER KEY");
    ASSERT_NE(keys, nullptr);
    EXPECT_NE(keys->description.find("HKDF key schedule (RFC 8446 §7.1): no PRE-MASTER"), std::string::npos);
  }
}

TEST(TlsTap, AHelloRetryRequestAndTheSecondClientHelloAreShownOnTheirArrows) {
  Files files;
  Context server(server_options(files, "1.3"));
  // The client's first key share (x25519) is not one the server takes: it asks again (RFC 8446 §4.1.4).
  ASSERT_EQ(SSL_CTX_set1_groups_list(server.native(), "P-256"), 1);
  Context client(client_options(files, "1.3"));
  Tap server_tap({Party::server, false});
  Handshake run = handshake(client, server, nullptr, &server_tap);
  ASSERT_TRUE(run.ok);
  std::vector<std::pair<int, std::string>> arrows;
  for (const auto& event : run.server_events) {
    if (event.arrow != 0) arrows.emplace_back(event.arrow, event.message);
  }
  ASSERT_GE(arrows.size(), 4u);
  EXPECT_EQ(arrows[0], std::make_pair(1, std::string("ClientHello")));
  EXPECT_EQ(arrows[1], std::make_pair(2, std::string("HelloRetryRequest")));
  EXPECT_EQ(arrows[2], std::make_pair(1, std::string("ClientHello")));
  EXPECT_EQ(
      arrows[3],
      std::make_pair(2, std::string("ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished")));
  EXPECT_EQ(on_arrow(run.server_events, 2)->facts.group, "");  // the HelloRetryRequest's arrow says no group
  Tap::Offer offer = server_tap.client_offer();
  ASSERT_FALSE(offer.groups.empty());
  EXPECT_EQ(offer.key_shares, std::vector<std::string>{"x25519"});
}

TEST(TlsTap, EveryMessageIsSpannedByTheDisplayParserAndTheOfferIsRead) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.3"));
  Tap server_tap({Party::server, false});
  Handshake run = handshake(client, server, nullptr, &server_tap);
  ASSERT_TRUE(run.ok);
  for (const auto& event : run.server_events) {
    for (const auto& message : event.flight) {
      ASSERT_FALSE(message.frame.spans.empty()) << message.name;
      EXPECT_GT(message.frame.spans[0].children.size(), 1u) << message.name << ": not read by the parser";
      EXPECT_TRUE(covers_exactly(message.frame.spans, message.frame.bytes.size())) << message.name;
    }
  }
  bool offered = false;
  for (const auto& field : on_arrow(run.server_events, 1)->fields) {
    if (field.name == "groups offered") offered = field.value.find("x25519") != std::string::npos;
  }
  EXPECT_TRUE(offered) << "arrow 1 does not say which groups the client offered";
}

TEST(TlsTap, TheOfferNamesGroupsLibsslDoesNotKnow) {
  // A ClientHello as Chromium sends it, cut down: X25519MLKEM768 first (libssl 3.0 declines it), then
  // x25519; a key share in both.
  Bytes hello = {0x01, 0x00, 0x00, 0x00,  // ClientHello, length below
                 0x03, 0x03};
  hello.insert(hello.end(), 32, 0x11);                // random
  hello.insert(hello.end(), {0x00,                    // legacy_session_id
                             0x00, 0x02, 0x13, 0x01,  // cipher_suites: TLS_AES_128_GCM_SHA256
                             0x01, 0x00});            // legacy_compression_methods
  Bytes extensions = {0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x11, 0xec, 0x00, 0x1d,  // supported_groups
                      0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04};                   // supported_versions
  // key_share: X25519MLKEM768 (1216 bytes: ML-KEM-768's key, then x25519's) and x25519 (32 bytes).
  Bytes shares = {0x11, 0xec, 0x04, 0xc0};
  shares.insert(shares.end(), 1216, 0x22);
  shares.insert(shares.end(), {0x00, 0x1d, 0x00, 0x20});
  shares.insert(shares.end(), 32, 0x33);
  std::size_t list = shares.size();
  extensions.insert(extensions.end(),
                    {0x00, 0x33, static_cast<std::uint8_t>((list + 2) >> 8), static_cast<std::uint8_t>(list + 2),
                     static_cast<std::uint8_t>(list >> 8), static_cast<std::uint8_t>(list)});
  extensions.insert(extensions.end(), shares.begin(), shares.end());
  hello.push_back(static_cast<std::uint8_t>(extensions.size() >> 8));
  hello.push_back(static_cast<std::uint8_t>(extensions.size()));
  hello.insert(hello.end(), extensions.begin(), extensions.end());
  std::size_t body = hello.size() - 4;
  hello[1] = static_cast<std::uint8_t>(body >> 16);
  hello[2] = static_cast<std::uint8_t>(body >> 8);
  hello[3] = static_cast<std::uint8_t>(body);

  Files files;
  Context server(server_options(files, "1.2,1.3"));
  SslPtr ssl(SSL_new(server.native()));
  Tap tap({Party::server, false});
  tap.on_message(0, TLS1_3_VERSION, SSL3_RT_HANDSHAKE, hello.data(), hello.size(), ssl.get());
  auto viewed = view_handshake(hello, ViewContext{});
  ASSERT_TRUE(viewed.ok()) << viewed.failure().reason;
  Tap::Offer offer = tap.client_offer();
  EXPECT_EQ(offer.groups, (std::vector<std::string>{"X25519MLKEM768", "x25519"}));
  EXPECT_EQ(offer.key_shares, (std::vector<std::string>{"X25519MLKEM768", "x25519"}));
  EXPECT_EQ(offer.suites, std::vector<std::string>{"TLS_AES_128_GCM_SHA256"});
}

TEST(TlsTap, TheStapleIsCertificateStatusInTls12AndInsideCertificateInTls13) {
  Files files;
  const Bytes staple = {0x30, 0x03, 0x0a, 0x01, 0x00};  // an OCSPResponse the client stores as it came
  auto options = server_options(files, "1.2,1.3");
  options.staple = [&] { return std::optional<Bytes>(staple); };
  Context server(options);
  for (std::string version : {"1.2", "1.3"}) {
    auto asking = client_options(files, version, "AES128-GCM-SHA256");
    asking.request_status = true;
    Context client(asking);
    Tap server_tap({Party::server, false});
    Tap client_tap({Party::client, false});
    Handshake run = handshake(client, server, &client_tap, &server_tap);
    ASSERT_TRUE(run.ok) << version;
    const unsigned char* received = nullptr;
    long length = SSL_get_tlsext_status_ocsp_resp(run.client.get(), &received);
    ASSERT_EQ(Bytes(received, received + length), staple) << version;
    for (const auto* events : {&run.server_events, &run.client_events}) {
      ASSERT_NE(on_arrow(*events, 2), nullptr);
      EXPECT_EQ(on_arrow(*events, 2)->message,
                version == "1.2" ? "ServerHello + Certificate + CertificateStatus + ServerHelloDone"
                                 : "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished");
      EXPECT_EQ(on_arrow(*events, 2)->facts.status, staple) << version;
    }
    // A client that does not ask gets nothing.
    Context plain(client_options(files, version, "AES128-GCM-SHA256"));
    Tap quiet_tap({Party::server, false});
    Handshake unasked = handshake(plain, server, nullptr, &quiet_tap);
    ASSERT_TRUE(unasked.ok);
    EXPECT_EQ(on_arrow(unasked.server_events, 2)->message.find("CertificateStatus"), std::string::npos);
    EXPECT_TRUE(on_arrow(unasked.server_events, 2)->facts.status.empty());
  }
}

TEST(TlsTap, ClientCertificatesAreAskedForAndCheckedOrTheHandshakeFails) {
  Files files;
  auto options = server_options(files, "1.2,1.3");
  options.client_certificates = ClientCertificates::require;
  options.trust_path = files.ca;
  Context server(options);
  auto with_certificate = client_options(files, "1.2", "AES128-GCM-SHA256");
  with_certificate.certificate_path = files.client_certificate;
  with_certificate.key_path = files.client_key;
  Context client(with_certificate);
  Tap server_tap({Party::server, false});
  Handshake run = handshake(client, server, nullptr, &server_tap);
  ASSERT_TRUE(run.ok);
  EXPECT_EQ(on_arrow(run.server_events, 2)->message,
            "ServerHello + Certificate + CertificateRequest + ServerHelloDone");
  EXPECT_EQ(on_arrow(run.server_events, 5)->message, "Certificate + ClientKeyExchange + CertificateVerify");
  const HandshakeEvent* check = local_step(run.server_events, "certificate check");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->description, "the client's CERTIFICATE is signed by the trusted CA");

  Context anonymous(client_options(files, "1.3"));
  Tap refused_tap({Party::server, false});
  Handshake refused = handshake(anonymous, server, nullptr, &refused_tap);
  EXPECT_FALSE(refused.ok);
  ASSERT_TRUE(refused_tap.last_alert().has_value());
  EXPECT_EQ(refused_tap.last_alert()->from, Party::server);
  EXPECT_EQ(refused_tap.last_alert()->name, "certificate_required");
}

TEST(TlsTap, TheMasterSecretIsShownOnlyWhenSecretsAre) {
  Files files;
  Context server(server_options(files, "1.2"));
  Context client(client_options(files, "1.2"));
  Tap server_tap({Party::server, true});
  Handshake run = handshake(client, server, nullptr, &server_tap);
  ASSERT_TRUE(run.ok);
  const HandshakeEvent* keys = local_step(run.server_events, "SESSION MASTER KEY");
  ASSERT_NE(keys, nullptr);
  Bytes master(48);
  master.resize(SSL_SESSION_get_master_key(SSL_get_session(run.client.get()), master.data(), master.size()));
  ASSERT_EQ(keys->facts.secrets.size(), 1u);
  EXPECT_EQ(keys->facts.secrets[0].value, master);
}

TEST(TlsTap, AWrongHostNameFailsTheHandshakeOnTheClient) {
  Files files;
  Context server(server_options(files, "1.2,1.3"));
  Context client(client_options(files, "1.3"));
  Handshake run = handshake(client, server, nullptr, nullptr, "elsewhere.test");
  EXPECT_FALSE(run.ok);
  EXPECT_NE(SSL_get_verify_result(run.client.get()), X509_V_OK);
}

TEST(TlsTap, TheKeyLogHasTheNssLinesOfEachVersionAndIsPrivate) {
  Files files;
  auto options = server_options(files, "1.2,1.3");
  options.keylog_path = files.dir.file("keys.log");
  Context server(options);
  for (std::string version : {"1.2", "1.3"}) {
    Context client(client_options(files, version));
    ASSERT_TRUE(handshake(client, server, nullptr, nullptr).ok);
  }
  std::ifstream in(*options.keylog_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("CLIENT_RANDOM "), std::string::npos);
  EXPECT_NE(text.str().find("CLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos);
  EXPECT_NE(text.str().find("SERVER_TRAFFIC_SECRET_0 "), std::string::npos);
  struct stat status {};
  ASSERT_EQ(::stat(options.keylog_path->c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600u);
}

TEST(TlsContext, RefusesWhatIsNotTls12Or13AndAKeyOfAnotherCertificate) {
  Files files;
  try {
    Context context(server_options(files, "1.2,1.1"));
    FAIL() << "1.1 accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "--tls-versions '1.2,1.1': '1.1' is not a TLS version tlslab speaks (1.2, 1.3)");
  }
  auto mismatched = server_options(files, "1.2,1.3");
  mismatched.key_path = files.ec_key;
  try {
    Context context(mismatched);
    FAIL() << "a key of another certificate accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the key in '" + files.ec_key + "' does not belong to the certificate '" + files.rsa_certificate + "'");
  }
  EXPECT_EQ(parse_versions("1.3").min, TLS1_3_VERSION);
  EXPECT_EQ(parse_versions("1.2, 1.3").min, TLS1_2_VERSION);
  EXPECT_EQ(parse_versions("1.2,1.3").max, TLS1_3_VERSION);
}

TEST(TlsFlights, AMessageNoStepListsIsKeptOnItsSendersArrow) {
  auto message = [](Party from, std::string name) {
    TappedMessage tapped;
    tapped.from = from;
    tapped.name = std::move(name);
    tapped.tls13 = true;
    return tapped;
  };
  std::vector<TappedMessage> messages = {
      message(Party::client, "ClientHello"),
      message(Party::server, "HelloRetryRequest"),
      message(Party::client, "ClientHello"),
      message(Party::server, "ServerHello"),
      message(Party::server, "EncryptedExtensions"),
      message(Party::server, "KeyUpdate"),
      message(Party::server, "Certificate"),
      message(Party::server, "CertificateVerify"),
      message(Party::server, "Finished"),
      message(Party::client, "Finished"),
  };
  messages.insert(messages.begin() + 3, message(Party::client, "ChangeCipherSpec"));
  messages[3].type = TappedType::change_cipher_spec;
  auto flights = group_flights(messages, tls13_flow());
  ASSERT_EQ(flights.size(), 5u);
  EXPECT_EQ(flights[0].arrow, 1);
  EXPECT_EQ(flights[1].arrow, 2);
  EXPECT_EQ(flights[1].messages, std::vector<std::size_t>{1});
  EXPECT_EQ(flights[2].arrow, 1);  // the second ClientHello
  EXPECT_EQ(flights[3].arrow, 2);
  EXPECT_EQ(flights[3].messages.size(), 6u);  // the KeyUpdate no step lists is kept in its flight
  EXPECT_EQ(flights[4].arrow, 6);
  EXPECT_EQ(flights[4].compatibility_ccs, 1u);  // counted on the client's next flight, not listed
}

// Resumption (issue 26): the second handshake offers the first one's session (a TLS 1.2 ticket, a
// TLS 1.3 PSK); libssl and the messages themselves agree it was resumed, and the flights are the
// resumed flow's: no Certificate, nothing on arrow 5, a "session resumed" step.
void expect_resumption(const std::string& version, const std::string& arrow_two) {
  Files files;
  Context server(server_options(files, version));
  Context client(client_options(files, version));
  Tap first_tap({Party::client, false});
  Handshake first = handshake(client, server, &first_tap, nullptr);
  ASSERT_TRUE(first.ok);
  EXPECT_FALSE(negotiated_of(first.client.get(), false).resumed);
  EXPECT_FALSE(negotiated_from(first_tap.messages()).resumed);
  std::unique_ptr<SSL_SESSION, ossl::Deleter<&SSL_SESSION_free>> session(SSL_get1_session(first.client.get()));
  ASSERT_TRUE(session && SSL_SESSION_is_resumable(session.get()) == 1);

  Tap tap({Party::client, false});
  Handshake second = handshake(client, server, &tap, nullptr, test::server_dns_name, session.get());
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(negotiated_of(second.client.get(), false).resumed);
  EXPECT_TRUE(negotiated_from(tap.messages()).resumed) << "the messages alone must tell a resumed session";
  const HandshakeEvent* two = on_arrow(second.client_events, 2);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->message, arrow_two);
  EXPECT_EQ(on_arrow(second.client_events, 5), nullptr);
  EXPECT_EQ(local_step(second.client_events, "certificate check"), nullptr);
  const HandshakeEvent* resumed = local_step(second.client_events, "session resumed");
  ASSERT_NE(resumed, nullptr);
  EXPECT_NE(resumed->description.find("nobody asked the CA"), std::string::npos);
  const HandshakeEvent* keys = local_step(second.client_events, "SESSION MASTER KEY");
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->description.find("PRF(PRE-MASTER"), std::string::npos);
  EXPECT_NE(keys->description.find("no PRE-MASTER"), std::string::npos);
}

TEST(TlsTap, AResumedTls12SessionIsTheAbbreviatedHandshake) {
  expect_resumption("1.2", "ServerHello + ChangeCipherSpec + Finished");
}

TEST(TlsTap, AResumedTls13SessionHasNoCertificateInArrowTwo) {
  expect_resumption("1.3", "ServerHello + EncryptedExtensions + Finished");
}

TEST(TlsContext, ASessionLifetimeOfZeroGivesNoTicket) {
  Files files;
  ContextOptions options = server_options(files, "1.3");
  options.session_lifetime = std::chrono::seconds(0);
  Context server(options);
  Context client(client_options(files, "1.3"));
  Handshake run = handshake(client, server, nullptr, nullptr);
  ASSERT_TRUE(run.ok);
  std::unique_ptr<SSL_SESSION, ossl::Deleter<&SSL_SESSION_free>> session(SSL_get1_session(run.client.get()));
  EXPECT_FALSE(session && SSL_SESSION_is_resumable(session.get()) == 1);
}

}  // namespace
}  // namespace tlslab::tls
