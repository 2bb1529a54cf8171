#include "tlslab/tls/tap.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <utility>

#include "tlslab/crypto/x509.hpp"
#include "tlslab/tls/computations.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/names.hpp"
#include "tlslab/tls/record_view.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::tls {
namespace {

// A handshake message's name from its msg_type; HelloRetryRequest, a ServerHello by its type, is told
// apart by the display parser when the events are made.
std::string handshake_name(ByteView message) {
  if (message.empty()) return "handshake";
  return std::string(to_string(static_cast<HandshakeKind>(message[0])));
}

// What the display parser (handshake_view.hpp) reads in a message; its spans cover every byte.
// A message it refuses keeps its bytes in one leaf, named for why.
struct MessageView {
  std::vector<FieldSpan> spans;
  std::optional<HandshakeView> view;
};
MessageView view_message(const TappedMessage& message, const ViewContext& context) {
  MessageView out;
  if (message.bytes.empty()) return out;
  if (message.type == TappedType::application_data) {
    if (auto record = view_record(message.bytes); record) {
      out.spans = std::move(record->spans);
      return out;
    }
  }
  if (message.type != TappedType::handshake) {
    out.spans = {FieldSpan{0, message.bytes.size(), message.name, {}}};
    return out;
  }
  auto viewed = view_handshake(message.bytes, context);
  if (!viewed) {
    out.spans = {FieldSpan{0, message.bytes.size(), message.name + " (" + viewed.failure().reason + ")", {}}};
    return out;
  }
  out.spans = viewed->spans;
  out.view = std::move(viewed.value());
  return out;
}

std::string names(const std::vector<std::uint16_t>& codes, std::string (*name)(std::uint16_t)) {
  std::string out;
  for (auto code : codes) {
    if (!out.empty()) out += ", ";
    out += name(code);
  }
  return out;
}

int alert_record_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

Party other(Party party) {
  return party == Party::client ? Party::server : Party::client;
}

bool sent_in_clear_under_tls13(const std::string& name) {
  return name == "ClientHello" || name == "ServerHello" || name == "HelloRetryRequest" || name == "ChangeCipherSpec" ||
         name == "Alert";
}

const TlsMessageSpec* find_message(const TlsFlowStep& step, const std::string& name) {
  for (const auto& spec : step.messages) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

ossl::X509Ptr parsed_certificate(const Bytes& der) {
  if (der.empty()) return {};
  auto parsed = crypto::parse_certificate_der(der);
  return parsed ? std::move(parsed.value()) : ossl::X509Ptr{};
}

std::string certificate_words(X509* certificate) {
  if (certificate == nullptr) return "";
  return crypto::subject_of(certificate) + ", serial " + crypto::serial_hex(certificate);
}

}  // namespace

std::vector<TlsFlight> group_flights(std::span<const TappedMessage> messages, const TlsFlow& flow) {
  std::vector<TlsFlight> flights;
  std::size_t position = 0;             // the step last used
  std::size_t pending_ccs[2] = {0, 0};  // TLS 1.3 middlebox CCSs by sender, for its next flight
  auto sender = [](Party from) { return from == Party::client ? 0 : 1; };
  auto lists = [](const TlsFlowStep& step, const TappedMessage& message) {
    return step.from == message.from && find_message(step, message.name) != nullptr;
  };
  for (std::size_t index = 0; index < messages.size(); ++index) {
    const TappedMessage& message = messages[index];
    if (message.type == TappedType::alert) continue;  // an alert ends the session: the outcome says it
    if (message.tls13 && message.type == TappedType::change_cipher_spec) {
      ++pending_ccs[sender(message.from)];  // RFC 8446 Appendix D.4: carries nothing, shown in words
      continue;
    }
    int arrow = -1;
    // The next step of this sender, from the current one on, that lists the message.
    for (std::size_t i = flights.empty() ? 0 : position; i < flow.steps.size() && arrow < 0; ++i) {
      if (lists(flow.steps[i], message)) {
        arrow = flow.steps[i].arrow;
        position = i;
      }
    }
    // Not listed from here on: it stays on its sender's current arrow.
    if (arrow < 0 && !flights.empty() && flights.back().from == message.from) arrow = flights.back().arrow;
    // Listed earlier (a second ClientHello after a HelloRetryRequest).
    for (std::size_t i = 0; i < flow.steps.size() && arrow < 0; ++i) {
      if (lists(flow.steps[i], message)) {
        arrow = flow.steps[i].arrow;
        position = i;
      }
    }
    // Not listed at all: the sender's next arrow, or after the handshake's arrows.
    for (std::size_t i = position; i < flow.steps.size() && arrow < 0; ++i) {
      if (flow.steps[i].from == message.from) {
        arrow = flow.steps[i].arrow;
        position = i;
      }
    }
    if (arrow < 0) arrow = 8;
    if (flights.empty() || flights.back().from != message.from || flights.back().arrow != arrow) {
      flights.push_back(TlsFlight{arrow, message.from, other(message.from), {}, 0});
    }
    TlsFlight& flight = flights.back();
    flight.messages.push_back(index);
    flight.compatibility_ccs += std::exchange(pending_ccs[sender(message.from)], 0);
  }
  // A middlebox CCS that no message followed: on its sender's last flight.
  for (auto it = flights.rbegin(); it != flights.rend(); ++it) {
    it->compatibility_ccs += std::exchange(pending_ccs[sender(it->from)], 0);
  }
  return flights;
}

namespace {

int tap_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// At most this many key log lines per connection (TLS 1.3 makes 5, TLS 1.2 one or two).
constexpr std::size_t max_keylog_lines = 16;

// Where a computation of computations.hpp is drawn: with the Finished it checks (the client's, the
// server's), or with the key schedule's local step.
enum class Bucket : std::uint8_t { keys, client_finished, server_finished };

Bucket bucket_of(const std::string& name) {
  bool client = name.starts_with("client");
  bool server = name.starts_with("server");
  bool finished = name.find("verify_data") != std::string::npos || name.find("finished_key") != std::string::npos ||
                  name.find("handshake_traffic") != std::string::npos || name.ends_with("Finished");
  if (finished && client) return Bucket::client_finished;
  if (finished && server) return Bucket::server_finished;
  return Bucket::keys;
}

// The session's secrets and both Finished, recomputed from the tapped messages and libssl's key log
// lines (computations.hpp), each with its stock command, drawn where each belongs: the key schedule's
// values on its local step, each Finished's on the arrow that carried it.
void attach_computations(std::vector<HandshakeEvent>& events, const std::vector<TappedMessage>& messages,
                         std::span<const std::string> keylog_lines, const NegotiatedSession& session,
                         bool show_secrets) {
  if (session.cipher_suite == 0) return;
  bool is_tls13 = session.tls13;
  Computations computed = compute_handshake({messages, session.version, session.cipher_suite, keylog_lines});
  if (!show_secrets) withhold_secrets(computed);
  auto find = [&](int arrow, std::string_view from, std::string_view message) -> HandshakeEvent* {
    for (auto& event : events) {
      if (event.arrow == arrow && (from.empty() || event.from == from) &&
          (message.empty() || event.message == message)) {
        return &event;
      }
    }
    return nullptr;
  };
  HandshakeEvent* targets[] = {find(0, "", "SESSION MASTER KEY"), find(6, "Client", ""),
                               find(is_tls13 ? 2 : 7, "Server", "")};
  // A transcript hash belongs with the next Finished computed from it.
  std::size_t count = computed.steps.size();
  for (std::size_t i = 0; i < count; ++i) {
    ShownComputation& step = computed.steps[i];
    Bucket bucket = bucket_of(step.fact.name);
    bool transcript_hash = !step.secret && bucket == Bucket::keys && step.fact.name != "session_hash";
    if (transcript_hash) {
      for (std::size_t j = i + 1; j < count; ++j) {
        if (computed.steps[j].fact.name.ends_with("verify_data")) {
          bucket = bucket_of(computed.steps[j].fact.name);
          break;
        }
      }
    }
    HandshakeEvent* target = targets[static_cast<std::size_t>(bucket)];
    if (target == nullptr) continue;
    SecretFact fact = std::move(step.fact);
    fact.command = std::move(step.command);
    fact.secret = step.secret;
    if (transcript_hash || fact.name == "session_hash")
      target->facts.transcript_hashes.emplace_back(fact.name, fact.value);
    auto same = std::find_if(target->facts.secrets.begin(), target->facts.secrets.end(),
                             [&](const SecretFact& kept) { return kept.name == fact.name; });
    // The SESSION MASTER KEY, now with how to recompute it, after what it is made of.
    if (same != target->facts.secrets.end()) target->facts.secrets.erase(same);
    target->facts.secrets.push_back(std::move(fact));
  }
  for (CheckFact& check : computed.checks) {
    HandshakeEvent* target = targets[static_cast<std::size_t>(bucket_of(check.check))];
    if (target != nullptr) target->facts.checks.push_back(std::move(check));
  }
  if (targets[0] != nullptr) {
    for (auto& line : computed.left_out) targets[0]->fields.push_back({"not recomputed", std::move(line)});
  }
}

}  // namespace

Tap* Tap::of(const SSL* ssl) {
  return static_cast<Tap*>(SSL_get_ex_data(ssl, tap_index()));
}

void Tap::on_keylog(const char* line) {
  if (keylog_lines_.size() < max_keylog_lines) keylog_lines_.emplace_back(line);
}

Tap::~Tap() {
  for (auto& line : keylog_lines_) OPENSSL_cleanse(line.data(), line.size());
}

void Tap::install(SSL* ssl) {
  SSL_set_ex_data(ssl, tap_index(), this);
  SSL_set_msg_callback_arg(ssl, this);
  SSL_set_msg_callback(
      ssl,
      +[](int write_p, int version, int content_type, const void* buf, std::size_t len, SSL* connection, void* arg) {
        static_cast<Tap*>(arg)->on_message(write_p, version, content_type, buf, len, connection);
      });
}

void Tap::on_message(int write_p, int /*version*/, int content_type, const void* buf, std::size_t len, const SSL* ssl) {
  // Record headers (SSL3_RT_HEADER) and TLS 1.3's inner content type are not messages.
  if (content_type != SSL3_RT_CHANGE_CIPHER_SPEC && content_type != SSL3_RT_ALERT &&
      content_type != SSL3_RT_HANDSHAKE) {
    return;
  }
  Party me = options_.me;
  Party from = write_p != 0 ? me : other(me);
  ByteView bytes(static_cast<const std::uint8_t*>(buf), len);
  TappedMessage message;
  message.at = std::chrono::steady_clock::now();
  message.time = iso_now();
  if (!start_) start_ = message.at;
  message.from = from;
  message.type = static_cast<TappedType>(content_type);
  message.size = len;
  message.tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  bool& ccs_seen = from == me ? ccs_sent_ : ccs_received_;
  switch (message.type) {
    case TappedType::change_cipher_spec: message.name = "ChangeCipherSpec"; break;
    case TappedType::alert:
      message.name = "Alert";
      if (len == 2) {
        alert_ = TappedAlert{from, bytes[0], bytes[1], alert_words(bytes[1]), Bytes(bytes.begin(), bytes.end())};
      }
      break;
    case TappedType::application_data: message.name = "encrypted record"; break;
    case TappedType::handshake:
      message.name = handshake_name(bytes);
      // libssl 3.0 reports the ChangeCipherSpec it sends but not the one it receives; TLS 1.2 has
      // one before every Finished (RFC 5246 §7.1), so the received one is put back where it was.
      if (message.name == "Finished" && from != me && !message.tls13 && !ccs_received_) {
        static constexpr std::uint8_t change_cipher_spec[] = {1};
        on_message(0, 0, SSL3_RT_CHANGE_CIPHER_SPEC, change_cipher_spec, 1, ssl);
      }
      break;
  }
  message.encrypted = message.tls13 ? !sent_in_clear_under_tls13(message.name) : ccs_seen;
  if (message.type == TappedType::change_cipher_spec && !message.tls13) ccs_seen = true;
  if (kept_bytes_ + len <= max_tapped_bytes) {
    message.bytes.assign(bytes.begin(), bytes.end());
    kept_bytes_ += len;
  } else {
    dropped_bytes_ += len;
  }
  messages_.push_back(std::move(message));
}

Tap::Offer Tap::client_offer() const {
  Offer offer;
  for (const auto& message : messages_) {
    if (message.name != "ClientHello" || message.bytes.empty()) continue;
    auto viewed = view_handshake(message.bytes, ViewContext{});
    if (!viewed) break;
    for (auto group : viewed->supported_groups) offer.groups.push_back(group_name(group));
    for (auto group : viewed->key_share_groups) offer.key_shares.push_back(group_name(group));
    for (auto suite : viewed->cipher_suites) offer.suites.push_back(cipher_suite_name(suite));
    break;  // the first: a second one (after a HelloRetryRequest) offers the same
  }
  return offer;
}

std::vector<HandshakeEvent> Tap::take_events(const SSL* ssl) {
  NegotiatedSession session = negotiated_of(ssl, options_.show_secrets);
  auto events = events_of(messages_, session, options_, keylog_lines_, start_, progress_);
  OPENSSL_cleanse(session.master_secret.data(), session.master_secret.size());
  return events;
}

std::vector<HandshakeEvent> events_of(std::vector<TappedMessage>& messages, const NegotiatedSession& session,
                                      const TapOptions& options, std::span<const std::string> keylog_lines,
                                      std::optional<std::chrono::steady_clock::time_point> start,
                                      EventProgress& progress) {
  std::vector<HandshakeEvent> events;
  bool is_tls13 = session.tls13;
  const TlsFlow& flow = tls_flow_for(is_tls13, session.ecdhe, session.resumed);
  const std::string& protocol = session.protocol;
  // A TLS 1.3 session also knows its version once the ServerHello is in; messages before carry the
  // version libssl had then: set it again now that it is known.
  for (auto& message : messages) {
    message.tls13 = is_tls13;
    if (message.name == "ServerHello" && !message.bytes.empty()) {
      auto viewed = view_handshake(message.bytes, ViewContext{});
      if (viewed) message.name = viewed->name;  // "HelloRetryRequest" (RFC 8446 §4.1.3)
    }
    if (is_tls13) message.encrypted = !sent_in_clear_under_tls13(message.name);
  }
  ViewContext view_context;
  view_context.version = is_tls13 ? tls13 : tls12;
  if (session.cipher_suite != 0 && !is_tls13) view_context.key_exchange = key_exchange_of(session.cipher_suite);
  std::vector<TlsFlight> flights = group_flights(messages, flow);
  bool finished = session.finished;
  ossl::X509Ptr server_certificate = parsed_certificate(session.server_certificate);
  ossl::X509Ptr client_certificate = parsed_certificate(session.client_certificate);
  Party me = options.me;
  // An event at the moment `message` crossed.
  auto stamp = [&start](HandshakeEvent& event, const TappedMessage& message) {
    event.elapsed_ms = std::chrono::duration<double, std::milli>(message.at - start.value_or(message.at)).count();
    event.time = message.time;
  };

  for (std::size_t f = progress.flights_taken; f < flights.size(); ++f) {
    const TlsFlight& flight = flights[f];
    HandshakeEvent event;
    if (!flight.messages.empty()) stamp(event, messages[flight.messages.front()]);
    event.arrow = flight.arrow;
    event.from = std::string(to_string(flight.from));
    event.to = std::string(to_string(flight.to));
    const TlsFlowStep* step = find_tls_step(flow, flight.arrow, flight.from);
    bool has_certificate = false;
    bool has_status = false;
    std::optional<HandshakeView> client_hello;
    Bytes stapled;
    for (std::size_t index : flight.messages) {
      const TappedMessage& message = messages[index];
      if (!event.message.empty()) event.message += " + ";
      event.message += message.name;
      has_certificate = has_certificate || message.name == "Certificate";
      has_status = has_status || message.name == "CertificateStatus";
      MessageView viewed = view_message(message, view_context);
      if (viewed.view && viewed.view->ocsp_response) stapled = *viewed.view->ocsp_response;
      if (viewed.view && message.name == "ClientHello" && !client_hello) client_hello = viewed.view;
      FlightMessage part;
      part.name = message.name;
      part.frame.bytes = message.bytes;
      part.frame.spans = std::move(viewed.spans);
      part.encrypted = message.encrypted;
      event.flight.push_back(std::move(part));
    }
    event.description = step != nullptr ? std::string(step->description)
                                        : "a message the " + std::string(flow.variant) + " flow does not list";
    if (flight.compatibility_ccs > 0) {
      event.description += " (and a ChangeCipherSpec that carries nothing, for middleboxes: RFC 8446 Appendix D.4)";
    }
    std::size_t missing = 0;
    for (std::size_t index : flight.messages) {
      if (messages[index].bytes.empty()) ++missing;
    }
    if (missing > 0) {
      event.description += " (" + std::to_string(missing) + " message(s) past the tap's " +
                           std::to_string(max_tapped_bytes / 1024) + " KiB: counted, not kept)";
    }
    event.facts.protocol = protocol;
    bool names_client_hello = event.message.starts_with("ClientHello");
    bool names_server_hello = event.message.find("ServerHello") != std::string::npos;
    if (flight.arrow == 1 && names_client_hello) {
      event.facts.client_random = session.client_random;
      event.fields.push_back({"RAND-CLIENT", to_hex(event.facts.client_random), TraceColor::rand_client, false});
      if (client_hello) {
        event.fields.push_back(
            {"cipher suites", names(client_hello->cipher_suites, cipher_suite_name), TraceColor::cipher_suites, false});
        if (!client_hello->supported_versions.empty()) {
          event.fields.push_back(
              {"TLS versions", names(client_hello->supported_versions, version_name), TraceColor::plain, false});
        }
        if (!client_hello->supported_groups.empty()) {
          event.fields.push_back(
              {"groups offered", names(client_hello->supported_groups, group_name), TraceColor::plain, false});
        }
        if (!client_hello->key_share_groups.empty()) {
          event.fields.push_back(
              {"key shares sent", names(client_hello->key_share_groups, group_name), TraceColor::plain, false});
        }
      }
    }
    if (flight.arrow == 2 && names_server_hello) {
      event.facts.server_random = session.server_random;
      event.facts.suite = session.suite;
      event.facts.group = session.group;
      event.fields.push_back({"RAND-SERVER", to_hex(event.facts.server_random), TraceColor::rand_server, false});
      event.fields.push_back({"cipher suite", event.facts.suite, TraceColor::cipher_suites, false});
      if (!event.facts.group.empty()) event.fields.push_back({"group", event.facts.group, TraceColor::plain, false});
    }
    if (has_certificate) {
      X509* certificate = (flight.from == Party::server ? server_certificate : client_certificate).get();
      event.facts.certificate = flight.from == Party::server ? session.server_certificate : session.client_certificate;
      if (certificate != nullptr) {
        event.fields.push_back({flight.from == Party::server ? "CERTIFICATE" : "client's CERTIFICATE",
                                certificate_words(certificate), TraceColor::certificate, false});
        if (flight.from == Party::server) {
          event.fields.push_back({"SERVER'S PUBLIC KEY", crypto::key_description(X509_get0_pubkey(certificate)),
                                  TraceColor::public_key, false});
        }
      }
      if (flight.from == Party::server) {
        Bytes staple = stapled.empty() ? session.staple : stapled;
        if (!staple.empty() && (has_status || is_tls13)) {
          event.facts.status = std::move(staple);
          event.fields.push_back({"CA's answer (stapled OCSP)", std::to_string(event.facts.status.size()) + " bytes",
                                  TraceColor::ca_key, false});
        }
      }
    }
    if (flight.arrow == 5 && !is_tls13) {
      event.fields.push_back({"PRE-MASTER",
                              session.ecdhe ? "never sent: ECDH of the two key shares"
                                            : "encrypted under SERVER'S PUBLIC KEY (RSA PKCS#1 v1.5)",
                              TraceColor::pre_master, false});
    }
    events.push_back(std::move(event));

    // The local steps libssl took on what this flight brought.
    if (has_certificate && flight.from != me && !progress.certificate_check_taken && session.peer_check) {
      progress.certificate_check_taken = true;
      HandshakeEvent check;
      // libssl checks the chain when the Certificate message is in (RFC 5246 §7.4.2, RFC 8446 §4.4.2).
      for (std::size_t index : flight.messages) {
        if (messages[index].name == "Certificate") stamp(check, messages[index]);
      }
      check.from = std::string(to_string(me));
      check.to = check.from;
      check.message = "certificate check";
      const NegotiatedSession::PeerCheck& verdict = *session.peer_check;
      bool ok = verdict.ok;
      const std::string& host = verdict.host;
      std::string subject = flight.from == Party::server ? "the CERTIFICATE" : "the client's CERTIFICATE";
      check.description = subject + " is signed by the trusted CA" +
                          (!host.empty() ? " and names " + host : std::string()) + (ok ? "" : ": no, " + verdict.error);
      check.facts.protocol = protocol;
      check.facts.checks.push_back(
          {"certificate chain", ok, "signed by a CA in the trust file", ok ? "verified by libssl" : verdict.error});
      if (!host.empty()) check.facts.checks.push_back({"host name", ok, host, host});
      check.fields.push_back({"CA's PUBLIC KEY", ok ? "verifies the CERTIFICATE's signature" : "does not",
                              ok ? TraceColor::good : TraceColor::bad, false});
      events.push_back(std::move(check));
    }
    // A resumed session takes the earlier one at its ServerHello: arrows 3–5 do not happen.
    if (session.resumed && flight.arrow == 2 && names_server_hello && !progress.resumption_taken) {
      progress.resumption_taken = true;
      HandshakeEvent resumed;
      stamp(resumed, messages[flight.messages.front()]);
      resumed.from = std::string(to_string(me));
      resumed.to = resumed.from;
      resumed.message = "session resumed";
      resumed.description =
          "the server took the earlier session (" +
          std::string(is_tls13 ? "a ticket, as pre_shared_key" : "its ticket or session ID") +
          "): no CERTIFICATE crossed and nobody asked the CA now; the certificate was checked, and the CA asked, "
          "when that session began, so this one trusts an answer as old as that";
      resumed.facts.protocol = protocol;
      resumed.facts.checks.push_back(
          {"resumption", true, "the earlier session taken again",
           is_tls13 ? "the ServerHello's pre_shared_key" : "the abbreviated handshake (RFC 5246 §7.3)"});
      events.push_back(std::move(resumed));
    }
    bool key_point = is_tls13 || session.resumed ? flight.arrow == 2 && names_server_hello : flight.arrow == 5;
    if (key_point && finished && !progress.key_schedule_taken) {
      progress.key_schedule_taken = true;
      HandshakeEvent keys;
      // Once the last message it needs is in: the ClientKeyExchange (1.2), the ServerHello (1.3, resumed).
      stamp(keys, messages[is_tls13 || session.resumed ? flight.messages.front() : flight.messages.back()]);
      keys.from = std::string(to_string(me));
      keys.to = keys.from;
      keys.message = "SESSION MASTER KEY";
      keys.facts.protocol = protocol;
      SecretFact secret;
      secret.name = "SESSION MASTER KEY";
      if (is_tls13 && session.resumed) {
        keys.description =
            "SESSION MASTER KEY derived: TLS 1.3 HKDF key schedule (RFC 8446 §7.1) from the ticket's PSK (the earlier "
            "session's resumption secret) and, with psk_dhe_ke, the new key shares' shared secret; no PRE-MASTER";
        secret.computation =
            "HKDF-Extract(Derive-Secret(handshake_secret, \"derived\", \"\"), 0), early_secret = "
            "HKDF-Extract(0, PSK)";
      } else if (is_tls13) {
        keys.description =
            "SESSION MASTER KEY derived: TLS 1.3 HKDF key schedule (RFC 8446 §7.1): no PRE-MASTER; from the key "
            "shares' shared secret and the transcript";
        secret.computation = "HKDF-Extract(Derive-Secret(handshake_secret, \"derived\", \"\"), 0)";
      } else if (session.resumed) {
        keys.description =
            "SESSION MASTER KEY: the earlier session's, taken from the ticket (no PRE-MASTER); the keys come from it "
            "and the two new randoms (TLS 1.2 PRF, RFC 5246 §6.3)";
        secret.computation = "key_block = PRF(master_secret, \"key expansion\", RAND-SERVER || RAND-CLIENT)";
        if (options.show_secrets && !session.master_secret.empty()) {
          secret.value = session.master_secret;
          keys.fields.push_back(
              secret_field(true, "SESSION MASTER KEY", session.master_secret, TraceColor::master_key));
        }
      } else {
        bool extended = session.extended_master_secret;
        keys.description =
            extended ? "SESSION MASTER KEY derived: TLS 1.2 PRF (RFC 5246 §8.1) of PRE-MASTER and the session hash "
                       "(extended master secret, RFC 7627: the hash of every handshake message up to the "
                       "ClientKeyExchange, RAND-CLIENT and RAND-SERVER among them)"
                     : "SESSION MASTER KEY derived: TLS 1.2 PRF (RFC 5246 §8.1) using RAND-CLIENT, PRE-MASTER and "
                       "RAND-SERVER";
        secret.computation = extended ? "PRF(PRE-MASTER, \"extended master secret\", session_hash)"
                                      : "PRF(PRE-MASTER, \"master secret\", RAND-CLIENT || RAND-SERVER)";
        if (options.show_secrets && !session.master_secret.empty()) {
          secret.value = session.master_secret;
          keys.fields.push_back(
              secret_field(true, "SESSION MASTER KEY", session.master_secret, TraceColor::master_key));
        }
      }
      keys.facts.secrets.push_back(std::move(secret));
      events.push_back(std::move(keys));
    }
  }
  if ((finished || options.observer) && !progress.computed && !keylog_lines.empty()) {
    progress.computed = true;
    attach_computations(events, messages, keylog_lines, session, options.show_secrets);
  }
  // The last flight may still grow (a client reads TLS 1.3's tickets later): taken flights are the
  // complete ones, all of them once the handshake is over.
  progress.flights_taken = flights.size();
  return events;
}

void watch_alerts(SSL* ssl, AlertRecord* record) {
  SSL_set_ex_data(ssl, alert_record_index(), record);
  SSL_set_info_callback(
      ssl, +[](const SSL* connection, int where, int value) {
        if ((where & SSL_CB_ALERT) == 0) return;
        auto* seen = static_cast<AlertRecord*>(SSL_get_ex_data(connection, alert_record_index()));
        if (seen == nullptr) return;
        auto description = static_cast<std::uint8_t>(value & 0xff);
        if ((where & SSL_CB_WRITE) != 0) {
          seen->sent = description;
        } else {
          seen->received = description;
        }
      });
}

WireFrame alert_frame(const TappedAlert& alert) {
  WireFrame frame;
  frame.bytes = alert.bytes;
  if (auto viewed = view_alert(alert.bytes); viewed) frame.spans = std::move(viewed->spans);
  return frame;
}

std::string alert_words(std::uint8_t description) {
  return alert_description_name(description);
}

}  // namespace tlslab::tls
