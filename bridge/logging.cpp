#include "bridge/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace meross::bridge {

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "warning") return spdlog::level::warn;
  const auto level = spdlog::level::from_str(std::string(name));
  // from_str answers "off" for anything it does not know.
  if (level == spdlog::level::off && name != "off") return std::nullopt;
  return level;
}

void init_logging(spdlog::level::level_enum level) {
  auto logger = spdlog::stderr_color_mt("meross");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace meross::bridge
