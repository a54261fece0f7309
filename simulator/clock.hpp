#pragma once

// The device's idea of local time: the time zone and DST table last set by System.Time
// (meross-protocol.md §3.6). Firmware state, shared with the families that count per local day.

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/time_rules.hpp"

namespace meross::sim {

struct DeviceClock {
  std::string timezone;
  std::vector<protocol::TimeRule> rules;

  // Seconds east of UTC at `utc_s` (0 without a zone).
  std::int32_t offset(std::int64_t utc_s) const;
  // "YYYY-MM-DD" in the device's zone.
  std::string local_date(std::int64_t utc_s) const;
  // {"timestamp":…,"timezone":…,"timeRule":[…]} as System.Time and System.All carry it.
  std::string time_object(std::int64_t now_ms) const;
};

}  // namespace meross::sim
