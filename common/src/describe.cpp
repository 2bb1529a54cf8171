#include "tlslab/describe.hpp"

#include <algorithm>

#include "tlslab/crypto/signature.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::describe {

namespace {

std::string group_name(std::uint16_t value) {
  auto group = named_group(value);
  return group ? std::string(to_string(*group)) : "group " + std::to_string(value);
}

std::string certificate_line(X509* certificate) {
  return crypto::subject_of(certificate) + ", serial " + crypto::serial_hex(certificate) + ", issuer " +
         crypto::issuer_of(certificate);
}

std::string status_words(const crypto::StatusAnswer& answer) {
  std::string status(crypto::to_string(answer.status));
  if (answer.status == crypto::CertStatus::revoked) {
    status += " at " + utc_time(answer.revocation_time) + " (" +
              std::string(crypto::revocation_reason_name(answer.revocation_reason)) + ")";
  }
  return status;
}

std::string scheme_name(std::uint16_t value) {
  auto scheme = crypto::signature_scheme(value);
  return scheme ? std::string(crypto::to_string(*scheme)) : "scheme " + std::to_string(value);
}

}  // namespace

std::vector<TraceField> client_hello(const ClientHello& hello) {
  std::vector<TraceField> fields{{"RAND-CLIENT", to_hex(hello.random), TraceColor::rand_client},
                                 {"version", std::string(to_string(hello.client_version)), TraceColor::plain},
                                 {"cipher suites", suite_list(hello.cipher_suites), TraceColor::cipher_suites},
                                 {"server name", hello.server_name().value_or("(none)"), TraceColor::plain}};
  if (auto groups = hello.key_share_groups()) {
    std::string names;
    for (std::size_t i = 0; i < groups->size() && i < 8; ++i) names += (i ? ", " : "") + group_name((*groups)[i]);
    fields.push_back({"groups (ECDHE)", shortened_list(names, std::min<std::size_t>(groups->size(), 8), groups->size()),
                      TraceColor::cipher_suites});
  }
  if (hello.asks_for_staple()) {
    fields.push_back(
        {"status_stapling", "asks for the CA's signed answer stapled into ServerHello", TraceColor::ca_key});
  }
  if (hello.offers_certificate()) {
    fields.push_back({"certificate_request", "the client has a CERTIFICATE of its own, if the server asks",
                      TraceColor::certificate});
  }
  if (auto ticket = hello.session_ticket()) {
    fields.push_back({"session_ticket",
                      ticket->empty() ? std::string("none to offer: the client can keep one (§7.8)")
                                      : "offers a ticket from an earlier session, " + std::to_string(ticket->size()) +
                                            " bytes the client cannot read",
                      TraceColor::master_key});
  }
  return fields;
}

std::vector<TraceField> server_hello(const ServerHello& hello, X509* certificate, bool verified) {
  std::vector<TraceField> fields{
      {"RAND-SERVER", to_hex(hello.random), TraceColor::rand_server},
      {"cipher suite", suite_name(hello.cipher_suite), TraceColor::cipher_suites},
      {"CERTIFICATE",
       crypto::subject_of(certificate) + ", serial " + crypto::serial_hex(certificate) + ", issuer " +
           crypto::issuer_of(certificate),
       TraceColor::certificate},
      {"SERVER'S PUBLIC KEY", hex_field(hello.server_public_key, 24), TraceColor::public_key}};
  if (auto share = hello.key_share()) {
    fields.push_back({"server's key share", group_name(share->group) + " " + hex_field(share->key_exchange, 24),
                      TraceColor::pre_master});
    auto scheme = crypto::signature_scheme(share->scheme);
    fields.push_back({"signature",
                      std::string(scheme ? crypto::to_string(*scheme) : "scheme ?") + " " +
                          hex_field(share->signature, 16) +
                          (verified ? ", verified with SERVER'S PUBLIC KEY" : ", by SERVER'S PUBLIC KEY's owner"),
                      TraceColor::public_key});
  }
  if (auto staple = hello.staple()) {
    fields.push_back({"staple (status_stapling)",
                      "the CA's signed answer about this CERTIFICATE, " + std::to_string(staple->size()) +
                          " bytes DER, fetched by the server ahead of time",
                      TraceColor::ca_key});
  }
  if (hello.ticket_mode() == TicketMode::new_ticket) {
    fields.push_back({"session_ticket", "a session ticket will follow the server's Finished", TraceColor::plain});
  }
  if (auto schemes = hello.certificate_request()) {
    std::string names;
    for (std::size_t i = 0; i < schemes->size() && i < 8; ++i) names += (i ? ", " : "") + scheme_name((*schemes)[i]);
    fields.push_back(
        {"certificate_request", "asks for the client's CERTIFICATE, signed with " + names, TraceColor::certificate});
  }
  return fields;
}

std::vector<TraceField> certificate_check(const crypto::TrustStore& trust, X509* certificate,
                                          const std::string& host_name, const Failure* failed, std::time_t now) {
  // Each check on its own, with the values it compares, so that a failure shows which one failed.
  X509* anchor = trust.issuer_of(certificate);
  std::string names = crypto::subject_alt_names(certificate);
  std::string period = crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate);
  auto position = crypto::validity_position(certificate, now);
  std::string at = "now is " + utc_time(now);
  TraceField validity{"valid", period, TraceColor::good};
  if (!position) {
    validity = {"valid", period + ": a date does not parse", TraceColor::bad};
  } else if (*position < 0) {
    validity = {"valid", "not yet: " + at + ", before " + crypto::not_before_of(certificate), TraceColor::bad};
  } else if (*position > 0) {
    validity = {"valid", "expired: " + at + ", after " + crypto::not_after_of(certificate), TraceColor::bad};
  }
  bool named = crypto::matches_host_name(certificate, host_name);
  std::vector<TraceField> fields{
      {"trusted CA",
       anchor ? crypto::subject_of(anchor)
              : "none of the trusted CAs issued it (its issuer: " + crypto::issuer_of(certificate) + ")",
       anchor ? TraceColor::ca_key : TraceColor::bad},
      validity,
      {"host name", host_name + (named ? " is in " : " is not in ") + names,
       named ? TraceColor::good : TraceColor::bad},
      {"subjectAltName", names, TraceColor::certificate},
      {"public key", crypto::key_description(X509_get0_pubkey(certificate)), TraceColor::public_key},
      {"SHA-256 fingerprint", crypto::fingerprint_sha256(certificate), TraceColor::certificate}};
  if (failed != nullptr) {
    fields.insert(fields.begin(),
                  {"FAILED", std::string(to_string(failed->alert)) + ": " + failed->reason, TraceColor::bad});
  }
  return fields;
}

std::vector<TraceField> status_request(const StatusRequest& request, X509* certificate) {
  return {{"CERTIFICATE", "serial " + crypto::serial_hex(certificate), TraceColor::certificate},
          {"nonce", to_hex(request.nonce), TraceColor::plain}};
}

std::vector<TraceField> status_response(const StatusResponse& response,
                                        const Result<crypto::VerifiedStatus>& verified) {
  std::vector<TraceField> fields;
  std::string size = std::to_string(response.ocsp_response.size()) + " bytes DER";
  if (!verified) {
    fields.push_back({"signature", "does not verify: " + verified.failure().reason, TraceColor::bad});
    fields.push_back({"OCSP response", size, TraceColor::plain});
    return fields;
  }
  const auto& answer = verified->answer;
  std::string status(crypto::to_string(answer.status));
  if (answer.status == crypto::CertStatus::revoked) {
    status += " at " + utc_time(answer.revocation_time) + " (" +
              std::string(crypto::revocation_reason_name(answer.revocation_reason)) + ")";
  }
  fields.push_back(
      {"certificate status", status, answer.status == crypto::CertStatus::good ? TraceColor::good : TraceColor::bad});
  fields.push_back({"signed by", verified->signer + " (CA'S PRIVATE KEY)", TraceColor::ca_key});
  fields.push_back({"signature",
                    verified->signature_algorithm + ", verified with CA'S PUBLIC KEY from the local trust store",
                    TraceColor::ca_key});
  fields.push_back({"nonce", "matches ours", TraceColor::good});
  fields.push_back({"this/next update", utc_time(verified->this_update) + " / " + utc_time(verified->next_update),
                    TraceColor::plain});
  fields.push_back({"produced at", utc_time(verified->produced_at), TraceColor::plain});
  fields.push_back({"OCSP response", size, TraceColor::plain});
  return fields;
}

std::vector<TraceField> key_exchange(const ClientKeyExchange& key_exchange, const Secret& pre_master,
                                     bool show_secrets) {
  return {{"PRE-MASTER (encrypted)", hex_field(key_exchange.encrypted_pre_master, 24), TraceColor::pre_master},
          secret_field(show_secrets, "PRE-MASTER", pre_master.view(), TraceColor::pre_master)};
}

std::vector<TraceField> key_share_exchange(const ClientKeyShare& share, const crypto::EphemeralKey& own_key,
                                           std::string_view, const Secret& pre_master, bool show_secrets) {
  std::vector<TraceField> fields{{"client's key share",
                                  std::string(to_string(own_key.group())) + " " + to_hex(share.key_exchange),
                                  TraceColor::pre_master}};
  if (show_secrets) {
    fields.push_back(secret_field(true, "ephemeral private key", own_key.private_key().view(), TraceColor::pre_master));
  } else {
    fields.push_back({"ephemeral private key", "", TraceColor::pre_master, true});
  }
  fields.push_back(secret_field(show_secrets, "PRE-MASTER (ECDH)", pre_master.view(), TraceColor::pre_master));
  return fields;
}

std::vector<TraceField> session_keys(const SessionKeys& keys, bool show_secrets) {
  return {secret_field(show_secrets, "SESSION MASTER KEY", keys.master_secret.view(), TraceColor::master_key),
          secret_field(show_secrets, "client write key", keys.keys.client_write.key.view(), TraceColor::master_key),
          secret_field(show_secrets, "server write key", keys.keys.server_write.key.view(), TraceColor::master_key),
          secret_field(show_secrets, "client write IV", keys.keys.client_write.iv.view(), TraceColor::master_key),
          secret_field(show_secrets, "server write IV", keys.keys.server_write.iv.view(), TraceColor::master_key)};
}

std::vector<TraceField> finished(const Finished& finished, ByteView transcript_hash, bool verified_here) {
  std::vector<TraceField> fields{{"verify_data", to_hex(finished.verify_data), TraceColor::master_key},
                                 {"transcript hash", to_hex(transcript_hash), TraceColor::plain}};
  if (verified_here) fields.push_back({"check", "decrypted and verified", TraceColor::good});
  return fields;
}

std::vector<TraceField> ca_status_request(const StatusRequest& request, const CaAnswer& answer) {
  std::string certificate = answer.parsed ? answer.subject + ", serial " + answer.serial
                                          : "does not parse (" + std::to_string(request.certificate.size()) + " bytes)";
  std::optional<Requester> requester = request.requester();
  std::string asked_by =
      requester ? std::string(to_string(*requester)) + " (the request's requester extension)"
                : "not said: a requester of 1.0's first text, or a role this CA does not know (drawn as the Client)";
  return {{"asked by", asked_by, TraceColor::plain},
          {"CERTIFICATE", certificate, TraceColor::certificate},
          {"nonce", to_hex(request.nonce), TraceColor::plain}};
}

namespace {

// What the CA's database says about the serial asked about (a signed answer's verdict).
TraceField database_says(const CaAnswer& answer) {
  std::string found;
  switch (answer.status.status) {
    case crypto::CertStatus::good: found = "good: issued here, not revoked"; break;
    case crypto::CertStatus::revoked:
      found = "revoked at " + utc_time(answer.status.revocation_time) + " (" +
              std::string(crypto::revocation_reason_name(answer.status.revocation_reason)) + ")";
      break;
    case crypto::CertStatus::unknown:
      found =
          answer.issued_here ? "unknown: issued here, but no record in the database" : "unknown: not issued by this CA";
      break;
  }
  return {"database says", found,
          answer.status.status == crypto::CertStatus::good ? TraceColor::good : TraceColor::bad};
}

}  // namespace

std::vector<TraceField> ca_database_lookup(const CaAnswer& answer) {
  return {database_says(answer)};
}

std::vector<TraceField> ca_status_response(const StatusRequest& request, const CaAnswer& answer) {
  if (!answer.signed_answer) {
    return {{"answer", "malformedRequest (unsigned): the CERTIFICATE is not one the CA could have issued",
             TraceColor::bad}};
  }
  return {database_says(answer),
          {"signed",
           "OCSP BasicResponse for serial " + answer.serial + ", thisUpdate " + utc_time(answer.this_update) +
               ", nextUpdate " + utc_time(answer.next_update) + ", nonce " + to_hex(request.nonce),
           TraceColor::plain},
          {"signed with", answer.signer, TraceColor::ca_key}};
}

std::vector<TraceField> staple_request(X509* certificate, const Result<crypto::VerifiedStatus>& verified,
                                       std::time_t now) {
  std::string when = "ahead of time (the staple does not say when it asked)";
  if (verified) {
    when = "ahead of time: the CA answered at " + utc_time(verified->this_update) + ", " +
           std::to_string(now - verified->this_update) + " s before this handshake";
  }
  return {{"asked by", "the Server, about its own CERTIFICATE, with a nonce of its own", TraceColor::plain},
          {"when", when, TraceColor::plain},
          {"CERTIFICATE", "serial " + crypto::serial_hex(certificate), TraceColor::certificate}};
}

std::vector<TraceField> staple_response(ByteView staple, const Result<crypto::VerifiedStatus>& verified,
                                        std::time_t now, std::chrono::seconds max_age) {
  std::vector<TraceField> fields;
  std::string size = std::to_string(staple.size()) + " bytes DER, stapled into ServerHello";
  if (!verified) {
    fields.push_back({"staple", "not usable: " + verified.failure().reason, TraceColor::bad});
    fields.push_back({"OCSP response", size, TraceColor::plain});
    return fields;
  }
  fields.push_back({"certificate status", status_words(verified->answer),
                    verified->answer.status == crypto::CertStatus::good ? TraceColor::good : TraceColor::bad});
  fields.push_back({"signed by", verified->signer + " (CA'S PRIVATE KEY)", TraceColor::ca_key});
  fields.push_back({"signature",
                    verified->signature_algorithm + ", verified with CA'S PUBLIC KEY from the local trust store",
                    TraceColor::ca_key});
  fields.push_back(
      {"nonce", "the server's: a staple cannot carry the client's, so it is checked by its age", TraceColor::plain});
  fields.push_back({"age",
                    std::to_string(now - verified->this_update) + " s (thisUpdate " + utc_time(verified->this_update) +
                        "), at most " + std::to_string(max_age.count()) + " s allowed; nextUpdate " +
                        utc_time(verified->next_update),
                    TraceColor::good});
  fields.push_back(
      {"lesson",
       "the answer is as old as the staple: a revocation after " + utc_time(verified->this_update) + " is not in it",
       TraceColor::plain});
  fields.push_back({"OCSP response", size, TraceColor::plain});
  return fields;
}

std::vector<TraceField> stapled_answer(const crypto::VerifiedStatus& staple, std::size_t size, std::time_t now) {
  return {{"staple",
           status_words(staple.answer) + ", from the CA at " + utc_time(staple.this_update) + " (" +
               std::to_string(now - staple.this_update) + " s ago), valid until " + utc_time(staple.next_update) +
               ", " + std::to_string(size) + " bytes",
           staple.answer.status == crypto::CertStatus::good ? TraceColor::ca_key : TraceColor::bad}};
}

std::vector<TraceField> client_authentication(const ClientAuthentication& authentication, X509* certificate,
                                              bool verified) {
  return {{"client's CERTIFICATE",
           certificate != nullptr
               ? certificate_line(certificate)
               : "does not parse (" + std::to_string(authentication.client_certificate.size()) + " bytes)",
           TraceColor::certificate},
          {"CertificateVerify",
           scheme_name(authentication.scheme) + " " + hex_field(authentication.signature, 16) +
               (verified ? ", verified with the client's CERTIFICATE key"
                         : ", by the client's PRIVATE KEY over RAND-CLIENT, RAND-SERVER and the handshake so far"),
           verified ? TraceColor::good : TraceColor::public_key}};
}

std::vector<TraceField> client_certificate_check(const crypto::TrustStore& trust, X509* certificate) {
  X509* anchor = trust.issuer_of(certificate);
  return {{"client", crypto::subject_of(certificate) + ", serial " + crypto::serial_hex(certificate),
           TraceColor::certificate},
          {"trusted CA", anchor ? crypto::subject_of(anchor) : "(none)", TraceColor::ca_key},
          {"valid", crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate), TraceColor::good},
          {"purpose", "extendedKeyUsage clientAuth", TraceColor::good},
          {"public key", crypto::key_description(X509_get0_pubkey(certificate)), TraceColor::public_key},
          {"SHA-256 fingerprint", crypto::fingerprint_sha256(certificate), TraceColor::certificate}};
}

std::string status_response_words(const std::optional<crypto::CertStatus>& status, Party asker) {
  std::string who = asker == Party::server ? "server" : "client";
  if (!status) {
    return "sends an answer that does not verify with the CA'S PUBLIC KEY from the local trust store: no ACK at all";
  }
  std::string verifies = "; the " + who + " verifies it with the CA'S PUBLIC KEY from its local trust store";
  switch (*status) {
    case crypto::CertStatus::good: break;
    case crypto::CertStatus::revoked:
      return "sends a NACK: the certificate is REVOKED, signed with the CA'S PRIVATE KEY (an OCSP response)" + verifies;
    case crypto::CertStatus::unknown:
      return "sends no ACK: the CA does not know the certificate (UNKNOWN), signed with the CA'S PRIVATE KEY (an OCSP "
             "response)" +
             verifies;
  }
  return "sends ACK for the certificate, signed with the CA'S PRIVATE KEY (an OCSP response)" + verifies;
}

std::string session_keys_step(const SuiteInfo& suite, bool resumed) {
  if (resumed) {
    return "takes the SESSION MASTER KEY from the session ticket (no PRE-MASTER: the full handshake made it), and "
           "creates fresh keys from it and the new RAND-CLIENT and RAND-SERVER (TLS 1.2 PRF, " +
           std::string(to_string(suite.hash)) + ")";
  }
  return "creates SESSION MASTER KEY using RAND-CLIENT, PRE-MASTER and RAND-SERVER (TLS 1.2 PRF, " +
         std::string(to_string(suite.hash)) + ")";
}

std::vector<TraceField> resumed_server_hello(const ServerHello& hello, std::int64_t session_began) {
  std::vector<TraceField> fields{
      {"RAND-SERVER", to_hex(hello.random), TraceColor::rand_server},
      {"cipher suite", suite_name(hello.cipher_suite) + " (the session's)", TraceColor::cipher_suites},
      {"session_ticket", "accepted: a resumed handshake", TraceColor::good},
      {"CERTIFICATE", "none: the server proves itself by opening the ticket and knowing its master secret",
       TraceColor::certificate},
      {"arrows 3-5",
       "skipped: the CA was asked when the session began, and the ticket lives no longer than that "
       "answer's nextUpdate; no PRE-MASTER is sent, the master secret comes from the ticket",
       TraceColor::plain}};
  if (session_began > 0) {
    fields.push_back({"session began", utc_time(static_cast<std::time_t>(session_began)), TraceColor::plain});
  }
  return fields;
}

std::vector<TraceField> new_session_ticket(const NewSessionTicket& ticket) {
  return {{"ticket_lifetime_hint", std::to_string(ticket.ticket_lifetime_hint) + " s", TraceColor::plain},
          {"ticket",
           std::to_string(ticket.ticket.size()) + " bytes, sealed under the server's ticket key "
                                                  "(AES-256-GCM): only this server can open it",
           TraceColor::master_key}};
}

std::string tls_flight(std::string_view version, int arrow, std::span<const std::string> messages) {
  auto has = [&](std::string_view name) {
    return std::any_of(messages.begin(), messages.end(), [&](const std::string& message) { return message == name; });
  };
  const bool tls13 = version == "TLS 1.3";
  const bool ecdhe = tls13 || has("ServerKeyExchange");
  switch (arrow) {
    case 1:
      return std::string(
                 "client says hello with RAND-CLIENT, sends TLS version, sends cipher suites available to the "
                 "client") +
             (tls13 ? ", and its ephemeral key share (key_share) for the group it expects the server to pick"
                    : ", and the groups it can make an ephemeral key in");
    case 2: {
      std::string words = "returns RAND-SERVER, returns accepted cipher suite, returns CERTIFICATE for authentication";
      if (has("CertificateStatus") || tls13) {
        words += tls13 ? " (with the CA's stapled answer inside it, when the client asked for one)"
                       : ", with the CA's stapled answer (CertificateStatus)";
      }
      if (tls13) {
        return words +
               ", returns SERVER'S PUBLIC KEY and its ephemeral key share; everything after ServerHello is encrypted "
               "under the handshake keys; CertificateVerify signs the transcript with the CERTIFICATE's key, and the "
               "server's Finished (the seed's ACK of arrow 7) is already here";
      }
      words += ", returns SERVER'S PUBLIC KEY";
      if (ecdhe) words += ", and its ephemeral key share signed with the CERTIFICATE's key (ServerKeyExchange)";
      if (has("CertificateRequest")) words += "; asks for the client's CERTIFICATE (CertificateRequest)";
      return words;
    }
    case 5:
      if (tls13) return "TLS 1.3 has no arrow 5: no PRE-MASTER is sent; the key shares of arrows 1 and 2 made it";
      if (ecdhe) {
        return "sends its ephemeral key share (ClientKeyExchange); both sides compute the PRE-MASTER from the two "
               "shares (ECDH): the PRE-MASTER is never sent";
      }
      return "sends a new random value PRE-MASTER, encrypted using SERVER'S PUBLIC KEY (RSA PKCS#1 v1.5, as TLS 1.2 "
             "defines it; the lab uses RSA-OAEP)";
    case 6:
      return tls13 ? "sends test message using the keys of the HKDF key schedule (the client's Finished: proves the "
                     "keys and the transcript)"
                   : "sends test message using SESSION MASTER KEY (ChangeCipherSpec, then the client's Finished: "
                     "proves the keys and the transcript)";
    case 7:
      if (tls13) {
        return "sends session tickets (NewSessionTicket) after the handshake: the seed's ACK, the server's Finished, "
               "already went in arrow 2";
      }
      return "decrypts the test message using SESSION MASTER KEY, returns ACK encrypted using SESSION MASTER KEY "
             "(ChangeCipherSpec, then the server's Finished" +
             std::string(has("NewSessionTicket") ? ", after a NewSessionTicket)" : ")");
    case 8: return "application data, encrypted with the session's keys";
    default: return {};
  }
}

}  // namespace tlslab::describe
