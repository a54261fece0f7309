// The climate entity of the Wi-Fi thermostats (thermostat.hpp): per model (kModels) its
// namespace, unit and commands, and its states (kClimate), each computed from remembered fields
// and published when a message carries one of its inputs; and its discovery document.

#include <algorithm>

#include "mapping/families/thermostat.hpp"

namespace meross::mapping::detail::thermostat {
namespace {

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

std::string temperature_text(const View& v, std::int64_t raw) {
  return format_scaled(raw, v.model.scale);
}

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

// --- models -----------------------------------------------------------------------------------

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

// The climate's tables name fields and each other's rows by text: check them where a typo would
// otherwise hide.
constexpr bool climate_agrees() {
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
static_assert(climate_agrees(), "thermostat climate tables disagree");

std::string climate_key(int channel, std::string_view what) {
  return key_of("climate_", channel) + "_" + std::string(what);
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
  if (m.key == "mode" && !p.has_ability(ns::kControlThermostatSummerMode)) return modes.first(2);
  return modes;
}

// --- discovery --------------------------------------------------------------------------------

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

// --- commands ---------------------------------------------------------------------------------

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
    if (*mode != 0 && v.p.has_ability(ns::kControlThermostatSummerMode)) {
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

}  // namespace

const Model* model_of(const DeviceProfile& p) {
  for (const Model& m : kModels) {
    if (p.has_ability(m.ns)) return &m;
  }
  return nullptr;
}

void publish_climate(const View& v, const std::vector<std::string_view>& present, StateBatch& out) {
  for (const ClimateState& row : kClimate) {
    if (payload_key(row.inputs[0]) != v.model.key || !carries(present, row.inputs)) continue;
    if (auto text = row.text(v, row)) {
      out.updates.push_back({climate_key(v.channel, row.what), std::move(*text)});
    }
  }
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

}  // namespace meross::mapping::detail::thermostat
