#include "session_page.hpp"

#include "tls_session.hpp"
#include "tlslab/time.hpp"

namespace tlslab::server {
namespace {

// The seed's colors, darkened where the seed's hue is too light to read on white (WCAG AA, 4.5:1)
// and lightened for a dark theme.
constexpr const char* style = R"css(
:root { color-scheme: light dark; --fg: #1d2329; --muted: #56606b; --line: #d8dde3; --bg: #ffffff; --panel: #f5f7f9;
  --rand-client: #a34f00; --rand-server: #6f2da8; --suites: #b0392a; --certificate: #006d7a; --public-key: #7a4421;
  --ca: #006b3c; --pre-master: #b0102f; --master: #2d6a1f; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ec; --muted: #a7b0ba; --line: #3a424b; --bg: #15191d; --panel: #1e2429;
    --rand-client: #ffa94d; --rand-server: #c79bff; --suites: #ff9a8a; --certificate: #5fd3e3; --public-key: #e0a37a;
    --ca: #5fd39a; --pre-master: #ff7a90; --master: #8fd978; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  max-width: 58rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
p { color: var(--muted); margin: .25rem 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid var(--line); }
th { width: 13rem; font-weight: 600; white-space: nowrap; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
ol.arrows { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
ol.arrows li { padding: .3rem .8rem; } ol.arrows li.elsewhere { color: var(--muted); font-style: italic; }
.n { display: inline-block; min-width: 2.2rem; font-weight: 700; }
.rand-client { color: var(--rand-client); } .rand-server { color: var(--rand-server); } .suites { color: var(--suites); }
.certificate { color: var(--certificate); } .public-key { color: var(--public-key); } .ca { color: var(--ca); }
.pre-master { color: var(--pre-master); } .master { color: var(--master); }
)css";

std::string row(const std::string& name, const std::string& value, const char* color_class) {
  return "<tr><th class=\"" + std::string(color_class) + "\">" + html_escape(name) + "</th><td><code>" +
         html_escape(value) + "</code></td></tr>\n";
}

std::string arrow(const std::string& number, const std::string& text, bool elsewhere = false) {
  return std::string(elsewhere ? "<li class=\"elsewhere\">" : "<li>") + "<span class=\"n\">(" + number + ")</span>" +
         text + "</li>\n";
}

// The authenticated client (mutual authentication, PROTOCOL.md §7.7), or why there is none.
std::string client_section(const SessionParameters& session) {
  if (!session.client) {
    return "<h2>The client</h2>\n<p>Anonymous: this session did not authenticate the client with a certificate "
           "(the server's --client-auth, and the client's --cert, decide).</p>\n";
  }
  const auto& client = *session.client;
  return "<h2>The client's CERTIFICATE</h2>\n<table>\n" + row("subject", client.subject, "certificate") +
         row("serial", client.serial, "certificate") + row("issuer (the CA)", client.issuer, "ca") +
         row("valid", client.valid, "certificate") + row("CA's answer (OCSP)", client.status, "ca") + "</table>\n";
}

std::string short_hex(const std::string& hex) {
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string session_page(const ServerIdentity& identity, const SessionParameters& session, std::uint64_t connection) {
  std::string rand_client = to_hex(session.client_random);
  std::string rand_server = to_hex(session.server_random);
  std::string suite(session.suite.name);
  std::string name = session.server_name.empty() ? "(none)" : session.server_name;
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>tlslab: this session</title>\n<style>" +
         std::string(style) +
         "</style></head><body>\n<h1>tlslab: this session</h1>\n"
         "<p>You reached this page through the eight arrows of the handshake. This is what the server saw of "
         "them; everything below was agreed in them.</p>\n"
         "<h2>The arrows, as the server saw them</h2>\n<ol class=\"arrows\">\n" +
         arrow("1", "Client → Server: ClientHello with <span class=\"rand-client\">RAND-CLIENT</span> <code>" +
                        html_escape(short_hex(rand_client)) +
                        "</code> and the client's <span class=\"suites\">cipher "
                        "suites</span>, for the name <code>" +
                        html_escape(name) + "</code>") +
         arrow("2", "Server → Client: ServerHello with <span class=\"rand-server\">RAND-SERVER</span> <code>" +
                        html_escape(short_hex(rand_server)) +
                        "</code>, the <span class=\"suites\">cipher suite</span> " + html_escape(suite) +
                        ", the <span class=\"certificate\">CERTIFICATE</span> and the "
                        "<span class=\"public-key\">SERVER'S PUBLIC KEY</span>") +
         (session.staple
              ? arrow("3–4",
                      "Server → CA → Server, ahead of time: this server asked the <span class=\"ca\">CA</span> "
                      "about its own certificate at " +
                          html_escape(utc_time(session.staple->this_update)) +
                          " and stapled the signed answer (<code>" +
                          html_escape(std::string(crypto::to_string(session.staple->answer.status))) +
                          "</code>) into its ServerHello. Your client asked nobody else: the answer is as old as "
                          "the staple.")
              : arrow("3–4",
                      "Client → CA → Client: your client asked the <span class=\"ca\">CA</span> about this "
                      "certificate on a connection of its own. The server does not see those arrows, so this page "
                      "cannot tell you whether or when they happened.",
                      true)) +
         (session.suite.key_exchange == KeyExchange::ecdhe
              ? arrow("5",
                      "Client → Server: the client's ephemeral key share. Both sides computed the "
                      "<span class=\"pre-master\">PRE-MASTER</span> from the two shares (ECDH): it never crossed "
                      "the wire, and the <span class=\"public-key\">SERVER'S PUBLIC KEY</span> only signed the "
                      "server's share (forward secrecy); both sides then made the "
                      "<span class=\"master\">SESSION MASTER KEY</span>")
              : arrow("5",
                      "Client → Server: the <span class=\"pre-master\">PRE-MASTER</span>, encrypted with the "
                      "<span class=\"public-key\">SERVER'S PUBLIC KEY</span>; both sides then made the "
                      "<span class=\"master\">SESSION MASTER KEY</span>")) +
         (session.client
              ? arrow("3–4",
                      "Server → CA → Server: the client sent its <span class=\"certificate\">CERTIFICATE</span> "
                      "and its signature over the handshake with arrow 5; this server checked both, then asked the "
                      "<span class=\"ca\">CA</span> about that certificate with a nonce of its own: the seed's "
                      "arrows 3–4, mirrored")
              : std::string()) +
         arrow("6", "Client → Server: the test message (Finished), decrypted and verified") +
         arrow("7", "Server → Client: the ACK (Finished)") +
         arrow("8", "Client → Server: the request for this page; Server → Client: this page, encrypted") +
         "</ol>\n<h2>The session</h2>\n<table>\n" + row("connection", std::to_string(connection), "") +
         row("cipher suite", suite, "suites") + row("RAND-CLIENT", rand_client, "rand-client") +
         row("RAND-SERVER", rand_server, "rand-server") + row("server name asked", name, "") +
         "</table>\n<h2>The server's CERTIFICATE</h2>\n<table>\n" + row("subject", identity.subject, "certificate") +
         row("issuer (the CA)", identity.issuer, "ca") + row("serial", identity.serial, "certificate") +
         row("valid", identity.valid, "certificate") + row("SERVER'S PUBLIC KEY", identity.key_kind, "public-key") +
         row("CA's answer (OCSP)",
             session.staple ? std::string(crypto::to_string(session.staple->answer.status)) + ", thisUpdate " +
                                  utc_time(session.staple->this_update) + ", nextUpdate " +
                                  utc_time(session.staple->next_update) + ": stapled into this session's ServerHello"
                            : "not known to the server: the client asks the CA itself (arrows 3-4)",
             "ca") +
         "</table>\n" + client_section(session) + "</body></html>\n";
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "(not known)" : out;
}

}  // namespace

std::string tls_session_page(const ServerIdentity& identity, const TlsSessionFacts& session, std::uint64_t connection) {
  std::string rand_client = to_hex(session.client_random);
  std::string rand_server = to_hex(session.server_random);
  std::string name = session.server_name.empty() ? "(none)" : session.server_name;
  std::string arrows;
  for (const auto& step : session.arrows) {
    arrows += arrow(std::to_string(step.arrow), html_escape(step.parties) + ": <code>" + html_escape(step.messages) +
                                                    "</code><br>" + html_escape(step.description));
    if (step.arrow == 2) {
      arrows += arrow("3–4",
                      session.staple.empty()
                          ? "Client → CA → Client: your client may ask the <span class=\"ca\">CA</span> about this "
                            "certificate (OCSP over HTTP) on a connection of its own; the server does not see it."
                          : "Server → CA → Server, ahead of time: this server stapled " + html_escape(session.staple) +
                                " into arrow 2.",
                      session.staple.empty());
      // TLS 1.3's missing arrow 5, where arrow 5 would be: between the CA's arrows and arrow 6.
      if (session.protocol == "TLS 1.3") {
        arrows += arrow("5",
                        "none in TLS 1.3: no <span class=\"pre-master\">PRE-MASTER</span> crosses the wire; both sides "
                        "derive the <span class=\"master\">SESSION MASTER KEY</span> with the HKDF key schedule (RFC "
                        "8446 §7.1) from the key shares of arrows 1 and 2",
                        true);
      }
    }
  }
  arrows += arrow("8", "Client → Server: the request for this page; Server → Client: this page, encrypted");
  std::string group =
      session.group.empty() ? "none (RSA key transport: the PRE-MASTER under SERVER'S PUBLIC KEY)" : session.group;
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>tlslab: this TLS session</title>\n<style>" +
         std::string(style) + "</style></head><body>\n<h1>tlslab: this " + html_escape(session.protocol) +
         " session</h1>\n"
         "<p>You reached this page over real TLS (OpenSSL's libssl on this server). These are the flights of your "
         "handshake on the seed's arrows" +
         (session.tapped
              ? ", as they crossed the wire."
              : ", as libssl negotiated them (start the server with its trace on to see each message as it crossed).") +
         "</p>\n<h2>The arrows, as the server saw them</h2>\n<ol class=\"arrows\">\n" + arrows +
         "</ol>\n<h2>The session</h2>\n<table>\n" + row("connection", std::to_string(connection), "") +
         row("protocol", session.protocol, "") + row("cipher suite", session.suite, "suites") +
         row("group chosen", group, "") + row("groups the client offered", joined(session.offered_groups), "") +
         (session.offered_key_shares.empty()
              ? std::string()
              : row("key shares the client sent", joined(session.offered_key_shares), "")) +
         row("cipher suites the client offered", joined(session.offered_suites), "suites") +
         row("RAND-CLIENT", rand_client, "rand-client") + row("RAND-SERVER", rand_server, "rand-server") +
         row("server name asked", name, "") + "</table>\n<h2>The server's CERTIFICATE</h2>\n<table>\n" +
         row("subject", identity.subject, "certificate") + row("issuer (the CA)", identity.issuer, "ca") +
         row("serial", identity.serial, "certificate") + row("valid", identity.valid, "certificate") +
         row("SERVER'S PUBLIC KEY", identity.key_kind, "public-key") +
         row("CA's answer (OCSP)", session.staple.empty() ? "not stapled in this session" : session.staple, "ca") +
         "</table>\n<h2>The client</h2>\n" +
         (session.client_certificate
              ? "<table>\n" + row("CERTIFICATE", *session.client_certificate, "certificate") +
                    "</table>\n<p>Verified by libssl: signed by a CA in the server's client trust file.</p>\n"
              : std::string("<p>Anonymous: this session did not authenticate the client with a certificate.</p>\n")) +
         "</body></html>\n";
}

}  // namespace tlslab::server
