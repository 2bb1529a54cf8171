#pragma once
// The CA's X.509 work: keys, the self-signed CA certificate, server certificates. Every
// structure is built by OpenSSL; this file only chooses the fields.
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/crypto/ossl.hpp"

namespace tlslab::ca {

enum class KeyType { ec_p256, rsa2048, rsa3072, rsa4096 };
std::optional<KeyType> key_type_from(std::string_view name);
std::string_view to_string(KeyType type);
ossl::PKey generate_key(KeyType type);

struct Validity {
  std::time_t not_before;
  std::time_t not_after;
};
Validity validity_from_now(int days);

struct CaMaterial {
  ossl::PKey key;
  ossl::X509Ptr certificate;
};

// Self-signed, CA:TRUE (critical), keyCertSign|cRLSign, SKI.
CaMaterial make_ca(KeyType type, const std::string& common_name, Validity validity);

// Whose certificate: a server's (extendedKeyUsage serverAuth) or a client's (clientAuth, for mutual
// authentication, PROTOCOL.md §7.7). Neither is accepted in the other's role.
enum class Role : std::uint8_t { server, client };

struct IssueRequest {
  std::string common_name;
  std::vector<std::string> subject_alt_names;  // "DNS:name" or "IP:address"
  Validity validity;
  Role role = Role::server;
  // cRLDistributionPoints (RFC 5280 §4.2.1.13): where a client fetches the CA's CRL (PROTOCOL.md
  // §9.3). An http:// URL of printable ASCII; none by default.
  std::optional<std::string> crl_url = std::nullopt;
  // authorityInfoAccess id-ad-ocsp (RFC 5280 §4.2.2.1): where a client POSTs an OCSP request for
  // this certificate (RFC 6960 A.1), the CA service's `serve --ocsp-http` address. An
  // http://HOST:PORT[/PATH] URL of printable ASCII; none by default.
  std::optional<std::string> ocsp_url = std::nullopt;
};

// A certificate: random 128-bit serial, CA:FALSE, SKI/AKI, SANs, signed with SHA-256. A server's:
// digitalSignature (and keyEncipherment for an RSA key), EKU serverAuth. A client's:
// digitalSignature only (its key signs the CertificateVerify), EKU clientAuth. Throws
// std::invalid_argument on a bad SAN, CRL URL or OCSP URL.
ossl::X509Ptr issue_certificate(const CaMaterial& ca, EVP_PKEY* subject_key, const IssueRequest& request);

void write_private_key_pem(const std::string& path, EVP_PKEY* key);  // mode 0600
void write_certificate_pem(const std::string& path, X509* certificate);

}  // namespace tlslab::ca
