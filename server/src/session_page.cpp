#include "session_page.hpp"

namespace tlslab::server {

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
  auto row = [](const std::string& name, const std::string& value, const char* color) {
    return "<tr><th>" + name + "</th><td style=\"color:" + color + "\"><code>" + html_escape(value) +
           "</code></td></tr>\n";
  };
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>tlslab session</title></head><body>\n"
         "<h1>tlslab: this session</h1>\n<p>You reached this page through the eight arrows of the handshake. "
         "Everything below was agreed in it.</p>\n<table>\n" +
         row("connection", std::to_string(connection), "black") +
         row("cipher suite", std::string(session.suite.name), "salmon") +
         row("RAND-CLIENT", to_hex(session.client_random), "orange") +
         row("RAND-SERVER", to_hex(session.server_random), "purple") +
         row("CERTIFICATE subject", identity.subject, "darkcyan") +
         row("CERTIFICATE serial", identity.serial, "darkcyan") +
         row("server name asked", session.server_name.empty() ? "(none)" : session.server_name, "black") +
         row("CA status", "checked by the client with the CA service, arrows 3-4 (signed OCSP answer)", "darkgreen") +
         "</table>\n</body></html>\n";
}

}  // namespace tlslab::server
