#pragma once

// The bridge's command line: `meross-bridge --config FILE` runs the daemon,
// `meross-bridge check-config FILE` validates a file and prints the effective settings.
// Other tools add their own subcommands to the same CLI::App.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace meross::bridge {

struct Config;
class DaemonCompanion;

struct BridgeCommands {
  std::string config_file;   // --config
  std::string log_level;     // --log-level ("" = from the config, else info)
  std::string check_file;    // check-config FILE
  std::string inspect_file;  // inspect FILE
  CLI::App* check_config = nullptr;
  CLI::App* inspect = nullptr;
  CLI::Option* config_option = nullptr;
  // Makes the web page (web/) for a configuration whose [web] listen is set; set by main.cpp, so
  // that bridge/ does not depend on web/.
  std::function<std::unique_ptr<DaemonCompanion>(const Config&)> web;
};

// Registers --config, --log-level and the check-config and inspect subcommands on `app`.
std::unique_ptr<BridgeCommands> add_bridge_commands(CLI::App& app);

// After app.parse(): runs check-config, inspect or the daemon if one was asked for; nullopt if none
// (another subcommand ran, or nothing was asked).
std::optional<int> run_bridge_commands(const CLI::App& app, const BridgeCommands& commands);

}  // namespace meross::bridge
