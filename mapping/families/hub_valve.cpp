// Hub radiator valves mts100 / mts100v3 / mts150 / mts150p (device-families.md §2.3): a
// `climate` per valve (modes off/heat = Hub.ToggleX, presets = Hub.Mts100.Mode, target =
// currentSet, current = room, action from `heating`), its open-window binary_sensor, the
// Hub.Mts100.Adjust offset and the three preset setpoints as numbers. Temperatures are tenths of
// a degree, the offset hundredths.
//
// The climate reads and writes through keys of its own (hub.hpp: "<id>_<suffix>"):
//   <id>_mode    "off" / "heat"           <id>_preset  "comfort", …
//   <id>_target  the setpoint (°C)        <id>_room    the measured temperature (°C)
//   <id>_action  "off" / "heating" / "idle"

#include <cmath>
#include <string>

#include "mapping/families/hub.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail::hub {
namespace {

constexpr int kTenths = 10;
constexpr int kHundredths = 100;  // Hub.Mts100.Adjust
// meross_lan's limits until the valve reports its own (min/max, tenths).
constexpr std::int64_t kDefaultMin = 50;
constexpr std::int64_t kDefaultMax = 350;
constexpr double kAdjustRange = 5;  // ±5 °C, as meross_lan

namespace ns = meross::protocol::ns;

// Hub.Mts100.Mode state ↔ preset, with meross_lan's names (device-families.md §2.3).
struct Preset {
  std::int64_t mode;
  std::string_view name;
};
constexpr std::int64_t kCustom = 0;
constexpr Preset kPresets[] = {
    {kCustom, "custom"}, {1, "comfort"}, {2, "sleep"}, {4, "away"}, {3, "auto"}};

// The presets' setpoints: their Hub.Mts100.Temperature field is also their number's key suffix.
struct Setpoint {
  std::string_view field;
  std::string_view name;
};
constexpr Setpoint kSetpoints[] = {{"comfort", "Comfort temperature"},
                                   {"economy", "Sleep temperature"},
                                   {"away", "Away temperature"}};

// Hub.Mts100.Temperature fields published as they are (tenths of a degree), and where.
struct Published {
  std::string_view field;
  std::string_view suffix;
};
constexpr Published kPublished[] = {{"room", "room"},
                                    {"currentSet", "target"},
                                    {"comfort", "comfort"},
                                    {"economy", "economy"},
                                    {"away", "away"}};

std::pair<std::int64_t, std::int64_t> limits(const DeviceState& s, std::string_view id) {
  return {recall(s, id, "min").value_or(kDefaultMin), recall(s, id, "max").value_or(kDefaultMax)};
}

// "\"{state_topic:<id>_<suffix>}\"": another key's topic in a discovery option (mapping.hpp).
std::string topic_of(std::string_view which, const SubDevice& sub, std::string_view suffix) {
  return "\"{" + std::string(which) + ":" + key(sub.id, suffix) + "}\"";
}

std::string preset_names() {
  protocol::JsonStringWriter w;
  w.StartArray();
  for (const auto& preset : kPresets)
    w.string(preset.name);
  w.EndArray();
  return w.take();
}

// The climate action follows the power and the valve's own `heating`.
void publish_action(Reader& r, const SubDevice& sub) {
  const auto onoff = recall(r.state, sub.id, "onoff");
  if (!onoff) return;
  if (*onoff == 0) return r.publish(sub.id, "action", "off");
  if (const auto heating = recall(r.state, sub.id, "heating")) {
    r.publish(sub.id, "action", *heating != 0 ? "heating" : "idle");
  }
}

void set_onoff(Reader& r, const SubDevice& sub, std::int64_t onoff) {
  remember(r.state, sub.id, "onoff", onoff != 0 ? 1 : 0);
  r.publish(sub.id, "mode", onoff != 0 ? "heat" : "off");
  publish_action(r, sub);
}

void set_mode(Reader& r, const SubDevice& sub, std::int64_t mode, const std::string& path) {
  for (const auto& preset : kPresets) {
    if (preset.mode != mode) continue;
    remember(r.state, sub.id, "mode", mode);
    return r.publish(sub.id, "preset", std::string(preset.name));
  }
  r.drop(path, "unknown mode " + std::to_string(mode));
}

void read_temperature(Reader& r, const SubDevice& sub, const JsonValue& t,
                      const std::string& path) {
  for (const auto& field : kPublished) {
    if (auto v = r.integer(t, field.field, path)) {
      r.publish(sub.id, field.suffix, scaled(*v, kTenths));
    }
  }
  if (auto window = r.integer(t, "openWindow", path)) {
    r.publish(sub.id, "window", on_off(*window != 0));
  }
  if (auto heating = r.integer(t, "heating", path)) {
    remember(r.state, sub.id, "heating", *heating != 0 ? 1 : 0);
    publish_action(r, sub);
  }
  // The limits are in the climate's and the setpoints' discovery: a change re-announces them.
  const auto min = r.integer(t, "min", path);
  const auto max = r.integer(t, "max", path);
  if (!min && !max) return;
  const auto [old_min, old_max] = limits(r.state, sub.id);
  const std::int64_t new_min = min.value_or(old_min), new_max = max.value_or(old_max);
  if (new_min >= new_max) return r.drop(path + ".min", "not below max");
  if (new_min == old_min && new_max == old_max) return;
  remember(r.state, sub.id, "min", new_min);
  remember(r.state, sub.id, "max", new_max);
  r.out.entities_changed = true;
}

// Calls f(member, its path) with the object member `name` of `parent`, when present (another
// type is dropped).
template <class F>
void with_object(Reader& r, const JsonValue& parent, std::string_view name, const std::string& path,
                 F&& f) {
  if (const JsonValue* object = r.object(parent, name, path)) {
    f(*object, path + "." + std::string(name));
  }
}

}  // namespace

void valve_entities(const DeviceState& s, const SubDevice& sub, std::vector<Entity>& out) {
  const auto [min, max] = limits(s, sub.id);
  const double min_c = static_cast<double>(min) / kTenths;
  const double max_c = static_cast<double>(max) / kTenths;

  Entity climate;
  climate.key = key(sub.id, "climate");
  climate.component = Component::Climate;
  climate.name = "Thermostat";  // the valve's only main entity: shown under the device's name
  climate.command_keys = {key(sub.id, "mode"), key(sub.id, "target"), key(sub.id, "preset")};
  climate.options = {
      {"modes", R"(["off","heat"])"},
      {"mode_state_topic", topic_of("state_topic", sub, "mode")},
      {"mode_command_topic", topic_of("command_topic", sub, "mode")},
      {"temperature_state_topic", topic_of("state_topic", sub, "target")},
      {"temperature_command_topic", topic_of("command_topic", sub, "target")},
      {"current_temperature_topic", topic_of("state_topic", sub, "room")},
      {"action_topic", topic_of("state_topic", sub, "action")},
      {"preset_modes", preset_names()},
      {"preset_mode_state_topic", topic_of("state_topic", sub, "preset")},
      {"preset_mode_command_topic", topic_of("command_topic", sub, "preset")},
      {"min_temp", format_number(min_c)},
      {"max_temp", format_number(max_c)},
      {"temp_step", "0.5"},
      {"precision", "0.1"},
      {"temperature_unit", "\"C\""},
  };
  out.push_back(std::move(climate));

  Entity window;
  window.key = key(sub.id, "window");
  window.component = Component::BinarySensor;
  window.name = "Window";
  window.device_class = "window";
  out.push_back(std::move(window));

  // An offset, not a temperature: with device_class temperature Home Assistant would convert
  // it like one for °F users (0.5 °C shown as 32.9 °F). The thermostats' calibration agrees.
  out.push_back(number_entity(sub, "adjust", "Adjust temperature", "", "°C", -kAdjustRange,
                              kAdjustRange, 0.5));
  for (const auto& setpoint : kSetpoints) {
    out.push_back(number_entity(sub, setpoint.field, std::string(setpoint.name), "temperature",
                                "°C", min_c, max_c, 0.5));
  }
}

void valve_digest(Reader& r, const SubDevice& sub, const JsonValue& item,
                  const JsonValue& type_object, const std::string& path) {
  // The digest item's `onoff` is the Hub.ToggleX state; the type object carries the mode and,
  // on mts150, the setpoint.
  if (auto onoff = r.integer(item, "onoff", path)) set_onoff(r, sub, *onoff);
  if (auto mode = r.integer(type_object, "mode", path)) set_mode(r, sub, *mode, path + ".mode");
  if (auto target = r.integer(type_object, "currentSet", path)) {
    r.publish(sub.id, "target", scaled(*target, kTenths));
  }
}

void valve_togglex(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                   const std::string& path) {
  // Other sub-devices report an onoff too; it switches nothing there (§2.2, §2.6).
  if (type_of(sub).kind != Kind::Valve) return;
  if (auto onoff = r.integer(item, "onoff", path)) set_onoff(r, sub, *onoff);
}

void valve_all(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
               const std::string& path) {
  if (type_of(sub).kind != Kind::Valve || !r.online_member(sub, item, path)) return;
  with_object(r, item, "togglex", path, [&](const JsonValue& o, const std::string& p) {
    if (auto onoff = r.integer(o, "onoff", p)) set_onoff(r, sub, *onoff);
  });
  with_object(r, item, "mode", path, [&](const JsonValue& o, const std::string& p) {
    if (auto mode = r.integer(o, "state", p)) set_mode(r, sub, *mode, p + ".state");
  });
  with_object(r, item, "temperature", path,
              [&](const JsonValue& o, const std::string& p) { read_temperature(r, sub, o, p); });
}

void valve_temperature(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                       const std::string& path) {
  // PUSHes carry only what changed ({"id":…,"currentSet":205}).
  if (type_of(sub).kind == Kind::Valve) read_temperature(r, sub, item, path);
}

void valve_mode(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                const std::string& path) {
  if (type_of(sub).kind != Kind::Valve) return;
  if (auto mode = r.integer(item, "state", path)) set_mode(r, sub, *mode, path + ".state");
}

void valve_adjust(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                  const std::string& path) {
  if (type_of(sub).kind != Kind::Valve) return;
  if (auto adjust = r.integer(item, "temperature", path)) {
    r.publish(sub.id, "adjust", scaled(*adjust, kHundredths));
  }
}

// Every command reads the valve back whole (Mts100.All: power, mode and temperatures), as the
// Mode and ToggleX SETACKs carry nothing.
Result<std::vector<DeviceRequest>> valve_command(const DeviceState& s, const SubDevice& sub,
                                                 std::string_view suffix,
                                                 std::string_view command) {
  const std::string_view id = sub.id;
  std::vector<DeviceRequest> out;
  const auto [min, max] = limits(s, id);
  const auto tenths = [](double celsius) { return std::llround(celsius * kTenths); };
  if (suffix == "mode") {
    const std::string_view mode = trim(command);
    if (mode != "off" && mode != "heat") return Error{"command", "expected off or heat"};
    out.push_back(hub_set(ns::kHubToggleX, "togglex", id, "onoff", mode == "heat" ? 1 : 0));
  } else if (suffix == "preset") {
    std::string_view name = trim(command);
    // HA offers "none" besides the presets: no preset is the manual setpoint.
    if (name == "none") name = "custom";
    const Preset* preset = nullptr;
    for (const auto& p : kPresets) {
      if (p.name == name) preset = &p;
    }
    if (!preset) return Error{"command", "unknown preset '" + std::string(name) + "'"};
    out.push_back(hub_set(ns::kHubMts100Mode, "mode", id, "state", preset->mode));
    // A preset is asked for to heat by it (meross_lan): switch an off valve on.
    if (recall(s, id, "onoff") != 1)
      out.push_back(hub_set(ns::kHubToggleX, "togglex", id, "onoff", 1));
  } else if (suffix == "target") {
    auto celsius = parse_number(command, static_cast<double>(min) / kTenths,
                                static_cast<double>(max) / kTenths);
    if (!celsius) return celsius.error();
    // The valve follows `custom` only in the custom mode: switch to it first (meross_lan).
    if (recall(s, id, "mode") != kCustom) {
      out.push_back(hub_set(ns::kHubMts100Mode, "mode", id, "state", kCustom));
    }
    out.push_back(
        hub_set(ns::kHubMts100Temperature, "temperature", id, "custom", tenths(*celsius)));
  } else if (suffix == "adjust") {
    auto celsius = parse_number(command, -kAdjustRange, kAdjustRange);
    if (!celsius) return celsius.error();
    return std::vector<DeviceRequest>{hub_set(ns::kHubMts100Adjust, "adjust", id, "temperature",
                                              std::llround(*celsius * kHundredths)),
                                      hub_get(ns::kHubMts100Adjust, "adjust", id)};
  } else {
    const Setpoint* setpoint = nullptr;
    for (const auto& sp : kSetpoints) {
      if (sp.field == suffix) setpoint = &sp;
    }
    if (!setpoint) return Error{"entity", "no commandable entity '" + key(id, suffix) + "'"};
    auto celsius = parse_number(command, static_cast<double>(min) / kTenths,
                                static_cast<double>(max) / kTenths);
    if (!celsius) return celsius.error();
    out.push_back(
        hub_set(ns::kHubMts100Temperature, "temperature", id, setpoint->field, tenths(*celsius)));
  }
  out.push_back(hub_get(ns::kHubMts100All, "all", id));
  return out;
}

}  // namespace meross::mapping::detail::hub
