// meross-bridge: runs Meross devices on a local MQTT broker for Home Assistant.

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "bridge/commands.hpp"
#include "bridge/meross_pair_commands.hpp"
#include "pairing/broker_commands.hpp"
#include "web/companion.hpp"

int main(int argc, char** argv) {
  // The device commands are meross-pair's, their arguments passed on untouched.
  if (argc > 1 && meross::bridge::is_meross_pair_command(argv[1])) {
    return meross::bridge::exec_meross_pair(argc, argv);
  }
  CLI::App app{
      "meross-bridge: Meross devices in Home Assistant over a local MQTT broker, no cloud"};
  app.set_version_flag("--version", std::string("meross-bridge ") + MEROSS_VERSION);
  const auto bridge = meross::bridge::add_bridge_commands(app);
  bridge->web = meross::web::make_web_companion;
  meross::bridge::add_meross_pair_commands(app);
  // The broker tools run inside the parse; a failure throws CLI::RuntimeError(code).
  meross::pairing::add_broker_commands(app);
  CLI11_PARSE(app, argc, argv);

  if (const auto code = meross::bridge::run_bridge_commands(app, *bridge)) return *code;
  if (app.get_subcommands().empty()) {
    std::fputs("meross-bridge: nothing to do; run with --config FILE (see --help)\n", stderr);
    return 2;
  }
  return 0;
}
