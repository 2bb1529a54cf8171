#pragma once
// The TLS 1.2 key schedule (PROTOCOL.md §7.2–7.3), all through OpenSSL's EVP_KDF "TLS1-PRF".
#include <string_view>

#include "tlslab/bytes.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::crypto {

inline constexpr std::size_t pre_master_size = 48;
inline constexpr std::size_t master_secret_size = 48;

// P_hash(secret, label || seed), `length` bytes (RFC 5246 §5).
Secret prf(HashAlgorithm hash, ByteView secret, std::string_view label, ByteView seed, std::size_t length);

Secret derive_master_secret(HashAlgorithm hash, const Secret& pre_master, const Random& client_random,
                            const Random& server_random);

struct DirectionKeys {
  Secret key;
  Secret iv;
};
struct KeyBlock {
  DirectionKeys client_write;
  DirectionKeys server_write;
};
KeyBlock derive_key_block(const SuiteInfo& suite, const Secret& master_secret, const Random& client_random,
                          const Random& server_random);

enum class FinishedSender : std::uint8_t { client, server };
std::array<std::uint8_t, verify_data_size> compute_verify_data(HashAlgorithm hash, const Secret& master_secret,
                                                               FinishedSender sender, ByteView transcript_hash);

}  // namespace tlslab::crypto
