#pragma once
// Arrow 5 on the server, in the form the suite gives it (PROTOCOL.md §7.1, §7.6): the PRE-MASTER
// the client sent encrypted with SERVER'S PUBLIC KEY, or, with ECDHE, the one both sides compute
// from the client's key share and the server's ephemeral key (never sent). When the server asked
// for a certificate (§7.7), arrow 5 also carries the client's CERTIFICATE and CertificateVerify,
// returned here for the caller to check.
#include <optional>

#include "server_config.hpp"
#include "tlslab/crypto/ecdhe.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/net/channel.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

struct ReceivedKeyExchange {
  Secret pre_master;
  // Mutual form only: a key share that gives no PRE-MASTER (§7.6: not a valid public key, an
  // all-zero x25519 result). §7.7 has the server use the key exchange only after the client's
  // CERTIFICATE, CertificateVerify and the CA's answer: the failure waits here until then.
  Result<void> key_exchange;
  // Mutual authentication only: what followed the key exchange, the bytes before its signature
  // (§7.7 signed_fields), and the transcript's length before arrow 5 (ClientHello ‖ ServerHello).
  std::optional<ClientAuthentication> authentication;
  Bytes signed_fields;
  std::size_t handshake_before = 0;
};

// `ephemeral`: the server's key for an ECDHE suite (nullptr for RSA key transport); `mutual`: the
// ServerHello asked for the client's certificate.
awaitable<ReceivedKeyExchange> receive_pre_master(net::Channel& channel, FlowCursor& flow,
                                                  crypto::Transcript& transcript, const ServerIdentity& identity,
                                                  const ClientHello& hello, const crypto::EphemeralKey* ephemeral,
                                                  bool mutual, SessionTrace& trace);

}  // namespace tlslab::server
