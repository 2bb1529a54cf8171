#include "crl_check.hpp"

#include <spdlog/spdlog.h>

#include "crl_cache.hpp"
#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/crl_fetcher.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::client {

awaitable<std::time_t> check_crl(const ClientSettings& settings, const crypto::TrustStore& trust, X509* certificate,
                                 SessionTrace& trace) {
  const Flow& flow = crl_flow(Party::client);
  const FlowStep& request_step = flow.steps[0];
  const FlowStep& response_step = flow.steps[1];
  std::string url = net::crl_url(certificate, settings.crl_from, "--crl-from").take();

  // The cache first: a fresh list is used without fetching; a stale one still says which number
  // a fetched list may not go below.
  std::time_t now = std::time(nullptr);
  std::optional<net::CrlCheck> check;
  std::optional<std::uint64_t> highest;
  if (settings.crl_cache) {
    CrlCache::Offer offer;
    try {
      offer = settings.crl_cache->offer(url, trust, certificate, now);
    } catch (const CrlCacheError& e) {
      throw ProtocolError(AlertDescription::bad_certificate_status_response, e.what());
    }
    if (!offer.note.empty()) spdlog::warn("{}", offer.note);
    check = std::move(offer.usable);
    highest = offer.highest_number;
  }

  if (check) {
    // (3)–(4) ahead of time: the list was fetched before this session, at `fetched_at`.
    AheadOfTime when;
    when.this_update = utc_time(check->fetched_at);
    when.source = AheadOfTime::Source::cache;
    when.age_s = static_cast<long long>(now - check->fetched_at);
    std::string words = net::crl_cached_words(*check);
    trace.arrow_ahead_of_time(
        request_step, when, [&] { return net::crl_request_fields(*check); },
        std::string(request_step.description) + "; " + words);
    trace.arrow_ahead_of_time(
        response_step, when,
        [&] {
          return Described{net::crl_response_fields(*check), facts_of::crl_response(*check, certificate)};
        },
        std::string(response_step.description) + "; " + words);
  } else {
    // (3) Client → CA: GET the list (it names no certificate); (4) CA → Client: the list, signed
    // with the CA'S PRIVATE KEY, verified with its PUBLIC KEY from the trust store.
    check = co_await net::fetch_crl(url, trust, certificate, highest, settings.timeouts.handshake);
    trace.arrow(request_step, std::nullopt, [&] { return net::crl_request_fields(*check); });
    trace.arrow(
        response_step, std::nullopt,
        [&] {
          return Described{net::crl_response_fields(*check), facts_of::crl_response(*check, certificate)};
        },
        check->usable() ? std::string_view{}
        : check->fetch  ? std::string_view("sent a list the client refuses (the reason in red)")
                        : std::string_view("no list came back: the fetch failed (the reason in red)"));
    if (check->usable() && settings.crl_cache) {
      try {
        settings.crl_cache->keep(*check);
      } catch (const std::exception& e) {
        spdlog::warn("the CRL is not cached: {}", e.what());
      }
    }
  }

  auto status = net::crl_status(*check, certificate);
  if (status) {
    bool revoked = status->answer.status == crypto::CertStatus::revoked;
    trace.local(Party::client, "looks the serial up in the CRL",
                revoked ? "the CERTIFICATE's serial is in the CA's list: revoked"
                        : "the CERTIFICATE's serial is not in the CA's list: good",
                [&] { return net::crl_look_up_fields(certificate, status); });
  }
  crypto::VerifiedStatus good = std::move(status).take();
  require_good(good, certificate).take();
  co_return good.next_update;
}

}  // namespace tlslab::client
