#include "tlslab/trace/facts_of.hpp"

#include <openssl/x509.h>

#include <algorithm>

#include "tlslab/net/crl_fetcher.hpp"
#include "tlslab/time.hpp"

namespace tlslab::facts_of {
namespace {

// The PRF's digest as openssl kdf names it ("SHA256"), and the PRF as PROTOCOL.md §7.2 uses it.
std::string digest_name(HashAlgorithm hash) {
  return hash == HashAlgorithm::sha256 ? "SHA256" : "SHA384";
}
std::string prf_word(HashAlgorithm hash) {
  return "TLS1-PRF-" + digest_name(hash);
}

// A stock command that prints PRF(secret, label, seeds…)[skip..skip+length-1] (as the real TLS
// trace's commands: openssl kdf, hex out).
std::string prf_command(HashAlgorithm hash, std::size_t total, ByteView secret, std::string_view label,
                        std::initializer_list<ByteView> seeds, std::size_t skip, std::size_t length) {
  std::string command = "openssl kdf -keylen " + std::to_string(total) + " -kdfopt digest:" + digest_name(hash) +
                        " -kdfopt hexsecret:" + to_hex(secret) + " \\\n  -kdfopt hexseed:" + to_hex(as_bytes(label));
  for (ByteView seed : seeds) command += " -kdfopt hexseed:" + to_hex(seed);
  command += " TLS1-PRF | tr -d : | tr A-F a-f";
  if (skip != 0 || length != total) {
    command += " | cut -c" + std::to_string(2 * skip + 1) + "-" + std::to_string(2 * (skip + length));
  }
  return command;
}

Bytes bytes_of(ByteView view) {
  return Bytes(view.begin(), view.end());
}

// A secret: its value only when shown.
SecretFact secret_fact(std::string name, ByteView value, std::string computation, bool show_secrets) {
  SecretFact fact;
  fact.name = std::move(name);
  if (show_secrets) fact.value = bytes_of(value);
  fact.computation = std::move(computation);
  return fact;
}

// The messages a Finished covers (§7.3), by who sends it.
std::string transcript_name(Party sender) {
  return sender == Party::client ? "Hash(ClientHello..ClientKeyExchange)" : "Hash(ClientHello..client Finished)";
}

std::string the_side(Party side) {
  return side == Party::server ? "server's" : "client's";
}

}  // namespace

EventFacts client_hello(const ClientHello& hello) {
  EventFacts facts;
  facts.protocol = std::string(to_string(hello.client_version));
  facts.client_random = bytes_of(hello.random);
  return facts;
}

EventFacts server_hello(const ServerHello& hello) {
  EventFacts facts;
  facts.protocol = std::string(to_string(hello.server_version));
  facts.server_random = bytes_of(hello.random);
  facts.suite = suite_name(hello.cipher_suite);
  if (auto share = hello.key_share()) {
    auto group = named_group(share->group);
    facts.group = group ? std::string(to_string(*group)) : "group " + std::to_string(share->group);
  }
  facts.certificate = hello.certificate;
  if (auto staple = hello.staple()) facts.status = std::move(*staple);
  return facts;
}

std::string status_verdict(const Result<crypto::VerifiedStatus>& verified) {
  if (!verified) return "does not verify: " + verified.failure().reason;
  const crypto::StatusAnswer& answer = verified->answer;
  switch (answer.status) {
    case crypto::CertStatus::good: return "good";
    case crypto::CertStatus::revoked:
      return "revoked (" +
             std::string(answer.revocation_reason >= 0 ? crypto::revocation_reason_name(answer.revocation_reason)
                                                       : std::string_view("no reason given")) +
             ")";
    case crypto::CertStatus::unknown: return "unknown";
  }
  return "unknown";
}

EventFacts status_request(const StatusRequest& request) {
  EventFacts facts;
  facts.certificate = request.certificate;
  return facts;
}

EventFacts staple_request(X509* certificate) {
  EventFacts facts;
  facts.certificate = crypto::certificate_der(certificate);
  return facts;
}

EventFacts status_answer(ByteView ocsp_response) {
  EventFacts facts;
  facts.status = bytes_of(ocsp_response);
  return facts;
}

EventFacts status_response(ByteView ocsp_response, const Result<crypto::VerifiedStatus>& verified) {
  EventFacts facts = status_answer(ocsp_response);
  facts.status_verdict = status_verdict(verified);
  return facts;
}

EventFacts crl_answer(const net::CrlCheck& check) {
  EventFacts facts;
  if (check.crl && check.crl->crl) {
    int size = i2d_X509_CRL(check.crl->crl.get(), nullptr);
    if (size > 0) {
      facts.status.resize(static_cast<std::size_t>(size));
      unsigned char* out = facts.status.data();
      i2d_X509_CRL(check.crl->crl.get(), &out);
    }
  }
  return facts;
}

EventFacts crl_response(const net::CrlCheck& check, X509* certificate) {
  EventFacts facts = crl_answer(check);
  facts.status_verdict = status_verdict(net::crl_status(check, certificate));
  return facts;
}

EventFacts certificate_check(const crypto::TrustStore& trust, X509* certificate, const std::string& host_name,
                             std::time_t now) {
  EventFacts facts;
  X509* anchor = trust.issuer_of(certificate);
  facts.checks.push_back({"certificate chain", anchor != nullptr, "signed by a CA in the trust store",
                          anchor ? "signed by " + crypto::subject_of(anchor)
                                 : "issued by " + crypto::issuer_of(certificate) + ", not a trusted CA"});
  auto position = crypto::validity_position(certificate, now);
  std::string period = crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate);
  std::string at = "now is " + utc_time(now);
  facts.checks.push_back({"validity period", position && *position == 0, period,
                          !position       ? "a date does not parse"
                          : *position < 0 ? "not yet: " + at
                          : *position > 0 ? "expired: " + at
                                          : at});
  std::string names = crypto::subject_alt_names(certificate);
  facts.checks.push_back({"host name", crypto::matches_host_name(certificate, host_name), host_name, names});
  return facts;
}

EventFacts client_certificate_check(const crypto::TrustStore& trust, X509* certificate) {
  EventFacts facts;
  X509* anchor = trust.issuer_of(certificate);
  facts.checks.push_back({"certificate chain", anchor != nullptr, "signed by a CA trusted for clients",
                          anchor ? "signed by " + crypto::subject_of(anchor)
                                 : "issued by " + crypto::issuer_of(certificate) + ", not a trusted CA"});
  facts.checks.push_back({"validity period", true,
                          crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate),
                          "now is " + utc_time(std::time(nullptr))});
  facts.checks.push_back({"purpose", true, "extendedKeyUsage clientAuth", "extendedKeyUsage clientAuth"});
  facts.checks.push_back({"CertificateVerify", true,
                          "signed by the client's PRIVATE KEY over RAND-CLIENT, RAND-SERVER and the handshake so far",
                          "verified with the client's CERTIFICATE key"});
  return facts;
}

EventFacts key_transport(const Secret& pre_master, Party side, bool show_secrets) {
  EventFacts facts;
  facts.secrets.push_back(secret_fact(
      "PRE-MASTER", pre_master.view(),
      side == Party::client ? "client_version || 46 random bytes (§7.1), sent encrypted with SERVER'S PUBLIC KEY "
                              "(RSA-OAEP, SHA-256)"
                            : "RSA-OAEP-decrypt(server's PRIVATE KEY, encrypted_pre_master) (§7.1; 48 random bytes "
                              "instead when it does not decrypt to 48 bytes of client_version)",
      show_secrets));
  return facts;
}

EventFacts key_share(const crypto::EphemeralKey& own_key, Party side, const Secret& pre_master, bool show_secrets) {
  EventFacts facts;
  std::string group(to_string(own_key.group()));
  facts.group = group;
  std::string own = the_side(side);
  std::string peer = the_side(side == Party::client ? Party::server : Party::client);
  Secret private_key = own_key.private_key();
  facts.secrets.push_back(secret_fact("ephemeral private key", private_key.view(),
                                      "generated by the " + own + " side for this handshake (" + group + ")",
                                      show_secrets));
  facts.secrets.push_back(secret_fact(
      "PRE-MASTER", pre_master.view(),
      "ECDH(" + own + " ephemeral private key, " + peer + " key share) over " + group + " (§7.6)", show_secrets));
  return facts;
}

void add_client_authentication(EventFacts& facts, const ClientAuthentication& authentication) {
  facts.certificate = authentication.client_certificate;
}

EventFacts session_keys(const SuiteInfo& suite, const SessionKeys& keys, const Random& client_random,
                        const Random& server_random, bool show_secrets, bool resumed) {
  EventFacts facts;
  facts.suite = std::string(suite.name);
  std::string prf = prf_word(suite.hash);
  facts.secrets.push_back(secret_fact(
      "SESSION MASTER KEY", keys.master_secret.view(),
      resumed ? std::string("from the session ticket: the master secret of the full handshake that began the session")
              : prf + "(PRE-MASTER, \"master secret\", RAND-CLIENT || RAND-SERVER)[0..47]",
      show_secrets));
  // key_block = PRF(master_secret, "key expansion", RAND-SERVER || RAND-CLIENT), cut in four (§7.2).
  std::size_t total = 2 * suite.key_length + 2 * suite.iv_length;
  std::size_t at = 0;
  auto part = [&](std::string name, const Secret& value) {
    std::string range = "[" + std::to_string(at) + ".." + std::to_string(at + value.size() - 1) + "]";
    SecretFact fact =
        secret_fact(std::move(name), value.view(),
                    prf + "(SESSION MASTER KEY, \"key expansion\", RAND-SERVER || RAND-CLIENT)" + range, show_secrets);
    if (show_secrets) {
      fact.command = prf_command(suite.hash, total, keys.master_secret.view(), "key expansion",
                                 {server_random, client_random}, at, value.size());
    }
    at += value.size();
    facts.secrets.push_back(std::move(fact));
  };
  part("client write key", keys.keys.client_write.key);
  part("server write key", keys.keys.server_write.key);
  part("client write IV", keys.keys.client_write.iv);
  part("server write IV", keys.keys.server_write.iv);
  return facts;
}

EventFacts verify_data(const SuiteInfo& suite, const FinishedSeen& seen, bool show_secrets) {
  bool client = seen.sender == Party::client;
  std::string hash_name = transcript_name(seen.sender);
  std::string label = client ? "client finished" : "server finished";
  // verify_data is no secret: it crosses the wire (encrypted), and the reader checks it.
  SecretFact verify_data;
  verify_data.name = std::string(client ? "client" : "server") + " Finished verify_data";
  verify_data.value = bytes_of(seen.verify_data);
  verify_data.computation = prf_word(suite.hash) + "(SESSION MASTER KEY, \"" + label + "\", " + hash_name + ")[0..11]";
  verify_data.secret = false;
  if (show_secrets && seen.master_secret != nullptr) {
    verify_data.command = prf_command(suite.hash, verify_data_size, seen.master_secret->view(), label,
                                      {seen.transcript_hash}, 0, verify_data_size);
  }
  EventFacts facts;
  facts.secrets.push_back(std::move(verify_data));
  return facts;
}

EventFacts finished(const SuiteInfo& suite, const FinishedSeen& seen, bool show_secrets) {
  EventFacts facts = verify_data(suite, seen, show_secrets);
  std::string hash_name = transcript_name(seen.sender);
  facts.transcript_hashes.emplace_back(hash_name, bytes_of(seen.transcript_hash));
  if (!seen.expected.empty()) {
    bool same = seen.expected.size() == seen.verify_data.size() &&
                std::equal(seen.expected.begin(), seen.expected.end(), seen.verify_data.begin());
    facts.checks.push_back({"Finished", same,
                            "verify_data " + to_hex(seen.expected) + ", computed here over " + hash_name,
                            "verify_data " + to_hex(seen.verify_data) + ", received"});
  }
  return facts;
}

}  // namespace tlslab::facts_of
