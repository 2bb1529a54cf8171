#pragma once
// The typed facts (trace/event.hpp) of each arrow and local step of the lab's protocol: the values
// describe.hpp puts in words, for tools to read (the JSON Lines' `facts`, the report), the same keys
// as a real TLS run's. Called only when a trace listens, with describe's fields (SessionTrace's
// Described). A secret's value is kept only when `show_secrets`, and so is a command that would
// write one out.
#include <ctime>
#include <string>
#include <string_view>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::net {
struct CrlCheck;
}  // namespace tlslab::net

namespace tlslab::facts_of {

// Arrow 1: the protocol ("tlslab/1.0") and RAND-CLIENT.
EventFacts client_hello(const ClientHello& hello);
// Arrow 2: the protocol, RAND-SERVER, the suite (PROTOCOL.md's name), the ECDHE group, the
// CERTIFICATE (DER), and the staple (DER) when there is one.
EventFacts server_hello(const ServerHello& hello);

// The CA's answer in a word, as the real TLS path says it: "good", "revoked (keyCompromise)",
// "unknown", or "does not verify: …".
std::string status_verdict(const Result<crypto::VerifiedStatus>& verified);
// Arrow 3: the CERTIFICATE asked about (DER).
EventFacts status_request(const StatusRequest& request);
// Arrow 3 of a staple, made ahead of time: the CERTIFICATE the staple is about.
EventFacts staple_request(X509* certificate);
// Arrow 4: the CA's answer (DER).
EventFacts status_answer(ByteView ocsp_response);
// …and its verdict as verified.
EventFacts status_response(ByteView ocsp_response, const Result<crypto::VerifiedStatus>& verified);
// Arrow 4 as a CRL (§9.3): the list (DER), when there is one to use.
EventFacts crl_answer(const net::CrlCheck& check);
// …and what it says about `certificate`.
EventFacts crl_response(const net::CrlCheck& check, X509* certificate);

// The client's local check of the CERTIFICATE: one CheckFact per check made (certificate chain,
// validity period, host name) with the values compared.
EventFacts certificate_check(const crypto::TrustStore& trust, X509* certificate, const std::string& host_name,
                             std::time_t now = std::time(nullptr));
// The server's check of the client's CERTIFICATE (§7.7): chain, validity, clientAuth, and the
// CertificateVerify verified with its key.
EventFacts client_certificate_check(const crypto::TrustStore& trust, X509* certificate);

// Arrow 5 with RSA key transport: the PRE-MASTER; `side` is who holds it (the client chose it, the
// server decrypted it).
EventFacts key_transport(const Secret& pre_master, Party side, bool show_secrets);
// Arrow 5 with ECDHE: our ephemeral private key and the PRE-MASTER the two key shares make.
EventFacts key_share(const crypto::EphemeralKey& own_key, Party side, const Secret& pre_master, bool show_secrets);
// Arrow 5 in its mutual form (§7.7): the client's CERTIFICATE (DER), added to the key exchange's facts.
void add_client_authentication(EventFacts& facts, const ClientAuthentication& authentication);

// The SESSION MASTER KEY step (§7.2): the master secret and the key block's keys and IVs, each with
// the PRF computation that made it (and, when secrets are shown, an openssl command that prints it).
// `resumed` (§7.8): the master secret came from a session ticket, not from a PRE-MASTER.
EventFacts session_keys(const SuiteInfo& suite, const SessionKeys& keys, const Random& client_random,
                        const Random& server_random, bool show_secrets, bool resumed = false);

// Arrows 6 and 7 (§7.3): the transcript hash the Finished covers, its verify_data and how it was
// made; `received`: the receiving side's check that verify_data is the one it computed (`expected`).
struct FinishedSeen {
  Party sender = Party::client;
  ByteView verify_data;
  ByteView transcript_hash;
  const Secret* master_secret = nullptr;
  ByteView expected;  // the receiver's own verify_data; empty on the sending side
};
// verify_data, how it was made and (secrets shown) the command that prints it: no secret itself.
EventFacts verify_data(const SuiteInfo& suite, const FinishedSeen& seen, bool show_secrets);
// The transcript hash, verify_data, and the receiver's check.
EventFacts finished(const SuiteInfo& suite, const FinishedSeen& seen, bool show_secrets);

}  // namespace tlslab::facts_of
