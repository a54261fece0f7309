// meross-pair: the pairing tools: the device commands over HTTP (info, wifi, pair, call, scan,
// move, account) and the broker tools. `meross-bridge NAME ...` runs `meross-pair NAME ...` for the
// device commands, so that the daemon does not link libcurl; the broker tools are in both.

#include <CLI/CLI.hpp>

#include "pairing/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"meross-pair: pair Meross devices with your own MQTT broker"};
  app.require_subcommand(1);
  meross::pairing::add_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
