#include "tlslab/tls/tls_flow.hpp"

namespace tlslab::tls {
namespace {

using M = TlsMessageSpec;
constexpr Party C = Party::client;
constexpr Party S = Party::server;

constexpr M client_hello[] = {{"ClientHello"}};
// The second ClientHello after a HelloRetryRequest (RFC 8446 §4.1.4) lands on arrow 1 again.
constexpr M tls12_rsa_server_flight[] = {
    {"ServerHello"}, {"Certificate"}, {"CertificateStatus", true}, {"CertificateRequest", true}, {"ServerHelloDone"}};
constexpr M tls12_ecdhe_server_flight[] = {{"ServerHello"},
                                           {"Certificate"},
                                           {"CertificateStatus", true},
                                           {"ServerKeyExchange"},
                                           {"CertificateRequest", true},
                                           {"ServerHelloDone"}};
constexpr M tls12_key_exchange[] = {{"Certificate", true}, {"ClientKeyExchange"}, {"CertificateVerify", true}};
constexpr M tls12_client_finished[] = {{"ChangeCipherSpec"}, {"Finished"}};
constexpr M tls12_server_finished[] = {{"NewSessionTicket", true}, {"ChangeCipherSpec"}, {"Finished"}};

constexpr TlsFlowStep tls12_rsa_steps[] = {
    {1, C, S, client_hello,
     "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client"},
    {2, S, C, tls12_rsa_server_flight,
     "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication, returns SERVER'S "
     "PUBLIC KEY (inside the CERTIFICATE), and the CA's answer stapled when the client asked for it"},
    {5, C, S, tls12_key_exchange,
     "sends a new random value PRE-MASTER, encrypted using SERVER'S PUBLIC KEY (RSA PKCS#1 v1.5 in TLS 1.2; the lab "
     "uses OAEP because PKCS#1 v1.5 invites Bleichenbacher's attack)"},
    {6, C, S, tls12_client_finished,
     "sends test message using SESSION MASTER KEY (ChangeCipherSpec, then Finished: proves the keys and the "
     "transcript)"},
    {7, S, C, tls12_server_finished,
     "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY "
     "(ChangeCipherSpec, then Finished)"},
};

constexpr TlsFlowStep tls12_ecdhe_steps[] = {
    {1, C, S, client_hello,
     "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, and the "
     "groups it can make an ephemeral key in"},
    {2, S, C, tls12_ecdhe_server_flight,
     "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication, returns SERVER'S "
     "PUBLIC KEY, and its ephemeral key share signed with the CERTIFICATE's key (ServerKeyExchange): SERVER'S PUBLIC "
     "KEY signs, it no longer encrypts"},
    {5, C, S, tls12_key_exchange,
     "sends its ephemeral key share (ClientKeyExchange); both sides compute the PRE-MASTER from the two shares "
     "(ECDH): the PRE-MASTER is never sent"},
    {6, C, S, tls12_client_finished,
     "sends test message using SESSION MASTER KEY (ChangeCipherSpec, then Finished: proves the keys and the "
     "transcript)"},
    {7, S, C, tls12_server_finished,
     "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY "
     "(ChangeCipherSpec, then Finished)"},
};

constexpr M tls13_server_flight[] = {{"HelloRetryRequest", true},
                                     {"ServerHello"},
                                     {"EncryptedExtensions"},
                                     {"CertificateRequest", true},
                                     {"Certificate"},
                                     {"CertificateVerify"},
                                     {"Finished"}};
constexpr M tls13_client_finished[] = {{"Certificate", true}, {"CertificateVerify", true}, {"Finished"}};
constexpr M tls13_tickets[] = {{"NewSessionTicket"}};

constexpr TlsFlowStep tls13_steps[] = {
    {1, C, S, client_hello,
     "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, and its "
     "ephemeral key share (key_share) in the groups it guesses the server takes"},
    {2, S, C, tls13_server_flight,
     "returns RAND-SERVER, returns accepted cipher suite and its key share (ServerHello), then, encrypted under the "
     "handshake keys: returns CERTIFICATE for authentication (with the CA's answer inside when stapled), SERVER'S "
     "PUBLIC KEY signs the transcript (CertificateVerify), and the server's Finished: the seed's ACK comes already "
     "here"},
    {6, C, S, tls13_client_finished,
     "sends test message using SESSION MASTER KEY (Finished: proves the keys and the transcript); there is no arrow "
     "5: no PRE-MASTER is sent, both sides compute a shared secret from the key shares"},
    {7, S, C, tls13_tickets,
     "after the handshake: NewSessionTicket(s) for resumption (the seed's ACK, the server's Finished, already went "
     "in arrow 2)"},
};

// Resumption (RFC 5077 §3.1, RFC 5246 §7.3's abbreviated handshake; RFC 8446 §2.2): the ClientHello
// offers the earlier session (a ticket, or a session ID; in TLS 1.3 a pre_shared_key) and the server
// takes it. No Certificate, no key exchange: arrows 3–5 do not happen. In TLS 1.2 the server's
// Finished comes first, right after its ServerHello; the master secret is the earlier session's, the
// keys come from it and the two new randoms.
constexpr M tls12_resumed_server_flight[] = {
    {"ServerHello"}, {"NewSessionTicket", true}, {"ChangeCipherSpec"}, {"Finished"}};
constexpr M tls12_resumed_client_finished[] = {{"ChangeCipherSpec"}, {"Finished"}};

constexpr TlsFlowStep tls12_resumed_steps[] = {
    {1, C, S, client_hello,
     "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, and "
     "offers the session it had before (its session ticket, RFC 5077)"},
    {2, S, C, tls12_resumed_server_flight,
     "returns RAND-SERVER and accepts the earlier session: no CERTIFICATE, no SERVER'S PUBLIC KEY, no CA check "
     "(arrows 3–4 were made when the session began), no PRE-MASTER (arrow 5): the SESSION MASTER KEY is the "
     "earlier session's, the keys come from it and the new randoms; the server's Finished comes first"},
    {6, C, S, tls12_resumed_client_finished,
     "sends test message using SESSION MASTER KEY (ChangeCipherSpec, then Finished): proves it holds the earlier "
     "session's master secret, which a stolen ticket alone does not give"},
};

constexpr M tls13_resumed_server_flight[] = {
    {"HelloRetryRequest", true}, {"ServerHello"}, {"EncryptedExtensions"}, {"Finished"}};
constexpr M tls13_resumed_client_finished[] = {{"Finished"}};

constexpr TlsFlowStep tls13_resumed_steps[] = {
    {1, C, S, client_hello,
     "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the client, its key "
     "share, and offers a ticket from the earlier session (pre_shared_key)"},
    {2, S, C, tls13_resumed_server_flight,
     "returns RAND-SERVER and accepts the ticket (pre_shared_key): no CERTIFICATE, no CertificateVerify, no CA "
     "check (arrows 3–4 were made when the session began); the keys come from the ticket's secret and, with "
     "psk_dhe_ke, a fresh key share; the server's Finished"},
    {6, C, S, tls13_resumed_client_finished,
     "sends test message using SESSION MASTER KEY (Finished: proves the keys and the transcript)"},
    {7, S, C, tls13_tickets, "after the handshake: NewSessionTicket(s) for the next resumption"},
};

constexpr TlsFlow tls12_rsa{"TLS 1.2 (RSA key transport)", "TLS 1.2", tls12_rsa_steps};
constexpr TlsFlow tls12_resumed{"TLS 1.2 (resumed)", "TLS 1.2", tls12_resumed_steps};
constexpr TlsFlow tls13_resumed{"TLS 1.3 (resumed)", "TLS 1.3", tls13_resumed_steps};
constexpr TlsFlow tls12_ecdhe{"TLS 1.2 (ECDHE)", "TLS 1.2", tls12_ecdhe_steps};
constexpr TlsFlow tls13{"TLS 1.3", "TLS 1.3", tls13_steps};

}  // namespace

const TlsFlow& tls12_rsa_flow() {
  return tls12_rsa;
}
const TlsFlow& tls12_ecdhe_flow() {
  return tls12_ecdhe;
}
const TlsFlow& tls13_flow() {
  return tls13;
}

const TlsFlow& tls12_resumed_flow() {
  return tls12_resumed;
}
const TlsFlow& tls13_resumed_flow() {
  return tls13_resumed;
}

const TlsFlow& tls_flow_for(bool is_tls13, bool ecdhe, bool resumed) {
  if (resumed) return is_tls13 ? tls13_resumed : tls12_resumed;
  if (is_tls13) return tls13;
  return ecdhe ? tls12_ecdhe : tls12_rsa;
}

const TlsFlowStep* find_tls_step(const TlsFlow& flow, int arrow, Party from) {
  for (const auto& step : flow.steps) {
    if (step.arrow == arrow && step.from == from) return &step;
  }
  return nullptr;
}

}  // namespace tlslab::tls
