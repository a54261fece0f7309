#define BOOST_TEST_MODULE bridge_fan_e2e
// Fans as a user runs them (issue 17): `broker-config` → mosquitto with our auth plugin and TLS →
// meross-sim running the built-in mfc100 ceiling fan and the recorded map100 purifier → the
// bridge on the generated bridge.toml → Home Assistant's topics. A speed set from Home Assistant
// (its percentage topic carries the level, speed_range 1..maxSpeed) reaches the device as one
// signed Fan SET of that level, and the level read back reaches Home Assistant; the purifier's
// on/off is its ToggleX relay. A level above maxSpeed or no number is refused: nothing is sent.

#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

struct Fans : WatchedDevice {
  // The simulated device of `type`, watched on the wire.
  explicit Fans(const std::string& type) { watch(type, {"map100"}, {"--profile", "mfc100"}); }

  // "<namespace> <payload>" of each Fan or ToggleX SET on the wire so far, in order.
  std::vector<std::string> sets() const {
    std::vector<std::string> out;
    for (const auto& set : tap->sets({"Appliance.Control.Fan", "Appliance.Control.ToggleX"}))
      out.push_back(set.ns + " " + set.payload);
    return out;
  }

  // Home Assistant publishes `value` on `topic`: exactly the SETs `expected` reach the device, in
  // order, and Home Assistant then sees each (state key, payload) of `shown`.
  void command(const std::string& topic, const std::string& value,
               const std::vector<std::string>& expected,
               const std::vector<std::pair<std::string, std::string>>& shown) {
    const std::size_t before = sets().size();
    cloud.ha->publish(topic, value);
    BOOST_TEST(wait_until([&] { return sets().size() >= before + expected.size(); }), value);
    for (const auto& [key, payload] : shown) {
      BOOST_TEST(ha_sees(state_topic(uuid, key), payload), value << ": " << key);
    }
    const auto all = sets();
    BOOST_REQUIRE_EQUAL(all.size(), before + expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
      BOOST_TEST(all[before + i] == expected[i]);
  }
};

const std::string kFan = "Appliance.Control.Fan ";
const std::string kToggleX = "Appliance.Control.ToggleX ";

}  // namespace

BOOST_AUTO_TEST_CASE(a_ceiling_fan_speed_from_home_assistant) {
  Fans f("mfc100");
  const std::string& uuid = f.uuid;
  const auto fan = find(f.components, "fan");
  BOOST_TEST(fan.at("id") == "fan_2");
  BOOST_TEST(fan.at("percentage_command_topic") == command_topic(uuid, "fan_2_speed"));
  BOOST_TEST(find(f.components, "light").at("id") == "light_1");
  BOOST_TEST(find(f.components, "switch").at("id") == "switch_0");
  // The built-in profile's digest: the fan runs at 3 of 3.
  BOOST_REQUIRE(f.ha_sees(state_topic(uuid, "fan_2"), "ON"));
  BOOST_REQUIRE(f.ha_sees(state_topic(uuid, "fan_2_speed"), "3"));

  const std::string speed = command_topic(uuid, "fan_2_speed");
  f.command(speed, "2", {kFan + R"({"fan":[{"channel":2,"speed":2}]})"}, {{"fan_2_speed", "2"}});
  // Out of range, and no number: refused by the bridge, nothing sent. A command after them shows
  // they were handled (commands are taken in order).
  f.cloud.ha->publish(speed, "150");
  f.cloud.ha->publish(speed, "abc");
  f.command(speed, "1", {kFan + R"({"fan":[{"channel":2,"speed":1}]})"}, {{"fan_2_speed", "1"}});
  f.command(command_topic(uuid, "fan_2"), "OFF",
            {kToggleX + R"({"togglex":{"channel":2,"onoff":0}})"},
            {{"fan_2", "OFF"}, {"fan_2_speed", "0"}});
  const std::string log = f.cloud.bridge->output();
  BOOST_TEST(log.find("command 150 on") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(a_purifier_on_off_and_speed_from_home_assistant) {
  Fans f("map100");
  const std::string& uuid = f.uuid;
  const auto fan = find(f.components, "fan");
  BOOST_TEST(fan.at("id") == "fan_0");
  BOOST_TEST(fan.count("name") == 0u);  // the device's main entity: JSON null
  // The recorded relay is off (the trace's System.All).
  BOOST_REQUIRE(f.ha_sees(state_topic(uuid, "fan_0"), "OFF"));
  // The speed topic appears once the bridge's Fan GET is answered (0 while off).
  BOOST_REQUIRE(f.ha_sees(state_topic(uuid, "fan_0_speed"), "0"));

  const std::string power = command_topic(uuid, "fan_0");
  const std::string speed = command_topic(uuid, "fan_0_speed");
  // On: the relay only; the purifier runs at the speed the bridge polled (1, the simulator's).
  f.command(power, "ON", {kToggleX + R"({"togglex":{"channel":0,"onoff":1}})"},
            {{"fan_0", "ON"}, {"fan_0_speed", "1"}});
  f.command(speed, "3", {kFan + R"({"fan":[{"channel":0,"speed":3}]})"}, {{"fan_0_speed", "3"}});
  f.command(power, "OFF", {kToggleX + R"({"togglex":{"channel":0,"onoff":0}})"},
            {{"fan_0", "OFF"}, {"fan_0_speed", "0"}});
  // A speed while off: the speed, then the relay.
  f.command(speed, "2",
            {kFan + R"({"fan":[{"channel":0,"speed":2}]})",
             kToggleX + R"({"togglex":{"channel":0,"onoff":1}})"},
            {{"fan_0", "ON"}, {"fan_0_speed", "2"}});
  // Refused, nothing sent: the next command's SETs are the only new ones.
  f.cloud.ha->publish(speed, "150");
  f.cloud.ha->publish(speed, "abc");
  f.command(power, "OFF", {kToggleX + R"({"togglex":{"channel":0,"onoff":0}})"},
            {{"fan_0", "OFF"}});
}
