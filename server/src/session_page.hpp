#pragma once
// The built-in page at "/" (when the server runs without --www): what this session agreed on.
#include <cstdint>
#include <string>

#include "handshake.hpp"
#include "server_config.hpp"

namespace tlslab::server {

std::string session_page(const ServerIdentity& identity, const SessionParameters& session, std::uint64_t connection);

// For HTML text and attribute values: & < > " '.
std::string html_escape(const std::string& text);

}  // namespace tlslab::server
