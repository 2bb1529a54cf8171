#pragma once
// Real TLS 1.2/1.3 through OpenSSL's libssl (issue 24): the SSL_CTX of a server or a client, made
// once per process from the same files the lab's programs take, and shared by every connection.
// libssl runs the protocol; this only configures it. Verification is never weakened: a client
// always verifies the server's chain against its trust file (and the host name, per connection), a
// server that asks for client certificates verifies them against its trust file.
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/session_ticket.hpp"

namespace tlslab::tls {

namespace ssl = boost::asio::ssl;

enum class Role : std::uint8_t { server, client };

// The protocol versions allowed, from "1.2,1.3", "1.3", "1.2": TLS1_2_VERSION / TLS1_3_VERSION.
struct VersionRange {
  int min = 0;
  int max = 0;
};
// Throws std::runtime_error with one line naming the value that is not 1.2 or 1.3.
VersionRange parse_versions(std::string_view list);

// Client certificates (server side): not asked for, asked for (a client may go without), required.
enum class ClientCertificates : std::uint8_t { none, optional, require };

struct ContextOptions {
  Role role = Role::server;
  // The certificate (PEM; a chain may follow it) and its private key (RSA or EC). Required for a
  // server; a client's own certificate for client authentication.
  std::string certificate_path;
  std::string key_path;
  std::string versions = "1.2,1.3";
  // A client: the CA certificate(s) its server must chain to (required). A server: the CA(s) that
  // issue client certificates (required when client_certificates is not none); their names are sent
  // in CertificateRequest.
  std::string trust_path;
  ClientCertificates client_certificates = ClientCertificates::none;
  // TLS 1.2 suites in OpenSSL's syntax ("AES128-GCM-SHA256" for RSA key transport); empty: libssl's
  // defaults. TLS 1.3 suites are libssl's defaults.
  std::string tls12_ciphers;
  // --keylog FILE / SSLKEYLOGFILE: every secret libssl derives, as NSS key log lines, appended to
  // FILE (created 0600; refused when others can read it, or it is a symlink).
  std::optional<std::string> keylog_path;
  // A server: the OCSP response (DER) to staple when a client asks (status_request); nullopt or
  // empty: none now. Called from libssl inside a handshake, on any thread.
  std::function<std::optional<Bytes>()> staple;
  // A client: ask the server for a stapled OCSP response (status_request).
  bool request_status = false;
  // A server: how long a session can be resumed (RFC 5077 tickets in TLS 1.2, PSK tickets in TLS 1.3:
  // libssl's session timeout, sent as the ticket's lifetime); 0: no tickets, no resumption.
  std::chrono::seconds session_lifetime{7200};
  // A server: the keys libssl's tickets are sealed under (AES-256-CBC and HMAC-SHA256 keys, each an
  // HKDF expansion of the keyring's key, RFC 5077 §4's format); none: libssl's own random keys, which
  // a restart loses. From --ticket-key-file, so that a restarted server still resumes its sessions.
  std::shared_ptr<crypto::TicketKeyring> ticket_keys;
  // The trace is on: libssl's key log lines also go to each connection's Tap (Tap::install), which
  // recomputes the session's secrets and Finished from them (computations.hpp).
  bool trace = false;
};

class Context {
 public:
  // Throws std::runtime_error with one clear line (a missing file, a key that is not the
  // certificate's, a version that is not 1.2 or 1.3, a trust file without certificates).
  explicit Context(ContextOptions options);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  [[nodiscard]] ssl::context& asio() noexcept { return context_; }
  [[nodiscard]] SSL_CTX* native() noexcept { return context_.native_handle(); }
  [[nodiscard]] Role role() const noexcept { return options_.role; }
  [[nodiscard]] const ContextOptions& options() const noexcept { return options_; }

 private:
  struct KeyLog;
  ContextOptions options_;
  ssl::context context_;
  std::unique_ptr<KeyLog> keylog_;
};

// A client connection: the server name to send (SNI) and to verify in the certificate (RFC 6125:
// a DNS name, or an IP address). Throws std::runtime_error when libssl refuses the name.
void expect_server_name(SSL* ssl, const std::string& host);

// "TLS 1.2", "TLS 1.3" for SSL_version(ssl); "" before it is known.
std::string protocol_name(const SSL* ssl);

// The reason of the last libssl failure on this thread, from OpenSSL's error queue, in one line
// ("no shared cipher"); `fallback` when the queue is empty. Drains the queue.
std::string last_failure(std::string_view fallback);

}  // namespace tlslab::tls
