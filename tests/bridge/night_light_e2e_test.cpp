#define BOOST_TEST_MODULE bridge_night_light_e2e
// The hp110a night light's sound machine as a user runs it (issue 17): `broker-config` →
// mosquitto with our auth plugin and TLS → meross-sim running the built-in hp110a → the bridge on
// the generated bridge.toml → Home Assistant's topics. A sound, a volume and play chosen in Home
// Assistant reach the device as one signed Mp3 SET each, and the state the device PUSHes back
// reaches Home Assistant. A volume above 16 or a sound the device does not have is refused:
// nothing is sent.

#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

struct NightLight : WatchedDevice {
  NightLight() { watch("hp110a", {}, {"--profile", "hp110a"}); }

  // The payload of each Mp3 SET on the wire so far, in order.
  std::vector<std::string> sets() const {
    std::vector<std::string> out;
    for (const auto& set : tap->sets({"Appliance.Control.Mp3"}))
      out.push_back(set.payload);
    return out;
  }

  // Home Assistant publishes `value` on the command topic of `key`: exactly the SET `expected`
  // reaches the device, and Home Assistant then sees `shown` on the state topic of `key`.
  void command(const std::string& key, const std::string& value, const std::string& expected,
               const std::string& shown) {
    const std::size_t before = sets().size();
    cloud.ha->publish(command_topic(uuid, key), value);
    BOOST_TEST(wait_until([&] { return sets().size() >= before + 1; }), value);
    BOOST_TEST(ha_sees(state_topic(uuid, key), shown), key << " " << value);
    const auto all = sets();
    BOOST_REQUIRE_EQUAL(all.size(), before + 1);
    BOOST_TEST(all.back() == expected);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_sound_a_volume_and_play_from_home_assistant) {
  NightLight n;
  BOOST_TEST(find(n.components, "select").at("id") == "sound");
  BOOST_TEST(find(n.components, "number").at("id") == "volume");
  BOOST_TEST(find(n.components, "light").at("id") == "light_0");
  // The profile's Mp3 state, read by the bridge's first poll: White noise, volume 11, muted.
  BOOST_REQUIRE(n.ha_sees(state_topic(n.uuid, "sound"), "White noise"));
  BOOST_REQUIRE(n.ha_sees(state_topic(n.uuid, "volume"), "11"));
  BOOST_REQUIRE(n.ha_sees(state_topic(n.uuid, "play"), "OFF"));

  n.command("sound", "Ocean wave", R"({"mp3":{"channel":0,"song":11}})", "Ocean wave");
  n.command("volume", "5", R"({"mp3":{"channel":0,"volume":5}})", "5");
  // Refused by the bridge, nothing sent; the next command's SET is the only new one (commands
  // are taken in order).
  n.cloud.ha->publish(command_topic(n.uuid, "volume"), "17");
  n.cloud.ha->publish(command_topic(n.uuid, "sound"), "Jazz");
  n.command("play", "ON", R"({"mp3":{"channel":0,"mute":0}})", "ON");
  const std::string log = n.cloud.bridge->output();
  BOOST_TEST(log.find("command 17 on") != std::string::npos, log);
}
