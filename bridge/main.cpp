// meross-bridge: runs Meross devices on a local MQTT broker for Home Assistant.

#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "bridge/logging.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "meross-bridge: Meross devices in Home Assistant over a local MQTT broker, no cloud"};
  app.set_version_flag("--version", std::string("meross-bridge ") + MEROSS_VERSION);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warning, error")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto level = meross::bridge::parse_log_level(log_level);
  if (!level) {
    std::fprintf(stderr, "meross-bridge: unknown log level '%s'\n", log_level.c_str());
    return 2;
  }
  meross::bridge::init_logging(*level);
  spdlog::info("meross-bridge {}: the daemon is not built yet; see --help", MEROSS_VERSION);
  return 0;
}
