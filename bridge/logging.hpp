#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace meross::bridge {

// "trace", "debug", "info", "warn"/"warning", "error", "critical", "off" → level.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Text we did not choose (topics, namespaces, device strings) made safe for one log line: control
// and non-ASCII bytes become '?' (no forged lines, no terminal escapes) and it is cut at `max`.
std::string printable(std::string_view text, std::size_t max = 64);

// Sets up the process-wide logger: one line per event on stderr, with time and level.
void init_logging(spdlog::level::level_enum level);

}  // namespace meross::bridge
