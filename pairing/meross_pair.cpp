// meross-pair: the pairing and broker tools alone, for tests and manual runs. The same
// subcommands are part of `meross-bridge`.

#include <CLI/CLI.hpp>

#include "pairing/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"meross-pair: pair Meross devices with your own MQTT broker"};
  app.require_subcommand(1);
  meross::pairing::add_commands(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
