#pragma once

// Timezone and DST table for Appliance.System.Time (meross-protocol.md §3.6).
//
// A timeRule entry [utc_epoch, offset, isdst] means "from this UTC instant on, local time is
// UTC + offset seconds". The table starts with the transition in force at `now`, as the official
// app writes it, so the device knows its current offset without any other data.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/result.hpp"

namespace meross::protocol {

struct TimeRule {
  std::int64_t utc = 0;     // true UTC epoch seconds of the transition
  std::int32_t offset = 0;  // total UTC offset (standard + DST), signed seconds
  bool dst = false;

  bool operator==(const TimeRule&) const = default;
};

// The official app writes 20 entries (about ten years).
inline constexpr std::size_t kTimeRuleCount = 20;

// The table for IANA `zone` at instant `now`: the transition in force, then the following ones,
// `count` entries in all. A zone without DST yields one entry {now, offset, false}.
// An unknown zone is an Error naming it.
Result<std::vector<TimeRule>> build_time_rules(std::string_view zone, std::int64_t now,
                                               std::size_t count = kTimeRuleCount);

// Whether a device's timezone and table agree with `zone` at `now`: same zone name, same rule in
// force (offset and DST flag), and the same next transition. `reason` says what differs.
struct TimeAgreement {
  bool agrees = false;
  std::string reason;
};
Result<TimeAgreement> check_time_rules(std::string_view zone, std::string_view device_zone,
                                       std::span<const TimeRule> device_rules, std::int64_t now);

// Reads a timeRule JSON array ([[epoch, offset, isdst], ...]); malformed entries are an Error.
Result<std::vector<TimeRule>> parse_time_rules(const JsonValue& value);

// [[epoch,offset,isdst],...] — the timeRule array as devices send and expect it.
std::string time_rules_json(std::span<const TimeRule> rules);

// {"time":{"timezone":zone,"timeRule":[...]}} — the SET Appliance.System.Time payload.
std::string time_set_payload(std::string_view zone, std::span<const TimeRule> rules);

}  // namespace meross::protocol
