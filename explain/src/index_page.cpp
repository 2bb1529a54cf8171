#include "index_page.hpp"

namespace tlslab::explain {

std::string html_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The page's link: its file name (the pages are written beside the index), percent-encoded.
std::string link_to(const std::string& page) {
  std::string name = page.substr(page.find_last_of('/') == std::string::npos ? 0 : page.find_last_of('/') + 1);
  std::string out;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string index_page(const std::string& capture_name, const std::vector<IndexEntry>& entries) {
  std::string page =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<title>tlslab-explain: " +
      html_escaped(capture_name) +
      "</title>\n<style>body{font:15px/1.45 system-ui,sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.35em .7em;text-align:left}"
      "th{background:#f3f3f3}.bad{color:#a00}.good{color:#060}</style></head><body>\n<h1>The TLS connections of " +
      html_escaped(capture_name) + "</h1>\n<p>" + std::to_string(entries.size()) +
      " connection(s); each link opens its illustrated report (tlslab-explain --all).</p>\n"
      "<table><thead><tr><th>stream</th><th>client → server</th><th>protocol</th><th>server name</th>"
      "<th>suite</th><th>outcome</th></tr></thead><tbody>\n";
  for (const auto& entry : entries) {
    std::string stream = std::to_string(entry.stream);
    std::string cell = entry.page.empty() ? stream : "<a href=\"" + link_to(entry.page) + "\">" + stream + "</a>";
    page += "<tr><td>" + cell + "</td><td>" + html_escaped(entry.client) + " → " + html_escaped(entry.server) +
            "</td><td>" + html_escaped(entry.summary.protocol) + "</td><td>" + html_escaped(entry.summary.sni) +
            "</td><td>" + html_escaped(entry.summary.suite) + "</td><td class=\"" +
            (entry.summary.complete ? "good" : "bad") + "\">" + html_escaped(entry.summary.outcome) + "</td></tr>\n";
  }
  page += "</tbody></table>\n</body></html>\n";
  return page;
}

}  // namespace tlslab::explain
