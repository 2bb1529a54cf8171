#include "stapler.hpp"

#include <algorithm>

#include "tlslab/describe.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/time.hpp"
#include "tlslab/trace/facts_of.hpp"

namespace tlslab::server {
namespace {

using std::chrono::milliseconds;

std::string status_text(const crypto::VerifiedStatus& status) {
  std::string text(crypto::to_string(status.answer.status));
  if (status.answer.status == crypto::CertStatus::revoked) {
    text += " (" + std::string(crypto::revocation_reason_name(status.answer.revocation_reason)) + ", at " +
            utc_time(status.answer.revocation_time) + ")";
  }
  return text;
}

std::string seconds_text(milliseconds delay) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(delay.count()) / 1000.0);
  return text;
}

milliseconds clamped(milliseconds delay) {
  return std::clamp(delay, shortest_delay, longest_delay);
}

// From `from` to `to`, 0 when `to` has passed, at most longest_delay: computed in seconds, where
// times of GeneralizedTime (years 0000 to 9999) cannot overflow, then bounded.
milliseconds seconds_from(std::time_t from, std::time_t to) {
  constexpr std::time_t longest_seconds = std::chrono::duration_cast<std::chrono::seconds>(longest_delay).count();
  if (to <= from) return milliseconds(0);
  return std::chrono::seconds(std::min<std::time_t>(to - from, longest_seconds));
}

std::time_t half_of_validity(const crypto::VerifiedStatus& answer) {
  return answer.this_update + (answer.next_update - answer.this_update) / 2;
}

}  // namespace

milliseconds retry_delay(unsigned failures, milliseconds refresh) {
  unsigned doublings = std::min(failures > 0 ? failures - 1 : 0u, 16u);
  milliseconds doubled(1000LL << doublings);
  return clamped(std::min(doubled, refresh));
}

AnswerAge answer_age(const crypto::VerifiedStatus& answer, std::time_t now) {
  if (answer.next_update < now) return AnswerAge::stale;
  return now < half_of_validity(answer) ? AnswerAge::fresh : AnswerAge::late;
}

RefreshPlan plan_refresh(const crypto::VerifiedStatus& answer, std::time_t now, unsigned setbacks,
                         milliseconds refresh) {
  switch (answer_age(answer, now)) {
    case AnswerAge::fresh:
      return {AnswerAge::fresh, clamped(std::min(seconds_from(now, half_of_validity(answer)), refresh)), 0};
    case AnswerAge::late:
      return {AnswerAge::late, setbacks == 0 ? shortest_delay : retry_delay(setbacks, refresh), setbacks + 1};
    case AnswerAge::stale: break;
  }
  return {AnswerAge::stale, retry_delay(setbacks + 1, refresh), setbacks + 1};
}

milliseconds refresh_delay(const crypto::VerifiedStatus& answer, std::time_t now, milliseconds refresh) {
  return plan_refresh(answer, now, 0, refresh).delay;
}

net::Clock::time_point expiry_wake(net::Clock::time_point steady_now, std::time_t next_update, std::time_t now) {
  // A second past nextUpdate (its grain), so that the staple has expired when the timer fires.
  return steady_now + std::min(seconds_from(now, next_update) + std::chrono::seconds(1), longest_delay);
}

Stapler::Stapler(const ServerIdentity& identity, std::shared_ptr<const crypto::TrustStore> trust,
                 StaplerOptions options, Trace& trace, std::shared_ptr<spdlog::logger> log)
    : identity_(identity), trust_(std::move(trust)), options_(options), trace_(trace), log_(std::move(log)) {
  // §2: the ServerHello must fit one frame: its 46 bytes of header and fixed fields, the
  // CERTIFICATE and SERVER'S PUBLIC KEY, room for the other extensions (a key share signed with
  // RSA-4096 is under 600 bytes) and the staple's own 6 bytes of type and lengths.
  std::size_t taken = 46 + identity.certificate_der.size() + identity.public_key_der.size() + 1024 + 6;
  max_staple_size_ = taken < max_plaintext ? max_plaintext - taken : 0;
}

std::shared_ptr<const Staple> Stapler::current(std::time_t now) const {
  std::lock_guard lock(mutex_);
  if (!staple_ || staple_->status.next_update < now) return nullptr;
  return staple_;
}

void Stapler::keep(Staple staple) {
  auto fresh = std::make_shared<const Staple>(std::move(staple));
  std::shared_ptr<const Staple> previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(staple_, fresh);
  }
  last_failure_.clear();
  const auto& status = fresh->status;
  std::string validity = "thisUpdate " + utc_time(status.this_update) + ", nextUpdate " + utc_time(status.next_update);
  if (previous && previous->status.answer.status != status.answer.status) {
    // The CA says the certificate changed (revoked, say): the new answer is stapled from now on.
    log_->warn(
        "staple: the CA says the certificate changed: {} → {}; stapling the new answer at once ({}); next "
        "refresh in {}",
        status_text(previous->status), status_text(status), validity, seconds_text(next_delay_));
  } else if (previous) {
    log_->info("staple refreshed: the CA says {} ({}); next refresh in {}", status_text(status), validity,
               seconds_text(next_delay_));
  } else {
    log_->info(
        "staple: the CA says {} about serial {} ({}); stapled into every ServerHello that asks; next refresh "
        "in {}",
        status_text(status), identity_.serial, validity, seconds_text(next_delay_));
  }
}

void Stapler::explain(const crypto::VerifiedStatus& answer, AnswerAge age, std::time_t now) {
  if (explained_) {
    log_->debug("staple: the CA's answer arrived {} again (thisUpdate {}, nextUpdate {}); next question in {}",
                age == AnswerAge::stale ? "stale" : "late", utc_time(answer.this_update), utc_time(answer.next_update),
                seconds_text(next_delay_));
    return;
  }
  explained_ = true;
  // Said once: the cause is the CA's clock (or its answers signed ahead of time), not this server,
  // and asking again at once would not help.
  if (age == AnswerAge::stale) {
    log_->warn(
        "staple: the CA's answers arrive already stale (thisUpdate {}, nextUpdate {}, {} s before this server's "
        "clock): the CA's clock is probably {} s behind this one's, more than its --validity; not stapling them, "
        "asking again as after a failure (next in {}, then less and less often)",
        utc_time(answer.this_update), utc_time(answer.next_update), now - answer.next_update, now - answer.this_update,
        seconds_text(next_delay_));
  } else {
    log_->warn(
        "staple: the CA's answers arrive past half their validity (thisUpdate {}, nextUpdate {}, {} s left): the "
        "CA's clock is probably {} s behind this one's, or it hands out old answers; stapling them, asking again "
        "less and less often (next in {}), not every 100 ms",
        utc_time(answer.this_update), utc_time(answer.next_update), answer.next_update - now, now - answer.this_update,
        seconds_text(next_delay_));
  }
}

void Stapler::expire(std::time_t now) {
  std::shared_ptr<const Staple> expired;
  {
    std::lock_guard lock(mutex_);
    if (!staple_ || staple_->status.next_update >= now) return;
    expired = std::exchange(staple_, nullptr);
  }
  log_->warn(
      "stopped stapling: the CA's answer of {} expired at {} and the CA has not answered since ({}); "
      "ServerHellos carry no staple until it does",
      utc_time(expired->status.this_update), utc_time(expired->status.next_update),
      last_failure_.empty() ? "no answer yet" : last_failure_);
}

awaitable<bool> Stapler::refresh_once() {
  SessionTrace trace(trace_, 0);  // the server's own session with the CA: connection 0
  net::StatusClient ca_service(options_.ca_service, options_.timeouts, trace.enabled(), StatusQuestion::staple);
  std::optional<Staple> answer;
  std::string failure;
  try {
    // (3) Server → CA: its own CERTIFICATE, with a nonce of its own; (4) CA → Server: the signed
    // answer, checked as a client would check it (§9 steps 1–6) before it is stapled.
    net::StatusExchange exchange = co_await ca_service.query(identity_.certificate_der);
    trace.arrow(*exchange.request_step, std::move(exchange.request_frame), [&] {
      return Described{describe::status_request(exchange.request, identity_.certificate.get()),
                       facts_of::status_request(exchange.request)};
    });
    auto verified = crypto::verify_ocsp_response(exchange.response.ocsp_response, *trust_, identity_.certificate.get(),
                                                 exchange.request.nonce);
    trace.arrow(
        *exchange.response_step, std::move(exchange.response_frame),
        [&] {
          return Described{describe::status_response(exchange.response, verified),
                           facts_of::status_response(exchange.response.ocsp_response, verified)};
        },
        describe::status_response_words(verified ? std::optional(verified->answer.status) : std::nullopt,
                                        Party::server));
    if (!verified) {
      failure = "the CA's answer does not check (" + verified.failure().reason + ")";
    } else if (exchange.response.ocsp_response.size() > max_staple_size_) {
      failure = "the CA's answer takes " + std::to_string(exchange.response.ocsp_response.size()) +
                " bytes: with the CERTIFICATE it would not fit one ServerHello frame";
    } else {
      answer = Staple{std::move(exchange.response.ocsp_response), std::move(verified).value()};
    }
  } catch (const ProtocolError& error) {
    failure = error.what();
  } catch (const std::exception& error) {
    // Whatever went wrong with one question, the server goes on serving (with its staple while it
    // is valid) and asks again: a refresh must never stop it.
    failure = std::string("the question to the CA failed: ") + error.what();
  }
  ca_service.close();
  std::time_t now = std::time(nullptr);
  if (answer) {
    RefreshPlan plan = plan_refresh(answer->status, now, setbacks_, options_.refresh);
    setbacks_ = plan.setbacks;
    next_delay_ = plan.delay;
    if (plan.age == AnswerAge::fresh) explained_ = false;
    if (plan.age != AnswerAge::fresh) explain(answer->status, plan.age, now);
    if (plan.age != AnswerAge::stale) {
      std::string detail =
          "the CA says " + status_text(answer->status) + ", valid until " + utc_time(answer->status.next_update);
      keep(std::move(*answer));
      trace.outcome(true, "staple fetched", detail);
      co_return true;
    }
    // Already expired: a failed fetch, explained once above rather than warned about each time.
    last_failure_ = "its answer was stale on arrival (nextUpdate " + utc_time(answer->status.next_update) + ")";
    trace.outcome(false, "staple not refreshed", last_failure_);
    co_return false;
  }
  ++setbacks_;
  last_failure_ = failure;
  next_delay_ = retry_delay(setbacks_, options_.refresh);
  if (auto held = current(now)) {
    log_->warn("staple refresh failed: {}; still stapling the CA's answer of {} (valid until {}); retrying in {}",
               failure, utc_time(held->status.this_update), utc_time(held->status.next_update),
               seconds_text(next_delay_));
  } else {
    log_->warn("no staple: {}; ServerHellos carry none until the CA answers; retrying in {}", failure,
               seconds_text(next_delay_));
  }
  trace.outcome(false, "staple not refreshed", failure);
  co_return false;
}

void Stapler::start() {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, refresh_once(), [&](std::exception_ptr error, bool) { failure = error; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

awaitable<void> Stapler::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto next_attempt = net::Clock::now() + next_delay_;
  for (;;) {
    if (net::Clock::now() >= next_attempt) {
      co_await refresh_once();
      next_attempt = net::Clock::now() + next_delay_;
    }
    std::time_t now = std::time(nullptr);
    expire(now);
    auto wake = next_attempt;
    if (auto held = current(now)) {
      // Wake when the held staple expires too, to stop stapling it and say so.
      wake = std::min(wake, expiry_wake(net::Clock::now(), held->status.next_update, now));
    }
    timer.expires_at(wake);
    co_await timer.async_wait(use_awaitable);
  }
}

}  // namespace tlslab::server
