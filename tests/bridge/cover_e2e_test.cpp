#define BOOST_TEST_MODULE bridge_cover_e2e
// Garage doors and shutters as a user runs them (issue 16, item 1): `broker-config` → mosquitto
// with our auth plugin and TLS → meross-sim running a recorded msg100 and mrs100 that log in as
// firmware does → the bridge on the generated bridge.toml → Home Assistant's topics. The
// simulated covers travel for 2 s and, like meross_lan's emulator, PUSH nothing when a command
// moved them: the bridge has to ask. Home Assistant must see the shutter's position as soon as
// the device is discovered, then opening → open and closing → closed after each command, never
// the other direction.
#include <algorithm>
#include <optional>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "sim_cloud.hpp"

using namespace meross;
using namespace meross::test;

namespace {

constexpr const char* kGarage = "msg100-1637650619.csv";
constexpr const char* kShutter = "mrs100-1631368847.csv";

// The string members of the first cover of this device class in a discovery document.
Component cover_of(const std::string& document, const std::string& device_class) {
  return find(components_of(document), "cover", device_class);
}

// The "state" of a shutter's state payload ({"state":"opening","position":40}), or the garage
// door's payload itself.
std::string state_word(const std::string& payload) {
  if (payload.empty() || payload.front() != '{') return payload;
  rapidjson::Document doc;
  doc.Parse(payload.c_str());
  const auto word = doc.HasParseError() ? std::nullopt : protocol::string_member(doc, "state");
  return word ? std::string(*word) : payload;
}

struct Covers : SimulatedCloud {
  // Logged in as the bridge: it may read what devices publish, so the test sees every PUSH.
  std::unique_ptr<MqttTestClient> wire;

  Covers() {
    MqttTestClient::Options login;
    login.username = "meross-bridge";
    login.password = trimmed(read_all(cloud.out / "bridge-password"));
    login.probe_root = "meross/test-probe/";
    wire = std::make_unique<MqttTestClient>(cloud.local_port, login);
    wire->subscribe("/appliance/+/publish");
    start_sim({kGarage, kShutter}, {"--travel", "2s"});
  }

  // What Home Assistant received on `topic`, in order.
  std::vector<std::string> received(const std::string& topic) const {
    std::vector<std::string> out;
    for (const auto& m : cloud.ha->messages()) {
      if (m.topic == topic) out.push_back(m.payload);
    }
    return out;
  }

  // For failure messages: "topic: payload | payload | ...".
  std::string listed(const std::string& topic) const {
    std::string out = topic + ":";
    for (const auto& p : received(topic))
      out += " " + p + " |";
    return out;
  }

  // PUSHes of a cover namespace the device sent.
  std::size_t cover_pushes(const std::string& uuid) const {
    std::size_t n = 0;
    for (const auto& m : wire->messages()) {
      if (m.topic != "/appliance/" + uuid + "/publish") continue;
      const auto message = protocol::parse_message(m.payload);
      if (!message) continue;
      const auto& h = message->header;
      if (h.method == protocol::Method::Push && (h.ns.starts_with("Appliance.GarageDoor.") ||
                                                 h.ns.starts_with("Appliance.RollerShutter."))) {
        ++n;
      }
    }
    return n;
  }

  // Sends `command` and waits for `done` on the state topic. Every state Home Assistant receives
  // meanwhile is checked: the travel goes one way (`moving`, never `wrong`), and once it has been
  // seen moving it does not fall back to where it came from (`from`).
  void travel(const Component& cover, const std::string& command, const std::string& moving,
              const std::string& wrong, const std::string& from, const std::string& done) {
    const std::string& topic = cover.at("state_topic");
    const std::size_t before = received(topic).size();
    cloud.ha->publish(cover.at("command_topic"), command);
    BOOST_REQUIRE_MESSAGE(ha_sees(topic, done), command + ": never " + done);
    const auto all = received(topic);
    std::vector<std::string> words;
    for (std::size_t i = before; i < all.size(); ++i)
      words.push_back(state_word(all[i]));
    std::string seen;
    for (const auto& w : words)
      seen += w + " ";
    BOOST_TEST_MESSAGE(command << ": " << seen);
    BOOST_TEST(std::count(words.begin(), words.end(), moving) > 0, command << ": " << seen);
    BOOST_TEST(std::count(words.begin(), words.end(), wrong) == 0, command << ": " << seen);
    const auto first_moving = std::find(words.begin(), words.end(), moving);
    BOOST_TEST(std::count(first_moving, words.end(), from) == 0, command << ": " << seen);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_garage_door_opens_and_closes_without_a_push) {
  Covers c;
  const std::string uuid = c.uuid_of("msg100");
  const auto door = cover_of(c.document("meross_" + uuid), "garage");
  // The recorded door is open (its System.All digest).
  BOOST_REQUIRE(c.ha_sees(door.at("state_topic"), "open"));

  c.travel(door, "CLOSE", "closing", "opening", "open", "closed");
  c.travel(door, "OPEN", "opening", "closing", "closed", "open");
  c.travel(door, "CLOSE", "closing", "opening", "open", "closed");
  BOOST_TEST(c.cover_pushes(uuid) == 0u);
}

BOOST_AUTO_TEST_CASE(a_shutter_shows_its_position_from_discovery_and_travels_without_a_push) {
  Covers c;
  const std::string uuid = c.uuid_of("mrs100");
  const auto shutter = cover_of(c.document("meross_" + uuid), "shutter");
  // Before any command: the recorded shutter is open (its last recorded position, 100).
  const std::string& topic = shutter.at("state_topic");
  BOOST_REQUIRE_MESSAGE(c.ha_sees(topic, R"({"state":"open","position":100})"), c.listed(topic));

  c.travel(shutter, "CLOSE", "closing", "opening", "open", R"({"state":"closed","position":0})");
  c.travel(shutter, "OPEN", "opening", "closing", "closed", R"({"state":"open","position":100})");
  BOOST_TEST(c.cover_pushes(uuid) == 0u);
}
