#pragma once
// Which sessions of the traces are one handshake. The client's session names it by its randoms
// (RAND-CLIENT in arrow 1, RAND-SERVER in arrow 2); the server's session is the one with the same
// two (a real TLS run's facts.client_random and facts.server_random when its trace has them). The
// CA's sessions are found by the StatusRequest each answered: its frame (certificate
// serial, requester role and the requester's fresh nonce) is byte for byte the one the client or
// the server sent. A stapled run's staple is the server's fetch whose CA answer (the OCSP response)
// is the one stapled into this ServerHello. An OCSP request over HTTP or a CRL fetch has no frame
// of the lab's: its CA session is found by its nonce and serial (the OCSP request) or its CRL number.
#include <optional>
#include <string>
#include <vector>

#include "sessions.hpp"

namespace tlslab::report {

struct Handshake {
  const Session* client = nullptr;
  const Session* server = nullptr;  // nullptr when no server trace was given
  const Session* staple = nullptr;  // the server's fetch of the staple this ServerHello carried
  // Without the server's trace: the CA's session that answered that fetch (found by its answer).
  const Session* staple_ca = nullptr;
  std::vector<const Session*> ca;  // the CA's sessions for this handshake, each answering one request
  // Each StatusRequest the client or the server sent, with the CA's session that received it.
  struct Asked {
    const TraceRecord* request;
    const Session* ca;
  };
  std::vector<Asked> asked;
  std::vector<std::string> notes;  // what the user should know (printed as warnings)
};

struct MatchOptions {
  std::optional<std::string> rand_client;  // --rand-client: which client session, when there are several
  bool have_server_trace = false;
  bool have_ca_trace = false;
};

// Whether `record` is arrow 3 of a CRL fetch (PROTOCOL.md §9.3), which a CA's trace draws as from
// the Client whoever fetched.
bool is_crl_fetch(const TraceRecord& record);

// Whether `record` is arrow 3 of an OCSP request over HTTP (real TLS, issue 24: the client POSTs
// to the responder its certificate names), which a CA's trace also draws as from the Client.
bool is_ocsp_over_http(const TraceRecord& record);

// Who the CA's trace says sent `request`: the Client for a CRL fetch or an OCSP request over
// HTTP (HTTP does not say who asks), else its sender.
std::string asker_in_ca_trace(const TraceRecord& request);

// Throws std::runtime_error "these traces are not of one handshake: …" and the like.
Handshake find_handshake(const std::vector<Session>& sessions, const MatchOptions& options);

// The hex of the first span named `field` (at any depth) in a frame's spans; "" when none.
std::string span_hex(const TraceRecord& record, std::string_view field);

}  // namespace tlslab::report
