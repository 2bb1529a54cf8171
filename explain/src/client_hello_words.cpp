#include "client_hello_words.hpp"

#include <algorithm>

#include "tlslab/text.hpp"
#include "tlslab/tls/names.hpp"

namespace tlslab::explain {
namespace {

// IANA TLS ExtensionType Values.
constexpr std::uint16_t compress_certificate = 27;  // RFC 8879
constexpr std::uint16_t pre_shared_key = 41;        // RFC 8446 §4.2.11
constexpr std::uint16_t early_data = 42;
constexpr std::uint16_t encrypted_client_hello = 0xfe0d;  // draft-ietf-tls-esni
constexpr std::uint16_t x25519_mlkem768 = 0x11ec;

bool has(const tls::HandshakeView& hello, std::uint16_t type) {
  return std::any_of(hello.extensions.begin(), hello.extensions.end(),
                     [type](const tls::Extension& extension) { return extension.type == type; });
}

std::size_t grease_count(const tls::HandshakeView& hello) {
  std::size_t count = 0;
  auto add = [&count](const auto& codes) {
    for (auto code : codes) count += tls::is_grease(static_cast<std::uint16_t>(code)) ? 1 : 0;
  };
  add(hello.cipher_suites);
  add(hello.supported_groups);
  add(hello.supported_versions);
  add(hello.key_share_groups);
  for (const auto& extension : hello.extensions) count += tls::is_grease(extension.type) ? 1 : 0;
  return count;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + printable(item);
  return out;
}

}  // namespace

std::vector<TraceField> client_hello_words(const tls::HandshakeView& hello) {
  std::vector<TraceField> out;
  auto say = [&out](std::string name, std::string value) {
    out.push_back(TraceField{std::move(name), std::move(value), TraceColor::plain, false});
  };
  if (hello.server_name) {
    say("server name (SNI)", printable(*hello.server_name) +
                                 ": in the clear, so every observer of the wire (a café's Wi-Fi, the ISP) learns "
                                 "which site this is" +
                                 (has(hello, encrypted_client_hello) ? " (or its public front: see ECH)" : ""));
  }
  if (has(hello, encrypted_client_hello)) {
    say("Encrypted ClientHello (ECH)",
        "either a real Encrypted ClientHello (the real ClientHello, with the real server name, encrypted to a key the "
        "site publishes in DNS; the name in the clear is then the site's public front) or GREASE ECH: random bytes of "
        "the same shape that a browser sends when the site publishes no key, so that real ECH does not stand out. An "
        "observer cannot tell which; only the server can open it");
  }
  for (std::size_t i = 0; i < hello.key_share_groups.size(); ++i) {
    std::uint16_t group = hello.key_share_groups[i];
    if (tls::is_grease(group)) continue;
    std::string size = i < hello.key_share_sizes.size() ? std::to_string(hello.key_share_sizes[i]) + "-byte" : "a";
    std::string words = size + " key share, sent ahead so the server can answer in one round trip (RFC 8446 §4.2.8)";
    if (group == x25519_mlkem768) {
      words = size +
              " hybrid post-quantum key share: an X25519 share and an ML-KEM-768 encapsulation key (FIPS 203) "
              "together, so a recording of today's session stays closed even to a future quantum computer, as long "
              "as either holds (tshark 4.0 calls it Unknown)";
    }
    say("key share " + tls::group_name(group) + " (0x" +
            to_hex(Bytes{static_cast<std::uint8_t>(group >> 8), static_cast<std::uint8_t>(group)}) + ")",
        words);
  }
  if (std::size_t grease = grease_count(hello); grease > 0) {
    say("GREASE", std::to_string(grease) +
                      " reserved values (0x?a?a, RFC 8701) among the suites, groups, versions and extensions: they "
                      "mean nothing; a server must ignore them, so servers that choke on unknown values are found "
                      "now, not when a real new value ships");
  }
  if (!hello.alpn.empty()) {
    say("ALPN", joined(hello.alpn) +
                    ": the application protocols offered (RFC 7301), in the clear; h2 is HTTP/2, http/1.1 is "
                    "HTTP/1.1");
  }
  if (has(hello, compress_certificate)) {
    say("compress_certificate",
        "the client takes the server's Certificate compressed (RFC 8879: brotli, zlib or "
        "zstd), a few kilobytes less on the first flight");
  }
  if (has(hello, pre_shared_key)) {
    say("pre_shared_key", std::string("a ticket from an earlier session is offered (RFC 8446 §4.2.11): if the "
                                      "server accepts it, it skips its Certificate and CertificateVerify") +
                              (has(hello, early_data) ? "; early_data: application data follows before the "
                                                        "handshake ends (0-RTT, replayable)"
                                                      : ""));
  }
  return out;
}

}  // namespace tlslab::explain
