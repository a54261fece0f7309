#define BOOST_TEST_MODULE bridge_heating_e2e
// Thermostats and hubs as a user runs them (issue 15): `broker-config` → mosquitto with our auth
// plugin and TLS → meross-sim running recorded devices (an mts200b, an mts960, two hubs with a
// valve, a temperature sensor, a door sensor and a smoke alarm) logging in as firmware does →
// the bridge on the generated bridge.toml → Home Assistant's topics, and back: a target
// temperature or mode set from Home Assistant reaches the device as a signed SET with the
// model's scaling (the simulated firmware refuses anything else), the device's state changes,
// and Home Assistant sees the new state. A sub-device going offline makes only that sub-device
// unavailable.
#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

// The trace files of the simulated devices (tests/fixtures/traces).
constexpr const char* kThermostat = "mts200b-1674112759.csv";
constexpr const char* kSocketThermostat = "mts960.csv";
constexpr const char* kSensorHub = "msh300-2024-02-23_06-57-23.csv";      // ms100, 2× mts100v3
constexpr const char* kAlarmHub = "msh300hk-ms200-gs559-1681998143.csv";  // ms200, mts150, gs559

// Sub-devices of those hubs, from their digests.
constexpr const char* kValve = "0300DF01";                  // mts150
constexpr const char* kDoor = "160020100486";               // ms200
constexpr const char* kSmoke = "28004811B776";              // gs559
constexpr const char* kTemperatureSensor = "120027D21C19";  // ms100

// The availability topics of a discovery document, in order.
std::vector<std::string> availability_of(const std::string& document) {
  rapidjson::Document doc;
  doc.Parse(document.c_str());
  std::vector<std::string> out;
  const auto* list = protocol::find_member(doc, "availability");
  if (!list || !list->IsArray()) return out;
  for (const auto& item : list->GetArray()) {
    if (const auto topic = protocol::string_member(item, "topic")) out.emplace_back(*topic);
  }
  return out;
}

std::string member(const Component& c, const std::string& name) {
  const auto it = c.find(name);
  BOOST_REQUIRE_MESSAGE(it != c.end(), "component " + c.at("id") + " has no " + name);
  return it->second;
}

struct Heating : SimulatedCloud {
  Heating() { start_sim({kThermostat, kSocketThermostat, kSensorHub, kAlarmHub}); }

  // Whether the simulated device's live state (`state <uuid>`) shows `fragment` within a while.
  bool device_shows(const std::string& uuid, const std::string& fragment) {
    return wait_until([&] {
      sim->write_stdin("state " + uuid + "\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const std::string out = sim->output();
      const auto at = out.rfind("state " + uuid + " ");
      if (at == std::string::npos) return false;
      const auto end = out.find('\n', at);
      return out.substr(at, end - at).find(fragment) != std::string::npos;
    });
  }

  // Home Assistant sets the climate's `what` (temperature, mode) to `value`: the device `uuid`
  // shows `fragment` in its state, and Home Assistant sees `value` come back.
  void set(const Component& climate, const std::string& what, const std::string& value,
           const std::string& uuid, const std::string& fragment) {
    cloud.ha->publish(member(climate, what + "_command_topic"), value);
    BOOST_TEST(device_shows(uuid, fragment), what << " " << value);
    BOOST_TEST(ha_sees(member(climate, what + "_state_topic"), value), what << " " << value);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_mts200b_follows_home_assistant_and_reports_back) {
  Heating h;
  const std::string uuid = h.uuid_of("mts200b");
  const auto components = components_of(h.document("meross_" + uuid));
  const auto climate = find(components, "climate");
  BOOST_TEST(climate.count("name") == 0u);  // the device's main entity: JSON null
  // The recorded state: manual mode at 21 °C (manualTemp 210, ÷10).
  BOOST_REQUIRE(h.ha_sees(member(climate, "temperature_state_topic"), "21"));
  BOOST_REQUIRE(h.ha_sees(member(climate, "mode_state_topic"), "heat"));

  h.set(climate, "temperature", "22.5", uuid, "\"manualTemp\":225");
  h.set(climate, "mode", "off", uuid, "\"mode\":[{\"channel\":0,\"onoff\":0,");
  BOOST_TEST(h.ha_sees(member(climate, "action_topic"), "off"));
  h.set(climate, "mode", "heat", uuid, "\"mode\":[{\"channel\":0,\"onoff\":1,");
}

BOOST_AUTO_TEST_CASE(an_mts960_takes_hundredths_and_its_working_mode) {
  Heating h;
  const std::string uuid = h.uuid_of("mts960");
  const auto climate = find(components_of(h.document("meross_" + uuid)), "climate");
  h.set(climate, "temperature", "21.5", uuid, "\"targetTemp\":2150");
  h.set(climate, "mode", "cool", uuid, "\"working\":2");
}

BOOST_AUTO_TEST_CASE(a_hub_valve_is_its_own_device_and_follows_home_assistant) {
  Heating h;
  const std::string hub = h.uuid_of("msh300hk");
  const std::string document = h.document("meross_" + hub + "_" + kValve);
  rapidjson::Document doc;
  doc.Parse(document.c_str());
  BOOST_TEST(*protocol::string_member(doc["device"], "via_device") == "meross_" + hub);
  const auto climate = find(components_of(document), "climate");
  // The recorded valve is at 15 °C (currentSet 150, ÷10).
  BOOST_REQUIRE(h.ha_sees(member(climate, "temperature_state_topic"), "15"));
  h.set(climate, "temperature", "19.5", hub, "\"custom\":195");

  h.cloud.ha->publish(member(climate, "mode_command_topic"), "off");
  BOOST_TEST(h.ha_sees(member(climate, "mode_state_topic"), "off"));
}

BOOST_AUTO_TEST_CASE(hub_sensors_report_and_an_offline_sub_device_is_the_only_one_unavailable) {
  Heating h;
  const std::string hub = h.uuid_of("msh300hk");
  const std::string door_doc = h.document("meross_" + hub + "_" + kDoor);
  const std::string smoke_doc = h.document("meross_" + hub + "_" + kSmoke);
  const std::string valve_doc = h.document("meross_" + hub + "_" + kValve);

  // Door and smoke: the device's PUSH reaches Home Assistant at once.
  const auto door = find(components_of(door_doc), "binary_sensor");
  h.sim->write_stdin("door " + hub + " " + kDoor + " open\n");
  BOOST_TEST(h.ha_sees(member(door, "state_topic"), "ON"));
  const auto smoke = find(components_of(smoke_doc), "binary_sensor", "smoke");
  BOOST_REQUIRE(h.ha_sees(member(smoke, "state_topic"), "OFF"));
  h.sim->write_stdin("smoke " + hub + " " + kSmoke + " 25\n");
  BOOST_TEST(h.ha_sees(member(smoke, "state_topic"), "ON"));

  // The ms100 of the other hub: a new reading.
  const std::string sensor_hub = h.uuid_of("msh300");
  const auto thermometer =
      find(components_of(h.document("meross_" + sensor_hub + "_" + kTemperatureSensor)), "sensor",
           "temperature");
  h.sim->write_stdin("room " + sensor_hub + " " + kTemperatureSensor + " 23.5\n");
  BOOST_TEST(h.ha_sees(member(thermometer, "state_topic"), "23.5"));

  // Each sub-device is available through its own topic, after the bridge's and the hub's.
  const auto door_availability = availability_of(door_doc);
  const auto valve_availability = availability_of(valve_doc);
  BOOST_REQUIRE_EQUAL(door_availability.size(), 3u);
  BOOST_REQUIRE_EQUAL(valve_availability.size(), 3u);
  BOOST_TEST(door_availability[1] == availability_topic(hub));
  BOOST_REQUIRE(h.ha_sees(door_availability[2], "online"));
  BOOST_REQUIRE(h.ha_sees(valve_availability[2], "online"));

  h.sim->write_stdin("subdevice " + hub + " " + kDoor + " offline\n");
  BOOST_TEST(h.ha_sees(door_availability[2], "offline"));
  BOOST_TEST(h.ha_sees(valve_availability[2], "online"));
  BOOST_TEST(h.ha_sees(availability_topic(hub), "online"));
  BOOST_TEST(h.cloud.ha->count(payload_on(valve_availability[2], "offline")) == 0u);

  h.sim->write_stdin("subdevice " + hub + " " + kDoor + " online\n");
  BOOST_TEST(h.ha_sees(door_availability[2], "online"));
}
