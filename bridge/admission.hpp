#pragma once

// Admission of devices the bridge has never heard of (issue 16, item 4): a signed message from a
// new uuid costs a session, a SETACK, discovery requests with their retries and a retained
// availability topic. Anyone holding the key can make up uuids faster than that is paid for, so
// new devices are let in at a bounded rate (a token bucket) and in a bounded number while they are
// still being discovered. Devices of the configuration and devices already known (discovered
// before) never come through here: they are always served.
//
// Pure: fed `now`, no clock, no I/O; every call is O(1).

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "bridge/types.hpp"

namespace meross::bridge {

struct AdmissionLimits {
  // Sustained rate of new devices let in; a device refused now is let in when it speaks again
  // (firmware repeats its Bind until it is answered).
  double per_second = 100;
  // How many may come at once (the bucket's size): a fleet of new devices powered on together.
  std::size_t burst = 1000;
  // New devices still being discovered at once. A real device is discovered within a second and
  // leaves this count; a made-up uuid never answers and holds its place until it is dropped.
  std::size_t max_undiscovered = 1000;
};

class Admission {
 public:
  enum class Verdict : std::uint8_t { admitted, too_fast, too_many };

  explicit Admission(AdmissionLimits limits = {});

  // Whether a new device may have a session now, with `undiscovered` new devices still being
  // discovered. An admitted device takes one token.
  Verdict admit(TimePoint now, std::size_t undiscovered);

  const AdmissionLimits& limits() const { return limits_; }

 private:
  AdmissionLimits limits_;
  double tokens_;
  TimePoint last_{};
  bool started_ = false;
};

}  // namespace meross::bridge
