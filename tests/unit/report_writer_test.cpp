// The C++ writers of the report page and the PlantUML diagram, given what a peer can put into a
// certificate (issue 20, items 1 and 3): the page's data cannot leave or reshape its <script>
// element, and a diagram label holds nothing PlantUML would interpret. The browser and plantuml
// themselves see these values in tests/report/report_test.py (hostile_server_page, _diagram).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tlslab/text.hpp"
#include "tlslab/trace/plantuml.hpp"
#include "tlslab/trace/report.hpp"

namespace tlslab {
namespace {

namespace fs = std::filesystem;

// Strings a server can choose for its certificate's subject, SAN or an alert's reason.
const std::vector<std::string> hostile_values = {
    "<!--<script",
    "</script><script>window.pwned=1</script>",
    "</SCRIPT >",
    "<!-- -->",
    "a\xe2\x80\xa8"
    "b\xe2\x80\xa9"
    "c",  // U+2028, U+2029
    "&lt;&#60;",
    "%getenv(\"HOME\")",
    "[[javascript:alert(1) X]]",
    "<&star> <U+0041> {{x}} $HOME ~~w~~ **b** //i// \"\"m\"\" --s-- __u__ ==h== !include /etc/passwd",
    "evil\xe2\x80\xae"
    "gpj.com",  // U+202E, right-to-left override
};

HandshakeEvent event_with(const std::string& value) {
  HandshakeEvent event;
  event.arrow = 2;
  event.from = "Server";
  event.to = "Client";
  event.message = "ServerHello " + value;
  event.fields = {{"CERTIFICATE", value, TraceColor::certificate, false}, {value, "x", TraceColor::plain, false}};
  return event;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class Writers : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tlslab-writers-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// The page as ReportRenderer writes it: the data element holds no '<' at all (so neither
// "</script" nor "<!--<script" can occur in it), exactly one element closes where the template's
// does, and the JSON reads back the hostile values unchanged.
TEST_F(Writers, ThePageDataCannotReshapeItsScriptElement) {
  ReportRenderer renderer(path("run.html"), false, "client");
  for (const std::string& value : hostile_values) renderer.on_event(event_with(value));
  OutcomeEvent outcome;
  outcome.event = "handshake failed: unknown_ca (" + hostile_values[0] + ")";
  outcome.alert = hostile_values[1];
  renderer.on_outcome(outcome);
  renderer.finish();
  std::string page = read_file(path("run.html"));
  const std::string open = "<script type=\"application/json\" id=\"tlslab-data\">";
  auto start = page.find(open);
  ASSERT_NE(start, std::string::npos);
  start += open.size();
  auto end = page.find("</script>", start);
  ASSERT_NE(end, std::string::npos);
  std::string data = page.substr(start, end - start);
  EXPECT_EQ(data.find('<'), std::string::npos) << "a '<' in the data can start \"<!--<script\" or \"</script\"";
  EXPECT_EQ(data.find('>'), std::string::npos);
  EXPECT_EQ(data.find("\xe2\x80\xa8"), std::string::npos) << "U+2028 raw in the data";
  EXPECT_NE(data.find("\\u003c!--\\u003cscript"), std::string::npos) << "the value is not in the data, escaped";
  // The page's own script follows the data element intact.
  EXPECT_NE(page.find("<script>\n'use strict';", end), std::string::npos);
  // Every hostile value is still there for the page to show, as JSON escapes of itself.
  EXPECT_NE(data.find("%getenv(\\\"HOME\\\")"), std::string::npos);
  EXPECT_NE(data.find("\\u0026lt;\\u0026#60;"), std::string::npos);
}

TEST_F(Writers, ReportPageEscapesEveryMarkupCharacterOfTheData) {
  std::string page = report_page("{\"v\":\"<!--<script>&\xe2\x80\xa8\xe2\x80\xa9</script>\"}");
  EXPECT_NE(page.find("{\"v\":\"\\u003c!--\\u003cscript\\u003e\\u0026\\u2028\\u2029\\u003c/script\\u003e\"}"),
            std::string::npos);
}

// What a PlantUML label may hold after plantuml_text: no '%' (preprocessor functions), no '$'
// (variables), no '[' ']' (links), no '<' other than our own <U+XXXX> escapes (tags, icons), no
// '{' '}', no '~' (creole's escape), no '\' (the label's \n), no doubled creole marker, and no
// bidi control.
void expect_inert(const std::string& label) {
  std::string without_escapes;  // the label less our own <U+XXXX> escapes
  for (std::size_t at = 0; at < label.size();) {
    bool escape = label.compare(at, 3, "<U+") == 0 && at + 8 <= label.size() && label[at + 7] == '>' &&
                  label.substr(at + 3, 4).find_first_not_of("0123456789ABCDEF") == std::string::npos;
    if (escape) {
      at += 8;
    } else {
      without_escapes += label[at++];
    }
  }
  for (char c : std::string("%$[]<>{}~\\!#'&|^@")) {
    EXPECT_EQ(without_escapes.find(c), std::string::npos) << "'" << c << "' in " << label;
  }
  for (const char* pair : {"**", "//", "\"\"", "--", "__", "=="}) {
    EXPECT_EQ(without_escapes.find(pair), std::string::npos) << pair << " in " << label;
  }
  EXPECT_EQ(label.find("\xe2\x80\xae"), std::string::npos) << "U+202E in " << label;
  EXPECT_EQ(label.find('\n'), std::string::npos);
}

TEST(PlantUmlText, EveryPeerValueIsInert) {
  for (const std::string& value : hostile_values) {
    SCOPED_TRACE(value);
    expect_inert(plantuml_text(value, 200));
  }
  EXPECT_EQ(plantuml_text("%getenv(\"HOME\")"), "<U+0025>getenv(\"HOME\")");
  EXPECT_EQ(plantuml_text("[[javascript:alert(1) X]]"), "<U+005B><U+005B>javascript:alert(1) X<U+005D><U+005D>");
  EXPECT_EQ(plantuml_text("a\\nb"), "a<U+005C><U+005C>nb") << "printable() doubles the backslash first";
  EXPECT_EQ(plantuml_text("**b** __u__"), "<U+002A>*b<U+002A>* <U+005F>_u<U+005F>_");
}

TEST(PlantUmlText, OrdinaryValuesStayReadable) {
  EXPECT_EQ(plantuml_text("bad_record_mac"), "bad_record_mac");
  EXPECT_EQ(plantuml_text("RAND-CLIENT 0a1b"), "RAND-CLIENT 0a1b");
  EXPECT_EQ(plantuml_text("/CN=localhost"), "/CN=localhost");
  EXPECT_EQ(plantuml_text("abcdef", 3), "abc…");
}

// The whole diagram the renderer writes: our own markup around inert values.
TEST_F(Writers, TheDiagramFileHoldsEveryPeerValueInert) {
  {
    PlantUmlRenderer renderer(path("run.puml"), false);
    for (const std::string& value : hostile_values) renderer.on_event(event_with(value));
    OutcomeEvent outcome;
    outcome.event = hostile_values[7];
    outcome.alert = "unknown_ca";
    outcome.alert_from = "Client";
    outcome.alert_to = "Server";
    renderer.on_outcome(outcome);
    renderer.finish();
  }
  std::string text = read_file(path("run.puml"));
  EXPECT_EQ(text.find("%getenv"), std::string::npos);
  EXPECT_EQ(text.find("[[javascript"), std::string::npos);
  EXPECT_EQ(text.find("<&star>"), std::string::npos);
  EXPECT_EQ(text.find("\n!include"), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(text.rfind("@enduml\n"), text.size() - 8);
}

// --- what the diagram draws (issue 22 points 3 and 9) -------------------------------------------
HandshakeEvent arrow_event(int arrow, const std::string& from, const std::string& to, const std::string& message,
                           const std::string& description, std::vector<TraceField> fields = {}) {
  HandshakeEvent event;
  event.arrow = arrow;
  event.from = from;
  event.to = to;
  event.message = message;
  event.description = description;
  event.fields = std::move(fields);
  return event;
}

// The client's steps from its SESSION MASTER KEY to the ACK, as client/src/handshake.cpp emits them.
std::vector<HandshakeEvent> key_steps(const std::string& master_key) {
  return {
      arrow_event(0, "Client", "Client", "SESSION MASTER KEY",
                  "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, SHA-256)",
                  {{"SESSION MASTER KEY", master_key, TraceColor::master_key, true},
                   {"client write key", "c1c1c1c1", TraceColor::master_key, true}}),
      arrow_event(6, "Client", "Server", "Finished (test message)", "sends test message using SESSION MASTER KEY",
                  {{"verify_data", "0a0b0c", TraceColor::master_key, false}}),
      arrow_event(7, "Server", "Client", "Finished (ACK)",
                  "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY",
                  {{"check", "decrypted and verified", TraceColor::good, false}})};
}

class Diagram : public Writers {
 protected:
  // The diagram of `events` (and `outcome`, if any), as the file holds it.
  std::string draw(const std::vector<HandshakeEvent>& events, bool show_secrets = false,
                   const std::optional<OutcomeEvent>& outcome = std::nullopt) {
    PlantUmlRenderer renderer(path("run.puml"), show_secrets);
    for (const HandshakeEvent& event : events) renderer.on_event(event);
    if (outcome) renderer.on_outcome(*outcome);
    renderer.finish();
    return read_file(path("run.puml"));
  }
  // The line of the diagram that starts with `start` ("" when there is none).
  static std::string line_of(const std::string& text, const std::string& start) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(start, 0) == 0) return line;
    }
    return "";
  }
};

TEST_F(Diagram, EachArrowKeepsTheSeedsSentenceInItsColors) {
  std::string text = draw({arrow_event(2, "Server", "Client", "ServerHello",
                                       "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for "
                                       "authentication, returns SERVER'S PUBLIC KEY")});
  std::string arrow = line_of(text, "Server -> Client : (2) **ServerHello**");
  ASSERT_FALSE(arrow.empty()) << text;
  EXPECT_NE(
      arrow.find("returns <color:purple>RAND-SERVER</color>, returns accepted <color:Salmon>cipher suite</color>"),
      std::string::npos)
      << arrow;
  EXPECT_NE(arrow.find("<color:DarkCyan>CERTIFICATE</color> for authentication"), std::string::npos) << arrow;
  EXPECT_NE(arrow.find("returns <color:brown>SERVER<U+0027>S PUBLIC KEY</color>"), std::string::npos) << arrow;
  // Broken onto lines of the label, as the seed writes its sentences, never inside a seed word.
  EXPECT_NE(arrow.find("\\n"), std::string::npos);
  EXPECT_EQ(arrow.find("SERVER<U+0027>S\\n"), std::string::npos) << arrow;
}

TEST_F(Diagram, ASentenceFromThePeerIsInertToo) {
  std::vector<HandshakeEvent> events;
  for (const std::string& value : hostile_values) {
    HandshakeEvent event = event_with(value);
    event.description = "the peer says " + value + " and " + value;
    events.push_back(event);
  }
  std::string text = draw(events);
  EXPECT_EQ(text.find("%getenv"), std::string::npos);
  EXPECT_EQ(text.find("[[javascript"), std::string::npos);
  EXPECT_EQ(text.find("<&star>"), std::string::npos);
  EXPECT_EQ(text.find("$HOME"), std::string::npos);
  EXPECT_EQ(text.find("\n!include"), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_NE(text.find("the peer says <U+0025>getenv(\"HOME\")"), std::string::npos) << text;
}

TEST_F(Diagram, TimesBelowAMillisecondAreShown) {
  HandshakeEvent hello = arrow_event(1, "Client", "Server", "ClientHello", "client says hello");
  hello.elapsed_ms = 0.42;
  HandshakeEvent later = arrow_event(2, "Server", "Client", "ServerHello", "returns RAND-SERVER");
  later.elapsed_ms = 12.5;
  std::string text = draw({hello, later});
  EXPECT_NE(line_of(text, "Client -> Server").find("<size:9>+0.42 ms</size>"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "Server -> Client").find("<size:9>+12.50 ms</size>"), std::string::npos) << text;
  EXPECT_EQ(text.find("+0 ms"), std::string::npos) << text;
}

TEST_F(Diagram, CertificateIsADarkCyanThatReadsOnWhite) {
  std::string text = draw({event_with("x")});
  EXPECT_NE(text.find("<color:DarkCyan>CERTIFICATE</color> x"), std::string::npos) << text;
  EXPECT_EQ(text.find("<color:cyan>"), std::string::npos) << "cyan on white cannot be read";
  // The legend says why the seed's cyan is not used.
  auto legend = text.find("legend right\n");
  ASSERT_NE(legend, std::string::npos) << text;
  EXPECT_NE(text.find("<color:DarkCyan>CERTIFICATE</color> in DarkCyan: the seed<U+0027>s cyan cannot be read on white",
                      legend),
            std::string::npos)
      << text;
  EXPECT_LT(legend, text.find("endlegend\n@enduml\n"));
}

TEST_F(Diagram, TheSessionMasterKeyIsDrawnOnBothSides) {
  std::string text = draw(key_steps("a1b2c3d4"), true);
  std::string client = line_of(text, "Client -> Client : **SESSION MASTER KEY**");
  std::string server = line_of(text, "Server -> Server : **SESSION MASTER KEY**");
  ASSERT_FALSE(client.empty()) << text;
  ASSERT_FALSE(server.empty()) << "the server's SESSION MASTER KEY is not drawn:\n" << text;
  // The same value the client derived, and why the client knows the server has it.
  EXPECT_NE(server.find("- <color:ForestGreen>SESSION MASTER KEY</color> a1b2c3d4"), std::string::npos) << server;
  EXPECT_NE(server.find("- <color:ForestGreen>client write key</color> c1c1c1c1"), std::string::npos) << server;
  EXPECT_NE(server.find("known because the ACK"), std::string::npos) << server;
  EXPECT_NE(server.find("(7) decrypted and verified under it"), std::string::npos) << server;
  EXPECT_NE(
      server.find("creates <color:ForestGreen>SESSION MASTER KEY</color> using <color:orange>RAND-CLIENT</color>"),
      std::string::npos)
      << server;
  // Where the seed draws it: after the client's, before the test message.
  EXPECT_LT(text.find(client), text.find(server));
  EXPECT_LT(text.find(server), text.find("Client -> Server : (6)"));
}

TEST_F(Diagram, TheServersKeyHoldsNoSecretUnlessShown) {
  std::string text = draw(key_steps("a1b2c3d4"), false);
  std::string server = line_of(text, "Server -> Server : **SESSION MASTER KEY**");
  ASSERT_FALSE(server.empty()) << text;
  EXPECT_EQ(text.find("a1b2c3d4"), std::string::npos) << text;
  EXPECT_EQ(text.find("c1c1c1c1"), std::string::npos) << text;
}

TEST_F(Diagram, NoServerKeyWhenTheAckNeverDecrypted) {
  std::vector<HandshakeEvent> events = key_steps("a1b2c3d4");
  events.pop_back();  // the ACK failed: the client cannot say the server has the key
  OutcomeEvent outcome;
  outcome.event = "handshake failed: bad_record_mac";
  outcome.alert = "bad_record_mac";
  outcome.alert_from = "Client";
  outcome.alert_to = "Server";
  std::string text = draw(events, true, outcome);
  EXPECT_EQ(text.find("Server -> Server"), std::string::npos) << text;
  EXPECT_NE(text.find("Client -[#red]> Server : <color:red>**alert bad_record_mac**</color>"), std::string::npos)
      << text;
}

TEST_F(Diagram, AFailedLocalCheckIsARedStepOnItsParty) {
  std::string text = draw({arrow_event(0, "Client", "Client", "checks the CERTIFICATE locally",
                                       "SERVER'S PUBLIC KEY equals the CERTIFICATE's",
                                       {{"host name", "evil.example is not in DNS:localhost", TraceColor::bad, false},
                                        {"trusted CA", "/CN=ca", TraceColor::ca_key, false}}),
                           arrow_event(0, "Client", "Client", "SESSION MASTER KEY", "creates SESSION MASTER KEY")});
  std::string failed = line_of(text, "Client -[#red]> Client : <color:red>**checks the CERTIFICATE locally**</color>");
  ASSERT_FALSE(failed.empty()) << text;
  EXPECT_NE(failed.find("- <color:Red>host name</color> evil.example is not in DNS:localhost"), std::string::npos)
      << failed;
  // A check that passed stays an ordinary step.
  EXPECT_FALSE(line_of(text, "Client -> Client : **SESSION MASTER KEY**").empty()) << text;
}

TEST_F(Diagram, AMutualRunSaysWhatTheClientCannotSee) {
  HandshakeEvent key_exchange =
      arrow_event(5, "Client", "Server", "ClientKeyExchange + client CERTIFICATE, CertificateVerify",
                  "sends a new random value PRE-MASTER",
                  {{"client's CERTIFICATE", "/O=tlslab/CN=alice", TraceColor::certificate, false}});
  std::string text = draw({key_exchange});
  std::string note = line_of(text, "note over Server, CA : ");
  ASSERT_FALSE(note.empty()) << "no note over Server and CA:\n" << text;
  EXPECT_NE(note.find("out of the client<U+0027>s sight, the server checks the client<U+0027>s"), std::string::npos)
      << note;
  EXPECT_NE(note.find("<color:DarkCyan>CERTIFICATE</color> with the CA (its own arrows 3–4)"), std::string::npos)
      << note;
  EXPECT_NE(note.find("tlslab-report\\nclient.jsonl server.jsonl ca.jsonl draws them"), std::string::npos) << note;
  EXPECT_GT(text.find(note), text.find("Client -> Server : (5)")) << "the note comes after arrow 5";
  // Without a client certificate (the seed's run) there is nothing the client missed.
  key_exchange.fields = {{"PRE-MASTER (encrypted)", "00ff", TraceColor::pre_master, false}};
  EXPECT_EQ(draw({key_exchange}).find("note over Server, CA"), std::string::npos);
}

// A merged run (tlslab-report) has the server's own arrows 3–4 about the client's CERTIFICATE: they
// are drawn, so there is nothing left to say the client cannot see.
TEST_F(Diagram, AMergedMutualRunDrawsTheServersCaCheckInstead) {
  std::string text =
      draw({arrow_event(5, "Client", "Server", "ClientKeyExchange + client CERTIFICATE, CertificateVerify",
                        "sends a new random value PRE-MASTER",
                        {{"client's CERTIFICATE", "/O=tlslab/CN=alice", TraceColor::certificate, false}}),
            arrow_event(3, "Server", "CA", "StatusRequest (client's certificate)", "the server sends the client's"),
            arrow_event(4, "CA", "Server", "StatusResponse (client's certificate)", "sends ACK")});
  EXPECT_EQ(text.find("note over Server, CA"), std::string::npos) << text;
  EXPECT_NE(text.find("Server -> CA : (3)"), std::string::npos) << text;
}

}  // namespace
}  // namespace tlslab
