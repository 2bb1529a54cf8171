#pragma once
// The digests and ciphers tlslab uses, fetched from OpenSSL's default provider once per process.
// EVP_sha256() and friends are looked up again, under a lock, on every context they initialise
// (OpenSSL 3 "implicit fetch"); an explicitly fetched object is not (crypto(7), "Performance").
// The objects are immutable, shared by every thread, and live as long as the process.
#include <openssl/evp.h>

#include "tlslab/cipher_suite.hpp"

namespace tlslab::crypto {

const EVP_MD* sha1();  // OCSP CertID hashes only (RFC 6960 §4.1.1)
const EVP_MD* sha256();
const EVP_MD* sha384();
const EVP_MD* digest_for(HashAlgorithm hash);
const EVP_CIPHER* cipher_for(Aead aead);

}  // namespace tlslab::crypto
