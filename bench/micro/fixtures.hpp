#pragma once
// What the micro-benchmarks share: the test PKI, record keys per suite, and a throwing check for
// the raw OpenSSL baselines (a failing baseline must not be timed as a fast one).
#include <openssl/evp.h>

#include <string_view>

#include "test_pki.hpp"
#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::microbench {

// One direction's raw key and IV, kept as bytes so that a writer and a matching reader (or a raw
// EVP context) can be keyed identically.
struct RecordKeyMaterial {
  SuiteInfo suite;
  Bytes key;
  Bytes iv;

  [[nodiscard]] crypto::DirectionKeys direction_keys() const;
};
RecordKeyMaterial record_key_material(CipherSuite suite);

// The EVP cipher OpenSSL uses for each AEAD (the same choice as crypto/aead.cpp).
const EVP_CIPHER* evp_cipher(Aead aead);

// A ServerHello with the test PKI's real RSA-2048 server certificate (DNS and IP SANs, about 1 KB
// of DER) and its key.
ServerHello sample_server_hello();

// Throws ossl::Error (with OpenSSL's reasons) when a raw baseline call fails.
void require(bool ok, std::string_view what);

}  // namespace tlslab::microbench
