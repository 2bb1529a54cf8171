#include "tlslab/crypto/random.hpp"

#include <openssl/rand.h>

#include "tlslab/crypto/ossl.hpp"

namespace tlslab::crypto {

void random_fill(std::span<std::uint8_t> out) {
  if (out.empty()) return;
  ossl::check(RAND_bytes(out.data(), static_cast<int>(out.size())) == 1, "RAND_bytes");
}

Bytes random_bytes(std::size_t count) {
  Bytes out(count);
  random_fill(out);
  return out;
}

Random random_hello_value() {
  Random random{};
  random_fill(random);
  return random;
}

}  // namespace tlslab::crypto
