// Peer-supplied text on its way to a terminal, a log or a JSON file (text.hpp).
#include <gtest/gtest.h>

#include <string>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/text.hpp"

namespace tlslab {
namespace {

// Every byte a terminal could take for a command, or that is not valid UTF-8, comes out as \xNN.
bool has_control_bytes(const std::string& text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

TEST(Printable, KeepsPlainTextAndUtf8) {
  EXPECT_EQ(printable("localhost"), "localhost");
  EXPECT_EQ(printable("RAND-CLIENT → Server: café"), "RAND-CLIENT → Server: café");
}

// A certificate name "evil\u202egpj.com" shows as "evilmoc.jpg" where the control is obeyed.
TEST(Printable, BidiAndInvisibleCharactersAreShownAsEscapes) {
  EXPECT_EQ(printable("evil\xe2\x80\xaegpj.com"), "evil\\u{202e}gpj.com");
  EXPECT_EQ(printable("a\xe2\x80\x8b"
                      "b"),
            "a\\u{200b}b");  // zero-width space
  EXPECT_EQ(printable("\xef\xbb\xbfx"), "\\u{feff}x");
  EXPECT_EQ(printable("\xe2\x81\xa6x\xe2\x81\xa9"), "\\u{2066}x\\u{2069}");
  EXPECT_EQ(printable("\xd8\x9c"), "\\u{061c}");
  EXPECT_EQ(printable("café → ok"), "café → ok") << "ordinary UTF-8 is kept";
}

TEST(Printable, EscapesControlBytesDelAndBackslash) {
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
  EXPECT_EQ(printable(std::string("n\0l", 3)), "n\\x00l");
  EXPECT_EQ(printable("\x7f"), "\\x7f");
  EXPECT_EQ(printable("C:\\x"), "C:\\\\x");  // a literal backslash cannot pose as an escape
}

TEST(Printable, EscapesInvalidUtf8ByteByByte) {
  EXPECT_EQ(printable("\xff"), "\\xff");
  EXPECT_EQ(printable("\xc3"), "\\xc3");                             // truncated sequence
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(Printable, EscapesC1Controls) {
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\xc2\\x9b2J");                     // U+009B, CSI on some terminals
  EXPECT_EQ(printable("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is text
}

TEST(Printable, ForgedTraceLineStaysOnOneLine) {
  std::string forged = printable("x\n[conn 99] handshake complete\x1b]0;title\x07");
  EXPECT_FALSE(has_control_bytes(forged));
  EXPECT_EQ(forged.find('\n'), std::string::npos);
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
  EXPECT_EQ(json_string("\x01\x7f"), "\"\\u0001\\u007f\"");
  EXPECT_EQ(json_string("café"), "\"café\"");
}

TEST(JsonString, WritesInvalidUtf8AsVisibleTextNotRawBytes) {
  // JSON must be UTF-8 (RFC 8259 §8.1): the byte becomes the text \xff, which JSON escapes as \\xff.
  EXPECT_EQ(json_string("a\xff"
                        "b"),
            "\"a\\\\xffb\"");
  EXPECT_EQ(json_string("\xc3"), "\"\\\\xc3\"");
}

TEST(IsHostName, AcceptsLdhNamesAndAddresses) {
  for (const char* name :
       {"localhost", "a", "a-b.c", "xn--bcher-kva.example", "127.0.0.1", "::1", "2001:db8::1", "123.example"}) {
    EXPECT_TRUE(is_host_name(name)) << name;
  }
}

TEST(IsHostName, RejectsEverythingElse) {
  for (std::string name :
       {std::string(), std::string("a..b"), std::string("a."), std::string(".a"), std::string("-a"), std::string("a-"),
        std::string("a_b"), std::string("a b"), std::string("é.example"), std::string(64, 'a'), std::string(254, 'a'),
        std::string("1:2:3:4:5:6:7:8:9"), std::string("[::1]"), std::string("a\nb")}) {
    EXPECT_FALSE(is_host_name(name)) << name;
  }
}

TEST(ShortenedList, SaysHowManyMoreWithThousandsSeparators) {
  EXPECT_EQ(shortened_list("a, b", 2, 2), "a, b");
  EXPECT_EQ(shortened_list("a, b", 2, 8142), "a, b … and 8,140 more");
  EXPECT_EQ(shortened_list("a", 1, 1234568), "a … and 1,234,567 more");
}

TEST(SuiteList, ShortensAHostileOffer) {
  std::vector<std::uint16_t> offered(8150, 0xBEEF);
  offered[0] = 0x0A01;
  std::string text = suite_list(offered);
  EXPECT_LT(text.size(), 300u);
  EXPECT_NE(text.find("TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256"), std::string::npos);
  EXPECT_NE(text.find("… and 8,142 more"), std::string::npos);
}

}  // namespace
}  // namespace tlslab
