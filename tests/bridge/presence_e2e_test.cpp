#define BOOST_TEST_MODULE bridge_presence_e2e
// The ms600 presence sensor as a user runs it (issue 17): `broker-config` → mosquitto with our
// auth plugin and TLS → meross-sim running the recorded ms600 → the bridge on the generated
// bridge.toml → Home Assistant's topics. A presence the device PUSHes shows in Home Assistant at
// once; settings set from Home Assistant reach the device as one signed SET of the changed value
// (the distance in mm), and the value read back reaches Home Assistant; a distance out of range
// or no number is refused before anything is sent.

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

constexpr const char* kConfigNs = "Appliance.Control.Presence.Config";

struct Presence : WatchedDevice {
  Presence() { watch("ms600", {"ms600"}); }

  std::vector<std::string> config_sets() const { return set_payloads(kConfigNs); }

  void set(const std::string& key, const std::string& value, const std::string& expected,
           const std::string& shown) {
    set_from_ha(kConfigNs, key, value, expected, shown);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_presence_push_shows_at_once) {
  Presence h;
  BOOST_TEST(find(h.components, "binary_sensor", "occupancy").at("id") == "occupancy_0");
  BOOST_TEST(find(h.components, "sensor", "distance").at("id") == "distance_0");
  // The recorded reading: someone still at 5.76 m, read when the device came online.
  BOOST_REQUIRE(h.ha_sees(state_topic(h.uuid, "occupancy_0"), "ON"));
  BOOST_REQUIRE(h.ha_sees(state_topic(h.uuid, "distance_0"), "5.76"));
  BOOST_REQUIRE(h.ha_sees(state_topic(h.uuid, "motion_0"), "OFF"));

  h.sim->write_stdin("presence " + h.uuid + " 2 1500\n");
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "motion_0"), "ON"));
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "distance_0"), "1.5"));
  h.sim->write_stdin("presence " + h.uuid + " 0\n");
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "occupancy_0"), "OFF"));
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "motion_0"), "OFF"));
  h.sim->write_stdin("lux " + h.uuid + " 310\n");
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "illuminance_0"), "310"));
}

BOOST_AUTO_TEST_CASE(settings_from_home_assistant_reach_the_device_and_come_back) {
  Presence h;
  // The recorded settings, read after discovery.
  BOOST_REQUIRE(h.ha_sees(state_topic(h.uuid, "no_body_time_0"), "15"));
  BOOST_REQUIRE(h.ha_sees(state_topic(h.uuid, "detection_distance_0"), "8.1"));

  h.set("no_body_time_0", "30", R"({"config":[{"channel":0,"noBodyTime":{"time":30}}]})", "30");
  h.set("detection_distance_0", "6.5", R"({"config":[{"channel":0,"distance":{"value":6500}}]})",
        "6.5");
  h.set("sensitivity_0", "low", R"({"config":[{"channel":0,"sensitivity":{"level":0}}]})", "low");

  // Out of range, and no number: refused by the bridge, nothing sent.
  const std::size_t before = h.config_sets().size();
  h.cloud.ha->publish(command_topic(h.uuid, "detection_distance_0"), "20");
  h.cloud.ha->publish(command_topic(h.uuid, "detection_distance_0"), "abc");
  // A command after them shows they were handled (commands are taken in order).
  h.set("no_body_time_0", "45", R"({"config":[{"channel":0,"noBodyTime":{"time":45}}]})", "45");
  BOOST_TEST(h.config_sets().size() == before + 1);
  BOOST_TEST(h.ha_sees(state_topic(h.uuid, "detection_distance_0"), "6.5"));
}
