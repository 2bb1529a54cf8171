#pragma once
// --all's index: one self-contained HTML page (no script, no external resource) listing every TLS
// connection of the capture with a link to its own page. Every text from the capture (endpoints,
// server names) is HTML-escaped: a capture is as hostile as a peer.
#include <cstdint>
#include <string>
#include <vector>

#include "explained_connection.hpp"

namespace tlslab::explain {

struct IndexEntry {
  std::uint64_t stream = 0;
  std::string client;
  std::string server;
  Summary summary;
  std::string page;  // the connection's page, as written (linked by its file name)
};

std::string index_page(const std::string& capture_name, const std::vector<IndexEntry>& entries);
// `text` safe inside HTML text and attribute values.
std::string html_escaped(std::string_view text);

}  // namespace tlslab::explain
