#pragma once

// How every meross-pair subcommand runs: its run_* function on the options CLI11 parsed, writing
// to the terminal; a non-zero exit code becomes the program's (CLI11 exits with it).

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

namespace meross::pairing {

inline void exit_with(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

// The subcommand callback that runs `command(*options, std::cout, std::cerr)`.
template <typename Command, typename Options>
auto run_command(Command command, std::shared_ptr<Options> options) {
  return [command, options] { exit_with(command(*options, std::cout, std::cerr)); };
}

}  // namespace meross::pairing
