#include "certificate_status.hpp"

#include <ctime>

#include "crl_check.hpp"
#include "tlslab/describe.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::client {

awaitable<CertificateStatus> check_certificate_status(const ClientSettings& settings, const crypto::TrustStore& trust,
                                                      net::StatusClient& ca_service, const ServerHello& server_hello,
                                                      X509* certificate, const Flow& flow, SessionTrace& trace) {
  if (settings.ca_check == CaCheck::crl) {
    // (3)–(4) as a CRL fetch (§9.3): no staple was asked for, the CA service is not contacted.
    co_return CertificateStatus{false, co_await check_crl(settings, trust, certificate, trace)};
  }
  std::time_t now = std::time(nullptr);
  StapleVerdict staple =
      check_staple(settings.ca_check, server_hello, trust, certificate, settings.max_staple_age, now);
  const FlowStep* staple_request = find_step(flow, 3, Party::server);
  const FlowStep* staple_response = find_step(flow, 4, Party::ca);
  if (staple.staple && staple.checked && staple_request != nullptr && staple_response != nullptr) {
    // (3) Server → CA, ahead of time: its own CERTIFICATE; (4) CA → Server: the signed answer, which
    // the server stapled into ServerHello. The client saw neither arrow, only the answer: it knows
    // when the CA answered (thisUpdate, if the answer verifies), not when the server asked.
    AheadOfTime when;
    if (*staple.checked) {
      when.this_update = utc_time((*staple.checked)->this_update);
      when.age_s = static_cast<long long>(now - (*staple.checked)->this_update);
    }
    trace.arrow_ahead_of_time(*staple_request, when, [&] {
      return Described{describe::staple_request(certificate, *staple.checked, now),
                       facts_of::staple_request(certificate)};
    });
    auto* usable = staple.usable();
    trace.arrow_ahead_of_time(
        *staple_response, when,
        [&] {
          return Described{describe::staple_response(*staple.staple, *staple.checked, now, settings.max_staple_age),
                           facts_of::status_response(*staple.staple, *staple.checked)};
        },
        usable ? describe::status_response_words(usable->answer.status)
               : std::string_view("sent an answer the server stapled into ServerHello, which the client cannot use: "
                                  "too old, expired, about another certificate, or not signed by the trusted CA"));
  }
  require_staple(settings.ca_check, staple).take();
  if (const crypto::VerifiedStatus* usable = staple.usable()) {
    // A usable staple is the CA's word (§9.1): revoked or unknown ends here, with no second opinion.
    require_good(*usable, certificate).take();
    co_return CertificateStatus{true, usable->next_update};
  }
  if (staple.staple) {
    trace.local(Party::client, "asks the CA itself", "the staple is not usable, so the client does arrows 3-4 itself",
                [&] {
                  return std::vector<TraceField>{{"why", staple.unusable, TraceColor::bad}};
                });
  }

  // (3) Client → CA: the CERTIFICATE for authentication; (4) CA → Client: the ACK, signed with the
  // CA's PRIVATE KEY, verified with its PUBLIC KEY from the trust store
  net::StatusExchange status = co_await ca_service.query(server_hello.certificate);
  trace.arrow(*status.request_step, std::move(status.request_frame), [&] {
    return Described{describe::status_request(status.request, certificate), facts_of::status_request(status.request)};
  });
  auto verified = crypto::verify_ocsp_response(status.response.ocsp_response, trust, certificate, status.request.nonce);
  trace.arrow(
      *status.response_step, std::move(status.response_frame),
      [&] {
        return Described{describe::status_response(status.response, verified),
                         facts_of::status_response(status.response.ocsp_response, verified)};
      },
      describe::status_response_words(verified ? std::optional(verified->answer.status) : std::nullopt));
  crypto::VerifiedStatus good = std::move(verified).take();
  require_good(good, certificate).take();
  co_return CertificateStatus{false, good.next_update};
}

}  // namespace tlslab::client
