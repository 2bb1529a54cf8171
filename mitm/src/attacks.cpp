#include "attacks.hpp"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <stdexcept>

#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/random.hpp"
#include "tlslab/crypto/rsa_oaep.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/messages.hpp"

namespace tlslab::mitm {
namespace {

// Client exit codes (README "Client exit codes").
constexpr int exit_connection = 3, exit_certificate = 4, exit_ca_check = 6, exit_negotiation = 7, exit_integrity = 8,
              exit_protocol = 9;

constexpr std::array<AttackInfo, 36> attacks{{
    {AttackKind::flip_byte, "flip-byte", Link::server,
     "flips one byte of one frame (default: a cipher-suite byte of the ClientHello; --direction, --frame, --offset "
     "choose another)",
     "server", "decrypt_error", exit_integrity,
     "Finished covers the transcript: the server hashed the ClientHello it received, the client the one it sent, so "
     "the client's verify_data does not match.",
     ""},
    {AttackKind::downgrade_offered, "downgrade-offered", Link::server,
     "rewrites the ClientHello's cipher-suite list to the client's least preferred suite only", "server",
     "decrypt_error", exit_integrity,
     "The server happily picks the only suite offered, but Finished covers the ClientHello the client really sent: "
     "a downgrade of the offer is caught before any application data flows.",
     ""},
    {AttackKind::downgrade_chosen, "downgrade-chosen", Link::server,
     "rewrites the suite chosen in the ServerHello to another suite the client offered", "server", "bad_record_mac",
     exit_integrity,
     "Client and server now derive keys for different suites (different AEAD, maybe a different PRF hash): the "
     "server cannot open the client's Finished.",
     ""},
    {AttackKind::replace_client_random, "replace-client-random", Link::server,
     "replaces RAND-CLIENT in the ClientHello", "server", "bad_record_mac", exit_integrity,
     "The SESSION MASTER KEY is PRF(PRE-MASTER, RAND-CLIENT + RAND-SERVER): with another RAND-CLIENT the server "
     "derives other keys and the client's Finished does not authenticate.",
     ""},
    {AttackKind::replace_server_random, "replace-server-random", Link::server,
     "replaces RAND-SERVER in the ServerHello", "server", "bad_record_mac", exit_integrity,
     "As with RAND-CLIENT: both randoms feed the key schedule, so the keys differ on the two sides.", ""},
    {AttackKind::swap_certificate, "swap-certificate", Link::server,
     "replaces the CERTIFICATE in the ServerHello with another valid certificate from the same CA", "client",
     "bad_certificate", exit_certificate,
     "The client checks that SERVER'S PUBLIC KEY is the key inside the CERTIFICATE; the swapped certificate carries "
     "another key.",
     "--substitute-cert"},
    {AttackKind::swap_public_key, "swap-public-key", Link::server,
     "replaces SERVER'S PUBLIC KEY in the ServerHello with another server's key", "client", "bad_certificate",
     exit_certificate,
     "Same check: the key sent must be the certified key, or anyone could slip in a key of their own.",
     "--substitute-cert"},
    {AttackKind::swap_certificate_and_key, "swap-certificate-and-key", Link::server,
     "replaces both the CERTIFICATE and SERVER'S PUBLIC KEY with another server's (valid, same CA, same name)",
     "server", "bad_record_mac", exit_integrity,
     "Everything the client checks passes, but the PRE-MASTER is now encrypted to a key whose private half the "
     "attacker does not have and the real server cannot use: the server continues with a random PRE-MASTER "
     "(RFC 5246 §7.4.7.1) and the client's Finished does not open.",
     "--substitute-cert"},
    {AttackKind::corrupt_pre_master, "corrupt-pre-master", Link::server,
     "flips a byte of the encrypted PRE-MASTER in the ClientKeyExchange", "server", "bad_record_mac", exit_integrity,
     "RSA-OAEP decryption fails; the server must not say so (that would be a padding oracle, Bleichenbacher 1998), "
     "so it goes on with a random PRE-MASTER and fails exactly like wrong-pre-master.",
     ""},
    {AttackKind::wrong_pre_master, "wrong-pre-master", Link::server,
     "replaces the ClientKeyExchange with a well-formed one: another PRE-MASTER encrypted to the server's key",
     "server", "bad_record_mac", exit_integrity,
     "Decryption succeeds, the keys differ, the client's Finished does not open: the same alert, at the same step, "
     "as corrupt-pre-master. The two cannot be told apart from outside.",
     ""},
    {AttackKind::drop_record, "drop-record", Link::server, "drops the first application-data record from the server",
     "client", "bad_record_mac", exit_integrity,
     "Each record's nonce is the IV XOR its sequence number: the next record is opened as number 1 but was sealed as "
     "number 2.",
     ""},
    {AttackKind::duplicate_record, "duplicate-record", Link::server,
     "sends the first application-data record from the server twice", "client", "bad_record_mac", exit_integrity,
     "The copy is opened with the next sequence number and does not authenticate.", ""},
    {AttackKind::reorder_records, "reorder-records", Link::server,
     "swaps the first two application-data records from the server", "client", "bad_record_mac", exit_integrity,
     "Sequence numbers make order part of each record's authentication.", ""},
    {AttackKind::replay_record, "replay-record", Link::server,
     "re-sends the server's Finished record after the first application-data record", "client", "bad_record_mac",
     exit_integrity, "A replayed record carries an old sequence number in its nonce: it does not authenticate.", ""},
    {AttackKind::truncate_frame, "truncate-frame", Link::server,
     "forwards only half of the ServerHello frame, then closes both connections", "client",
     "closed the connection in the middle of a frame", exit_connection,
     "A frame declares its length up front; a short one is a truncation, reported as such, never parsed.", ""},
    {AttackKind::inject_garbage, "inject-garbage", Link::server, "injects 8 bytes of garbage before the ServerHello",
     "client", "unexpected_message", exit_protocol,
     "Every frame starts with a known type and version; anything else is rejected before it is buffered.", ""},
    {AttackKind::stall, "stall", Link::server, "holds the ServerHello forever", "client", "handshake deadline passed",
     exit_connection, "Every read has a deadline: a stalled peer costs a bounded wait, then a clear error.", ""},
    {AttackKind::status_other_certificate, "status-other-certificate", Link::ca,
     "replaces the CERTIFICATE in the status request with another certificate of the same CA", "client",
     "bad_certificate_status_response", exit_ca_check,
     "The CA signs an answer about the certificate it was asked about; the client checks the answer's CertID is the "
     "server's certificate.",
     "--substitute-cert"},
    {AttackKind::status_change_nonce, "status-change-nonce", Link::ca,
     "replaces the client's nonce in the status request", "client", "bad_certificate_status_response", exit_ca_check,
     "The nonce binds the CA's signed answer to this request: an answer with another nonce could be a replay.", ""},
    {AttackKind::status_replay, "status-replay", Link::ca,
     "records the CA's answer on the first connection and replays it, without asking the CA, on every later one",
     "client", "bad_certificate_status_response", exit_ca_check,
     "A validly signed 'good' from earlier (perhaps before a revocation) carries the earlier request's nonce.", ""},
    {AttackKind::status_flip_signature, "status-flip-signature", Link::ca,
     "flips a bit of the signature of the CA's answer", "client", "bad_certificate_status_response", exit_ca_check,
     "The client verifies the signature with the CA'S PUBLIC KEY from its own trust store: one bit off and it fails.",
     ""},
    {AttackKind::strip_ecdhe_suites, "strip-ecdhe-suites", Link::server,
     "removes the ECDHE suites from the ClientHello, so the server falls back to RSA key transport (no forward "
     "secrecy)",
     "server", "decrypt_error", exit_integrity,
     "Losing forward secrecy is a downgrade like any other: Finished covers the ClientHello the client really sent, "
     "ECDHE suites included.",
     ""},
    {AttackKind::replace_key_share, "replace-key-share", Link::server,
     "replaces the server's ephemeral public key in the ServerHello's key_share with one of its own (same group), "
     "keeping the signature",
     "client", "decrypt_error", exit_integrity,
     "To sit in the middle of the ECDH the attacker must swap the key shares, but the server's share is signed with "
     "the certified key: the signature no longer verifies.",
     ""},
    {AttackKind::replay_key_share, "replay-key-share", Link::server,
     "records the server's signed key share on the first connection and replays it in every later ServerHello",
     "client", "decrypt_error", exit_integrity,
     "The signature covers RAND-CLIENT and RAND-SERVER: a share signed for one handshake does not verify in another, "
     "so a stolen ephemeral key is worth one session only.",
     ""},
    {AttackKind::change_group, "change-group", Link::server,
     "relabels the server's key share with the other group (x25519 <-> secp256r1), keeping the key bytes", "client",
     "illegal_parameter", exit_negotiation,
     "The client checks that the group is one it offered and that the key is a valid public key of that group: a "
     "32-byte x25519 key is no P-256 point, and the reverse.",
     ""},
    {AttackKind::invalid_key_share, "invalid-key-share", Link::server,
     "replaces the client's key share with an invalid one: the x25519 point 0 (low order) or a P-256 point off the "
     "curve",
     "server", "illegal_parameter", exit_negotiation,
     "An unchecked peer key leaks bits of the private key (invalid-curve and small-subgroup attacks): the server "
     "checks the point, and an all-zero x25519 result, before using it.",
     ""},
    {AttackKind::replay_old_staple, "replay-old-staple", Link::server,
     "records the staple of the first connection's ServerHello (the CA's 'good') and puts it into every later one, "
     "after the certificate was revoked",
     "client", "bad_certificate_status_response", exit_ca_check,
     "A staple cannot carry the client's nonce, so the client checks its age: a thisUpdate older than "
     "--max-staple-age is refused. Under auto the client asks the CA itself instead, and Finished covers the "
     "ServerHello it saw anyway.",
     ""},
    {AttackKind::strip_staple, "strip-staple", Link::server,
     "removes the staple (the status_stapling extension) from the ServerHello", "client",
     "bad_certificate_status_response", exit_ca_check,
     "Under --ca-check stapled (must-staple) no staple is a refusal, not a silent fallback; under auto the client "
     "asks the CA itself, and Finished catches the altered ServerHello.",
     ""},
    {AttackKind::foreign_staple, "foreign-staple", Link::server,
     "replaces the staple with the CA's valid answer about another certificate", "client",
     "bad_certificate_status_response", exit_ca_check,
     "The client checks that the staple's CertID is this very certificate: a signed 'good' about another one says "
     "nothing about this one.",
     "--substitute-staple"},
    {AttackKind::swap_client_certificate, "swap-client-certificate", Link::server,
     "replaces the client's CERTIFICATE in arrow 5 with another client's (valid, same CA)", "server", "decrypt_error",
     exit_integrity,
     "The CertificateVerify was made with the first client's private key over fields that hold its own certificate: "
     "it does not verify with the other certificate's key, which the attacker cannot sign with.",
     "--substitute-cert"},
    {AttackKind::replay_certificate_verify, "replay-certificate-verify", Link::server,
     "records the client's CertificateVerify on the first connection and puts it into arrow 5 of every later one",
     "server", "decrypt_error", exit_integrity,
     "The signature covers ClientHello and ServerHello, so both randoms, and this arrow's key exchange: one made for "
     "another session does not verify in this one.",
     ""},
    {AttackKind::replay_old_crl, "replay-old-crl", Link::crl,
     "relays the first CRL fetch to the CA, then answers every later one with an older list of the same CA, signed "
     "before the certificate was revoked",
     "client", "bad_certificate_status_response", exit_ca_check,
     "The old list is validly signed; only a client that remembers the highest cRLNumber it saw for the URL "
     "(--crl-cache) sees the number go back: 'an old list replayed'. A client without that memory cannot tell an old "
     "list that is still before its nextUpdate: it accepts it, and the revoked certificate passes until then.",
     "--substitute-crl"},
    {AttackKind::strip_crl_fetch, "strip-crl-fetch", Link::crl,
     "reads the client's CRL request and closes the connection without an answer", "client",
     "bad_certificate_status_response", exit_ca_check,
     "No list is no answer, not 'good': the client fails closed. A client that carried on without the list (a soft "
     "fail) would let anyone who can block one HTTP request hide every revocation.",
     ""},
    {AttackKind::foreign_crl, "foreign-crl", Link::crl,
     "fetches the list from another CA's HTTP listener instead (a CA the client does not trust)", "client",
     "bad_certificate_status_response", exit_ca_check,
     "A list speaks only for the certificates of its issuer: the client checks that the list's issuer is the "
     "certificate's issuer and a CA of its own trust store, and verifies the signature with that CA's key.",
     "--other-upstream"},
    {AttackKind::modify_ticket, "modify-ticket", Link::server,
     "flips a byte of the session ticket the client offers in its ClientHello", "server", "decrypt_error",
     exit_integrity,
     "A ticket that does not open is not an error: the server answers with a full handshake (CERTIFICATE, the CA's "
     "answer, PRE-MASTER) and issues a new ticket. The ClientHello was still changed on the way, and Finished, which "
     "covers it, catches that.",
     ""},
    {AttackKind::replay_ticket, "replay-ticket", Link::server,
     "records the first ticket offered and puts it into the ClientHello of a later connection (new randoms) whose "
     "client holds another session",
     "server", "bad_record_mac", exit_integrity,
     "A ticket is not a password: the server resumes it, but the keys come from the master secret inside it and the "
     "new randoms, and only who holds that master secret can make the Finished. Without it the two sides hold "
     "different keys, and the server cannot open the client's Finished.",
     ""},
}};

constexpr AttackInfo status_other_ca{
    AttackKind::status_other_ca,
    "status-other-ca",
    Link::ca,
    "sends the status request to another CA's service (a CA the client does not trust)",
    "client",
    "bad_certificate_status_response",
    exit_ca_check,
    "The answer is signed, but by a key that is not the trusted CA's: only the CA in the client's trust store may "
    "vouch for the certificate.",
    "--other-upstream"};

ByteView fragment_of(const Bytes& frame) {
  return ByteView(frame).subspan(frame_header_size);
}

// Relays the frame as it came.
Verdict forward(Bytes& frame) {
  return Verdict{{std::move(frame)}};
}

std::optional<HandshakeType> handshake_type(const Bytes& frame) {
  if (frame.size() <= frame_header_size || frame[0] != static_cast<std::uint8_t>(ContentType::handshake)) {
    return std::nullopt;
  }
  return static_cast<HandshakeType>(frame[frame_header_size]);
}

template <HandshakeMessage T>
Bytes reframe(const T& message) {
  return encode_frame(ContentType::handshake, encode_handshake(message));
}

Bytes flip_ocsp_signature(ByteView der) {
  const unsigned char* cursor = der.data();
  ossl::OcspResponse response(d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(der.size())));
  if (!response) return Bytes(der.begin(), der.end());
  ossl::OcspBasicResponse basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return Bytes(der.begin(), der.end());
  auto* signature = const_cast<ASN1_OCTET_STRING*>(OCSP_resp_get0_signature(basic.get()));
  signature->data[signature->length - 1] ^= 0x01;
  ossl::OcspResponse forged(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  int length = i2d_OCSP_RESPONSE(forged.get(), nullptr);
  Bytes out(static_cast<std::size_t>(length));
  unsigned char* write = out.data();
  i2d_OCSP_RESPONSE(forged.get(), &write);
  return out;
}

std::atomic<std::size_t>& crl_fetches() {
  static std::atomic<std::size_t> fetches{0};
  return fetches;
}

// An HTTP/1.1 answer that ends the connection.
Bytes http_answer(std::string_view status, std::string_view content_type, ByteView body, bool head) {
  std::string head_text = "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(content_type) +
                          "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  Bytes answer(head_text.begin(), head_text.end());
  if (!head) answer.insert(answer.end(), body.begin(), body.end());
  return answer;
}

}  // namespace

std::span<const AttackInfo> catalogue() {
  static const std::vector<AttackInfo> all = [] {
    std::vector<AttackInfo> list(attacks.begin(), attacks.end());
    list.push_back(status_other_ca);
    return list;
  }();
  return all;
}

std::optional<AttackInfo> find_attack(std::string_view name) {
  for (const auto& attack : catalogue()) {
    if (attack.name == name) return attack;
  }
  return std::nullopt;
}

CrlVerdict on_crl_request(const AttackInfo& info, const AttackOptions& options, bool head, bool& fired) {
  switch (info.kind) {
    case AttackKind::replay_old_crl:
      if (crl_fetches()++ == 0) return CrlVerdict{};  // the first fetch gets the CA's current list
      fired = true;
      return CrlVerdict{CrlVerdict::Action::answer,
                        http_answer("200 OK", "application/pkix-crl", options.substitute_crl, head)};
    case AttackKind::strip_crl_fetch: fired = true; return CrlVerdict{CrlVerdict::Action::close, {}};
    case AttackKind::foreign_crl: fired = true; return CrlVerdict{};  // the relay connected to --other-upstream
    default: return CrlVerdict{};
  }
}

Bytes& Attack::recorded_status_response() {
  static Bytes recorded;
  return recorded;
}

std::optional<ServerKeyShare>& Attack::recorded_key_share() {
  static std::optional<ServerKeyShare> recorded;
  return recorded;
}

Bytes& Attack::recorded_staple() {
  static Bytes recorded;
  return recorded;
}

Bytes& Attack::recorded_ticket() {
  static Bytes ticket;
  return ticket;
}

Bytes& Attack::recorded_certificate_verify() {
  static Bytes recorded;
  return recorded;
}

Verdict Attack::on_frame(Direction direction, Bytes frame) {
  auto index = static_cast<std::size_t>(direction);
  // Classified before the frame is moved into the verdict.
  bool is_protected = !frame.empty() && frame[0] == static_cast<std::uint8_t>(ContentType::protected_record);
  Verdict verdict = info_.link == Link::server ? server_link(direction, frame) : ca_link(direction, frame);
  ++frames_[index];
  if (is_protected) ++protected_frames_[index];
  return verdict;
}

Verdict Attack::server_link(Direction direction, Bytes& frame) {
  const auto index = static_cast<std::size_t>(direction);
  if (info_.kind == AttackKind::flip_byte) {
    if (direction == options_.flip_direction && frames_[index] == options_.flip_frame && !fired_) {
      std::size_t at = frame_header_size + options_.flip_offset;
      if (at < frame.size()) {
        frame[at] ^= 0x01;
        fired_ = true;
      }
    }
    return forward(frame);
  }
  if (fired_) return forward(frame);
  const bool up = direction == Direction::to_upstream;
  auto type = handshake_type(frame);
  if (up && type == HandshakeType::client_hello) return on_client_hello(frame);
  if (!up && type == HandshakeType::server_hello) return on_server_hello(frame);
  if (up && type == HandshakeType::client_key_exchange) return on_client_key_exchange(frame);
  if (!up && !frame.empty() && frame[0] == static_cast<std::uint8_t>(ContentType::protected_record)) {
    return on_server_record(frame);
  }
  return forward(frame);
}

// Arrow 1: what the client offers.
Verdict Attack::on_client_hello(Bytes& frame) {
  auto hello = decode_handshake<ClientHello>(fragment_of(frame));
  if (!hello) return forward(frame);
  switch (info_.kind) {
    case AttackKind::downgrade_offered:
      if (hello->cipher_suites.size() < 2) return forward(frame);
      hello->cipher_suites = {hello->cipher_suites.back()};
      break;
    case AttackKind::replace_client_random: hello->random = crypto::random_hello_value(); break;
    case AttackKind::strip_ecdhe_suites: {
      auto& suites = hello->cipher_suites;
      auto is_ecdhe = [](std::uint16_t value) {
        auto suite = suite_info(value);
        return suite && suite->key_exchange == KeyExchange::ecdhe;
      };
      auto kept = std::count_if(suites.begin(), suites.end(), [&](std::uint16_t value) { return !is_ecdhe(value); });
      if (kept == 0 || kept == static_cast<std::ptrdiff_t>(suites.size())) return forward(frame);
      std::erase_if(suites, is_ecdhe);
      break;
    }
    case AttackKind::modify_ticket: {
      Bytes ticket = hello->session_ticket().value_or(Bytes{});
      if (ticket.empty()) return forward(frame);
      ticket[ticket.size() / 2] ^= 0x01;
      hello->offer_session_ticket(ticket);
      break;
    }
    case AttackKind::replay_ticket: {
      Bytes ticket = hello->session_ticket().value_or(Bytes{});
      if (ticket.empty()) return forward(frame);
      Bytes& recorded = recorded_ticket();
      if (recorded.empty() || recorded == ticket) {
        recorded = ticket;  // the first connection: recorded, relayed as it is
        return forward(frame);
      }
      hello->offer_session_ticket(recorded);
      break;
    }
    default: return forward(frame);
  }
  fired_ = true;
  return Verdict{{reframe(hello.value())}};
}

// Arrow 2: what the server chose, and who it says it is.
Verdict Attack::on_server_hello(Bytes& frame) {
  switch (info_.kind) {
    case AttackKind::truncate_frame:
      frame.resize(frame_header_size + (frame.size() - frame_header_size) / 2);
      fired_ = true;
      return Verdict{{std::move(frame)}, true};
    case AttackKind::inject_garbage:
      fired_ = true;
      return Verdict{{Bytes{'G', 'A', 'R', 'B', 'A', 'G', 'E', '!'}, std::move(frame)}};
    case AttackKind::stall: fired_ = true; return Verdict{{}, false, true};
    default: break;
  }
  auto hello = decode_handshake<ServerHello>(fragment_of(frame));
  if (!hello) return forward(frame);
  if (auto suite = suite_info(hello->cipher_suite)) key_exchange_ = suite->key_exchange;
  switch (info_.kind) {
    case AttackKind::replay_old_staple:
    case AttackKind::strip_staple:
    case AttackKind::foreign_staple: fired_ = tamper_staple(hello.value()); break;
    case AttackKind::downgrade_chosen:
      for (const auto& suite : all_suites()) {
        auto value = static_cast<std::uint16_t>(suite.suite);
        if (value == hello->cipher_suite) continue;
        hello->cipher_suite = value;  // another suite: the client offers all three by default
        fired_ = true;
        break;
      }
      break;
    case AttackKind::replace_server_random:
      hello->random = crypto::random_hello_value();
      fired_ = true;
      break;
    case AttackKind::swap_certificate:
      hello->certificate = options_.substitute_certificate;
      fired_ = true;
      break;
    case AttackKind::swap_certificate_and_key:
      hello->certificate = options_.substitute_certificate;
      hello->server_public_key = options_.substitute_public_key;
      fired_ = true;
      break;
    case AttackKind::swap_public_key:
      hello->server_public_key = options_.substitute_public_key;
      fired_ = true;
      break;
    case AttackKind::wrong_pre_master:
      held_.push_back(hello->server_public_key);  // the key to encrypt a PRE-MASTER of our own to
      break;
    case AttackKind::replace_key_share:
    case AttackKind::replay_key_share:
    case AttackKind::change_group: fired_ = tamper_key_share(hello.value()); break;
    default: break;
  }
  if (fired_) return Verdict{{reframe(hello.value())}};
  return forward(frame);
}

// The stapling attacks on the ServerHello's staple (§9.1); false when there is none to tamper with.
bool Attack::tamper_staple(ServerHello& hello) {
  auto staple = hello.staple();
  if (!staple) return false;
  switch (info_.kind) {
    case AttackKind::replay_old_staple: {
      auto& recorded = recorded_staple();
      if (recorded.empty()) {  // the first connection: record it, let it through
        recorded = *staple;
        return false;
      }
      hello.set_staple(recorded);
      return true;
    }
    case AttackKind::strip_staple:
      std::erase_if(hello.extensions, [](const Extension& extension) {
        return extension.type == static_cast<std::uint16_t>(ExtensionType::status_stapling);
      });
      return true;
    case AttackKind::foreign_staple: hello.set_staple(options_.substitute_staple); return true;
    default: return false;
  }
}

// The mutual-authentication attacks on arrow 5 (§7.7), in the form of the suite's key exchange.
template <class KeyExchangeForm>
Verdict Attack::tamper_client_authentication(Bytes& frame) {
  auto message = decode_handshake<Authenticated<KeyExchangeForm>>(fragment_of(frame));
  if (!message) return forward(frame);  // no client certificate in this arrow 5
  ClientAuthentication& authentication = message->authentication;
  if (info_.kind == AttackKind::swap_client_certificate) {
    authentication.client_certificate = options_.substitute_certificate;
  } else {
    auto& recorded = recorded_certificate_verify();
    if (recorded.empty()) {  // the first connection: record it, let it through
      recorded = authentication.signature;
      return forward(frame);
    }
    authentication.signature = recorded;
  }
  fired_ = true;
  return Verdict{{reframe(message.value())}};
}

// Arrow 5: the PRE-MASTER under the server's key.
Verdict Attack::on_client_key_exchange(Bytes& frame) {
  if (info_.kind == AttackKind::swap_client_certificate || info_.kind == AttackKind::replay_certificate_verify) {
    return key_exchange_ == KeyExchange::ecdhe ? tamper_client_authentication<ClientKeyShare>(frame)
                                               : tamper_client_authentication<ClientKeyExchange>(frame);
  }
  if (info_.kind == AttackKind::corrupt_pre_master) {
    frame[frame.size() / 2] ^= 0x01;  // in the middle of the RSA-OAEP ciphertext
    fired_ = true;
    return forward(frame);
  }
  if (info_.kind == AttackKind::invalid_key_share) {
    auto share = decode_handshake<ClientKeyShare>(fragment_of(frame));
    if (!share) return forward(frame);
    auto& key = share->key_exchange;
    if (key.size() == 32) {
      std::fill(key.begin(), key.end(), std::uint8_t{0});  // u = 0: a point of order 1 on x25519
    } else if (key.size() == 65) {
      key.back() ^= 0x01;  // y changed: no longer on the curve (y² = x³ - 3x + b has at most two y per x)
    } else {
      return forward(frame);
    }
    fired_ = true;
    return Verdict{{reframe(share.value())}};
  }
  if (info_.kind == AttackKind::wrong_pre_master && !held_.empty()) {
    auto key = crypto::parse_public_key_der(held_.front());
    if (!key) return forward(frame);
    Secret pre_master = make_pre_master(ProtocolVersion::tlslab_1_0);
    ClientKeyExchange forged{crypto::rsa_oaep_encrypt(key.value().get(), pre_master.view())};
    held_.clear();
    fired_ = true;
    return Verdict{{reframe(forged)}};
  }
  return forward(frame);
}

// The ECDHE attacks on the ServerHello's key_share (§7.6); false when there is none to tamper with.
bool Attack::tamper_key_share(ServerHello& hello) {
  auto share = hello.key_share();
  if (!share) return false;
  auto group = named_group(share->group);
  if (!group) return false;
  switch (info_.kind) {
    case AttackKind::replace_key_share:
      share->key_exchange = crypto::EphemeralKey::generate(group.value()).public_key();
      break;
    case AttackKind::replay_key_share: {
      auto& recorded = recorded_key_share();
      if (!recorded) {  // the first connection: record it, let it through
        recorded = share;
        return false;
      }
      if (recorded->group != share->group) return false;
      share = recorded;
      break;
    }
    case AttackKind::change_group:
      share->group =
          static_cast<std::uint16_t>(group == NamedGroup::x25519 ? NamedGroup::secp256r1 : NamedGroup::x25519);
      break;
    default: return false;
  }
  hello.set_key_share(share.value());
  return true;
}

// Arrows 7 and 8 from the server: record #0 is its Finished, #1 and #2 the first application data.
Verdict Attack::on_server_record(Bytes& frame) {
  std::size_t number = protected_frames_[static_cast<std::size_t>(Direction::to_downstream)];
  switch (info_.kind) {
    case AttackKind::replay_record:
      if (number == 0) held_.push_back(frame);  // the server's Finished, to replay later
      if (number == 1 && !held_.empty()) {
        fired_ = true;
        return Verdict{{std::move(frame), held_.front()}};
      }
      break;
    case AttackKind::drop_record:
      if (number != 1) break;
      fired_ = true;
      return Verdict{};
    case AttackKind::duplicate_record:
      if (number != 1) break;
      fired_ = true;
      return Verdict{{frame, frame}};
    case AttackKind::reorder_records:
      if (number == 1) {
        held_.push_back(std::move(frame));
        return Verdict{};
      }
      if (number == 2 && !held_.empty()) {
        fired_ = true;
        return Verdict{{std::move(frame), held_.front()}};
      }
      break;
    default: break;
  }
  return forward(frame);
}

Verdict Attack::ca_link(Direction direction, Bytes& frame) {
  auto type = handshake_type(frame);
  if (direction == Direction::to_upstream && type == HandshakeType::status_request) {
    if (info_.kind == AttackKind::status_other_ca) fired_ = true;  // the relay connected to --other-upstream instead
    if (info_.kind == AttackKind::status_replay && !recorded_status_response().empty()) {
      fired_ = true;  // answered from the recording: the CA never sees the request
      return Verdict{{recorded_status_response()}, false, false, true};
    }
    auto request = decode_handshake<StatusRequest>(fragment_of(frame));
    if (request && info_.kind == AttackKind::status_other_certificate) {
      request->certificate = options_.substitute_certificate;
      fired_ = true;
      return Verdict{{reframe(request.value())}};
    }
    if (request && info_.kind == AttackKind::status_change_nonce) {
      request->nonce = crypto::random_bytes(request->nonce.size());
      fired_ = true;
      return Verdict{{reframe(request.value())}};
    }
  }
  if (direction == Direction::to_downstream && type == HandshakeType::status_response) {
    if (info_.kind == AttackKind::status_replay && recorded_status_response().empty()) {
      recorded_status_response() = frame;
    }
    if (info_.kind == AttackKind::status_flip_signature) {
      auto response = decode_handshake<StatusResponse>(fragment_of(frame));
      if (response) {
        response->ocsp_response = flip_ocsp_signature(response->ocsp_response);
        fired_ = true;
        return Verdict{{reframe(response.value())}};
      }
    }
  }
  return forward(frame);
}

}  // namespace tlslab::mitm
