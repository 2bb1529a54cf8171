#pragma once
// The handshake's decisions as pure functions (no sockets), shared by client and server and
// tested on their own.
#include <chrono>
#include <ctime>
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
#include "tlslab/crypto/signature.hpp"
#include "tlslab/crypto/x509.hpp"
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

// §7.8, both sides: a resumed session's keys: the key block from the ticket's master secret and the
// NEW randoms (§7.2's key expansion; there is no PRE-MASTER).
SessionKeys resume_session_keys(const SuiteInfo& suite, Secret master_secret, const Random& client_random,
                                const Random& server_random);

// §7.8, client: a ServerHello in the resumed form answers a ticket this client offered (else
// illegal_parameter, or unsupported_extension when it offered no session_ticket at all), with the
// version offered and the session's own suite (illegal_parameter).
Result<SuiteInfo> check_resumed_server_hello(const ClientHello& offered, const ServerHello& hello,
                                             std::uint16_t session_suite);

// §7.3, both sides: the peer's Finished carries exactly the verify_data computed here over the
// transcript (compared in constant time), or decrypt_error: the two sides saw different bytes.
Result<void> check_finished(const Finished& received, std::span<const std::uint8_t, verify_data_size> expected,
                            Party sender);

// §9 step 6, client: good passes; revoked → certificate_revoked (serial, time, reason);
// unknown → certificate_unknown.
Result<void> require_good(const crypto::VerifiedStatus& status, X509* certificate);

// §9.1: how the client learns the status of the server's certificate.
enum class CaCheck : std::uint8_t {
  direct,     // asks the CA itself, arrows 3–4 (the seed); never asks for a staple
  stapled,    // requires a usable staple (must-staple)
  automatic,  // a usable staple if there is one, else asks the CA itself ("auto")
  crl,        // fetches the CA's list of revoked serials and looks the serial up itself (§9.3); no staple
};
std::string_view to_string(CaCheck check);  // "direct", "stapled", "auto", "crl"
std::optional<CaCheck> ca_check_from(std::string_view name);

// §9.1, client: the ServerHello's staple, as checked. When usable() it decides (its status still
// goes through require_good); otherwise `unusable` says why there is none to use, and the client
// asks the CA itself, unless its policy is CaCheck::stapled (require_staple fails then).
struct StapleVerdict {
  std::optional<Bytes> staple;                            // what the ServerHello carried, when asked for
  std::optional<Result<crypto::VerifiedStatus>> checked;  // … checked by §9.1 steps 1–5
  std::string unusable;  // why there is none to use; empty when usable, or when none was asked for

  [[nodiscard]] const crypto::VerifiedStatus* usable() const {
    return checked && checked->ok() ? &checked->value() : nullptr;
  }
};
StapleVerdict check_staple(CaCheck policy, const ServerHello& hello, const crypto::TrustStore& trust, X509* certificate,
                           std::chrono::seconds max_age, std::optional<std::time_t> at = std::nullopt);
// Under CaCheck::stapled, no usable staple is bad_certificate_status_response (must-staple).
Result<void> require_staple(CaCheck policy, const StapleVerdict& verdict);

// §7.7: whether a server asks for the client's certificate.
enum class ClientAuth : std::uint8_t { none, optional, require };
std::string_view to_string(ClientAuth policy);
std::optional<ClientAuth> client_auth_from(std::string_view name);
// true: ask (certificate_request in ServerHello); false: do not; certificate_required when the
// policy requires a certificate and the ClientHello offers none.
Result<bool> ask_for_certificate(ClientAuth policy, const ClientHello& hello);
// The schemes a version 1.0 server accepts for the client's CertificateVerify, its preference first.
std::vector<std::uint16_t> accepted_client_schemes();

// §7.7, client: the scheme its key signs with, which the server must have listed (handshake_failure).
Result<crypto::SignatureScheme> client_signature_scheme(std::span<const std::uint16_t> requested, EVP_PKEY* key);
// §7.7, both: what the client's key signs: 64 × 0x20 ‖ context ‖ 00 ‖ Hash(CH ‖ SH ‖ signed_fields),
// `handshake_so_far` holding the complete ClientHello and ServerHello.
Bytes client_certificate_verify_content(HashAlgorithm hash, ByteView handshake_so_far, ByteView signed_fields);

// §7.7 checks 1–4, server: the client's CERTIFICATE (parsed, verified against `client_trust` for
// clientAuth), its key and scheme, and its CertificateVerify over this handshake. Returns the
// certificate, to ask the CA about (check 5, §9.2).
Result<ossl::X509Ptr> check_client_authentication(const ClientAuthentication& authentication, ByteView signed_fields,
                                                  ByteView handshake_so_far, HashAlgorithm hash,
                                                  const crypto::TrustStore& client_trust,
                                                  std::span<const std::uint16_t> accepted_schemes,
                                                  std::optional<std::time_t> at = std::nullopt);

}  // namespace tlslab
