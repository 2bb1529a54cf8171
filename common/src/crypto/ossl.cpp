#include "tlslab/crypto/ossl.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tlslab/crypto/secret.hpp"

namespace tlslab {

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace ossl {

std::string error_string(std::string_view context) {
  std::string message(context);
  bool first = true;
  while (unsigned long code = ERR_get_error()) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += first ? ": " : "; ";
    message += reason;
    first = false;
  }
  if (first) message += ": (no OpenSSL detail)";
  return message;
}

}  // namespace ossl
}  // namespace tlslab
