// Wi-Fi thermostats (device-families.md §1, meross-protocol.md §5.12): mts200/mts200b
// (Thermostat.Mode, 0.1 °C), mts960 (Thermostat.ModeB, 0.01 °C) and mts300 (Thermostat.ModeC,
// 0.01 °C). Each gets a climate entity and, where its abilities list them, its readings
// (temperature, humidity, open window) and settings (Calibration, DeadZone, Frost, Overheat,
// HoldAction, Screen.Brightness, PhysicalLock, TempUnit) as config numbers, switches and selects.
//
// Three tables drive it:
//   kFields    what the payloads carry. Each field is checked (type, range) and remembered in
//              DeviceState::numbers as "thermostat.<channel>.<payload key>.<field>": a state or a
//              command often combines fields that partial PUSHes bring apart.
//   kClimate   the climate's states (mode, action, preset, targets, fan), each computed from
//              remembered fields and published when a message carries one of its inputs.
//   kEntities  the other entities, each showing one remembered field; a command writes the field
//              back with the list-with-channel SET all these namespaces take.
// Only the climate's commands differ per model (kModels).

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <span>
#include <string>

#include "mapping/family.hpp"

namespace meross::mapping::detail {
namespace {

constexpr std::string_view kSummerMode = "Appliance.Control.Thermostat.SummerMode";

// --- namespaces -------------------------------------------------------------------------------

struct Namespace {
  std::string_view ns;
  std::string_view key;  // the payload key, case-sensitive (a wrong case answers [])
  bool poll;             // not pushed: GET at the slow interval (meross_lan polls these 300 s)
  bool read_back;        // GET after a SET: the SETACK does not carry the state
};

constexpr Namespace kNamespaces[] = {
    // Pushed on change and in the digest. Its SETACK is the whole channel object (§1.1).
    {"Appliance.Control.Thermostat.Mode", "mode", false, false},
    // May be acked without being applied (§1.1): read it back.
    {kSummerMode, "summerMode", false, true},
    {"Appliance.Control.Thermostat.WindowOpened", "windowOpened", false, false},
    {"Appliance.Control.Thermostat.ModeB", "modeB", false, true},
    {"Appliance.Control.Thermostat.CtlRange", "ctlRange", true, false},
    {"Appliance.Control.Thermostat.ModeC", "control", false, true},
    {"Appliance.Control.Sensor.Latest", "latest", true, false},
    {"Appliance.Control.Thermostat.Calibration", "calibration", true, true},
    {"Appliance.Control.Thermostat.DeadZone", "deadZone", true, true},
    {"Appliance.Control.Thermostat.Frost", "frost", true, true},
    {"Appliance.Control.Thermostat.Overheat", "overheat", true, true},
    {"Appliance.Control.Thermostat.HoldAction", "holdAction", true, true},
    {"Appliance.Control.Screen.Brightness", "brightness", true, true},
    // Read only by a PUSH-query (§0 rule 2), which a Poll cannot send, and its GET drops the
    // connection (trace mts200b): neither polled nor read back. The device PUSHes it on change.
    {"Appliance.Control.PhysicalLock", "lock", false, false},
    {"Appliance.Control.TempUnit", "tempUnit", true, true},
};

constexpr auto kOwned = [] {
  std::array<std::string_view, std::size(kNamespaces)> names{};
  for (std::size_t i = 0; i < names.size(); ++i)
    names[i] = kNamespaces[i].ns;
  return names;
}();

constexpr const Namespace* find_namespace(std::string_view key) {
  for (const Namespace& n : kNamespaces) {
    if (n.key == key) return &n;
  }
  return nullptr;
}

// "control.targetTemp.heat" → "control"; the rest → "targetTemp.heat".
constexpr std::string_view payload_key(std::string_view field) {
  return field.substr(0, field.find('.'));
}
constexpr std::string_view path_in_item(std::string_view field) {
  return field.substr(field.find('.') + 1);
}

// --- fields -----------------------------------------------------------------------------------

enum class Kind {
  Int,          // an integer in [lo, hi]
  Temperature,  // an integer in the model's unit (0.1 or 0.01 °C), within -100..200 °C
  Tenths,       // a number with at most one decimal (brightness 12.5), kept ×10, in [lo, hi]
};

struct Field {
  std::string_view name;  // "<payload key>.<path in the item>"
  Kind kind = Kind::Int;
  int lo = 0, hi = 0;
  bool bound = false;  // a range limit shown in discovery: a change re-publishes it
};

constexpr int kMinCelsius = -100, kMaxCelsius = 200;
// Beyond any Tenths field's range; keeps the ×10 far from overflowing.
constexpr std::int64_t kMaxTenths = 1'000'000;

constexpr Field kFields[] = {
    {"mode.onoff", Kind::Int, 0, 1},
    {"mode.mode", Kind::Int, 0, 4},
    {"mode.state", Kind::Int, 0, 1},
    {"mode.currentTemp", Kind::Temperature},
    {"mode.targetTemp", Kind::Temperature},
    {"mode.heatTemp", Kind::Temperature},
    {"mode.coolTemp", Kind::Temperature},
    {"mode.ecoTemp", Kind::Temperature},
    {"mode.min", Kind::Temperature, 0, 0, true},
    {"mode.max", Kind::Temperature, 0, 0, true},
    {"summerMode.mode", Kind::Int, 0, 2},
    {"windowOpened.status", Kind::Int, 0, 1},
    {"modeB.mode", Kind::Int, 1, 3},
    {"modeB.working", Kind::Int, 1, 2},
    {"modeB.onoff", Kind::Int, 1, 2},
    {"modeB.state", Kind::Int, 0, 2},
    {"modeB.targetTemp", Kind::Temperature},
    {"modeB.currentTemp", Kind::Temperature},
    {"ctlRange.ctlMin", Kind::Temperature, 0, 0, true},
    {"ctlRange.ctlMax", Kind::Temperature, 0, 0, true},
    {"control.mode", Kind::Int, 0, 3},
    {"control.work", Kind::Int, 1, 2},
    {"control.currentTemp", Kind::Temperature},
    {"control.targetTemp.heat", Kind::Temperature},
    {"control.targetTemp.cold", Kind::Temperature},
    {"control.fan.speed", Kind::Int, 0, 3},
    {"control.more.humi", Kind::Int, 0, 1000},
    {"control.more.hStatus", Kind::Int, 0, 3},
    {"control.more.cStatus", Kind::Int, 0, 3},
    {"control.more.fStatus", Kind::Int, 0, 3},
    // `value` is a list of samples: the last one that has the member counts.
    {"latest.value.humi", Kind::Int, 0, 1000},
    {"calibration.value", Kind::Temperature},
    {"calibration.min", Kind::Temperature, 0, 0, true},
    {"calibration.max", Kind::Temperature, 0, 0, true},
    {"calibration.humiValue", Kind::Int, -1000, 1000},
    {"deadZone.value", Kind::Temperature},
    {"deadZone.min", Kind::Temperature, 0, 0, true},
    {"deadZone.max", Kind::Temperature, 0, 0, true},
    {"frost.onoff", Kind::Int, 0, 1},
    {"frost.value", Kind::Temperature},
    {"frost.min", Kind::Temperature, 0, 0, true},
    {"frost.max", Kind::Temperature, 0, 0, true},
    {"overheat.onoff", Kind::Int, 0, 1},
    {"overheat.value", Kind::Temperature},
    {"overheat.min", Kind::Temperature, 0, 0, true},
    {"overheat.max", Kind::Temperature, 0, 0, true},
    {"overheat.warning", Kind::Int, 0, 2},
    {"overheat.currentTemp", Kind::Temperature},
    {"holdAction.mode", Kind::Int, 0, 2},
    {"brightness.operation", Kind::Tenths, 0, 1000},
    {"brightness.standby", Kind::Tenths, 0, 1000},
    {"lock.onoff", Kind::Int, 0, 1},
    {"tempUnit.tempUnit", Kind::Int, 1, 2},
};

constexpr const Field* find_field(std::string_view name) {
  for (const Field& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// --- one channel's remembered fields ----------------------------------------------------------

struct Model;

std::string number_key(int channel, std::string_view field) {
  return "thermostat." + std::to_string(channel) + "." + std::string(field);
}

struct View {
  const DeviceProfile& p;
  const DeviceState& s;
  const Model& model;
  int channel;

  std::optional<std::int64_t> get(std::string_view field) const {
    const auto it = s.numbers.find(number_key(channel, field));
    if (it == s.numbers.end()) return std::nullopt;
    return it->second;
  }
};

// A range in device units.
struct Range {
  std::int64_t lo, hi;
};

// The remembered range [lo_field, hi_field] when the device told one, else `fallback`.
Range stored_range(const View& v, std::string_view lo_field, std::string_view hi_field,
                   Range fallback) {
  if (lo_field.empty()) return fallback;
  const auto lo = v.get(lo_field), hi = v.get(hi_field);
  return lo && hi && *lo < *hi ? Range{*lo, *hi} : fallback;
}

std::optional<std::string> name_of(std::optional<std::int64_t> raw,
                                   std::span<const std::string_view> names, int first) {
  if (!raw || *raw < first || *raw - first >= static_cast<std::int64_t>(names.size())) {
    return std::nullopt;
  }
  const std::string_view name = names[static_cast<std::size_t>(*raw - first)];
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

// --- the climate's states ---------------------------------------------------------------------

struct ClimateState;
using Text = std::optional<std::string> (*)(const View& v, const ClimateState& row);

struct ClimateState {
  std::string_view what;                   // its key is climate_<channel>_<what>
  std::array<std::string_view, 4> inputs;  // the fields it depends on; inputs[0] is the model's
  Text text;
  // named(): the names of values first, first + 1...; for "mode" the hvac modes, for "preset"
  // and "fan" the preset and fan modes discovery lists.
  std::array<std::string_view, 5> names{};
  int first = 0;
};

struct Model {
  std::string_view ns;
  std::string_view key;                   // payload key
  int scale;                              // device units per °C
  std::string_view min_field, max_field;  // the climate's range, when the device tells it
  bool range;                             // heat_cool band (low/high targets), fan modes
  Result<std::vector<DeviceRequest>> (*command)(const View& v, std::string_view what,
                                                std::string_view text);
};

std::string temperature_text(const View& v, std::int64_t raw);

std::optional<std::string> named(const View& v, const ClimateState& row) {
  return name_of(v.get(row.inputs[0]), row.names, row.first);
}

std::optional<std::string> temperature(const View& v, const ClimateState& row) {
  const auto raw = v.get(row.inputs[0]);
  if (!raw) return std::nullopt;
  return temperature_text(v, *raw);
}

std::string_view action(bool active, bool cooling) {
  if (!active) return "idle";
  return cooling ? "cooling" : "heating";
}

// mts200: on/off, then heating or cooling as SummerMode says (1 heat, 2 cool; heat without it).
std::optional<std::string> mts200_mode(const View& v, const ClimateState&) {
  const auto onoff = v.get("mode.onoff");
  if (!onoff) return std::nullopt;
  if (*onoff == 0) return "off";
  return v.get("summerMode.mode") == 2 ? "cool" : "heat";
}

std::optional<std::string> mts200_action(const View& v, const ClimateState&) {
  const auto onoff = v.get("mode.onoff");
  if (!onoff) return std::nullopt;
  if (*onoff == 0) return "off";
  return std::string(action(v.get("mode.state") == 1, v.get("summerMode.mode") == 2));
}

// mts960: onoff 1 on / 2 off; mode 1 manual, 2 schedule, 3 timer; working 1 heat / 2 cool.
// The schedule is "auto"; timer mode keeps heat/cool and shows as the "timer" preset.
std::optional<std::string> mts960_mode(const View& v, const ClimateState&) {
  const auto onoff = v.get("modeB.onoff"), mode = v.get("modeB.mode");
  if (onoff == 2) return "off";
  if (!onoff || !mode) return std::nullopt;
  if (*mode == 2) return "auto";
  const auto working = v.get("modeB.working");
  if (!working) return std::nullopt;
  return *working == 2 ? "cool" : "heat";
}

std::optional<std::string> mts960_action(const View& v, const ClimateState&) {
  const auto onoff = v.get("modeB.onoff");
  if (!onoff) return std::nullopt;
  if (*onoff == 2) return "off";
  return std::string(action(v.get("modeB.state") == 1, v.get("modeB.working") == 2));
}

// In timer mode the target is 0 and means nothing.
std::optional<std::string> mts960_target(const View& v, const ClimateState& row) {
  if (v.get("modeB.mode") == 3) return "None";
  return temperature(v, row);
}

// mts300: the status flags of `more` say what runs; hStatus wins over cStatus over fStatus.
std::optional<std::string> mts300_action(const View& v, const ClimateState&) {
  const auto mode = v.get("control.mode");
  if (!mode) return std::nullopt;
  if (*mode == 0) return "off";
  if (v.get("control.more.hStatus").value_or(0) > 0) return "heating";
  if (v.get("control.more.cStatus").value_or(0) > 0) return "cooling";
  if (v.get("control.more.fStatus").value_or(0) > 0) return "fan";
  return "idle";
}

// One target in heat (targetTemp.heat) or cool (.cold) mode; heat_cool shows low/high instead.
std::optional<std::string> mts300_target(const View& v, const ClimateState&) {
  const auto mode = v.get("control.mode");
  if (!mode) return std::nullopt;
  if (*mode != 1 && *mode != 2) return "None";
  const auto raw = v.get(*mode == 1 ? "control.targetTemp.heat" : "control.targetTemp.cold");
  if (!raw) return std::nullopt;
  return temperature_text(v, *raw);
}

constexpr ClimateState kClimate[] = {
    {"mode", {"mode.onoff", "summerMode.mode"}, mts200_mode, {"off", "heat", "cool"}},
    {"action", {"mode.onoff", "mode.state", "summerMode.mode"}, mts200_action},
    {"preset", {"mode.mode"}, named, {"comfort", "sleep", "away", "auto", "manual"}},
    {"target", {"mode.targetTemp"}, temperature},
    {"mode",
     {"modeB.onoff", "modeB.mode", "modeB.working"},
     mts960_mode,
     {"off", "heat", "cool", "auto"}},
    {"action", {"modeB.onoff", "modeB.state", "modeB.working"}, mts960_action},
    // "none" (manual or schedule) is Home Assistant's "no preset".
    {"preset", {"modeB.mode"}, named, {"none", "none", "timer"}, 1},
    {"target", {"modeB.targetTemp", "modeB.mode"}, mts960_target},
    {"mode", {"control.mode"}, named, {"off", "heat", "cool", "heat_cool"}},
    {"action",
     {"control.mode", "control.more.hStatus", "control.more.cStatus", "control.more.fStatus"},
     mts300_action},
    {"preset", {"control.work"}, named, {"manual", "schedule"}, 1},
    {"target",
     {"control.mode", "control.targetTemp.heat", "control.targetTemp.cold"},
     mts300_target},
    {"low", {"control.targetTemp.heat"}, temperature},
    {"high", {"control.targetTemp.cold"}, temperature},
    {"fan", {"control.fan.speed"}, named, {"auto", "low", "medium", "high"}},
};

const ClimateState& climate_row(const Model& m, std::string_view what) {
  for (const ClimateState& row : kClimate) {
    if (row.what == what && payload_key(row.inputs[0]) == m.key) return row;
  }
  return kClimate[0];  // unreachable: tables_agree() checks every model has its rows
}

// --- the other entities -----------------------------------------------------------------------

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
    show("child_lock_#", "lock.onoff", Look::Switch, "Child lock"),
    // What the screen shows; the protocol stays in °C either way (§0 rule 6).
    choice("display_unit_#", "tempUnit.tempUnit", Look::Choice, "Display unit",
           {"celsius", "fahrenheit"}, 1),
};

bool is_setting(Look look) {
  const Component c = look_of(look).component;
  return c == Component::Number || c == Component::Switch || c == Component::Select;
}

// --- models ---------------------------------------------------------------------------------

Result<std::vector<DeviceRequest>> mts200_command(const View&, std::string_view, std::string_view);
Result<std::vector<DeviceRequest>> mts960_command(const View&, std::string_view, std::string_view);
Result<std::vector<DeviceRequest>> mts300_command(const View&, std::string_view, std::string_view);

constexpr Model kModels[] = {
    {"Appliance.Control.Thermostat.Mode", "mode", 10, "mode.min", "mode.max", false,
     mts200_command},
    {"Appliance.Control.Thermostat.ModeB", "modeB", 100, "ctlRange.ctlMin", "ctlRange.ctlMax",
     false, mts960_command},
    // The mts300 has no digest: its ability alone makes channel 0 (§1).
    {"Appliance.Control.Thermostat.ModeC", "control", 100, "", "", true, mts300_command},
};

// The tables name each other's rows by text: check them where a typo would otherwise hide.
constexpr bool tables_agree() {
  for (const Field& f : kFields) {
    if (!find_namespace(payload_key(f.name))) return false;
  }
  for (const Spec& e : kEntities) {
    if (!find_field(e.field)) return false;
    if (look_of(e.look).component == Component::Number && !(e.step > 0 && e.lo < e.hi)) {
      return false;
    }
  }
  for (const ClimateState& row : kClimate) {
    for (const std::string_view& input : row.inputs) {
      if (!input.empty() && !find_field(input)) return false;
    }
  }
  for (const Model& m : kModels) {
    if (!m.min_field.empty() && (!find_field(m.min_field) || !find_field(m.max_field))) {
      return false;
    }
    int rows = 0;
    for (const ClimateState& row : kClimate)
      rows += payload_key(row.inputs[0]) == m.key ? 1 : 0;
    if (rows != (m.range ? 7 : 4)) return false;
  }
  return true;
}
static_assert(tables_agree(), "thermostat tables disagree");

const Namespace& namespace_of(std::string_view key) {
  return *find_namespace(key);  // tables_agree() checked every key has one
}

const Model* model_of(const DeviceProfile& p) {
  for (const Model& m : kModels) {
    if (p.has_ability(m.ns)) return &m;
  }
  return nullptr;
}

// Every Wi-Fi thermostat drives one channel, 0: the digest lists no other and the mts300 has
// none (§1). The profile keeps no thermostat channel list to learn more from.
constexpr int kChannels[] = {0};

bool is_channel(int channel) {
  return std::find(std::begin(kChannels), std::end(kChannels), channel) != std::end(kChannels);
}

std::string expand(std::string_view key, int channel) {
  std::string out(key.substr(0, key.find('#')));
  out += std::to_string(channel);
  if (const auto hash = key.find('#'); hash != std::string_view::npos) {
    out += key.substr(hash + 1);
  }
  return out;
}

std::string climate_key(int channel, std::string_view what) {
  return key_of("climate_", channel) + "_" + std::string(what);
}

bool has_entity(const DeviceProfile& p, const Model& m, const Spec& spec) {
  return p.has_ability(namespace_of(payload_key(spec.field)).ns) &&
         (spec.model.empty() || spec.model == m.key);
}

// Device units per Home Assistant unit.
int units_of(const Spec& spec, const Model& m) {
  const int units = look_of(spec.look).units;
  return units ? units : m.scale;
}

std::string temperature_text(const View& v, std::int64_t raw) {
  return format_scaled(raw, v.model.scale);
}

Range number_range(const View& v, const Spec& spec) {
  const int units = units_of(spec, v.model);
  const Range fallback{std::llround(spec.lo * units), std::llround(spec.hi * units)};
  if (!spec.ranged) return fallback;
  const std::string key(payload_key(spec.field));
  return stored_range(v, key + ".min", key + ".max", fallback);
}

Range climate_range(const View& v) {
  const Model& m = v.model;
  return stored_range(v, m.min_field, m.max_field, {5 * m.scale, 35 * m.scale});
}

std::span<const std::string_view> mode_names(const DeviceProfile& p, const Model& m) {
  std::span<const std::string_view> modes(climate_row(m, "mode").names);
  while (!modes.empty() && modes.back().empty())
    modes = modes.first(modes.size() - 1);
  // Cooling is SummerMode's: an mts200 without it only heats.
  if (m.key == "mode" && !p.has_ability(kSummerMode)) return modes.first(2);
  return modes;
}

// --- reading ----------------------------------------------------------------------------------

// In a list of samples, the newest (last) one that has `name`.
const JsonValue* last_with(const JsonValue& list, std::string_view name) {
  const JsonValue* found = nullptr;
  for (const auto& sample : list.GetArray()) {
    if (member(sample, name)) found = &sample;
  }
  return found;
}

// The member at `path` ("targetTemp.heat") of an item, nullptr when absent. An object on the way
// that is something else is an Error.
Result<const JsonValue*> resolve(const JsonValue& item, std::string_view path, std::string at) {
  const JsonValue* node = &item;
  while (node && !path.empty()) {
    const std::string_view name = path.substr(0, path.find('.'));
    path = path.size() > name.size() ? path.substr(name.size() + 1) : std::string_view{};
    if (node->IsArray()) node = last_with(*node, name);
    if (!node) break;
    if (!node->IsObject()) return wrong_type(at, "an object", *node);
    at += "." + std::string(name);
    node = member(*node, name);
  }
  return node;
}

// A number with at most one decimal ("12.5", 75.0, 100), ×10; nullopt for anything else.
std::optional<std::int64_t> tenths_of(const JsonValue& value) {
  if (!value.IsNumber()) {
    const auto whole = protocol::to_int(value);  // a decimal string, leniently
    if (whole && *whole > -kMaxTenths && *whole < kMaxTenths) return *whole * 10;
    return std::nullopt;
  }
  const double tenths = value.GetDouble() * 10;
  if (!std::isfinite(tenths) || std::fabs(tenths) >= kMaxTenths * 10.0 ||
      std::fabs(tenths - std::round(tenths)) > 1e-6) {
    return std::nullopt;
  }
  return std::llround(tenths);
}

// The field's value in device units (×10 for Tenths), nullopt when absent.
Result<std::optional<std::int64_t>> read_field(const JsonValue& item, const Field& f, int scale,
                                               const std::string& at) {
  const std::string path = at + "." + std::string(path_in_item(f.name));
  auto found = resolve(item, path_in_item(f.name), at);
  if (!found) return found.error();
  const JsonValue* value = *found;
  if (!value || value->IsNull()) return std::optional<std::int64_t>{};
  const auto number = f.kind == Kind::Tenths ? tenths_of(*value) : protocol::to_int(*value);
  if (!number) {
    return wrong_type(path, f.kind == Kind::Tenths ? "a number with one decimal" : "an integer",
                      *value);
  }
  const std::int64_t lo = f.kind == Kind::Temperature ? std::int64_t{kMinCelsius} * scale : f.lo;
  const std::int64_t hi = f.kind == Kind::Temperature ? std::int64_t{kMaxCelsius} * scale : f.hi;
  if (*number < lo || *number > hi) {
    return Error{path, "out of range " + std::to_string(lo) + ".." + std::to_string(hi)};
  }
  return number;
}

bool remember(DeviceState& s, int channel, std::string_view field, std::int64_t value) {
  const auto [it, inserted] = s.numbers.try_emplace(number_key(channel, field), value);
  if (inserted) return true;
  const bool changed = it->second != value;
  it->second = value;
  return changed;
}

bool carries(const std::vector<std::string_view>& present, std::span<const std::string_view> in) {
  return std::any_of(in.begin(), in.end(), [&](std::string_view field) {
    return !field.empty() && std::find(present.begin(), present.end(), field) != present.end();
  });
}

std::optional<std::string> entity_text(const View& v, const Spec& spec) {
  const auto raw = v.get(spec.field);
  if (!raw) return std::nullopt;
  const Component c = look_of(spec.look).component;
  if (c == Component::Switch || c == Component::BinarySensor) return on_off(*raw != 0);
  if (!spec.names[0].empty()) return name_of(raw, spec.names, spec.first);
  return format_scaled(*raw, units_of(spec, v.model));
}

// Publishes what depends on the fields a message carried, and only that: a partial PUSH
// updates only its own part.
void publish(const View& v, const std::vector<std::string_view>& present, StateBatch& out) {
  for (const ClimateState& row : kClimate) {
    if (payload_key(row.inputs[0]) != v.model.key || !carries(present, row.inputs)) continue;
    if (auto text = row.text(v, row)) {
      out.updates.push_back({climate_key(v.channel, row.what), std::move(*text)});
    }
  }
  for (const Spec& spec : kEntities) {
    if (!has_entity(v.p, v.model, spec) || !carries(present, std::span(&spec.field, 1))) continue;
    if (auto text = entity_text(v, spec)) {
      out.updates.push_back({expand(spec.key, v.channel), std::move(*text)});
    }
  }
}

// One channel's item: all its fields are checked before any is remembered, so a bad item
// changes nothing.
std::optional<Error> read_item(const DeviceProfile& p, DeviceState& s, const Model& m,
                               std::string_view key, const JsonValue& item, int channel,
                               const std::string& at, StateBatch& out) {
  std::vector<std::pair<const Field*, std::int64_t>> values;
  for (const Field& f : kFields) {
    if (payload_key(f.name) != key) continue;
    auto value = read_field(item, f, m.scale, at);
    if (!value) return value.error();
    if (*value) values.emplace_back(&f, **value);
  }
  std::vector<std::string_view> present;
  for (const auto& [f, value] : values) {
    if (remember(s, channel, f->name, value) && f->bound) out.entities_changed = true;
    present.push_back(f->name);
  }
  publish(View{p, s, m, channel}, present, out);
  return std::nullopt;
}

// A channel list (or one object) of namespace `key`. A bad item is left out (StateBatch::
// dropped) and the others read; a value that is no list or object at all is the Error.
std::optional<Error> read_items(const DeviceProfile& p, DeviceState& s, std::string_view key,
                                const JsonValue& items, const std::string& path, StateBatch& out) {
  const Model* m = model_of(p);
  if (!m) return std::nullopt;
  if (!items.IsObject() && !items.IsArray()) {
    return wrong_type(path, "an object or a list", items);
  }
  const auto read = [&](const JsonValue& item, const std::string& at) {
    if (!item.IsObject()) return out.dropped.push_back(wrong_type(at, "an object", item));
    const auto channel = channel_of(item);
    if (!channel || !is_channel(*channel)) return;
    if (auto bad = read_item(p, s, *m, key, item, *channel, at, out)) {
      out.dropped.push_back(std::move(*bad));
    }
  };
  if (items.IsObject()) {
    read(items, path);
    return std::nullopt;
  }
  rapidjson::SizeType index = 0;
  for (const auto& item : items.GetArray())
    read(item, path + "[" + std::to_string(index++) + "]");
  return std::nullopt;
}

std::optional<Error> thermostat_read(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                     const JsonValue& payload, StateBatch& out) {
  for (const Namespace& n : kNamespaces) {
    if (n.ns != ns) continue;
    const JsonValue* items = member(payload, n.key);
    if (!items) return std::nullopt;  // SETACK {}
    return read_items(p, s, n.key, *items, std::string(n.key), out);
  }
  return std::nullopt;
}

// all.digest.thermostat: {"mode":[…],"summerMode":[…],"windowOpened":[…]} (mts200) or
// {"modeB":[…]} (mts960), each like its namespace's payload. The digest is one part of
// System.All: what is bad in it is left out, the rest of System.All still maps.
std::optional<Error> thermostat_digest(const DeviceProfile& p, DeviceState& s,
                                       const JsonValue& section, StateBatch& out) {
  const std::string path = "all.digest.thermostat";
  if (!section.IsObject()) {
    out.dropped.push_back(wrong_type(path, "an object", section));
    return std::nullopt;
  }
  for (const auto& m : section.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (!find_namespace(name)) continue;
    if (auto bad = read_items(p, s, name, m.value, path + "." + std::string(name), out)) {
      out.dropped.push_back(std::move(*bad));
    }
  }
  return std::nullopt;
}

// --- entities ---------------------------------------------------------------------------------

// A JSON list of the distinct names; "none" is Home Assistant's own "no preset", never listed.
std::string json_list(std::span<const std::string_view> names) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty() || names[i] == "none" ||
        std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
            names.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;
    }
    str(w, names[i]);
  }
  w.EndArray();
  return buffer.GetString();
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// <option>_state_topic and <option>_command_topic on the key climate_<channel>_<what>.
void climate_topics(Entity& e, int channel, std::string_view option, std::string_view what) {
  const std::string key = climate_key(channel, what);
  e.options.emplace_back(std::string(option) + "_state_topic", quoted("{state_topic:" + key + "}"));
  e.options.emplace_back(std::string(option) + "_command_topic",
                         quoted("{command_topic:" + key + "}"));
  e.command_keys.push_back(key);
}

bool has_humidity(const DeviceProfile& p, const Model& m) {
  return std::any_of(std::begin(kEntities), std::end(kEntities), [&](const Spec& spec) {
    return spec.look == Look::HumidityReading && has_entity(p, m, spec);
  });
}

Entity climate_entity(const View& v) {
  const Model& m = v.model;
  const int c = v.channel;
  Entity e;
  e.key = key_of("climate_", c);
  e.component = Component::Climate;
  e.name = "Thermostat";
  e.options.emplace_back("modes", json_list(mode_names(v.p, m)));
  climate_topics(e, c, "mode", "mode");
  climate_topics(e, c, "temperature", "target");
  if (m.range) {
    climate_topics(e, c, "temperature_low", "low");
    climate_topics(e, c, "temperature_high", "high");
  }
  e.options.emplace_back("current_temperature_topic",
                         quoted("{state_topic:" + key_of("temperature_", c) + "}"));
  if (has_humidity(v.p, m)) {
    e.options.emplace_back("current_humidity_topic",
                           quoted("{state_topic:" + key_of("humidity_", c) + "}"));
  }
  e.options.emplace_back("action_topic", quoted("{state_topic:" + climate_key(c, "action") + "}"));
  e.options.emplace_back("preset_modes", json_list(climate_row(m, "preset").names));
  climate_topics(e, c, "preset_mode", "preset");
  if (m.range) {
    e.options.emplace_back("fan_modes", json_list(climate_row(m, "fan").names));
    climate_topics(e, c, "fan_mode", "fan");
  }
  const Range range = climate_range(v);
  e.options.emplace_back("min_temp", format_scaled(range.lo, m.scale));
  e.options.emplace_back("max_temp", format_scaled(range.hi, m.scale));
  e.options.emplace_back("temp_step", "0.5");
  e.options.emplace_back("precision", "0.1");
  e.options.emplace_back("temperature_unit", "\"C\"");
  e.options.emplace_back("optimistic", "false");
  return e;
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

void thermostat_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  const Model* m = model_of(p);
  if (!m) return;
  for (int c : kChannels) {
    const View v{p, s, *m, c};
    out.push_back(climate_entity(v));
    for (const Spec& spec : kEntities) {
      if (has_entity(p, *m, spec)) out.push_back(entity_of(v, spec));
    }
  }
}

// --- polls ------------------------------------------------------------------------------------

using Members = std::vector<std::pair<std::string_view, std::string>>;

// {"<key>":[{"channel":c,<members>}]}: the list-with-channel shape of every thermostat GET and
// SET (§0 rules 1, 5). Member values are JSON text.
std::string list_payload(std::string_view outer, int channel, const Members& members) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, outer);
  w.StartArray();
  w.StartObject();
  key(w, "channel");
  w.Int(channel);
  for (const auto& [name, value] : members) {
    key(w, name);
    w.RawValue(value.data(), value.size(), rapidjson::kNumberType);
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

void thermostat_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (!model_of(p)) return;
  for (const Namespace& n : kNamespaces) {
    if (!n.poll || !p.has_ability(n.ns)) continue;
    for (int c : kChannels)
      out.push_back({PollKind::Slow, std::string(n.ns), list_payload(n.key, c, {})});
  }
}

// --- commands ---------------------------------------------------------------------------------

// SETs, then the GETs that read back what their SETACKs do not carry.
struct Plan {
  std::vector<DeviceRequest> sets, gets;

  void set(std::string_view key, int channel, const Members& members) {
    const Namespace& n = namespace_of(key);
    sets.push_back({Method::Set, std::string(n.ns), list_payload(n.key, channel, members)});
    DeviceRequest get = get_request(std::string(n.ns), list_payload(n.key, channel, {}));
    if (n.read_back && std::find(gets.begin(), gets.end(), get) == gets.end()) {
      gets.push_back(std::move(get));
    }
  }
  std::vector<DeviceRequest> take() {
    for (auto& get : gets)
      sets.push_back(std::move(get));
    return std::move(sets);
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Home Assistant sends numbers as text ("21.5", "-3", "12.5"): `text` in device units of
// 10^-decimals, exactly. More decimals than the device has are an Error, not a rounding.
Result<std::int64_t> parse_decimal(std::string_view text, int units) {
  const int decimals = units == 100 ? 2 : 1;
  text = trim(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || whole.size() > 9 || !all_digits(whole) ||
      !all_digits(fraction)) {
    return Error{"command", "expected a number"};
  }
  if (fraction.size() > static_cast<std::size_t>(decimals) &&
      fraction.find_first_not_of('0', static_cast<std::size_t>(decimals)) != std::string::npos) {
    return Error{"command", "the device takes at most " + std::to_string(decimals) + " decimal" +
                                (decimals > 1 ? "s" : "")};
  }
  std::int64_t value = 0;
  for (char ch : whole)
    value = value * 10 + (ch - '0');
  for (std::size_t i = 0; i < static_cast<std::size_t>(decimals); ++i)
    value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return negative ? -value : value;
}

Result<std::int64_t> parse_in_range(std::string_view text, int units, Range range) {
  auto raw = parse_decimal(text, units);
  if (raw && (*raw < range.lo || *raw > range.hi)) {
    return Error{"command", "out of range " + format_scaled(range.lo, units) + ".." +
                                format_scaled(range.hi, units)};
  }
  return raw;
}

Result<std::size_t> parse_choice(std::string_view text, std::span<const std::string_view> names) {
  text = trim(text);
  std::string expected;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    if (names[i] == text) return i;
    expected += (expected.empty() ? "" : ", ") + std::string(names[i]);
  }
  return Error{"command", "expected one of " + expected};
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

Result<std::vector<DeviceRequest>> setting_command(const View& v, const Spec& spec,
                                                   std::string_view text) {
  auto value = setting_value(v, spec, text);
  if (!value) return value.error();
  Plan plan;
  plan.set(payload_key(spec.field), v.channel, {{path_in_item(spec.field), std::move(*value)}});
  return plan.take();
}

Error no_part(std::string_view what) {
  return Error{"entity", "no climate part '" + std::string(what) + "'"};
}

Result<std::int64_t> climate_temperature(const View& v, std::string_view text) {
  return parse_in_range(text, v.model.scale, climate_range(v));
}

// mts200 (§1.1): off = onoff 0; heat/cool = SummerMode 1/2 then onoff 1; a new target is the
// manual mode's (4) setpoint, as meross_lan does; a preset is its mode, switched on.
Result<std::vector<DeviceRequest>> mts200_command(const View& v, std::string_view what,
                                                  std::string_view text) {
  Plan plan;
  if (what == "mode") {
    auto mode = parse_choice(text, mode_names(v.p, v.model));
    if (!mode) return mode.error();
    if (*mode != 0 && v.p.has_ability(kSummerMode)) {
      plan.set("summerMode", v.channel, {{"mode", *mode == 2 ? "2" : "1"}});
    }
    plan.set("mode", v.channel, {{"onoff", *mode == 0 ? "0" : "1"}});
  } else if (what == "target") {
    auto raw = climate_temperature(v, text);
    if (!raw) return raw.error();
    plan.set("mode", v.channel, {{"mode", "4"}, {"manualTemp", std::to_string(*raw)}});
  } else if (what == "preset") {
    auto preset = parse_choice(text, climate_row(v.model, "preset").names);
    if (!preset) return preset.error();
    plan.set("mode", v.channel, {{"mode", std::to_string(*preset)}, {"onoff", "1"}});
  } else {
    return no_part(what);
  }
  return plan.take();
}

// Setting a target or leaving timer mode keeps heating or cooling: the device must have said
// which.
Result<std::string> mts960_working(const View& v) {
  const auto working = v.get("modeB.working");
  if (!working) return Error{"command", "heating or cooling not known yet"};
  return std::to_string(*working);
}

// mts960 (§1.3, meross_lan's shapes): onoff 2 = off; heat/cool = manual mode 1 with working
// 1/2; auto = schedule (mode 2); the "timer" preset is mode 3, "none" back to manual.
Result<std::vector<DeviceRequest>> mts960_command(const View& v, std::string_view what,
                                                  std::string_view text) {
  Plan plan;
  const int c = v.channel;
  if (what == "mode") {
    auto mode = parse_choice(text, mode_names(v.p, v.model));
    if (!mode) return mode.error();
    if (*mode == 0) {
      plan.set("modeB", c, {{"onoff", "2"}});
    } else if (*mode == 3) {
      plan.set("modeB", c, {{"onoff", "1"}, {"mode", "2"}});
    } else {
      plan.set("modeB", c, {{"onoff", "1"}, {"mode", "1"}, {"working", *mode == 1 ? "1" : "2"}});
    }
  } else if (what == "target") {
    auto raw = climate_temperature(v, text);
    if (!raw) return raw.error();
    auto working = mts960_working(v);
    if (!working) return working.error();
    plan.set(
        "modeB", c,
        {{"mode", "1"}, {"working", std::move(*working)}, {"targetTemp", std::to_string(*raw)}});
  } else if (what == "preset") {
    constexpr std::string_view kPresets[] = {"none", "timer"};
    auto preset = parse_choice(text, kPresets);
    if (!preset) return preset.error();
    if (*preset == 1) {
      plan.set("modeB", c, {{"onoff", "1"}, {"mode", "3"}});
    } else {
      auto working = mts960_working(v);
      if (!working) return working.error();
      plan.set("modeB", c, {{"onoff", "1"}, {"mode", "1"}, {"working", std::move(*working)}});
    }
  } else {
    return no_part(what);
  }
  return plan.take();
}

std::string target_object(std::string_view which, std::int64_t raw) {
  return "{\"" + std::string(which) + "\":" + std::to_string(raw) + "}";
}

// mts300 low/high: the heat_cool band (mode 3), manual (work 1); low stays below high.
Result<std::vector<DeviceRequest>> mts300_band(const View& v, bool low, std::string_view text) {
  auto raw = climate_temperature(v, text);
  if (!raw) return raw.error();
  const auto other = v.get(low ? "control.targetTemp.cold" : "control.targetTemp.heat");
  if (other && (low ? *raw >= *other : *raw <= *other)) {
    return Error{"command",
                 low ? "must stay below the high target" : "must stay above the low target"};
  }
  Plan plan;
  plan.set(
      "control", v.channel,
      {{"mode", "3"}, {"work", "1"}, {"targetTemp", target_object(low ? "heat" : "cold", *raw)}});
  return plan.take();
}

// mts300 (§1.4, meross_lan's shapes): mode 0..3 = off/heat/cool/heat_cool; a single target is
// the heat (mode 1) or cold (mode 2) one, manual; presets are `work`; fan speed 0 = auto.
Result<std::vector<DeviceRequest>> mts300_command(const View& v, std::string_view what,
                                                  std::string_view text) {
  if (what == "low" || what == "high") return mts300_band(v, what == "low", text);
  Plan plan;
  const int c = v.channel;
  if (what == "mode") {
    auto mode = parse_choice(text, mode_names(v.p, v.model));
    if (!mode) return mode.error();
    plan.set("control", c, {{"mode", std::to_string(*mode)}});
  } else if (what == "target") {
    const auto mode = v.get("control.mode");
    if (mode != 1 && mode != 2) {
      return Error{"command", "one target temperature needs heat or cool mode"};
    }
    auto raw = climate_temperature(v, text);
    if (!raw) return raw.error();
    plan.set("control", c,
             {{"mode", std::to_string(*mode)},
              {"work", "1"},
              {"targetTemp", target_object(*mode == 1 ? "heat" : "cold", *raw)}});
  } else if (what == "preset") {
    const ClimateState& row = climate_row(v.model, "preset");
    auto preset = parse_choice(text, row.names);
    if (!preset) return preset.error();
    plan.set("control", c, {{"work", std::to_string(row.first + static_cast<int>(*preset))}});
  } else if (what == "fan") {
    auto speed = parse_choice(text, climate_row(v.model, "fan").names);
    if (!speed) return speed.error();
    plan.set("control", c,
             {{"fan", "{\"fMode\":" + std::string(*speed == 0 ? "0" : "1") +
                          ",\"speed\":" + std::to_string(*speed) + "}"}});
  } else {
    return no_part(what);
  }
  return plan.take();
}

Result<std::vector<DeviceRequest>> thermostat_command(const DeviceProfile& p, const DeviceState& s,
                                                      std::string_view key,
                                                      std::string_view command) {
  if (const Model* m = model_of(p)) {
    for (int c : kChannels) {
      const View v{p, s, *m, c};
      const std::string climate = key_of("climate_", c) + "_";
      if (key.starts_with(climate)) return m->command(v, key.substr(climate.size()), command);
      for (const Spec& spec : kEntities) {
        if (is_setting(spec.look) && has_entity(p, *m, spec) && expand(spec.key, c) == key) {
          return setting_command(v, spec, command);
        }
      }
    }
  }
  return Error{"entity", "no thermostat entity '" + std::string(key) + "'"};
}

constexpr DigestSection kDigest[] = {{"thermostat", 0, thermostat_digest}};

}  // namespace

extern const Family thermostat_family;
const Family thermostat_family{
    .name = "thermostat",
    .entities = thermostat_entities,
    .namespaces = kOwned,
    .read = [](const DeviceProfile& p, DeviceState& s, std::string_view ns,
               const JsonValue& payload, const Context&,
               StateBatch& out) { return thermostat_read(p, s, ns, payload, out); },
    .digest = kDigest,
    .polls = thermostat_polls,
    .keyed_command = thermostat_command,
};

}  // namespace meross::mapping::detail
