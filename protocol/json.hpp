#pragma once

// Lenient readers for device JSON. Real firmware sends the same field with different shapes
// (meross-protocol.md §1.9): numbers as strings, a dict on one firmware and a list on the next,
// and channel sentinels meaning "all channels". These helpers absorb that once, here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace meross::protocol {

using JsonValue = rapidjson::Value;

// Channel values that mean "every channel" rather than a real channel number.
inline constexpr std::int64_t kAllChannels32 = 4294967295;
inline constexpr std::int64_t kAllChannels16 = 65535;
constexpr bool is_all_channels(std::int64_t channel) {
  return channel == kAllChannels32 || channel == kAllChannels16;
}

// The member `name` of an object, or nullptr when `object` is not an object or lacks it.
const JsonValue* find_member(const JsonValue& object, std::string_view name);

// An integer from a JSON integer, an integral double, or a decimal string ("12", "-3").
std::optional<std::int64_t> to_int(const JsonValue& value);
std::optional<std::int64_t> int_member(const JsonValue& object, std::string_view name);

// A string member; numbers are not turned into strings.
std::optional<std::string_view> string_member(const JsonValue& object, std::string_view name);

// JSON type name for error messages: "string", "integer", "object", ...
std::string_view type_name(const JsonValue& value);

// Calls `f(item)` for the object `value`, or for each object element of the array `value`.
// Devices answer the same namespace with `{...}` on old firmware and `[{...}]` on new firmware.
template <class F>
void for_each_object(const JsonValue& value, F&& f) {
  if (value.IsObject()) {
    f(value);
  } else if (value.IsArray()) {
    for (const auto& item : value.GetArray()) {
      if (item.IsObject()) f(item);
    }
  }
}

// RapidJSON parses recursively: deeply nested input would exhaust the stack. Real payloads nest
// fewer than ten levels; every parser of untrusted text checks this first (JsonDocument::parse
// with a depth limit enforces it while parsing, with the same outcome).
inline constexpr int kMaxJsonNesting = 64;
// Whether no object or array in `text` nests deeper than `max_depth` (strings are skipped).
bool json_nesting_at_most(std::string_view text, int max_depth = kMaxJsonNesting);

// Compact JSON text of a value.
std::string to_json(const JsonValue& value);

}  // namespace meross::protocol
