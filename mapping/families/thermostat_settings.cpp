// The Wi-Fi thermostats' entities besides the climate (thermostat.hpp): their readings
// (temperature, humidity, open window, overheat status) and settings (Calibration, DeadZone,
// Frost, Overheat, HoldAction, Screen.Brightness, TempUnit) as config numbers, switches and
// selects. Each shows one remembered field (kEntities); a command writes the field
// back with the list-with-channel SET all these namespaces take.

#include <algorithm>
#include <cmath>

#include "mapping/families/thermostat.hpp"

namespace meross::mapping::detail::thermostat {
namespace {

enum class Look {
  Temperature,
  Offset,
  Percent,
  Brightness,
  Switch,
  Choice,
  TemperatureReading,
  HumidityReading,
  Status,
  Window
};

struct Presentation {
  Component component;
  std::string_view device_class, unit;
  int units;  // device units per Home Assistant unit; 0 = the model's (10 or 100 per °C)
  int precision = -1;
};

// By Look. Numbers, switches and selects are settings (config, commandable); the rest readings.
constexpr Presentation kLooks[] = {
    {Component::Number, "temperature", "°C", 0},  // Temperature: a setpoint
    // Offset: a difference, with no device class, which would convert it like a temperature
    // (0.5 °C is no 32.9 °F).
    {Component::Number, "", "°C", 0},
    {Component::Number, "", "%", 10},  // Percent: a humidity difference, 0.1 %
    {Component::Number, "", "%", 10},  // Brightness: the screen's, in its steps (`step`)
    {Component::Switch, "", "", 1},
    {Component::Select, "", "", 1},                  // Choice
    {Component::Sensor, "temperature", "°C", 0, 1},  // TemperatureReading
    {Component::Sensor, "humidity", "%", 10, 0},     // HumidityReading
    {Component::Sensor, "enum", "", 1},              // Status
    {Component::BinarySensor, "window", "", 1},      // Window
};
static_assert(std::size(kLooks) == static_cast<std::size_t>(Look::Window) + 1);

constexpr const Presentation& look_of(Look look) {
  return kLooks[static_cast<int>(look)];
}

struct Spec {
  std::string_view key;    // '#' stands for the channel
  std::string_view field;  // the one it shows and writes; its namespace's ability creates it
  Look look;
  std::string_view name;
  std::string_view model = {};      // only with this climate model (payload key), when set
  double lo = 0, hi = 0, step = 0;  // numbers: range until the payload tells one, and step
  bool ranged = false;              // the payload carries the range: <payload key>.min / .max
  std::array<std::string_view, 3> names = {};  // Choice, Status: names of first, first + 1...
  int first = 0;
  bool enabled = true;
};

// Builders, one table row per entity.
constexpr Spec show(std::string_view key, std::string_view field, Look look,
                    std::string_view name) {
  return Spec{key, field, look, name};
}
constexpr Spec number(std::string_view key, std::string_view field, Look look,
                      std::string_view name, double lo, double hi, double step,
                      bool ranged = true) {
  Spec s = show(key, field, look, name);
  s.lo = lo;
  s.hi = hi;
  s.step = step;
  s.ranged = ranged;
  return s;
}
constexpr Spec choice(std::string_view key, std::string_view field, Look look,
                      std::string_view name, std::array<std::string_view, 3> names, int first = 0) {
  Spec s = show(key, field, look, name);
  s.names = names;
  s.first = first;
  return s;
}
constexpr Spec hidden(Spec s) {
  s.enabled = false;
  return s;
}
constexpr Spec only_with(std::string_view model, Spec s) {
  s.model = model;
  return s;
}

constexpr Spec kEntities[] = {
    // The climate's current temperature; a sensor too, disabled, for statistics (as meross_lan).
    hidden(show("temperature_#", "mode.currentTemp", Look::TemperatureReading, "Temperature")),
    hidden(show("temperature_#", "modeB.currentTemp", Look::TemperatureReading, "Temperature")),
    hidden(show("temperature_#", "control.currentTemp", Look::TemperatureReading, "Temperature")),
    show("humidity_#", "latest.value.humi", Look::HumidityReading, "Humidity"),
    show("humidity_#", "control.more.humi", Look::HumidityReading, "Humidity"),
    show("window_#", "windowOpened.status", Look::Window, "Window"),
    // The setpoints of the mts200 presets comfort (mode 0), sleep (1) and away (2).
    number("comfort_temperature_#", "mode.heatTemp", Look::Temperature, "Comfort temperature", 5,
           35, 0.5),
    number("sleep_temperature_#", "mode.coolTemp", Look::Temperature, "Sleep temperature", 5, 35,
           0.5),
    number("away_temperature_#", "mode.ecoTemp", Look::Temperature, "Away temperature", 5, 35, 0.5),
    number("calibration_#", "calibration.value", Look::Offset, "Temperature calibration", -8, 8,
           0.1),
    only_with("control", number("humidity_calibration_#", "calibration.humiValue", Look::Percent,
                                "Humidity calibration", -5, 5, 0.1, false)),
    number("dead_zone_#", "deadZone.value", Look::Offset, "Dead zone", 0.5, 3.5, 0.1),
    number("frost_temperature_#", "frost.value", Look::Temperature, "Frost protection temperature",
           5, 15, 0.5),
    show("frost_#", "frost.onoff", Look::Switch, "Frost protection"),
    number("overheat_temperature_#", "overheat.value", Look::Temperature, "Overheat threshold", 20,
           70, 0.5),
    show("overheat_#", "overheat.onoff", Look::Switch, "Overheat protection"),
    choice("overheat_status_#", "overheat.warning", Look::Status, "Overheat status",
           {"ok", "overheating", "disconnected"}),
    // The external (floor) probe that Overheat watches.
    show("external_temperature_#", "overheat.currentTemp", Look::TemperatureReading,
         "External sensor temperature"),
    choice("hold_action_#", "holdAction.mode", Look::Choice, "Hold action",
           {"permanent", "next_schedule", "timer"}),
    number("screen_brightness_#", "brightness.operation", Look::Brightness, "Screen brightness", 0,
           100, 12.5, false),
    number("standby_brightness_#", "brightness.standby", Look::Brightness, "Standby brightness", 0,
           100, 12.5, false),
    // What the screen shows; the protocol stays in °C either way (§0 rule 6).
    choice("display_unit_#", "tempUnit.tempUnit", Look::Choice, "Display unit",
           {"celsius", "fahrenheit"}, 1),
};

bool is_setting(Look look) {
  const Component c = look_of(look).component;
  return c == Component::Number || c == Component::Switch || c == Component::Select;
}

// Every entity shows a field of kFields; every number has a range and a step.
constexpr bool settings_agree() {
  for (const Spec& e : kEntities) {
    if (!find_field(e.field)) return false;
    if (look_of(e.look).component == Component::Number && !(e.step > 0 && e.lo < e.hi)) {
      return false;
    }
  }
  return true;
}
static_assert(settings_agree(), "thermostat entities name unknown fields");

std::string expand(std::string_view key, int channel) {
  std::string out(key.substr(0, key.find('#')));
  out += std::to_string(channel);
  if (const auto hash = key.find('#'); hash != std::string_view::npos) {
    out += key.substr(hash + 1);
  }
  return out;
}

bool has_entity(const DeviceProfile& p, const Model& m, const Spec& spec) {
  return p.has_ability(namespace_for(payload_key(spec.field))) &&
         (spec.model.empty() || spec.model == m.key);
}

// Device units per Home Assistant unit.
int units_of(const Spec& spec, const Model& m) {
  const int units = look_of(spec.look).units;
  return units ? units : m.scale;
}

Range number_range(const View& v, const Spec& spec) {
  const int units = units_of(spec, v.model);
  const Range fallback{std::llround(spec.lo * units), std::llround(spec.hi * units)};
  if (!spec.ranged) return fallback;
  const std::string key(payload_key(spec.field));
  return stored_range(v, key + ".min", key + ".max", fallback);
}

std::optional<std::string> entity_text(const View& v, const Spec& spec) {
  const auto raw = v.get(spec.field);
  if (!raw) return std::nullopt;
  const Component c = look_of(spec.look).component;
  if (c == Component::Switch || c == Component::BinarySensor) return on_off(*raw != 0);
  if (!spec.names[0].empty()) return name_of(raw, spec.names, spec.first);
  return format_scaled(*raw, units_of(spec, v.model));
}

Entity entity_of(const View& v, const Spec& spec) {
  const Presentation& look = look_of(spec.look);
  Entity e;
  e.key = expand(spec.key, v.channel);
  e.component = look.component;
  e.name = std::string(spec.name);
  e.device_class = look.device_class;
  e.unit = look.unit;
  e.enabled_by_default = spec.enabled;
  e.has_command = is_setting(spec.look);
  e.category = e.has_command ? Category::Config : Category::None;
  if (look.precision >= 0) {
    e.state_class = "measurement";
    e.display_precision = look.precision;
  }
  if (look.device_class == "enum") e.category = Category::Diagnostic;
  if (!spec.names[0].empty()) e.options.emplace_back("options", json_list(spec.names));
  if (look.component == Component::Number) {
    const int units = units_of(spec, v.model);
    const Range range = number_range(v, spec);
    e.options = {{"min", format_scaled(range.lo, units)},
                 {"max", format_scaled(range.hi, units)},
                 {"step", format_number(spec.step)},
                 {"mode", "\"box\""}};
  }
  return e;
}

Result<std::string> setting_value(const View& v, const Spec& spec, std::string_view text) {
  if (spec.look == Look::Switch) {
    auto on = parse_on_off(text);
    if (!on) return on.error();
    return std::string(*on ? "1" : "0");
  }
  if (spec.look == Look::Choice) {
    auto index = parse_choice(text, spec.names);
    if (!index) return index.error();
    return std::to_string(spec.first + static_cast<int>(*index));
  }
  const int units = units_of(spec, v.model);
  auto raw = parse_in_range(text, units, number_range(v, spec));
  if (!raw) return raw.error();
  if (spec.look != Look::Brightness) return std::to_string(*raw);
  // The screen has levels, not a continuum: 12.5 % each (traces: 12.5, 50, 75, 100).
  if (*raw % std::llround(spec.step * units) != 0) {
    return Error{"command", "expected a multiple of " + format_number(spec.step)};
  }
  return format_scaled(*raw, units);
}

Result<std::vector<DeviceRequest>> write_setting(const View& v, const Spec& spec,
                                                 std::string_view text) {
  auto value = setting_value(v, spec, text);
  if (!value) return value.error();
  Plan plan;
  plan.set(payload_key(spec.field), v.channel, {{path_in_item(spec.field), std::move(*value)}});
  return plan.take();
}

}  // namespace

bool has_humidity(const DeviceProfile& p, const Model& m) {
  return std::any_of(std::begin(kEntities), std::end(kEntities), [&](const Spec& spec) {
    return spec.look == Look::HumidityReading && has_entity(p, m, spec);
  });
}

void setting_entities(const View& v, std::vector<Entity>& out) {
  for (const Spec& spec : kEntities) {
    if (has_entity(v.p, v.model, spec)) out.push_back(entity_of(v, spec));
  }
}

void publish_settings(const View& v, const std::vector<std::string_view>& present,
                      StateBatch& out) {
  for (const Spec& spec : kEntities) {
    if (!has_entity(v.p, v.model, spec) || !carries(present, std::span(&spec.field, 1))) continue;
    if (auto text = entity_text(v, spec)) {
      out.updates.push_back({expand(spec.key, v.channel), std::move(*text)});
    }
  }
}

std::optional<Result<std::vector<DeviceRequest>>> setting_command(const View& v,
                                                                  std::string_view key,
                                                                  std::string_view text) {
  for (const Spec& spec : kEntities) {
    if (is_setting(spec.look) && has_entity(v.p, v.model, spec) &&
        expand(spec.key, v.channel) == key) {
      return write_setting(v, spec, text);
    }
  }
  return std::nullopt;
}

}  // namespace meross::mapping::detail::thermostat
