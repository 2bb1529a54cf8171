#pragma once
// The client's own CERTIFICATE and private key, for mutual authentication (PROTOCOL.md §7.7):
// loaded once, checked to belong together and to be able to sign a CertificateVerify.
#include <memory>
#include <string>

#include "tlslab/bytes.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/signature.hpp"

namespace tlslab::client {

struct ClientIdentity {
  ossl::X509Ptr certificate;
  ossl::PKey key;
  Bytes certificate_der;  // as sent at arrow 5
  crypto::SignatureScheme scheme = crypto::SignatureScheme::rsa_pss_rsae_sha256;
  std::string subject;
  std::string serial;

  // Throws std::runtime_error with a clear reason: a missing file, a key that cannot sign, a key
  // that is not the certificate's, a certificate too large for arrow 5.
  static std::shared_ptr<const ClientIdentity> load(const std::string& certificate_path, const std::string& key_path);
};

}  // namespace tlslab::client
