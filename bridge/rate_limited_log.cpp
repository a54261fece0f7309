#include "bridge/rate_limited_log.hpp"

#include <algorithm>
#include <utility>

namespace meross::bridge {

RateLimitedLog::RateLimitedLog(std::chrono::milliseconds interval, std::size_t budget,
                               std::size_t max_keys)
    : interval_(interval),
      budget_(std::max<std::size_t>(budget, 1)),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

void RateLimitedLog::forget_oldest() {
  // Pops stale elements until one removes a key: each element is popped once, O(1) amortised.
  while (!order_.empty()) {
    auto [when, key] = std::move(order_.front());
    order_.pop_front();
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.last != when) continue;  // logged again since
    unreported_ += it->second.suppressed;  // never said by its own key: said in the summary
    entries_.erase(it);
    return;
  }
}

void RateLimitedLog::forget_old(TimePoint now) {
  // A key quiet for two intervals is forgotten; its next line goes out as a first one.
  while (!order_.empty() && now - order_.front().first >= 2 * interval_) {
    const auto [when, key] = order_.front();
    const auto it = entries_.find(key);
    if (it != entries_.end() && it->second.last == when) {
      forget_oldest();
    } else {
      order_.pop_front();
    }
  }
}

std::optional<std::uint64_t> RateLimitedLog::allow(std::string_view key, TimePoint now) {
  forget_old(now);
  const std::string text(key);
  auto it = entries_.find(text);
  if (it != entries_.end() && now - it->second.last < interval_) {
    ++it->second.suppressed;
    ++held_back_;
    return std::nullopt;
  }
  // The overall budget, in fixed windows of one interval.
  if (!window_started_ || now - window_start_ >= interval_) {
    window_started_ = true;
    window_start_ = now;
    lines_in_window_ = 0;
    exhausted_noted_ = false;
  }
  if (lines_in_window_ >= budget_) {
    ++unreported_;
    ++held_back_;
    if (!exhausted_noted_) {
      exhausted_noted_ = true;
      exhausted_pending_ = true;
    }
    // Not remembered: the key's next line, in a later window, goes out as a first one.
    return std::nullopt;
  }
  ++lines_in_window_;
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) forget_oldest();
    it = entries_.emplace(text, Entry{}).first;
  }
  const auto suppressed = it->second.suppressed;
  it->second.last = now;
  it->second.suppressed = 0;
  order_.emplace_back(now, text);
  return suppressed;
}

std::optional<std::uint64_t> RateLimitedLog::take_summary(TimePoint now) {
  forget_old(now);
  if (unreported_ == 0) return std::nullopt;
  // Once the window that held them back is over, and at most once per interval.
  if (window_started_ && now - window_start_ < interval_) return std::nullopt;
  if (last_summary_ && now - *last_summary_ < interval_) return std::nullopt;
  last_summary_ = now;
  return std::exchange(unreported_, 0);
}

bool RateLimitedLog::take_budget_exhausted() {
  return std::exchange(exhausted_pending_, false);
}

}  // namespace meross::bridge
