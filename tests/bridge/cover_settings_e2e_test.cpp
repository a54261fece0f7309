#define BOOST_TEST_MODULE bridge_cover_settings_e2e
// Garage door and shutter settings as a user sets them (issue 17): `broker-config` → mosquitto
// with our auth plugin and TLS → meross-sim running the recorded msg100, msg200 or mrs100 → the
// bridge on the generated bridge.toml → Home Assistant's topics. A setting set from Home
// Assistant reaches the device as one signed SET of the changed value (durations in ms), and the
// value the bridge reads back reaches Home Assistant; a duration out of range or no number is
// refused before anything is sent.

#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

// The component of entity `key` in the discovery document (a failed requirement when absent).
Component component(const std::vector<Component>& components, const std::string& key) {
  for (const auto& c : components) {
    if (c.at("id") == key) return c;
  }
  BOOST_FAIL("no component " + key);
  return {};
}

struct Settings : WatchedDevice {
  std::string ns;

  Settings(const std::string& type, const std::string& trace, std::string config_ns)
      : ns(std::move(config_ns)) {
    watch(type, {trace});
  }

  std::vector<std::string> config_sets() const { return set_payloads(ns); }

  // Checks that entity `key` is discovered as a setting (entity_category config) of `platform`.
  void expect_setting(const std::string& key, const std::string& platform) const {
    const auto c = component(components, key);
    BOOST_TEST(c.at("platform") == platform);
    BOOST_TEST(c.at("entity_category") == "config");
  }

  // Whether Home Assistant sees `value` on the state topic of entity `key`.
  bool sees(const std::string& key, const std::string& value) {
    return ha_sees(state_topic(uuid, key), value);
  }

  // Home Assistant sets `key` to `value`; the SET `expected` goes out and `value` comes back.
  void set(const std::string& key, const std::string& value, const std::string& expected) {
    set_from_ha(ns, key, value, expected, value);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_garage_door_buzzer_round_trips) {
  Settings h("msg100", "msg100-1637650619.csv", "Appliance.GarageDoor.Config");
  h.expect_setting("door_buzzer", "switch");
  // The recorded settings, read after discovery.
  BOOST_REQUIRE(h.sees("door_buzzer", "OFF"));
  BOOST_REQUIRE(h.sees("door_open_duration", "30"));

  h.set("door_buzzer", "ON", R"({"config":{"buzzerEnable":1}})");
  h.set("door_open_duration", "45", R"({"config":{"doorOpenDuration":45000}})");
  h.set("door_buzzer", "OFF", R"({"config":{"buzzerEnable":0}})");
}

BOOST_AUTO_TEST_CASE(a_door_of_a_multi_door_opener_has_its_own_settings) {
  Settings h("msg200", "msg200.json.txt", "Appliance.GarageDoor.MultipleConfig");
  BOOST_REQUIRE(h.sees("door_buzzer_2", "OFF"));
  BOOST_REQUIRE(h.sees("door_close_duration_3", "15"));

  h.set("door_buzzer_2", "ON", R"({"config":[{"channel":2,"buzzerEnable":1}]})");
  h.set("door_close_duration_3", "25", R"({"config":[{"channel":3,"doorCloseDuration":25000}]})");
  // The other doors kept theirs.
  BOOST_TEST(h.sees("door_buzzer_1", "OFF"));
}

BOOST_AUTO_TEST_CASE(a_shutter_travel_time_round_trips_and_out_of_range_sends_nothing) {
  Settings h("mrs100", "mrs100-1631368847.csv", "Appliance.RollerShutter.Config");
  h.expect_setting("shutter_open_time_0", "number");
  BOOST_REQUIRE(h.sees("shutter_open_time_0", "50"));

  h.set("shutter_open_time_0", "45", R"({"config":{"channel":0,"signalOpen":45000}})");

  // Out of range, and no number: refused by the bridge, nothing sent.
  const std::size_t before = h.config_sets().size();
  h.cloud.ha->publish(command_topic(h.uuid, "shutter_open_time_0"), "61");
  h.cloud.ha->publish(command_topic(h.uuid, "shutter_open_time_0"), "abc");
  // A command after them shows they were handled (commands are taken in order).
  h.set("shutter_close_time_0", "40", R"({"config":{"channel":0,"signalClose":40000}})");
  BOOST_TEST(h.config_sets().size() == before + 1);
  BOOST_TEST(h.sees("shutter_open_time_0", "45"));
}
