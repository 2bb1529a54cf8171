#pragma once
// Session tickets, the client's side (PROTOCOL.md §7.8): the resumed handshake once the server
// accepts the ticket offered, and the NewSessionTicket after a full one, kept in --session-file.
#include <ctime>
#include <optional>

#include "handshake.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_flow.hpp"

namespace tlslab::client {

// Arrow 2 in its resumed form (just received, in `transcript`), then arrows 6 and 7 with fresh keys
// from the stored master secret and the new randoms. Throws ProtocolError.
awaitable<void> run_resumed_handshake(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                      SessionParameters& session, const ClientHello& hello,
                                      const ServerHello& server_hello, std::optional<WireFrame> frame,
                                      const ClientSettings& settings, SessionTrace& trace);

// After the server's Finished: the NewSessionTicket, written to --session-file with an expiry of
// min(now + the server's lifetime hint, `next_update`: the CA answer this session relied on).
awaitable<void> receive_session_ticket(net::Channel& channel, FlowCursor& flow, const SessionParameters& session,
                                       const Secret& master_secret, std::time_t next_update,
                                       const ClientSettings& settings, SessionTrace& trace);

}  // namespace tlslab::client
