#include "tlslab/handshake_rules.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/signature.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/time.hpp"

namespace tlslab {

SuiteAbility ability_of(EVP_PKEY* certificate_key, std::optional<NamedGroup> group) {
  return {crypto::rsa_bits(certificate_key) >= 2048, crypto::scheme_for(certificate_key).has_value(), group};
}

Result<SuiteInfo> choose_suite(std::span<const std::uint16_t> offered, std::span<const CipherSuite> accepted,
                               const SuiteAbility& can) {
  std::vector<std::uint16_t> ours;
  std::string skipped;
  for (CipherSuite suite : accepted) {
    ours.push_back(static_cast<std::uint16_t>(suite));
    if (std::find(offered.begin(), offered.end(), static_cast<std::uint16_t>(suite)) == offered.end()) continue;
    SuiteInfo info = *suite_info(suite);
    if (info.key_exchange == KeyExchange::rsa_oaep && !can.key_transport) {
      skipped =
          "; the offered RSA key-transport suites need an RSA certificate key, this server's cannot decrypt a "
          "PRE-MASTER";
      continue;
    }
    if (info.key_exchange == KeyExchange::ecdhe && (!can.group || !can.signs)) {
      skipped += !can.group ? "; the offered ECDHE suites need a group in common, and there is none"
                            : "; the offered ECDHE suites need a certificate key that signs (RSA or EC P-256)";
      continue;
    }
    return info;
  }
  return fail(AlertDescription::handshake_failure, "no cipher suite in common: the client offers " +
                                                       suite_list(offered) + "; this server accepts " +
                                                       suite_list(ours) + skipped);
}

std::optional<NamedGroup> choose_group(std::span<const std::uint16_t> offered, std::span<const NamedGroup> accepted) {
  for (NamedGroup group : accepted) {
    if (std::find(offered.begin(), offered.end(), static_cast<std::uint16_t>(group)) != offered.end()) return group;
  }
  return std::nullopt;
}

Result<ProtocolVersion> negotiate_version(ProtocolVersion client_version) {
  if (static_cast<std::uint16_t>(client_version) < static_cast<std::uint16_t>(ProtocolVersion::tlslab_1_0)) {
    return fail(AlertDescription::protocol_version, "client offers only versions older than tlslab/1.0");
  }
  return ProtocolVersion::tlslab_1_0;
}

Secret make_pre_master(ProtocolVersion client_version) {
  Secret pre_master(crypto::pre_master_size);
  auto version = static_cast<std::uint16_t>(client_version);
  pre_master.data()[0] = static_cast<std::uint8_t>(version >> 8);
  pre_master.data()[1] = static_cast<std::uint8_t>(version);
  crypto::random_fill(pre_master.span().subspan(2));
  return pre_master;
}

Secret recover_pre_master(const crypto::OaepDecryptor& server_key, ByteView encrypted_pre_master,
                          ProtocolVersion client_version) {
  // The random replacement is made first, whatever happens, so both paths do the same work.
  Secret replacement(crypto::pre_master_size);
  crypto::random_fill(replacement.span());
  auto decrypted = server_key.decrypt(encrypted_pre_master);
  auto version = static_cast<std::uint16_t>(client_version);
  bool usable = decrypted && decrypted->size() == crypto::pre_master_size &&
                decrypted->data()[0] == static_cast<std::uint8_t>(version >> 8) &&
                decrypted->data()[1] == static_cast<std::uint8_t>(version);
  return usable ? std::move(*decrypted) : std::move(replacement);
}

namespace {

// §7.6, client: the key share is one of ours, signed by the certificate's key over this handshake.
Result<void> check_key_share(const ClientHello& offered, const ServerHello& hello, X509* certificate) {
  auto share = hello.key_share();
  if (!share)
    return fail(AlertDescription::illegal_parameter, "an ECDHE suite was chosen, but no key share came with it");
  auto groups = offered.key_share_groups().value_or(std::vector<std::uint16_t>{});
  auto group = named_group(share->group);
  if (!group || std::find(groups.begin(), groups.end(), share->group) == groups.end()) {
    return fail(
        AlertDescription::illegal_parameter,
        "the server's key share is in group " + std::to_string(share->group) + ", which the client did not offer");
  }
  EVP_PKEY* certificate_key = X509_get0_pubkey(certificate);
  auto scheme = crypto::scheme_for(certificate_key);
  if (!scheme) {
    return fail(AlertDescription::bad_certificate,
                "the certificate's key can sign with no scheme of §7.6 (RSA or EC P-256)");
  }
  if (share->scheme != static_cast<std::uint16_t>(*scheme)) {
    return fail(AlertDescription::illegal_parameter,
                "the key share is signed with scheme " + std::to_string(share->scheme) + ", not " +
                    std::string(crypto::to_string(*scheme)) + " as the certificate's key requires");
  }
  if ((X509_get_extension_flags(certificate) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(certificate) & KU_DIGITAL_SIGNATURE) == 0) {
    return fail(AlertDescription::bad_certificate,
                "the certificate's keyUsage lacks digitalSignature: its key may not sign the key share");
  }
  if (auto peer = crypto::peer_public_key(*group, share->key_exchange); !peer) return peer.failure();
  Bytes content = key_share_signed_content(offered.random, hello.random, share->group, share->key_exchange);
  return crypto::verify(certificate_key, *scheme, content, share->signature);
}

}  // namespace

Result<SuiteInfo> check_server_hello(const ClientHello& offered, const ServerHello& hello, X509* certificate) {
  if (hello.server_version != ProtocolVersion::tlslab_1_0 ||
      static_cast<std::uint16_t>(hello.server_version) > static_cast<std::uint16_t>(offered.client_version)) {
    return fail(AlertDescription::protocol_version, "server chose a version the client did not offer");
  }
  bool was_offered = std::find(offered.cipher_suites.begin(), offered.cipher_suites.end(), hello.cipher_suite) !=
                     offered.cipher_suites.end();
  auto suite = suite_info(hello.cipher_suite);
  if (!was_offered || !suite) {
    return fail(AlertDescription::illegal_parameter,
                "server chose " + suite_name(hello.cipher_suite) + ", which the client did not offer");
  }
  for (const auto& extension : hello.extensions) {
    bool asked = std::any_of(offered.extensions.begin(), offered.extensions.end(),
                             [&](const Extension& e) { return e.type == extension.type; });
    if (!asked) {
      return fail(AlertDescription::unsupported_extension,
                  "ServerHello carries extension " + std::to_string(extension.type) + " the client did not offer");
    }
  }
  // A certificate can parse while its SubjectPublicKeyInfo does not decode (OpenSSL defers it).
  EVP_PKEY* certificate_key = X509_get0_pubkey(certificate);
  if (certificate_key == nullptr) {
    ERR_clear_error();
    return fail(AlertDescription::bad_certificate, "the CERTIFICATE's public key does not decode");
  }
  if (!constant_time_equal(hello.server_public_key, crypto::certificate_public_key_der(certificate))) {
    return fail(AlertDescription::bad_certificate,
                "SERVER'S PUBLIC KEY is not the key in the CERTIFICATE (a swapped key?)");
  }
  int bits = crypto::rsa_bits(certificate_key);
  if (bits != 0 && bits < 2048) {
    return fail(AlertDescription::bad_certificate,
                "the certificate's RSA key has " + std::to_string(bits) + " bits; at least 2048 needed");
  }
  if (suite->key_exchange == KeyExchange::ecdhe) {
    if (auto checked = check_key_share(offered, hello, certificate); !checked) return checked.failure();
    return *suite;
  }
  if (hello.key_share()) {
    return fail(AlertDescription::illegal_parameter,
                "a key share came with " + std::string(suite->name) + ", a suite without ECDHE");
  }
  if (bits == 0) {
    return fail(AlertDescription::bad_certificate,
                "the certificate's key is not RSA: it cannot transport the PRE-MASTER");
  }
  // RFC 5246 §7.4.2: a key that transports the PRE-MASTER needs keyEncipherment, when the
  // certificate restricts its key's usage at all.
  if ((X509_get_extension_flags(certificate) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(certificate) & KU_KEY_ENCIPHERMENT) == 0) {
    return fail(AlertDescription::bad_certificate,
                "the certificate's keyUsage lacks keyEncipherment: its key may not transport the PRE-MASTER");
  }
  return *suite;
}

ServerKeyShare make_server_key_share(const crypto::EphemeralKey& ephemeral, EVP_PKEY* certificate_key,
                                     const Random& client_random, const Random& server_random) {
  auto scheme = crypto::scheme_for(certificate_key);
  if (!scheme) throw std::logic_error("an ECDHE suite was chosen for a key that cannot sign");
  ServerKeyShare share;
  share.group = static_cast<std::uint16_t>(ephemeral.group());
  share.key_exchange = ephemeral.public_key();
  share.scheme = static_cast<std::uint16_t>(*scheme);
  share.signature =
      crypto::sign(certificate_key, *scheme,
                   key_share_signed_content(client_random, server_random, share.group, share.key_exchange));
  return share;
}

SessionKeys derive_session_keys(const SuiteInfo& suite, Secret pre_master, const Random& client_random,
                                const Random& server_random) {
  Secret master_secret = crypto::derive_master_secret(suite.hash, pre_master, client_random, server_random);
  pre_master.wipe();
  crypto::KeyBlock keys = crypto::derive_key_block(suite, master_secret, client_random, server_random);
  return {std::move(master_secret), std::move(keys)};
}

SessionKeys resume_session_keys(const SuiteInfo& suite, Secret master_secret, const Random& client_random,
                                const Random& server_random) {
  crypto::KeyBlock keys = crypto::derive_key_block(suite, master_secret, client_random, server_random);
  return {std::move(master_secret), std::move(keys)};
}

Result<SuiteInfo> check_resumed_server_hello(const ClientHello& offered, const ServerHello& hello,
                                             std::uint16_t session_suite) {
  auto ticket = offered.session_ticket();
  if (!ticket) {
    return fail(AlertDescription::unsupported_extension,
                "ServerHello carries extension 35 (session_ticket) the client did not offer");
  }
  if (ticket->empty()) {
    return fail(AlertDescription::illegal_parameter, "ServerHello resumes a session, but the client offered no ticket");
  }
  if (hello.server_version != ProtocolVersion::tlslab_1_0 ||
      static_cast<std::uint16_t>(hello.server_version) > static_cast<std::uint16_t>(offered.client_version)) {
    return fail(AlertDescription::protocol_version, "server chose a version the client did not offer");
  }
  for (const auto& extension : hello.extensions) {
    bool asked = std::any_of(offered.extensions.begin(), offered.extensions.end(),
                             [&](const Extension& e) { return e.type == extension.type; });
    if (!asked) {
      return fail(AlertDescription::unsupported_extension,
                  "ServerHello carries extension " + std::to_string(extension.type) + " the client did not offer");
    }
  }
  auto suite = suite_info(hello.cipher_suite);
  if (hello.cipher_suite != session_suite || !suite) {
    return fail(AlertDescription::illegal_parameter, "server resumed with " + suite_name(hello.cipher_suite) +
                                                         ", not the session's " + suite_name(session_suite));
  }
  return *suite;
}

Result<void> check_finished(const Finished& received, std::span<const std::uint8_t, verify_data_size> expected,
                            Party sender) {
  if (constant_time_equal(received.verify_data, expected)) return {};
  return fail(AlertDescription::decrypt_error,
              std::string(sender == Party::client ? "client" : "server") +
                  " Finished does not verify: the two sides saw different handshake bytes");
}

Result<void> require_good(const crypto::VerifiedStatus& status, X509* certificate) {
  switch (status.answer.status) {
    case crypto::CertStatus::good: return {};
    case crypto::CertStatus::revoked:
      return fail(AlertDescription::certificate_revoked,
                  "serial " + crypto::serial_hex(certificate) + ", revoked " + utc_time(status.answer.revocation_time) +
                      ", " + std::string(crypto::revocation_reason_name(status.answer.revocation_reason)));
    case crypto::CertStatus::unknown: break;
  }
  return fail(AlertDescription::certificate_unknown, "the CA does not know serial " + crypto::serial_hex(certificate));
}

std::string_view to_string(CaCheck check) {
  switch (check) {
    case CaCheck::direct: return "direct";
    case CaCheck::stapled: return "stapled";
    case CaCheck::automatic: return "auto";
    case CaCheck::crl: return "crl";
  }
  return "?";
}

std::optional<CaCheck> ca_check_from(std::string_view name) {
  for (CaCheck check : {CaCheck::direct, CaCheck::stapled, CaCheck::automatic, CaCheck::crl}) {
    if (to_string(check) == name) return check;
  }
  return std::nullopt;
}

StapleVerdict check_staple(CaCheck policy, const ServerHello& hello, const crypto::TrustStore& trust, X509* certificate,
                           std::chrono::seconds max_age, std::optional<std::time_t> at) {
  StapleVerdict verdict;
  if (policy == CaCheck::direct || policy == CaCheck::crl) return verdict;  // no staple asked for
  verdict.staple = hello.staple();
  if (!verdict.staple) {
    verdict.unusable = "the server stapled no answer from the CA";
    return verdict;
  }
  verdict.checked = crypto::verify_staple(*verdict.staple, trust, certificate, max_age, at);
  if (!verdict.checked->ok()) verdict.unusable = verdict.checked->failure().reason;
  return verdict;
}

Result<void> require_staple(CaCheck policy, const StapleVerdict& verdict) {
  if (policy != CaCheck::stapled || verdict.usable() != nullptr) return {};
  return fail(AlertDescription::bad_certificate_status_response,
              verdict.unusable + "; --ca-check stapled requires a usable staple (must-staple)");
}

std::string_view to_string(ClientAuth policy) {
  switch (policy) {
    case ClientAuth::none: return "none";
    case ClientAuth::optional: return "optional";
    case ClientAuth::require: return "require";
  }
  return "?";
}

std::optional<ClientAuth> client_auth_from(std::string_view name) {
  for (ClientAuth policy : {ClientAuth::none, ClientAuth::optional, ClientAuth::require}) {
    if (to_string(policy) == name) return policy;
  }
  return std::nullopt;
}

Result<bool> ask_for_certificate(ClientAuth policy, const ClientHello& hello) {
  if (policy == ClientAuth::none) return false;
  if (hello.offers_certificate()) return true;
  if (policy == ClientAuth::require) {
    return fail(AlertDescription::certificate_required,
                "the client offers no certificate (no certificate_request in its ClientHello) and this server "
                "requires one (--client-auth require)");
  }
  return false;
}

std::vector<std::uint16_t> accepted_client_schemes() {
  return {static_cast<std::uint16_t>(crypto::SignatureScheme::rsa_pss_rsae_sha256),
          static_cast<std::uint16_t>(crypto::SignatureScheme::ecdsa_secp256r1_sha256)};
}

Result<crypto::SignatureScheme> client_signature_scheme(std::span<const std::uint16_t> requested, EVP_PKEY* key) {
  auto scheme = crypto::scheme_for(key);
  if (!scheme) {
    return fail(AlertDescription::internal_error, "the client's key signs with no scheme of §7.7 (RSA or EC P-256)");
  }
  if (std::find(requested.begin(), requested.end(), static_cast<std::uint16_t>(*scheme)) == requested.end()) {
    return fail(AlertDescription::handshake_failure,
                "the server accepts no signature scheme this client's key signs with (" +
                    std::string(crypto::to_string(*scheme)) + ")");
  }
  return *scheme;
}

Bytes client_certificate_verify_content(HashAlgorithm hash, ByteView handshake_so_far, ByteView signed_fields) {
  Bytes hashed(handshake_so_far.begin(), handshake_so_far.end());
  append(hashed, signed_fields);
  return certificate_verify_content(crypto::digest(hash, hashed));
}

Result<ossl::X509Ptr> check_client_authentication(const ClientAuthentication& authentication, ByteView signed_fields,
                                                  ByteView handshake_so_far, HashAlgorithm hash,
                                                  const crypto::TrustStore& client_trust,
                                                  std::span<const std::uint16_t> accepted_schemes,
                                                  std::optional<std::time_t> at) {
  // 1. One DER certificate: the memo's object when it holds these bytes, else parsed for this
  // handshake only. The memo keeps client certificates that passed every check (below): a
  // stranger's, however costly to parse, is freed with its handshake and pushes out no entry.
  crypto::CertificateMemo& memo = client_trust.memo();
  ossl::X509Ptr certificate = memo.find(authentication.client_certificate);
  if (!certificate) {
    auto parsed = crypto::parse_certificate_der(authentication.client_certificate);
    if (!parsed)
      return fail(AlertDescription::bad_certificate, "the client's CERTIFICATE is not one DER X.509 certificate");
    certificate = std::move(parsed).value();
  }
  // 2. Issued by a CA the server trusts for clients, for clientAuth, in its validity period.
  if (auto verified = crypto::verify_client_certificate(client_trust, certificate.get(), at); !verified) {
    return fail(verified.failure().alert, "the client's certificate: " + verified.failure().reason);
  }
  // 3. A key that signs with a scheme of §7.7, allowed to sign, with the scheme the server listed.
  EVP_PKEY* key = X509_get0_pubkey(certificate.get());
  auto scheme = key != nullptr ? crypto::scheme_for(key) : std::nullopt;
  if (!scheme) {
    ERR_clear_error();
    return fail(AlertDescription::bad_certificate,
                "the client's certificate key is neither RSA of 2048 bits or more nor EC P-256");
  }
  if ((X509_get_extension_flags(certificate.get()) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(certificate.get()) & KU_DIGITAL_SIGNATURE) == 0) {
    return fail(AlertDescription::bad_certificate,
                "the client's certificate keyUsage lacks digitalSignature: its key may not sign a CertificateVerify");
  }
  bool listed =
      std::find(accepted_schemes.begin(), accepted_schemes.end(), authentication.scheme) != accepted_schemes.end();
  if (authentication.scheme != static_cast<std::uint16_t>(*scheme) || !listed) {
    return fail(AlertDescription::illegal_parameter,
                "the client's CertificateVerify uses scheme " + std::to_string(authentication.scheme) + ", not " +
                    std::string(crypto::to_string(*scheme)) + " as its certificate's key requires");
  }
  // 4. The signature over this handshake, with the certificate's key.
  Bytes content = client_certificate_verify_content(hash, handshake_so_far, signed_fields);
  if (auto verified = crypto::verify(key, *scheme, content, authentication.signature,
                                     "this handshake (CertificateVerify)", "the client's CERTIFICATE key");
      !verified) {
    return verified.failure();
  }
  // Verified, and its key signed this handshake: remembered, so that its next handshake neither
  // parses it nor (once its verification is learned too) validates its path again.
  return memo.remember(authentication.client_certificate, std::move(certificate));
}

}  // namespace tlslab
