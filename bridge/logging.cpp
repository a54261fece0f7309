#include "bridge/logging.hpp"

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace meross::bridge {

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 3);
  for (char c : text.substr(0, max)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte > 0x7e) ? '?' : c;
  }
  if (text.size() > max) out += "...";
  return out;
}

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
