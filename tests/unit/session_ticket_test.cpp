// Session tickets (PROTOCOL.md §7.8): the session_ticket extension in both hellos, the resumed
// ServerHello, NewSessionTicket, the server's sealed tickets and its key ring, the client's session
// file and the resumed flow. Hostile input first: every bad ticket is "no resumption", never a throw.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "session_file.hpp"
#include "test_support.hpp"
#include "tlslab/crypto/session_ticket.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/messages.hpp"

namespace tlslab {
namespace {

using test::alert_of;

constexpr std::uint16_t session_ticket_type = static_cast<std::uint16_t>(ExtensionType::session_ticket);

ClientHello hello_with(Bytes ticket_extension_data) {
  ClientHello hello;
  hello.cipher_suites = {0x0A01};
  hello.extensions.push_back(Extension{session_ticket_type, std::move(ticket_extension_data)});
  return hello;
}

ServerHello resumed_hello() {
  ServerHello hello;
  hello.cipher_suite = 0x0A01;
  hello.set_ticket_mode(TicketMode::resumed);
  return hello;
}

ServerHello full_hello() {
  ServerHello hello;
  hello.cipher_suite = 0x0A01;
  hello.certificate = Bytes{0x30, 0x03, 0x02, 0x01, 0x01};
  hello.server_public_key = Bytes{0x30, 0x03, 0x02, 0x01, 0x02};
  return hello;
}

template <class T>
Result<T> round(const T& message) {
  return decode_handshake<T>(encode_handshake(message));
}

// --- the extension in ClientHello -----------------------------------------------------------

TEST(SessionTicketExtension, ClientHelloCarriesEmptyOrTicket) {
  ClientHello hello;
  hello.cipher_suites = {0x0A01};
  EXPECT_FALSE(hello.session_ticket());
  hello.offer_session_ticket({});
  auto decoded = round(hello);
  ASSERT_TRUE(decoded);
  ASSERT_TRUE(decoded->session_ticket());
  EXPECT_TRUE(decoded->session_ticket()->empty());
  hello.offer_session_ticket(Bytes(200, 0x7a));
  decoded = round(hello);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded->session_ticket(), Bytes(200, 0x7a));
}

TEST(SessionTicketExtension, RejectsClientHelloDataThatIsNotOneVectorWithDecodeError) {
  for (const Bytes& data :
       {Bytes{}, Bytes{0x00}, Bytes{0x00, 0x02, 0xaa}, Bytes{0x00, 0x01, 0xaa, 0xbb}, Bytes{0xff, 0xff, 0x01}}) {
    EXPECT_EQ(alert_of(round(hello_with(data))), AlertDescription::decode_error) << to_hex(data);
  }
}

TEST(SessionTicketExtension, RejectsItTwiceWithDecodeError) {
  ClientHello hello = hello_with(Bytes{0x00, 0x00});
  hello.extensions.push_back(Extension{session_ticket_type, Bytes{0x00, 0x00}});
  EXPECT_EQ(alert_of(round(hello)), AlertDescription::decode_error);
}

// --- ServerHello: new_ticket and the resumed form -----------------------------------------------

TEST(ResumedServerHello, RoundTripsWithEmptyCertificateAndKey) {
  auto decoded = round(resumed_hello());
  ASSERT_TRUE(decoded) << decoded.failure().reason;
  EXPECT_TRUE(decoded->resumed());
  EXPECT_TRUE(decoded->certificate.empty());
  EXPECT_TRUE(decoded->server_public_key.empty());
}

TEST(ResumedServerHello, RejectsZeroLengthCertificateWithoutTheResumedFormWithDecodeError) {
  ServerHello hello = full_hello();
  hello.certificate.clear();
  EXPECT_EQ(alert_of(round(hello)), AlertDescription::decode_error);
  hello.set_ticket_mode(TicketMode::new_ticket);
  EXPECT_EQ(alert_of(round(hello)), AlertDescription::decode_error);
  ServerHello no_key = full_hello();
  no_key.server_public_key.clear();
  EXPECT_EQ(alert_of(round(no_key)), AlertDescription::decode_error);
}

TEST(ResumedServerHello, RejectsACertificateOrKeyInTheResumedFormWithDecodeError) {
  ServerHello hello = full_hello();
  hello.set_ticket_mode(TicketMode::resumed);
  EXPECT_EQ(alert_of(round(hello)), AlertDescription::decode_error);
  ServerHello key_only = resumed_hello();
  key_only.server_public_key = Bytes{0x30};
  EXPECT_EQ(alert_of(round(key_only)), AlertDescription::decode_error);
}

TEST(ResumedServerHello, RejectsAStapleKeyShareOrCertificateRequestWithDecodeError) {
  ServerHello stapled = resumed_hello();
  stapled.set_staple(Bytes{0x30, 0x03, 0x0a, 0x01, 0x01});
  EXPECT_EQ(alert_of(round(stapled)), AlertDescription::decode_error);
  ServerHello asking = resumed_hello();
  asking.set_certificate_request({0x0804});
  EXPECT_EQ(alert_of(round(asking)), AlertDescription::decode_error);
}

TEST(ResumedServerHello, RejectsTicketModeOtherThanOneByteOneOrTwoWithDecodeError) {
  for (const Bytes& data : {Bytes{}, Bytes{0x00}, Bytes{0x03}, Bytes{0x02, 0x00}, Bytes{0xff}}) {
    ServerHello hello = full_hello();
    hello.extensions.push_back(Extension{session_ticket_type, data});
    EXPECT_EQ(alert_of(round(hello)), AlertDescription::decode_error) << to_hex(data);
  }
}

TEST(ResumedServerHello, NewTicketModeKeepsTheFullForm) {
  ServerHello hello = full_hello();
  hello.set_ticket_mode(TicketMode::new_ticket);
  auto decoded = round(hello);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->ticket_mode(), TicketMode::new_ticket);
  EXPECT_FALSE(decoded->resumed());
}

TEST(ResumedServerHello, ClientThatOfferedNoTicketRejectsIt) {
  ClientHello none;
  none.cipher_suites = {0x0A01};
  EXPECT_EQ(alert_of(check_resumed_server_hello(none, resumed_hello(), 0x0A01)),
            AlertDescription::unsupported_extension);
  ClientHello can_store = none;
  can_store.offer_session_ticket({});
  EXPECT_EQ(alert_of(check_resumed_server_hello(can_store, resumed_hello(), 0x0A01)),
            AlertDescription::illegal_parameter);
}

TEST(ResumedServerHello, ClientRejectsAnotherSuiteThanTheSessionsWithIllegalParameter) {
  ClientHello offered;
  offered.cipher_suites = {0x0A01, 0x0A03};
  offered.offer_session_ticket(Bytes(64, 1));
  ServerHello hello = resumed_hello();
  hello.cipher_suite = 0x0A03;
  EXPECT_EQ(alert_of(check_resumed_server_hello(offered, hello, 0x0A01)), AlertDescription::illegal_parameter);
  hello.cipher_suite = 0x0A01;
  EXPECT_TRUE(check_resumed_server_hello(offered, hello, 0x0A01));
}

// --- NewSessionTicket ---------------------------------------------------------------------------

TEST(NewSessionTicketMessage, RejectsEmptyTicketTruncationAndTrailingBytesWithDecodeError) {
  Writer empty;
  empty.u32(7200);
  empty.vector(2, Bytes{});
  Writer body;
  body.u8(static_cast<std::uint8_t>(HandshakeType::new_session_ticket));
  body.vector(3, empty.data());
  EXPECT_EQ(alert_of(decode_handshake<NewSessionTicket>(body.data())), AlertDescription::decode_error);
  Bytes good = encode_handshake(NewSessionTicket{60, Bytes(40, 9)});
  for (std::size_t cut = 4; cut < good.size(); ++cut) {
    Bytes shorter(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    shorter[3] = static_cast<std::uint8_t>(cut - 4);
    EXPECT_EQ(alert_of(decode_handshake<NewSessionTicket>(shorter)), AlertDescription::decode_error) << cut;
  }
  Bytes longer = good;
  longer.push_back(0);
  longer[3] = static_cast<std::uint8_t>(longer[3] + 1);
  EXPECT_EQ(alert_of(decode_handshake<NewSessionTicket>(longer)), AlertDescription::decode_error);
}

TEST(NewSessionTicketMessage, CarriesTheLargestTicket) {
  NewSessionTicket big{0xffffffff, Bytes(max_ticket_size, 0x42)};
  auto decoded = round(big);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.value(), big);
}

// --- sealing and opening ------------------------------------------------------------------------

crypto::TicketState state_of(std::int64_t now, std::int64_t expires) {
  crypto::TicketState state;
  state.cipher_suite = 0x0A01;
  state.master_secret = Secret(Bytes(48, 0x33));
  state.created = now;
  state.expires = expires;
  return state;
}

constexpr std::int64_t t0 = 1'800'000'000;

TEST(SealedTicket, OpensUnderItsKey) {
  crypto::TicketKey key = crypto::TicketKey::generate(t0);
  Bytes ticket = crypto::seal_ticket(key, state_of(t0, t0 + 60));
  auto opened = crypto::open_ticket({&key}, ticket, t0 + 1);
  ASSERT_TRUE(opened.state) << opened.why_not;
  EXPECT_EQ(opened.state->cipher_suite, 0x0A01);
  EXPECT_EQ(Bytes(opened.state->master_secret.view().begin(), opened.state->master_secret.view().end()),
            Bytes(48, 0x33));
  EXPECT_EQ(opened.state->created, t0);
  // The master secret is not in the clear in the ticket.
  Bytes secret(48, 0x33);
  EXPECT_EQ(std::search(ticket.begin(), ticket.end(), secret.begin(), secret.end()), ticket.end());
}

TEST(SealedTicket, EveryTamperedByteIsNoResumptionNeverAThrow) {
  crypto::TicketKey key = crypto::TicketKey::generate(t0);
  Bytes ticket = crypto::seal_ticket(key, state_of(t0, t0 + 60));
  for (std::size_t i = 0; i < ticket.size(); ++i) {
    Bytes tampered = ticket;
    tampered[i] ^= 0x01;
    crypto::TicketOpening opened;
    EXPECT_NO_THROW(opened = crypto::open_ticket({&key}, tampered, t0 + 1));
    EXPECT_FALSE(opened.state) << "byte " << i;
    EXPECT_FALSE(opened.why_not.empty());
  }
  for (std::size_t cut = 0; cut < ticket.size(); ++cut) {
    EXPECT_FALSE(crypto::open_ticket({&key}, ByteView(ticket).first(cut), t0 + 1).state) << cut;
  }
}

TEST(SealedTicket, WrongKeyNameExpiredAndUnknownKeyAreNoResumption) {
  crypto::TicketKey key = crypto::TicketKey::generate(t0);
  crypto::TicketKey other = crypto::TicketKey::generate(t0);
  Bytes ticket = crypto::seal_ticket(key, state_of(t0, t0 + 60));
  auto unknown = crypto::open_ticket({&other}, ticket, t0 + 1);
  EXPECT_FALSE(unknown.state);
  EXPECT_NE(unknown.why_not.find("no longer has"), std::string::npos) << unknown.why_not;
  // Another key under this key's name: the tag does not verify.
  other.name = key.name;
  EXPECT_FALSE(crypto::open_ticket({&other}, ticket, t0 + 1).state);
  auto expired = crypto::open_ticket({&key}, ticket, t0 + 60);
  EXPECT_FALSE(expired.state);
  EXPECT_NE(expired.why_not.find("expired"), std::string::npos) << expired.why_not;
}

TEST(TicketKeyringTest, RotationKeepsThePreviousKeyAndDropsTheOneBefore) {
  crypto::TicketKeyring ring(std::chrono::seconds(100), t0);
  Bytes first = ring.seal(state_of(t0, 0), t0);
  EXPECT_TRUE(ring.open(first, t0 + 50).state);
  // A ticket lives at most the lifetime: one sealed just before a rotation still opens after it.
  Bytes late = ring.seal(state_of(t0 + 99, 0), t0 + 99);
  EXPECT_TRUE(ring.open(late, t0 + 150).state);  // rotated at t0+150: the previous key opens it
  Bytes second = ring.seal(state_of(t0 + 150, 0), t0 + 150);
  EXPECT_TRUE(ring.open(second, t0 + 200).state);
  // Two rotations later (t0+260) the first key is gone: no resumption.
  auto gone = ring.open(first, t0 + 260);
  EXPECT_FALSE(gone.state);
  EXPECT_NE(gone.why_not.find("no longer has"), std::string::npos) << gone.why_not;
}

TEST(TicketKeyringTest, CapsTheExpiryAtTheLifetime) {
  crypto::TicketKeyring ring(std::chrono::seconds(100), t0);
  Bytes ticket = ring.seal(state_of(t0, t0 + 100000), t0);
  EXPECT_TRUE(ring.open(ticket, t0 + 99).state);
  EXPECT_FALSE(ring.open(ticket, t0 + 100).state);
}

std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("tlslab-ticket-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  return path;
}

TEST(TicketKeyringTest, KeyFileIsCreated0600AndOpensTicketsAfterARestart) {
  auto path = temp_path("keys");
  Bytes ticket;
  {
    crypto::TicketKeyring ring(std::chrono::seconds(3600), t0, path.string());
    ticket = ring.seal(state_of(t0, 0), t0);
  }
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  crypto::TicketKeyring again(std::chrono::seconds(3600), t0 + 10, path.string());
  EXPECT_TRUE(again.open(ticket, t0 + 10).state);
  crypto::TicketKeyring fresh(std::chrono::seconds(3600), t0 + 10);
  EXPECT_FALSE(fresh.open(ticket, t0 + 10).state);
}

TEST(TicketKeyringTest, RefusesAReadableOrGarbledKeyFile) {
  auto path = temp_path("readable");
  { crypto::TicketKeyring ring(std::chrono::seconds(3600), t0, path.string()); }
  ::chmod(path.c_str(), 0644);
  EXPECT_THROW(crypto::TicketKeyring(std::chrono::seconds(3600), t0, path.string()), std::runtime_error);
  auto garbled = temp_path("garbled");
  std::ofstream(garbled) << "tlslab-ticket-keys 1\n123 zz\n";
  ::chmod(garbled.c_str(), 0600);
  EXPECT_THROW(crypto::TicketKeyring(std::chrono::seconds(3600), t0, garbled.string()), std::runtime_error);
  auto link = temp_path("link");
  std::filesystem::create_symlink(path, link);
  EXPECT_THROW(crypto::TicketKeyring(std::chrono::seconds(3600), t0, link.string()), std::runtime_error);
}

// --- the resumed key schedule and flow ----------------------------------------------------------

TEST(ResumedKeys, FreshKeysFromTheNewRandoms) {
  auto suite = *suite_info(CipherSuite::rsa_oaep_aes_128_gcm_sha256);
  Random client{}, server{}, other{};
  other[0] = 1;
  SessionKeys a = resume_session_keys(suite, Secret(Bytes(48, 7)), client, server);
  SessionKeys b = resume_session_keys(suite, Secret(Bytes(48, 7)), other, server);
  EXPECT_FALSE(constant_time_equal(a.keys.client_write.key.view(), b.keys.client_write.key.view()));
  EXPECT_TRUE(constant_time_equal(a.master_secret.view(), b.master_secret.view()));
}

TEST(ResumedFlow, ArrowsOneTwoSixSevenOnly) {
  const Flow& flow = resumed_flow();
  std::vector<int> arrows;
  for (const FlowStep& step : flow.steps) arrows.push_back(step.arrow);
  EXPECT_EQ(arrows, (std::vector<int>{1, 2, 6, 7}));
  FlowCursor client(seed_flow(), Party::client, Party::server);
  client.send(HandshakeType::client_hello);
  ASSERT_TRUE(client.receive(HandshakeType::server_hello));
  client.choose(resumed_flow());
  client.send(HandshakeType::finished);
  EXPECT_EQ(alert_of(client.receive(HandshakeType::client_key_exchange)), AlertDescription::unexpected_message);
  ASSERT_TRUE(client.receive(HandshakeType::finished));
  EXPECT_TRUE(client.complete());
}

TEST(TicketFlow, NewSessionTicketFollowsTheServersFinished) {
  const Flow& flow = flow_for(FlowVariant{KeyExchange::rsa_oaep, false, false, true});
  ASSERT_FALSE(flow.steps.empty());
  EXPECT_EQ(flow.steps.back().message, HandshakeType::new_session_ticket);
  EXPECT_EQ(flow.steps.back().arrow, 7);
  EXPECT_EQ(&flow_for(FlowVariant{KeyExchange::rsa_oaep, false, false, false}), &seed_flow());
}

// --- the client's session file ------------------------------------------------------------------

client::StoredSession stored() {
  client::StoredSession session;
  session.server_name = "localhost";
  session.cipher_suite = 0x0A01;
  session.master_secret = Secret(Bytes(48, 0x44));
  session.ticket = Bytes(100, 0x55);
  session.expires = t0 + 100;
  return session;
}

TEST(SessionFile, RoundTripsAndRejectsEveryCut) {
  std::string text = client::encode_session(stored());
  auto parsed = client::parse_session(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ticket, Bytes(100, 0x55));
  EXPECT_EQ(parsed->expires, t0 + 100);
  for (std::size_t cut = 0; cut + 1 < text.size(); ++cut) {
    auto shorter = client::parse_session(text.substr(0, cut));
    // A cut inside the last number may still parse, as a smaller number: only a complete text of
    // every field is accepted, and none of the others.
    if (shorter) {
      EXPECT_GT(cut, text.rfind("expires ") + 8) << cut;
    }
  }
  EXPECT_FALSE(client::parse_session(text + "extra 1\n"));
  EXPECT_FALSE(client::parse_session(text + "suite 2561\n"));  // a field twice
  std::string bad_secret = text;
  bad_secret.replace(bad_secret.find("master_secret ") + 14, 2, "zz");
  EXPECT_FALSE(client::parse_session(bad_secret));
}

TEST(SessionFile, ExpiredOtherNameAndLinkAreNotOffered) {
  auto path = temp_path("session");
  client::save_session(path.string(), stored());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_TRUE(client::load_session(path.string(), "localhost", t0).session);
  EXPECT_FALSE(client::load_session(path.string(), "localhost", t0 + 100).session);
  EXPECT_FALSE(client::load_session(path.string(), "example.test", t0).session);
  auto link = temp_path("session-link");
  std::filesystem::create_symlink(path, link);
  auto through_link = client::load_session(link.string(), "localhost", t0);
  EXPECT_FALSE(through_link.session);
  EXPECT_FALSE(through_link.why_not.empty());
  ::chmod(path.c_str(), 0644);
  EXPECT_FALSE(client::load_session(path.string(), "localhost", t0).session);
  EXPECT_TRUE(client::load_session(temp_path("absent").string(), "localhost", t0).why_not.empty());
}

}  // namespace
}  // namespace tlslab
