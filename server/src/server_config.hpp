#pragma once
// What a server session needs, loaded once per process and shared read-only by every session.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/session_ticket.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/net/crl_fetcher.hpp"

namespace tlslab::server {

class Stapler;

struct ServerIdentity {
  ossl::PKey key;
  ossl::X509Ptr certificate;
  std::optional<crypto::OaepDecryptor> decryptor;  // an RSA key, ready for the PRE-MASTER (none for EC)
  Bytes certificate_der;                           // CERTIFICATE, as sent in ServerHello
  Bytes public_key_der;                            // SERVER'S PUBLIC KEY, as sent in ServerHello
  std::string subject;
  std::string serial;
  std::string issuer;
  std::string valid;     // "notBefore .. notAfter"
  std::string key_kind;  // "RSA 2048 bits"

  // Throws std::runtime_error with a clear reason: missing file, not RSA, key ≠ certificate.
  static ServerIdentity load(const std::string& certificate_path, const std::string& key_path);
  // From a certificate and its (RSA) key already checked to match, e.g. by a test.
  static ServerIdentity from(ossl::X509Ptr certificate, ossl::PKey key);
};

struct ServerSettings {
  std::vector<CipherSuite> suites = default_suites();            // server preference order
  std::vector<NamedGroup> groups = default_groups();             // for ECDHE, server preference order
  std::optional<std::filesystem::path> www;                      // files to serve (canonical); built-in page when unset
  std::uint64_t max_generated_bytes = std::uint64_t{256} << 20;  // GET /bytes/N: N at most this
  net::Timeouts timeouts;
  std::optional<std::string> keylog;  // --keylog FILE or SSLKEYLOGFILE
  // Stapling (PROTOCOL.md §9.1): the staples, refreshed in the background; none without --staple-from.
  std::shared_ptr<const Stapler> stapler;
  // Mutual authentication (§7.7, §9.2): whether to ask for client certificates, the CAs trusted to
  // issue them (--client-trust) and the CA service asked about each (--ca-service or --staple-from).
  ClientAuth client_auth = ClientAuth::none;
  std::shared_ptr<const crypto::TrustStore> client_trust;
  std::optional<tcp::endpoint> ca_service;
  // How the client's certificate status is learnt (§9.2, §9.3): the CA service asked (direct), or
  // the CA's list fetched (crl; --client-ca-check), from the certificate's distribution point or
  // --client-crl-from URL, kept in memory until its nextUpdate and shared by every connection.
  CaCheck client_ca_check = CaCheck::direct;
  std::optional<std::string> client_crl_from;
  std::shared_ptr<net::CrlMemo> client_crls;
  // Session tickets (§7.8): the keys that seal and open them; none: no tickets, no resumption.
  std::shared_ptr<crypto::TicketKeyring> tickets;
};

}  // namespace tlslab::server
