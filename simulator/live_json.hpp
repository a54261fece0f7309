#pragma once

// Internal to simulator/: small helpers for the device's live state document (a rapidjson
// object, one member per family section) and for the payloads built from it.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
// An object of the integer members `members`, in their order (a family's seeded list element).
JsonValue int_object(std::initializer_list<std::pair<std::string_view, std::int64_t>> members,
                     Alloc& alloc);

// The array member `name` of `object` when it has an element; nullptr when it is empty, not an
// array, absent, or `object` is nullptr (a family's list of channels, doors, rollers).
template <class V>
V* filled_list(V* object, std::string_view name) {
  V* list = object ? member(*object, name) : nullptr;
  return list && list->IsArray() && !list->Empty() ? list : nullptr;
}

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
// Writes `"key":[<values>…]` into an object being written.
void write_values(Writer& w, std::string_view key, const std::vector<const JsonValue*>& values);

// The text of one JSON object, its members written by `write_members(w)`.
template <class F>
std::string object_text(F&& write_members) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  write_members(w);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

// Writes `"key":[…]` into an object being written: one object per element of `items` (an array's
// GetArray(), or a container), its members written by `write_item(element, w)`.
template <class Items, class F>
void write_list(Writer& w, std::string_view key, const Items& items, F&& write_item) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartArray();
  for (const auto& item : items) {
    w.StartObject();
    write_item(item, w);
    w.EndObject();
  }
  w.EndArray();
}

// Writes `"name":<the integer member name of state>` for each of `names` into an object being
// written: the firmware's answers copy integer fields of the live state.
void write_ints(Writer& w, const JsonValue& state, std::initializer_list<std::string_view> names);

// Copies the integer members `names` of each channel of `live` (nullptr: none) into the element
// of the same channel of the list all.digest.<key>: System.All reports the live state.
void copy_to_digest(const JsonValue* live, JsonValue& all, std::string_view key,
                    std::initializer_list<std::string_view> names, Alloc& alloc);

// A strict JSON integer (not a string, not a fraction), as firmware parses setpoints.
std::optional<std::int64_t> strict_int(const JsonValue& value);

}  // namespace meross::sim::detail
