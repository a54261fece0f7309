#pragma once

// Bounds what repeated warnings can do to the log, per key and overall:
//  - per key (a device, a topic, a kind of input): one line per interval, and the next one says
//    how many were held back in between;
//  - overall: at most `budget` lines per interval across all keys, so that a flood of made-up
//    keys (25,000 uuids each sending one bad message) gives a bounded number of lines; what the
//    budget holds back is counted and reported by take_summary() once per interval.
// Every call is O(1) amortised, and memory is bounded: at most `max_keys` keys are remembered,
// the least recently logged ones are forgotten first (a key is also forgotten two intervals after
// its last line).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/types.hpp"

namespace meross::bridge {

class RateLimitedLog {
 public:
  static constexpr std::size_t kDefaultBudget = 50;  // lines per interval, all keys together
  static constexpr std::size_t kDefaultMaxKeys = 4096;

  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::minutes(1),
                          std::size_t budget = kDefaultBudget,
                          std::size_t max_keys = kDefaultMaxKeys);

  // nullopt: stay quiet (this key logged within the interval, or the overall budget is spent).
  // Otherwise log now; the value is how many lines of this key were held back since its last.
  std::optional<std::uint64_t> allow(std::string_view key, TimePoint now);

  // How many lines the overall budget held back (plus those of keys forgotten before they could
  // say so) since the last summary, at most once per interval; nullopt when there is nothing to
  // report yet. Log it as one line ("N more warnings held back").
  std::optional<std::uint64_t> take_summary(TimePoint now);

  // Whether allow() just refused a line for the first time in this interval because of the
  // overall budget: log one line saying that further warnings are held back (then cleared).
  bool take_budget_exhausted();

  std::chrono::milliseconds interval() const { return interval_; }
  std::size_t budget() const { return budget_; }
  std::size_t keys() const { return entries_.size(); }
  // Every line held back so far, by either rule.
  std::uint64_t held_back() const { return held_back_; }

 private:
  struct Entry {
    TimePoint last{};
    std::uint64_t suppressed = 0;
  };
  void forget_old(TimePoint now);
  void forget_oldest();

  std::chrono::milliseconds interval_;
  std::size_t budget_;
  std::size_t max_keys_;
  std::unordered_map<std::string, Entry> entries_;
  // (time of a line, its key) in the order the lines were logged: the oldest at the front. An
  // entry logged again later has a newer element too; the older one is skipped when it comes up.
  std::deque<std::pair<TimePoint, std::string>> order_;

  TimePoint window_start_{};
  bool window_started_ = false;
  std::size_t lines_in_window_ = 0;
  bool exhausted_noted_ = false;
  bool exhausted_pending_ = false;
  std::uint64_t unreported_ = 0;  // held back by the budget or forgotten, not summarized yet
  std::optional<TimePoint> last_summary_;
  std::uint64_t held_back_ = 0;
};

}  // namespace meross::bridge
