#pragma once

// Waiting in end-to-end tests for something another process does: a test asserts on the
// outcome, never on how long it took.

#include <chrono>
#include <thread>

namespace meross::test {

// Polls `condition` every `interval` until it holds or `timeout` has passed (then asks once more);
// whether it held.
template <class F>
bool poll_until(F condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace meross::test
