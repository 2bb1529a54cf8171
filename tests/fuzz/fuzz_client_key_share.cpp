// Arrow 5 with an ECDHE suite, as the server reads it (PROTOCOL.md §7.6): ClientKeyShare, then the
// ECDH with the server's ephemeral key in each group. A key that is no valid point of the group,
// or whose x25519 result is all zeros, must be illegal_parameter; anything else gives 32 bytes.
// Input: one complete handshake message (msg_type || uint24 length || body). Seeds:
// tests/fuzz/corpus/fuzz_client_key_share/ (make_corpus.py): the key shares of real sessions in
// both groups, and the invalid shares of the invalid-key-share attack.
#include <openssl/err.h>

#include "fuzz_support.hpp"
#include "tlslab/crypto/ecdhe.hpp"

namespace {

using namespace tlslab;

struct ServerKeys {
  crypto::EphemeralKey x25519 = crypto::EphemeralKey::generate(NamedGroup::x25519);
  crypto::EphemeralKey secp256r1 = crypto::EphemeralKey::generate(NamedGroup::secp256r1);
};

const ServerKeys& server_keys() {
  static const ServerKeys* keys = new ServerKeys;  // never freed: lives as long as the process
  return *keys;
}

void derive(const crypto::EphemeralKey& key, ByteView peer) {
  auto secret = key.derive(peer);
  if (!secret) {
    fuzz::require(secret.failure().alert == AlertDescription::illegal_parameter,
                  "an unusable key share must be illegal_parameter");
    return;
  }
  fuzz::require(secret->size() == 32, "the PRE-MASTER of both groups is 32 bytes");
  fuzz::require(peer.size() == (key.group() == NamedGroup::x25519 ? 32u : 65u),
                "accepted a key share of the wrong size for its group");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)server_keys();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto share = fuzz::check_handshake_message<ClientKeyShare>(ByteView(data, size));
  if (!share) return 0;
  derive(server_keys().x25519, share->key_exchange);
  derive(server_keys().secp256r1, share->key_exchange);
  ERR_clear_error();
  return 0;
}
