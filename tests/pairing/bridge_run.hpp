#pragma once

// Runs the meross-bridge binary of this build (MEROSS_BRIDGE_BIN, from the test's RUNS in CMake)
// as a user runs its subcommands, for the end-to-end tests of account, scan, move and the rest.
#include <chrono>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "support/child_process.hpp"

namespace meross::test {

// How one run of meross-bridge ended, and everything it printed.
struct BridgeRun {
  int code = -1;
  std::string output;
};

// Runs `meross-bridge args...` with nothing on its stdin; the test stops when it has not exited
// within two minutes.
inline BridgeRun run_bridge(std::vector<std::string> args) {
  args.insert(args.begin(), MEROSS_BRIDGE_BIN);
  ChildProcess child(args);
  child.close_stdin();
  const auto code = child.wait_exit(std::chrono::seconds(120));
  BOOST_REQUIRE_MESSAGE(code.has_value(), "meross-bridge did not exit: " + child.output());
  return {*code, child.output()};
}

}  // namespace meross::test
