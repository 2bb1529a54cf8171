#pragma once
// Arrow 5 on the server, in the form the suite gives it (PROTOCOL.md §7.1, §7.6): the PRE-MASTER
// the client sent encrypted with SERVER'S PUBLIC KEY, or, with ECDHE, the one both sides compute
// from the client's key share and the server's ephemeral key (never sent).
#include "server_config.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

// `ephemeral`: the server's key for an ECDHE suite (nullptr for RSA key transport).
awaitable<Secret> receive_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                     const ServerIdentity& identity, const ClientHello& hello,
                                     const crypto::EphemeralKey* ephemeral, SessionTrace& trace);

}  // namespace tlslab::server
