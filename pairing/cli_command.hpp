#pragma once

// How every meross-pair subcommand runs: its run_* function on the options CLI11 parsed, writing
// to the terminal; a non-zero exit code becomes the program's (CLI11 exits with it).

#include <iostream>
#include <memory>
#include <string_view>

#include <CLI/CLI.hpp>

#include "protocol/result.hpp"

namespace meross::pairing {

// Says what failed on `err`; returns a command's exit code for it.
inline int fail(std::ostream& err, std::string_view what, const protocol::Error& error) {
  err << "error: " << what << ": " << error.describe() << "\n";
  return 1;
}

inline void exit_with(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

// The subcommand callback that runs `command(*options, std::cout, std::cerr)`.
template <typename Command, typename Options>
auto run_command(Command command, std::shared_ptr<Options> options) {
  return [command, options] { exit_with(command(*options, std::cout, std::cerr)); };
}

}  // namespace meross::pairing
