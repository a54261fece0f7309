#define BOOST_TEST_MODULE bridge_settings_e2e
// Device settings as a user runs them (issue 17): `broker-config` → mosquitto with our auth
// plugin and TLS → meross-sim running the recorded map100 purifier and mss305 plug → the bridge
// on the generated bridge.toml → Home Assistant's topics. A child lock set from Home Assistant
// reaches the purifier as one signed PhysicalLock SET of the list shape firmware takes, and the
// device's PUSH brings the state back; the plug's over-temperature switch is read by its poll and
// written with a Config.OverTemp SET read back by a GET. A command that is no ON/OFF sends
// nothing and is counted as rejected.

#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

struct Settings : WatchedDevice {
  explicit Settings(const std::string& type) { watch(type, {type}); }

  // "<namespace> <payload>" of each settings SET on the wire so far, in order.
  std::vector<std::string> sets() const {
    std::vector<std::string> out;
    for (const auto& set :
         tap->sets({"Appliance.Control.PhysicalLock", "Appliance.Config.OverTemp"}))
      out.push_back(set.ns + " " + set.payload);
    return out;
  }

  // The component whose id is `key` (a failed requirement when there is none).
  Component component(const std::string& key) const {
    for (const auto& c : components) {
      if (c.at("id") == key) return c;
    }
    BOOST_FAIL("no component " + key);
    return {};
  }

  // Home Assistant publishes `value` on `key`'s command topic: exactly the SET `expected`
  // reaches the device, and Home Assistant then sees `shown` on the key's state topic.
  void command(const std::string& key, const std::string& value, const std::string& expected,
               const std::string& shown) {
    const std::size_t before = sets().size();
    cloud.ha->publish(command_topic(uuid, key), value);
    BOOST_TEST(wait_until([&] { return sets().size() > before; }), value);
    BOOST_TEST(ha_sees(state_topic(uuid, key), shown), key << " " << value);
    const auto all = sets();
    BOOST_REQUIRE_EQUAL(all.size(), before + 1);
    BOOST_TEST(all.back() == expected);
  }

  // Home Assistant publishes a command the bridge must refuse: nothing reaches the device (the
  // next command's SET is the only new one) and the bridge's "Rejected commands" shows `count`.
  void refused(const std::string& key, const std::string& value, const std::string& count) {
    cloud.ha->publish(command_topic(uuid, key), value);
    BOOST_TEST(ha_sees("meross/bridge/rejected_commands/state", count), value);
    const std::string log = cloud.bridge->output();
    BOOST_TEST(log.find("command " + value + " on " + uuid + "/" + key) != std::string::npos, log);
  }
};

const std::string kLock = "Appliance.Control.PhysicalLock ";
const std::string kOverTemp = "Appliance.Config.OverTemp ";

}  // namespace

BOOST_AUTO_TEST_CASE(a_child_lock_from_home_assistant) {
  Settings s("map100");
  const auto lock = s.component("child_lock_0");
  BOOST_TEST(lock.at("platform") == "switch");
  BOOST_TEST(lock.at("entity_category") == "config");
  BOOST_TEST(lock.at("command_topic") == command_topic(s.uuid, "child_lock_0"));

  s.command("child_lock_0", "ON", kLock + R"({"lock":[{"channel":0,"onoff":1}]})", "ON");
  const std::size_t before = s.sets().size();
  s.refused("child_lock_0", "MAYBE", "1");
  s.command("child_lock_0", "OFF", kLock + R"({"lock":[{"channel":0,"onoff":0}]})", "OFF");
  BOOST_TEST(s.sets().size() == before + 1);
}

BOOST_AUTO_TEST_CASE(a_plug_over_temperature_switch_from_home_assistant) {
  Settings s("mss305");
  const auto over_temp = s.component("over_temp");
  BOOST_TEST(over_temp.at("platform") == "switch");
  BOOST_TEST(over_temp.at("entity_category") == "config");
  // The trace's {"enable":1,"type":1}, read by the poll made when the plug comes online.
  BOOST_REQUIRE(s.ha_sees(state_topic(s.uuid, "over_temp"), "ON"));

  s.command("over_temp", "OFF", kOverTemp + R"({"overTemp":{"enable":0}})", "OFF");
  s.refused("over_temp", "off", "1");
  s.command("over_temp", "ON", kOverTemp + R"({"overTemp":{"enable":1}})", "ON");
}
