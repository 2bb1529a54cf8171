// The C++ writers of the report page and the PlantUML diagram, given what a peer can put into a
// certificate (issue 20, items 1 and 3): the page's data cannot leave or reshape its <script>
// element, and a diagram label holds nothing PlantUML would interpret. The browser and plantuml
// themselves see these values in tests/report/report_test.py (hostile_server_page, _diagram).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace tlslab
