// tlslab-explain's readers, against published vectors and real connections (issue 25): the record
// opener on RFC 8448's records, whole TLS 1.2 and 1.3 connections made in memory by libssl and read
// back as a capture holds them (their application data opened with the key log libssl wrote, and
// what the capture says they negotiated held to what libssl says), the key log parser, the ClientHello
// recognizer, hostile record streams, and the HTML escaping of the index page.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "captured_tls.hpp"
#include "explained_connection.hpp"
#include "frame_stream.hpp"
#include "index_page.hpp"
#include "key_log.hpp"
#include "record_opener.hpp"
#include "test_pki.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/tls/negotiated.hpp"

namespace tlslab::explain {
namespace {

Bytes hex(std::string_view text) {
  auto bytes = from_hex(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes.value_or(Bytes{});
}

Bytes text_bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

// RFC 8448 §3 (Simple 1-RTT Handshake), TLS_AES_128_GCM_SHA256. The plaintexts are the messages the
// RFC lists (EncryptedExtensions, Certificate, CertificateVerify, Finished; the client's Finished);
// the records are the RFC's "complete record" of "{server} send handshake record" (679 octets) and
// of "{client} send handshake record" (58 octets), checked when copied: sealing the plaintext
// with the RFC's own key and iv (Python's cryptography AESGCM) gives these bytes exactly.
constexpr std::string_view server_handshake_traffic_secret =
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
constexpr std::string_view client_handshake_traffic_secret =
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
constexpr std::string_view server_flight_plaintext =
    "080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b5"
    "0001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a0603550403130372"
    "7361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372"
    "736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c"
    "0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0cc"
    "b0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a"
    "8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0"
    "300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594"
    "365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1"
    "fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4"
    "2b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc"
    "90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671"
    "459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000"
    "209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
constexpr std::string_view server_flight_record =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca"
    "07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b"
    "d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c"
    "7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092"
    "8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8"
    "9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f"
    "4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a3"
    "6ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e"
    "1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052c"
    "f93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb"
    "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038"
    "ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd50278"
    "4016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e"
    "750edc53370d2b";
constexpr std::string_view client_finished_plaintext =
    "14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";
constexpr std::string_view client_finished_record =
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1c"
    "aeacab6867d726c40546";

constexpr std::uint16_t tls_aes_128_gcm_sha256 = 0x1301;

TEST(ExplainRecordOpener, OpensRfc8448ServerFlightWithItsHandshakeTrafficSecret) {
  std::string why;
  auto opener = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(server_handshake_traffic_secret), why);
  ASSERT_TRUE(opener.has_value()) << why;
  auto opened = opener->open(hex(server_flight_record));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->content_type, 22);  // handshake, the inner type after the plaintext
  EXPECT_EQ(opened->plaintext, hex(server_flight_plaintext));
}

TEST(ExplainRecordOpener, OpensRfc8448ClientFinished) {
  std::string why;
  auto opener = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(client_handshake_traffic_secret), why);
  ASSERT_TRUE(opener.has_value()) << why;
  auto opened = opener->open(hex(client_finished_record));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->content_type, 22);
  EXPECT_EQ(opened->plaintext, hex(client_finished_plaintext));
}

TEST(ExplainRecordOpener, RefusesAFlippedBitAnywhereInTheRecord) {
  Bytes record = hex(server_flight_record);
  // A bit of the header (additional data), of the ciphertext, and of the tag.
  for (std::size_t at : {std::size_t{2}, std::size_t{5}, std::size_t{300}, record.size() - 1}) {
    Bytes changed = record;
    changed[at] ^= 0x01;
    std::string why;
    auto opener = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(server_handshake_traffic_secret), why);
    ASSERT_TRUE(opener.has_value());
    EXPECT_FALSE(opener->open(changed).has_value()) << "bit flipped at byte " << at;
  }
}

TEST(ExplainRecordOpener, RefusesTheWrongSecretAndTheWrongSequenceNumber) {
  std::string why;
  auto wrong = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(client_handshake_traffic_secret), why);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_FALSE(wrong->open(hex(server_flight_record)).has_value());
  // The server's first record is sequence number 0: opened second, its nonce is wrong.
  auto late = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(server_handshake_traffic_secret), why);
  ASSERT_TRUE(late.has_value());
  EXPECT_FALSE(late->open(hex(client_finished_record)).has_value());
  EXPECT_FALSE(late->open(hex(server_flight_record)).has_value());
}

TEST(ExplainRecordOpener, TooShortARecordIsNotOpened) {
  std::string why;
  auto opener = RecordOpener::tls13(tls_aes_128_gcm_sha256, hex(server_handshake_traffic_secret), why);
  ASSERT_TRUE(opener.has_value());
  EXPECT_FALSE(opener->open(hex("17030300")).has_value());
  EXPECT_FALSE(opener->open(hex("170303000f000102030405060708090a0b0c0d0e")).has_value());  // shorter than a tag
}

TEST(ExplainRecordOpener, NamesASuiteItDoesNotOpen) {
  std::string why;
  // TLS_AES_128_CCM_SHA256 (0x1304) and TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (0xc013).
  EXPECT_FALSE(RecordOpener::tls13(0x1304, hex(server_handshake_traffic_secret), why).has_value());
  EXPECT_NE(why.find("TLS_AES_128_CCM_SHA256"), std::string::npos) << why;
  why.clear();
  Bytes random(32, 1);
  EXPECT_FALSE(RecordOpener::tls12(0xc013, Bytes(48, 2), random, random, true, why).has_value());
  EXPECT_NE(why.find("CBC"), std::string::npos) << why;
}

// ---- Real connections made in memory, read back as a capture holds them -------------------------

using SslPtr = std::unique_ptr<SSL, ossl::Deleter<&SSL_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, ossl::Deleter<&SSL_CTX_free>>;

std::string* key_log_sink = nullptr;
void on_key_log(const SSL* /*ssl*/, const char* line) {
  if (key_log_sink != nullptr) *key_log_sink += std::string(line) + "\n";
}

// What the server staples: a DER OCSPResponse that says only "successful" (RFC 6960 §4.2.1).
const Bytes staple = {0x30, 0x03, 0x0a, 0x01, 0x00};
int on_status_request(SSL* ssl, void* /*arg*/) {
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(staple.data(), staple.size()));
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple.size()));
  return SSL_TLSEXT_ERR_OK;
}

struct Variant {
  const char* name;
  int version;                          // TLS1_2_VERSION, TLS1_3_VERSION
  const char* ciphers;                  // TLS 1.2 cipher list or TLS 1.3 ciphersuites
  std::uint16_t suite;                  // the IANA number libssl reports
  const char* server_groups = nullptr;  // the server's groups, when not libssl's default
  bool client_certificate = false;      // the server asks for one and the client sends it
};

const std::string request = "GET / HTTP/1.1\r\nHost: server.test\r\n\r\n";
const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

// Two SSL objects talking through memory BIOs; every byte either writes is carried to the other
// and recorded as a capture reader hands it over: each direction's bytes and the arrivals in order.
struct Session {
  SslCtxPtr client_context{SSL_CTX_new(TLS_client_method())};
  SslCtxPtr server_context{SSL_CTX_new(TLS_server_method())};
  SslPtr client;
  SslPtr server;
  decrypt::TcpConnection connection;
  std::string key_log;
  bool ok = false;
  std::int64_t clock = 1'700'000'000'000'000;

  // With `resumed_from`: the same server (its session ticket keys), the client offering that session.
  explicit Session(const Variant& variant, const Session* resumed_from = nullptr) {
    const auto& pki = test::test_pki();
    if (resumed_from != nullptr) {
      SSL_CTX_up_ref(resumed_from->server_context.get());
      server_context.reset(resumed_from->server_context.get());
    }
    for (SSL_CTX* context : {client_context.get(), server_context.get()}) {
      SSL_CTX_set_min_proto_version(context, variant.version);
      SSL_CTX_set_max_proto_version(context, variant.version);
      if (variant.version == TLS1_3_VERSION) {
        SSL_CTX_set_ciphersuites(context, variant.ciphers);
      } else {
        SSL_CTX_set_cipher_list(context, variant.ciphers);
      }
    }
    SSL_CTX_use_certificate(server_context.get(), pki.server_certificate.get());
    SSL_CTX_use_PrivateKey(server_context.get(), pki.server_key.get());
    SSL_CTX_set_tlsext_status_cb(server_context.get(), on_status_request);
    if (variant.server_groups != nullptr) SSL_CTX_set1_groups_list(server_context.get(), variant.server_groups);
    if (variant.client_certificate) {
      SSL_CTX_set_verify(server_context.get(), SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
      SSL_CTX_use_certificate(client_context.get(), pki.ec_server_certificate.get());
      SSL_CTX_use_PrivateKey(client_context.get(), pki.ec_server_key.get());
    }
    SSL_CTX_set_keylog_callback(client_context.get(), on_key_log);
    client.reset(SSL_new(client_context.get()));
    server.reset(SSL_new(server_context.get()));
    for (SSL* ssl : {client.get(), server.get()}) {
      BIO* in = BIO_new(BIO_s_mem());
      BIO* out = BIO_new(BIO_s_mem());
      BIO_set_mem_eof_return(in, -1);
      SSL_set_bio(ssl, in, out);
    }
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    SSL_set_tlsext_host_name(client.get(), "server.test");
    SSL_set_tlsext_status_type(client.get(), TLSEXT_STATUSTYPE_ocsp);
    if (resumed_from != nullptr) SSL_set_session(client.get(), SSL_get_session(resumed_from->client.get()));
    connection.client = "127.0.0.1:40000";
    connection.server = "127.0.0.1:443";

    key_log_sink = &key_log;
    int client_done = 0;
    int server_done = 0;
    for (int round = 0; round < 20 && (client_done != 1 || server_done != 1); ++round) {
      if (client_done != 1) client_done = SSL_do_handshake(client.get());
      carry(decrypt::Direction::client_to_server);
      if (server_done != 1) server_done = SSL_do_handshake(server.get());
      carry(decrypt::Direction::server_to_client);
    }
    ok = client_done == 1 && server_done == 1 && exchange(request, response);
    key_log_sink = nullptr;
    ERR_clear_error();
  }

  // The client sends `to_server`, the server answers `to_client`; true when each read what was sent.
  bool exchange(std::string_view to_server, std::string_view to_client) {
    char buffer[256];
    bool done = SSL_write(client.get(), to_server.data(), static_cast<int>(to_server.size())) > 0;
    carry(decrypt::Direction::client_to_server);
    done = done && SSL_read(server.get(), buffer, sizeof buffer) == static_cast<int>(to_server.size());
    done = done && SSL_write(server.get(), to_client.data(), static_cast<int>(to_client.size())) > 0;
    carry(decrypt::Direction::server_to_client);
    done = done && SSL_read(client.get(), buffer, sizeof buffer) == static_cast<int>(to_client.size());
    ERR_clear_error();
    return done;
  }

  void carry(decrypt::Direction direction) {
    bool to_server = direction == decrypt::Direction::client_to_server;
    BIO* out = SSL_get_wbio(to_server ? client.get() : server.get());
    BIO* in = SSL_get_rbio(to_server ? server.get() : client.get());
    Bytes& bytes = to_server ? connection.client_bytes : connection.server_bytes;
    unsigned char buffer[4096];
    int n = 0;
    while ((n = BIO_read(out, buffer, sizeof buffer)) > 0) {
      bytes.insert(bytes.end(), buffer, buffer + n);
      connection.arrivals.push_back({direction, bytes.size(), std::chrono::microseconds(clock += 1000)});
      BIO_write(in, buffer, n);
    }
  }
};

std::vector<Bytes> opened_from(const CapturedTls& captured, Party from) {
  std::vector<Bytes> out;
  for (const auto& record : captured.application) {
    if (record.from == from && record.opened) out.push_back(record.plaintext);
  }
  return out;
}

class ExplainConnection : public testing::TestWithParam<Variant> {};

TEST_P(ExplainConnection, TheKeyLogOpensTheApplicationData) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  KeyLog keys = KeyLog::parse(session.key_log);
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.ignored(), 0u);
  CapturedTls captured = read_tls(session.connection, keys);
  EXPECT_TRUE(captured.keys_in_log);
  EXPECT_EQ(opened_from(captured, Party::client), std::vector<Bytes>{text_bytes(request)});
  EXPECT_EQ(opened_from(captured, Party::server), std::vector<Bytes>{text_bytes(response)});
  EXPECT_EQ(captured.application_records[0], 1u);
  EXPECT_EQ(captured.application_records[1], 1u);
  for (const auto& note : captured.notes) ADD_FAILURE() << "unexpected note: " << note;
  if (GetParam().version == TLS1_3_VERSION) {
    EXPECT_TRUE(captured.handshake_opened);
  }
  // Every handshake message libssl sent is there whole, in the clear or opened.
  for (const char* name : {"ClientHello", "ServerHello", "Certificate", "Finished"}) {
    bool seen = false;
    for (const auto& message : captured.messages) seen = seen || message.name == name;
    EXPECT_TRUE(seen) << name;
  }
}

TEST_P(ExplainConnection, WithoutTheKeyLogNothingIsOpened) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  CapturedTls captured = read_tls(session.connection, KeyLog{});
  EXPECT_FALSE(captured.keys_in_log);
  EXPECT_FALSE(captured.handshake_opened);
  EXPECT_TRUE(opened_from(captured, Party::client).empty());
  EXPECT_TRUE(opened_from(captured, Party::server).empty());
  ASSERT_FALSE(captured.application.empty());
  for (const auto& record : captured.application) {
    EXPECT_TRUE(record.plaintext.empty());
    EXPECT_EQ(record.size, record.record.size());
  }
  // An observer still sees that the handshake completed, and which suite.
  Summary summary = summarize(captured);
  EXPECT_TRUE(summary.complete) << summary.outcome;
  EXPECT_EQ(summary.suite, tls::negotiated_of(session.client.get(), false).suite);
  // The request's text is nowhere in what was read.
  for (const auto& message : captured.messages) {
    std::string bytes(message.bytes.begin(), message.bytes.end());
    EXPECT_EQ(bytes.find("GET /"), std::string::npos) << message.name;
  }
}

TEST_P(ExplainConnection, AKeyLogWithWrongSecretsOpensNothingAndSaysSo) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  // The same lines, each secret's first byte changed.
  std::string changed;
  for (std::string_view rest = session.key_log; !rest.empty();) {
    std::string line(rest.substr(0, rest.find('\n')));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    std::size_t secret = line.rfind(' ') + 1;
    line[secret] = line[secret] == '0' ? '1' : '0';
    changed += line + "\n";
  }
  CapturedTls captured = read_tls(session.connection, KeyLog::parse(changed));
  EXPECT_TRUE(opened_from(captured, Party::client).empty());
  EXPECT_TRUE(opened_from(captured, Party::server).empty());
  bool said = false;
  for (const auto& note : captured.notes) said = said || note.find("does not open") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_P(ExplainConnection, TheCaptureSaysWhatLibsslNegotiated) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  CapturedTls captured = read_tls(session.connection, KeyLog::parse(session.key_log));
  tls::NegotiatedSession live = tls::negotiated_of(session.client.get(), false);
  tls::NegotiatedSession seen = tls::negotiated_from(captured.messages);
  EXPECT_EQ(seen.version, live.version);
  EXPECT_EQ(seen.tls13, live.tls13);
  EXPECT_EQ(seen.protocol, live.protocol);
  EXPECT_EQ(seen.cipher_suite, GetParam().suite);
  EXPECT_EQ(seen.cipher_suite, live.cipher_suite);
  EXPECT_EQ(seen.suite, live.suite);
  EXPECT_EQ(seen.group, live.group);
  EXPECT_EQ(seen.ecdhe, live.ecdhe);
  EXPECT_EQ(seen.client_random, live.client_random);
  EXPECT_EQ(seen.server_random, live.server_random);
  EXPECT_EQ(seen.server_certificate, live.server_certificate);
  EXPECT_EQ(seen.server_certificate, crypto::certificate_der(test::test_pki().server_certificate.get()));
  EXPECT_EQ(seen.client_certificate, live.client_certificate);
  EXPECT_EQ(seen.staple, live.staple);
  EXPECT_EQ(seen.staple, staple);
  EXPECT_EQ(seen.extended_master_secret, live.extended_master_secret);
  EXPECT_TRUE(live.finished);
  EXPECT_EQ(seen.finished, live.finished);

  Summary summary = summarize(captured);
  EXPECT_TRUE(summary.complete) << summary.outcome;
  EXPECT_EQ(summary.sni, "server.test");
  EXPECT_EQ(summary.suite, live.suite);
  EXPECT_EQ(summary.protocol, live.protocol);
}

TEST_P(ExplainConnection, OneByteAtATimeReadsTheSameAsWhole) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  KeyLog keys = KeyLog::parse(session.key_log);
  decrypt::TcpConnection split = session.connection;
  split.arrivals.clear();
  std::size_t previous[2] = {0, 0};
  for (const auto& arrival : session.connection.arrivals) {
    std::size_t& from = previous[arrival.direction == decrypt::Direction::client_to_server ? 0 : 1];
    for (std::size_t end = from + 1; end <= arrival.end; ++end)
      split.arrivals.push_back({arrival.direction, end, arrival.at});
    from = arrival.end;
  }
  CapturedTls whole = read_tls(session.connection, keys);
  CapturedTls bytewise = read_tls(split, keys);
  ASSERT_EQ(bytewise.messages.size(), whole.messages.size());
  for (std::size_t i = 0; i < whole.messages.size(); ++i) {
    EXPECT_EQ(bytewise.messages[i].name, whole.messages[i].name) << i;
    EXPECT_EQ(bytewise.messages[i].from, whole.messages[i].from) << i;
    EXPECT_EQ(bytewise.messages[i].bytes, whole.messages[i].bytes) << i;
  }
  EXPECT_EQ(opened_from(bytewise, Party::client), opened_from(whole, Party::client));
  EXPECT_EQ(opened_from(bytewise, Party::server), opened_from(whole, Party::server));
  EXPECT_EQ(bytewise.notes, whole.notes);
}

TEST_P(ExplainConnection, IsExplainedAsAHandshakeThatCompleted) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  KeyLog keys = KeyLog::parse(session.key_log);
  Explained explained = explain_connection(read_tls(session.connection, keys), keys, false);
  EXPECT_TRUE(explained.outcome.ok) << explained.outcome.event;
  EXPECT_FALSE(explained.events.empty());
}

TEST_P(ExplainConnection, AResumedSessionIsOpenedToo) {
  Session first(GetParam());
  ASSERT_TRUE(first.ok);
  Session second(GetParam(), &first);
  ASSERT_TRUE(second.ok);
  ASSERT_EQ(SSL_session_reused(second.client.get()), 1);
  CapturedTls captured = read_tls(second.connection, KeyLog::parse(second.key_log));
  EXPECT_EQ(opened_from(captured, Party::client), std::vector<Bytes>{text_bytes(request)});
  EXPECT_EQ(opened_from(captured, Party::server), std::vector<Bytes>{text_bytes(response)});
  for (const auto& note : captured.notes) ADD_FAILURE() << "unexpected note: " << note;
  Summary summary = summarize(captured);
  EXPECT_TRUE(summary.complete) << summary.outcome;
  tls::NegotiatedSession live = tls::negotiated_of(second.client.get(), false);
  tls::NegotiatedSession seen = tls::negotiated_from(captured.messages);
  EXPECT_EQ(seen.cipher_suite, live.cipher_suite);
  EXPECT_EQ(seen.client_random, live.client_random);
  EXPECT_EQ(seen.server_random, live.server_random);
  EXPECT_EQ(seen.finished, live.finished);
}

class ExplainTls13Connection : public ExplainConnection {};

TEST_P(ExplainTls13Connection, KeyUpdateIsFollowed) {
  Session session(GetParam());
  ASSERT_TRUE(session.ok);
  // RFC 8446 §4.6.3: the client updates its keys and asks the server to update its own.
  ASSERT_EQ(SSL_key_update(session.client.get(), SSL_KEY_UPDATE_REQUESTED), 1);
  ASSERT_TRUE(session.exchange("after the update", "answered under new keys"));
  ASSERT_TRUE(session.exchange("and again", "still"));
  CapturedTls captured = read_tls(session.connection, KeyLog::parse(session.key_log));
  EXPECT_EQ(opened_from(captured, Party::client),
            (std::vector<Bytes>{text_bytes(request), text_bytes("after the update"), text_bytes("and again")}));
  EXPECT_EQ(opened_from(captured, Party::server),
            (std::vector<Bytes>{text_bytes(response), text_bytes("answered under new keys"), text_bytes("still")}));
  int key_updates = 0;
  for (const auto& message : captured.messages) key_updates += message.name == "KeyUpdate" ? 1 : 0;
  EXPECT_EQ(key_updates, 2);  // one each way
  for (const auto& note : captured.notes) ADD_FAILURE() << "unexpected note: " << note;
}

const Variant tls12_ecdhe_aes_128_gcm{"Tls12EcdheAes128Gcm", TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256", 0xc02f};
const Variant tls12_ecdhe_aes_256_gcm{"Tls12EcdheAes256GcmSha384", TLS1_2_VERSION, "ECDHE-RSA-AES256-GCM-SHA384",
                                      0xc030};
const Variant tls12_rsa_aes_256_gcm{"Tls12RsaAes256GcmSha384", TLS1_2_VERSION, "AES256-GCM-SHA384", 0x009d};
const Variant tls12_ecdhe_chacha20{"Tls12EcdheChaCha20", TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305", 0xcca8};
const Variant tls13_aes_128_gcm{"Tls13Aes128Gcm", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0x1301};
const Variant tls13_aes_256_gcm{"Tls13Aes256Gcm", TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", 0x1302};
const Variant tls13_chacha20{"Tls13ChaCha20", TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", 0x1303};

std::string name_of(const testing::TestParamInfo<Variant>& suite) {
  return suite.param.name;
}

INSTANTIATE_TEST_SUITE_P(Suites, ExplainConnection,
                         testing::Values(tls12_ecdhe_aes_128_gcm, tls12_ecdhe_aes_256_gcm, tls12_rsa_aes_256_gcm,
                                         tls12_ecdhe_chacha20, tls13_aes_128_gcm, tls13_aes_256_gcm, tls13_chacha20),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Suites, ExplainTls13Connection,
                         testing::Values(tls13_aes_128_gcm, tls13_aes_256_gcm, tls13_chacha20), name_of);

// RFC 8446 §4.1.4: the client's key share is for x25519, the server takes only P-256 and asks again.
TEST(ExplainHelloRetryRequest, IsReadAndTheConnectionOpened) {
  Session session(Variant{"", TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 0x1301, "P-256"});
  ASSERT_TRUE(session.ok);
  CapturedTls captured = read_tls(session.connection, KeyLog::parse(session.key_log));
  std::vector<std::string> names;
  for (const auto& message : captured.messages) {
    if (message.type == tls::TappedType::handshake) names.push_back(message.name);
  }
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names[0], "ClientHello");
  EXPECT_EQ(names[1], "ServerHello");  // by its msg_type: events_of names it from its random
  EXPECT_EQ(names[2], "ClientHello");
  EXPECT_EQ(names[3], "ServerHello");
  EXPECT_EQ(opened_from(captured, Party::client), std::vector<Bytes>{text_bytes(request)});
  EXPECT_EQ(opened_from(captured, Party::server), std::vector<Bytes>{text_bytes(response)});
  for (const auto& note : captured.notes) ADD_FAILURE() << "unexpected note: " << note;
  tls::NegotiatedSession live = tls::negotiated_of(session.client.get(), false);
  tls::NegotiatedSession seen = tls::negotiated_from(captured.messages);
  EXPECT_EQ(live.group, "secp256r1");
  EXPECT_EQ(seen.group, live.group);
  EXPECT_EQ(seen.server_random, live.server_random);  // the ServerHello's, not the HelloRetryRequest's
  EXPECT_EQ(seen.server_certificate, live.server_certificate);
  EXPECT_TRUE(summarize(captured).complete);
  KeyLog keys = KeyLog::parse(session.key_log);
  Explained explained = explain_connection(std::move(captured), keys, false);
  bool retry_shown = false;
  for (const auto& event : explained.events) {
    retry_shown = retry_shown || event.message.find("HelloRetryRequest") != std::string::npos;
  }
  EXPECT_TRUE(retry_shown);
  EXPECT_TRUE(explained.outcome.ok) << explained.outcome.event;
}

// The client's Certificate crosses encrypted under TLS 1.3 (its handshake traffic secret opens it)
// and in the clear under TLS 1.2.
TEST(ExplainClientCertificate, IsSeenAsLibsslSentIt) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const char* ciphers = version == TLS1_3_VERSION ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256";
    Session session(Variant{"", version, ciphers, 0, nullptr, true});
    ASSERT_TRUE(session.ok) << version;
    CapturedTls captured = read_tls(session.connection, KeyLog::parse(session.key_log));
    tls::NegotiatedSession seen = tls::negotiated_from(captured.messages);
    EXPECT_EQ(seen.client_certificate, crypto::certificate_der(test::test_pki().ec_server_certificate.get()))
        << version;
    EXPECT_EQ(opened_from(captured, Party::client), std::vector<Bytes>{text_bytes(request)}) << version;
    for (const auto& note : captured.notes) ADD_FAILURE() << version << ": unexpected note: " << note;
  }
}

// ---- The key log ---------------------------------------------------------------------------

const std::string random_a(64, 'a');
const std::string random_b(64, 'b');

TEST(ExplainKeyLog, ReadsNssLinesAndCountsTheRest) {
  std::string long_line(10'000, 'A');
  std::string text =
      "# SSL/TLS secrets log file, generated by NSS\r\n"
      "\n"
      "CLIENT_RANDOM " +
      random_a + " " + std::string(96, '1') +
      "\r\n"
      "\r\n"
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET " +
      random_b + " " + std::string(64, '2') +
      "\n"
      "SERVER_HANDSHAKE_TRAFFIC_SECRET " +
      random_b + " " + std::string(64, '3') +
      "\n"
      "CLIENT_RANDOM " +
      random_a + " not-hex-at-all\n" + long_line +
      "\n"
      "CLIENT_RANDOM " +
      random_a +
      "\n"
      "CLIENT_RANDOM " +
      random_a + " " + std::string(96, '1') +
      " extra\n"
      "CLIENT_RANDOM zz" +
      random_a.substr(2) + " " + std::string(96, '1');  // no final newline
  KeyLog log = KeyLog::parse(text);
  EXPECT_EQ(log.lines(), 3u);
  EXPECT_EQ(log.ignored(), 5u);
  EXPECT_EQ(log.first_ignored(), "CLIENT_RANDOM " + random_a + " not-hex-at-all");
  EXPECT_EQ(log.find("CLIENT_RANDOM", hex(random_a)), hex(std::string(96, '1')));
  EXPECT_EQ(log.find("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hex(random_b)), hex(std::string(64, '2')));
  EXPECT_EQ(log.find("SERVER_HANDSHAKE_TRAFFIC_SECRET", hex(random_b)), hex(std::string(64, '3')));
  EXPECT_FALSE(log.find("CLIENT_RANDOM", hex(random_b)).has_value());
  EXPECT_FALSE(log.find("SERVER_TRAFFIC_SECRET_0", hex(random_b)).has_value());
  EXPECT_EQ(log.lines_of(hex(random_a)),
            std::vector<std::string>{"CLIENT_RANDOM " + random_a + " " + std::string(96, '1')});
  EXPECT_EQ(log.lines_of(hex(random_b)).size(), 2u);
  EXPECT_TRUE(log.lines_of(hex(std::string(64, 'c'))).empty());
  for (const auto& line : log.lines_of(hex(random_b))) EXPECT_EQ(line.find('\r'), std::string::npos);
}

TEST(ExplainKeyLog, TheFirstIgnoredLineIsQuotedPrintableAndShort) {
  KeyLog log = KeyLog::parse("\x1b[31mred\x07 \x01" + std::string(5000, 'x') + "\n");
  EXPECT_EQ(log.ignored(), 1u);
  ASSERT_FALSE(log.first_ignored().empty());
  EXPECT_LE(log.first_ignored().size(), 1000u);
  for (char c : log.first_ignored()) {
    auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte != 0x7f) << "control byte " << int(byte) << " in " << log.first_ignored();
  }
  EXPECT_TRUE(KeyLog::parse("").empty());
  EXPECT_EQ(KeyLog::parse("\n\n# only comments\n").ignored(), 0u);
}

TEST(ExplainKeyLog, ReadRefusesAMissingFileNamingIt) {
  try {
    KeyLog::read("/nonexistent/tlslab-explain-test.keylog");
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/tlslab-explain-test.keylog"), std::string::npos);
  }
}

// `--keylog DIR` once said "key log 'DIR/' is 8796093022207 MiB": std::ifstream opens a directory and
// tellg() after seekg(end) is LLONG_MAX there, not -1.
TEST(ExplainKeyLog, ReadRefusesADirectoryNamingIt) {
  test::TempDir dir;
  try {
    KeyLog::read(dir.file(""));
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(dir.file("")), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find("MiB"), std::string::npos) << error.what();
  }
}

// ---- The ClientHello recognizer -------------------------------------------------------------

TEST(ExplainRecognizer, ARealClientHelloIsTls) {
  Session session(tls13_aes_128_gcm);
  ASSERT_GE(session.connection.client_bytes.size(), 6u);
  ByteView hello(session.connection.client_bytes);
  EXPECT_EQ(looks_like_tls_client_hello(hello), std::optional<bool>(true));
  EXPECT_EQ(looks_like_tls_client_hello(hello.first(6)), std::optional<bool>(true));
  for (std::size_t size = 0; size < 6; ++size) {
    EXPECT_EQ(looks_like_tls_client_hello(hello.first(size)), std::nullopt) << size << " bytes";
  }
}

TEST(ExplainRecognizer, OtherFirstBytesAreNotTls) {
  EXPECT_EQ(looks_like_tls_client_hello(text_bytes("GET / HTTP/1.1\r\n")), std::optional<bool>(false));
  EXPECT_EQ(looks_like_tls_client_hello(text_bytes("G")), std::optional<bool>(false));
  // A handshake record whose first message is a ServerHello (a server that speaks first).
  EXPECT_EQ(looks_like_tls_client_hello(hex("160303004a02")), std::optional<bool>(false));
  // SSL 2.0's and other versions' first bytes.
  EXPECT_EQ(looks_like_tls_client_hello(hex("8046010301")), std::optional<bool>(false));
  EXPECT_EQ(looks_like_tls_client_hello(hex("16fe")), std::optional<bool>(false));
}

TEST(ExplainRecognizer, ATlslabFrameIsNotTls) {
  // tlslab's ClientHello frame (PROTOCOL.md §2): handshake, version 1.0, a length, then msg_type 1.
  Bytes frame = hex("160100002a01000026");
  ASSERT_EQ(decrypt::looks_like_client_hello(frame), std::optional<bool>(true));  // tlslab-decrypt's
  EXPECT_EQ(looks_like_tls_client_hello(frame), std::optional<bool>(false));
}

// ---- Hostile record streams -----------------------------------------------------------------

decrypt::TcpConnection connection_of(Bytes client, Bytes server = {}) {
  decrypt::TcpConnection connection;
  connection.client_bytes = std::move(client);
  connection.server_bytes = std::move(server);
  connection.arrivals.push_back({decrypt::Direction::client_to_server, connection.client_bytes.size(), {}});
  if (!connection.server_bytes.empty()) {
    connection.arrivals.push_back({decrypt::Direction::server_to_client, connection.server_bytes.size(), {}});
  }
  return connection;
}

bool has_note(const CapturedTls& captured, std::string_view words) {
  for (const auto& note : captured.notes) {
    if (note.find(words) != std::string::npos) return true;
  }
  return false;
}

std::string notes_of(const CapturedTls& captured) {
  std::string out;
  for (const auto& note : captured.notes) out += note + "\n";
  return out;
}

TEST(ExplainHostileRecords, ARecordAnnouncing65535BytesStopsTheDirection) {
  Bytes client = hex("160303ffff");
  client.resize(5 + 0xffff, 0);
  // A whole record after it, never read.
  Bytes alert = hex("15030300020232");
  client.insert(client.end(), alert.begin(), alert.end());
  CapturedTls captured = read_tls(connection_of(client), KeyLog{});
  EXPECT_TRUE(has_note(captured, "65535")) << notes_of(captured);
  EXPECT_TRUE(captured.messages.empty());
  EXPECT_FALSE(captured.alert.has_value());
  for (const auto& note : captured.notes) EXPECT_EQ(note.find('\n'), std::string::npos);
}

TEST(ExplainHostileRecords, AHandshakeMessageAnnouncing16MiBIsNotKept) {
  // A record carrying the header of a ClientHello of 2^24 - 1 bytes, then more records of it.
  Bytes client =
      hex("1603030004"
          "01ffffff");
  for (int i = 0; i < 4; ++i) {
    Bytes record = hex("1603034000");
    record.resize(5 + 0x4000, 0x41);
    client.insert(client.end(), record.begin(), record.end());
  }
  CapturedTls captured = read_tls(connection_of(client), KeyLog{});
  EXPECT_TRUE(has_note(captured, "16777215")) << notes_of(captured);
  EXPECT_TRUE(captured.messages.empty());
}

TEST(ExplainHostileRecords, ACaptureCutInsideARecordSaysSo) {
  Bytes client =
      hex("1603030040"
          "0100003c0303");  // 64 bytes announced, 6 captured
  CapturedTls captured = read_tls(connection_of(client), KeyLog{});
  EXPECT_TRUE(has_note(captured, "ends inside a record")) << notes_of(captured);
  EXPECT_TRUE(captured.messages.empty());
}

TEST(ExplainHostileRecords, ACaptureCutInsideAHandshakeMessageSaysSo) {
  Bytes client =
      hex("1603030006"
          "0100003c0303");  // a whole record, a part of a 64-byte message
  CapturedTls captured = read_tls(connection_of(client), KeyLog{});
  EXPECT_TRUE(has_note(captured, "ends inside a handshake message")) << notes_of(captured);
  EXPECT_TRUE(captured.messages.empty());
}

TEST(ExplainHostileRecords, NotARecordAtAllIsNamed) {
  CapturedTls captured = read_tls(connection_of(text_bytes("GET / HTTP/1.1\r\n\r\n")), KeyLog{});
  EXPECT_TRUE(has_note(captured, "not a TLS record")) << notes_of(captured);
  EXPECT_TRUE(captured.messages.empty());
  Summary summary = summarize(captured);
  EXPECT_FALSE(summary.complete);
  EXPECT_EQ(summary.protocol, "TLS (no ServerHello)");
}

TEST(ExplainHostileRecords, AnEmptyConnectionIsIncomplete) {
  CapturedTls captured = read_tls(decrypt::TcpConnection{}, KeyLog{});
  EXPECT_TRUE(captured.messages.empty());
  Summary summary = summarize(captured);
  EXPECT_FALSE(summary.complete);
  EXPECT_EQ(summary.sni, "-");
  Explained explained = explain_connection(std::move(captured), KeyLog{}, false);
  EXPECT_FALSE(explained.outcome.ok);
}

// A capture time this far in the future (a pcapng timestamp fuzz_explain_capture made:
// 3388503550182613992 µs) once overflowed steady_clock's and system_clock's nanoseconds (undefined
// behaviour, caught by UBSan in build-asan): it is read as the latest time nanoseconds can count.
TEST(ExplainHostileRecords, ACaptureTimeFarInTheFutureIsRead) {
  decrypt::TcpConnection connection = connection_of(hex("160303000801000004030300ff"));
  for (auto& arrival : connection.arrivals) arrival.at = std::chrono::microseconds(3'388'503'550'182'613'992);
  CapturedTls captured = read_tls(connection, KeyLog{});
  ASSERT_EQ(captured.messages.size(), 1u);
  EXPECT_EQ(captured.messages[0].name, "ClientHello");
  EXPECT_FALSE(captured.messages[0].time.empty());
}

// What read_tls keeps is bounded in count as well as in bytes: each empty record before a
// ServerHello once added a note, and each tiny handshake message a TappedMessage.
TEST(ExplainHostileRecords, ManyTinyRecordsKeepBoundedNotesAndMessages) {
  Bytes client;
  for (int i = 0; i < 100'000; ++i) {
    Bytes record = hex("1703030000");
    client.insert(client.end(), record.begin(), record.end());
  }
  Bytes server;
  for (int i = 0; i < 100'000; ++i) {
    Bytes record = hex("16030300040e000000");  // ServerHelloDone
    server.insert(server.end(), record.begin(), record.end());
  }
  CapturedTls captured = read_tls(connection_of(client, server), KeyLog{});
  EXPECT_LE(captured.notes.size(), 100u);
  EXPECT_LE(captured.messages.size(), 10'000u);
}

// ---- The index page ---------------------------------------------------------------------------

TEST(ExplainIndexPage, EscapesWhatTheCaptureSays) {
  EXPECT_EQ(html_escaped("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  IndexEntry entry;
  entry.stream = 7;
  entry.client = "<script>alert(1)</script>:1";
  entry.server = "10.0.0.1:443\"><img src=x>";
  entry.summary.protocol = "TLS 1.3";
  entry.summary.sni = "<script>alert('sni')</script>";
  entry.summary.suite = "TLS_AES_128_GCM_SHA256";
  entry.summary.outcome = "alert <b>x</b> from Server";
  entry.page = "/out/conn \"><img>.html";
  std::string page = index_page("<script>name</script>.pcap", {entry});
  EXPECT_EQ(page.find("<script"), std::string::npos) << page;
  EXPECT_EQ(page.find("<img"), std::string::npos) << page;
  EXPECT_EQ(page.find("<b>"), std::string::npos) << page;
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;sni&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;:1"), std::string::npos);
  // The link is the page's file name, percent-encoded: no quote ends the attribute.
  EXPECT_NE(page.find("href=\"conn%20%22%3E%3Cimg%3E.html\""), std::string::npos) << page;
}

}  // namespace
}  // namespace tlslab::explain
