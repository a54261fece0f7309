#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace meross::bridge {

// "trace", "debug", "info", "warn"/"warning", "error", "critical", "off" → level.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

// Sets up the process-wide logger: one line per event on stderr, with time and level.
void init_logging(spdlog::level::level_enum level);

}  // namespace meross::bridge
