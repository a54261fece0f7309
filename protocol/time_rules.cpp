#include "protocol/time_rules.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include <date/tz.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace meross::protocol {
namespace {

using date::sys_seconds;
using std::chrono::seconds;

// date reports "no further transitions" with an end far in the future; anything past this year
// is treated as none.
constexpr std::int64_t kNoTransitionAfter = 253402300800;  // 10000-01-01T00:00:00Z

Result<const date::time_zone*> locate(std::string_view zone) {
  if (zone.empty()) return Error{"timezone", "no time zone given"};
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return Error{"timezone", "unknown time zone '" + std::string(zone) + "'"};
  }
}

std::int64_t epoch(sys_seconds t) {
  return t.time_since_epoch().count();
}

// The DST flag as Meross writes it: of two alternating rules, the one with the larger offset.
// tzdata marks Europe/Dublin's winter (GMT) as the DST period ("negative DST"), and the compiled
// zone files keep only that flag; the official app still marks Irish summer time as DST.
bool is_dst(const date::sys_info& info, const date::sys_info& neighbour) {
  const bool flagged = info.save.count() != 0;
  if (flagged == (neighbour.save.count() != 0)) return flagged;
  return info.offset > neighbour.offset;
}

TimeRule rule_of(const date::sys_info& info, const date::sys_info& neighbour) {
  return TimeRule{epoch(info.begin), static_cast<std::int32_t>(info.offset.count()),
                  is_dst(info, neighbour)};
}

bool same_rule(const date::sys_info& a, const date::sys_info& b) {
  return a.offset == b.offset && a.save == b.save;
}

// The next real change of offset or DST flag after `info` (abbreviation-only changes skipped).
std::optional<date::sys_info> next_change(const date::time_zone& tz, date::sys_info info) {
  const date::sys_info current = info;
  while (epoch(info.end) < kNoTransitionAfter) {
    info = tz.get_info(info.end);
    if (!same_rule(info, current)) return info;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<TimeRule>> build_time_rules(std::string_view zone, std::int64_t now,
                                               std::size_t count) {
  auto tz = locate(zone);
  if (!tz) return tz.error();
  std::vector<TimeRule> rules;
  if (count == 0) return rules;

  const date::sys_info in_force = (*tz)->get_info(sys_seconds{seconds{now}});
  std::optional<date::sys_info> next = next_change(**tz, in_force);
  if (!next) {
    rules.push_back(TimeRule{now, static_cast<std::int32_t>(in_force.offset.count()), false});
    return rules;
  }
  // One change more than asked for: the last rule's DST flag compares it with its successor.
  std::vector<date::sys_info> changes{in_force};
  while (changes.size() <= count && next) {
    changes.push_back(*next);
    next = next_change(**tz, *next);
  }
  const std::size_t emitted = std::min(count, changes.size());
  rules.reserve(emitted);
  for (std::size_t i = 0; i < emitted; ++i) {
    const date::sys_info& neighbour = changes[i + 1 < changes.size() ? i + 1 : i - 1];
    rules.push_back(rule_of(changes[i], neighbour));
  }
  return rules;
}

Result<TimeAgreement> check_time_rules(std::string_view zone, std::string_view device_zone,
                                       std::span<const TimeRule> device_rules, std::int64_t now) {
  auto expected = build_time_rules(zone, now, 2);
  if (!expected) return expected.error();
  if (device_zone != zone) {
    return TimeAgreement{false, "device timezone '" + std::string(device_zone) +
                                    "' differs from '" + std::string(zone) + "'"};
  }

  // The device's rule in force is the last entry at or before now; the next is the one after.
  const TimeRule* in_force = nullptr;
  const TimeRule* following = nullptr;
  for (const TimeRule& rule : device_rules) {
    if (rule.utc <= now) {
      in_force = &rule;
    } else if (!following || rule.utc < following->utc) {
      following = &rule;
    }
  }
  const TimeRule& want_now = expected->front();
  if (!in_force) return TimeAgreement{false, "device has no rule in force now"};
  if (in_force->offset != want_now.offset || in_force->dst != want_now.dst) {
    return TimeAgreement{false, "rule in force has offset " + std::to_string(in_force->offset) +
                                    " dst " + std::to_string(in_force->dst) + ", expected " +
                                    std::to_string(want_now.offset) + " dst " +
                                    std::to_string(want_now.dst)};
  }
  if (expected->size() > 1) {
    const TimeRule& want_next = (*expected)[1];
    if (!following) return TimeAgreement{false, "device has no next transition"};
    if (!(*following == want_next)) {
      return TimeAgreement{false, "next transition is [" + std::to_string(following->utc) + "," +
                                      std::to_string(following->offset) + "], expected [" +
                                      std::to_string(want_next.utc) + "," +
                                      std::to_string(want_next.offset) + "]"};
    }
  } else if (following && (following->offset != want_now.offset || following->dst)) {
    return TimeAgreement{false, "device expects a transition the zone does not have"};
  }
  return TimeAgreement{true, {}};
}

Result<std::vector<TimeRule>> parse_time_rules(const JsonValue& value) {
  if (!value.IsArray()) return Error{"timeRule", "expected an array"};
  std::vector<TimeRule> rules;
  rules.reserve(value.Size());
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    const JsonValue& entry = value[i];
    const std::string field = "timeRule[" + std::to_string(i) + "]";
    if (!entry.IsArray() || entry.Size() < 3) {
      return Error{field, "expected [epoch, offset, isdst]"};
    }
    const auto utc = to_int(entry[0]);
    const auto offset = to_int(entry[1]);
    const auto dst = to_int(entry[2]);
    if (!utc || !offset || !dst) return Error{field, "expected three integers"};
    rules.push_back(TimeRule{*utc, static_cast<std::int32_t>(*offset), *dst != 0});
  }
  return rules;
}

std::string time_rules_json(std::span<const TimeRule> rules) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const TimeRule& rule : rules) {
    w.StartArray();
    w.Int64(rule.utc);
    w.Int(rule.offset);
    w.Int(rule.dst ? 1 : 0);
    w.EndArray();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string time_set_payload(std::string_view zone, std::span<const TimeRule> rules) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("time");
  w.StartObject();
  w.Key("timezone");
  w.String(zone.data(), static_cast<rapidjson::SizeType>(zone.size()));
  w.Key("timeRule");
  const std::string table = time_rules_json(rules);
  w.RawValue(table.data(), table.size(), rapidjson::kArrayType);
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace meross::protocol
