// The door and shutter settings travel.hpp declares: shared by garage_door.cpp and
// roller_shutter.cpp, whose config items hold switches and durations in ms alike.

#include <cmath>

#include "mapping/families/travel.hpp"

namespace meross::mapping::detail::travel {
namespace {

constexpr std::string_view kSeconds = "s";

bool is_switch(const Setting& s) {
  return s.lo == 0 && s.hi == 0;
}

}  // namespace

Entity setting_entity(const Setting& s, std::string key, std::string name) {
  Entity e;
  e.key = std::move(key);
  e.component = is_switch(s) ? Component::Switch : Component::Number;
  e.name.emplace(std::move(name));
  e.category = Category::Config;
  e.enabled_by_default = s.enabled;
  e.has_command = true;
  if (!is_switch(s)) {
    e.unit = std::string(kSeconds);
    e.options = {{"min", format_number(s.lo)},
                 {"max", format_number(s.hi)},
                 {"step", format_number(s.step)},
                 {"mode", "\"box\""}};
  }
  return e;
}

Result<std::int64_t> device_value(const Setting& s, std::string_view command) {
  if (is_switch(s)) {
    auto on = parse_on_off(command);
    if (!on) return on.error();
    return *on ? 1 : 0;
  }
  auto seconds = parse_number(command, s.lo, s.hi);
  if (!seconds) return seconds.error();
  const double ms = *seconds * 1000;
  const auto whole = std::llround(ms);
  // The device keeps whole ms: 1.0005 s is not a value it can take.
  if (std::abs(ms - static_cast<double>(whole)) > 1e-6) {
    return Error{"command", "expected a multiple of 0.001"};
  }
  return static_cast<std::int64_t>(whole);
}

DeviceRequest config_set(std::string_view ns, std::optional<int> channel, bool as_list,
                         std::string_view field, std::int64_t value) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  key(w, "config");
  if (as_list) w.StartArray();
  w.StartObject();
  if (channel) {
    key(w, "channel");
    w.Int(*channel);
  }
  key(w, field);
  w.Int64(value);
  w.EndObject();
  if (as_list) w.EndArray();
  w.EndObject();
  return DeviceRequest{Method::Set, std::string(ns), b.GetString()};
}

std::string state_text(const Setting& s, std::int64_t value) {
  return is_switch(s) ? on_off(value != 0) : format_scaled(value, 1000);
}

}  // namespace meross::mapping::detail::travel
