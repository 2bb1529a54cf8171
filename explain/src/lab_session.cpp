#include "lab_session.hpp"

#include <optional>

#include "frame_stream.hpp"
#include "tlslab/alert.hpp"
#include "tlslab/cipher_suite.hpp"
#include "tlslab/codec.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_flow.hpp"
#include "tlslab/messages.hpp"
#include "tlslab/text.hpp"
#include "tlslab/trace.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::explain {
namespace {

using decrypt::CapturedFrame;
using decrypt::Direction;

Party party_of(Direction direction) {
  return direction == Direction::client_to_server ? Party::client : Party::server;
}

// The frames of both directions and what the clear ones say.
struct LabFrames {
  decrypt::DirectionFrames client;
  decrypt::DirectionFrames server;
  std::optional<ClientHello> client_hello;
  std::optional<ServerHello> server_hello;
  std::optional<SuiteInfo> suite;
  std::vector<std::string> notes;
};

LabFrames read_frames(const decrypt::TcpConnection& connection) {
  LabFrames out;
  out.client = decrypt::split_frames(connection.client_bytes, Direction::client_to_server, connection.arrivals);
  out.server = decrypt::split_frames(connection.server_bytes, Direction::server_to_client, connection.arrivals);
  for (const auto* side : {&out.client, &out.server}) {
    if (!side->stopped.empty()) {
      out.notes.push_back(std::string(side == &out.client ? "client → server" : "server → client") + ": " +
                          side->stopped + "; nothing after it is shown");
    }
  }
  if (!connection.cut_short.empty()) out.notes.push_back(connection.cut_short);
  if (!out.client.frames.empty() && out.client.frames[0].header.type == ContentType::handshake) {
    auto hello = decode_handshake<ClientHello>(out.client.frames[0].fragment);
    if (hello)
      out.client_hello = std::move(hello).value();
    else
      out.notes.push_back("arrow 1 (ClientHello) does not decode: " + hello.failure().reason);
  }
  if (!out.server.frames.empty() && out.server.frames[0].header.type == ContentType::handshake) {
    auto hello = decode_handshake<ServerHello>(out.server.frames[0].fragment);
    if (hello) {
      out.server_hello = std::move(hello).value();
      out.suite = suite_info(out.server_hello->cipher_suite);
    } else {
      out.notes.push_back("arrow 2 (ServerHello) does not decode: " + hello.failure().reason);
    }
  }
  return out;
}

std::string time_of(const decrypt::TcpConnection& connection, const CapturedFrame& frame) {
  if (frame.arrival >= connection.arrivals.size()) return {};
  return iso_time(
      std::chrono::system_clock::time_point(decrypt::bounded_capture_time(connection.arrivals[frame.arrival].at)));
}

double elapsed_of(const decrypt::TcpConnection& connection, const CapturedFrame& frame) {
  if (frame.arrival >= connection.arrivals.size() || connection.arrivals.empty()) return 0;
  return std::chrono::duration<double, std::milli>(
             decrypt::bounded_capture_time(connection.arrivals[frame.arrival].at) -
             decrypt::bounded_capture_time(connection.arrivals.front().at))
      .count();
}

HandshakeEvent event_on(const FlowStep* step, int arrow, Party from, std::string message) {
  HandshakeEvent event;
  event.arrow = arrow;
  event.from = std::string(to_string(from));
  event.to = std::string(to_string(from == Party::client ? Party::server : Party::client));
  event.message = step != nullptr ? std::string(step->name) : std::move(message);
  event.description = step != nullptr ? std::string(step->description) : std::string();
  return event;
}

// Arrow 5 in the form the suite and the ServerHello choose (§7.1, §7.6, §7.7).
std::optional<WireFrame> key_exchange_frame(const CapturedFrame& frame, const SuiteInfo& suite, bool mutual,
                                            HandshakeEvent& event) {
  ByteView message = frame.fragment;
  auto framed = [&](std::vector<FieldSpan> spans) {
    return WireFrame{Bytes(frame.bytes.begin(), frame.bytes.end()), clear_frame_spans(std::move(spans)), {}, {}};
  };
  auto say_exchange = [&](const auto& exchange) {
    using Form = std::decay_t<decltype(exchange)>;
    if constexpr (std::is_same_v<Form, ClientKeyExchange>) {
      event.fields.push_back({"PRE-MASTER",
                              "encrypted under SERVER'S PUBLIC KEY (" +
                                  std::to_string(exchange.encrypted_pre_master.size()) +
                                  " bytes): an observer without the server's key cannot open it",
                              TraceColor::pre_master, false});
    } else {
      event.fields.push_back(
          {"client's key share",
           hex_field(exchange.key_exchange, 16) + ": the PRE-MASTER is the ECDH of the two shares, never sent",
           TraceColor::pre_master, false});
    }
  };
  auto decode = [&](auto form) -> std::optional<WireFrame> {
    using Form = decltype(form);
    auto decoded = decode_handshake<Form>(message);
    if (!decoded) {
      event.fields.push_back({"does not decode", decoded.failure().reason, TraceColor::bad, false});
      return framed({FieldSpan{0, message.size(), "ClientKeyExchange", {}}});
    }
    if constexpr (std::is_same_v<Form, ClientKeyExchange> || std::is_same_v<Form, ClientKeyShare>) {
      say_exchange(decoded.value());
    } else {
      say_exchange(decoded->key_exchange);
      facts_of::add_client_authentication(event.facts, decoded->authentication);
      event.fields.push_back({"client's CERTIFICATE",
                              std::to_string(decoded->authentication.client_certificate.size()) +
                                  " bytes, in the clear, with its CertificateVerify",
                              TraceColor::certificate, false});
    }
    return framed(spans_of_received(decoded.value(), message));
  };
  bool rsa = suite.key_exchange == KeyExchange::rsa_oaep;
  if (mutual) return rsa ? decode(AuthenticatedKeyExchange{}) : decode(AuthenticatedKeyShare{});
  return rsa ? decode(ClientKeyExchange{}) : decode(ClientKeyShare{});
}

struct LabOutcome {
  bool client_finished = false;
  bool server_finished = false;
  std::optional<std::pair<Party, std::uint8_t>> alert;
};

}  // namespace

Explained explain_lab(const decrypt::TcpConnection& connection) {
  Explained out;
  out.summary = summarize_lab(connection);
  LabFrames frames = read_frames(connection);
  FlowVariant variant;
  if (frames.suite) {
    variant.key_exchange = frames.suite->key_exchange;
    variant.stapled = frames.server_hello->staple().has_value();
    variant.mutual = frames.server_hello->certificate_request().has_value();
  }
  const Flow& flow = flow_for(variant);
  auto stamp = [&](HandshakeEvent& event, const CapturedFrame& frame) {
    event.time = time_of(connection, frame);
    event.elapsed_ms = elapsed_of(connection, frame);
  };

  std::size_t next_client = 0;
  std::size_t next_server = 0;
  if (frames.client_hello) {
    const CapturedFrame& frame = frames.client.frames[0];
    HandshakeEvent event = event_on(find_step(flow, 1, Party::client), 1, Party::client, "ClientHello");
    stamp(event, frame);
    event.fields = describe::client_hello(*frames.client_hello);
    event.facts = facts_of::client_hello(*frames.client_hello);
    event.frame = WireFrame{Bytes(frame.bytes.begin(), frame.bytes.end()),
                            clear_frame_spans(spans_of_received(*frames.client_hello, frame.fragment)),
                            {},
                            {}};
    out.events.push_back(std::move(event));
    next_client = 1;
  }
  if (frames.server_hello) {
    const CapturedFrame& frame = frames.server.frames[0];
    HandshakeEvent event = event_on(find_step(flow, 2, Party::server), 2, Party::server, "ServerHello");
    stamp(event, frame);
    auto certificate = crypto::parse_certificate_der(frames.server_hello->certificate);
    event.fields = describe::server_hello(*frames.server_hello, certificate ? certificate->get() : nullptr, false);
    event.facts = facts_of::server_hello(*frames.server_hello);
    event.fields.push_back({"what an observer sees",
                            "the CERTIFICATE in the clear, as in TLS 1.2: which server this is", TraceColor::plain,
                            false});
    event.frame = WireFrame{Bytes(frame.bytes.begin(), frame.bytes.end()),
                            clear_frame_spans(spans_of_received(*frames.server_hello, frame.fragment)),
                            {},
                            {}};
    out.events.push_back(std::move(event));
    next_server = 1;
  }
  if (frames.suite && frames.client.frames.size() > 1 &&
      frames.client.frames[1].header.type == ContentType::handshake) {
    const CapturedFrame& frame = frames.client.frames[1];
    HandshakeEvent event = event_on(find_step(flow, 5, Party::client), 5, Party::client, "ClientKeyExchange");
    stamp(event, frame);
    event.facts.protocol = "tlslab/1.0";
    event.frame = key_exchange_frame(frame, *frames.suite, variant.mutual, event);
    out.events.push_back(std::move(event));
    next_client = 2;
  }

  // Arrows 6–8 and alerts, in capture order: protected, so shown as the wire shows them.
  decrypt::DirectionFrames client_rest{
      {frames.client.frames.begin() + static_cast<std::ptrdiff_t>(next_client), frames.client.frames.end()}, {}};
  decrypt::DirectionFrames server_rest{
      {frames.server.frames.begin() + static_cast<std::ptrdiff_t>(next_server), frames.server.frames.end()}, {}};
  std::size_t protected_frames[2] = {0, 0};
  std::optional<OutcomeEvent> alert;
  for (const CapturedFrame& frame : decrypt::in_capture_order(client_rest, server_rest)) {
    Party from = party_of(frame.from);
    std::size_t& count = protected_frames[from == Party::client ? 0 : 1];
    if (frame.header.type == ContentType::alert) {
      if (!alert && frame.fragment.size() == 2) {
        alert = OutcomeEvent{};
        auto description = alert_description_from(frame.fragment[1]);
        alert->alert =
            description ? std::string(to_string(*description)) : "alert " + std::to_string(frame.fragment[1]);
        alert->alert_from = std::string(to_string(from));
        alert->alert_to = std::string(to_string(from == Party::client ? Party::server : Party::client));
        alert->alert_frame =
            WireFrame{Bytes(frame.bytes.begin(), frame.bytes.end()),
                      clear_frame_spans({FieldSpan{0, 1, "level", {}}, FieldSpan{1, 1, "description", {}}}),
                      {},
                      {}};
        alert->time = time_of(connection, frame);
        alert->elapsed_ms = elapsed_of(connection, frame);
      }
      continue;
    }
    if (frame.header.type != ContentType::protected_record) continue;
    ++count;
    int arrow = count == 1 ? (from == Party::client ? 6 : 7) : 8;
    if (arrow == 8 && count > 1 + max_shown_records) continue;
    HandshakeEvent event = event_on(arrow == 8 ? nullptr : find_step(flow, arrow, from), arrow, from,
                                    "application data (encrypted, " + std::to_string(frame.bytes.size()) + " bytes)");
    if (arrow == 8) event.description = std::string(application_data_description);
    stamp(event, frame);
    event.fields.push_back({"protected frame",
                            std::to_string(frame.bytes.size()) +
                                " bytes: opened by tlslab-decrypt (the server's key, RSA key "
                                "transport) or Wireshark with the lab's key log",
                            TraceColor::plain, false});
    event.frame =
        WireFrame{Bytes(frame.bytes.begin(), frame.bytes.end()), protected_frame_spans(frame.fragment.size()), {}, {}};
    out.events.push_back(std::move(event));
  }

  OutcomeEvent outcome = alert.value_or(OutcomeEvent{});
  outcome.ok = out.summary.complete;
  outcome.event = out.summary.outcome;
  for (const auto& note : frames.notes) outcome.detail += (outcome.detail.empty() ? "" : "; ") + note;
  if (outcome.time.empty() && !out.events.empty()) {
    outcome.time = out.events.back().time;
    outcome.elapsed_ms = out.events.back().elapsed_ms;
  }
  out.outcome = std::move(outcome);
  return out;
}

Summary summarize_lab(const decrypt::TcpConnection& connection) {
  LabFrames frames = read_frames(connection);
  Summary summary;
  summary.protocol = "tlslab/1.0";
  auto name = frames.client_hello ? frames.client_hello->server_name() : std::nullopt;
  summary.sni = name ? printable(*name) : "-";
  summary.suite = frames.suite ? std::string(frames.suite->name) : "-";
  bool protected_client = false;
  bool protected_server = false;
  std::optional<std::string> alert;
  for (const auto* side : {&frames.client, &frames.server}) {
    for (const auto& frame : side->frames) {
      if (frame.header.type == ContentType::protected_record)
        (side == &frames.client ? protected_client : protected_server) = true;
      if (frame.header.type == ContentType::alert && frame.fragment.size() == 2 && !alert) {
        auto description = alert_description_from(frame.fragment[1]);
        alert = (description ? std::string(to_string(*description)) : std::to_string(frame.fragment[1])) + " from " +
                std::string(to_string(side == &frames.client ? Party::client : Party::server));
      }
    }
  }
  if (alert && !(protected_client && protected_server)) {
    summary.outcome = "alert " + *alert;
  } else if (protected_client && protected_server) {
    summary.complete = true;
    summary.outcome = "handshake complete (both sides sent protected frames: the Finished and after)";
  } else if (!frames.client_hello) {
    summary.outcome = "incomplete: no ClientHello that decodes";
  } else {
    summary.outcome = frames.server_hello ? "incomplete: the capture ends before both Finished"
                                          : "incomplete: no ServerHello in the capture";
  }
  return summary;
}

}  // namespace tlslab::explain
