#include "handshake_match.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "tlslab/text.hpp"

namespace tlslab::report {
namespace json = boost::json;
namespace {

[[noreturn]] void not_one_handshake(const std::string& why) {
  throw std::runtime_error("these traces are not of one handshake: " + why);
}

std::string short_hex(const std::string& hex) {
  return printable(hex.substr(0, 16)) + (hex.size() > 16 ? "…" : "");
}

// A random of the session: a real TLS run's typed fact (facts.client_random of arrow 1,
// facts.server_random of arrow 2) when its trace has it, else the lab's field (RAND-CLIENT,
// RAND-SERVER); "" when neither.
std::string random_of(const Session& session, int arrow, std::string_view fact, std::string_view field) {
  for (const TraceRecord* record : session.records) {
    if (record->is_outcome || record->arrow != arrow) continue;
    if (record->facts.is_object()) {
      const json::value* value = record->facts.get_object().if_contains(fact);
      if (value && value->is_string() && !value->get_string().empty()) return std::string(value->get_string());
    }
    const std::string* named = record->field(field);
    return named ? *named : std::string();
  }
  return {};
}

std::string rand_client_of(const Session& session) {
  return random_of(session, 1, "client_random", "RAND-CLIENT");
}

std::string rand_server_of(const Session& session) {
  return random_of(session, 2, "server_random", "RAND-SERVER");
}

std::string randoms_of(const std::vector<const Session*>& sessions) {
  std::string out;
  for (std::size_t i = 0; i < sessions.size() && i < 4; ++i) {
    std::string random = rand_client_of(*sessions[i]);
    out += (i ? ", " : "") + (random.empty() ? std::string("none") : short_hex(random)) + " (" + sessions[i]->where() +
           ")";
  }
  if (sessions.size() > 4) out += " and " + std::to_string(sessions.size() - 4) + " more";
  return out;
}

const json::value* find_span(const json::value& spans, std::string_view field, int depth = 0) {
  if (!spans.is_array() || depth > 16) return nullptr;
  for (const json::value& span : spans.get_array()) {
    if (!span.is_object()) continue;
    const json::object& object = span.get_object();
    const json::value* name = object.if_contains("field");
    if (name && name->is_string() && name->get_string() == field) return &span;
    if (const json::value* children = object.if_contains("children")) {
      if (const json::value* found = find_span(*children, field, depth + 1)) return found;
    }
  }
  return nullptr;
}

// The OCSP response a ServerHello stapled: the lab's ocsp_response field, or a real TLS run's
// facts.status (its CertificateStatus or TLS 1.3 Certificate carried it); "" when none.
std::string stapled_response(const TraceRecord& hello) {
  std::string stapled = span_hex(hello, "ocsp_response");
  if (stapled.empty() && hello.facts.is_object()) {
    const json::value* status = hello.facts.get_object().if_contains("status");
    if (status && status->is_string()) stapled = std::string(status->get_string());
  }
  return stapled;
}

// The CA's session whose arrow 3 is byte for byte `request` (sent by `from`).
const Session* ca_session_for(const std::vector<const Session*>& ca, const TraceRecord& request) {
  for (const Session* session : ca) {
    const TraceRecord* received = session->arrow(3, request.from, "CA");
    if (received && !request.bytes.empty() && received->bytes == request.bytes) return session;
  }
  return nullptr;
}

// An OCSP nonce as lowercase hex ("" when none).
std::string nonce_hex(const std::string* nonce) {
  if (!nonce) return {};
  std::string hex = *nonce;
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

// The content of a DER OCTET STRING given as hex ("0410" + 16 bytes → the 16 bytes); "" when
// `hex` is not one.
std::string octet_string_content(const std::string& hex) {
  if (hex.size() < 4 || !hex.starts_with("04") || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return {};
  }
  std::size_t length = std::stoul(hex.substr(2, 2), nullptr, 16), header = 4;
  if (length == 0x81 && hex.size() >= 6) {
    length = std::stoul(hex.substr(4, 2), nullptr, 16);
    header = 6;
  }
  return hex.size() == header + length * 2 ? hex.substr(header) : std::string();
}

// The same nonce in both traces: the CA's shows the extension's value (an OCSP nonce is an OCTET
// STRING inside it), the requester's the nonce's bytes alone; either may be the wrapped one.
bool same_nonce(const std::string& asked, const std::string& answered) {
  if (asked == answered) return true;
  return (!asked.empty() && octet_string_content(answered) == asked) ||
         (!answered.empty() && octet_string_content(asked) == answered);
}

// An OCSP request over HTTP (real TLS, issue 24) carries no frame the CA traces: the CA's session
// is the OCSP request it answered with the same nonce (and for the same serial, when the
// requester names it); a request without a nonce, the nearest in time for that serial among those
// not matched yet. The CA draws whoever asks over HTTP as the Client.
const Session* ca_ocsp_http_session_for(const std::vector<const Session*>& ca, const TraceRecord& request,
                                        const std::vector<const Session*>& taken) {
  std::string nonce = nonce_hex(request.field("nonce"));
  const std::string* serial = request.field("serial");
  const Session* nearest = nullptr;
  double distance = 0;
  for (const Session* session : ca) {
    if (std::find(taken.begin(), taken.end(), session) != taken.end()) continue;
    const TraceRecord* received = session->arrow(3, "Client", "CA");
    if (!received || !is_ocsp_over_http(*received)) continue;
    const std::string* certificate = received->field("CERTIFICATE");
    if (serial && !serial->empty() && certificate && certificate->find("serial " + *serial) == std::string::npos) {
      continue;
    }
    if (!same_nonce(nonce, nonce_hex(received->field("nonce")))) continue;
    if (!nonce.empty()) return session;
    double apart = std::abs(received->wall_ms - request.wall_ms);
    if (!nearest || apart < distance) {
      nearest = session;
      distance = apart;
    }
  }
  return nearest;
}

// The number a CRL field begins with: "7" of "7 (ETag \"7\")"; empty when none.
std::string leading_number(const std::string* text) {
  if (!text) return {};
  std::size_t end = text->find_first_not_of("0123456789");
  return text->substr(0, end);
}

// A CRL fetch (PROTOCOL.md §9.3) carries no nonce and no frame: the CA's session is the CRL request
// it answered with the same CRL number as the list the requester received (`answer`), the nearest
// in time among those not matched yet. The CA draws whoever fetches as the Client.
const Session* ca_crl_session_for(const std::vector<const Session*>& ca, const TraceRecord& request,
                                  const TraceRecord* answer, const std::vector<const Session*>& taken) {
  std::string number = answer ? leading_number(answer->field("CRL number")) : std::string();
  if (number.empty()) return nullptr;
  const Session* nearest = nullptr;
  double distance = 0;
  for (const Session* session : ca) {
    if (std::find(taken.begin(), taken.end(), session) != taken.end()) continue;
    const TraceRecord* received = session->arrow(3, "Client", "CA");
    const TraceRecord* sent = session->arrow(4, "CA", "Client");
    if (!received || !sent || !is_crl_fetch(*received) || leading_number(sent->field("CRL number")) != number) continue;
    double apart = std::abs(received->wall_ms - request.wall_ms);
    if (!nearest || apart < distance) {
      nearest = session;
      distance = apart;
    }
  }
  return nearest;
}

// The requester's answer to `request`: its first arrow 4 from the CA after it, in its session.
const TraceRecord* answer_to(const Session& session, const TraceRecord* request) {
  auto at = std::find(session.records.begin(), session.records.end(), request);
  if (at == session.records.end()) return nullptr;
  for (auto next = at + 1; next != session.records.end(); ++next) {
    if (!(*next)->is_outcome && (*next)->arrow == 4 && (*next)->from == "CA" && !(*next)->ahead_of_time) return *next;
  }
  return nullptr;
}

}  // namespace

bool is_crl_fetch(const TraceRecord& record) {
  return record.arrow == 3 && record.message.starts_with("CRL request");
}

bool is_ocsp_over_http(const TraceRecord& record) {
  return record.arrow == 3 && record.message.starts_with("OCSPRequest");
}

std::string asker_in_ca_trace(const TraceRecord& request) {
  return is_crl_fetch(request) || is_ocsp_over_http(request) ? "Client" : request.from;
}

std::string span_hex(const TraceRecord& record, std::string_view field) {
  const json::value* span = find_span(record.spans, field);
  if (!span) return {};
  const json::object& object = span->get_object();
  const json::value* offset = object.if_contains("offset");
  const json::value* length = object.if_contains("length");
  if (!offset || !length || !offset->is_number() || !length->is_number()) return {};
  auto at = offset->to_number<double>(), size = length->to_number<double>();
  if (at < 0 || size < 0 || (at + size) * 2 > static_cast<double>(record.bytes.size())) return {};
  return record.bytes.substr(static_cast<std::size_t>(at) * 2, static_cast<std::size_t>(size) * 2);
}

Handshake find_handshake(const std::vector<Session>& sessions, const MatchOptions& options) {
  Handshake handshake;
  std::vector<const Session*> clients, servers, staples, ca;
  for (const Session& session : sessions) {
    if (session.side == "client") {
      clients.push_back(&session);
    } else if (session.side == "ca") {
      ca.push_back(&session);
    } else if (session.arrow(1, "Client", "Server")) {
      servers.push_back(&session);
    } else if (session.arrow(3, "Server", "CA")) {
      staples.push_back(&session);
    }
  }
  if (clients.empty())
    throw std::runtime_error("no client trace among the inputs: give the client's --trace-json file");

  // The client's session.
  if (options.rand_client) {
    std::vector<const Session*> chosen;
    for (const Session* session : clients) {
      std::string random = rand_client_of(*session);
      if (!random.empty() && random.starts_with(*options.rand_client)) chosen.push_back(session);
    }
    if (chosen.size() != 1) {
      throw std::runtime_error(std::to_string(chosen.size()) + " client sessions have a RAND-CLIENT starting with '" +
                               printable(*options.rand_client) + "'; the client's sessions: " + randoms_of(clients));
    }
    clients = chosen;
  }
  if (clients.size() > 1) {
    throw std::runtime_error("the client's trace holds " + std::to_string(clients.size()) + " sessions (RAND-CLIENT " +
                             randoms_of(clients) +
                             "): choose one with --rand-client HEX (its first digits are enough)");
  }
  handshake.client = clients.front();
  std::string rand_client = rand_client_of(*handshake.client);
  if (rand_client.empty()) {
    throw std::runtime_error(handshake.client->where() + ": the client's session has no arrow 1 with RAND-CLIENT");
  }
  std::string rand_server = rand_server_of(*handshake.client);

  // The server's session: the same randoms.
  if (options.have_server_trace) {
    std::vector<const Session*> same;
    for (const Session* session : servers) {
      if (rand_client_of(*session) != rand_client) continue;
      std::string server_random = rand_server_of(*session);
      if (!rand_server.empty() && !server_random.empty() && server_random != rand_server) continue;
      same.push_back(session);
    }
    if (same.empty()) {
      not_one_handshake(
          "the client's RAND-CLIENT " + short_hex(rand_client) + " (" + handshake.client->where() +
          ") is in no session of the server's trace" +
          (servers.empty() ? std::string(" (it holds no handshake)") : "; the server saw " + randoms_of(servers)));
    }
    if (same.size() > 1) {
      handshake.notes.push_back("the server's trace holds " + std::to_string(same.size()) +
                                " sessions with this RAND-CLIENT (a replayed ClientHello?); the first is drawn");
    }
    handshake.server = same.front();
  }

  // The staple: the server's fetch whose OCSP response is the one in this ServerHello.
  if (handshake.server) {
    const TraceRecord* hello = handshake.server->arrow(2, "Server", "Client");
    std::string stapled = hello ? stapled_response(*hello) : std::string();
    if (!stapled.empty()) {
      for (const Session* session : staples) {
        const TraceRecord* answer = session->arrow(4, "CA", "Server");
        if (answer && span_hex(*answer, "ocsp_response") == stapled) handshake.staple = session;
      }
      if (!handshake.staple) {
        handshake.notes.push_back(
            "the server's trace does not hold the fetch of the staple this ServerHello carried "
            "(it was fetched before the trace began?)");
      }
    }
  }

  // The CA's sessions: each request the client or the server sent, as the CA received it.
  std::vector<std::pair<const TraceRecord*, const TraceRecord*>> requests;  // each with its answer
  for (const Session* session : {handshake.client, handshake.server, handshake.staple}) {
    if (!session) continue;
    for (const TraceRecord* record : session->records) {
      if (!record->is_outcome && record->arrow == 3 && record->to == "CA" && !record->ahead_of_time) {
        requests.emplace_back(record, answer_to(*session, record));
      }
    }
  }
  if (options.have_ca_trace) {
    for (const auto& [request, answer] : requests) {
      bool crl = is_crl_fetch(*request), over_http = is_ocsp_over_http(*request);
      const Session* answered = crl         ? ca_crl_session_for(ca, *request, answer, handshake.ca)
                                : over_http ? ca_ocsp_http_session_for(ca, *request, handshake.ca)
                                            : ca_session_for(ca, *request);
      if (!answered) {
        const std::string* nonce = request->field("nonce");
        not_one_handshake("the " + request->from + "'s " +
                          (crl         ? "CRL fetch"
                           : over_http ? "OCSP request"
                                       : "StatusRequest") +
                          " (" + request->origin.where() + (nonce ? ", nonce " + short_hex(*nonce) : std::string()) +
                          ") is not in the CA's trace, which has " + std::to_string(ca.size()) + " sessions");
      }
      handshake.ca.push_back(answered);
      handshake.asked.push_back({request, answered});
    }
    // Without the server's trace, the staple itself says which of the CA's answers it is.
    const TraceRecord* hello = handshake.client->arrow(2, "Server", "Client");
    std::string stapled = hello ? stapled_response(*hello) : std::string();
    if (!handshake.staple && !stapled.empty()) {
      for (const Session* session : ca) {
        const TraceRecord* answer = session->arrow(4, "CA", "Server");
        if (answer && span_hex(*answer, "ocsp_response") == stapled) handshake.staple_ca = session;
      }
      if (handshake.staple_ca) handshake.ca.push_back(handshake.staple_ca);
    }
    if (requests.empty() && !handshake.staple_ca) {
      handshake.notes.push_back("nobody asked the CA in this handshake: the CA's trace adds nothing to it");
    }
  }
  return handshake;
}

}  // namespace tlslab::report
