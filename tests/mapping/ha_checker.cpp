#include "mapping/ha_checker.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "mapping/mapping.hpp"
#include "protocol/json.hpp"

namespace meross::test {
namespace {

using protocol::JsonValue;

const std::set<std::string> kComponents{"alarm_control_panel",
                                        "binary_sensor",
                                        "button",
                                        "camera",
                                        "climate",
                                        "cover",
                                        "date",
                                        "datetime",
                                        "device_automation",
                                        "device_tracker",
                                        "event",
                                        "fan",
                                        "humidifier",
                                        "image",
                                        "infrared",
                                        "lawn_mower",
                                        "light",
                                        "lock",
                                        "notify",
                                        "number",
                                        "scene",
                                        "siren",
                                        "select",
                                        "sensor",
                                        "switch",
                                        "tag",
                                        "text",
                                        "time",
                                        "update",
                                        "vacuum",
                                        "valve",
                                        "water_heater"};

// Device discovery top level (C-schemas DEVICE_DISCOVERY_SCHEMA), full names and abbreviations.
const std::set<std::string> kDeviceTopLevel{"device",
                                            "dev",
                                            "origin",
                                            "o",
                                            "components",
                                            "cmps",
                                            "availability",
                                            "avty",
                                            "availability_topic",
                                            "avty_t",
                                            "availability_mode",
                                            "avty_mode",
                                            "availability_template",
                                            "avty_tpl",
                                            "payload_available",
                                            "pl_avail",
                                            "payload_not_available",
                                            "pl_not_avail",
                                            "state_topic",
                                            "stat_t",
                                            "command_topic",
                                            "cmd_t",
                                            "qos",
                                            "encoding",
                                            "e",
                                            "message_expiry_interval"};
const std::set<std::string> kShared{"availability",
                                    "availability_topic",
                                    "availability_mode",
                                    "availability_template",
                                    "payload_available",
                                    "payload_not_available",
                                    "state_topic",
                                    "command_topic",
                                    "qos",
                                    "encoding"};

const std::set<std::string> kCommandRequired{"switch", "light", "button", "number",
                                             "select", "text",  "fan"};
const std::set<std::string> kStateRequired{"sensor", "binary_sensor"};

// Units HA accepts per sensor device class (subset: the classes a Meross bridge emits), and the
// state classes allowed with it.
struct SensorClass {
  std::set<std::string> units;
  std::set<std::string> state_classes;
};
const std::map<std::string, SensorClass> kSensorClasses{
    {"power", {{"W", "kW", "mW", "MW", "GW", "TW", "BTU/h"}, {"measurement"}}},
    {"voltage", {{"V", "mV", "µV", "kV", "MV"}, {"measurement"}}},
    {"current", {{"A", "mA"}, {"measurement"}}},
    {"energy",
     {{"Wh", "kWh", "MWh", "GWh", "TWh", "mWh", "MJ", "GJ", "cal", "kcal", "Mcal", "Gcal"},
      {"total", "total_increasing"}}},
    {"power_factor", {{"%", ""}, {"measurement"}}},
    {"signal_strength", {{"dB", "dBm"}, {"measurement"}}},
    {"temperature", {{"°C", "°F", "K"}, {"measurement"}}},
    {"humidity", {{"%"}, {"measurement"}}},
    {"battery", {{"%"}, {"measurement"}}},
    {"illuminance", {{"lx"}, {"measurement"}}},
    {"distance", {{"km", "m", "cm", "mm", "mi", "nmi", "yd", "in", "ft"}, {"measurement"}}},
    {"enum", {{""}, {}}}};
// The keys every MQTT entity platform accepts (C-schemas entity and availability schemas) plus
// the platform's own `keys`.
std::set<std::string> platform_keys(std::initializer_list<const char*> keys) {
  std::set<std::string> all{"platform",
                            "name",
                            "unique_id",
                            "default_entity_id",
                            "device",
                            "origin",
                            "availability",
                            "availability_mode",
                            "availability_template",
                            "availability_topic",
                            "payload_available",
                            "payload_not_available",
                            "enabled_by_default",
                            "entity_category",
                            "entity_picture",
                            "icon",
                            "json_attributes_template",
                            "json_attributes_topic",
                            "qos",
                            "retain",
                            "encoding",
                            "optimistic"};
  all.insert(keys.begin(), keys.end());
  return all;
}
// Keys a climate entity accepts (C-schemas climate.py PLATFORM_SCHEMA_MODERN). A misspelt topic key
// would be a climate that silently never updates.
const std::set<std::string> kClimateKeys = platform_keys({"value_template",
                                                          "action_template",
                                                          "action_topic",
                                                          "current_humidity_template",
                                                          "current_humidity_topic",
                                                          "current_temperature_template",
                                                          "current_temperature_topic",
                                                          "fan_mode_command_template",
                                                          "fan_mode_command_topic",
                                                          "fan_mode_state_template",
                                                          "fan_mode_state_topic",
                                                          "fan_modes",
                                                          "initial",
                                                          "max_humidity",
                                                          "max_temp",
                                                          "min_humidity",
                                                          "min_temp",
                                                          "mode_command_template",
                                                          "mode_command_topic",
                                                          "mode_state_template",
                                                          "mode_state_topic",
                                                          "modes",
                                                          "payload_off",
                                                          "payload_on",
                                                          "power_command_template",
                                                          "power_command_topic",
                                                          "precision",
                                                          "preset_mode_command_template",
                                                          "preset_mode_command_topic",
                                                          "preset_mode_state_topic",
                                                          "preset_mode_value_template",
                                                          "preset_modes",
                                                          "swing_mode_command_template",
                                                          "swing_mode_command_topic",
                                                          "swing_mode_state_template",
                                                          "swing_mode_state_topic",
                                                          "swing_modes",
                                                          "target_humidity_command_template",
                                                          "target_humidity_command_topic",
                                                          "target_humidity_state_template",
                                                          "target_humidity_state_topic",
                                                          "temperature_command_template",
                                                          "temperature_command_topic",
                                                          "temperature_high_command_template",
                                                          "temperature_high_command_topic",
                                                          "temperature_high_state_template",
                                                          "temperature_high_state_topic",
                                                          "temperature_low_command_template",
                                                          "temperature_low_command_topic",
                                                          "temperature_low_state_template",
                                                          "temperature_low_state_topic",
                                                          "temperature_state_template",
                                                          "temperature_state_topic",
                                                          "temperature_unit",
                                                          "temp_step"});
// Keys a fan entity accepts (C-schemas fan.py PLATFORM_SCHEMA_MODERN + entity and availability
// schemas): a misspelt percentage topic would be a fan whose speed never shows.
const std::set<std::string> kFanKeys = platform_keys({"state_topic",
                                                      "state_value_template",
                                                      "command_topic",
                                                      "command_template",
                                                      "payload_on",
                                                      "payload_off",
                                                      "percentage_state_topic",
                                                      "percentage_command_topic",
                                                      "percentage_value_template",
                                                      "percentage_command_template",
                                                      "payload_reset_percentage",
                                                      "speed_range_min",
                                                      "speed_range_max",
                                                      "preset_mode_state_topic",
                                                      "preset_mode_command_topic",
                                                      "preset_mode_value_template",
                                                      "preset_mode_command_template",
                                                      "preset_modes",
                                                      "payload_reset_preset_mode",
                                                      "oscillation_state_topic",
                                                      "oscillation_command_topic",
                                                      "oscillation_value_template",
                                                      "oscillation_command_template",
                                                      "payload_oscillation_on",
                                                      "payload_oscillation_off",
                                                      "direction_state_topic",
                                                      "direction_command_topic",
                                                      "direction_value_template",
                                                      "direction_command_template"});
const std::set<std::string> kHvacModes{"auto", "off",      "cool",     "heat",
                                       "dry",  "fan_only", "heat_cool"};
const std::set<std::string> kBinarySensorClasses{"battery",
                                                 "battery_charging",
                                                 "carbon_monoxide",
                                                 "cold",
                                                 "connectivity",
                                                 "door",
                                                 "garage_door",
                                                 "gas",
                                                 "heat",
                                                 "light",
                                                 "lock",
                                                 "moisture",
                                                 "motion",
                                                 "moving",
                                                 "occupancy",
                                                 "opening",
                                                 "plug",
                                                 "power",
                                                 "presence",
                                                 "problem",
                                                 "running",
                                                 "safety",
                                                 "smoke",
                                                 "sound",
                                                 "tamper",
                                                 "update",
                                                 "vibration",
                                                 "window"};
const std::set<std::string> kButtonClasses{"identify", "restart", "update"};
const std::set<std::string> kNumberModes{"auto", "box", "slider"};

const std::set<std::string> kStateClasses{"measurement", "measurement_angle", "total",
                                          "total_increasing"};
const std::set<std::string> kColorModes{"onoff", "brightness", "color_temp", "hs",   "xy",
                                        "rgb",   "rgbw",       "rgbww",      "white"};
const std::set<std::string> kCoverClasses{"awning", "blind", "curtain", "damper",  "door",
                                          "garage", "gate",  "shade",   "shutter", "window"};

const std::regex kId("[a-zA-Z0-9_-]+");

struct Checker {
  std::string prefix;
  std::vector<std::string> problems;
  std::set<std::string> unique_ids;

  void fail(const std::string& where, const std::string& what) {
    problems.push_back(where + ": " + what);
  }

  const JsonValue* get(const JsonValue& o, const char* full, const char* abbr = nullptr) {
    const JsonValue* v = protocol::find_member(o, full);
    if (!v && abbr) v = protocol::find_member(o, abbr);
    return v;
  }

  void check_topic_value(const std::string& where, const JsonValue& v, bool publish) {
    if (!v.IsString() || v.GetStringLength() == 0) return fail(where, "topic must be a string");
    const std::string t = v.GetString();
    if (t.front() == '/' || t.back() == '/') fail(where, "topic with a leading/trailing slash");
    for (unsigned char c : t) {
      if (c < 0x20 || c > 0x7e) return fail(where, "topic must be printable ASCII");
    }
    if (publish && (t.find('+') != std::string::npos || t.find('#') != std::string::npos)) {
      fail(where, "a publish topic must not contain + or #");
    }
    if (!publish && t.find('+') != std::string::npos) fail(where, "unexpected wildcard");
    if (t.find('#') != std::string::npos) fail(where, "unexpected wildcard #");
  }

  void check_device(const std::string& where, const JsonValue& d) {
    if (!d.IsObject()) return fail(where, "device must be an object");
    const JsonValue* ids = get(d, "identifiers", "ids");
    const JsonValue* cns = get(d, "connections", "cns");
    if (!ids && !cns) fail(where, "device needs identifiers and/or connections");
    if (ids && !(ids->IsString() || (ids->IsArray() && !ids->Empty()))) {
      fail(where, "identifiers must be a string or a non-empty list");
    }
    if (ids && ids->IsArray()) {
      for (const auto& id : ids->GetArray()) {
        if (!id.IsString()) fail(where, "identifiers must be strings");
      }
    }
    if (cns) {
      if (!cns->IsArray()) {
        fail(where, "connections must be a list of pairs");
      } else {
        for (const auto& pair : cns->GetArray()) {
          if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString()) {
            fail(where, "each connection must be a [type, value] pair of strings");
          }
        }
      }
    }
    const JsonValue* name = get(d, "name");
    if (!name || !name->IsString() || name->GetStringLength() == 0) {
      fail(where, "device name missing (HA needs it in every entity's device block)");
    }
    if (const JsonValue* url = get(d, "configuration_url", "cu")) {
      const std::string u = url->IsString() ? url->GetString() : "";
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0 &&
          u.rfind("homeassistant://", 0) != 0) {
        fail(where, "configuration_url must be http://, https:// or homeassistant://");
      }
    }
    if (get(d, "via_dev")) fail(where, "via_dev is not an HA key (via_device has no abbreviation)");
    if (const JsonValue* via = get(d, "via_device"); via && !via->IsString()) {
      fail(where, "via_device must be a string");
    }
  }

  void check_origin(const std::string& where, const JsonValue* o) {
    if (!o || !o->IsObject()) return fail(where, "origin (with a name) is required");
    const JsonValue* name = get(*o, "name");
    if (!name || !name->IsString() || name->GetStringLength() == 0) {
      fail(where, "origin.name is required");
    }
  }

  void check_availability(const std::string& where, const JsonValue& e) {
    const JsonValue* list = get(e, "availability", "avty");
    const JsonValue* single = get(e, "availability_topic", "avty_t");
    if (list && single) fail(where, "availability and availability_topic are exclusive");
    if (list) {
      if (!list->IsArray() || list->Empty()) {
        fail(where, "availability must be a non-empty list");
      } else {
        for (const auto& item : list->GetArray()) {
          const JsonValue* t = item.IsObject() ? get(item, "topic", "t") : nullptr;
          if (!t) {
            fail(where, "availability entries need a topic");
          } else {
            check_topic_value(where + ".availability", *t, false);
          }
        }
      }
    }
    if (single) check_topic_value(where + ".availability_topic", *single, false);
    if (const JsonValue* mode = get(e, "availability_mode", "avty_mode")) {
      const std::string m = mode->IsString() ? mode->GetString() : "";
      if (m != "all" && m != "any" && m != "latest") fail(where, "invalid availability_mode");
    }
  }

  void check_sensor(const std::string& where, const JsonValue& e) {
    const JsonValue* dc = get(e, "device_class", "dev_cla");
    const JsonValue* unit = get(e, "unit_of_measurement", "unit_of_meas");
    const JsonValue* sc = get(e, "state_class", "stat_cla");
    const std::string device_class = dc && dc->IsString() ? dc->GetString() : "";
    const std::string unit_text = unit && unit->IsString() ? unit->GetString() : "";
    const std::string state_class = sc && sc->IsString() ? sc->GetString() : "";
    if (sc && !kStateClasses.count(state_class)) fail(where, "invalid state_class");
    if (!device_class.empty()) {
      const auto it = kSensorClasses.find(device_class);
      if (it == kSensorClasses.end()) {
        fail(where, "device_class '" + device_class + "' is not one this checker knows");
      } else {
        if (!it->second.units.count(unit_text)) {
          fail(where, "unit '" + unit_text + "' is not valid with device class " + device_class);
        }
        if (!state_class.empty() && !it->second.state_classes.count(state_class)) {
          fail(where, "state class '" + state_class + "' is impossible for " + device_class);
        }
      }
    }
    if (get(e, "options", "ops") && device_class != "enum") {
      fail(where, "options only with device_class enum");
    }
    if (device_class == "enum") {
      const JsonValue* options = get(e, "options", "ops");
      if (!options || !options->IsArray() || options->Empty()) {
        fail(where, "an enum sensor needs a non-empty options list");
      }
    }
    if (get(e, "last_reset_value_template", "lrst_val_tpl") && state_class != "total") {
      fail(where, "last_reset_value_template only with state_class total");
    }
    if (const JsonValue* cat = get(e, "entity_category", "ent_cat");
        cat && cat->IsString() && std::string(cat->GetString()) != "diagnostic") {
      fail(where, "a sensor's entity_category can only be diagnostic");
    }
    if (const JsonValue* p = get(e, "suggested_display_precision", "sug_dsp_prc");
        p && (!p->IsInt() || p->GetInt() < 0)) {
      fail(where, "suggested_display_precision must be an integer >= 0");
    }
  }

  void check_class(const std::string& where, const JsonValue& e,
                   const std::set<std::string>& classes) {
    if (const JsonValue* dc = get(e, "device_class", "dev_cla")) {
      if (!dc->IsString() || !classes.count(dc->GetString())) fail(where, "invalid device_class");
    }
  }

  // A non-empty list of distinct strings under `name`; returns them.
  std::set<std::string> check_options_list(const std::string& where, const JsonValue& e,
                                           const char* name, bool required = true) {
    std::set<std::string> out;
    const JsonValue* list = get(e, name);
    if (!list) {
      if (required) fail(where, std::string(name) + " is required");
      return out;
    }
    if (!list->IsArray() || list->Empty()) {
      fail(where, std::string(name) + " must be a non-empty list");
      return out;
    }
    for (const auto& item : list->GetArray()) {
      if (!item.IsString()) {
        fail(where, std::string(name) + " must hold strings");
      } else if (!out.insert(item.GetString()).second) {
        fail(where, std::string(name) + " has a duplicate '" + item.GetString() + "'");
      }
    }
    return out;
  }

  std::optional<double> number_of(const std::string& where, const JsonValue& e, const char* name) {
    const JsonValue* v = get(e, name);
    if (!v) return std::nullopt;
    if (!v->IsNumber()) {
      fail(where, std::string(name) + " must be a number");
      return std::nullopt;
    }
    return v->GetDouble();
  }

  void check_keys(const std::string& where, const JsonValue& e, const std::set<std::string>& keys,
                  const std::string& platform) {
    for (const auto& m : e.GetObject()) {
      if (!keys.count(m.name.GetString())) {
        fail(where, std::string("'") + m.name.GetString() + "' is not a " + platform + " option");
      }
    }
  }

  void check_climate(const std::string& where, const JsonValue& e) {
    check_keys(where, e, kClimateKeys, "climate");
    for (const auto& mode : check_options_list(where, e, "modes", false)) {
      if (!kHvacModes.count(mode)) fail(where, "invalid HVAC mode '" + mode + "'");
    }
    const auto presets = check_options_list(where, e, "preset_modes", false);
    if (presets.count("none")) fail(where, "preset_modes must not contain none");
    if (!presets.empty() && !get(e, "preset_mode_command_topic")) {
      fail(where, "preset_modes need preset_mode_command_topic");
    }
    check_options_list(where, e, "fan_modes", false);
    const auto min = number_of(where, e, "min_temp");
    const auto max = number_of(where, e, "max_temp");
    if (min && max && *min >= *max) fail(where, "min_temp must be below max_temp");
    if (const auto step = number_of(where, e, "temp_step"); step && *step <= 0) {
      fail(where, "temp_step must be positive");
    }
    if (const auto precision = number_of(where, e, "precision");
        precision && *precision != 0.1 && *precision != 0.5 && *precision != 1.0) {
      fail(where, "precision must be 0.1, 0.5 or 1.0");
    }
    if (const JsonValue* unit = get(e, "temperature_unit")) {
      const std::string u = unit->IsString() ? unit->GetString() : "";
      if (u != "C" && u != "F") fail(where, "temperature_unit must be C or F");
    }
    for (const char* pair : {"mode", "temperature", "temperature_low", "temperature_high",
                             "fan_mode", "preset_mode"}) {
      const std::string command = std::string(pair) + "_command_topic";
      const std::string state = std::string(pair) + "_state_topic";
      if (get(e, state.c_str()) && !get(e, command.c_str())) {
        fail(where, state + " without " + command +
                        " (read-only climate settings are not "
                        "supported by HA)");
      }
    }
  }

  void check_fan(const std::string& where, const JsonValue& e) {
    check_keys(where, e, kFanKeys, "fan");
    for (const char* range : {"speed_range_min", "speed_range_max"}) {
      if (const JsonValue* v = get(e, range); v && (!v->IsInt() || v->GetInt() < 1)) {
        fail(where, std::string(range) + " must be an integer >= 1");
      }
    }
    const JsonValue* min = get(e, "speed_range_min");
    const JsonValue* max = get(e, "speed_range_max");
    if (min && max && min->IsInt() && max->IsInt() && min->GetInt() > max->GetInt()) {
      fail(where, "speed_range_min must not exceed speed_range_max");
    }
    const auto presets = check_options_list(where, e, "preset_modes", false);
    if (!presets.empty() && !get(e, "preset_mode_command_topic")) {
      fail(where, "preset_modes need preset_mode_command_topic");
    }
    for (const char* pair : {"percentage", "preset_mode", "oscillation", "direction"}) {
      const std::string command = std::string(pair) + "_command_topic";
      const std::string state = std::string(pair) + "_state_topic";
      if (get(e, state.c_str()) && !get(e, command.c_str())) {
        fail(where, state + " without " + command);
      }
    }
  }

  void check_number(const std::string& where, const JsonValue& e) {
    const auto min = number_of(where, e, "min");
    const auto max = number_of(where, e, "max");
    if (min && max && *min >= *max) fail(where, "min must be below max");
    if (const auto step = number_of(where, e, "step"); step && *step <= 0) {
      fail(where, "step must be positive");
    }
    if (const JsonValue* mode = get(e, "mode")) {
      if (!mode->IsString() || !kNumberModes.count(mode->GetString())) {
        fail(where, "number mode must be auto, box or slider");
      }
    }
    const JsonValue* dc = get(e, "device_class", "dev_cla");
    const JsonValue* unit = get(e, "unit_of_measurement", "unit_of_meas");
    if (dc && dc->IsString()) {
      const auto it = kSensorClasses.find(dc->GetString());
      const std::string u = unit && unit->IsString() ? unit->GetString() : "";
      if (it == kSensorClasses.end() || std::string(dc->GetString()) == "enum") {
        fail(where, std::string("number device_class '") + dc->GetString() + "' unknown");
      } else if (!it->second.units.count(u)) {
        fail(where, "unit '" + u + "' is not valid with device class " + dc->GetString());
      }
    }
  }

  void check_light(const std::string& where, const JsonValue& e) {
    const JsonValue* schema = get(e, "schema");
    if (!schema || !schema->IsString() || std::string(schema->GetString()) != "json") return;
    for (const char* removed : {"color_temp", "hs", "rgb", "xy", "color_mode"}) {
      if (get(e, removed)) fail(where, std::string("removed JSON-light flag '") + removed + "'");
    }
    const JsonValue* modes = get(e, "supported_color_modes", "sup_clrm");
    if (!modes || !modes->IsArray() || modes->Empty()) {
      return fail(where, "supported_color_modes must be a non-empty list");
    }
    std::set<std::string> set;
    for (const auto& m : modes->GetArray()) {
      const std::string s = m.IsString() ? m.GetString() : "";
      if (!kColorModes.count(s)) fail(where, "invalid colour mode '" + s + "'");
      set.insert(s);
    }
    if ((set.count("onoff") || set.count("brightness")) && set.size() > 1) {
      fail(where, "onoff/brightness must be the only colour mode");
    }
    if (set.count("white") && set.size() == 1) fail(where, "white needs another colour mode");
    if (const JsonValue* scale = get(e, "brightness_scale", "bri_scl");
        scale && (!scale->IsInt() || scale->GetInt() < 1)) {
      fail(where, "brightness_scale must be a positive integer");
    }
    const JsonValue* min_k = get(e, "min_kelvin", "min_k");
    const JsonValue* max_k = get(e, "max_kelvin", "max_k");
    if (min_k && max_k &&
        (!min_k->IsInt() || !max_k->IsInt() || min_k->GetInt() >= max_k->GetInt())) {
      fail(where, "min_kelvin must be an integer below max_kelvin");
    }
    if (const JsonValue* effects = get(e, "effect_list", "fx_list")) {
      if (!effects->IsArray()) fail(where, "effect_list must be a list");
    }
  }

  // `e` is the entity config after shared options were merged.
  void check_entity(const std::string& where, const std::string& platform, const JsonValue& e) {
    if (!kComponents.count(platform)) return fail(where, "unsupported platform " + platform);
    if (get(e, "object_id", "obj_id")) fail(where, "object_id is removed (HA 2026.4)");
    if (const JsonValue* id = get(e, "default_entity_id", "def_ent_id")) {
      const std::string s = id->IsString() ? id->GetString() : "";
      if (s.rfind(platform + ".", 0) != 0) fail(where, "default_entity_id needs the domain");
    }
    const JsonValue* uid = get(e, "unique_id", "uniq_id");
    if (!uid || !uid->IsString() || uid->GetStringLength() == 0) {
      fail(where, "unique_id missing");
    } else if (!unique_ids.insert(uid->GetString()).second) {
      fail(where, std::string("duplicate unique_id ") + uid->GetString());
    }
    const JsonValue* name = get(e, "name");
    if (!name || !(name->IsNull() || name->IsString())) {
      fail(where, "name must be set explicitly (a string, or null for the main entity)");
    }
    if (kCommandRequired.count(platform) && !get(e, "command_topic", "cmd_t")) {
      fail(where, "command_topic is required for " + platform);
    }
    if (kStateRequired.count(platform) && !get(e, "state_topic", "stat_t")) {
      fail(where, "state_topic is required for " + platform);
    }
    for (const auto& m : e.GetObject()) {
      const std::string k = m.name.GetString();
      if (k.size() > 6 && k.substr(k.size() - 6) == "_topic") {
        const bool publish = k.find("command") != std::string::npos || k.rfind("set_", 0) == 0;
        check_topic_value(where + "." + k, m.value, publish);
      }
    }
    if (const JsonValue* cat = get(e, "entity_category", "ent_cat")) {
      const std::string c = cat->IsString() ? cat->GetString() : "";
      if (c != "config" && c != "diagnostic") fail(where, "invalid entity_category");
    }
    if (const JsonValue* q = get(e, "qos");
        q && (!q->IsInt() || q->GetInt() < 0 || q->GetInt() > 2)) {
      fail(where, "qos must be 0, 1 or 2");
    }
    if (const JsonValue* r = get(e, "retain", "ret"); r && r->IsTrue()) {
      fail(where, "commands must not be retained");
    }
    check_availability(where, e);
    if (platform == "sensor") check_sensor(where, e);
    if (platform == "climate") check_climate(where, e);
    if (platform == "fan") check_fan(where, e);
    if (platform == "number") check_number(where, e);
    if (platform == "select") check_options_list(where, e, "options");
    if (platform == "binary_sensor") check_class(where, e, kBinarySensorClasses);
    if (platform == "button") {
      check_class(where, e, kButtonClasses);
      if (get(e, "state_topic", "stat_t")) fail(where, "a button has no state_topic");
    }
    if (platform == "light") check_light(where, e);
    if (platform == "switch") {
      if (const JsonValue* dc = get(e, "device_class", "dev_cla")) {
        const std::string s = dc->IsString() ? dc->GetString() : "";
        if (s != "outlet" && s != "switch")
          fail(where, "switch device_class must be outlet/switch");
      }
    }
    if (platform == "cover") {
      if (const JsonValue* dc = get(e, "device_class", "dev_cla")) {
        if (!dc->IsString() || !kCoverClasses.count(dc->GetString())) {
          fail(where, "invalid cover device_class");
        }
      }
    }
  }

  void check(const discovery::Publication& p) {
    const std::string& where = p.topic;
    if (!p.retain) fail(where, "discovery documents are published retained");
    if (p.qos != 1) fail(where, "discovery documents are published at QoS 1");
    // <prefix>/<component>/[<node>/]<object>/config
    if (p.topic.rfind(prefix + "/", 0) != 0) return fail(where, "not under the discovery prefix");
    std::vector<std::string> parts;
    std::string rest = p.topic.substr(prefix.size() + 1);
    for (std::size_t start = 0;;) {
      const auto slash = rest.find('/', start);
      parts.push_back(rest.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (parts.size() < 3 || parts.size() > 4 || parts.back() != "config") {
      return fail(where, "topic must be <prefix>/<component>/[<node>/]<object>/config");
    }
    const std::string component = parts[0];
    for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
      if (!std::regex_match(parts[i], kId))
        fail(where, "id '" + parts[i] + "' has illegal characters");
    }
    const bool device = component == "device";
    if (!device && !kComponents.count(component)) return fail(where, "unsupported component");
    if (p.payload.empty()) return;  // removal

    rapidjson::Document doc;
    doc.Parse(p.payload.c_str());
    if (doc.HasParseError() || !doc.IsObject()) return fail(where, "payload is not a JSON object");

    if (!device) {
      const JsonValue* platform = get(doc, "platform", "p");
      if (platform) fail(where, "platform is only allowed in device discovery components");
      if (const JsonValue* d = get(doc, "device", "dev")) check_device(where + ".device", *d);
      if (const JsonValue* o = get(doc, "origin", "o")) check_origin(where, o);
      check_entity(where, component, doc);
      return;
    }
    for (const auto& m : doc.GetObject()) {
      if (!kDeviceTopLevel.count(m.name.GetString())) {
        fail(where, std::string("unexpected top-level key '") + m.name.GetString() + "'");
      }
    }
    const JsonValue* d = get(doc, "device", "dev");
    if (!d) {
      fail(where, "device is required");
    } else {
      check_device(where + ".device", *d);
    }
    check_origin(where, get(doc, "origin", "o"));
    const JsonValue* components = get(doc, "components", "cmps");
    if (!components || !components->IsObject() || components->ObjectEmpty()) {
      return fail(where, "components must be a non-empty object");
    }
    for (auto& c : components->GetObject()) {
      const std::string cwhere = where + "#" + c.name.GetString();
      if (!std::regex_match(std::string(c.name.GetString()), kId)) {
        fail(cwhere, "component id has illegal characters");
      }
      if (!c.value.IsObject()) {
        fail(cwhere, "component must be an object");
        continue;
      }
      const JsonValue* platform = get(c.value, "platform", "p");
      if (!platform || !platform->IsString()) {
        fail(cwhere, "platform is required");
        continue;
      }
      if (c.value.MemberCount() == 1) continue;  // {"p": ...}: removal of that component
      // Merge the shared options the component does not set itself (C-disc).
      rapidjson::Document merged;
      merged.CopyFrom(c.value, merged.GetAllocator());
      for (const auto& m : doc.GetObject()) {
        const std::string k = m.name.GetString();
        if (kShared.count(k) && !merged.HasMember(m.name)) {
          rapidjson::Value name(m.name, merged.GetAllocator());
          rapidjson::Value value(m.value, merged.GetAllocator());
          merged.AddMember(name, value, merged.GetAllocator());
        }
      }
      check_entity(cwhere, platform->GetString(), merged);
    }
  }
};

}  // namespace

std::vector<std::string> check_discovery(const std::vector<discovery::Publication>& publications,
                                         const std::string& prefix) {
  Checker checker{prefix, {}, {}};
  for (const auto& p : publications)
    checker.check(p);
  return checker.problems;
}

void expect_valid_discovery(const std::vector<discovery::Publication>& publications) {
  for (const auto& problem : check_discovery(publications))
    BOOST_ERROR(problem);
}

void expect_valid_discovery(const protocol::DeviceProfile& profile) {
  expect_valid_discovery(discovery::device_config(profile, mapping::entities_for(profile), {}));
}

}  // namespace meross::test
