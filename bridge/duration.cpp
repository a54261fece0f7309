#include "bridge/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace meross::bridge {
namespace {

constexpr std::int64_t kMsPerUnit[] = {86'400'000, 3'600'000, 60'000, 1'000, 1};
constexpr std::string_view kUnitNames[] = {"d", "h", "m", "s", "ms"};

std::optional<std::int64_t> unit_ms(std::string_view unit) {
  for (std::size_t i = 0; i < std::size(kUnitNames); ++i) {
    if (unit == kUnitNames[i]) return kMsPerUnit[i];
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (number > (std::numeric_limits<std::int64_t>::max() / 10) - 10) return std::nullopt;
      number = number * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) return std::nullopt;
    const std::size_t unit_start = i;
    while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z')))
      ++i;
    const auto ms = unit_ms(text.substr(unit_start, i - unit_start));
    if (!ms) return std::nullopt;
    if (number > std::numeric_limits<std::int64_t>::max() / *ms / 2) return std::nullopt;
    total += number * *ms;
    if (total > std::numeric_limits<std::int64_t>::max() / 2) return std::nullopt;
  }
  return Duration(total);
}

std::string format_duration(Duration duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms % 1000 != 0) return out + std::to_string(ms) + "ms";
  for (std::size_t i = 0; i + 1 < std::size(kMsPerUnit); ++i) {
    if (ms >= kMsPerUnit[i]) {
      out += std::to_string(ms / kMsPerUnit[i]) + std::string(kUnitNames[i]);
      ms %= kMsPerUnit[i];
    }
  }
  return out;
}

}  // namespace meross::bridge
