#pragma once
// Arrow 5 on the client, in the form the suite gives it (PROTOCOL.md §7.1, §7.6): a new random
// PRE-MASTER sent encrypted with SERVER'S PUBLIC KEY, or, with ECDHE, the client's ephemeral key
// share, the PRE-MASTER computed from it and the server's (never sent). When the server asked for
// a certificate (§7.7), arrow 5 also carries the client's CERTIFICATE and its CertificateVerify.
#include "client_identity.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {

// `identity`: the client's certificate and key (--cert, --key), or nullptr.
awaitable<Secret> send_pre_master(net::Channel& channel, FlowCursor& flow, crypto::Transcript& transcript,
                                  const SuiteInfo& suite, const ClientHello& hello, const ServerHello& server_hello,
                                  X509* certificate, const ClientIdentity* identity, SessionTrace& trace);

}  // namespace tlslab::client
