#pragma once
// The IANA names of TLS code points, for display: what the trace, the report and the PlantUML say
// for a suite, a group, a signature scheme, an extension or an alert that libssl put on the wire.
// A value this table does not know is shown as its hex ("0x1234"), never rejected.
#include <cstdint>
#include <string>

namespace tlslab::tls {

// TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256 (OpenSSL's AES128-GCM-SHA256), ...
std::string cipher_suite_name(std::uint16_t suite);
// x25519, secp256r1, ffdhe2048, X25519MLKEM768, ...
std::string group_name(std::uint16_t group);
// rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256, ed25519, ...
std::string signature_scheme_name(std::uint16_t scheme);
// server_name, status_request, key_share, ...; "GREASE" for RFC 8701's reserved values.
std::string extension_name(std::uint16_t type);
// RFC 8446 §6 (and RFC 5246 §7.2's older codes): close_notify, handshake_failure, ...
std::string alert_description_name(std::uint8_t description);
// RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA, reserved so that peers learn to ignore unknown values.
bool is_grease(std::uint16_t value);
// "TLS 1.2", "TLS 1.3", "SSL 3.0"; GREASE and others in hex.
std::string version_name(std::uint16_t version);

// How a TLS 1.2 suite exchanges the pre-master (RFC 5246 §7.4.3, RFC 8422 §2): it decides the
// layout of ServerKeyExchange and ClientKeyExchange. TLS 1.3 suites name no key exchange (key_share
// does): `none`.
enum class KeyExchange : std::uint8_t { none, rsa, dhe, ecdhe };
KeyExchange key_exchange_of(std::uint16_t suite);

}  // namespace tlslab::tls
