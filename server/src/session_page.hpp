#pragma once
// The built-in page at "/" (when the server runs without --www): what this session agreed on.
#include <cstdint>
#include <string>

#include "handshake.hpp"
#include "server_config.hpp"

namespace tlslab::server {

std::string session_page(const ServerIdentity& identity, const SessionParameters& session, std::uint64_t connection);

// The same page for a real TLS connection (tlslab-server --tls): its flights on the seed's arrows,
// its version, suite and group, and what the client offered.
struct TlsSessionFacts;
std::string tls_session_page(const ServerIdentity& identity, const TlsSessionFacts& session, std::uint64_t connection);

// For HTML text and attribute values: & < > " '.
std::string html_escape(const std::string& text);

}  // namespace tlslab::server
