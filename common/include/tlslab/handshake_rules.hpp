#pragma once
// The handshake's decisions as pure functions (no sockets), shared by client and server and
// tested on their own.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/ossl.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/result.hpp"

namespace tlslab {

// What the server can do with a suite: transport a PRE-MASTER (an RSA certificate key), sign a key
// share (an RSA or EC P-256 key), and which group it would use for ECDHE (none in common: no
// ECDHE suite can be chosen).
struct SuiteAbility {
  bool key_transport = true;
  bool signs = true;
  std::optional<NamedGroup> group = NamedGroup::x25519;
};
SuiteAbility ability_of(EVP_PKEY* certificate_key, std::optional<NamedGroup> group);

// §5, §7.6: the first of the server's suites (its preference) that the client offered and the
// server can use, or handshake_failure naming both lists (shortened: a peer may offer 8,000) and
// why suites were skipped.
Result<SuiteInfo> choose_suite(std::span<const std::uint16_t> offered, std::span<const CipherSuite> accepted,
                               const SuiteAbility& can = {});

// §7.6: the first of the server's groups that the client offered; nullopt when none.
std::optional<NamedGroup> choose_group(std::span<const std::uint16_t> offered, std::span<const NamedGroup> accepted);

// §4.1: the version the server speaks, or protocol_version.
Result<ProtocolVersion> negotiate_version(ProtocolVersion client_version);

// §7.1, client: client_version (2 bytes) || 46 random bytes.
Secret make_pre_master(ProtocolVersion client_version);

// §7.1, server: the decrypted PRE-MASTER, or — when decryption fails, the length is wrong or the
// version bytes differ — 48 fresh random bytes, so that the failure shows only at Finished
// (RFC 5246 §7.4.7.1). The caller cannot tell which happened, by design.
Secret recover_pre_master(const crypto::OaepDecryptor& server_key, ByteView encrypted_pre_master,
                          ProtocolVersion client_version);

// §5 steps 1–3 and §7.6, client: the ServerHello answers what was offered, its key is its
// certificate's, and that key can do what the suite asks of it: transport the PRE-MASTER, or sign
// the ephemeral key share (whose signature is checked here).
Result<SuiteInfo> check_server_hello(const ClientHello& offered, const ServerHello& hello, X509* certificate);

// §7.6, server: the signed key share for this handshake.
ServerKeyShare make_server_key_share(const crypto::EphemeralKey& ephemeral, EVP_PKEY* certificate_key,
                                     const Random& client_random, const Random& server_random);

// §7.2, both sides: the SESSION MASTER KEY and the key block from the PRE-MASTER and both
// randoms (TLS 1.2 PRF). The PRE-MASTER is wiped here.
struct SessionKeys {
  Secret master_secret;
  crypto::KeyBlock keys;
};
SessionKeys derive_session_keys(const SuiteInfo& suite, Secret pre_master, const Random& client_random,
                                const Random& server_random);

// §7.3, both sides: the peer's Finished carries exactly the verify_data computed here over the
// transcript (compared in constant time), or decrypt_error: the two sides saw different bytes.
Result<void> check_finished(const Finished& received, std::span<const std::uint8_t, verify_data_size> expected,
                            Party sender);

// §9 step 6, client: good passes; revoked → certificate_revoked (serial, time, reason);
// unknown → certificate_unknown.
Result<void> require_good(const crypto::VerifiedStatus& status, X509* certificate);

}  // namespace tlslab
