#pragma once
// A small PKI for unit tests, built once per process (RSA key generation is slow): a CA, a server
// certificate it issued with DNS and IP SANs, an expired one, a not-yet-valid one, and a
// certificate from another CA that the trust store does not know; and an EC P-256 server
// certificate for the ECDHE suites.
#include <ctime>
#include <filesystem>
#include <string>

#include "authority.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::test {

inline constexpr std::time_t one_day = 86400;

struct TestPki {
  ca::CaMaterial ca;        // "tlslab test CA", RSA-2048: the one the trust store holds
  ca::CaMaterial other_ca;  // "tlslab other CA", EC P-256: unknown to the trust store
  ossl::PKey server_key;    // RSA-2048, shared by every leaf below
  // DNS:localhost, DNS:server.test, IP:127.0.0.1; valid from a day ago for a year.
  ossl::X509Ptr server_certificate;
  ossl::X509Ptr expired_certificate;        // valid 30 days ago .. 1 day ago
  ossl::X509Ptr not_yet_valid_certificate;  // valid from tomorrow
  ossl::X509Ptr other_ca_certificate;       // issued by other_ca for localhost
  // A second certificate from `ca` for another name: a different serial, for OCSP mix-ups.
  ossl::X509Ptr second_certificate;
  // An EC P-256 server key and its certificate from `ca` (same names): ECDSA-signed key shares.
  ossl::PKey ec_server_key;
  ossl::X509Ptr ec_server_certificate;
};

const TestPki& test_pki();

// Names of the server certificate.
inline const std::string server_dns_name = "server.test";
inline const std::string server_ip = "127.0.0.1";

// A new owning reference to the same certificate (X509_up_ref).
ossl::X509Ptr share(X509* certificate);

// A trust store holding only test_pki().ca.
crypto::TrustStore trust_store_with_test_ca();

// A fresh private directory (mkdtemp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tlslab::test
