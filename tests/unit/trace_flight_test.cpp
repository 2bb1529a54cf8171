// Real TLS in the trace (issue 24): an arrow that is a flight of several messages, and an event's
// typed facts, as the JSON Lines, the terminal and the PlantUML diagram show them; and the seed's
// words for the arrows of real TLS (describe::tls_flight). A lab event (no flight, no facts) renders
// as before.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tlslab/describe.hpp"
#include "tlslab/trace/json_lines.hpp"
#include "tlslab/trace/plantuml.hpp"
#include "tlslab/trace/report.hpp"
#include "tlslab/trace/terminal.hpp"

namespace tlslab {
namespace {

std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
  return text;
}

std::string json_line(const HandshakeEvent& event, bool show_secrets) {
  std::FILE* out = std::tmpfile();
  {
    JsonLinesRenderer renderer(out, "client", show_secrets);
    renderer.on_event(event);
    renderer.finish();
  }
  std::string text = read_all(out);
  std::fclose(out);
  return text;
}

std::string terminal_text(const HandshakeEvent& event, bool show_secrets) {
  std::FILE* out = std::tmpfile();
  {
    TerminalRenderer renderer(out, false, show_secrets);
    renderer.on_event(event);
    renderer.finish();
  }
  std::string text = read_all(out);
  std::fclose(out);
  return text;
}

std::string plantuml_of(const std::vector<HandshakeEvent>& events) {
  char dir_template[] = "/tmp/tlslab-plantuml-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  EXPECT_NE(dir, nullptr);
  std::string path = std::string(dir) + "/run.puml";
  {
    PlantUmlRenderer renderer(path, false);
    for (const HandshakeEvent& event : events) renderer.on_event(event);
    renderer.finish();
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove_all(dir);
  return text.str();
}

FlightMessage message(std::string name, Bytes bytes, std::string leaf, bool encrypted) {
  FlightMessage out;
  out.name = std::move(name);
  std::size_t size = bytes.size();
  out.frame.bytes = std::move(bytes);
  out.frame.spans = {{0, 1, "msg_type", {}}, {1, size - 1, std::move(leaf), {}}};
  out.encrypted = encrypted;
  return out;
}

// TLS 1.3's arrow 2: ServerHello in the clear, then four messages inside encrypted records.
HandshakeEvent tls13_arrow2() {
  HandshakeEvent event;
  event.arrow = 2;
  event.from = "Server";
  event.to = "Client";
  event.message = "ServerHello + EncryptedExtensions + Certificate + CertificateVerify + Finished";
  event.description = "returns RAND-SERVER";
  event.flight = {message("ServerHello", {0x02, 0xaa, 0xbb}, "server_hello_body", false),
                  message("EncryptedExtensions", {0x08, 0x00}, "extensions", true),
                  message("Certificate", {0x0b, 0x01, 0x02, 0x03}, "certificate_list", true),
                  message("CertificateVerify", {0x0f, 0x04}, "signature", true),
                  message("Finished", {0x14, 0x05, 0x06}, "verify_data", true)};
  return event;
}

EventFacts tls13_facts() {
  EventFacts facts;
  facts.protocol = "TLS 1.3";
  facts.client_random = Bytes(32, 0x11);
  facts.server_random = Bytes(32, 0x22);
  facts.suite = "TLS_AES_128_GCM_SHA256";
  facts.group = "x25519";
  facts.certificate = {0x30, 0x82, 0x01};
  facts.status_verdict = "good";
  facts.transcript_hashes = {{"Hash(ClientHello..ServerHello)", Bytes{0xab, 0xcd}}};
  facts.checks = {{"host name", true, "localhost", "DNS:localhost"}};
  facts.secrets = {{"client_handshake_traffic_secret", Bytes{0xc0, 0xff, 0xee},
                    "HKDF-Expand-Label(handshake secret, \"c hs traffic\", transcript hash)", "", true}};
  return facts;
}

TEST(TraceFlight, JsonLinesListsEachMessageInOrderWithItsSpans) {
  std::string line = json_line(tls13_arrow2(), false);
  std::size_t messages = line.find("\"messages\":[");
  ASSERT_NE(messages, std::string::npos) << line;
  std::size_t at = messages;
  for (const char* expected :
       {"{\"message\":\"ServerHello\",\"bytes\":\"02aabb\",\"spans\":[{\"offset\":0,\"length\":1,\"field\":\"msg_"
        "type\"},{\"offset\":1,\"length\":2,\"field\":\"server_hello_body\"}],\"encrypted\":false}",
        "{\"message\":\"EncryptedExtensions\",\"bytes\":\"0800\"", "\"encrypted\":true",
        "{\"message\":\"Certificate\",\"bytes\":\"0b010203\"", "\"field\":\"certificate_list\"",
        "{\"message\":\"CertificateVerify\"", "{\"message\":\"Finished\",\"bytes\":\"140506\"",
        "\"field\":\"verify_data\"}],\"encrypted\":true}"}) {
    std::size_t found = line.find(expected, at);
    ASSERT_NE(found, std::string::npos) << expected << " after offset " << at << " in\n" << line;
    at = found;
  }
  // Readers that know only `bytes` see the first message there.
  EXPECT_NE(line.find(",\"bytes\":\"02aabb\",\"spans\":"), std::string::npos) << line;
  EXPECT_LT(line.find("\"bytes\":\"02aabb\""), messages) << line;
  // Facts empty: no `facts` key.
  EXPECT_EQ(line.find("\"facts\""), std::string::npos) << line;
}

TEST(TraceFlight, JsonLinesWritesTheFacts) {
  HandshakeEvent event = tls13_arrow2();
  event.facts = tls13_facts();
  std::string line = json_line(event, false);
  EXPECT_NE(line.find("\"facts\":{\"protocol\":\"TLS 1.3\",\"client_random\":\"" + std::string(64, '1') +
                      "\",\"server_random\":\"" + std::string(64, '2') +
                      "\",\"suite\":\"TLS_AES_128_GCM_SHA256\",\"group\":\"x25519\",\"certificate\":\"308201\","
                      "\"status_verdict\":\"good\",\"transcript_hashes\":[{\"name\":\"Hash(ClientHello..ServerHello)\","
                      "\"hash\":\"abcd\"}],\"checks\":[{\"check\":\"host name\",\"ok\":true,\"expected\":\"localhost\","
                      "\"actual\":\"DNS:localhost\"}]"),
            std::string::npos)
      << line;
}

TEST(TraceFlight, JsonLinesWritesASecretsValueOnlyWhenShown) {
  HandshakeEvent event = tls13_arrow2();
  event.facts = tls13_facts();
  event.fields = {{"RAND-SERVER", "22", TraceColor::rand_server},
                  {"SESSION MASTER KEY", "beef", TraceColor::master_key, true}};
  std::string hidden = json_line(event, false);
  EXPECT_NE(hidden.find("\"secrets\":[{\"name\":\"client_handshake_traffic_secret\",\"computation\":\"HKDF-Expand-"
                        "Label(handshake secret, \\\"c hs traffic\\\", transcript hash)\",\"secret\":true}]"),
            std::string::npos)
      << hidden;
  EXPECT_EQ(hidden.find("c0ffee"), std::string::npos) << hidden;
  EXPECT_EQ(hidden.find("\"value\""), std::string::npos) << hidden;
  EXPECT_EQ(hidden.find("secret_fields"), std::string::npos) << hidden;
  EXPECT_EQ(hidden.find("beef"), std::string::npos) << hidden;

  std::string shown = json_line(event, true);
  EXPECT_NE(shown.find("\"secret\":true,\"value\":\"c0ffee\"}"), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"secret_fields\":[\"SESSION MASTER KEY\"]"), std::string::npos) << shown;
}

TEST(TraceFlight, ALabEventHasNoNewKeys) {
  HandshakeEvent event;
  event.arrow = 1;
  event.from = "Client";
  event.to = "Server";
  event.message = "ClientHello";
  event.frame = WireFrame{{0x16, 0x01}, {{0, 2, "header", {}}}, {}, {}};
  std::string line = json_line(event, true);
  EXPECT_EQ(line.find("messages"), std::string::npos) << line;
  EXPECT_EQ(line.find("facts"), std::string::npos) << line;
  EXPECT_EQ(line.find("secret_fields"), std::string::npos) << line;
  EXPECT_NE(line.find(",\"bytes\":\"1601\",\"spans\":[{\"offset\":0,\"length\":2,\"field\":\"header\"}]}"),
            std::string::npos)
      << line;
}

// The report's data carries the same messages and facts for the page to draw (report.html).
TEST(TraceFlight, TheReportsDataHoldsTheFlightAndTheFacts) {
  HandshakeEvent event = tls13_arrow2();
  event.facts = tls13_facts();
  std::string hidden = report_event_json(event, false);
  EXPECT_NE(hidden.find(",\"messages\":[{\"message\":\"ServerHello\",\"bytes\":\"02aabb\""), std::string::npos)
      << hidden;
  EXPECT_NE(hidden.find("{\"message\":\"Finished\",\"bytes\":\"140506\""), std::string::npos) << hidden;
  EXPECT_NE(hidden.find(",\"facts\":{\"protocol\":\"TLS 1.3\""), std::string::npos) << hidden;
  EXPECT_EQ(hidden.find("c0ffee"), std::string::npos) << hidden;
  EXPECT_NE(report_event_json(event, true).find("\"value\":\"c0ffee\""), std::string::npos);
}

TEST(TraceFlight, TerminalPrintsTheArrowOnceThenEachMessage) {
  std::string text = terminal_text(tls13_arrow2(), false);
  EXPECT_EQ(text.rfind("(2) Server → Client: ServerHello + EncryptedExtensions", 0), 0u) << text;
  std::size_t at = 0;
  for (const char* expected :
       {"\n      · ServerHello            3 bytes\n",
        "\n      · EncryptedExtensions    2 bytes (encrypted on the wire)\n",
        "\n      · Certificate            4 bytes (encrypted on the wire)\n",
        "\n      · CertificateVerify      2 bytes (encrypted on the wire)\n",
        "\n      · Finished               3 bytes (encrypted on the wire)\n", "\n      returns RAND-SERVER\n"}) {
    std::size_t found = text.find(expected, at);
    ASSERT_NE(found, std::string::npos) << expected << " in\n" << text;
    at = found;
  }
  EXPECT_EQ(text.find("(2)", 1), std::string::npos) << "the arrow line is printed once:\n" << text;
}

TEST(TraceFlight, TerminalShowsFactsOnlyWhenTheEventHasNoFields) {
  HandshakeEvent event = tls13_arrow2();
  event.facts = tls13_facts();
  std::string text = terminal_text(event, false);
  EXPECT_NE(text.find("cipher suite           TLS_AES_128_GCM_SHA256\n"), std::string::npos) << text;
  EXPECT_NE(text.find("RAND-SERVER            " + std::string(64, '2') + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("host name              ok: expected localhost, got DNS:localhost\n"), std::string::npos) << text;
  EXPECT_NE(text.find("client_handshake_traffic_secret (secret: add --show-secrets to see it)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("c0ffee"), std::string::npos) << text;
  EXPECT_NE(terminal_text(event, true).find("client_handshake_traffic_secret c0ffee"), std::string::npos);

  event.fields = {{"RAND-SERVER", "22", TraceColor::rand_server}};
  std::string with_fields = terminal_text(event, false);
  EXPECT_EQ(with_fields.find("TLS_AES_128_GCM_SHA256"), std::string::npos) << with_fields;
}

TEST(TraceFlight, PeerTextInAFlightCannotCommandTheTerminal) {
  HandshakeEvent event = tls13_arrow2();
  event.flight[1].name = "EncryptedExtensions\x1b]0;pwned\x07\n[conn 9] handshake complete";
  std::string text = terminal_text(event, false);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find("\n[conn 9]"), std::string::npos) << text;
  EXPECT_NE(text.find("· EncryptedExtensions\\x1b]0;pwned\\x07\\x0a[conn 9] handshake complete 2 bytes"),
            std::string::npos)
      << text;
}

TEST(TraceFlight, PlantUmlDrawsAFlightAsOneArrowListingItsMessages) {
  HandshakeEvent event = tls13_arrow2();
  event.flight[2].name = "Certificate %getenv(\"HOME\") [[http://x]] <b>";
  std::string text = plantuml_of({event});
  std::size_t arrow = text.find("Server -> Client : (2) **ServerHello + EncryptedExtensions");
  ASSERT_NE(arrow, std::string::npos) << text;
  std::string line = text.substr(arrow, text.find('\n', arrow) - arrow);
  EXPECT_EQ(text.find("Server -> Client", arrow + 1), std::string::npos) << "one arrow for the flight:\n" << text;
  std::size_t at = 0;
  for (const char* expected :
       {"\\n· ServerHello\\n", "\\n· EncryptedExtensions [encrypted]\\n", "\\n· Certificate <U+0025>getenv",
        "\\n· CertificateVerify [encrypted]\\n", "\\n· Finished [encrypted]\\n"}) {
    std::size_t found = line.find(expected, at);
    ASSERT_NE(found, std::string::npos) << expected << " in\n" << line;
    at = found;
  }
  // The peer's text is inert: no %function, no [[link]], no tag.
  EXPECT_EQ(line.find("%getenv"), std::string::npos) << line;
  EXPECT_EQ(line.find("[[http"), std::string::npos) << line;
  EXPECT_EQ(line.find("<b>"), std::string::npos) << line;
}

// The lab's diagram draws the server's SESSION MASTER KEY before the client's Finished, known by the
// ACK of arrow 7; TLS 1.3's arrow 7 is tickets after the handshake, so there is nothing to draw it by.
TEST(TraceFlight, PlantUmlDrawsNoServerKeyStepForTls13Tickets) {
  HandshakeEvent finished;
  finished.arrow = 6;
  finished.from = "Client";
  finished.to = "Server";
  finished.message = "Finished";
  finished.flight = {message("Finished", {0x14, 0x01}, "verify_data", true)};
  finished.facts.protocol = "TLS 1.3";
  HandshakeEvent tickets = finished;
  tickets.arrow = 7;
  tickets.from = "Server";
  tickets.to = "Client";
  tickets.message = "NewSessionTicket";
  tickets.flight = {message("NewSessionTicket", {0x04, 0x01}, "ticket", true)};
  EXPECT_EQ(plantuml_of({finished, tickets}).find("Server -> Server : **SESSION MASTER KEY**"), std::string::npos);
  finished.facts.protocol = tickets.facts.protocol = "TLS 1.2";
  EXPECT_NE(plantuml_of({finished, tickets}).find("Server -> Server : **SESSION MASTER KEY**"), std::string::npos);
}

TEST(TraceFlight, TheSeedsWordsForRealTls) {
  std::vector<std::string> tls12_rsa{"ServerHello", "Certificate", "ServerHelloDone"};
  std::string arrow2 = describe::tls_flight("TLS 1.2", 2, tls12_rsa);
  EXPECT_NE(arrow2.find("RAND-SERVER"), std::string::npos) << arrow2;
  EXPECT_NE(arrow2.find("SERVER'S PUBLIC KEY"), std::string::npos) << arrow2;
  EXPECT_EQ(arrow2.find("ServerKeyExchange"), std::string::npos) << arrow2;
  std::vector<std::string> tls12_ecdhe{"ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone"};
  EXPECT_NE(describe::tls_flight("TLS 1.2", 2, tls12_ecdhe).find("ServerKeyExchange"), std::string::npos);
  std::vector<std::string> cke{"ClientKeyExchange"};
  EXPECT_NE(describe::tls_flight("TLS 1.2", 5, cke).find("PKCS#1 v1.5"), std::string::npos);
  std::vector<std::string> tls13{"ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"};
  EXPECT_NE(describe::tls_flight("TLS 1.3", 2, tls13).find("Finished"), std::string::npos);
  EXPECT_NE(describe::tls_flight("TLS 1.3", 5, {}).find("no PRE-MASTER is sent"), std::string::npos);
  std::vector<std::string> tickets{"NewSessionTicket", "NewSessionTicket"};
  EXPECT_NE(describe::tls_flight("TLS 1.3", 7, tickets).find("after the handshake"), std::string::npos);
}

}  // namespace
}  // namespace tlslab
