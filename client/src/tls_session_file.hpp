#pragma once
// --session-file with --tls: the earlier TLS session as libssl keeps it (an SSL_SESSION: the TLS 1.2
// master secret or the TLS 1.3 resumption secret, the server's ticket, the server's certificate), in
// the PEM form that `openssl sess_id` and `openssl s_client -sess_in` read. A secret file: mode
// 0600, written whole via private_file.hpp, a link never followed. Whatever is wrong with it (absent,
// not a TLS session, expired, for another server) gives a full handshake and one line saying why.
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "tlslab/crypto/ossl.hpp"

namespace tlslab::client {

using TlsSessionPtr = std::unique_ptr<SSL_SESSION, ossl::Deleter<&SSL_SESSION_free>>;

struct TlsSessionLoad {
  TlsSessionPtr session;  // one to offer
  std::string why_not;    // else why not (empty: no file yet)
};
// The session in `path`, if it is one to offer to `server_name` (a DNS name or an IP address) at
// `now`: its server's certificate names `server_name`, and its lifetime has not passed.
TlsSessionLoad load_tls_session(const std::string& path, const std::string& server_name, std::int64_t now);

// (Re)writes `path` with `session` (0600, atomically), its lifetime first capped at `not_after` (Unix
// time; 0: no cap): the nextUpdate of the CA answer the certificate passed with. Throws
// std::runtime_error.
void save_tls_session(const std::string& path, SSL_SESSION* session, std::int64_t not_after);

}  // namespace tlslab::client
