#pragma once
// What the client was asked to do, parsed from the command line.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client_identity.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/channel.hpp"

namespace tlslab::client {

class CrlCache;
struct StoredSession;

// --tls: standard TLS through libssl instead of the lab's protocol.
struct TlsClientOptions {
  std::string versions = "1.2,1.3";  // --tls-versions
  std::string tls12_ciphers;         // --tls-ciphers: OpenSSL's syntax; empty: libssl's defaults
  std::string tls13_ciphersuites;    // --tls-ciphersuites; empty: libssl's defaults
  bool system_trust = false;         // --trust system: the OS store (SSL_CTX_set_default_verify_paths)
  std::string certificate_path;      // --cert / --key: offered when the server asks
  std::string key_path;
};

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
  // How the server's certificate status is learnt (PROTOCOL.md §9.1): a staple, the CA itself, or both.
  CaCheck ca_check = CaCheck::automatic;
  std::chrono::seconds max_staple_age = crypto::default_max_staple_age;  // --max-staple-age
  // --cert / --key: offered when the server asks (mutual authentication, §7.7); none by default.
  std::shared_ptr<const ClientIdentity> identity;
  // --ca-check crl (§9.3): the list's URL when given (--crl-from, else the certificate's
  // distribution point), and the cache of lists (--crl-cache DIR; none: nothing is written).
  std::optional<std::string> crl_from;
  std::shared_ptr<const CrlCache> crl_cache;
  std::optional<TlsClientOptions> tls;  // --tls
  // --session-file (§7.8): where the session ticket is kept; the session loaded from it, when it is
  // one to offer to this server now.
  std::optional<std::string> session_file;
  std::shared_ptr<const StoredSession> resume;
  // A caller that keeps the session in memory instead (tlslab-bench --resume): the client then offers
  // the extension as with --session-file, and each NewSessionTicket is handed here.
  std::function<void(StoredSession)> keep_session;
};

}  // namespace tlslab::client
