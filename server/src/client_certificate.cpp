#include "client_certificate.hpp"

#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/crl_fetcher.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::server {
namespace {

// (3)–(4) as a CRL fetch (§9.3): the list of the client certificate's issuer, from memory while it
// is fresh (fetched by an earlier connection), else fetched now; the serial looked up by the server.
awaitable<SessionParameters::ClientCertificate> check_client_crl(X509* certificate, const ServerSettings& settings,
                                                                 SessionTrace& trace) {
  const Flow& flow = crl_flow(Party::server);
  auto url = net::crl_url(certificate, settings.client_crl_from, "--client-crl-from");
  if (!url) {
    throw ProtocolError(url.failure().alert, "the client's certificate: " + url.failure().reason);
  }
  net::CrlCheck check = co_await settings.client_crls->check(url.value(), *settings.client_trust, certificate,
                                                             settings.timeouts.handshake);
  if (check.cached) {
    AheadOfTime when;
    when.this_update = utc_time(check.fetched_at);
    when.source = AheadOfTime::Source::cache;
    when.age_s = static_cast<long long>(std::time(nullptr) - check.fetched_at);
    std::string words = net::crl_cached_words(check);
    trace.arrow_ahead_of_time(
        flow.steps[0], when, [&] { return net::crl_request_fields(check); },
        std::string(flow.steps[0].description) + "; " + words);
    trace.arrow_ahead_of_time(
        flow.steps[1], when,
        [&] {
          return Described{net::crl_response_fields(check), facts_of::crl_response(check, certificate)};
        },
        std::string(flow.steps[1].description) + "; " + words);
  } else {
    trace.arrow(flow.steps[0], std::nullopt, [&] { return net::crl_request_fields(check); });
    trace.arrow(flow.steps[1], std::nullopt, [&] {
      return Described{net::crl_response_fields(check), facts_of::crl_response(check, certificate)};
    });
  }
  auto status = net::crl_status(check, certificate);
  if (!status) {
    throw ProtocolError(status.failure().alert,
                        "the CA's list about the client's certificate: " + status.failure().reason);
  }
  trace.local(Party::server, "looks the client's serial up in the CRL",
              "the client's CERTIFICATE's serial, in the CA's list of revoked serials",
              [&] { return net::crl_look_up_fields(certificate, status); });
  if (auto good = require_good(status.value(), certificate); !good) {
    throw ProtocolError(good.failure().alert, "the client's certificate: " + good.failure().reason);
  }
  co_return SessionParameters::ClientCertificate{
      crypto::subject_of(certificate), crypto::serial_hex(certificate), crypto::issuer_of(certificate),
      crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate),
      "good (not in the CA's list number " + std::to_string(check.crl->number) + " of " +
          utc_time(check.crl->this_update) + ")"};
}

}  // namespace

awaitable<SessionParameters::ClientCertificate> authenticate_client(const ReceivedKeyExchange& received,
                                                                    const crypto::Transcript& transcript,
                                                                    const SuiteInfo& suite,
                                                                    const ServerSettings& settings,
                                                                    SessionTrace& trace) {
  bool by_crl = settings.client_ca_check == CaCheck::crl;
  if (!received.authentication || !settings.client_trust || (by_crl ? !settings.client_crls : !settings.ca_service)) {
    throw std::logic_error("a client certificate to check without the means to check it");
  }
  const ClientAuthentication& authentication = *received.authentication;
  // §7.7 checks 1–4: the CERTIFICATE, its key, and the signature over ClientHello ‖ ServerHello ‖
  // the fields of arrow 5 before it.
  ByteView handshake_so_far = ByteView(transcript.messages()).first(received.handshake_before);
  auto checked = check_client_authentication(authentication, received.signed_fields, handshake_so_far, suite.hash,
                                             *settings.client_trust, accepted_client_schemes());
  if (!checked) {
    // The step that failed, drawn in red with why.
    trace.local(Party::server, "checks the client's CERTIFICATE: FAILED",
                "the client's CERTIFICATE is refused; the server ends the handshake with an alert", [&] {
                  return std::vector<TraceField>{
                      {"FAILED", std::string(to_string(checked.failure().alert)) + ": " + checked.failure().reason,
                       TraceColor::bad}};
                });
  }
  ossl::X509Ptr certificate = std::move(checked).take();
  trace.local(Party::server, "checks the client's CERTIFICATE",
              "chain to a CA trusted for clients, validity period, clientAuth; the CertificateVerify verifies with "
              "the certificate's key over RAND-CLIENT, RAND-SERVER and the handshake so far",
              [&] {
                auto fields = describe::client_certificate_check(*settings.client_trust, certificate.get());
                auto signature = describe::client_authentication(authentication, certificate.get(), true);
                fields.push_back(signature.back());
                return Described{std::move(fields),
                                 facts_of::client_certificate_check(*settings.client_trust, certificate.get())};
              });

  co_return co_await check_client_status(certificate.get(), authentication.client_certificate, settings, trace);
}

awaitable<SessionParameters::ClientCertificate> check_client_status(X509* certificate, const Bytes& certificate_der,
                                                                    const ServerSettings& settings,
                                                                    SessionTrace& trace) {
  if (settings.client_ca_check == CaCheck::crl) co_return co_await check_client_crl(certificate, settings, trace);

  // (3) Server → CA: the client's CERTIFICATE, with the server's own nonce; (4) CA → Server: the
  // signed answer, verified with the CA'S PUBLIC KEY from the server's client trust store (§9.2)
  net::StatusClient ca_service(*settings.ca_service, settings.timeouts, trace.enabled(),
                               StatusQuestion::client_certificate);
  net::StatusExchange status = co_await ca_service.query(certificate_der);
  ca_service.close();
  trace.arrow(*status.request_step, std::move(status.request_frame), [&] {
    return Described{describe::status_request(status.request, certificate), facts_of::status_request(status.request)};
  });
  auto verified = crypto::verify_ocsp_response(status.response.ocsp_response, *settings.client_trust, certificate,
                                               status.request.nonce);
  trace.arrow(
      *status.response_step, std::move(status.response_frame),
      [&] {
        return Described{describe::status_response(status.response, verified),
                         facts_of::status_response(status.response.ocsp_response, verified)};
      },
      describe::status_response_words(verified ? std::optional(verified->answer.status) : std::nullopt, Party::server));
  if (!verified) {
    throw ProtocolError(verified.failure().alert,
                        "the CA's answer about the client's certificate: " + verified.failure().reason);
  }
  if (auto good = require_good(verified.value(), certificate); !good) {
    throw ProtocolError(good.failure().alert, "the client's certificate: " + good.failure().reason);
  }
  co_return SessionParameters::ClientCertificate{
      crypto::subject_of(certificate), crypto::serial_hex(certificate), crypto::issuer_of(certificate),
      crypto::not_before_of(certificate) + " .. " + crypto::not_after_of(certificate),
      "good (the CA's answer of " + utc_time(verified->this_update) + ")"};
}

}  // namespace tlslab::server
