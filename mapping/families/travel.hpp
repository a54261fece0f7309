#pragma once

// What garage doors and roller shutters share while they travel: these devices send no PUSH when
// a commanded travel ends (meross_lan's emulator and many firmwares), so the bridge asks, every
// kTravelPollMs, for the device's travel time plus kPollGraceMs.

#include <algorithm>
#include <cstdint>

namespace meross::mapping::detail::travel {

// Without a configured travel time: meross_lan's longest transition.
inline constexpr std::int64_t kDefaultMs = 60'000;
inline constexpr int kPollMs = 1'000;
// Answers come late (request timeouts, retries): the fast poll lasts a little longer than the
// travel, so that its last answer finds it over.
inline constexpr int kPollGraceMs = 5'000;

// A configured travel time (ms) within what a door or shutter can take.
inline std::int64_t clamped_ms(std::int64_t ms) {
  return std::clamp<std::int64_t>(ms, 1'000, 120'000);
}

}  // namespace meross::mapping::detail::travel
