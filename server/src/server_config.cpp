#include "server_config.hpp"

#include <openssl/err.h>

#include <stdexcept>

#include "tlslab/crypto/signature.hpp"
#include "tlslab/crypto/x509.hpp"

namespace tlslab::server {

ServerIdentity ServerIdentity::load(const std::string& certificate_path, const std::string& key_path) {
  auto certificate = crypto::load_certificate_pem(certificate_path);
  auto key = crypto::load_private_key_pem(key_path);
  // RSA (2048 bits or more) transports the PRE-MASTER and signs key shares; EC P-256 only signs
  // them (the ECDHE suites, PROTOCOL.md §7.6).
  int bits = crypto::rsa_bits(key.get());
  if (bits != 0 && bits < 2048) {
    throw std::runtime_error("'" + key_path + "' is RSA-" + std::to_string(bits) + "; at least 2048");
  }
  if (!crypto::scheme_for(key.get())) {
    throw std::runtime_error("'" + key_path +
                             "' is neither an RSA key of 2048 bits or more nor an EC P-256 key "
                             "(issue one with 'tlslab-ca issue --key-type rsa2048' or '--key-type ec-p256')");
  }
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("the key in '" + key_path + "' does not belong to the certificate '" + certificate_path +
                             "'");
  }
  return from(std::move(certificate), std::move(key));
}

ServerIdentity ServerIdentity::from(ossl::X509Ptr certificate, ossl::PKey key) {
  ServerIdentity identity;
  identity.certificate = std::move(certificate);
  identity.key = std::move(key);
  if (crypto::rsa_bits(identity.key.get()) != 0) identity.decryptor.emplace(identity.key.get());
  identity.certificate_der = crypto::certificate_der(identity.certificate.get());
  identity.public_key_der = crypto::certificate_public_key_der(identity.certificate.get());
  identity.subject = crypto::subject_of(identity.certificate.get());
  identity.serial = crypto::serial_hex(identity.certificate.get());
  identity.issuer = crypto::issuer_of(identity.certificate.get());
  identity.valid =
      crypto::not_before_of(identity.certificate.get()) + " .. " + crypto::not_after_of(identity.certificate.get());
  identity.key_kind = crypto::key_description(identity.key.get());
  // PROTOCOL.md §2: the ServerHello must fit one frame (its fixed fields and header take 46 bytes).
  if (identity.certificate_der.size() + identity.public_key_der.size() + 46 > max_plaintext) {
    throw std::runtime_error("the certificate and its key take " +
                             std::to_string(identity.certificate_der.size() + identity.public_key_der.size()) +
                             " bytes: a ServerHello must fit one 16,384-byte frame");
  }
  return identity;
}

}  // namespace tlslab::server
