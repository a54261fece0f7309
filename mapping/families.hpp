#pragma once

// Internal to mapping/: the small JSON helpers the families (families/*.cpp) share. Not part of
// the public API (see mapping.hpp); the family record itself is in family.hpp.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "mapping/mapping.hpp"
#include "protocol/text.hpp"

namespace meross::mapping::detail {

// --- shared helpers (mapping.cpp) -----------------------------------------------------------

// "12.345", "238", "0.5": at most three decimals, no trailing zeros.
std::string format_number(double value);
// format_number(value / divisor) for the unit conversions (divisor 10 or 1000), from the integer.
std::string format_scaled(std::int64_t value, int divisor);
inline std::string on_off(bool on) {
  return on ? "ON" : "OFF";
}
Error wrong_type(std::string field, std::string_view expected, const JsonValue& value);

// The member `key` of `payload`, or nullptr when absent (or `payload` is no object).
const JsonValue* member(const JsonValue& payload, std::string_view key);

// Calls f(item) for an object, or for each element of an array; an array element that is not an
// object, or a value that is neither, is an Error naming `field`.
template <class F>
std::optional<Error> for_each_item(const JsonValue& value, const std::string& field, F&& f) {
  if (value.IsObject()) {
    f(value);
    return std::nullopt;
  }
  if (!value.IsArray()) return wrong_type(field, "an object or a list", value);
  rapidjson::SizeType i = 0;
  for (const auto& item : value.GetArray()) {
    if (!item.IsObject()) {
      return wrong_type(field + "[" + std::to_string(i) + "]", "an object", item);
    }
    f(item);
    ++i;
  }
  return std::nullopt;
}

// for_each_item for readers that may fail: f(item, path) with path "<field>[<i>]" returns an
// Error or nullopt; the first Error ends the list (the items before it keep their states).
template <class F>
std::optional<Error> for_each_item_until_error(const JsonValue& value, const std::string& field,
                                               F&& f) {
  std::optional<Error> error;
  rapidjson::SizeType index = 0;
  auto e = for_each_item(value, field, [&](const JsonValue& item) {
    const std::string path = field + "[" + std::to_string(index++) + "]";
    if (!error) error = f(item, path);
  });
  return e ? e : error;
}

// An integer member that, when present, must be an integer (or a decimal string).
Result<std::optional<std::int64_t>> optional_int(const JsonValue& object, std::string_view name,
                                                 const std::string& path);

// payload.<object>.<name> as optional_int reads it, also nullopt when `object` is absent; an
// `object` that is no object is an Error.
Result<std::optional<std::int64_t>> member_int(const JsonValue& payload, std::string_view object,
                                               std::string_view name);

// A command's integer `value` (a JSON number, not a string) within [lo, hi], never clamped.
Result<std::int64_t> bounded_int(const JsonValue& value, const std::string& field, std::int64_t lo,
                                 std::int64_t hi);
// Home Assistant's {"r":..,"g":..,"b":..} colour packed as 0xRRGGBB.
Result<std::int64_t> packed_rgb(const JsonValue& color);

// Home Assistant's number `command` ("21.5", "-0.5") within [lo, hi]; "abc", "nan" and values
// out of range are refused, never clamped.
Result<double> parse_number(std::string_view command, double lo, double hi);

// The channel of an item, default 0; sentinels and negatives give nullopt.
std::optional<int> channel_of(const JsonValue& item, int fallback = 0);

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
inline void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
inline void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// ["a","b",…]: a select's options, a light's effect list.
std::string json_list(std::span<const std::string_view> items);

// A request whose payload is {"<outer>":{"channel":c,"<field>":v}}.
DeviceRequest channel_set(std::string ns, std::string_view outer, int channel,
                          std::string_view field, std::int64_t value);
DeviceRequest get_request(std::string ns, std::string payload_json);

// `text` without the white space around it (Home Assistant's commands may carry some).
using protocol::trim;
// Parses an "ON"/"OFF" style command (case-sensitive, surrounding whitespace ignored).
Result<bool> parse_on_off(std::string_view command);

std::string key_of(std::string_view prefix, int channel);
// The entity "<prefix><channel>" of a feature a device may have on several channels: named
// "<name> <channel>" when `numbered` (it has several), else `single_name`, by default `name`.
Entity channel_entity(std::string_view prefix, int channel, Component component, bool numbered,
                      std::string_view name, std::string_view single_name = {});
// An entity `name`d by the bridge, of `category` (None for the device's own function).
Entity category_entity(std::string key, Component component, std::string name, Category category);
// A device setting shown as a switch in the device's configuration ("LED", "Over-temperature
// protection"): a commandable Switch of Category::Config.
Entity config_switch(std::string key, std::string name);
// "switch_3" → 3 for prefix "switch_"; nullopt when the key does not have that shape.
std::optional<int> channel_in_key(std::string_view key, std::string_view prefix);

// --- what the device has, from its profile ---------------------------------------------------

// Channels of digest section `section` (togglex, light, garageDoor), sorted; empty when none.
inline const std::vector<int>& digest_channels(const DeviceProfile& p, std::string_view section) {
  return p.channels_in(section);
}
// Firmware with one relay and Appliance.Control.Toggle instead of ToggleX (all.control.toggle).
bool legacy_toggle(const DeviceProfile& p);
// Channels metered by Appliance.Control.ElectricityX: models that list them in no digest.
const std::vector<int>& electricityx_channels(const DeviceProfile& p);
// ToggleX channels that are plain switches: those no family says it powers (Family::powers).
std::vector<int> switch_channels(const DeviceProfile& p);
bool is_switch_channel(const DeviceProfile& p, int channel);

// --- shared between families ---------------------------------------------------------------

// light.cpp: the state-topic JSON of a light channel (ToggleX powers lights: toggle.cpp).
std::string light_state_json(const DeviceProfile& p, const DeviceState& s, int channel);
// fan.cpp: ToggleX channel `channel` powers a fan (map100 0, mfc100 2): its state, and true;
// false when the channel is no fan's.
bool fan_togglex(const DeviceProfile& p, DeviceState& s, int channel, int onoff, StateBatch& out);

}  // namespace meross::mapping::detail
