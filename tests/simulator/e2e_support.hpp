#pragma once

// Shared by the simulator's end-to-end tests (sim_e2e_test.cpp, local_api_e2e_test.cpp): the
// fleet's key and the clock a bridge stamps its requests with.

#include <chrono>
#include <cstdint>

namespace meross::sim_test::e2e {

inline constexpr const char* kKey = "e2e-key";

inline std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace meross::sim_test::e2e
