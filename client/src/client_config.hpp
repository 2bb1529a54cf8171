#pragma once
// What the client was asked to do, parsed from the command line.
#include <optional>
#include <string>
#include <vector>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab::client {

struct ClientSettings {
  tcp::endpoint server;
  tcp::endpoint ca_service;
  std::string trust_path;
  std::string server_name;  // checked against the certificate's SANs; default: the --connect host
  std::vector<CipherSuite> suites = default_suites();
  std::vector<NamedGroup> groups = default_groups();  // offered for ECDHE
  std::vector<std::string> paths;                     // --get PATH …
  std::optional<std::string> output;
  std::optional<std::string> keylog;
  net::Timeouts timeouts;
};

}  // namespace tlslab::client
