#pragma once

// Durations in the configuration: "500ms", "30s", "5m", "1h", or several parts ("1m30s").

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace meross::bridge {

using Duration = std::chrono::milliseconds;

// nullopt for anything that is not one or more <digits><unit> parts (units ms, s, m, h, d).
std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact spelling: 300000ms → "5m", 1500ms → "1500ms", 90s → "1m30s".
std::string format_duration(Duration duration);

}  // namespace meross::bridge
