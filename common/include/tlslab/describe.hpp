#pragma once
// The trace's fields for each arrow and local step, in the seed's words and colors: one place for
// the client, the server, the CA, tlslab-mitm and tlslab-bench. Called only when a trace listens
// (SessionTrace::arrow takes them as a callable), so a quiet run formats no hex at all; secret
// values are formatted only when `show_secrets`.
#include <chrono>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tlslab/cipher_suite.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::describe {

// What the CA found and signed for one status request (the CA's side of arrows 3 and 4).
struct CaAnswer {
  bool parsed = false;  // the CERTIFICATE parsed
  std::string subject;  // …and these are its subject and serial
  std::string serial;
  bool issued_here = false;     // issued by this CA (its name as issuer, its signature)
  crypto::StatusAnswer status;  // from the database; unknown when not issued here
  bool signed_answer = false;   // a signed successful answer (else malformedRequest)
  std::time_t this_update = 0;
  std::time_t next_update = 0;
  std::string signer;  // the key and algorithm that sign every answer
};
std::vector<TraceField> ca_status_request(const StatusRequest& request, const CaAnswer& answer);
std::vector<TraceField> ca_status_response(const StatusRequest& request, const CaAnswer& answer);
// The CA's own step between them: what its database says about the serial asked about.
std::vector<TraceField> ca_database_lookup(const CaAnswer& answer);

std::vector<TraceField> client_hello(const ClientHello& hello);
// `certificate`: the CERTIFICATE the ServerHello carries, parsed. With ECDHE, the key share and
// its signature too (`verified`: the client checked it).
std::vector<TraceField> server_hello(const ServerHello& hello, X509* certificate, bool verified = false);
// The client's local check of the CERTIFICATE, check by check with the values compared; `failed`:
// why verify_server_certificate refused it (shown first), nullptr when it passed.
std::vector<TraceField> certificate_check(const crypto::TrustStore& trust, X509* certificate,
                                          const std::string& host_name, const Failure* failed = nullptr,
                                          std::time_t now = std::time(nullptr));
std::vector<TraceField> status_request(const StatusRequest& request, X509* certificate);
// The client's view of arrow 4: the answer as verified (or why it did not verify).
std::vector<TraceField> status_response(const StatusResponse& response, const Result<crypto::VerifiedStatus>& verified);
std::vector<TraceField> key_exchange(const ClientKeyExchange& key_exchange, const Secret& pre_master,
                                     bool show_secrets);
// Arrow 5 with ECDHE: the client's key share, and (secret) our own ephemeral private key and the
// PRE-MASTER the two shares make; `own` is "client's" or "server's".
std::vector<TraceField> key_share_exchange(const ClientKeyShare& share, const crypto::EphemeralKey& own_key,
                                           std::string_view own, const Secret& pre_master, bool show_secrets);
std::vector<TraceField> session_keys(const SessionKeys& keys, bool show_secrets);
// `transcript_hash`: the hash verify_data was computed over (§7.3), for the reader to check.
std::vector<TraceField> finished(const Finished& finished, ByteView transcript_hash, bool verified_here);

// Stapling (§9.1), the client's view of arrows 3–4 done by the server ahead of time: what was asked
// (and when, as far as the answer tells), and the staple as checked (or why it is not usable).
std::vector<TraceField> staple_request(X509* certificate, const Result<crypto::VerifiedStatus>& verified,
                                       std::time_t now);
std::vector<TraceField> staple_response(ByteView staple, const Result<crypto::VerifiedStatus>& verified,
                                        std::time_t now, std::chrono::seconds max_age);
// The server's staple in its ServerHello (§9.1): what it says and how old it is.
std::vector<TraceField> stapled_answer(const crypto::VerifiedStatus& staple, std::size_t size, std::time_t now);

// Mutual authentication (§7.7): the client's CERTIFICATE and CertificateVerify at arrow 5
// (`certificate` parsed, or nullptr; `verified`: the server checked the signature).
std::vector<TraceField> client_authentication(const ClientAuthentication& authentication, X509* certificate,
                                              bool verified);
// The server's local check of the client's certificate (§7.7 checks 1–4).
std::vector<TraceField> client_certificate_check(const crypto::TrustStore& trust, X509* certificate);

// Arrow 4's words for the answer the CA gave: an ACK only when it says good. `asker` is who
// verifies it: the client (the seed's arrows 3-4), or the server (a staple, a client's certificate).
std::string status_response_words(const std::optional<crypto::CertStatus>& status, Party asker = Party::client);

// "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, SHA-256)";
// `resumed` (§7.8): the master secret from the ticket, fresh keys from the new randoms.
std::string session_keys_step(const SuiteInfo& suite, bool resumed = false);

// Resumption (§7.8): the ServerHello that accepts a ticket (`session_began`: the ticket's creation
// time, 0 when the client cannot know it), and the NewSessionTicket after a full handshake.
std::vector<TraceField> resumed_server_hello(const ServerHello& hello, std::int64_t session_began = 0);
std::vector<TraceField> new_session_ticket(const NewSessionTicket& ticket);

// The seed's words for an arrow of real TLS (issue 24): `version` "TLS 1.2" or "TLS 1.3", `arrow` the
// seed's number (1, 2, 5, 6, 7, 8; "" for others), `messages` the names of the flight's messages as
// the tap saw them ("ServerHello", "Certificate", "ServerKeyExchange", "CertificateStatus", …): which
// ones are there changes the words (ECDHE, a staple, a CertificateRequest, a NewSessionTicket).
std::string tls_flight(std::string_view version, int arrow, std::span<const std::string> messages);

}  // namespace tlslab::describe
