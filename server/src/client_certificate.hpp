#pragma once
// Mutual authentication on the server (PROTOCOL.md §7.7, §9.2): the client's CERTIFICATE and
// CertificateVerify from arrow 5, checked locally (chain, dates, clientAuth, the signature over this
// handshake), then the CA service asked about it with the server's own nonce: the seed's arrows 3–4,
// mirrored.
#include "handshake.hpp"
#include "pre_master.hpp"
#include "tlslab/crypto/transcript.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::server {

// Throws ProtocolError with the alert of the first check that fails (§7.7, §9.2).
awaitable<SessionParameters::ClientCertificate> authenticate_client(const ReceivedKeyExchange& received,
                                                                    const crypto::Transcript& transcript,
                                                                    const SuiteInfo& suite,
                                                                    const ServerSettings& settings,
                                                                    SessionTrace& trace);

// Arrows 3–4 about a client certificate already checked locally (by the lab's checks above, or by
// libssl for tlslab-server --tls): the CA service asked with the server's own nonce, or the CA's CRL
// (--client-ca-check crl). Throws ProtocolError unless the CA says good.
awaitable<SessionParameters::ClientCertificate> check_client_status(X509* certificate, const Bytes& certificate_der,
                                                                    const ServerSettings& settings,
                                                                    SessionTrace& trace);

}  // namespace tlslab::server
