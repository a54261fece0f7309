#include "bridge/commands.hpp"

#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "bridge/config.hpp"
#include "bridge/daemon.hpp"
#include "bridge/inspect_command.hpp"
#include "bridge/logging.hpp"

namespace meross::bridge {
namespace {

int check_config(const std::string& file) {
  const auto loaded = load_config(file);
  if (!loaded.config) {
    std::fprintf(stderr, "meross-bridge: %s\n", loaded.error->describe().c_str());
    return 1;
  }
  std::fputs(effective_settings(*loaded.config).c_str(), stdout);
  // Valid (a device paired from its hotspot with no key signs with ""), but rarely meant.
  if (loaded.config->key.empty()) {
    std::fprintf(stderr,
                 "meross-bridge: note: [meross] key is empty; devices on the Meross app sign with "
                 "your account's key (`meross-bridge account --write-config FILE` stores it)\n");
  }
  if (const auto& web = loaded.config->web; !web.listen.empty()) {
    std::fprintf(stderr, "meross-bridge: web page on http://%s/ (%s%s)\n", web.listen.c_str(),
                 web.password.empty() ? "no password" : "password set",
                 web.ingress_only ? ", only Home Assistant's ingress and loopback" : "");
  }
  std::fprintf(stderr, "meross-bridge: %s is valid\n", file.c_str());
  return 0;
}

int run(const BridgeCommands& commands) {
  const auto loaded = load_config(commands.config_file);
  if (!loaded.config) {
    std::fprintf(stderr, "meross-bridge: %s\n", loaded.error->describe().c_str());
    return 1;
  }
  const std::string level_name =
      commands.log_level.empty() ? loaded.config->log_level : commands.log_level;
  const auto level = parse_log_level(level_name);
  if (!level) {
    std::fprintf(stderr, "meross-bridge: unknown log level '%s'\n", level_name.c_str());
    return 2;
  }
  init_logging(*level);
  std::unique_ptr<DaemonCompanion> web;
  if (!loaded.config->web.listen.empty()) {
    if (!commands.web) {
      std::fprintf(stderr, "meross-bridge: [web] listen is set but this build has no web page\n");
      return 1;
    }
    web = commands.web(*loaded.config);
  }
  return run_daemon(*loaded.config, web.get());
}

}  // namespace

std::unique_ptr<BridgeCommands> add_bridge_commands(CLI::App& app) {
  auto commands = std::make_unique<BridgeCommands>();
  commands->config_option =
      app.add_option("--config", commands->config_file, "run the bridge with this TOML file");
  app.add_option("--log-level", commands->log_level,
                 "trace, debug, info, warning, error (overrides [log] level)");
  commands->check_config = app.add_subcommand(
      "check-config", "validate a configuration file and print its effective settings");
  commands->check_config->add_option("FILE", commands->check_file, "the TOML file")->required();
  commands->inspect = app.add_subcommand(
      "inspect",
      "print the discovery messages a device would get, from a trace or System.All JSON");
  commands->inspect->add_option("FILE", commands->inspect_file, "trace (.csv, .json.txt) or JSON")
      ->required();
  app.require_subcommand(0, 1);
  return commands;
}

std::optional<int> run_bridge_commands(const CLI::App& app, const BridgeCommands& commands) {
  (void)app;
  if (commands.check_config->parsed()) return check_config(commands.check_file);
  if (commands.inspect->parsed()) return run_inspect(commands.inspect_file, std::cout, std::cerr);
  if (commands.config_option->count() > 0) return run(commands);
  return std::nullopt;
}

}  // namespace meross::bridge
