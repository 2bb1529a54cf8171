#include "client_identity.hpp"

#include <openssl/err.h>

#include <stdexcept>

#include "tlslab/crypto/x509.hpp"
#include "tlslab/frame.hpp"

namespace tlslab::client {

std::shared_ptr<const ClientIdentity> ClientIdentity::load(const std::string& certificate_path,
                                                           const std::string& key_path) {
  auto identity = std::make_shared<ClientIdentity>();
  identity->certificate = crypto::load_certificate_pem(certificate_path);
  identity->key = crypto::load_private_key_pem(key_path);
  auto scheme = crypto::scheme_for(identity->key.get());
  if (!scheme) {
    throw std::runtime_error("--key '" + key_path +
                             "' is neither an RSA key of 2048 bits or more nor an EC P-256 key: it cannot sign a "
                             "CertificateVerify (issue one with 'tlslab-ca issue --client')");
  }
  if (X509_check_private_key(identity->certificate.get(), identity->key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the key in --key '" + key_path + "' does not belong to the certificate --cert '" +
                             certificate_path + "'");
  }
  identity->scheme = *scheme;
  identity->certificate_der = crypto::certificate_der(identity->certificate.get());
  identity->subject = crypto::subject_of(identity->certificate.get());
  identity->serial = crypto::serial_hex(identity->certificate.get());
  // PROTOCOL.md §2: arrow 5 must fit one frame: its key exchange (at most 514 bytes for RSA-4096),
  // the certificate and a signature (at most 514 bytes) with their lengths, in 16,384 − 4 bytes.
  if (identity->certificate_der.size() + 2 * 514 + 2 + 2 + 4 > max_plaintext) {
    throw std::runtime_error("the certificate --cert '" + certificate_path + "' takes " +
                             std::to_string(identity->certificate_der.size()) +
                             " bytes: arrow 5 must fit one 16,384-byte frame");
  }
  return identity;
}

}  // namespace tlslab::client
