#pragma once
// Real TLS on the seed's arrows (VARIANTS.md, last row), as data: each handshake written out as a
// list of (arrow, sender, messages), as s2n-tls writes each of its handshakes as a list of message
// kinds. The tap (tap.hpp) walks a list to put each message libssl sent or received on its arrow;
// a message the list does not name is still shown, never dropped.
#include <span>
#include <string_view>

#include "tlslab/handshake_flow.hpp"

namespace tlslab::tls {

// One message an arrow may carry: its name as RFC 5246/8446 spell it ("ServerHello"), and whether
// the arrow can go without it ([CertificateStatus] only when stapled).
struct TlsMessageSpec {
  std::string_view name;
  bool optional = false;
};

struct TlsFlowStep {
  int arrow;  // the seed's arrow (DESIGN.md), 1..8
  Party from;
  Party to;
  std::span<const TlsMessageSpec> messages;  // in the order they are sent
  std::string_view description;              // the seed's words, adapted to real TLS
};

struct TlsFlow {
  std::string_view variant;   // "TLS 1.2 (RSA key transport)"
  std::string_view protocol;  // "TLS 1.2", "TLS 1.3"
  std::span<const TlsFlowStep> steps;
};

// TLS 1.2 with RSA key transport (TLS_RSA_WITH_AES_128_GCM_SHA256): the seed's diagram.
const TlsFlow& tls12_rsa_flow();
// TLS 1.2 with ECDHE: arrow 2 gains the signed ServerKeyExchange, arrow 5 carries the client's share.
const TlsFlow& tls12_ecdhe_flow();
// TLS 1.3: no arrow 5; the server's Finished goes in arrow 2, its NewSessionTicket(s) are arrow 7.
const TlsFlow& tls13_flow();

// Resumption: the earlier session taken again (a TLS 1.2 ticket or session ID, a TLS 1.3 PSK):
// no Certificate, no key exchange; arrows 3–5 do not happen.
const TlsFlow& tls12_resumed_flow();
const TlsFlow& tls13_resumed_flow();

// The flow of a negotiated handshake: `tls13`, or TLS 1.2 with `ecdhe` or RSA key transport; a
// `resumed` one of either version.
const TlsFlow& tls_flow_for(bool tls13, bool ecdhe, bool resumed);

// The step of `flow` on `arrow` sent by `from`; nullptr when there is none (arrow 5 in TLS 1.3).
const TlsFlowStep* find_tls_step(const TlsFlow& flow, int arrow, Party from);

}  // namespace tlslab::tls
