// Wi-Fi thermostats (mapping/families/thermostat.cpp): mts200b and mts960 from their traces, the
// mts300 and a US mts200 (SummerMode, humidity, display unit) from tests/fixtures/devices. Their
// entities, states from the digest and from (partial) PUSHes, the exact SET of every command,
// bad input from the device and from Home Assistant, and what is polled.

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/topics.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/mutations.hpp"
#include "mapping/unqualified.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

namespace {

constexpr const char* kMode = "Appliance.Control.Thermostat.Mode";
constexpr const char* kModeB = "Appliance.Control.Thermostat.ModeB";
constexpr const char* kModeC = "Appliance.Control.Thermostat.ModeC";
constexpr const char* kSystemAll = "Appliance.System.All";

// A device of tests/fixtures/devices: its profile, System.All and recorded messages.
struct Device {
  DeviceProfile profile;
  std::string all;
  std::vector<std::tuple<std::string, std::string, std::string>> messages;  // method, ns, payload
};

Device fixture(const std::string& name) {
  rapidjson::Document doc;
  doc.Parse(test::read_file(test::fixtures_dir() / "devices" / (name + ".json")).c_str());
  BOOST_REQUIRE(!doc.HasParseError() && doc.IsObject());
  Device d;
  d.all = R"({"all":)" + protocol::to_json(doc["all"]) + "}";
  d.profile = test::profile_from(d.all, protocol::to_json(doc["ability"]));
  for (const auto& m : doc["messages"].GetArray()) {
    d.messages.emplace_back(m["method"].GetString(), m["namespace"].GetString(),
                            protocol::to_json(m["payload"]));
  }
  return d;
}

DeviceProfile mts200b() {
  return test::trace_profile("mts200b-1674112759");
}
DeviceProfile mts960() {
  return test::trace_profile("mts960.csv");
}
std::string all_of(const std::string& trace) {
  return test::load_trace(trace).all_json;
}

std::string refused(const DeviceProfile& p, const DeviceState& s, const std::string& key,
                    const std::string& command) {
  auto result = mapping::command_to_request(p, s, key, command);
  BOOST_TEST(!result.ok(), key << " accepted '" << command << "'");
  return result.ok() ? "" : result.error().describe();
}

using Lines = std::vector<std::string>;

// What a setting's command sends (as sent() prints it): the SET of `fields` in the channel 0 item
// of the list `list_key`, then the GET that reads the item back.
Lines written(const std::string& ns, const std::string& list_key, const std::string& fields) {
  const std::string list = R"({")" + list_key + R"(":[{"channel":0)";
  return {"SET " + ns + " " + list + "," + fields + "}]}", "GET " + ns + " " + list + "}]}"};
}

// Every update of a batch, by key.
std::map<std::string, std::string> updates(const mapping::StateBatch& batch) {
  std::map<std::string, std::string> out;
  for (const auto& u : batch.updates)
    out[u.entity_key] = u.payload;
  return out;
}

// The test fails unless `u` has each of `expected` (and maybe more).
void expect_includes(const std::map<std::string, std::string>& u,
                     const std::map<std::string, std::string>& expected) {
  for (const auto& [key, value] : expected) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(u.at(key) == value);
    }
  }
}

// Maps the recorded messages of `d` in order: the last update of each key.
std::map<std::string, std::string> replay_messages(const Device& d, DeviceState& s) {
  std::map<std::string, std::string> last;
  for (const auto& [method, ns, payload] : d.messages) {
    for (const auto& [k, v] : updates(test::states(d.profile, s, ns, method, payload)))
      last[k] = v;
  }
  return last;
}

mapping::Result<mapping::StateBatch> try_states(const DeviceProfile& p, DeviceState& s,
                                                const std::string& ns, const std::string& payload,
                                                const std::string& method = "PUSH") {
  return mapping::states_from(p, s, ns, *protocol::method_from_string(method),
                              std::string_view(payload), mapping::Context{1700000000});
}

std::string error_of(const DeviceProfile& p, DeviceState& s, const std::string& ns,
                     const std::string& payload) {
  const auto batch = try_states(p, s, ns, payload);
  BOOST_TEST(!batch.ok(), ns << " accepted " << payload);
  return batch.ok() ? "" : batch.error().describe();
}

// A message with a bad item maps, leaving that item out (StateBatch::dropped): what was left out.
std::string dropped_of(const DeviceProfile& p, DeviceState& s, const std::string& ns,
                       const std::string& payload) {
  const auto batch = try_states(p, s, ns, payload);
  BOOST_REQUIRE_MESSAGE(batch.ok(), payload + ": " + (batch.ok() ? "" : batch.error().describe()));
  BOOST_TEST(batch->dropped.size() == 1u, payload);
  return batch->dropped.empty() ? "" : batch->dropped[0].describe();
}

// Keys a state may be published on: the entities' and those their options read.
std::set<std::string> known_keys(const std::vector<mapping::Entity>& entities) {
  std::set<std::string> keys;
  const std::string marker = "{state_topic:";
  for (const auto& e : entities) {
    keys.insert(e.key);
    for (const auto& [name, value] : e.options) {
      for (auto pos = value.find(marker); pos != std::string::npos;
           pos = value.find(marker, pos + 1)) {
        const auto start = pos + marker.size();
        keys.insert(value.substr(start, value.find('}', start) - start));
      }
    }
  }
  return keys;
}

std::vector<mapping::Poll> thermostat_polls(const DeviceProfile& p) {
  std::vector<mapping::Poll> out;
  for (auto& poll : mapping::polls_for(p)) {
    if (poll.ns.find("System") == std::string::npos &&
        poll.ns.find("Electricity") == std::string::npos &&
        poll.ns.find("Consumption") == std::string::npos &&
        poll.ns.find("OverTemp") == std::string::npos) {
      out.push_back(poll);
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(thermostat)

// --- entities ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mts200b_trace_entities) {
  const auto entities = mapping::entities_for(mts200b());
  BOOST_TEST(keys_of(entities) == (Lines{"climate_0",
                                         "temperature_0",
                                         "window_0",
                                         "comfort_temperature_0",
                                         "sleep_temperature_0",
                                         "away_temperature_0",
                                         "calibration_0",
                                         "dead_zone_0",
                                         "frost_temperature_0",
                                         "frost_0",
                                         "overheat_temperature_0",
                                         "overheat_0",
                                         "overheat_status_0",
                                         "external_temperature_0",
                                         "hold_action_0",
                                         "screen_brightness_0",
                                         "standby_brightness_0",
                                         "child_lock_0",
                                         "signal",
                                         "firmware"}),
             boost::test_tools::per_element());
  const auto& climate = entity(entities, "climate_0");
  BOOST_TEST((climate.component == Component::Climate));
  BOOST_TEST(!climate.name);  // the device's one main entity
  BOOST_TEST(!climate.has_command);
  // fw 7.6.5 has no SummerMode: it only heats.
  BOOST_TEST(option(climate, "modes") == R"(["off","heat"])");
  BOOST_TEST(option(climate, "preset_modes") == R"(["comfort","sleep","away","auto","manual"])");
  BOOST_TEST(option(climate, "mode_state_topic") == R"("{state_topic:climate_0_mode}")");
  BOOST_TEST(option(climate, "mode_command_topic") == R"("{command_topic:climate_0_mode}")");
  BOOST_TEST(option(climate, "temperature_command_topic") ==
             R"("{command_topic:climate_0_target}")");
  BOOST_TEST(option(climate, "current_temperature_topic") == R"("{state_topic:temperature_0}")");
  BOOST_TEST(option(climate, "action_topic") == R"("{state_topic:climate_0_action}")");
  BOOST_TEST(option(climate, "current_humidity_topic").empty());
  BOOST_TEST(option(climate, "temperature_low_state_topic").empty());
  BOOST_TEST(option(climate, "min_temp") == "5");
  BOOST_TEST(option(climate, "max_temp") == "35");
  BOOST_TEST(option(climate, "temp_step") == "0.5");
  BOOST_TEST(option(climate, "precision") == "0.1");
  BOOST_TEST(option(climate, "temperature_unit") == R"("C")");
  BOOST_TEST(option(climate, "optimistic") == "false");
  BOOST_TEST(
      climate.command_keys == (Lines{"climate_0_mode", "climate_0_target", "climate_0_preset"}),
      boost::test_tools::per_element());

  const auto& temperature = entity(entities, "temperature_0");
  BOOST_TEST(temperature.device_class == "temperature");
  BOOST_TEST(temperature.unit == "°C");
  BOOST_TEST(!temperature.enabled_by_default);  // the climate shows it already
  const auto& window = entity(entities, "window_0");
  BOOST_TEST((window.component == Component::BinarySensor));
  BOOST_TEST(window.device_class == "window");
  const auto& calibration = entity(entities, "calibration_0");
  BOOST_TEST((calibration.component == Component::Number));
  BOOST_TEST((calibration.category == mapping::Category::Config));
  BOOST_TEST(calibration.device_class.empty());  // a difference: HA must not convert it
  BOOST_TEST(calibration.unit == "°C");
  BOOST_TEST(option(calibration, "mode") == R"("box")");
  BOOST_TEST(option(calibration, "step") == "0.1");
  BOOST_TEST(entity(entities, "frost_temperature_0").device_class == "temperature");
  BOOST_TEST((entity(entities, "frost_0").component == Component::Switch));
  const auto& status = entity(entities, "overheat_status_0");
  BOOST_TEST(status.device_class == "enum");
  BOOST_TEST((status.category == mapping::Category::Diagnostic));
  BOOST_TEST(option(status, "options") == R"(["ok","overheating","disconnected"])");
  const auto& hold = entity(entities, "hold_action_0");
  BOOST_TEST((hold.component == Component::Select));
  BOOST_TEST(option(hold, "options") == R"(["permanent","next_schedule","timer"])");
  BOOST_TEST(option(entity(entities, "screen_brightness_0"), "step") == "12.5");
  BOOST_TEST(entity(entities, "child_lock_0").has_command);
}

BOOST_AUTO_TEST_CASE(mts960_trace_entities) {
  const auto entities = mapping::entities_for(mts960());
  BOOST_TEST(keys_of(entities) ==
                 (Lines{"climate_0", "temperature_0", "calibration_0", "dead_zone_0",
                        "frost_temperature_0", "frost_0", "display_unit_0", "power_0", "voltage_0",
                        "current_0", "energy_0", "child_lock_0", "signal", "firmware"}),
             boost::test_tools::per_element());
  const auto& climate = entity(entities, "climate_0");
  BOOST_TEST(!climate.name);
  // Timer mode is a preset, not fan_only (device-families.md §1.3).
  BOOST_TEST(option(climate, "modes") == R"(["off","heat","cool","auto"])");
  BOOST_TEST(option(climate, "preset_modes") == R"(["timer"])");
  BOOST_TEST(option(entity(entities, "display_unit_0"), "options") ==
             R"(["celsius","fahrenheit"])");
}

BOOST_AUTO_TEST_CASE(mts300_fixture_entities) {
  const auto d = fixture("mts300");
  const auto entities = mapping::entities_for(d.profile);
  BOOST_TEST(
      keys_of(entities) == (Lines{"climate_0", "temperature_0", "humidity_0", "calibration_0",
                                  "humidity_calibration_0", "hold_action_0", "screen_brightness_0",
                                  "standby_brightness_0", "display_unit_0", "child_lock_0",
                                  "signal", "ip", "firmware"}),
      boost::test_tools::per_element());
  const auto& climate = entity(entities, "climate_0");
  BOOST_TEST(option(climate, "modes") == R"(["off","heat","cool","heat_cool"])");
  BOOST_TEST(option(climate, "preset_modes") == R"(["manual","schedule"])");
  BOOST_TEST(option(climate, "fan_modes") == R"(["auto","low","medium","high"])");
  BOOST_TEST(option(climate, "temperature_low_command_topic") ==
             R"("{command_topic:climate_0_low}")");
  BOOST_TEST(option(climate, "temperature_high_state_topic") ==
             R"("{state_topic:climate_0_high}")");
  BOOST_TEST(option(climate, "fan_mode_command_topic") == R"("{command_topic:climate_0_fan}")");
  BOOST_TEST(option(climate, "current_humidity_topic") == R"("{state_topic:humidity_0}")");
  BOOST_TEST(climate.command_keys == (Lines{"climate_0_mode", "climate_0_target", "climate_0_low",
                                            "climate_0_high", "climate_0_preset", "climate_0_fan"}),
             boost::test_tools::per_element());
  const auto& humidity = entity(entities, "humidity_0");
  BOOST_TEST(humidity.device_class == "humidity");
  BOOST_TEST(humidity.unit == "%");
  BOOST_TEST(humidity.state_class == "measurement");
  const auto& humidity_calibration = entity(entities, "humidity_calibration_0");
  BOOST_TEST(humidity_calibration.unit == "%");
  BOOST_TEST(option(humidity_calibration, "min") == "-5");
  BOOST_TEST(option(humidity_calibration, "max") == "5");
}

BOOST_AUTO_TEST_CASE(mts200_us_cools_with_summer_mode_and_reads_humidity) {
  const auto d = fixture("mts200");
  const auto entities = mapping::entities_for(d.profile);
  const auto& climate = entity(entities, "climate_0");
  BOOST_TEST(option(climate, "modes") == R"(["off","heat","cool"])");
  BOOST_TEST(option(climate, "current_humidity_topic") == R"("{state_topic:humidity_0}")");
  BOOST_TEST(entity(entities, "humidity_0").enabled_by_default);
  const auto keys = keys_of(entities);
  BOOST_TEST(std::count(keys.begin(), keys.end(), "display_unit_0") == 1);
  // No Overheat ability: no overheat entities.
  BOOST_TEST((std::find(keys.begin(), keys.end(), "overheat_0") == keys.end()));
}

BOOST_AUTO_TEST_CASE(no_thermostat_no_entities) {
  // PhysicalLock alone (an air purifier) makes no thermostat: only the child lock every device
  // with the ability gets (device_settings_test.cpp).
  for (const auto& e : mapping::entities_for(test::trace_profile("map100.json.txt"))) {
    BOOST_TEST(e.key.find("climate") == std::string::npos);
    BOOST_TEST(e.key.find("brightness") == std::string::npos);
  }
}

// --- states -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mts200b_digest_gives_every_state) {
  const auto p = mts200b();
  DeviceState s;
  const auto batch = test::states(p, s, kSystemAll, "GETACK", all_of("mts200b-1674112759"));
  const auto u = updates(batch);
  // {"onoff":1,"mode":4,"state":0,"currentTemp":210,"heatTemp":200,"coolTemp":190,"ecoTemp":180,
  //  "targetTemp":210,...}, windowOpened status 0
  BOOST_TEST(u.at("climate_0_mode") == "heat");
  BOOST_TEST(u.at("climate_0_action") == "idle");
  BOOST_TEST(u.at("climate_0_preset") == "manual");
  BOOST_TEST(u.at("climate_0_target") == "21");
  BOOST_TEST(u.at("temperature_0") == "21");
  BOOST_TEST(u.at("comfort_temperature_0") == "20");
  BOOST_TEST(u.at("sleep_temperature_0") == "19");
  BOOST_TEST(u.at("away_temperature_0") == "18");
  BOOST_TEST(u.at("window_0") == "OFF");
  BOOST_TEST(u.at("firmware") == "7.6.5");
  // min/max (the climate's range) were learnt: discovery is due once, not on every digest.
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(
      !test::states(p, s, kSystemAll, "GETACK", all_of("mts200b-1674112759")).entities_changed);
}

BOOST_AUTO_TEST_CASE(partial_pushes_update_only_what_they_carry) {
  const auto p = mts200b();
  DeviceState s;
  test::states(p, s, kSystemAll, "GETACK", all_of("mts200b-1674112759"));
  auto u =
      updates(test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":0,"currentTemp":215}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"temperature_0", "21.5"}}));
  u = updates(test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":0,"state":1}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_action", "heating"}}));
  u = updates(test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":0,"onoff":0}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_mode", "off"},
                                                      {"climate_0_action", "off"}}));
  u = updates(
      test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":0,"mode":0,"targetTemp":200}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_preset", "comfort"},
                                                      {"climate_0_target", "20"}}));
  // A SETACK {} and an empty GETACK (fw 7.6.5 answers []) say nothing.
  BOOST_TEST(test::states(p, s, kMode, "SETACK", "{}").updates.empty());
  BOOST_TEST(test::states(p, s, kMode, "GETACK", R"({"mode":[]})").updates.empty());
  // Other channels are not this device's.
  BOOST_TEST(
      test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":1,"onoff":1}]})").updates.empty());
}

BOOST_AUTO_TEST_CASE(mts200_summer_mode_turns_heat_into_cool) {
  const auto d = fixture("mts200");
  DeviceState s;
  auto u = updates(test::states(d.profile, s, kSystemAll, "GETACK", d.all));
  // Digest: onoff 0, mode 1 (sleep), coolTemp 155 = targetTemp, summerMode 1.
  BOOST_TEST(u.at("climate_0_mode") == "off");
  BOOST_TEST(u.at("climate_0_action") == "off");
  BOOST_TEST(u.at("climate_0_preset") == "sleep");
  BOOST_TEST(u.at("climate_0_target") == "15.5");
  BOOST_TEST(u.at("temperature_0") == "17.7");  // °C even with the display in °F
  test::states(d.profile, s, kMode, "PUSH", R"({"mode":[{"channel":0,"onoff":1,"state":1}]})");
  u = updates(test::states(d.profile, s, "Appliance.Control.Thermostat.SummerMode", "PUSH",
                           R"({"summerMode":[{"channel":0,"mode":2}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_mode", "cool"},
                                                      {"climate_0_action", "cooling"}}));
}

BOOST_AUTO_TEST_CASE(mts200_us_recorded_answers) {
  const auto d = fixture("mts200");
  DeviceState s;
  const auto u = replay_messages(d, s);
  BOOST_TEST(u.at("hold_action_0") == "permanent");
  BOOST_TEST(u.at("calibration_0") == "0");
  BOOST_TEST(u.at("dead_zone_0") == "0.5");
  BOOST_TEST(u.at("frost_0") == "OFF");
  BOOST_TEST(u.at("frost_temperature_0") == "5");
  BOOST_TEST(u.at("screen_brightness_0") == "100");
  BOOST_TEST(u.at("standby_brightness_0") == "0");
  BOOST_TEST(u.at("display_unit_0") == "fahrenheit");
  BOOST_TEST(u.at("humidity_0") == "59.6");
  BOOST_TEST(u.at("child_lock_0") == "OFF");
  // The payload's ranges: Calibration ±4.5, DeadZone 0.5..3.5.
  const auto entities = mapping::entities_for(d.profile, s);
  BOOST_TEST(option(entity(entities, "calibration_0"), "min") == "-4.5");
  BOOST_TEST(option(entity(entities, "calibration_0"), "max") == "4.5");
  BOOST_TEST(option(entity(entities, "dead_zone_0"), "max") == "3.5");
  BOOST_TEST(option(entity(entities, "frost_temperature_0"), "max") == "15");
}

BOOST_AUTO_TEST_CASE(mts960_digest_and_modes) {
  const auto p = mts960();
  DeviceState s;
  // {"mode":2,"targetTemp":1800,"working":1,"currentTemp":1723,"state":1,"onoff":1}
  expect_includes(updates(test::states(p, s, kSystemAll, "GETACK", all_of("mts960.csv"))),
                  {{"climate_0_mode", "auto"},
                   {"climate_0_action", "heating"},
                   {"climate_0_preset", "none"},
                   {"climate_0_target", "18"},
                   {"temperature_0", "17.23"}});
  // ModeB PUSHes in turn, and states each must publish (among others).
  const std::pair<std::string, std::map<std::string, std::string>> pushes[] = {
      // Timer mode: heat/cool stays, the preset says timer, the target (0) means nothing.
      {R"({"modeB":[{"channel":0,"mode":3,"targetTemp":0,"state":2}]})",
       {{"climate_0_mode", "heat"},
        {"climate_0_preset", "timer"},
        {"climate_0_target", "None"},
        {"climate_0_action", "idle"}}},
      {R"({"modeB":[{"channel":0,"mode":1,"working":2,"targetTemp":2600}]})",
       {{"climate_0_mode", "cool"}, {"climate_0_target", "26"}}},
  };
  for (const auto& [payload, expected] : pushes)
    expect_includes(updates(test::states(p, s, kModeB, "PUSH", payload)), expected);
  const auto u =
      updates(test::states(p, s, kModeB, "PUSH", R"({"modeB":[{"channel":0,"onoff":2}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_mode", "off"},
                                                      {"climate_0_action", "off"}}));
}

BOOST_AUTO_TEST_CASE(mts960_recorded_config_and_range) {
  const auto p = mts960();
  DeviceState s;
  std::map<std::string, std::string> u;
  bool changed = false;
  for (const char* ns :
       {"Appliance.Control.Thermostat.Frost", "Appliance.Control.Thermostat.Calibration",
        "Appliance.Control.Thermostat.DeadZone"}) {
    const auto batch = test::replay(p, s, "mts960.csv", ns, "GETACK");
    changed = changed || batch.entities_changed;
    for (const auto& [k, v] : updates(batch))
      u[k] = v;
  }
  BOOST_TEST(changed);
  BOOST_TEST(u.at("frost_0") == "ON");
  BOOST_TEST(u.at("frost_temperature_0") == "5");
  BOOST_TEST(u.at("calibration_0") == "0");
  BOOST_TEST(u.at("dead_zone_0") == "1");
  auto entities = mapping::entities_for(p, s);
  BOOST_TEST(option(entity(entities, "calibration_0"), "min") == "-20");
  BOOST_TEST(option(entity(entities, "dead_zone_0"), "max") == "20");
  // CtlRange (§1.3) sets the climate's range, /100.
  BOOST_TEST(test::states(p, s, "Appliance.Control.Thermostat.CtlRange", "GETACK",
                          R"({"ctlRange":[{"channel":0,"max":11000,"min":-3000,)"
                          R"("ctlMax":3600,"ctlMin":300}]})")
                 .entities_changed);
  entities = mapping::entities_for(p, s);
  BOOST_TEST(option(entity(entities, "climate_0"), "min_temp") == "3");
  BOOST_TEST(option(entity(entities, "climate_0"), "max_temp") == "36");
  test::states(p, s, kSystemAll, "GETACK", all_of("mts960.csv"));
  refused(p, s, "climate_0_target", "2.9");
  BOOST_TEST(
      sent(p, s, "climate_0_target", "36")[0] ==
      R"(SET Appliance.Control.Thermostat.ModeB {"modeB":[{"channel":0,"mode":1,"working":1,"targetTemp":3600}]})");
}

BOOST_AUTO_TEST_CASE(mts300_states) {
  const auto d = fixture("mts300");
  DeviceState s;
  auto u = replay_messages(d, s);
  // ModeC: mode 3, work 2, targets heat 2100 / cold 2400, fan speed 0, humi 495, all idle.
  BOOST_TEST(u.at("climate_0_mode") == "heat_cool");
  BOOST_TEST(u.at("climate_0_action") == "idle");
  BOOST_TEST(u.at("climate_0_preset") == "schedule");
  BOOST_TEST(u.at("climate_0_target") == "None");  // the band shows low/high instead
  BOOST_TEST(u.at("climate_0_low") == "21");
  BOOST_TEST(u.at("climate_0_high") == "24");
  BOOST_TEST(u.at("climate_0_fan") == "auto");
  BOOST_TEST(u.at("temperature_0") == "22");
  BOOST_TEST(u.at("humidity_0") == "49.5");
  BOOST_TEST(u.at("calibration_0") == "1.5");
  BOOST_TEST(u.at("humidity_calibration_0") == "-6");
  BOOST_TEST(u.at("hold_action_0") == "next_schedule");
  BOOST_TEST(u.at("screen_brightness_0") == "100");
  BOOST_TEST(u.at("standby_brightness_0") == "50");
  BOOST_TEST(u.at("child_lock_0") == "OFF");
  // Heating, partially pushed: mode 1 and the heating stage.
  u = updates(test::states(d.profile, s, kModeC, "PUSH",
                           R"({"control":[{"channel":0,"mode":1,"more":{"hStatus":1}}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_mode", "heat"},
                                                      {"climate_0_action", "heating"},
                                                      {"climate_0_target", "21"}}));
  u = updates(test::states(d.profile, s, kModeC, "PUSH",
                           R"({"control":[{"channel":0,"fan":{"fMode":1,"speed":3}}]})"));
  BOOST_TEST(u == (std::map<std::string, std::string>{{"climate_0_fan", "high"}}));
}

BOOST_AUTO_TEST_CASE(mts200b_recorded_overheat_and_brightness) {
  const auto p = mts200b();
  DeviceState s;
  // {"warning":0,"value":335,"onoff":1,"min":200,"max":700,"currentTemp":355,"channel":0}
  auto u = updates(test::states(
      p, s, "Appliance.Control.Thermostat.Overheat", "GETACK",
      test::recorded("mts200b-1674112759", "Appliance.Control.Thermostat.Overheat", "GETACK")));
  BOOST_TEST(u.at("overheat_temperature_0") == "33.5");
  BOOST_TEST(u.at("overheat_0") == "ON");
  BOOST_TEST(u.at("overheat_status_0") == "ok");
  BOOST_TEST(u.at("external_temperature_0") == "35.5");
  const auto entities = mapping::entities_for(p, s);
  BOOST_TEST(option(entity(entities, "overheat_temperature_0"), "min") == "20");
  BOOST_TEST(option(entity(entities, "overheat_temperature_0"), "max") == "70");
  // Old firmware sends floats (75.0, 50.0); fw 7.6.9 12.5 steps.
  u = updates(test::states(
      p, s, "Appliance.Control.Screen.Brightness", "GETACK",
      test::recorded("mts200b-1674112759", "Appliance.Control.Screen.Brightness", "GETACK")));
  BOOST_TEST(u.at("screen_brightness_0") == "75");
  BOOST_TEST(u.at("standby_brightness_0") == "50");
  u = updates(test::states(p, s, "Appliance.Control.Screen.Brightness", "PUSH",
                           R"({"brightness":[{"channel":0,"operation":100,"standby":12.5}]})"));
  BOOST_TEST(u.at("standby_brightness_0") == "12.5");
  u = updates(test::states(p, s, "Appliance.Control.Thermostat.Overheat", "PUSH",
                           R"({"overheat":[{"channel":0,"currentTemp":0,"warning":2}]})"));
  BOOST_TEST(u.at("overheat_status_0") == "disconnected");
}

BOOST_AUTO_TEST_CASE(every_fixture_message_maps_to_known_keys) {
  for (const std::string name : {"mts200", "mts300"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto d = fixture(name);
      const auto known = known_keys(mapping::entities_for(d.profile));
      DeviceState s;
      auto check = [&](const mapping::StateBatch& batch) {
        for (const auto& u : batch.updates)
          BOOST_TEST(known.count(u.entity_key), "unknown key " << u.entity_key);
      };
      check(test::states(d.profile, s, kSystemAll, "GETACK", d.all));
      for (const auto& [method, ns, payload] : d.messages)
        check(test::states(d.profile, s, ns, method, payload));
    }
  }
}

// --- bad input from the device ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_device_values_are_left_out_naming_the_field) {
  const auto p = mts200b();
  DeviceState s;
  test::states(p, s, kSystemAll, "GETACK", all_of("mts200b-1674112759"));
  BOOST_TEST(dropped_of(p, s, kMode, R"({"mode":[{"channel":0,"onoff":"x"}]})") ==
             "mode[0].onoff: expected an integer, got string");
  BOOST_TEST(dropped_of(p, s, kMode, R"({"mode":[{"channel":0,"mode":9}]})") ==
             "mode[0].mode: out of range 0..4");
  BOOST_TEST(dropped_of(p, s, kMode, R"({"mode":[{"channel":0,"currentTemp":5000}]})") ==
             "mode[0].currentTemp: out of range -1000..2000");
  BOOST_TEST(dropped_of(p, s, kMode, R"({"mode":[{"channel":0,"targetTemp":[1]}]})") ==
             "mode[0].targetTemp: expected an integer, got array");
  // Nothing readable at all: the message is the Error.
  BOOST_TEST(error_of(p, s, kMode, R"({"mode":5})") ==
             "mode: expected an object or a list, got integer");
  BOOST_TEST(dropped_of(p, s, kMode, R"({"mode":[7]})") ==
             "mode[0]: expected an object, got integer");
  BOOST_TEST(dropped_of(p, s, "Appliance.Control.Screen.Brightness",
                        R"({"brightness":[{"channel":0,"operation":12.34}]})") ==
             "brightness[0].operation: expected a number with one decimal, got number");
  BOOST_TEST(dropped_of(p, s, "Appliance.Control.Thermostat.Overheat",
                        R"({"overheat":[{"channel":0,"warning":3}]})") ==
             "overheat[0].warning: out of range 0..2");
  // A bad item changes nothing, not even its good fields; the device keeps working.
  const auto bad = try_states(p, s, kMode, R"({"mode":[{"channel":0,"mode":0,"onoff":7}]})");
  BOOST_REQUIRE(bad.ok());
  BOOST_TEST(bad->updates.empty());
  BOOST_TEST(s.numbers.at("thermostat.0.mode.mode") == 4);  // still manual, from the digest
  const auto u = updates(test::states(p, s, kMode, "PUSH", R"({"mode":[{"channel":0,"mode":0}]})"));
  BOOST_TEST(u.at("climate_0_preset") == "comfort");
}

BOOST_AUTO_TEST_CASE(bad_items_of_other_models_and_digest_sections) {
  const auto d = fixture("mts300");
  DeviceState s;
  BOOST_TEST(dropped_of(d.profile, s, kModeC, R"({"control":[{"channel":0,"targetTemp":5}]})") ==
             "control[0].targetTemp: expected an object, got integer");
  BOOST_TEST(
      dropped_of(d.profile, s, kModeC, R"({"control":[{"channel":0,"more":{"humi":1001}}]})") ==
      "control[0].more.humi: out of range 0..1000");
  BOOST_TEST(dropped_of(d.profile, s, kModeC, R"({"control":[{"channel":0,"mode":4}]})") ==
             "control[0].mode: out of range 0..3");
  const auto p = mts960();
  BOOST_TEST(dropped_of(p, s, kModeB, R"({"modeB":[{"channel":0,"onoff":0}]})") ==
             "modeB[0].onoff: out of range 1..2");
  BOOST_TEST(dropped_of(p, s, kModeB, R"({"modeB":[{"channel":0,"currentTemp":20001}]})") ==
             "modeB[0].currentTemp: out of range -10000..20000");
  // One bad digest item: it is left out, named; the rest of the digest is read.
  const auto us = fixture("mts200");
  DeviceState t;
  const auto batch = try_states(
      us.profile, t, kSystemAll,
      R"({"all":{"digest":{"thermostat":{"windowOpened":[{"channel":0,"status":"open"}],)"
      R"("mode":[{"channel":0,"onoff":1,"mode":3}]}}}})");
  BOOST_REQUIRE(batch.ok());
  BOOST_REQUIRE_EQUAL(batch->dropped.size(), 1u);
  BOOST_TEST(batch->dropped[0].describe() ==
             "all.digest.thermostat.windowOpened[0].status: expected an integer, got string");
  BOOST_TEST(updates(*batch).at("climate_0_mode") == "heat");
  BOOST_TEST(dropped_of(us.profile, t, kSystemAll, R"({"all":{"digest":{"thermostat":[]}}})") ==
             "all.digest.thermostat: expected an object, got array");
}

// The mutation test of tests/mapping covers other families; thermostats get their own here.
BOOST_AUTO_TEST_CASE(mutated_thermostat_payloads_never_crash) {
  std::vector<std::pair<DeviceProfile, test::Samples>> devices;
  for (const std::string name : {"mts200", "mts300"}) {
    const auto d = fixture(name);
    test::Samples samples{{kSystemAll, d.all}};
    for (const auto& [method, ns, payload] : d.messages)
      samples.emplace_back(ns, payload);
    devices.emplace_back(d.profile, samples);
  }
  devices.push_back({mts200b(), {{kSystemAll, all_of("mts200b-1674112759")}}});
  devices.push_back({mts960(), {{kSystemAll, all_of("mts960.csv")}}});
  std::size_t runs = 0, errors = 0;
  for (const auto& [profile, samples] : devices) {
    for (const auto& [ns, payload] : samples) {
      runs += test::for_each_mutation(payload, 400, [&](const rapidjson::Document& doc) {
        DeviceState s;
        const auto batch = try_states(profile, s, ns, protocol::to_json(doc));
        if (!batch.ok() || !batch->dropped.empty()) ++errors;
        // Whatever was remembered, entities and commands still work.
        mapping::entities_for(profile, s);
        (void)mapping::command_to_request(profile, s, "climate_0_target", "21");
        (void)mapping::command_to_request(profile, s, "climate_0_preset", "none");
      });
    }
  }
  BOOST_TEST(runs > 1000u);
  BOOST_TEST(errors > 100u);
}

// --- commands -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mts200_commands) {
  const auto d = fixture("mts200");
  DeviceState s;
  test::states(d.profile, s, kSystemAll, "GETACK", d.all);
  const std::string mode = "SET Appliance.Control.Thermostat.Mode ";
  // The Mode SETACK is the whole channel: no read-back.
  BOOST_TEST(sent(d.profile, s, "climate_0_mode", "off") ==
                 (Lines{mode + R"({"mode":[{"channel":0,"onoff":0}]})"}),
             boost::test_tools::per_element());
  // SummerMode may ack without applying: read back.
  BOOST_TEST(
      sent(d.profile, s, "climate_0_mode", "cool") ==
          (Lines{
              R"(SET Appliance.Control.Thermostat.SummerMode {"summerMode":[{"channel":0,"mode":2}]})",
              mode + R"({"mode":[{"channel":0,"onoff":1}]})",
              R"(GET Appliance.Control.Thermostat.SummerMode {"summerMode":[{"channel":0}]})"}),
      boost::test_tools::per_element());
  BOOST_TEST(
      sent(d.profile, s, "climate_0_mode", "heat")[0] ==
      R"(SET Appliance.Control.Thermostat.SummerMode {"summerMode":[{"channel":0,"mode":1}]})");
  // A new target is manual mode 4's, ×10.
  BOOST_TEST(sent(d.profile, s, "climate_0_target", "21.5") ==
                 (Lines{mode + R"({"mode":[{"channel":0,"mode":4,"manualTemp":215}]})"}),
             boost::test_tools::per_element());
  BOOST_TEST(sent(d.profile, s, "climate_0_target", " 5 ")[0] ==
             mode + R"({"mode":[{"channel":0,"mode":4,"manualTemp":50}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_target", "35.0")[0] ==
             mode + R"({"mode":[{"channel":0,"mode":4,"manualTemp":350}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_preset", "comfort")[0] ==
             mode + R"({"mode":[{"channel":0,"mode":0,"onoff":1}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_preset", "auto")[0] ==
             mode + R"({"mode":[{"channel":0,"mode":3,"onoff":1}]})");
  BOOST_TEST(sent(d.profile, s, "comfort_temperature_0", "19.5") ==
                 (Lines{mode + R"({"mode":[{"channel":0,"heatTemp":195}]})"}),
             boost::test_tools::per_element());
  BOOST_TEST(sent(d.profile, s, "away_temperature_0", "12")[0] ==
             mode + R"({"mode":[{"channel":0,"ecoTemp":120}]})");
  // mts200b fw 7.6.5: no SummerMode, so heat is just on and there is no cool.
  const auto b = mts200b();
  BOOST_TEST(sent(b, {}, "climate_0_mode", "heat") ==
                 (Lines{mode + R"({"mode":[{"channel":0,"onoff":1}]})"}),
             boost::test_tools::per_element());
  BOOST_TEST(refused(b, {}, "climate_0_mode", "cool") == "command: expected one of off, heat");
}

BOOST_AUTO_TEST_CASE(mts960_commands) {
  const auto p = mts960();
  DeviceState s;
  const std::string set = "SET Appliance.Control.Thermostat.ModeB ";
  const std::string get = R"(GET Appliance.Control.Thermostat.ModeB {"modeB":[{"channel":0}]})";
  // Before the device said heat or cool, a target cannot keep it.
  BOOST_TEST(refused(p, s, "climate_0_target", "21") ==
             "command: heating or cooling not known yet");
  BOOST_TEST(refused(p, s, "climate_0_preset", "none") ==
             "command: heating or cooling not known yet");
  test::states(p, s, kSystemAll, "GETACK", all_of("mts960.csv"));  // working 1
  BOOST_TEST(
      sent(p, s, "climate_0_target", "21.5") ==
          (Lines{set + R"({"modeB":[{"channel":0,"mode":1,"working":1,"targetTemp":2150}]})", get}),
      boost::test_tools::per_element());
  BOOST_TEST(sent(p, s, "climate_0_target", "21.25")[0] ==
             set + R"({"modeB":[{"channel":0,"mode":1,"working":1,"targetTemp":2125}]})");
  test::states(p, s, kModeB, "PUSH", R"({"modeB":[{"channel":0,"working":2}]})");
  BOOST_TEST(sent(p, s, "climate_0_target", "24")[0] ==
             set + R"({"modeB":[{"channel":0,"mode":1,"working":2,"targetTemp":2400}]})");
  BOOST_TEST(sent(p, s, "climate_0_mode", "off") ==
                 (Lines{set + R"({"modeB":[{"channel":0,"onoff":2}]})", get}),
             boost::test_tools::per_element());
  BOOST_TEST(sent(p, s, "climate_0_mode", "heat")[0] ==
             set + R"({"modeB":[{"channel":0,"onoff":1,"mode":1,"working":1}]})");
  BOOST_TEST(sent(p, s, "climate_0_mode", "cool")[0] ==
             set + R"({"modeB":[{"channel":0,"onoff":1,"mode":1,"working":2}]})");
  BOOST_TEST(sent(p, s, "climate_0_mode", "auto")[0] ==
             set + R"({"modeB":[{"channel":0,"onoff":1,"mode":2}]})");
  BOOST_TEST(sent(p, s, "climate_0_preset", "timer")[0] ==
             set + R"({"modeB":[{"channel":0,"onoff":1,"mode":3}]})");
  BOOST_TEST(sent(p, s, "climate_0_preset", "none")[0] ==
             set + R"({"modeB":[{"channel":0,"onoff":1,"mode":1,"working":2}]})");
  refused(p, s, "climate_0_mode", "fan_only");
  refused(p, s, "climate_0_preset", "schedule");
  // 0.01 °C is the mts960's resolution; 0.001 is not.
  BOOST_TEST(refused(p, s, "climate_0_target", "21.125") ==
             "command: the device takes at most 2 decimals");
}

BOOST_AUTO_TEST_CASE(mts300_commands) {
  const auto d = fixture("mts300");
  DeviceState s;
  const std::string set = "SET Appliance.Control.Thermostat.ModeC ";
  const std::string get = R"(GET Appliance.Control.Thermostat.ModeC {"control":[{"channel":0}]})";
  replay_messages(d, s);  // heat_cool, 21..24
  BOOST_TEST(sent(d.profile, s, "climate_0_mode", "heat") ==
                 (Lines{set + R"({"control":[{"channel":0,"mode":1}]})", get}),
             boost::test_tools::per_element());
  BOOST_TEST(sent(d.profile, s, "climate_0_mode", "heat_cool")[0] ==
             set + R"({"control":[{"channel":0,"mode":3}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_mode", "off")[0] ==
             set + R"({"control":[{"channel":0,"mode":0}]})");
  BOOST_TEST(
      sent(d.profile, s, "climate_0_low", "20") ==
          (Lines{
              set + R"({"control":[{"channel":0,"mode":3,"work":1,"targetTemp":{"heat":2000}}]})",
              get}),
      boost::test_tools::per_element());
  BOOST_TEST(sent(d.profile, s, "climate_0_high", "25.5")[0] ==
             set + R"({"control":[{"channel":0,"mode":3,"work":1,"targetTemp":{"cold":2550}}]})");
  BOOST_TEST(refused(d.profile, s, "climate_0_low", "24") ==
             "command: must stay below the high target");
  BOOST_TEST(refused(d.profile, s, "climate_0_high", "21") ==
             "command: must stay above the low target");
  // One target: only in heat or cool mode.
  BOOST_TEST(refused(d.profile, s, "climate_0_target", "21") ==
             "command: one target temperature needs heat or cool mode");
  test::states(d.profile, s, kModeC, "PUSH", R"({"control":[{"channel":0,"mode":2}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_target", "23.5")[0] ==
             set + R"({"control":[{"channel":0,"mode":2,"work":1,"targetTemp":{"cold":2350}}]})");
  test::states(d.profile, s, kModeC, "PUSH", R"({"control":[{"channel":0,"mode":1}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_target", "19")[0] ==
             set + R"({"control":[{"channel":0,"mode":1,"work":1,"targetTemp":{"heat":1900}}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_preset", "manual")[0] ==
             set + R"({"control":[{"channel":0,"work":1}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_preset", "schedule")[0] ==
             set + R"({"control":[{"channel":0,"work":2}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_fan", "medium")[0] ==
             set + R"({"control":[{"channel":0,"fan":{"fMode":1,"speed":2}}]})");
  BOOST_TEST(sent(d.profile, s, "climate_0_fan", "auto")[0] ==
             set + R"({"control":[{"channel":0,"fan":{"fMode":0,"speed":0}}]})");
  refused(d.profile, s, "climate_0_fan", "turbo");
  refused(d.profile, s, "climate_0_mode", "auto");
}

BOOST_AUTO_TEST_CASE(setting_commands_write_one_field_and_read_it_back) {
  const auto b = mts200b();
  DeviceState s;
  auto check = [&](const DeviceProfile& p, const std::string& key, const std::string& command,
                   const Lines& expected) {
    BOOST_TEST_CONTEXT(key << " " << command) {
      BOOST_TEST(sent(p, s, key, command) == expected, boost::test_tools::per_element());
    }
  };
  const std::string t = "Appliance.Control.Thermostat.";
  check(b, "calibration_0", "-1.5", written(t + "Calibration", "calibration", R"("value":-15)"));
  check(b, "dead_zone_0", "2", written(t + "DeadZone", "deadZone", R"("value":20)"));
  check(b, "frost_0", "ON", written(t + "Frost", "frost", R"("onoff":1)"));
  check(b, "frost_temperature_0", "7.5", written(t + "Frost", "frost", R"("value":75)"));
  check(b, "overheat_0", "OFF", written(t + "Overheat", "overheat", R"("onoff":0)"));
  check(b, "overheat_temperature_0", "40", written(t + "Overheat", "overheat", R"("value":400)"));
  check(b, "hold_action_0", "timer", written(t + "HoldAction", "holdAction", R"("mode":2)"));
  check(b, "screen_brightness_0", "12.5",
        written("Appliance.Control.Screen.Brightness", "brightness", R"("operation":12.5)"));
  check(b, "standby_brightness_0", "100",
        written("Appliance.Control.Screen.Brightness", "brightness", R"("standby":100)"));
  // The lock's GET drops the connection; the device PUSHes the change.
  check(b, "child_lock_0", "ON",
        {R"(SET Appliance.Control.PhysicalLock {"lock":[{"channel":0,"onoff":1}]})"});
  // mts960: ×100.
  const auto p = mts960();
  check(p, "calibration_0", "-2.7", written(t + "Calibration", "calibration", R"("value":-270)"));
  check(p, "frost_temperature_0", "10.25", written(t + "Frost", "frost", R"("value":1025)"));
  check(p, "display_unit_0", "fahrenheit",
        written("Appliance.Control.TempUnit", "tempUnit", R"("tempUnit":2)"));
  // mts300: the humidity offset, 0.1 %.
  const auto d = fixture("mts300");
  check(d.profile, "humidity_calibration_0", "-4.5",
        written(t + "Calibration", "calibration", R"("humiValue":-45)"));
}

BOOST_AUTO_TEST_CASE(bad_commands_are_refused_never_clamped) {
  const auto b = mts200b();
  DeviceState s;
  test::states(b, s, kSystemAll, "GETACK", all_of("mts200b-1674112759"));  // range 5..35
  BOOST_TEST(refused(b, s, "climate_0_target", "35.5") == "command: out of range 5..35");
  BOOST_TEST(refused(b, s, "climate_0_target", "4.9") == "command: out of range 5..35");
  BOOST_TEST(refused(b, s, "climate_0_target", "21.55") ==
             "command: the device takes at most 1 decimal");
  for (const std::string garbage : {"", "abc", "21,5", "1e1", "nan", "inf", "--1", "+-1", ".",
                                    "0x15", "21.5.1", "99999999999999999999", "{\"t\":21}"}) {
    BOOST_TEST(refused(b, s, "climate_0_target", garbage) == "command: expected a number");
  }
  refused(b, s, "climate_0_mode", "OFF");  // HA's modes are lower case
  refused(b, s, "climate_0_mode", "dry");
  BOOST_TEST(refused(b, s, "climate_0_preset", "none") ==
             "command: expected one of comfort, sleep, away, auto, manual");
  refused(b, s, "calibration_0", "8.1");
  refused(b, s, "frost_temperature_0", "16");
  refused(b, s, "overheat_temperature_0", "19.5");
  BOOST_TEST(refused(b, s, "screen_brightness_0", "30") == "command: expected a multiple of 12.5");
  refused(b, s, "screen_brightness_0", "112.5");
  refused(b, s, "screen_brightness_0", "-12.5");
  refused(b, s, "frost_0", "on");
  refused(b, s, "frost_0", "1");
  refused(b, s, "hold_action_0", "Permanent");
  // Read-only keys and parts the model lacks are no command targets.
  for (const std::string key : {"climate_0", "climate_0_action", "climate_0_low", "climate_0_fan",
                                "temperature_0", "window_0", "overheat_status_0",
                                "external_temperature_0", "humidity_0", "climate_1_mode"}) {
    refused(b, s, key, "21");
  }
  // The payload's range wins over the default: mts200 US calibration is ±4.5.
  const auto d = fixture("mts200");
  DeviceState t;
  replay_messages(d, t);
  BOOST_TEST(refused(d.profile, t, "calibration_0", "5") == "command: out of range -4.5..4.5");
  BOOST_TEST(
      sent(d.profile, t, "calibration_0", "4.5")[0] ==
      R"(SET Appliance.Control.Thermostat.Calibration {"calibration":[{"channel":0,"value":45}]})");
}

// --- polls and discovery ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(only_what_does_not_push_is_polled) {
  auto lines = [](const DeviceProfile& p) {
    Lines out;
    for (const auto& poll : thermostat_polls(p)) {
      BOOST_TEST((poll.kind == mapping::PollKind::Slow));
      out.push_back(poll.ns + " " + poll.payload_json);
    }
    return out;
  };
  const std::string t = "Appliance.Control.Thermostat.";
  // Not Mode (pushed), WindowOpened (digest), PhysicalLock (PUSH-query only; its GET drops the
  // connection), Schedule, Sensor.
  BOOST_TEST(lines(mts200b()) ==
                 (Lines{t + R"(Calibration {"calibration":[{"channel":0}]})",
                        t + R"(DeadZone {"deadZone":[{"channel":0}]})",
                        t + R"(Frost {"frost":[{"channel":0}]})",
                        t + R"(Overheat {"overheat":[{"channel":0}]})",
                        t + R"(HoldAction {"holdAction":[{"channel":0}]})",
                        R"(Appliance.Control.Screen.Brightness {"brightness":[{"channel":0}]})"}),
             boost::test_tools::per_element());
  // Never Alarm or CompressorDelay (§0 rule 3), nor the pushed ModeB and Timer.
  BOOST_TEST(
      lines(mts960()) == (Lines{t + R"(CtlRange {"ctlRange":[{"channel":0}]})",
                                t + R"(Calibration {"calibration":[{"channel":0}]})",
                                t + R"(DeadZone {"deadZone":[{"channel":0}]})",
                                t + R"(Frost {"frost":[{"channel":0}]})",
                                R"(Appliance.Control.TempUnit {"tempUnit":[{"channel":0}]})"}),
      boost::test_tools::per_element());
  // Never Sensor.HistoryX (it reboots an mts300), nor the pushed ModeC.
  BOOST_TEST(lines(fixture("mts300").profile) ==
                 (Lines{t + R"(Calibration {"calibration":[{"channel":0}]})",
                        t + R"(HoldAction {"holdAction":[{"channel":0}]})",
                        R"(Appliance.Control.Screen.Brightness {"brightness":[{"channel":0}]})",
                        R"(Appliance.Control.TempUnit {"tempUnit":[{"channel":0}]})"}),
             boost::test_tools::per_element());
  const auto us = lines(fixture("mts200").profile);
  BOOST_TEST(std::count(us.begin(), us.end(),
                        R"(Appliance.Control.Sensor.Latest {"latest":[{"channel":0}]})") == 1);
  BOOST_TEST(us.size() == 7u);
}

BOOST_AUTO_TEST_CASE(climate_discovery_reads_and_writes_its_own_keys) {
  const auto d = fixture("mts300");
  const auto docs = discovery::device_config(d.profile, mapping::entities_for(d.profile), {});
  BOOST_REQUIRE_EQUAL(docs.size(), 1u);
  rapidjson::Document doc;
  doc.Parse(docs[0].payload.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  const auto& climate = doc["components"]["climate_0"];
  const std::string base = discovery::Options{}.base_topic;
  const std::string uuid = d.profile.uuid;
  BOOST_TEST(std::string(climate["platform"].GetString()) == "climate");
  BOOST_TEST(!climate.HasMember("state_topic"));
  BOOST_TEST(!climate.HasMember("command_topic"));
  BOOST_TEST(climate["mode_state_topic"].GetString() ==
             discovery::state_topic(base, uuid, "climate_0_mode"));
  BOOST_TEST(climate["mode_command_topic"].GetString() ==
             discovery::command_topic(base, uuid, "climate_0_mode"));
  BOOST_TEST(climate["temperature_low_command_topic"].GetString() ==
             discovery::command_topic(base, uuid, "climate_0_low"));
  BOOST_TEST(climate["current_temperature_topic"].GetString() ==
             discovery::state_topic(base, uuid, "temperature_0"));
  BOOST_TEST(climate["min_temp"].GetDouble() == 5.0);
  BOOST_TEST(climate["modes"].Size() == 4u);
  const auto& number = doc["components"]["calibration_0"];
  BOOST_TEST(std::string(number["platform"].GetString()) == "number");
  BOOST_TEST(number["min"].GetDouble() == -8.0);
  BOOST_TEST(std::string(number["entity_category"].GetString()) == "config");
}

BOOST_AUTO_TEST_CASE(thermostat_discovery_passes_the_rules_checker) {
  std::vector<discovery::Publication> docs;
  discovery::Options per_component;
  per_component.device_discovery = false;
  for (const std::string name : {"mts200", "mts300"}) {
    const auto d = fixture(name);
    DeviceState s;
    test::states(d.profile, s, kSystemAll, "GETACK", d.all);
    replay_messages(d, s);
    const auto entities = mapping::entities_for(d.profile, s);
    for (auto& p : discovery::device_config(d.profile, entities, {}))
      docs.push_back(std::move(p));
    auto each = discovery::device_config(d.profile, entities, per_component);
    BOOST_TEST(each.size() == entities.size());
  }
  test::expect_valid_discovery(docs);
}

BOOST_AUTO_TEST_SUITE_END()
