#include "tlslab/tls/negotiated.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "tlslab/crypto/x509.hpp"
#include "tlslab/tls/context.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/tls/names.hpp"
#include "tlslab/tls/tap.hpp"

namespace tlslab::tls {
namespace {

Bytes der_of(X509* certificate) {
  if (certificate == nullptr) return {};
  return crypto::certificate_der(certificate);
}

std::string group_of(const SSL* ssl) {
  int nid = static_cast<int>(SSL_get_negotiated_group(const_cast<SSL*>(ssl)));
  if (nid == NID_undef || nid == 0) return "";
  const char* name = SSL_group_to_name(const_cast<SSL*>(ssl), nid);
  return name != nullptr ? name : "";
}

std::string suite_of(const SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) return "";
  const char* name = SSL_CIPHER_standard_name(cipher);
  return name != nullptr ? name : SSL_CIPHER_get_name(cipher);
}

bool ecdhe_of(const SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr) return false;
  int kx = SSL_CIPHER_get_kx_nid(cipher);
  return kx == NID_kx_ecdhe || kx == NID_kx_dhe;
}

Bytes staple_of(const SSL* ssl) {
  const unsigned char* response = nullptr;
  long length = SSL_get_tlsext_status_ocsp_resp(const_cast<SSL*>(ssl), &response);
  if (response == nullptr || length <= 0) return {};
  return Bytes(response, response + length);
}

Bytes random_of(const SSL* ssl, bool client) {
  Bytes random(SSL3_RANDOM_SIZE);
  std::size_t got = client ? SSL_get_client_random(ssl, random.data(), random.size())
                           : SSL_get_server_random(ssl, random.data(), random.size());
  random.resize(got);
  return random;
}

// RFC 7627 §5.1: extended_master_secret is type 23; the session uses it when both hellos carry it.
constexpr std::uint16_t extended_master_secret_type = 23;
// RFC 8446 §4.2.11: a TLS 1.3 ServerHello with pre_shared_key (41) took one of the offered PSKs.
constexpr std::uint16_t pre_shared_key_type = 41;

bool has_extension(const HandshakeView& view, std::uint16_t type) {
  for (const auto& extension : view.extensions) {
    if (extension.type == type) return true;
  }
  return false;
}

}  // namespace

NegotiatedSession negotiated_of(const SSL* ssl, bool with_master_secret) {
  NegotiatedSession session;
  session.version = static_cast<std::uint16_t>(SSL_version(ssl));
  session.tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  session.ecdhe = ecdhe_of(ssl);
  session.protocol = protocol_name(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl); cipher != nullptr) {
    session.cipher_suite = static_cast<std::uint16_t>(SSL_CIPHER_get_protocol_id(cipher));
  }
  // libssl 3.0 reads the session for these: before a ServerHello there is none to read.
  bool negotiated = session.cipher_suite != 0 && SSL_get_session(ssl) != nullptr;
  if (negotiated) {
    session.suite = suite_of(ssl);
    session.group = group_of(ssl);
  }
  session.client_random = random_of(ssl, true);
  session.server_random = random_of(ssl, false);
  bool server = SSL_is_server(const_cast<SSL*>(ssl)) == 1;
  X509* own = SSL_get_certificate(ssl);
  X509* peer = SSL_get0_peer_certificate(ssl);
  session.server_certificate = der_of(server ? own : peer);
  session.client_certificate = der_of(server ? peer : own);
  session.staple = staple_of(ssl);
  session.finished = SSL_is_init_finished(ssl) == 1;
  session.resumed = SSL_session_reused(const_cast<SSL*>(ssl)) == 1;
  // A resumed TLS 1.2 session made no key exchange now: the group libssl names is the earlier one's.
  if (session.resumed && !session.tls13) session.group.clear();
  session.extended_master_secret = negotiated && SSL_get_extms_support(const_cast<SSL*>(ssl)) == 1;
  if (negotiated && with_master_secret && !session.tls13) {
    if (const SSL_SESSION* saved = SSL_get_session(ssl); saved != nullptr) {
      session.master_secret.resize(SSL_MAX_MASTER_KEY_LENGTH);
      session.master_secret.resize(
          SSL_SESSION_get_master_key(saved, session.master_secret.data(), session.master_secret.size()));
    }
  }
  if (peer != nullptr) {
    long verdict = SSL_get_verify_result(ssl);
    const char* host = SSL_get0_peername(const_cast<SSL*>(ssl));
    session.peer_check = NegotiatedSession::PeerCheck{
        verdict == X509_V_OK, verdict == X509_V_OK ? "" : X509_verify_cert_error_string(verdict),
        host != nullptr ? host : ""};
  }
  return session;
}

NegotiatedSession negotiated_from(std::span<const TappedMessage> messages) {
  NegotiatedSession session;
  std::optional<HandshakeView> client_hello;
  std::optional<HandshakeView> server_hello;
  bool client_finished = false;
  bool server_finished = false;
  bool server_certificate = false;
  std::optional<Party> first_change_cipher_spec;
  ViewContext context;
  for (const TappedMessage& message : messages) {
    if (message.type == TappedType::change_cipher_spec && !first_change_cipher_spec) {
      first_change_cipher_spec = message.from;
    }
    if (message.type != TappedType::handshake || message.bytes.empty()) continue;
    auto viewed = view_handshake(message.bytes, context);
    if (!viewed) continue;
    HandshakeView& view = viewed.value();
    switch (view.kind) {
      case HandshakeKind::client_hello:
        // A second ClientHello (after a HelloRetryRequest) has the same random (RFC 8446 §4.1.2).
        if (!client_hello) client_hello = view;
        break;
      case HandshakeKind::server_hello:
        if (view.name == "HelloRetryRequest") break;
        server_hello = view;
        session.version = view.selected_version.value_or(0);
        session.tls13 = session.version == tls13;
        session.cipher_suite = view.cipher_suite.value_or(0);
        context.version = session.tls13 ? tls13 : tls12;
        if (!session.tls13) context.key_exchange = key_exchange_of(session.cipher_suite);
        break;
      case HandshakeKind::certificate:
        server_certificate = server_certificate || message.from == Party::server;
        if (view.certificates.empty()) break;
        (message.from == Party::server ? session.server_certificate : session.client_certificate) =
            view.certificates.front();
        if (message.from == Party::server && view.ocsp_response) session.staple = *view.ocsp_response;
        break;
      case HandshakeKind::certificate_status:
        if (view.ocsp_response) session.staple = *view.ocsp_response;
        break;
      case HandshakeKind::server_key_exchange:
        if (view.ecdhe_group) session.group = group_name(*view.ecdhe_group);
        break;
      case HandshakeKind::finished: (message.from == Party::client ? client_finished : server_finished) = true; break;
      default: break;
    }
  }
  if (client_hello && client_hello->random) session.client_random = *client_hello->random;
  if (!server_hello) return session;
  if (server_hello->random) session.server_random = *server_hello->random;
  session.protocol = version_name(session.version);
  session.suite = cipher_suite_name(session.cipher_suite);
  if (session.tls13) {
    if (!server_hello->key_share_groups.empty()) session.group = group_name(server_hello->key_share_groups.front());
  } else {
    KeyExchange exchange = key_exchange_of(session.cipher_suite);
    session.ecdhe = exchange != KeyExchange::rsa && exchange != KeyExchange::none;
    session.extended_master_secret = client_hello && has_extension(*client_hello, extended_master_secret_type) &&
                                     has_extension(*server_hello, extended_master_secret_type);
  }
  session.finished = client_finished && server_finished;
  if (session.tls13) {
    session.resumed = has_extension(*server_hello, pre_shared_key_type);
  } else {
    // RFC 5246 §7.4.1.3: a server that resumes echoes the ClientHello's session ID; with a ticket and no
    // ID (RFC 5077 §3.4) what shows is the abbreviated order: the server's ChangeCipherSpec comes first.
    bool echoed = client_hello && client_hello->session_id && server_hello->session_id &&
                  !client_hello->session_id->empty() && *client_hello->session_id == *server_hello->session_id;
    bool server_first = first_change_cipher_spec == Party::server && !server_certificate;
    session.resumed = echoed || server_first;
  }
  return session;
}

}  // namespace tlslab::tls
