#pragma once
// Arrow 5 on the client, in the form the suite gives it (PROTOCOL.md §7.1, §7.6): a new random
// PRE-MASTER sent encrypted with SERVER'S PUBLIC KEY, or, with ECDHE, the client's ephemeral key
// share, the PRE-MASTER computed from it and the server's (never sent).
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

awaitable<Secret> send_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                  const SuiteInfo& suite, const ClientHello& hello, const ServerHello& server_hello,
                                  X509* certificate, SessionTrace& trace);

}  // namespace tlslab::client
