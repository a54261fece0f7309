#pragma once

// meross-bridge's device commands (info, wifi, pair, call, scan, move, account:
// pairing/device_commands.hpp) are meross-pair's: meross-bridge lists them in its --help and runs
// them by exec'ing meross-pair with the same arguments, so that the daemon does not link libcurl
// and the dozen libraries it brings (docs/architecture.md, "Memory").

#include <string>

namespace CLI {
class App;
}

namespace meross::bridge {

// Whether `meross-bridge NAME ...` is a device command, handed to meross-pair before any parsing.
bool is_meross_pair_command(const char* name);

// Replaces this process with `meross-pair argv[1] argv[2] ...` (stdin, stdout, stderr and the
// environment are kept). Returns only when it could not: the exit code, the reason said on stderr.
int exec_meross_pair(int argc, char** argv);

// Lists the device commands on `app` for --help. Reached only when something comes before the
// command's name (`meross-bridge --log-level debug pair`): it says to put the name first.
void add_meross_pair_commands(CLI::App& app);

// meross-pair next to this program (/proc/self/exe), else in a build tree (bridge/../pairing/);
// "" when neither is there.
std::string find_meross_pair();

}  // namespace meross::bridge
