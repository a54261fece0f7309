// Hubs and their sub-devices (mapping/families/hub*.cpp, device-families.md §2): the sub-device
// list from the hub traces' digests, the entities of each type, states from the digest and the
// Hub.* answers and PUSHes, availability per sub-device, the exact SETs of every command, bad
// input (duplicated ids, unknown types, wrong types), sub-devices coming and going, and polls.

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/inspect.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/mutations.hpp"
#include "mapping/support.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

// How Boost.Test prints what these tests compare (internal linkage: other test files print
// some of these types their own way).
namespace meross::mapping {
static std::ostream& boost_test_print_type(std::ostream& out, const DeviceRequest& r) {
  return out << protocol::to_string(r.method) << ' ' << r.ns << ' ' << r.payload_json;
}
static std::ostream& boost_test_print_type(std::ostream& out, const SubDevice& s) {
  return out << s.id << '/' << s.type << '/' << s.model;
}
static std::ostream& boost_test_print_type(std::ostream& out, Component c) {
  return out << to_string(c);
}
static std::ostream& boost_test_print_type(std::ostream& out, Category c) {
  return out << to_string(c);
}
static std::ostream& boost_test_print_type(std::ostream& out, const Poll& p) {
  return out << static_cast<int>(p.kind) << ' ' << p.ns << ' ' << p.payload_json;
}
}  // namespace meross::mapping

using namespace meross;
using mapping::Component;
using mapping::DeviceRequest;
using mapping::DeviceState;
using mapping::SubDevice;
using meross::test::entity;
using meross::test::option;
using protocol::DeviceProfile;
using protocol::Method;

namespace {

constexpr const char* kSystemAll = "Appliance.System.All";
constexpr const char* kMsh300 = "msh300-2024";
constexpr const char* kMsh300hk = "msh300hk-ms200-gs559";

// The trace's System.All GETACK payload, as the bridge reads it first.
std::string trace_all(const std::string& fragment) {
  const auto path = test::trace_path(fragment);
  const auto trace = protocol::parse_trace(path.filename().string(), test::read_file(path));
  BOOST_REQUIRE(trace.ok());
  return trace->all_json;
}

// "key=payload key=payload", in the batch's order: what a batch published, to compare whole.
std::string joined(const mapping::StateBatch& batch) {
  std::string out;
  for (const auto& u : batch.updates)
    out += (out.empty() ? "" : " ") + u.entity_key + "=" + u.payload;
  return out;
}

std::map<std::string, std::string> by_key(const mapping::StateBatch& batch) {
  std::map<std::string, std::string> out;
  for (const auto& u : batch.updates)
    out[u.entity_key] = u.payload;
  return out;
}

std::vector<std::string> keys_of(const std::vector<mapping::Entity>& entities,
                                 const std::string& sub_device) {
  std::vector<std::string> keys;
  for (const auto& e : entities) {
    if (e.sub_device == sub_device) keys.push_back(e.key);
  }
  return keys;
}

// The requests of a command; fails the test on an Error.
std::vector<DeviceRequest> plan(const DeviceProfile& p, const DeviceState& s,
                                const std::string& key, const std::string& command) {
  auto requests = mapping::command_to_request(p, s, key, command);
  BOOST_REQUIRE_MESSAGE(requests.ok(), key + " " + command + ": " +
                                           (requests.ok() ? "" : requests.error().describe()));
  return *requests;
}

// The test fails unless the command's requests are exactly `expected`.
void expect_plan(const DeviceProfile& p, const DeviceState& s, const std::string& key,
                 const std::string& command, const std::vector<DeviceRequest>& expected) {
  BOOST_TEST_CONTEXT(key << " " << command) {
    BOOST_TEST(plan(p, s, key, command) == expected, boost::test_tools::per_element());
  }
}

// A command and the exact requests it must give.
struct Plan {
  std::string key;
  std::string command;
  std::vector<DeviceRequest> requests;
};
void expect_plans(const DeviceProfile& p, const DeviceState& s, const std::vector<Plan>& plans) {
  for (const auto& plan : plans)
    expect_plan(p, s, plan.key, plan.command, plan.requests);
}

DeviceRequest set(const std::string& ns, const std::string& payload) {
  return {Method::Set, ns, payload};
}
DeviceRequest get(const std::string& ns, const std::string& payload) {
  return {Method::Get, ns, payload};
}

// A hand-written hub (msh300 abilities plus Sensor.LatestX, as the ms130's hub has) whose digest
// is `subdevices` (the JSON list's inside).
const char* const kHubAbilities =
    R"({"ability":{"Appliance.System.All":{},"Appliance.System.Runtime":{},)"
    R"("Appliance.Digest.Hub":{},"Appliance.Hub.Online":{},"Appliance.Hub.ToggleX":{},)"
    R"("Appliance.Hub.Exception":{},"Appliance.Hub.SubdeviceList":{},"Appliance.Hub.Report":{},)"
    R"("Appliance.Hub.Battery":{},"Appliance.Hub.Mts100.All":{},"Appliance.Hub.Mts100.Mode":{},)"
    R"("Appliance.Hub.Mts100.Temperature":{},"Appliance.Hub.Mts100.Adjust":{},)"
    R"("Appliance.Hub.Mts100.ScheduleB":{"scheduleUnitTime":15},"Appliance.Hub.Sensor.All":{},)"
    R"("Appliance.Hub.Sensor.Adjust":{},"Appliance.Hub.Sensor.TempHum":{},)"
    R"("Appliance.Hub.Sensor.DoorWindow":{},"Appliance.Hub.Sensor.Smoke":{},)"
    R"("Appliance.Hub.Sensor.WaterLeak":{},"Appliance.Control.Sensor.LatestX":{}}})";

std::string hub_all(const std::string& subdevices) {
  return R"({"all":{"system":{"hardware":{"type":"msh300","uuid":"2001011234567890123448e1e9aabb10",)"
         R"("macAddress":"48:e1:e9:aa:bb:10","version":"4.0.0"},"firmware":{"version":"4.5.32",)"
         R"("innerIp":"10.0.0.9"}},"digest":{"hub":{"hubId":1,"mode":0,"subdevice":[)" +
         subdevices + "]}}}}";
}

DeviceProfile hub_profile() {
  return test::profile_from(hub_all(""), kHubAbilities);
}

// One of each type, the gs559 in alarm, the last with a type no one knows.
const char* const kEveryType =
    R"({"id":"0300DF01","status":1,"onoff":1,"mts150":{"mode":0,"currentSet":215}},)"
    R"({"id":"120027D21C19","status":1,"onoff":0,"ms100":{"latestTemperature":152,)"
    R"("latestHumidity":710,"voltage":2538}},)"
    R"({"id":"1A00694ACBC7","status":1,"tempHumi":{"latestTime":1,"temp":1987,"humi":677}},)"
    R"({"id":"160020100486","status":1,"onoff":0,"doorWindow":{"status":1,"lmTime":1}},)"
    R"({"id":"3A0000000001","status":1,"waterLeak":{"latestWaterLeak":0,"lmTime":1}},)"
    R"({"id":"28004811B776","status":1,"smokeAlarm":{"status":25,"lmTime":1,"interConn":0}},)"
    R"({"id":"0F0000000001","status":1,"ms999x":{"whatever":1}})";

// A hub that has read kEveryType.
struct EveryType {
  DeviceProfile profile = hub_profile();
  DeviceState state;
  mapping::StateBatch first;
  EveryType() { first = test::states(profile, state, kSystemAll, "GETACK", hub_all(kEveryType)); }
};

// The test fails unless `batch` publishes each of `states` (among others) and none of `absent`.
void expect_states(const mapping::StateBatch& batch,
                   const std::map<std::string, std::string>& states,
                   const std::vector<std::string>& absent) {
  const auto s = by_key(batch);
  for (const auto& [key, value] : states) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(s.at(key) == value);
    }
  }
  for (const auto& key : absent) {
    BOOST_TEST_CONTEXT(key) {
      BOOST_TEST(s.count(key) == 0u);
    }
  }
}

// A PUSH and the states it must publish (among others).
struct Push {
  std::string ns;
  std::string payload;
  std::map<std::string, std::string> states;
};

// Each PUSH in turn.
void expect_pushes(const DeviceProfile& p, DeviceState& s, const std::vector<Push>& pushes) {
  for (const auto& push : pushes) {
    BOOST_TEST_CONTEXT(push.ns << " " << push.payload) {
      expect_states(test::states(p, s, push.ns, "PUSH", push.payload), push.states, {});
    }
  }
}

// A recorded GETACK of a hub trace, the states it must publish and the keys it must not.
struct Answer {
  std::string ns;
  std::map<std::string, std::string> states;
  std::vector<std::string> absent = {};
  std::size_t index = 0;  // of the recorded answers of `ns`
};

// Each answer of `trace` in turn, after its digest.
void expect_answers(const std::string& trace, const std::vector<Answer>& answers) {
  const auto profile = test::trace_profile(trace);
  DeviceState state;
  test::states(profile, state, kSystemAll, "GETACK", trace_all(trace));
  for (const auto& answer : answers) {
    BOOST_TEST_CONTEXT(answer.ns) {
      expect_states(test::replay(profile, state, trace, answer.ns, "GETACK", answer.index),
                    answer.states, answer.absent);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hub)

BOOST_AUTO_TEST_CASE(sub_devices_come_from_each_hub_traces_digest) {
  const std::vector<std::pair<std::string, std::vector<SubDevice>>> cases{
      {kMsh300,
       {{"120027D21C19", "ms100", "MS100"},
        {"01008C11", "mts100v3", "MTS100V3"},
        {"0100783A", "mts100v3", "MTS100V3"}}},
      {kMsh300hk,
       {{"160020100486", "doorWindow", "MS200"},
        {"0300DF01", "mts150", "MTS150"},
        {"28004811B776", "smokeAlarm", "GS559"}}},
      {"smokeAlarm.json", {{"280000000A7F", "smokeAlarm", "GS559"}}},
  };
  for (const auto& [fragment, expected] : cases) {
    BOOST_TEST_CONTEXT(fragment) {
      const auto profile = test::trace_profile(fragment);
      DeviceState state;
      const auto batch = test::states(profile, state, kSystemAll, "GETACK", trace_all(fragment));
      BOOST_TEST(state.sub_devices == expected, boost::test_tools::per_element());
      BOOST_TEST(batch.entities_changed);
      BOOST_TEST(batch.dropped.empty());
      // Read again: nothing changed.
      const auto again = test::states(profile, state, kSystemAll, "GETACK", trace_all(fragment));
      BOOST_TEST(!again.entities_changed);
      // `meross-bridge inspect` knows them too.
      const auto path = test::trace_path(fragment);
      const auto device =
          discovery::device_from_file(path.filename().string(), test::read_file(path));
      BOOST_REQUIRE(device.ok());
      BOOST_TEST(device->state.sub_devices == expected, boost::test_tools::per_element());
    }
  }
  // A plug has none, and no hub entities.
  const auto plug = test::trace_profile("mss310.csv");
  DeviceState state;
  test::states(plug, state, kSystemAll, "GETACK", trace_all("mss310.csv"));
  BOOST_TEST(state.sub_devices.empty());
}

BOOST_AUTO_TEST_CASE(entities_per_sub_device_type) {
  EveryType hub;
  const auto entities = mapping::entities_for(hub.profile, hub.state);
  using Keys = std::vector<std::string>;
  BOOST_TEST(keys_of(entities, "0300DF01") ==
                 (Keys{"0300DF01_climate", "0300DF01_window", "0300DF01_adjust", "0300DF01_comfort",
                       "0300DF01_economy", "0300DF01_away", "0300DF01_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(keys_of(entities, "120027D21C19") ==
                 (Keys{"120027D21C19_temperature", "120027D21C19_humidity",
                       "120027D21C19_adjust_temperature", "120027D21C19_adjust_humidity",
                       "120027D21C19_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(keys_of(entities, "1A00694ACBC7") ==
                 (Keys{"1A00694ACBC7_temperature", "1A00694ACBC7_humidity",
                       "1A00694ACBC7_illuminance", "1A00694ACBC7_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(
      keys_of(entities, "160020100486") == (Keys{"160020100486_window", "160020100486_battery"}),
      boost::test_tools::per_element());
  BOOST_TEST(
      keys_of(entities, "3A0000000001") == (Keys{"3A0000000001_leak", "3A0000000001_battery"}),
      boost::test_tools::per_element());
  BOOST_TEST(keys_of(entities, "28004811B776") ==
                 (Keys{"28004811B776_smoke", "28004811B776_heat", "28004811B776_problem",
                       "28004811B776_muted", "28004811B776_status", "28004811B776_mute",
                       "28004811B776_test", "28004811B776_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(keys_of(entities, "0F0000000001") == (Keys{"0F0000000001_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(hub.state.sub_devices.back().model == "MS999X");

  // The valve: its climate is the device's main entity, reading and writing through keys of
  // its own.
  const auto& climate = entity(entities, "0300DF01_climate");
  BOOST_TEST(climate.component == Component::Climate);
  BOOST_TEST(!climate.name);
  BOOST_TEST(!climate.has_command);
  BOOST_TEST(climate.command_keys == (Keys{"0300DF01_mode", "0300DF01_target", "0300DF01_preset"}),
             boost::test_tools::per_element());
  BOOST_TEST(option(climate, "modes") == R"(["off","heat"])");
  BOOST_TEST(option(climate, "mode_command_topic") == R"("{command_topic:0300DF01_mode}")");
  BOOST_TEST(option(climate, "temperature_state_topic") == R"("{state_topic:0300DF01_target}")");
  BOOST_TEST(option(climate, "current_temperature_topic") == R"("{state_topic:0300DF01_room}")");
  BOOST_TEST(option(climate, "action_topic") == R"("{state_topic:0300DF01_action}")");
  BOOST_TEST(option(climate, "preset_modes") == R"(["custom","comfort","sleep","away","auto"])");
  BOOST_TEST(option(climate, "min_temp") == "5");
  BOOST_TEST(option(climate, "max_temp") == "35");
  BOOST_TEST(option(climate, "temp_step") == "0.5");
  BOOST_TEST(option(climate, "temperature_unit") == R"("C")");
  const auto& window = entity(entities, "0300DF01_window");
  BOOST_TEST(window.component == Component::BinarySensor);
  BOOST_TEST(window.device_class == "window");
  const auto& adjust = entity(entities, "0300DF01_adjust");
  BOOST_TEST(adjust.component == Component::Number);
  BOOST_TEST(adjust.category == mapping::Category::Config);
  BOOST_TEST(option(adjust, "min") == "-5");
  BOOST_TEST(option(adjust, "step") == "0.5");
  BOOST_TEST(*entity(entities, "0300DF01_economy").name == "Sleep temperature");
  const auto& battery = entity(entities, "0300DF01_battery");
  BOOST_TEST(battery.device_class == "battery");
  BOOST_TEST(battery.unit == "%");
  BOOST_TEST(battery.category == mapping::Category::Diagnostic);

  // ms100: named readings, offsets with their own ranges.
  BOOST_TEST(*entity(entities, "120027D21C19_temperature").name == "Temperature");
  BOOST_TEST(entity(entities, "120027D21C19_temperature").unit == "°C");
  BOOST_TEST(entity(entities, "120027D21C19_humidity").device_class == "humidity");
  BOOST_TEST(option(entity(entities, "120027D21C19_adjust_humidity"), "max") == "20");
  BOOST_TEST(option(entity(entities, "120027D21C19_adjust_temperature"), "step") == "0.1");
  BOOST_TEST(entity(entities, "1A00694ACBC7_illuminance").unit == "lx");

  // Binary sensors that are what the device is for carry its name.
  BOOST_TEST(!entity(entities, "160020100486_window").name);
  BOOST_TEST(entity(entities, "160020100486_window").device_class == "window");
  BOOST_TEST(!entity(entities, "3A0000000001_leak").name);
  BOOST_TEST(entity(entities, "3A0000000001_leak").device_class == "moisture");

  // gs559.
  BOOST_TEST(!entity(entities, "28004811B776_smoke").name);
  BOOST_TEST(entity(entities, "28004811B776_smoke").device_class == "smoke");
  BOOST_TEST(entity(entities, "28004811B776_heat").device_class == "heat");
  BOOST_TEST(entity(entities, "28004811B776_problem").device_class == "problem");
  const auto& status = entity(entities, "28004811B776_status");
  BOOST_TEST(status.device_class == "enum");
  BOOST_TEST(option(status, "options") ==
             R"(["ok","error_temperature","error_smoke","error_battery","alarm_test",)"
             R"("alarm_temperature_high","alarm_smoke"])");
  const auto& mute = entity(entities, "28004811B776_mute");
  BOOST_TEST(mute.component == Component::Button);
  BOOST_TEST(mute.has_command);
  BOOST_TEST(option(mute, "payload_press") == R"("PRESS")");

  // Every key is unique in the whole device.
  std::set<std::string> unique;
  for (const auto& e : entities)
    BOOST_TEST(unique.insert(e.key).second, e.key);
}

BOOST_AUTO_TEST_CASE(sub_devices_are_devices_of_their_own_in_discovery) {
  EveryType hub;
  const auto entities = mapping::entities_for(hub.profile, hub.state);
  const auto docs = discovery::device_config(hub.profile, entities, {}, {}, hub.state.sub_devices);
  BOOST_REQUIRE_EQUAL(docs.size(), 1 + hub.state.sub_devices.size());
  test::expect_valid_discovery(docs);
  rapidjson::Document valve;
  valve.Parse(docs[1].payload.c_str());
  BOOST_REQUIRE(!valve.HasParseError());
  BOOST_TEST(docs[1].topic ==
             "homeassistant/device/meross_2001011234567890123448e1e9aabb10_0300DF01/config");
  BOOST_TEST(std::string(valve["device"]["model"].GetString()) == "MTS150");
  BOOST_TEST(std::string(valve["device"]["via_device"].GetString()) ==
             "meross_2001011234567890123448e1e9aabb10");
  BOOST_TEST(std::string(valve["availability"][2]["topic"].GetString()) ==
             "meross/2001011234567890123448e1e9aabb10/0300DF01_availability/state");
  const auto& climate = valve["components"]["0300DF01_climate"];
  BOOST_TEST(climate["name"].IsNull());
  BOOST_TEST(!climate.HasMember("state_topic"));
  BOOST_TEST(std::string(climate["mode_command_topic"].GetString()) ==
             "meross/2001011234567890123448e1e9aabb10/0300DF01_mode/set");
  BOOST_TEST(std::string(climate["current_temperature_topic"].GetString()) ==
             "meross/2001011234567890123448e1e9aabb10/0300DF01_room/state");
  BOOST_TEST(climate["min_temp"].GetDouble() == 5.0);
}

BOOST_AUTO_TEST_CASE(states_from_the_digest) {
  const auto from_trace = [](const std::string& trace) {
    DeviceState state;
    return test::states(test::trace_profile(trace), state, kSystemAll, "GETACK", trace_all(trace));
  };
  EveryType hub;
  // Each digest's batch, states it must publish (among others) and keys it must not.
  const struct {
    mapping::StateBatch batch;
    std::map<std::string, std::string> states;
    std::vector<std::string> absent;
  } digests[] = {
      {from_trace(kMsh300),
       {{"120027D21C19_availability", "online"},
        {"120027D21C19_temperature", "9.1"},
        {"120027D21C19_humidity", "72"},
        {"01008C11_mode", "heat"},
        {"01008C11_preset", "custom"},  // mode 0 in the first digest
        {"0100783A_preset", "comfort"}},
       // `heating` is not in the digest; the ms100's onoff switches nothing.
       {"01008C11_action", "120027D21C19_mode"}},
      {from_trace(kMsh300hk),
       {{"160020100486_window", "OFF"},
        {"0300DF01_target", "15"},
        {"0300DF01_preset", "comfort"},
        {"28004811B776_status", "ok"},
        {"28004811B776_smoke", "OFF"},
        {"28004811B776_availability", "online"}},
       {}},
      {hub.first,
       {{"0300DF01_target", "21.5"},
        {"1A00694ACBC7_temperature", "19.87"},  // ms130: hundredths
        {"1A00694ACBC7_humidity", "67.7"},
        {"160020100486_window", "ON"},
        {"3A0000000001_leak", "OFF"},
        {"28004811B776_smoke", "ON"},
        {"28004811B776_heat", "OFF"},
        {"28004811B776_muted", "OFF"},
        {"28004811B776_status", "alarm_smoke"},
        {"0F0000000001_availability", "online"}},
       {}},
  };
  for (const auto& digest : digests)
    expect_states(digest.batch, digest.states, digest.absent);
  BOOST_TEST(hub.first.dropped.empty());
}

BOOST_AUTO_TEST_CASE(states_from_recorded_hub_answers) {
  expect_answers(
      kMsh300,
      {{"Appliance.Hub.Mts100.All",
        {{"01008C11_room", "15.5"},
         {"01008C11_target", "27"},
         {"01008C11_comfort", "27"},
         {"01008C11_economy", "20"},
         {"01008C11_away", "12"},
         {"01008C11_window", "OFF"},
         {"01008C11_action", "heating"},
         {"01008C11_mode", "heat"},
         {"01008C11_preset", "comfort"},
         {"01008C11_availability", "online"},
         {"0100783A_room", "15"}}},
       {"Appliance.Hub.Mts100.Adjust",
        {{"01008C11_adjust", "0"}, {"0100783A_adjust", "0.5"}}},  // hundredths
       {"Appliance.Hub.Battery", {{"120027D21C19_battery", "50"}, {"0100783A_battery", "100"}}},
       {"Appliance.Hub.Sensor.All",
        {{"120027D21C19_temperature", "15.2"}, {"120027D21C19_humidity", "71"}}},
       {"Appliance.Hub.Sensor.Adjust",
        {{"120027D21C19_adjust_temperature", "0"}, {"120027D21C19_adjust_humidity", "0"}}},
       {"Appliance.Hub.Sensor.TempHum", {{"120027D21C19_temperature", "15.2"}}},
       {"Appliance.Hub.Sensor.Latest", {{"120027D21C19_temperature", "15.2"}}},
       {"Appliance.Hub.ToggleX",
        {{"0100783A_mode", "heat"}, {"0100783A_action", "heating"}},
        {"120027D21C19_mode"}}});

  // The msh300hk: door/window and smoke alarm answers, and the offset it was given.
  expect_answers(kMsh300hk,
                 {{"Appliance.Hub.Sensor.All",
                   {{"160020100486_window", "OFF"}, {"28004811B776_status", "ok"}},
                   {"0300DF01_availability"}},  // not in this answer
                  {"Appliance.Hub.Sensor.DoorWindow", {{"160020100486_window", "OFF"}}},
                  {"Appliance.Hub.Sensor.Smoke", {{"28004811B776_problem", "OFF"}}},
                  {"Appliance.Hub.Mts100.Adjust", {{"0300DF01_adjust", "-0.2"}}, {}, 2}});
}

BOOST_AUTO_TEST_CASE(partial_pushes_update_only_what_they_carry) {
  EveryType hub;
  auto& p = hub.profile;
  auto& s = hub.state;
  const auto target = test::states(p, s, "Appliance.Hub.Mts100.Temperature", "PUSH",
                                   R"({"temperature":[{"id":"0300DF01","currentSet":205}]})");
  BOOST_TEST(joined(target) == "0300DF01_target=20.5");
  const auto room = test::states(p, s, "Appliance.Hub.Mts100.Temperature", "PUSH",
                                 R"({"temperature":[{"room":200,"id":"0300DF01"}]})");
  BOOST_TEST(joined(room) == "0300DF01_room=20");
  expect_pushes(p, s,
                {// `heating` gives the action once the power is known (the digest's onoff 1).
                 {"Appliance.Hub.Mts100.Temperature",
                  R"({"temperature":[{"id":"0300DF01","heating":0,"openWindow":1}]})",
                  {{"0300DF01_action", "idle"}, {"0300DF01_window", "ON"}}},
                 {"Appliance.Hub.ToggleX",
                  R"({"togglex":[{"id":"0300DF01","onoff":0}]})",
                  {{"0300DF01_mode", "off"}, {"0300DF01_action", "off"}}},
                 {"Appliance.Hub.Mts100.Mode",
                  R"({"mode":[{"id":"0300DF01","state":3}]})",
                  {{"0300DF01_preset", "auto"}}}});
  // A Temperature SETACK returns the whole object.
  const auto ack = by_key(test::states(
      p, s, "Appliance.Hub.Mts100.Temperature", "SETACK",
      R"({"temperature":[{"id":"0300DF01","room":210,"currentSet":145,"custom":145,)"
      R"("comfort":210,"economy":170,"away":120,"max":300,"min":70,"heating":0,"openWindow":0}]})"));
  BOOST_TEST(ack.at("0300DF01_target") == "14.5");
  // New limits: the climate and the setpoints are announced again with them.
  const auto limits = test::states(p, s, "Appliance.Hub.Mts100.Temperature", "PUSH",
                                   R"({"temperature":[{"id":"0300DF01","min":70,"max":300}]})");
  BOOST_TEST(!limits.entities_changed);  // already known from the SETACK
  const auto entities = mapping::entities_for(p, s);
  BOOST_TEST(option(entity(entities, "0300DF01_climate"), "min_temp") == "7");
  BOOST_TEST(option(entity(entities, "0300DF01_comfort"), "max") == "30");
  // Mode SETACK and Hub.ToggleX SETACK carry nothing.
  BOOST_TEST(test::states(p, s, "Appliance.Hub.Mts100.Mode", "SETACK", "{}").updates.empty());

  // Sensors.
  expect_pushes(p, s,
                {{"Appliance.Hub.Sensor.DoorWindow",
                  R"({"doorWindow":[{"id":"160020100486","status":0,"lmTime":2}]})",
                  {{"160020100486_window", "OFF"}}},
                 {"Appliance.Hub.Sensor.WaterLeak",
                  R"({"waterLeak":[{"id":"3A0000000001","latestWaterLeak":1}]})",
                  {{"3A0000000001_leak", "ON"}}},
                 {"Appliance.Hub.Sensor.Smoke",
                  R"({"smokeAlarm":[{"id":"28004811B776","status":26}]})",
                  {{"28004811B776_heat", "ON"},
                   {"28004811B776_smoke", "OFF"},
                   {"28004811B776_muted", "ON"},
                   {"28004811B776_status", "alarm_temperature_high"}}},
                 {"Appliance.Hub.Sensor.Smoke",
                  R"({"smokeAlarm":[{"id":"28004811B776","status":19}]})",
                  {{"28004811B776_problem", "ON"}, {"28004811B776_status", "error_battery"}}}});
  // ms130: Sensor.All hundredths, and the hub's LatestX with the light level.
  const auto ms130 = by_key(test::states(
      p, s, "Appliance.Hub.Sensor.All", "GETACK",
      R"({"all":[{"id":"1A00694ACBC7","online":{"status":1},"temperature":{"latest":2134,)"
      R"("max":600,"min":-200},"humidity":{"latest":711}}]})"));
  BOOST_TEST(ms130.at("1A00694ACBC7_temperature") == "21.34");
  BOOST_TEST(ms130.at("1A00694ACBC7_humidity") == "71.1");
  const auto latest = by_key(test::states(
      p, s, "Appliance.Control.Sensor.LatestX", "PUSH",
      R"({"latest":[{"data":{"light":[{"value":220,"timestamp":1}],"temp":[{"value":2130,)"
      R"("timestamp":1}],"humi":[{"value":670,"timestamp":1}]},"channel":0,)"
      R"("subId":"1A00694ACBC7"}]})"));
  BOOST_TEST(latest.at("1A00694ACBC7_illuminance") == "220");
  BOOST_TEST(latest.at("1A00694ACBC7_temperature") == "21.3");
  BOOST_TEST(latest.at("1A00694ACBC7_humidity") == "67");
  // An ms600's LatestX (no subId) is nobody's sub-device.
  BOOST_TEST(test::states(p, s, "Appliance.Control.Sensor.LatestX", "PUSH",
                          R"({"latest":[{"channel":0,"data":{"light":[{"value":1}]}}]})")
                 .updates.empty());
}

BOOST_AUTO_TEST_CASE(availability_per_sub_device) {
  EveryType hub;
  auto& p = hub.profile;
  auto& s = hub.state;
  const auto polls_naming = [&](const std::string& id) {
    std::size_t n = 0;
    for (const auto& poll : mapping::polls_for(p, s)) {
      if (poll.payload_json.find(id) != std::string::npos) ++n;
    }
    return n;
  };
  BOOST_TEST(polls_naming("0300DF01") == 2u);  // Mts100.All and Mts100.Adjust

  auto offline = test::states(p, s, "Appliance.Hub.Online", "PUSH",
                              R"({"online":[{"id":"0300DF01","status":2,"lastActiveTime":1}]})");
  BOOST_TEST(by_key(offline).at("0300DF01_availability") == "offline");
  BOOST_TEST(offline.entities_changed);  // its polls stop
  BOOST_TEST(polls_naming("0300DF01") == 0u);
  // Its values and battery are stale while it is away.
  BOOST_TEST(by_key(test::states(p, s, "Appliance.Hub.Battery", "GETACK",
                                 R"({"battery":[{"id":"0300DF01","value":40}]})"))
                 .empty());
  BOOST_TEST(test::states(p, s, "Appliance.Hub.Mts100.All", "GETACK",
                          R"({"all":[{"id":"0300DF01","online":{"status":2},)"
                          R"("temperature":{"room":100}}]})")
                 .updates.size() == 1u);  // the availability only
  // Unchanged: no re-announcement.
  BOOST_TEST(!test::states(p, s, "Appliance.Hub.Online", "PUSH",
                           R"({"online":[{"id":"0300DF01","status":2}]})")
                  .entities_changed);
  // Back through the `online` object of Mts100.All.
  const auto back = test::states(p, s, "Appliance.Hub.Mts100.All", "GETACK",
                                 R"({"all":[{"id":"0300DF01","online":{"status":1},)"
                                 R"("temperature":{"room":190}}]})");
  BOOST_TEST(by_key(back).at("0300DF01_availability") == "online");
  BOOST_TEST(by_key(back).at("0300DF01_room") == "19");
  BOOST_TEST(back.entities_changed);
  BOOST_TEST(polls_naming("0300DF01") == 2u);

  // Through the digest's status and Sensor.All's `online`.
  auto digest = test::states(p, s, kSystemAll, "GETACK",
                             hub_all(R"({"id":"0300DF01","status":1,"mts150":{"mode":0}},)"
                                     R"({"id":"160020100486","status":2,"doorWindow":)"
                                     R"({"status":0}}, {"id":"28004811B776","status":1,)"
                                     R"("smokeAlarm":{"status":170}}, {"id":"120027D21C19",)"
                                     R"("status":1,"ms100":{}}, {"id":"1A00694ACBC7","status":1,)"
                                     R"("tempHumi":{}}, {"id":"3A0000000001","status":1,)"
                                     R"("waterLeak":{}}, {"id":"0F0000000001","status":1,)"
                                     R"("ms999x":{}})"));
  BOOST_TEST(by_key(digest).at("160020100486_availability") == "offline");
  BOOST_TEST(by_key(digest).count("160020100486_window") == 0u);  // stale
  BOOST_TEST(digest.entities_changed);
  BOOST_TEST(polls_naming("160020100486") == 0u);
  const auto sensor = test::states(p, s, "Appliance.Hub.Sensor.All", "GETACK",
                                   R"({"all":[{"id":"160020100486","online":{"status":1},)"
                                   R"("doorWindow":{"status":1}}]})");
  BOOST_TEST(by_key(sensor).at("160020100486_availability") == "online");
  BOOST_TEST(by_key(sensor).at("160020100486_window") == "ON");
}

BOOST_AUTO_TEST_CASE(valve_commands_send_the_exact_requests) {
  EveryType hub;
  auto& p = hub.profile;
  auto& s = hub.state;
  const std::string hub_ns = "Appliance.Hub.";
  const auto read_back = get(hub_ns + "Mts100.All", R"({"all":[{"id":"0300DF01"}]})");

  // The SETs, each {"<list>":[{"id":"0300DF01","<field>":<value>}]}.
  const auto valve_set = [&](const std::string& ns, const std::string& list,
                             const std::string& field, int value) {
    return set(hub_ns + ns, R"({")" + list + R"(":[{"id":"0300DF01",")" + field + R"(":)" +
                                std::to_string(value) + "}]}");
  };
  const auto togglex = [&](int onoff) { return valve_set("ToggleX", "togglex", "onoff", onoff); };
  const auto mode = [&](int state) { return valve_set("Mts100.Mode", "mode", "state", state); };
  const auto temperature = [&](const std::string& field, int tenths) {
    return valve_set("Mts100.Temperature", "temperature", field, tenths);
  };
  const auto adjust = [&](int hundredths) {
    return valve_set("Mts100.Adjust", "adjust", "temperature", hundredths);
  };
  const auto adjust_read_back = get(hub_ns + "Mts100.Adjust", R"({"adjust":[{"id":"0300DF01"}]})");

  expect_plans(p, s,
               {{"0300DF01_mode", "off", {togglex(0), read_back}},
                {"0300DF01_mode", "heat", {togglex(1), read_back}},
                // A preset: Mode SET; the valve is on (digest onoff 1), so no ToggleX.
                {"0300DF01_preset", "away", {mode(4), read_back}},
                {"0300DF01_preset", "sleep", {mode(2), read_back}},
                {"0300DF01_preset", "none", {mode(0), read_back}},
                // The target in custom mode (digest mode 0): Temperature `custom` only, in tenths.
                {"0300DF01_target", "21.5", {temperature("custom", 215), read_back}},
                {"0300DF01_target", "35", {temperature("custom", 350), read_back}}});

  // In another mode: Mode 0 first. Switched off: a preset switches it on.
  test::states(p, s, "Appliance.Hub.Mts100.Mode", "PUSH",
               R"({"mode":[{"id":"0300DF01","state":1}]})");
  test::states(p, s, "Appliance.Hub.ToggleX", "PUSH",
               R"({"togglex":[{"id":"0300DF01","onoff":0}]})");
  expect_plans(p, s,
               {{"0300DF01_target", "18", {mode(0), temperature("custom", 180), read_back}},
                {"0300DF01_preset", "comfort", {mode(1), togglex(1), read_back}},
                // Preset setpoints and the offset (hundredths, not a delta).
                {"0300DF01_comfort", "22", {temperature("comfort", 220), read_back}},
                {"0300DF01_economy", "16.5", {temperature("economy", 165), read_back}},
                {"0300DF01_away", "5", {temperature("away", 50), read_back}},
                {"0300DF01_adjust", "-1.5", {adjust(-150), adjust_read_back}},
                // The SET recorded in the msh300hk trace: 0.1 °C.
                {"0300DF01_adjust", "0.1", {adjust(10), adjust_read_back}}});

  // Refused: out of range, garbage, unknown names, state-only entities.
  for (const auto& [key, command] :
       std::vector<std::pair<std::string, std::string>>{{"0300DF01_target", "35.5"},
                                                        {"0300DF01_target", "4"},
                                                        {"0300DF01_target", "warm"},
                                                        {"0300DF01_target", "nan"},
                                                        {"0300DF01_target", ""},
                                                        {"0300DF01_adjust", "6"},
                                                        {"0300DF01_mode", "cool"},
                                                        {"0300DF01_preset", "boost"},
                                                        {"0300DF01_window", "ON"},
                                                        {"0300DF01_battery", "1"},
                                                        {"0300DF01_climate", "heat"},
                                                        {"0300DF01_room", "20"},
                                                        {"FFFFFFFF_mode", "heat"}}) {
    BOOST_TEST(!mapping::command_to_request(p, s, key, command).ok(), key << " " << command);
  }
}

BOOST_AUTO_TEST_CASE(sensor_offsets_are_set_by_their_difference) {
  EveryType hub;
  auto& p = hub.profile;
  auto& s = hub.state;
  const std::string adjust = "Appliance.Hub.Sensor.Adjust";
  // Until Hub.Sensor.Adjust is read the offset is unknown: no guess.
  BOOST_TEST(!mapping::command_to_request(p, s, "120027D21C19_adjust_temperature", "1").ok());
  test::states(p, s, "Appliance.Hub.Sensor.Adjust", "GETACK",
               R"({"adjust":[{"id":"120027D21C19","temperature":10,"humidity":-50}]})");
  const auto read_back = get(adjust, R"({"adjust":[{"id":"120027D21C19"}]})");
  expect_plans(
      p, s,
      {// 1.0 °C now; 1.5 wanted: +0.5 (tenths).
       {"120027D21C19_adjust_temperature",
        "1.5",
        {set(adjust, R"({"adjust":[{"id":"120027D21C19","temperature":5}]})"), read_back}},
       {"120027D21C19_adjust_temperature",
        "-0.5",
        {set(adjust, R"({"adjust":[{"id":"120027D21C19","temperature":-15}]})"), read_back}},
       // -5.0 % now; 3 wanted: +8.0.
       {"120027D21C19_adjust_humidity",
        "3",
        {set(adjust, R"({"adjust":[{"id":"120027D21C19","humidity":80}]})"), read_back}}});
  BOOST_TEST(!mapping::command_to_request(p, s, "120027D21C19_adjust_humidity", "21").ok());
  BOOST_TEST(!mapping::command_to_request(p, s, "120027D21C19_temperature", "20").ok());
}

BOOST_AUTO_TEST_CASE(smoke_alarm_buttons) {
  EveryType hub;  // the gs559 is in smoke alarm (25)
  auto& p = hub.profile;
  auto& s = hub.state;
  const auto read_back =
      get("Appliance.Hub.Sensor.Smoke", R"({"smokeAlarm":[{"id":"28004811B776"}]})");
  expect_plan(
      p, s, "28004811B776_mute", "PRESS",
      {set("Appliance.Hub.Sensor.Smoke", R"({"smokeAlarm":[{"id":"28004811B776","status":27}]})"),
       read_back});
  expect_plan(
      p, s, "28004811B776_test", "PRESS",
      {set("Appliance.Hub.Sensor.Smoke", R"({"smokeAlarm":[{"id":"28004811B776","status":23}]})"),
       read_back});
  // Each mutable status to its muted code.
  for (const auto& [status, muted] :
       std::vector<std::pair<int, int>>{{17, 20}, {18, 21}, {19, 22}, {24, 26}, {25, 27}}) {
    test::states(
        p, s, "Appliance.Hub.Sensor.Smoke", "PUSH",
        R"({"smokeAlarm":[{"id":"28004811B776","status":)" + std::to_string(status) + "}]}");
    BOOST_TEST(plan(p, s, "28004811B776_mute", "PRESS")[0].payload_json ==
               R"({"smokeAlarm":[{"id":"28004811B776","status":)" + std::to_string(muted) + "}]}");
  }
  // Nothing to mute when all is well or already muted; other payloads are refused.
  for (int status : {170, 27, 23}) {
    test::states(
        p, s, "Appliance.Hub.Sensor.Smoke", "PUSH",
        R"({"smokeAlarm":[{"id":"28004811B776","status":)" + std::to_string(status) + "}]}");
    BOOST_TEST(!mapping::command_to_request(p, s, "28004811B776_mute", "PRESS").ok(), status);
  }
  BOOST_TEST(!mapping::command_to_request(p, s, "28004811B776_test", "ON").ok());
  BOOST_TEST(!mapping::command_to_request(p, s, "28004811B776_smoke", "ON").ok());
}

BOOST_AUTO_TEST_CASE(a_duplicated_id_keeps_the_first_and_is_reported) {
  const auto p = hub_profile();
  DeviceState s;
  const auto batch =
      test::states(p, s, kSystemAll, "GETACK",
                   hub_all(R"({"id":"0300DF01","status":1,"mts150":{"mode":1}},)"
                           R"({"id":"120027D21C19","status":1,"ms100":{"latestTemperature":152}},)"
                           R"({"id":"0300DF01","status":2,"ms100":{"latestTemperature":1}})"));
  BOOST_TEST(s.sub_devices == (std::vector<SubDevice>{{"0300DF01", "mts150", "MTS150"},
                                                      {"120027D21C19", "ms100", "MS100"}}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(batch.dropped.size(), 1u);
  BOOST_TEST(batch.dropped[0].field == "all.digest.hub.subdevice[2].id");
  BOOST_TEST(batch.dropped[0].message.find("0300DF01 listed twice") != std::string::npos);
  // The rest of the hub works: the first's availability, the sensor's reading.
  const auto states = by_key(batch);
  BOOST_TEST(states.at("0300DF01_availability") == "online");
  BOOST_TEST(states.at("120027D21C19_temperature") == "15.2");
  BOOST_TEST(states.count("0300DF01_mode") == 0u);  // nor the second's
}

BOOST_AUTO_TEST_CASE(unknown_and_missing_type_tags) {
  const auto p = hub_profile();
  DeviceState s;
  // An unknown tag: a generic sub-device (battery, availability), named after its tag.
  auto batch = test::states(p, s, kSystemAll, "GETACK",
                            hub_all(R"({"id":"0300DF01","status":1,"mts150":{"mode":1}},)"
                                    R"({"id":"0F0000000001","status":1,"onoff":1,)"
                                    R"("ms405":{"level":3}})"));
  BOOST_TEST(batch.dropped.empty());
  BOOST_TEST(s.sub_devices[1] == (SubDevice{"0F0000000001", "ms405", "MS405"}));
  BOOST_TEST(keys_of(mapping::entities_for(p, s), "0F0000000001") ==
                 (std::vector<std::string>{"0F0000000001_battery"}),
             boost::test_tools::per_element());
  BOOST_TEST(by_key(batch).at("0F0000000001_availability") == "online");
  BOOST_TEST(by_key(batch).count("0F0000000001_mode") == 0u);

  // Offline, without its type object: the valve stays a valve; one never seen is generic until
  // it reports its type (kept, so its documents stay while it is away).
  batch = test::states(p, s, kSystemAll, "GETACK",
                       hub_all(R"({"id":"0300DF01","status":2,"lastActiveTime":1},)"
                               R"({"id":"0F0000000001","status":1,"ms405":{}},)"
                               R"({"id":"0A0B0C0D","status":2})"));
  BOOST_TEST(s.sub_devices == (std::vector<SubDevice>{{"0300DF01", "mts150", "MTS150"},
                                                      {"0F0000000001", "ms405", "MS405"},
                                                      {"0A0B0C0D", "", "Unknown"}}),
             boost::test_tools::per_element());
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(by_key(batch).at("0300DF01_availability") == "offline");
  BOOST_TEST(by_key(batch).at("0A0B0C0D_availability") == "offline");
  batch = test::states(p, s, kSystemAll, "GETACK",
                       hub_all(R"({"id":"0300DF01","status":1,"mts150":{"mode":1}},)"
                               R"({"id":"0F0000000001","status":1,"ms405":{}},)"
                               R"({"id":"0A0B0C0D","status":1,"onoff":1,"mts100v3":{"mode":4}})"));
  BOOST_TEST(s.sub_devices[2] == (SubDevice{"0A0B0C0D", "mts100v3", "MTS100V3"}));
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(by_key(batch).at("0A0B0C0D_preset") == "away");
  BOOST_TEST(keys_of(mapping::entities_for(p, s), "0A0B0C0D").size() == 7u);
}

BOOST_AUTO_TEST_CASE(wrongly_typed_input_skips_the_item_and_keeps_the_rest) {
  EveryType hub;
  auto& p = hub.profile;
  auto& s = hub.state;
  // One bad field of one item: that field is left out, the rest published.
  auto batch = test::states(p, s, "Appliance.Hub.Mts100.Temperature", "PUSH",
                            R"({"temperature":[{"id":"0300DF01","room":"warm","currentSet":200},)"
                            R"({"id":"0300DF01","heating":[1]}]})");
  BOOST_TEST(by_key(batch).at("0300DF01_target") == "20");
  BOOST_TEST(by_key(batch).count("0300DF01_room") == 0u);
  BOOST_REQUIRE_EQUAL(batch.dropped.size(), 2u);
  BOOST_TEST(batch.dropped[0].field == "temperature[0].room");
  BOOST_TEST(batch.dropped[1].field == "temperature[1].heating");

  // Bad items among good ones.
  batch = test::states(p, s, "Appliance.Hub.Battery", "GETACK",
                       R"({"battery":[7,{"value":5},{"id":12,"value":5},)"
                       R"({"id":"0300DF01","value":150},{"id":"0300DF01","value":"x"},)"
                       R"({"id":"120027D21C19","value":80},{"id":"FFFFFFFF","value":5}]})");
  BOOST_TEST(joined(batch) == "120027D21C19_battery=80");
  BOOST_TEST(batch.dropped.size() == 5u);  // the unknown id is not an error: read next digest

  // Unknown mode and smoke status: reported, not guessed.
  batch = test::states(p, s, "Appliance.Hub.Mts100.Mode", "PUSH",
                       R"({"mode":[{"id":"0300DF01","state":9}]})");
  BOOST_TEST(batch.updates.empty());
  BOOST_TEST(batch.dropped.size() == 1u);
  batch = test::states(p, s, "Appliance.Hub.Sensor.Smoke", "PUSH",
                       R"({"smokeAlarm":[{"id":"28004811B776","status":99}]})");
  BOOST_TEST(batch.updates.empty());
  BOOST_TEST(batch.dropped.size() == 1u);
  // Limits that make no sense are left out.
  batch = test::states(p, s, "Appliance.Hub.Mts100.Temperature", "PUSH",
                       R"({"temperature":[{"id":"0300DF01","min":300,"max":100}]})");
  BOOST_TEST(batch.dropped.size() == 1u);
  BOOST_TEST(!batch.entities_changed);

  // Nested objects of the wrong type.
  batch = test::states(p, s, "Appliance.Hub.Sensor.All", "GETACK",
                       R"({"all":[{"id":"120027D21C19","online":[],"temperature":5,)"
                       R"("humidity":{"latest":700}},{"id":"160020100486","doorWindow":"open"}]})");
  BOOST_TEST(by_key(batch).at("120027D21C19_humidity") == "70");
  BOOST_TEST(batch.dropped.size() == 3u);
  batch = test::states(p, s, "Appliance.Control.Sensor.LatestX", "PUSH",
                       R"({"latest":[{"subId":"1A00694ACBC7","data":{"light":7,"temp":[]}}]})");
  BOOST_TEST(batch.updates.empty());
  BOOST_TEST(batch.dropped.size() == 2u);

  // A payload that is not a list is an Error: nothing of it can be read.
  for (const char* payload : {R"({"battery":"full"})", R"({"battery":5})"}) {
    BOOST_TEST(!mapping::states_from(p, s, "Appliance.Hub.Battery", Method::Push,
                                     std::string_view(payload), {})
                    .ok());
  }

  // A bad digest item: left out (and, being missing, removed); the others stay.
  batch = test::states(p, s, kSystemAll, "GETACK",
                       hub_all(std::string(kEveryType) +
                               R"(,{"id":"ab_cd","ms100":{}},{"id":5},"x",)"
                               R"({"id":"0A0B0C0D","status":"on","mts150":{"currentSet":"hot"}})"));
  BOOST_TEST(s.sub_devices.size() == 8u);
  BOOST_TEST(batch.dropped.size() == 5u);
  BOOST_TEST(batch.entities_changed);
  // A hub section of the wrong shape says nothing about sub-devices: they stay.
  for (const char* hub_section : {R"("hub":[])", R"("hub":{"subdevice":{}})"}) {
    batch = test::states(p, s, kSystemAll, "GETACK",
                         R"({"all":{"system":{"hardware":{"type":"msh300"}},"digest":{)" +
                             std::string(hub_section) + "}}}");
    BOOST_TEST(s.sub_devices.size() == 8u);
    BOOST_TEST(batch.dropped.size() == 1u);
  }

  // Inside Control.Multiple the path says where.
  batch = test::states(
      p, s, "Appliance.Control.Multiple", "SETACK",
      R"({"multiple":[{"header":{"namespace":"Appliance.Hub.Battery","method":"GETACK"},)"
      R"("payload":{"battery":[{"id":"0300DF01","value":"x"},{"id":"0300DF01","value":60}]}}]})");
  BOOST_TEST(by_key(batch).at("0300DF01_battery") == "60");
  BOOST_REQUIRE_EQUAL(batch.dropped.size(), 1u);
  BOOST_TEST(batch.dropped[0].field == "multiple[0].battery[0].value");
}

BOOST_AUTO_TEST_CASE(sub_devices_added_and_removed) {
  const auto p = hub_profile();
  DeviceState s;
  test::states(p, s, kSystemAll, "GETACK",
               hub_all(R"({"id":"0300DF01","status":1,"onoff":1,"mts150":{"mode":0}})"));
  test::states(p, s, "Appliance.Hub.Mts100.All", "GETACK",
               R"({"all":[{"id":"0300DF01","temperature":{"min":60,"heating":1}}]})");
  BOOST_TEST(s.numbers.count("hub.0300DF01.min") == 1u);
  // Messages about an id the digest did not list map to nothing (the next digest adds it).
  BOOST_TEST(test::states(p, s, "Appliance.Hub.Online", "PUSH",
                          R"({"online":[{"id":"160020100486","status":1}]})")
                 .updates.empty());
  // Paired: the next digest lists it.
  auto batch = test::states(
      p, s, "Appliance.Digest.Hub", "GETACK",
      R"({"hub":{"hubId":1,"mode":0,"subdevice":[{"id":"0300DF01","status":1,"mts150":{}},)"
      R"({"id":"160020100486","status":1,"doorWindow":{"status":0}}]}})");
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(s.sub_devices.size() == 2u);
  BOOST_TEST(by_key(batch).at("160020100486_window") == "OFF");
  BOOST_TEST(keys_of(mapping::entities_for(p, s), "160020100486").size() == 2u);
  // Removed: a digest without it; what was remembered of it goes too.
  batch = test::states(p, s, kSystemAll, "GETACK",
                       hub_all(R"({"id":"160020100486","status":1,"doorWindow":{"status":0}})"));
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(s.sub_devices == (std::vector<SubDevice>{{"160020100486", "doorWindow", "MS200"}}),
             boost::test_tools::per_element());
  BOOST_TEST(keys_of(mapping::entities_for(p, s), "0300DF01").empty());
  BOOST_TEST(std::none_of(s.numbers.begin(), s.numbers.end(),
                          [](const auto& n) { return n.first.starts_with("hub.0300DF01."); }));
  BOOST_TEST(!mapping::command_to_request(p, s, "0300DF01_mode", "heat").ok());
  // The same order again: nothing changed. A new order is a change (documents follow it).
  batch = test::states(p, s, kSystemAll, "GETACK",
                       hub_all(R"({"id":"160020100486","status":1,"doorWindow":{"status":0}})"));
  BOOST_TEST(!batch.entities_changed);
  // All gone.
  batch = test::states(p, s, kSystemAll, "GETACK", hub_all(""));
  BOOST_TEST(batch.entities_changed);
  BOOST_TEST(s.sub_devices.empty());
  BOOST_TEST(mapping::entities_for(p, s).size() == mapping::entities_for(p, DeviceState{}).size());
}

BOOST_AUTO_TEST_CASE(polls_are_chunked_and_leave_offline_sub_devices_out) {
  const auto p = hub_profile();
  DeviceState s;
  std::string digest;
  for (int i = 0; i < 10; ++i) {
    digest += R"({"id":"0100000)" + std::to_string(i) + R"(","status":)" + (i == 3 ? "2" : "1") +
              R"(,"mts100v3":{"mode":1}},)";
  }
  digest += R"({"id":"120027D21C19","status":1,"ms100":{}},)"
            R"({"id":"1A00694ACBC7","status":1,"tempHumi":{}},)"
            R"({"id":"160020100486","status":2,"doorWindow":{}})";
  test::states(p, s, kSystemAll, "GETACK", hub_all(digest));
  std::vector<mapping::Poll> expected{
      {mapping::PollKind::Slow, "Appliance.System.Runtime", R"({"runtime":{}})"},
      {mapping::PollKind::Slow, "Appliance.Digest.Hub", R"({"hub":{}})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Battery", R"({"battery":[]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Mts100.All",
       R"({"all":[{"id":"01000000"},{"id":"01000001"},{"id":"01000002"},{"id":"01000004"},)"
       R"({"id":"01000005"},{"id":"01000006"},{"id":"01000007"},{"id":"01000008"}]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Mts100.All", R"({"all":[{"id":"01000009"}]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Mts100.Adjust",
       R"({"adjust":[{"id":"01000000"},{"id":"01000001"},{"id":"01000002"},{"id":"01000004"},)"
       R"({"id":"01000005"},{"id":"01000006"},{"id":"01000007"},{"id":"01000008"}]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Mts100.Adjust", R"({"adjust":[{"id":"01000009"}]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Sensor.All",
       R"({"all":[{"id":"120027D21C19"},{"id":"1A00694ACBC7"}]})"},
      {mapping::PollKind::Slow, "Appliance.Hub.Sensor.Adjust",
       R"({"adjust":[{"id":"120027D21C19"}]})"},
      {mapping::PollKind::Slow, "Appliance.Control.Sensor.LatestX",
       R"({"latest":[{"subId":"1A00694ACBC7","channel":0,"data":["light","temp","humi"]}]})"},
  };
  BOOST_TEST(mapping::polls_for(p, s) == expected, boost::test_tools::per_element());

  // The hub traces: never a request that drops the connection, and every GET shape a list.
  for (const char* fragment : {kMsh300, kMsh300hk, "smokeAlarm.json"}) {
    const auto profile = test::trace_profile(fragment);
    DeviceState state;
    test::states(profile, state, kSystemAll, "GETACK", trace_all(fragment));
    const auto polls = mapping::polls_for(profile, state);
    for (const auto& poll : polls) {
      BOOST_TEST(poll.ns.find("SubdeviceList") == std::string::npos);
      BOOST_TEST(poll.ns.find("Hub.Exception") == std::string::npos);
      BOOST_TEST(poll.ns.find("Hub.Report") == std::string::npos);
      BOOST_TEST((poll.kind == mapping::PollKind::Slow));
    }
    // A hub without Digest.Hub reads System.All again.
    const bool digest_hub = profile.has_ability("Appliance.Digest.Hub");
    BOOST_TEST(std::count_if(polls.begin(), polls.end(), [&](const mapping::Poll& poll) {
                 return poll.ns == (digest_hub ? "Appliance.Digest.Hub" : kSystemAll);
               }) == 1);
  }
  // Every sub-device offline: only the digest (to see them come back).
  DeviceState away;
  test::states(p, away, kSystemAll, "GETACK",
               hub_all(R"({"id":"0300DF01","status":2,"mts150":{}})"));
  const auto polls = mapping::polls_for(p, away);
  BOOST_TEST(polls.size() == 2u);  // System.Runtime and Digest.Hub
  BOOST_TEST(polls.back().ns == "Appliance.Digest.Hub");
}

BOOST_AUTO_TEST_CASE(mutated_hub_payloads_never_crash) {
  std::size_t runs = 0;
  for (const char* fragment : {kMsh300, kMsh300hk}) {
    const auto profile = test::trace_profile(fragment);
    const auto trace = test::load_trace(fragment);
    const auto samples = test::trace_samples(trace, [](const auto& row) {
      return row.method == "GETACK" && row.ns.starts_with("Appliance.Hub.");
    });
    for (const auto& [ns, payload] : samples) {
      runs += test::for_each_mutation(payload, 150, [&](const rapidjson::Document& doc) {
        DeviceState state;
        (void)mapping::states_from(profile, state, kSystemAll, Method::GetAck,
                                   std::string_view(trace.all_json), {});
        (void)mapping::states_from(profile, state, ns, Method::GetAck, doc, {});
        // Whatever it made of it, entities, polls and documents still work.
        const auto entities = mapping::entities_for(profile, state);
        (void)mapping::polls_for(profile, state);
        (void)discovery::device_config(profile, entities, {}, {}, state.sub_devices);
      });
    }
  }
  BOOST_TEST(runs > 1000u);
}

BOOST_AUTO_TEST_SUITE_END()
