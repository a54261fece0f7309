#pragma once

// What garage doors and roller shutters share. While they travel: these devices send no PUSH
// when a commanded travel ends (meross_lan's emulator and many firmwares), so the bridge asks,
// every kTravelPollMs, for the device's travel time plus kPollGraceMs. Their settings: config
// items of switches and durations in ms (travel.cpp).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mapping/families.hpp"

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

// --- settings: the fields of a door's or shutter's config item (device-families.md §7.6/§7.7) --

// One field of a config item: a switch (0/1) or a duration the device keeps in ms and Home
// Assistant shows in s, within [lo, hi] by `step` (lo == hi == 0: a switch).
struct Setting {
  std::string_view key;    // the entity key's part: "buzzer" → "door_buzzer_1"
  std::string_view field;  // the item's member: "buzzerEnable"
  std::string_view name;   // "Buzzer"
  double lo = 0, hi = 0, step = 0;
  // Rarely changed (the relay's pulse): off by default in Home Assistant.
  bool enabled = true;
};

// A config switch or number (entity_category config) for `s`, keyed `key` and named `name`.
Entity setting_entity(const Setting& s, std::string key, std::string name);

// The states of the `settings` fields an item carries, as key_for(setting) names them; a field
// that is not an integer is an Error naming `path`.
template <class KeyOf>
std::optional<Error> read_settings(std::span<const Setting> settings, const JsonValue& item,
                                   const std::string& path, KeyOf&& key_for, StateBatch& out);

// The device value of Home Assistant's `command` for `s`: 1/0 for ON/OFF, ms for a number of s.
// Out of range, a fraction of a ms or no number: an Error, never clamped.
Result<std::int64_t> device_value(const Setting& s, std::string_view command);

// The SET of one field: {"config":{"channel":c,"<field>":v}} (no channel when nullopt), the
// item inside a list when `as_list` (MultipleConfig).
DeviceRequest config_set(std::string_view ns, std::optional<int> channel, bool as_list,
                         std::string_view field, std::int64_t value);

// The state text of device value `value`: "ON"/"OFF", or seconds.
std::string state_text(const Setting& s, std::int64_t value);

template <class KeyOf>
std::optional<Error> read_settings(std::span<const Setting> settings, const JsonValue& item,
                                   const std::string& path, KeyOf&& key_for, StateBatch& out) {
  for (const Setting& s : settings) {
    auto value = optional_int(item, s.field, path);
    if (!value) return value.error();
    if (*value) out.updates.push_back({key_for(s), state_text(s, **value)});
  }
  return std::nullopt;
}

}  // namespace meross::mapping::detail::travel
