#pragma once
// The cipher-suite registry (PROTOCOL.md §7.5): each suite is data, not a branch.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tlslab {

enum class CipherSuite : std::uint16_t {
  rsa_oaep_aes_128_gcm_sha256 = 0x0A01,
  rsa_oaep_aes_256_gcm_sha384 = 0x0A02,
  rsa_oaep_chacha20_poly1305_sha256 = 0x0A03,
  ecdhe_aes_128_gcm_sha256 = 0x0B01,
  ecdhe_aes_256_gcm_sha384 = 0x0B02,
  ecdhe_chacha20_poly1305_sha256 = 0x0B03,
};

// How the PRE-MASTER comes to both sides (PROTOCOL.md §7.1, §7.6).
enum class KeyExchange : std::uint8_t {
  rsa_oaep,  // the seed's: sent, encrypted with SERVER'S PUBLIC KEY
  ecdhe,     // never sent: an ECDH of two ephemeral keys, the server's signed (forward secrecy)
};
enum class Aead : std::uint8_t { aes_128_gcm, aes_256_gcm, chacha20_poly1305 };
enum class HashAlgorithm : std::uint8_t { sha256, sha384 };

struct SuiteInfo {
  CipherSuite suite;
  std::string_view name;        // TLSLAB_RSA_OAEP_WITH_AES_128_GCM_SHA256
  std::string_view short_name;  // aes128gcm: what --suites takes
  KeyExchange key_exchange;
  Aead aead;
  HashAlgorithm hash;
  std::size_t key_length;
  std::size_t iv_length;
};

// nullopt for a value this version does not know (it may be a newer suite: ignore it).
std::optional<SuiteInfo> suite_info(CipherSuite suite);
std::optional<SuiteInfo> suite_info(std::uint16_t value);
std::span<const SuiteInfo> all_suites();
// Default preference: RSA key transport first (a default run is the seed's diagram), then ECDHE;
// each with AES-128-GCM, ChaCha20-Poly1305, AES-256-GCM.
std::vector<CipherSuite> default_suites();
// "aes128gcm,chacha20,aes256gcm,ecdhe-aes128gcm,ecdhe-chacha20,ecdhe-aes256gcm"
std::string default_suite_names();
// "aes128gcm,chacha20" or full names; nullopt and `error` on an unknown name.
std::optional<std::vector<CipherSuite>> parse_suite_list(std::string_view list, std::string& error);
std::string suite_name(std::uint16_t value);
// "TLSLAB_…, TLSLAB_…, … and 8,140 more": a peer's list, at most `max_shown` names long, for a
// trace line or a log line (a 16 KB ClientHello holds 8,000 suites).
std::string suite_list(std::span<const std::uint16_t> suites, std::size_t max_shown = 8);
std::string_view to_string(HashAlgorithm hash);
std::string_view to_string(KeyExchange key_exchange);

// The groups of the ECDHE suites (TLS NamedGroup values, PROTOCOL.md §7.6).
enum class NamedGroup : std::uint16_t { secp256r1 = 0x0017, x25519 = 0x001D };
std::optional<NamedGroup> named_group(std::uint16_t value);
std::string_view to_string(NamedGroup group);  // "x25519", "secp256r1"
// Default preference: x25519, secp256r1.
std::vector<NamedGroup> default_groups();
// "x25519,p256" (or secp256r1); nullopt and `error` on an unknown name.
std::optional<std::vector<NamedGroup>> parse_group_list(std::string_view list, std::string& error);

}  // namespace tlslab
