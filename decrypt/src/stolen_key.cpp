#include "stolen_key.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "tlslab/crypto/key_schedule.hpp"
#include "tlslab/crypto/record.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"

namespace tlslab::decrypt {

bool counts_as_opened(Verdict verdict) noexcept {
  return verdict == Verdict::opened || verdict == Verdict::nothing_encrypted;
}

std::string_view to_string(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::opened: return "opened";
    case Verdict::nothing_encrypted: return "nothing encrypted";
    case Verdict::forward_secret: return "forward secrecy";
    case Verdict::not_this_server: return "not this server's key";
    case Verdict::handshake_altered: return "handshake changed on the wire";
    case Verdict::undecodable: return "does not decode";
    case Verdict::resumed: return "resumed session";
    case Verdict::no_ticket: return "no ticket for it";
  }
  return "?";
}

bool is_ecdhe_suite(std::uint16_t suite) noexcept {
  return suite >= 0x0B01 && suite <= 0x0BFF;
}

std::string group_name(std::uint16_t group) {
  if (auto known = named_group(group)) return std::string(to_string(*known));
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%04X", group);
  return hex;
}

namespace {

// The group of the ServerHello's key_share (§7.6: ServerKeyShare starts with it), in words.
std::string key_share_group(const ServerHello& hello) {
  for (const auto& extension : hello.extensions) {
    if (extension.type != static_cast<std::uint16_t>(ExtensionType::key_share)) continue;
    Reader in(extension.data, "ServerKeyShare");
    auto group = in.u16();
    return group ? group_name(*group) : "not readable: the key_share is cut short";
  }
  return "not stated: the ServerHello carries no key_share";
}

std::string alert_text(ByteView alert_bytes, bool in_the_clear) {
  auto alert = Alert::decode(alert_bytes);
  std::string where = in_the_clear ? ", in the clear" : "";
  if (!alert) return "an alert that does not decode (" + alert.failure().reason + ")";
  return std::string(alert->level == AlertLevel::warning ? "warning" : "fatal") + " alert " +
         std::string(to_string(alert->description)) + where;
}

// The alerts anyone reads in the clear: all an eavesdropper learns of a session not opened.
void reveal_clear_alerts(const CapturedSession& session, OpenedSession& out) {
  for (const auto& frame : session.later_frames) {
    if (frame.header.type == ContentType::alert) {
      out.revealed.push_back({Revealed::Kind::alert, frame.from, std::nullopt, {}, alert_text(frame.fragment, true)});
    }
  }
}

OpenedSession outcome(Verdict verdict, std::uint16_t suite, std::string reason) {
  OpenedSession out;
  out.verdict = verdict;
  out.cipher_suite = suite;
  out.reason = std::move(reason);
  return out;
}

// One direction of the record layer as the eavesdropper replays it (§7.4-7.5): the sequence
// numbers start at 0 with that side's Finished, and a record that does not open ends what can
// be shown of the direction (every later nonce would be off by one).
struct DirectionState {
  crypto::RecordProtection protection;
  bool stopped = false;
};

struct OpenedRecord {
  InnerType type;
  Bytes content;
  std::uint64_t sequence;
};

Result<OpenedRecord> open_record(DirectionState& direction, const CapturedFrame& frame) {
  std::uint64_t sequence = direction.protection.sequence();
  Bytes fragment(frame.fragment.begin(), frame.fragment.end());  // opened in place
  auto opened = direction.protection.open(frame.header, fragment);
  if (!opened) return opened.failure();
  return OpenedRecord{opened->type, Bytes(opened->content.begin(), opened->content.end()), sequence};
}

// Whether a Finished (inner type handshake) carries the verify_data computed over `transcript`.
Result<bool> finished_matches(const OpenedRecord& record, const SuiteInfo& suite, const Secret& master_secret,
                              crypto::FinishedSender sender, ByteView transcript) {
  if (record.type != InnerType::handshake) {
    return fail(AlertDescription::unexpected_message,
                "its first record is " + std::string(to_string(record.type)) + ", not Finished");
  }
  auto finished = decode_handshake<Finished>(record.content);
  if (!finished) return finished.failure();
  auto expected =
      crypto::compute_verify_data(suite.hash, master_secret, sender, crypto::digest(suite.hash, transcript));
  return constant_time_equal(finished->verify_data, expected);
}

// §7.8: the server's record 1 of a full handshake whose ServerHello said new_ticket.
std::string new_session_ticket_text(ByteView message, bool allowed) {
  auto ticket = decode_handshake<NewSessionTicket>(message);
  if (!ticket || !allowed) return "a handshake message after Finished, which §6 does not allow";
  return "NewSessionTicket (§7.8): lifetime hint " + std::to_string(ticket->ticket_lifetime_hint) + " s, a ticket of " +
         std::to_string(ticket->ticket.size()) + " bytes (it comes back in the clear in a later ClientHello)";
}

// The records of a session whose keys are known: the client's Finished (record 0 of its
// direction) opens with them, or nullopt; then every later record, both directions.
std::optional<OpenedSession> open_with_keys(const CapturedSession& session, const SuiteInfo& suite, SessionKeys keys,
                                            bool resumed, std::string_view proof) {
  DirectionState client{crypto::RecordProtection(suite.aead, std::move(keys.keys.client_write))};
  DirectionState server{crypto::RecordProtection(suite.aead, std::move(keys.keys.server_write))};

  // The proof (§7.3-7.4): the client's Finished, record 0 of its direction, opens with the keys.
  const std::uint16_t cipher_suite = session.server_hello->cipher_suite;
  Bytes transcript = session.client_hello_message;
  append(transcript, session.server_hello_message);
  if (!resumed) append(transcript, *session.client_key_exchange_message);
  auto client_finished = std::find_if(session.later_frames.begin(), session.later_frames.end(),
                                      [](const CapturedFrame& f) { return f.from == Direction::client_to_server; });
  if (client_finished == session.later_frames.end() || client_finished->header.type != ContentType::protected_record) {
    return outcome(Verdict::nothing_encrypted, cipher_suite,
                   "the client sent no Finished after the key exchange: nothing was encrypted, and nothing "
                   "shows whether the keys are right");
  }
  auto first_record = open_record(client, *client_finished);
  if (!first_record) {
    return std::nullopt;
  }

  OpenedSession out;
  out.verdict = Verdict::opened;
  out.cipher_suite = cipher_suite;
  auto client_matches =
      finished_matches(first_record.value(), suite, keys.master_secret, crypto::FinishedSender::client, transcript);
  std::string client_text(proof);
  if (!client_matches) {
    client_text += "; its content is not a Finished (" + client_matches.failure().reason + ")";
  } else if (client_matches.value()) {
    client_text += "; verify_data matches the handshake as captured";
  } else {
    client_text +=
        "; verify_data does not match the handshake as captured: it was changed after the client "
        "sent it (the server answers decrypt_error)";
  }
  out.revealed.push_back(
      {Revealed::Kind::finished, Direction::client_to_server, first_record->sequence, {}, client_text});
  if (first_record->type == InnerType::handshake) append(transcript, first_record->content);

  bool server_finished_seen = false;
  for (const auto& frame : session.later_frames) {
    if (&frame == &*client_finished) continue;
    bool from_client = frame.from == Direction::client_to_server;
    DirectionState& direction = from_client ? client : server;
    if (direction.stopped) continue;
    if (frame.header.type == ContentType::alert) {
      out.revealed.push_back({Revealed::Kind::alert, frame.from, std::nullopt, {}, alert_text(frame.fragment, true)});
      continue;
    }
    if (frame.header.type != ContentType::protected_record) {
      out.revealed.push_back({Revealed::Kind::stop,
                              frame.from,
                              std::nullopt,
                              {},
                              "a handshake frame in the clear after the key exchange (§7.4): the rest of this "
                              "direction is not shown"});
      direction.stopped = true;
      continue;
    }
    auto record = open_record(direction, frame);
    if (!record) {
      out.revealed.push_back({Revealed::Kind::stop,
                              frame.from,
                              direction.protection.sequence(),
                              {},
                              "does not open: dropped, reordered, replayed or changed on the wire (§7.5); the "
                              "rest of this direction is not shown"});
      direction.stopped = true;
      continue;
    }
    if (!from_client && !server_finished_seen) {
      // The server's Finished, record 0 of its direction, over the transcript with the client's.
      server_finished_seen = true;
      auto matches =
          finished_matches(record.value(), suite, keys.master_secret, crypto::FinishedSender::server, transcript);
      std::string text = "(7) the server's Finished ";
      text += !matches ? "is not a Finished (" + matches.failure().reason + ")"
                       : (matches.value() ? "verifies" : "does not verify (verify_data differs)");
      out.revealed.push_back({Revealed::Kind::finished, frame.from, record->sequence, {}, text});
      continue;
    }
    switch (record->type) {
      case InnerType::application_data:
        out.revealed.push_back(
            {Revealed::Kind::application_data, frame.from, record->sequence, std::move(record->content), {}});
        break;
      case InnerType::alert:
        out.revealed.push_back(
            {Revealed::Kind::alert, frame.from, record->sequence, {}, alert_text(record->content, false)});
        break;
      case InnerType::handshake:
        out.revealed.push_back({Revealed::Kind::finished,
                                frame.from,
                                record->sequence,
                                {},
                                new_session_ticket_text(record->content, !from_client && !resumed)});
        break;
    }
  }
  out.master_secret = std::move(keys.master_secret);
  return out;
}

}  // namespace

StolenKey::StolenKey(ossl::PKey private_key)
    : private_key_(std::move(private_key)), public_key_(crypto::public_key_der(private_key_.get())) {
  if (EVP_PKEY_get_base_id(private_key_.get()) == EVP_PKEY_RSA) oaep_.emplace(private_key_.get());
}

OpenedSession StolenKey::open(const CapturedSession& session) const {
  OpenedSession out = try_to_open(session);
  // A session not opened still shows what anyone reads off the wire: its alerts in the clear.
  if (out.verdict != Verdict::opened) reveal_clear_alerts(session, out);
  return out;
}

OpenedSession StolenKey::try_to_open(const CapturedSession& session) const {
  // Sessions with nothing encrypted: the server answered with an alert, or the client stopped
  // before the key exchange (a revoked certificate, say).
  if (!session.server_hello) {
    return outcome(Verdict::nothing_encrypted, 0,
                   "the server did not answer with a ServerHello: nothing was encrypted");
  }
  const ServerHello& hello = *session.server_hello;
  if (hello.resumed()) {
    return outcome(Verdict::resumed, hello.cipher_suite,
                   "a resumed session (§7.8): no PRE-MASTER was sent, its master secret is the one sealed in the "
                   "ticket of arrow 1; the server's private key cannot open it, the server's ticket key "
                   "(--ticket-key-file) would");
  }
  if (!session.client_key_exchange_message) {
    return outcome(Verdict::nothing_encrypted, hello.cipher_suite,
                   "the handshake stopped before the key exchange (arrow 5): nothing was encrypted");
  }

  if (is_ecdhe_suite(hello.cipher_suite)) {
    std::string reason = "this session used ECDHE (group " + key_share_group(hello) +
                         "): the PRE-MASTER was never sent; the server's key only signed its ephemeral key share. "
                         "Without the ephemeral private keys, which both sides wiped, the recording stays closed: "
                         "forward secrecy";
    return outcome(Verdict::forward_secret, hello.cipher_suite, std::move(reason));
  }
  auto suite = suite_info(hello.cipher_suite);
  if (!suite) {
    return outcome(Verdict::undecodable, hello.cipher_suite,
                   "the ServerHello chose " + suite_name(hello.cipher_suite) + ", which this version does not know");
  }
  auto key_exchange = decode_handshake<ClientKeyExchange>(*session.client_key_exchange_message);
  if (!key_exchange) {
    return outcome(Verdict::undecodable, hello.cipher_suite,
                   "arrow 5 (ClientKeyExchange) does not decode: " + key_exchange.failure().reason);
  }

  // The key must be the one the PRE-MASTER was encrypted to: SERVER'S PUBLIC KEY of arrow 2.
  if (public_key_ != hello.server_public_key || !oaep_) {
    return outcome(Verdict::not_this_server, hello.cipher_suite,
                   "the key does not belong to this session's server: its public half is not the SERVER'S PUBLIC "
                   "KEY of arrow 2");
  }
  // §7.1 as the server applies it: a PRE-MASTER that does not decrypt, or not to 48 bytes
  // starting with the ClientHello's version, was replaced by random bytes that never left the
  // server. The recording cannot give those back.
  auto pre_master = oaep_->decrypt(key_exchange->encrypted_pre_master);
  auto client_version = static_cast<std::uint16_t>(session.client_hello.client_version);
  if (!pre_master || pre_master->size() != crypto::pre_master_size || pre_master->data()[0] != (client_version >> 8) ||
      pre_master->data()[1] != (client_version & 0xff)) {
    return outcome(Verdict::handshake_altered, hello.cipher_suite,
                   "the key is this server's, but the PRE-MASTER of arrow 5 is not one the server could use "
                   "(§7.1): it went on with random bytes that never left it");
  }
  SessionKeys keys = derive_session_keys(*suite, std::move(*pre_master), session.client_hello.random, hello.random);
  auto opened = open_with_keys(session, *suite, std::move(keys), false,
                               "(6) the client's Finished opens with the derived keys: the key is this server's");
  if (!opened) {
    return outcome(Verdict::handshake_altered, hello.cipher_suite,
                   "the key is this server's and the PRE-MASTER decrypts, but the client's Finished does not open "
                   "with the keys derived from the handshake as captured: it was changed on the wire "
                   "(a replaced random or a downgraded suite, docs/ATTACKS.md)");
  }
  return std::move(*opened);
}

OpenedSession open_with_master_secret(const CapturedSession& session, Secret master_secret, bool resumed) {
  if (!session.server_hello) {
    return outcome(Verdict::nothing_encrypted, 0,
                   "the server did not answer with a ServerHello: nothing was encrypted");
  }
  const ServerHello& hello = *session.server_hello;
  auto suite = suite_info(hello.cipher_suite);
  if (!suite) {
    return outcome(Verdict::undecodable, hello.cipher_suite,
                   "the ServerHello chose " + suite_name(hello.cipher_suite) + ", which this version does not know");
  }
  if (!resumed && !session.client_key_exchange_message) {
    return outcome(Verdict::nothing_encrypted, hello.cipher_suite,
                   "the handshake stopped before the key exchange (arrow 5): nothing was encrypted");
  }
  SessionKeys keys = resume_session_keys(*suite, std::move(master_secret), session.client_hello.random, hello.random);
  auto opened = open_with_keys(session, *suite, std::move(keys), resumed,
                               "(6) the client's Finished opens with the keys from the ticket's master secret");
  if (!opened) {
    return outcome(Verdict::no_ticket, hello.cipher_suite,
                   "the client's Finished does not open with the master secret of any ticket in the capture");
  }
  opened->master_from = resumed ? "the ticket of arrow 1, opened with the stolen ticket key (PROTOCOL.md §7.8)"
                                : "the ticket this session was given, offered in the clear in a later ClientHello "
                                  "and opened with the stolen ticket key (PROTOCOL.md §7.8)";
  return std::move(*opened);
}

}  // namespace tlslab::decrypt
