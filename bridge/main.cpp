// meross-bridge: runs Meross devices on a local MQTT broker for Home Assistant.

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "bridge/commands.hpp"
#include "pairing/commands.hpp"
#include "web/companion.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "meross-bridge: Meross devices in Home Assistant over a local MQTT broker, no cloud"};
  app.set_version_flag("--version", std::string("meross-bridge ") + MEROSS_VERSION);
  const auto bridge = meross::bridge::add_bridge_commands(app);
  bridge->web = meross::web::make_web_companion;
  // Pairing subcommands run inside the parse; a failure throws CLI::RuntimeError(code).
  meross::pairing::add_commands(app);
  CLI11_PARSE(app, argc, argv);

  if (const auto code = meross::bridge::run_bridge_commands(app, *bridge)) return *code;
  if (app.get_subcommands().empty()) {
    std::fputs("meross-bridge: nothing to do; run with --config FILE (see --help)\n", stderr);
    return 2;
  }
  return 0;
}
