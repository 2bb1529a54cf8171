#pragma once
// Cryptographically secure randomness (RAND_bytes).
#include <span>

#include "tlslab/bytes.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::crypto {

void random_fill(std::span<std::uint8_t> out);
Bytes random_bytes(std::size_t count);
Random random_hello_value();

}  // namespace tlslab::crypto
