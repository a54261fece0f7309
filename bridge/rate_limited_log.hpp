#pragma once

// Lets a repeated warning through at most once per interval per key (e.g. per device), and says
// how many were held back in between.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "bridge/types.hpp"

namespace meross::bridge {

class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::minutes(1))
      : interval_(interval) {}

  // nullopt: stay quiet. Otherwise log now; the value is how many were suppressed since the last.
  std::optional<std::uint64_t> allow(const std::string& key, TimePoint now);

 private:
  struct Entry {
    TimePoint last{};
    std::uint64_t suppressed = 0;
  };
  std::chrono::milliseconds interval_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace meross::bridge
