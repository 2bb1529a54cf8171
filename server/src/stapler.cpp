#include "stapler.hpp"

#include <algorithm>

#include "tlslab/describe.hpp"
#include "tlslab/net/status_client.hpp"
#include "tlslab/time.hpp"

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

}  // namespace

milliseconds refresh_delay(const crypto::VerifiedStatus& answer, std::time_t now, milliseconds refresh) {
  std::time_t half = answer.this_update + (answer.next_update - answer.this_update) / 2;
  milliseconds until_half = std::chrono::seconds(half - now);
  return std::max(std::min(until_half, refresh), milliseconds(100));
}

milliseconds retry_delay(unsigned failures, milliseconds refresh) {
  unsigned doublings = std::min(failures > 0 ? failures - 1 : 0u, 16u);
  milliseconds doubled(1000LL << doublings);
  return std::max(std::min(doubled, refresh), milliseconds(100));
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

void Stapler::keep(Staple staple, std::time_t now) {
  auto fresh = std::make_shared<const Staple>(std::move(staple));
  std::shared_ptr<const Staple> previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(staple_, fresh);
  }
  failures_ = 0;
  last_failure_.clear();
  next_delay_ = refresh_delay(fresh->status, now, options_.refresh);
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
    trace.arrow(*exchange.request_step, std::move(exchange.request_frame),
                [&] { return describe::status_request(exchange.request, identity_.certificate.get()); });
    auto verified = crypto::verify_ocsp_response(exchange.response.ocsp_response, *trust_, identity_.certificate.get(),
                                                 exchange.request.nonce);
    trace.arrow(
        *exchange.response_step, std::move(exchange.response_frame),
        [&] { return describe::status_response(exchange.response, verified); },
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
    std::string detail =
        "the CA says " + status_text(answer->status) + ", valid until " + utc_time(answer->status.next_update);
    keep(std::move(*answer), now);
    trace.outcome(true, "staple fetched", detail);
    co_return true;
  }
  ++failures_;
  last_failure_ = failure;
  next_delay_ = retry_delay(failures_, options_.refresh);
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
      wake = std::min(wake, net::Clock::now() + std::chrono::seconds(held->status.next_update - now + 1));
    }
    timer.expires_at(wake);
    co_await timer.async_wait(use_awaitable);
  }
}

}  // namespace tlslab::server
