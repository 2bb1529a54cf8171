#include "tlslab/net/crl_fetcher.hpp"

#include <openssl/x509.h>

#include <cstdio>

#include "tlslab/handshake_rules.hpp"
#include "tlslab/net/http_get.hpp"
#include "tlslab/text.hpp"
#include "tlslab/time.hpp"

namespace tlslab::net {
namespace {

std::string ms_text(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f ms", ms);
  return text;
}

// A list kept for a URL serves only certificates of its issuer (--client-crl-from may name one URL
// for several CAs).
bool issued_by(const crypto::VerifiedCrl& crl, X509* certificate) {
  return X509_NAME_cmp(X509_CRL_get_issuer(crl.crl.get()), X509_get_issuer_name(certificate)) == 0;
}

}  // namespace

Result<std::string> crl_url(X509* certificate, const std::optional<std::string>& given, std::string_view option) {
  if (given) return *given;
  if (auto point = crypto::crl_distribution_point(certificate)) return *point;
  return fail(AlertDescription::bad_certificate_status_response,
              "the certificate names no CRL distribution point; give " + std::string(option) + " URL");
}

awaitable<CrlCheck> fetch_crl(std::string url, const crypto::TrustStore& trust, X509* certificate,
                              std::optional<std::uint64_t> last_number, std::chrono::milliseconds deadline) {
  CrlCheck check;
  check.url = std::move(url);
  check.highest_before = last_number;
  HttpGetResponse response;
  try {
    response = co_await http_get(check.url, {deadline, 8 * 1024, crypto::max_crl_size, "the CRL URL"});
  } catch (const HttpGetError& e) {
    check.refused = std::string("fetching the CRL: ") + e.what();
    co_return check;
  }
  check.fetched_at = std::time(nullptr);
  check.fetch = CrlFetch{response.status, response.body.size(), response.content_type,
                         response.etag,   response.peer,        response.elapsed_ms};
  auto verified = crypto::verify_crl(response.body, trust, certificate, last_number, check.fetched_at);
  if (!verified) {
    check.refused = verified.failure().reason;
    co_return check;
  }
  check.crl = std::move(verified).value();
  co_return check;
}

Result<crypto::VerifiedStatus> crl_status(const CrlCheck& check, X509* certificate) {
  if (!check.crl) return fail(AlertDescription::bad_certificate_status_response, check.refused);
  crypto::VerifiedStatus status;
  status.answer = crypto::look_up(*check.crl, certificate);
  status.this_update = check.crl->this_update;
  status.next_update = check.crl->next_update;
  status.signer = check.crl->issuer;
  status.produced_at = check.crl->this_update;
  status.signature_algorithm = check.crl->signature_algorithm;
  return status;
}

std::vector<TraceField> crl_request_fields(const CrlCheck& check) {
  std::vector<TraceField> fields;
  fields.push_back({"URL", printable(check.url)});
  if (check.cached) {
    fields.push_back({"fetched", utc_time(check.fetched_at) + ", kept until its nextUpdate"});
  }
  fields.push_back({"names", "no certificate and no serial: every client fetches the same list"});
  if (check.highest_before) {
    fields.push_back({"highest number seen", std::to_string(*check.highest_before) + " (a lower one is refused)"});
  }
  return fields;
}

std::vector<TraceField> crl_response_fields(const CrlCheck& check) {
  std::vector<TraceField> fields;
  if (check.fetch) {
    const CrlFetch& fetch = *check.fetch;
    std::string http = std::to_string(fetch.status) + ", " + std::to_string(fetch.size) + " bytes";
    if (!fetch.content_type.empty()) http += " (" + fetch.content_type + ")";
    if (!fetch.etag.empty()) http += ", ETag " + fetch.etag;
    http += ", from " + fetch.peer + " in " + ms_text(fetch.elapsed_ms);
    fields.push_back({"HTTP", http});
  } else if (check.cached) {
    fields.push_back({"HTTP", "none: the list came from the cache"});
  }
  if (check.crl) {
    const crypto::VerifiedCrl& crl = *check.crl;
    fields.push_back({"CRL number", std::to_string(crl.number)});
    fields.push_back({"thisUpdate", utc_time(crl.this_update)});
    fields.push_back({"nextUpdate", utc_time(crl.next_update)});
    fields.push_back({"revoked serials", std::to_string(crl.revoked_count)});
    fields.push_back({"signature algorithm", crl.signature_algorithm, TraceColor::ca_key});
    fields.push_back({"signer", crl.issuer, TraceColor::ca_key});
    fields.push_back({"verified", "with the CA'S PUBLIC KEY from the local trust store", TraceColor::good});
  } else {
    fields.push_back({"REFUSED", check.refused, TraceColor::bad});
  }
  return fields;
}

std::vector<TraceField> crl_look_up_fields(X509* certificate, const Result<crypto::VerifiedStatus>& status) {
  std::vector<TraceField> fields;
  fields.push_back({"serial", crypto::serial_hex(certificate), TraceColor::certificate});
  if (!status) {
    fields.push_back({"result", status.failure().reason, TraceColor::bad});
    return fields;
  }
  const crypto::StatusAnswer& answer = status->answer;
  if (answer.status == crypto::CertStatus::revoked) {
    fields.push_back({"result",
                      "revoked " + utc_time(answer.revocation_time) + ", " +
                          std::string(crypto::revocation_reason_name(answer.revocation_reason)),
                      TraceColor::bad});
  } else {
    fields.push_back({"result", "good: not in the list", TraceColor::good});
  }
  return fields;
}

std::string crl_cached_words(const CrlCheck& check) {
  return "from the cache, fetched at " + utc_time(check.fetched_at) + ", valid until " +
         (check.crl ? utc_time(check.crl->next_update) : std::string("?"));
}

awaitable<CrlCheck> CrlMemo::check(const std::string& url, const crypto::TrustStore& trust, X509* certificate,
                                   std::chrono::milliseconds deadline) {
  std::time_t now = std::time(nullptr);
  std::optional<std::uint64_t> highest;
  {
    std::lock_guard lock(mutex_);
    if (auto kept = lists_.find(url); kept != lists_.end()) {
      if (issued_by(kept->second.crl, certificate) && crypto::check_crl_times(kept->second.crl, now)) {
        CrlCheck check;
        check.url = url;
        check.crl = kept->second.crl;
        check.fetched_at = kept->second.fetched_at;
        check.cached = true;
        co_return check;
      }
    }
    if (auto seen = highest_.find(url); seen != highest_.end()) highest = seen->second;
  }
  // Fetched without the lock: two connections may both fetch a stale list; the higher number stays.
  CrlCheck check = co_await fetch_crl(url, trust, certificate, highest, deadline);
  if (check.crl) {
    std::lock_guard lock(mutex_);
    std::uint64_t& top = highest_[url];
    if (check.crl->number >= top) {
      top = check.crl->number;
      lists_[url] = Kept{*check.crl, check.fetched_at};
    }
  }
  co_return check;
}

}  // namespace tlslab::net
