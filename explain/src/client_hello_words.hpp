#pragma once
// What a 2026 browser's ClientHello carries beyond the textbook one, each named and explained for
// the page: the hybrid post-quantum group X25519MLKEM768, GREASE values, ALPN, compressed
// certificates, Encrypted ClientHello, a PSK offered for resumption, and what an observer of the
// wire learns from each. Words only: the facts come from the display parser (handshake_view.hpp).
#include <vector>

#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/trace/event.hpp"

namespace tlslab::explain {

std::vector<TraceField> client_hello_words(const tls::HandshakeView& hello);

}  // namespace tlslab::explain
