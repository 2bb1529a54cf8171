#include "tls_revocation.hpp"

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <exception>
#include <functional>

#include "crl_check.hpp"
#include "tlslab/crypto/crl.hpp"
#include "tlslab/crypto/ocsp.hpp"
#include "tlslab/crypto/x509.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/ocsp_over_http.hpp"
#include "tlslab/time.hpp"
#include "tlslab/tls/handshake_view.hpp"
#include "tlslab/trace.hpp"

namespace tlslab::client {
namespace {

int check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Keeps the events of the check, to be emitted after arrow 2 (the check runs inside arrow 2).
class Collector : public Renderer {
 public:
  explicit Collector(std::vector<HandshakeEvent>& events) : events_(events) {}
  void on_event(const HandshakeEvent& event) override { events_.push_back(event); }
  void on_outcome(const OutcomeEvent&) override {}

 private:
  std::vector<HandshakeEvent>& events_;
};

constexpr FlowStep ocsp_request_step{
    3,
    Party::client,
    Party::ca,
    HandshakeType::status_request,
    "OCSPRequest (HTTP POST)",
    "CERTIFICATE for authentication: an OCSP request for its serial, with a fresh nonce, POSTed to the responder "
    "the certificate names (Authority Information Access)"};
constexpr FlowStep ocsp_response_step{
    4,
    Party::ca,
    Party::client,
    HandshakeType::status_response,
    "OCSPResponse",
    "ACK, signed using CA'S PRIVATE KEY: the certificate's status, verified with the CA'S PUBLIC KEY"};

const std::string no_check_possible =
    "the certificate names neither an OCSP responder (Authority Information Access) nor a CRL distribution "
    "point: no revocation check is possible";

[[noreturn]] void refuse(std::string reason) {
  throw ProtocolError(AlertDescription::bad_certificate_status_response, reason);
}

// Runs `work` to completion on an io_context of its own: libssl is waiting in its callback.
void run_to_completion(const std::function<awaitable<void>()>& work) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, work(), [&](std::exception_ptr error) { failure = error; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

awaitable<void> ask_responder(RevocationCheck& check, const crypto::TrustStore& trust, const std::string& url,
                              SessionTrace& trace, std::vector<HandshakeEvent>& events) {
  // (3) Client → CA: the CERTIFICATE's serial (CertID) and a nonce, POSTed over HTTP (RFC 6960 A.1)
  // A named query: GCC 12 destroys an aggregate temporary in a co_await expression twice.
  net::OcspQuery query{check.certificate.get(), check.issuer.get(), &trust, url, check.settings->timeouts.handshake};
  auto sent_at = std::chrono::steady_clock::now();
  std::string sent_time = iso_now();
  net::OcspOverHttp exchange = co_await net::ask_ocsp_responder(std::move(query));
  X509* certificate = check.certificate.get();
  trace.arrow(ocsp_request_step, std::nullopt, [&] {
    return std::vector<TraceField>{{"responder", url},
                                   {"serial", crypto::serial_hex(certificate)},
                                   {"nonce", hex_field(exchange.nonce)},
                                   {"OCSPRequest", std::to_string(exchange.request_der.size()) + " bytes DER"}};
  });
  // Drawn when it was sent, not when its answer came (its nonce is known only now).
  if (!events.empty() && events.back().arrow == 3) {
    events.back().elapsed_ms = std::chrono::duration<double, std::milli>(sent_at - check.start).count();
    events.back().time = sent_time;
  }
  // (4) CA → Client: the signed answer, verified with the issuer's PUBLIC KEY
  trace.arrow(
      ocsp_response_step, std::nullopt,
      [&] {
        std::vector<TraceField> fields{
            {"status", exchange.summary(),
             exchange.verdict() == net::OcspVerdict::good ? TraceColor::plain : TraceColor::bad}};
        if (!exchange.peer.empty()) fields.push_back({"from", exchange.peer});
        if (!exchange.response_der.empty()) {
          fields.push_back({"OCSPResponse", std::to_string(exchange.response_der.size()) + " bytes DER"});
        }
        return fields;
      },
      exchange.verified ? std::string_view{} : std::string_view("no usable answer (the reason in red)"));
  if (!events.empty() && events.back().arrow == 4) {
    events.back().facts.status = exchange.response_der;
    events.back().facts.status_verdict = exchange.summary();
  }
  if (!exchange.verified) refuse("OCSP responder " + url + ": " + exchange.verified.failure().reason);
  require_good(exchange.verified.value(), certificate).take();
  check.next_update = exchange.verified->next_update;
}

enum class Phase : std::uint8_t { verify, status };

// TLS 1.2: whether the ServerHello carries status_request (RFC 6066 §8), so that a CertificateStatus
// will follow. Unknown (no tap, the message not kept): assumed, and the status callback decides.
bool server_agreed_to_staple(const RevocationCheck& check) {
  if (check.tap == nullptr) return true;
  for (const tls::TappedMessage& message : check.tap->messages()) {
    if (message.from != Party::server || message.name != "ServerHello") continue;
    if (message.bytes.empty()) return true;
    auto view = tls::view_handshake(message.bytes, {tls::tls12, tls::KeyExchange::none});
    if (!view) return true;
    return std::any_of(view->extensions.begin(), view->extensions.end(),
                       [](const tls::Extension& extension) { return extension.type == 5; });
  }
  return true;
}

// The check of `ssl`'s certificate in `phase`; false when it is not this phase's to make (a TLS 1.2
// staple arrives after the chain was verified). Throws ProtocolError when the certificate is refused.
bool run_check(RevocationCheck& check, SSL* ssl, Phase phase, SessionTrace& trace) {
  const ClientSettings& settings = *check.settings;
  CaCheck mode = settings.ca_check;
  bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  bool staple_mode = mode == CaCheck::stapled || mode == CaCheck::automatic;
  if (phase == Phase::verify && staple_mode && !tls13 && server_agreed_to_staple(check)) return false;
  X509* certificate = check.certificate.get();
  // The issuer from the chain libssl verified: the staple, the OCSP answer and the CRL are checked
  // against its key, whether it is the trust anchor (--trust FILE) or an intermediate (system store).
  std::vector<ossl::X509Ptr> anchors;
  X509_up_ref(check.issuer.get());
  anchors.emplace_back(check.issuer.get());
  crypto::TrustStore trust(std::move(anchors));

  if (staple_mode) {
    const unsigned char* staple = nullptr;
    long length = SSL_get_tlsext_status_ocsp_resp(ssl, &staple);
    std::string unusable;
    if (length > 0 && staple != nullptr) {
      ByteView der(staple, static_cast<std::size_t>(length));
      auto verified = crypto::verify_staple(der, trust, certificate, settings.max_staple_age);
      trace.local(
          Party::client, "checks the stapled OCSP response",
          verified ? "the CA's answer the server stapled (arrows 3-4 made ahead of time)" : "the staple is not usable",
          [&] {
            return std::vector<TraceField>{
                {"staple", std::to_string(der.size()) + " bytes DER"},
                {"status",
                 verified ? std::string(crypto::to_string(verified->answer.status)) + " (thisUpdate " +
                                utc_time(verified->this_update) + ")"
                          : verified.failure().reason,
                 verified && verified->answer.status == crypto::CertStatus::good ? TraceColor::plain
                                                                                 : TraceColor::bad}};
          });
      if (!check.events.empty()) {
        check.events.back().facts.status = Bytes(der.begin(), der.end());
        check.events.back().facts.status_verdict =
            verified ? std::string(crypto::to_string(verified->answer.status)) : verified.failure().reason;
      }
      if (verified) {
        check.stapled = true;
        // A usable staple is the CA's word: revoked or unknown ends here.
        require_good(verified.value(), certificate).take();
        check.next_update = verified->next_update;
        return true;
      }
      unusable = verified.failure().reason;
    } else {
      unusable = "the server stapled no OCSP response";
    }
    if (mode == CaCheck::stapled) refuse("--ca-check stapled: " + unusable);
    trace.local(Party::client, "asks the CA itself", "the staple is not usable, so the client does arrows 3-4 itself",
                [&] {
                  return std::vector<TraceField>{{"why", unusable, TraceColor::bad}};
                });
  }

  auto crl_point = crypto::crl_distribution_point(certificate);
  if (mode == CaCheck::crl) {
    if (!crl_point && !settings.crl_from) {
      auto responder = net::ocsp_responder_url(certificate);
      if (!responder || !responder.value()) refuse(no_check_possible + " (--ca-check crl)");
    }
    run_to_completion([&]() -> awaitable<void> { co_await check_crl(settings, trust, certificate, trace); });
    return true;
  }
  auto url = net::ocsp_responder_url(certificate);
  if (!url) refuse(url.failure().reason);
  if (!url.value()) {
    if (mode == CaCheck::automatic) {
      if (crl_point) {
        run_to_completion([&]() -> awaitable<void> { co_await check_crl(settings, trust, certificate, trace); });
        return true;
      }
      check.warning = no_check_possible + "; --ca-check auto goes on without one";
      trace.local(Party::client, "cannot check the certificate's status", check.warning,
                  [] { return std::vector<TraceField>{}; });
      return true;
    }
    if (crl_point) {
      refuse(
          "the certificate names no OCSP responder (Authority Information Access), only a CRL distribution "
          "point: use --ca-check crl");
    }
    refuse(no_check_possible + " (--ca-check " + std::string(to_string(mode)) + ")");
  }
  run_to_completion(
      [&]() -> awaitable<void> { co_await ask_responder(check, trust, *url.value(), trace, check.events); });
  return true;
}

// Runs the check once, keeping its verdict and its events; false when the certificate is refused.
bool perform(RevocationCheck& check, SSL* ssl, Phase phase) {
  if (check.decided) return !check.refused;
  TraceOptions options;
  options.text = false;
  Trace collector(options);
  if (check.tracing) collector.add(std::make_unique<Collector>(check.events));
  SessionTrace trace(collector, 0);
  trace.begin(check.start);
  try {
    if (!run_check(check, ssl, phase, trace)) return true;
  } catch (const ProtocolError& error) {
    check.refused = error.alert().value_or(AlertDescription::bad_certificate_status_response);
    check.line = error.what();
  } catch (const std::exception& error) {
    check.refused = AlertDescription::bad_certificate_status_response;
    check.line = error.what();
  }
  check.decided = true;
  return !check.refused;
}

int x509_error_for(AlertDescription alert) {
  switch (alert) {
    case AlertDescription::certificate_revoked: return X509_V_ERR_CERT_REVOKED;
    case AlertDescription::certificate_unknown: return X509_V_ERR_OCSP_CERT_UNKNOWN;
    default: return X509_V_ERR_OCSP_VERIFY_FAILED;
  }
}

int verify_callback(int preverified, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* check = ssl ? static_cast<RevocationCheck*>(SSL_get_ex_data(ssl, check_index())) : nullptr;
  if (check == nullptr) return preverified;
  if (preverified != 1) {
    // libssl's own verdict stands: nothing here weakens it.
    if (!check->chain_error) check->chain_error = X509_STORE_CTX_get_error(store);
    return 0;
  }
  if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
  if (!check->certificate) {
    X509* leaf = X509_STORE_CTX_get_current_cert(store);
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
    X509* issuer = chain != nullptr && sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : leaf;
    X509_up_ref(leaf);
    X509_up_ref(issuer);
    check->certificate.reset(leaf);
    check->issuer.reset(issuer);
  }
  if (perform(*check, ssl, Phase::verify)) return 1;
  X509_STORE_CTX_set_error(store, x509_error_for(*check->refused));
  return 0;
}

int status_callback(SSL* ssl, void*) {
  auto* check = static_cast<RevocationCheck*>(SSL_get_ex_data(ssl, check_index()));
  if (check == nullptr || !check->certificate) return 1;
  // TLS 1.3's staple came with the Certificate: the verify callback decided.
  if (SSL_version(ssl) == TLS1_3_VERSION && !check->decided) return 1;
  return perform(*check, ssl, Phase::status) ? 1 : 0;
}

}  // namespace

void install_revocation_check(SSL* ssl, RevocationCheck& check) {
  SSL_set_ex_data(ssl, check_index(), &check);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_callback);
  SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(ssl), status_callback);
}

}  // namespace tlslab::client
