#include "bridge/rate_limited_log.hpp"

namespace meross::bridge {

std::optional<std::uint64_t> RateLimitedLog::allow(const std::string& key, TimePoint now) {
  // Bound memory if someone floods us with made-up keys: forget everything that is quiet.
  if (entries_.size() > 4096) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now - it->second.last >= interval_ ? entries_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && now - e.last < interval_) {
    ++e.suppressed;
    return std::nullopt;
  }
  const auto suppressed = e.suppressed;
  e.last = now;
  e.suppressed = 0;
  return suppressed;
}

}  // namespace meross::bridge
