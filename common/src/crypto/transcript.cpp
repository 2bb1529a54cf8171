#include "tlslab/crypto/transcript.hpp"

#include <openssl/evp.h>

#include "tlslab/crypto/algorithms.hpp"
#include "tlslab/crypto/ossl.hpp"

namespace tlslab::crypto {

Bytes digest(HashAlgorithm hash, ByteView data) {
  const EVP_MD* md = digest_for(hash);
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  ossl::check(EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) == 1, "EVP_Digest");
  out.resize(length);
  return out;
}

}  // namespace tlslab::crypto
