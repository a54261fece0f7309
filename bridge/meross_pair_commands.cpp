#include "bridge/meross_pair_commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "pairing/device_commands.hpp"

namespace meross::bridge {

namespace fs = std::filesystem;

bool is_meross_pair_command(const char* name) {
  return std::any_of(
      pairing::kDeviceCommands.begin(), pairing::kDeviceCommands.end(),
      [name](const auto& command) { return std::string_view(command.name) == name; });
}

std::string find_meross_pair() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const auto& path : {self.parent_path() / "meross-pair",
                           self.parent_path().parent_path() / "pairing/meross-pair"}) {
    if (::access(path.c_str(), X_OK) == 0) return path.lexically_normal().string();
  }
  return "";
}

int exec_meross_pair(int argc, char** argv) {
  std::string program = find_meross_pair();
  if (program.empty()) {
    std::cerr << "meross-bridge: " << argv[1]
              << " is run by meross-pair, which is installed next to meross-bridge; it is not "
                 "there\n";
    return 127;
  }
  std::vector<char*> args(argv, argv + argc + 1);  // argv[argc] is the terminating nullptr
  args[0] = program.data();
  ::execv(program.c_str(), args.data());
  std::cerr << "meross-bridge: cannot run " << program << ": " << std::strerror(errno) << "\n";
  return 126;
}

void add_meross_pair_commands(CLI::App& app) {
  for (const auto& command : pairing::kDeviceCommands) {
    auto* sub = app.add_subcommand(command.name, command.summary);
    // Its options are meross-pair's: let them all through to the callback's message.
    sub->prefix_command();
    sub->set_help_flag();
    sub->callback([name = std::string(command.name)] {
      std::cerr << "meross-bridge: give " << name << " first: meross-bridge " << name
                << " [OPTIONS] (it runs meross-pair " << name << ")\n";
      throw CLI::RuntimeError(2);
    });
  }
}

}  // namespace meross::bridge
