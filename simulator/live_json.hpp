#pragma once

// Internal to simulator/: small helpers for the device's live state document (a rapidjson
// object, one member per family section) and for the payloads built from it.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json.hpp"

namespace meross::sim::detail {

using protocol::JsonValue;
using Alloc = rapidjson::Document::AllocatorType;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline rapidjson::GenericStringRef<char> ref(std::string_view s) {
  return rapidjson::StringRef(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// The member `name`, or nullptr when absent or `object` is not an object.
JsonValue* member(JsonValue& object, std::string_view name);
const JsonValue* member(const JsonValue& object, std::string_view name);
// Sets (adds or replaces) the member `name` of the object `object`.
void set(JsonValue& object, std::string_view name, JsonValue value, Alloc& alloc);
inline void set_int(JsonValue& object, std::string_view name, std::int64_t value, Alloc& alloc) {
  set(object, name, JsonValue(value), alloc);
}
void set_string(JsonValue& object, std::string_view name, std::string_view value, Alloc& alloc);
// The member `name`, added as an empty value of `type` when absent.
JsonValue& ensure(JsonValue& object, std::string_view name, rapidjson::Type type, Alloc& alloc);
// An integer member (lenient, protocol::to_int), `fallback` when absent or not an integer.
std::int64_t int_of(const JsonValue& object, std::string_view name, std::int64_t fallback = 0);
JsonValue copy_of(const JsonValue& value, Alloc& alloc);

// The element of the array `list` whose "channel" is `channel` / whose "id" is `id`.
JsonValue* find_channel(JsonValue& list, std::int64_t channel);
const JsonValue* find_channel(const JsonValue& list, std::int64_t channel);
JsonValue* find_id(JsonValue& list, std::string_view id);
const JsonValue* find_id(const JsonValue& list, std::string_view id);

// The objects of a payload member: the value itself when it is an object, each object of an
// array otherwise (firmware takes both shapes for most SETs).
std::vector<const JsonValue*> items_of(const JsonValue* value);

// A request item's "channel": `fallback` when absent, nullopt when not an integer.
std::optional<std::int64_t> channel_of(const JsonValue& item, std::int64_t fallback);

// A JSON object parsed from text; nullopt when the text is not one.
std::optional<rapidjson::Document> parse_object(std::string_view text);

// {"<key>":<value>} and {"<key>":[<items>...]}.
std::string wrap(std::string_view key, const JsonValue& value);
std::string wrap_list(std::string_view key, const std::vector<const JsonValue*>& items);

// Writes `"name":value` into an object being written.
void write_member(Writer& w, std::string_view name, const JsonValue& value);

// Writes `"name":<the integer member name of state>` for each of `names` into an object being
// written: the firmware's answers copy integer fields of the live state.
void write_ints(Writer& w, const JsonValue& state, std::initializer_list<std::string_view> names);

// A strict JSON integer (not a string, not a fraction), as firmware parses setpoints.
std::optional<std::int64_t> strict_int(const JsonValue& value);

}  // namespace meross::sim::detail
