// When the server's stapler asks the CA again (server/src/stapler.hpp, PROTOCOL.md §9.1), as pure
// functions of an answer's thisUpdate/nextUpdate, the time and the setbacks so far: no socket, no
// clock. The times in an answer are the CA's to choose; none of them may make the stapler spin:
// - a nextUpdate in 9999 overflowed the steady clock's time point, and the timer fired at once,
//   for ever (7.5 s of CPU in 10 s);
// - an answer already stale on arrival (a CA clock behind this server's) was asked for again every
//   100 ms (99 questions and 201 log lines in 10 s).
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>

#include "stapler.hpp"

namespace tlslab::server {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr std::time_t now = 1'800'000'000;                 // 2027-01-15, any fixed time will do
constexpr std::time_t year_9999_end = 253'402'300'799;     // 9999-12-31T23:59:59Z, GeneralizedTime's last second
constexpr std::time_t epoch = 0;                           // 1970-01-01T00:00:00Z
constexpr milliseconds refresh = std::chrono::minutes(5);  // --staple-refresh-ms's default
constexpr milliseconds longest = std::chrono::hours(24);   // no delay may exceed a day
const net::Clock::time_point steady_now{std::chrono::hours(1000)};  // a steady clock reading, not the clock

crypto::VerifiedStatus answer(std::time_t this_update, std::time_t next_update) {
  crypto::VerifiedStatus status;
  status.this_update = this_update;
  status.next_update = next_update;
  return status;
}

// How many questions the stapler asks in `window` of a CA whose answer to a question at `t` is
// `answer_at(t)`: the refresh loop, run on paper.
unsigned questions_in(std::chrono::seconds window,
                      const std::function<crypto::VerifiedStatus(std::time_t)>& answer_at) {
  unsigned questions = 0;
  unsigned setbacks = 0;
  for (milliseconds elapsed{0}; elapsed < window && questions < 100'000;) {
    std::time_t t = now + std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
    ++questions;
    RefreshPlan plan = plan_refresh(answer_at(t), t, setbacks, refresh);
    setbacks = plan.setbacks;
    elapsed += plan.delay;
  }
  return questions;
}

TEST(StaplerDelays, ANextUpdateInTheYear9999WakesNeitherAtOnceNorAfterMoreThanADay) {
  net::Clock::time_point wake = expiry_wake(steady_now, year_9999_end, now);
  EXPECT_GT(wake, steady_now) << "the time point overflowed: the timer would fire at once, for ever";
  EXPECT_LE(wake - steady_now, longest);
  for (std::time_t this_update : {now, epoch}) {
    RefreshPlan plan = plan_refresh(answer(this_update, year_9999_end), now, 0, refresh);
    EXPECT_EQ(plan.age, AnswerAge::fresh);
    EXPECT_EQ(plan.delay, refresh) << "at most the refresh interval, however far its half";
    EXPECT_EQ(plan.setbacks, 0u);
  }
}

TEST(StaplerDelays, ANextUpdateAtTheEpochIsStaleAndBacksOff) {
  net::Clock::time_point wake = expiry_wake(steady_now, epoch, now);
  EXPECT_GE(wake, steady_now) << "a wake in the past";
  EXPECT_LE(wake - steady_now, longest);
  RefreshPlan plan = plan_refresh(answer(epoch, epoch), now, 0, refresh);
  EXPECT_EQ(plan.age, AnswerAge::stale);
  EXPECT_EQ(plan.delay, retry_delay(1, refresh));
  EXPECT_EQ(plan.setbacks, 1u);
}

TEST(StaplerDelays, EveryDelayIsClampedWhateverTheRefreshInterval) {
  milliseconds year = std::chrono::hours(24 * 365);
  EXPECT_LE(plan_refresh(answer(now, year_9999_end), now, 0, year).delay, longest);
  EXPECT_LE(retry_delay(40, year), longest);
  EXPECT_GE(plan_refresh(answer(now, now + 1), now, 0, 0ms).delay, 100ms);
  EXPECT_GE(retry_delay(0, 0ms), 100ms);
}

TEST(StaplerDelays, AFreshAnswerIsAskedAgainAtHalfItsValidity) {
  RefreshPlan plan = plan_refresh(answer(now, now + 600), now, 7, std::chrono::minutes(10));
  EXPECT_EQ(plan.age, AnswerAge::fresh);
  EXPECT_EQ(plan.delay, 300s);
  EXPECT_EQ(plan.setbacks, 0u) << "a fresh answer ends the setbacks";
}

// A CA whose clock is 90 s behind, with --validity 60: every answer's nextUpdate has passed when it
// arrives (but by less than the 300 s of clock skew its verification allows).
TEST(StaplerDelays, AnAnswerStaleOnArrivalBacksOffAsAFailedFetch) {
  for (unsigned setbacks = 0; setbacks < 6; ++setbacks) {
    RefreshPlan plan = plan_refresh(answer(now - 90, now - 30), now, setbacks, refresh);
    EXPECT_EQ(plan.age, AnswerAge::stale);
    EXPECT_EQ(plan.delay, retry_delay(setbacks + 1, refresh)) << "after " << setbacks << " setbacks";
    EXPECT_EQ(plan.setbacks, setbacks + 1);
  }
}

TEST(StaplerDelays, ACaWhoseAnswersArriveStaleIsAskedFourTimesIn10Seconds) {
  unsigned questions = questions_in(10s, [](std::time_t t) { return answer(t - 90, t - 30); });
  EXPECT_LE(questions, 4u) << "at 0, 1, 3 and 7 s (it was 100: one every 100 ms)";
}

// A CA clock 200 s behind with --validity 300: each answer arrives with 100 s left, past its half.
TEST(StaplerDelays, ACaWhoseAnswersArriveLateIsAskedLessAndLessOften) {
  RefreshPlan first = plan_refresh(answer(now - 200, now + 100), now, 0, refresh);
  EXPECT_EQ(first.age, AnswerAge::late);
  EXPECT_EQ(first.delay, 100ms) << "one quick question: the CA may have had an old answer at hand";
  EXPECT_EQ(first.setbacks, 1u);
  RefreshPlan second = plan_refresh(answer(now - 200, now + 100), now, 1, refresh);
  EXPECT_EQ(second.delay, retry_delay(1, refresh));
  unsigned questions = questions_in(std::chrono::minutes(10), [](std::time_t t) { return answer(t - 200, t + 100); });
  EXPECT_LE(questions, 12u) << "100 ms, then 1, 2, 4 … s up to the refresh interval (it was one every 100 ms)";
}

}  // namespace
}  // namespace tlslab::server
