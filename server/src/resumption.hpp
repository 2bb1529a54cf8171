#pragma once
// Session tickets, the server's side (PROTOCOL.md §7.8): whether a ClientHello's ticket resumes a
// session, the resumed handshake (arrows 1, 2, 6, 7), and the NewSessionTicket after a full one.
#include <optional>

#include "handshake.hpp"
#include "tlslab/crypto/secret.hpp"
#include "tlslab/crypto/session_ticket.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/handshake_flow.hpp"

namespace tlslab::server {

// The session the ClientHello's ticket holds, when the server resumes it: tickets on, the client
// offered a ticket that opens, has not expired, and names a suite both still accept and the
// version negotiated. Otherwise nullopt, and a full handshake: the trace says why (never an error).
std::optional<crypto::TicketState> accept_ticket(const ClientHello& hello, ProtocolVersion version,
                                                 const ServerSettings& settings, SessionTrace& trace);

// Arrows 2, 6 and 7 of a resumed handshake (arrow 1 already read into `transcript`).
awaitable<void> run_resumed_handshake(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                      SessionParameters& session, ProtocolVersion version, crypto::TicketState state,
                                      const ServerSettings& settings, SessionTrace& trace);

// After the server's Finished of a full handshake whose ServerHello said new_ticket: the ticket.
awaitable<void> send_new_session_ticket(net::Channel& channel, FlowCursor& flow, const SessionParameters& session,
                                        ProtocolVersion version, const Secret& master_secret,
                                        const ServerSettings& settings, SessionTrace& trace);

}  // namespace tlslab::server
