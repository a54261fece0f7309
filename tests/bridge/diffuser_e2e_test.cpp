#define BOOST_TEST_MODULE bridge_diffuser_e2e
// The mod100 aroma diffuser as a user runs it (issue 17): `broker-config` → mosquitto with our
// auth plugin and TLS → meross-sim running the recorded mod100 → the bridge → Home Assistant's
// topics, and back. A spray mode chosen in Home Assistant reaches the device as a signed SET
// {"spray":[{"channel":0,"mode":N}]} with the Diffuser numbering (2 off, 1 continuous,
// 0 intermittent) and comes back as the select's state; a light colour does the same through
// Diffuser.Light; an unknown option is refused by the bridge and sends nothing. A simulated msxh0
// takes the opposite numbering, as a dict, through Control.Spray.
//
// What the bridge sends is read on the wire by a second login of the device (its MAC and
// password, as firmware logs in) subscribed to the device's own topic: the bridge's login may
// not read what goes to a device.

#include <optional>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"
#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

constexpr const char* kDiffuser = "mod100-1644417922.csv";

// One simulated device (the mod100 trace, or a built-in profile), watched on the wire.
struct Simulated : WatchedDevice {
  // Waits until the SETs of `ns` on the wire are `count`; returns the last.
  std::string set_number(const std::string& ns, std::size_t count) {
    std::vector<std::string> seen;
    const bool arrived = wait_until([&] {
      seen.clear();
      for (const auto& set : tap->sets({ns}))
        seen.push_back(set.payload);
      return seen.size() >= count;
    });
    BOOST_REQUIRE_MESSAGE(arrived, "no SET " + ns + " number " + std::to_string(count));
    BOOST_TEST(seen.size() == count);
    return seen.back();
  }
};

struct Diffuser : Simulated {
  Diffuser() { watch("mod100", {kDiffuser}); }
};

// The msxh0 humidifier: no trace among the fixtures, the simulator's profile from §3.2.
struct Humidifier : Simulated {
  Humidifier() { watch("msxh0", {}, {"--profile", "msxh0"}); }
};

const std::string kSpray = "Appliance.Control.Diffuser.Spray";
const std::string kLight = "Appliance.Control.Diffuser.Light";
const std::string kPlainSpray = "Appliance.Control.Spray";

}  // namespace

BOOST_AUTO_TEST_CASE(spray_modes_set_from_home_assistant_reach_the_device_and_come_back) {
  Diffuser d;
  const auto select = find(d.components, "select");
  BOOST_TEST(select.at("command_topic").find("/spray/") != std::string::npos);
  // The recorded diffuser is off (Diffuser.Spray mode 2).
  BOOST_REQUIRE(d.ha_sees(select.at("state_topic"), "off"));

  std::size_t sent = 0;
  for (const auto& [option, mode] : std::vector<std::pair<std::string, int>>{
           {"continuous", 1}, {"intermittent", 0}, {"off", 2}}) {
    d.cloud.ha->publish(select.at("command_topic"), option);
    BOOST_TEST(d.set_number(kSpray, ++sent) ==
               R"({"spray":[{"channel":0,"mode":)" + std::to_string(mode) + "}]}");
    BOOST_TEST(d.ha_sees(select.at("state_topic"), option), option);
  }

  // An option the device does not have: refused by the bridge, logged, nothing sent. The valid
  // command behind it is the next SET on the wire.
  d.cloud.ha->publish(select.at("command_topic"), "turbo");
  d.cloud.ha->publish(select.at("command_topic"), "continuous");
  BOOST_TEST(d.set_number(kSpray, ++sent) == R"({"spray":[{"channel":0,"mode":1}]})");
  BOOST_TEST(d.ha_sees(select.at("state_topic"), "continuous"));
  BOOST_TEST(wait_until([&] {
    const std::string log = d.cloud.bridge->output();
    const auto at = log.find("command turbo on ");
    return at != std::string::npos && log.find("rejected", at) != std::string::npos;
  }));
}

BOOST_AUTO_TEST_CASE(a_light_colour_set_from_home_assistant_reaches_the_device_and_comes_back) {
  Diffuser d;
  const auto light = find(d.components, "light");
  // Recorded: off, rainbow, luminance 100, rgb 0x3F00FF.
  BOOST_REQUIRE(d.ha_sees(light.at("state_topic"),
                          R"({"state":"OFF","color_mode":"rgb","brightness":100,)"
                          R"("color":{"r":63,"g":0,"b":255},"effect":"Rainbow"})"));

  d.cloud.ha->publish(light.at("command_topic"),
                      R"({"state":"ON","color":{"r":255,"g":0,"b":0},"brightness":40})");
  BOOST_TEST(d.set_number(kLight, 1) ==
             R"({"light":[{"channel":0,"onoff":1,"mode":1,"luminance":40,"rgb":16711680}]})");
  BOOST_TEST(d.ha_sees(light.at("state_topic"),
                       R"({"state":"ON","color_mode":"rgb",)"
                       R"("brightness":40,"color":{"r":255,"g":0,"b":0}})"));

  // Out of range: refused, not clamped to 100; the next valid command is the next SET.
  d.cloud.ha->publish(light.at("command_topic"), R"({"state":"ON","brightness":250})");
  d.cloud.ha->publish(light.at("command_topic"), R"({"state":"OFF"})");
  BOOST_TEST(d.set_number(kLight, 2) == R"({"light":[{"channel":0,"onoff":0}]})");
  BOOST_TEST(d.ha_sees(light.at("state_topic"),
                       R"({"state":"OFF","color_mode":"rgb",)"
                       R"("brightness":40,"color":{"r":255,"g":0,"b":0}})"));
}

BOOST_AUTO_TEST_CASE(an_msxh0_takes_its_own_numbering_as_a_dict) {
  Humidifier h;
  const auto select = find(h.components, "select");
  BOOST_REQUIRE(h.ha_sees(select.at("state_topic"), "off"));  // Control.Spray mode 0
  h.cloud.ha->publish(select.at("command_topic"), "intermittent");
  BOOST_TEST(h.set_number(kPlainSpray, 1) == R"({"spray":{"channel":0,"mode":2}})");
  BOOST_TEST(h.ha_sees(select.at("state_topic"), "intermittent"));
  h.cloud.ha->publish(select.at("command_topic"), "off");
  BOOST_TEST(h.set_number(kPlainSpray, 2) == R"({"spray":{"channel":0,"mode":0}})");
  BOOST_TEST(h.ha_sees(select.at("state_topic"), "off"));
}
