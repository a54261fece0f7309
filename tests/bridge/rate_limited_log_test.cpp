// RateLimitedLog: bounded per key and overall, bounded memory (issue 16, finding 7).
#include <boost/test/unit_test.hpp>

#include "bridge/rate_limited_log.hpp"

using namespace meross::bridge;
using namespace std::chrono_literals;

namespace {

const TimePoint kStart = TimePoint{} + 1000s;

std::string uuid_key(std::size_t i) {
  return "sign:" + std::to_string(1000000000 + i) + "0123456789abcdef0123";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limited_log)

BOOST_AUTO_TEST_CASE(one_line_per_key_per_interval_and_the_count_of_the_others) {
  RateLimitedLog log(1min, 50);
  BOOST_TEST(log.allow("a", kStart).value() == 0u);
  BOOST_TEST(!log.allow("a", kStart + 1s));
  BOOST_TEST(!log.allow("a", kStart + 59s));
  BOOST_TEST(log.allow("b", kStart + 2s).value() == 0u);   // another key is not held back
  BOOST_TEST(log.allow("a", kStart + 60s).value() == 2u);  // "2 more like this"
  BOOST_TEST(log.held_back() == 2u);
  BOOST_TEST(!log.take_summary(kStart + 5min));  // nothing held back by the overall budget
}

BOOST_AUTO_TEST_CASE(a_flood_of_distinct_keys_gives_a_bounded_number_of_lines_and_a_count) {
  // 25,000 bad-signature messages from 25,000 made-up uuids within one minute.
  RateLimitedLog log(1min, 50);
  std::size_t lines = 0;
  std::size_t exhausted_notes = 0;
  for (std::size_t i = 0; i < 25000; ++i) {
    const auto at = kStart + std::chrono::milliseconds(i);  // 25 s in all
    if (log.allow(uuid_key(i), at)) ++lines;
    if (log.take_budget_exhausted()) ++exhausted_notes;
    if (log.take_summary(at)) BOOST_FAIL("a summary before the minute is over");
  }
  BOOST_TEST(lines == 50u);
  BOOST_TEST(exhausted_notes == 1u);  // "holding further warnings back", once
  BOOST_TEST(log.keys() <= 50u);      // held-back keys are not remembered
  // Once the minute is over: one line with the count.
  BOOST_TEST(!log.take_summary(kStart + 59s));
  const auto summary = log.take_summary(kStart + 61s);
  BOOST_REQUIRE(summary);
  BOOST_TEST(*summary == 25000u - 50u);
  BOOST_TEST(!log.take_summary(kStart + 62s));  // said once
  BOOST_TEST(log.held_back() == 25000u - 50u);
}

BOOST_AUTO_TEST_CASE(a_long_flood_stays_within_the_budget_of_every_interval) {
  RateLimitedLog log(1min, 20);
  std::size_t lines = 0;
  std::size_t summaries = 0;
  std::uint64_t counted = 0;
  // Ten minutes, a message every 10 ms, each from a new key.
  for (std::size_t i = 0; i < 60000; ++i) {
    const auto at = kStart + std::chrono::milliseconds(10 * i);
    if (const auto held = log.take_summary(at)) {
      ++summaries;
      counted += *held;
    }
    if (log.allow(uuid_key(i), at)) ++lines;
    log.take_budget_exhausted();
  }
  BOOST_TEST(lines <= 20u * 11u);
  BOOST_TEST(summaries <= 11u);
  BOOST_TEST(summaries >= 9u);
  BOOST_TEST(counted + lines <= 60000u);
  BOOST_TEST(counted + lines >= 60000u - 6000u);  // all but the last minute counted already
}

BOOST_AUTO_TEST_CASE(memory_is_bounded_whatever_the_keys) {
  // Many keys, each logging once (a budget large enough for all): the least recently logged are
  // forgotten beyond max_keys, and what they held back goes into the summary.
  RateLimitedLog log(1min, 1000000, 100);
  for (std::size_t i = 0; i < 10000; ++i) {
    BOOST_REQUIRE(log.allow(uuid_key(i), kStart + std::chrono::milliseconds(i)));
    BOOST_REQUIRE(!log.allow(uuid_key(i), kStart + std::chrono::milliseconds(i)));
    BOOST_REQUIRE(log.keys() <= 100u);
  }
  const auto summary = log.take_summary(kStart + 2min);
  BOOST_REQUIRE(summary);
  BOOST_TEST(*summary >= 10000u - 100u);
  // Quiet keys are forgotten after two intervals.
  log.allow("late", kStart + 10min);
  BOOST_TEST(log.keys() == 1u);
}

BOOST_AUTO_TEST_CASE(a_key_logged_again_after_being_forgotten_starts_afresh) {
  RateLimitedLog log(1min, 10, 2);
  BOOST_TEST(log.allow("a", kStart).value() == 0u);
  BOOST_TEST(!log.allow("a", kStart + 1s));
  BOOST_TEST(log.allow("b", kStart + 2s).value() == 0u);
  BOOST_TEST(log.allow("c", kStart + 3s).value() == 0u);  // "a" forgotten (max 2 keys)
  BOOST_TEST(log.keys() == 2u);
  BOOST_TEST(log.allow("a", kStart + 4s).value() == 0u);  // a first line again
  // The line "a" held back is counted in the summary rather than lost.
  BOOST_TEST(log.take_summary(kStart + 2min).value_or(0) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
