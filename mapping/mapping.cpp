#include "mapping/mapping.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include <rapidjson/document.h>

#include "mapping/family.hpp"
#include "protocol/json_document.hpp"

namespace meross::mapping {

std::string_view to_string(Component component) {
  switch (component) {
    case Component::Switch:
      return "switch";
    case Component::Light:
      return "light";
    case Component::Sensor:
      return "sensor";
    case Component::Cover:
      return "cover";
    case Component::Climate:
      return "climate";
    case Component::BinarySensor:
      return "binary_sensor";
    case Component::Number:
      return "number";
    case Component::Select:
      return "select";
    case Component::Button:
      return "button";
    case Component::Fan:
      return "fan";
  }
  return "sensor";
}

std::string_view to_string(Category category) {
  switch (category) {
    case Category::None:
      return "";
    case Category::Config:
      return "config";
    case Category::Diagnostic:
      return "diagnostic";
  }
  return "";
}

namespace detail {

std::string format_number(double value) {
  if (!std::isfinite(value)) return "0";
  // std::to_chars prints exactly what printf's "%.3f" prints, without the locale and format
  // parsing (measurable: three readings per Electricity PUSH). The text is cut at 63 characters
  // as the 64-byte snprintf buffer this replaces did (only for |value| > 1e59).
  char buffer[400];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 3).ptr;
  std::string_view text(buffer, std::min<std::size_t>(static_cast<std::size_t>(end - buffer), 63));
  while (!text.empty() && text.back() == '0')
    text.remove_suffix(1);
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text == "-0") text = "0";
  return std::string(text);
}

std::string format_scaled(std::int64_t value, int divisor) {
  // The quotient as a double, printed with "%.3f", is the exact quotient (a whole number of
  // thousandths) while it is below 2^42: its rounding error, at most half an ulp (2^-12), stays
  // under half a thousandth. Every real reading is far below; anything larger takes the double
  // path.
  constexpr std::int64_t kExact = std::int64_t{1} << 42;
  if (value <= -kExact || value >= kExact || (divisor != 10 && divisor != 1000)) {
    return format_number(static_cast<double>(value) / divisor);
  }
  const std::uint64_t magnitude =
      value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  const std::uint64_t thousandths = magnitude * static_cast<std::uint64_t>(1000 / divisor);
  char text[32];
  char* end = text;
  if (value < 0) *end++ = '-';
  end = std::to_chars(end, text + sizeof text, thousandths / 1000).ptr;
  if (std::uint64_t fraction = thousandths % 1000) {
    *end++ = '.';
    for (std::uint64_t digit = 100; fraction != 0; digit /= 10) {
      *end++ = static_cast<char>('0' + fraction / digit);
      fraction %= digit;
    }
  }
  return std::string(text, end);
}

Error wrong_type(std::string field, std::string_view expected, const JsonValue& value) {
  return Error{std::move(field), "expected " + std::string(expected) + ", got " +
                                     std::string(protocol::type_name(value))};
}

const JsonValue* member(const JsonValue& payload, std::string_view key) {
  return protocol::find_member(payload, key);
}

Result<std::optional<std::int64_t>> optional_int(const JsonValue& object, std::string_view name,
                                                 const std::string& path) {
  const JsonValue* value = protocol::find_member(object, name);
  if (!value || value->IsNull()) return std::optional<std::int64_t>{};
  const auto number = protocol::to_int(*value);
  if (!number) return wrong_type(path + "." + std::string(name), "an integer", *value);
  return std::optional<std::int64_t>{*number};
}

Result<std::optional<std::int64_t>> member_int(const JsonValue& payload, std::string_view object,
                                               std::string_view name) {
  const JsonValue* inner = member(payload, object);
  if (!inner) return std::optional<std::int64_t>{};
  if (!inner->IsObject()) return wrong_type(std::string(object), "an object", *inner);
  return optional_int(*inner, name, std::string(object));
}

Result<std::int64_t> bounded_int(const JsonValue& value, const std::string& field, std::int64_t lo,
                                 std::int64_t hi) {
  const auto number = protocol::to_int(value);
  if (!number || value.IsString()) return wrong_type(field, "an integer", value);
  if (*number < lo || *number > hi) {
    return Error{field, "out of range " + std::to_string(lo) + ".." + std::to_string(hi)};
  }
  return *number;
}

Result<std::int64_t> packed_rgb(const JsonValue& color) {
  if (!color.IsObject()) return wrong_type("color", "an object", color);
  std::int64_t rgb = 0;
  for (std::string_view channel : {"r", "g", "b"}) {
    const JsonValue* part = member(color, channel);
    if (!part) return Error{"color", "unsupported colour: expected r, g and b"};
    auto value = bounded_int(*part, "color." + std::string(channel), 0, 255);
    if (!value) return value.error();
    rgb = (rgb << 8) | *value;
  }
  return rgb;
}

Result<double> parse_number(std::string_view command, double lo, double hi) {
  command = trim(command);
  double value = 0;
  const auto [end, ec] = std::from_chars(command.data(), command.data() + command.size(), value);
  const Error error{"command",
                    "expected a number from " + format_number(lo) + " to " + format_number(hi)};
  if (command.empty() || ec != std::errc{} || end != command.data() + command.size() ||
      !std::isfinite(value)) {
    return error;
  }
  // HA sends what its own step gives, printed in decimal: allow for that rounding.
  constexpr double kSlack = 1e-9;
  if (value < lo - kSlack || value > hi + kSlack) return error;
  return value;
}

std::optional<int> channel_of(const JsonValue& item, int fallback) {
  const JsonValue* value = protocol::find_member(item, "channel");
  if (!value) return fallback;
  const auto channel = protocol::to_int(*value);
  if (!channel || protocol::is_all_channels(*channel) || *channel < 0 || *channel > 1000) {
    return std::nullopt;
  }
  return static_cast<int>(*channel);
}

std::string json_list(std::span<const std::string_view> items) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (auto item : items)
    str(w, item);
  w.EndArray();
  return buffer.GetString();
}

DeviceRequest channel_set(std::string ns, std::string_view outer, int channel,
                          std::string_view field, std::int64_t value) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, outer);
  w.StartObject();
  key(w, "channel");
  w.Int(channel);
  key(w, field);
  w.Int64(value);
  w.EndObject();
  w.EndObject();
  return DeviceRequest{Method::Set, std::move(ns), buffer.GetString()};
}

DeviceRequest get_request(std::string ns, std::string payload_json) {
  return DeviceRequest{Method::Get, std::move(ns), std::move(payload_json)};
}

Result<bool> parse_on_off(std::string_view command) {
  command = trim(command);
  if (command == "ON") return true;
  if (command == "OFF") return false;
  return Error{"command", "expected ON or OFF"};
}

bool legacy_toggle(const DeviceProfile& p) {
  if (p.legacy_layout && p.has_digest("toggle")) return true;
  return p.has_ability("Appliance.Control.Toggle") && digest_channels(p, "togglex").empty();
}

const std::vector<int>& electricityx_channels(const DeviceProfile& p) {
  // The Refoss-built em06 meters six circuits on channels 1..6 and reports an empty digest
  // (trace em06.json.txt).
  static const std::vector<int> kEm06{1, 2, 3, 4, 5, 6};
  static const std::vector<int> kNone;
  return p.type == "em06" ? kEm06 : kNone;
}

bool is_switch_channel(const DeviceProfile& p, int channel) {
  const auto& togglex = digest_channels(p, "togglex");
  if (std::find(togglex.begin(), togglex.end(), channel) == togglex.end()) return false;
  for (const Family* family : families()) {
    if (family->powers && family->powers(p, channel)) return false;
  }
  // Fans are not a family yet (issue 17): a digest.fan channel, or channel 0 of a fan ability
  // without that section (map100 purifier), drives the fan, not a switch.
  const auto& fans = digest_channels(p, "fan");
  if (std::find(fans.begin(), fans.end(), channel) != fans.end()) return false;
  return !(fans.empty() && p.has_ability("Appliance.Control.Fan") && channel == 0);
}

std::vector<int> switch_channels(const DeviceProfile& p) {
  std::vector<int> out;
  for (int c : digest_channels(p, "togglex")) {
    if (is_switch_channel(p, c)) out.push_back(c);
  }
  return out;
}

std::string key_of(std::string_view prefix, int channel) {
  char digits[12];
  const auto end = std::to_chars(digits, digits + sizeof digits, channel).ptr;
  std::string key;
  key.reserve(prefix.size() + static_cast<std::size_t>(end - digits));
  key.append(prefix).append(digits, end);
  return key;
}

Entity channel_entity(std::string_view prefix, int channel, Component component, bool numbered,
                      std::string_view name, std::string_view single_name) {
  Entity e;
  e.key = key_of(prefix, channel);
  e.component = component;
  if (numbered) {
    e.name = std::string(name) + " " + std::to_string(channel);
  } else {
    e.name = std::string(single_name.empty() ? name : single_name);
  }
  return e;
}

Entity category_entity(std::string key, Component component, std::string name, Category category) {
  Entity e;
  e.key = std::move(key);
  e.component = component;
  e.name = std::move(name);
  e.category = category;
  return e;
}

Entity config_switch(std::string key, std::string name) {
  Entity e = category_entity(std::move(key), Component::Switch, std::move(name), Category::Config);
  e.has_command = true;
  return e;
}

std::optional<int> channel_in_key(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = key.substr(prefix.size());
  int channel = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), channel);
  if (ec != std::errc{} || end != digits.data() + digits.size() || channel < 0) {
    return std::nullopt;
  }
  return channel;
}

const Family* family_reading(std::string_view ns) {
  for (const Family* family : families()) {
    for (std::string_view owned : family->namespaces) {
      if (owned == ns) return family;
    }
  }
  return nullptr;
}

}  // namespace detail

using namespace detail;

namespace {

// A select without a category is what a device is for (a diffuser's spray mode): beside it, a
// light is one thing of two and keeps its name.
bool is_primary(const Entity& e) {
  return e.category == Category::None &&
         (e.component == Component::Switch || e.component == Component::Light ||
          e.component == Component::Cover || e.component == Component::Climate ||
          e.component == Component::Fan || e.component == Component::Select);
}

// System.All: digest (or legacy control) states plus identity diagnostics.
std::optional<Error> system_all_states(const DeviceProfile& p, DeviceState& s,
                                       const JsonValue& payload, StateBatch& out) {
  const JsonValue* all = member(payload, "all");
  if (!all) all = &payload;
  if (!all->IsObject()) return wrong_type("all", "an object", *all);
  const JsonValue* digest = member(*all, "digest");
  if (!digest || !digest->IsObject()) digest = member(*all, "control");
  if (digest && digest->IsObject()) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const Family* family : families()) {
        for (const DigestSection& section : family->digest) {
          if (section.pass != pass) continue;
          if (const JsonValue* value = member(*digest, section.key)) {
            if (auto e = section.read(p, s, *value, out)) return e;
          }
        }
      }
    }
  }
  for (const Family* family : families()) {
    if (family->from_profile) family->from_profile(p, out);
  }
  return std::nullopt;
}

// One message can update an entity twice (a light's digest and its ToggleX channel); only the
// final state is worth publishing. Keeps the order of the last occurrences.
void keep_last_per_entity(std::vector<StateUpdate>& updates) {
  // In place: the kept ones move down over the dropped ones (never over one not yet compared).
  std::size_t kept = 0;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    bool later = false;
    for (std::size_t j = i + 1; j < updates.size() && !later; ++j) {
      later = updates[j].entity_key == updates[i].entity_key;
    }
    if (later) continue;
    if (kept != i) updates[kept] = std::move(updates[i]);
    ++kept;
  }
  updates.erase(updates.begin() + static_cast<std::ptrdiff_t>(kept), updates.end());
}

// Appliance.Control.Multiple: {"multiple":[{"header":{...},"payload":{...}},...]}; each inner
// answer is mapped as if it had come alone.
std::optional<Error> multiple_states(const DeviceProfile& p, DeviceState& s,
                                     const JsonValue& payload, const Context& ctx,
                                     StateBatch& out) {
  const JsonValue* list = member(payload, "multiple");
  if (!list) return std::nullopt;
  if (!list->IsArray()) return wrong_type("multiple", "a list", *list);
  rapidjson::SizeType index = 0;
  for (const auto& item : list->GetArray()) {
    const std::string path = "multiple[" + std::to_string(index++) + "]";
    const JsonValue* header = member(item, "header");
    const JsonValue* inner = member(item, "payload");
    if (!header || !header->IsObject() || !inner) {
      return Error{path, "expected an object with header and payload"};
    }
    const auto ns = protocol::string_member(*header, "namespace");
    const auto method_text = protocol::string_member(*header, "method");
    const auto method = method_text ? protocol::method_from_string(*method_text) : std::nullopt;
    if (!ns || !method) return Error{path + ".header", "expected namespace and method"};
    if (*ns == "Appliance.Control.Multiple") continue;  // no nesting
    auto batch = states_from(p, s, *ns, *method, *inner, ctx);
    if (!batch) return Error{path + "." + batch.error().field, batch.error().message};
    for (auto& u : batch->updates)
      out.updates.push_back(std::move(u));
    for (auto& e : batch->dropped)
      out.dropped.push_back(Error{path + "." + e.field, std::move(e.message)});
    out.entities_changed = out.entities_changed || batch->entities_changed;
    out.polls_changed = out.polls_changed || batch->polls_changed;
  }
  return std::nullopt;
}

}  // namespace

std::string sub_device_availability_key(std::string_view id) {
  std::string key(id);
  key += "_availability";
  return key;
}

std::vector<Entity> entities_for(const DeviceProfile& profile, const DeviceState& state) {
  std::vector<Entity> out;
  for (const Family* family : families()) {
    if (family->entities) family->entities(profile, state, out);
  }
  // has_entity_name: a device with a single main entity (a plug, a bulb, a one-door opener, a
  // valve behind a hub) shows it under the device's own name. Each sub-device is a device of its
  // own in Home Assistant, so the rule applies to each.
  std::map<std::string_view, int> primaries;
  for (const auto& e : out) {
    if (is_primary(e)) ++primaries[e.sub_device];
  }
  for (auto& e : out) {
    if (is_primary(e) && primaries[e.sub_device] == 1) e.name.reset();
  }
  return out;
}

Result<StateBatch> states_from(const DeviceProfile& profile, DeviceState& state,
                               std::string_view ns, Method method, const JsonValue& payload,
                               const Context& context) {
  StateBatch out;
  if (method != Method::GetAck && method != Method::SetAck && method != Method::Push) return out;
  if (!payload.IsObject()) return wrong_type("payload", "an object", payload);

  std::optional<Error> error;
  if (const Family* family = family_reading(ns)) {
    error = family->read(profile, state, ns, payload, context, out);
  } else if (ns == "Appliance.System.All") {
    error = system_all_states(profile, state, payload, out);
  } else if (ns == "Appliance.Control.Multiple") {
    error = multiple_states(profile, state, payload, context, out);
  }
  if (error) return *error;
  keep_last_per_entity(out.updates);
  return out;
}

Result<StateBatch> states_from(const DeviceProfile& profile, DeviceState& state,
                               std::string_view ns, Method method, std::string_view payload_json,
                               const Context& context) {
  const auto doc = protocol::JsonDocument::parse(payload_json, kMaxJsonNesting);
  if (doc.status() == protocol::JsonDocument::Status::TooDeep) {
    return Error{"payload", "nested too deeply"};
  }
  if (!doc.ok()) return Error{"payload", "not valid JSON"};
  return states_from(profile, state, ns, method, doc.root(), context);
}

Result<std::vector<DeviceRequest>> command_to_request(const DeviceProfile& profile,
                                                      const DeviceState& state,
                                                      std::string_view entity_key,
                                                      std::string_view command) {
  const Error unknown{"entity", "no commandable entity '" + std::string(entity_key) + "'"};
  // The family that created the entity takes its commands.
  std::vector<Entity> entities;
  bool found = false;
  for (const Family* family : families()) {
    if (!family->entities) continue;
    entities.clear();
    family->entities(profile, state, entities);
    const auto it = std::find_if(entities.begin(), entities.end(), [&](const Entity& e) {
      return (e.key == entity_key && e.has_command) ||
             std::find(e.command_keys.begin(), e.command_keys.end(), entity_key) !=
                 e.command_keys.end();
    });
    if (it == entities.end()) {
      if (std::any_of(entities.begin(), entities.end(),
                      [&](const Entity& e) { return e.key == entity_key; })) {
        return unknown;
      }
      continue;
    }
    if (family->keyed_command) return family->keyed_command(profile, state, entity_key, command);
    found = true;
    break;
  }
  if (!found) return unknown;
  for (const Family* family : families()) {
    if (!family->command) continue;
    const std::string_view prefix = family->command_key;
    if (!prefix.empty() && prefix.back() == '_') {
      if (auto c = channel_in_key(entity_key, prefix)) {
        return family->command(profile, state, *c, command);
      }
    } else if (!prefix.empty() && entity_key == prefix) {
      return family->command(profile, state, 0, command);
    }
  }
  return unknown;
}

std::vector<Poll> polls_for(const DeviceProfile& p, const DeviceState& s) {
  std::vector<Poll> out;
  // Grouped by kind, and within a kind the registry read backwards: every device's own polls
  // (diagnostics, last in the registry) before a family's extras such as the Light.Effect list.
  // This is the order the bridge has always asked in (its first round goes out in this order).
  const auto registry = families();
  for (auto it = registry.rbegin(); it != registry.rend(); ++it) {
    if ((*it)->polls) (*it)->polls(p, s, out);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Poll& a, const Poll& b) { return a.kind < b.kind; });
  return out;
}

}  // namespace meross::mapping
