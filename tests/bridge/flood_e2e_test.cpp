#define BOOST_TEST_MODULE bridge_flood_e2e
// A Bind flood (issue 16, item 4) on the local cloud as a user runs it: `broker-config` →
// mosquitto with our auth plugin and TLS → a firmware-like plug logged in over TLS → the bridge →
// Home Assistant, commanding the plug. Meanwhile made-up uuids send signed Binds.
//
// What the plugin allows: a device login is a client id `fmware:<uuid>_…`, its MAC as user name
// and a password made from that MAC and the key; the uuid must end with the MAC's digits, and the
// login may write only its own /appliance/<uuid>/publish. Nothing ties a uuid to real hardware,
// so whoever holds the key makes up as many devices as they like, one login each: the flood
// here is made-up devices logging in like that (on the broker's local listener, which checks
// logins the same way) and each sending signed Binds.
//
// The plug's commands still come back, it is never marked offline, the bridge counts the new
// devices it refused (Home Assistant's "Refused new devices" sensor), and once the made-up
// devices are dropped none of their availability topics stays retained.
#include <csignal>
#include <fstream>
#include <set>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "device_messages.hpp"
#include "local_cloud.hpp"
#include "protocol/signing.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

constexpr int kMadeUp = 150;  // made-up devices, one login each
constexpr int kRounds = 3;    // Binds each sends, as firmware repeats an unanswered Bind
const std::string kRefused = "meross/bridge/refused_new_devices/state";

// The bridge's limits for new devices, small so that a modest flood exceeds them.
constexpr double kPerSecond = 5;
constexpr int kBurst = 10;

// The bridge again, on bridge.toml with these [meross] settings added.
void restart_bridge(LocalCloud& cloud, const std::string& meross_settings) {
  cloud.bridge->signal(SIGTERM);
  BOOST_REQUIRE(cloud.bridge->wait_exit(kWait).has_value());
  const auto file = cloud.out / "bridge.toml";
  std::string text = read_all(file);
  const auto section = text.find("[meross]\n");
  BOOST_REQUIRE(section != std::string::npos);
  text.insert(section + 9, meross_settings);
  std::ofstream(file, std::ios::trunc) << text;
  cloud.ha->clear();
  cloud.bridge = std::make_unique<ChildProcess>(std::vector<std::string>{
      MEROSS_BRIDGE_BIN, "--config", file.string(), "--log-level", "info"});
  BOOST_REQUIRE_MESSAGE(
      cloud.ha->wait_for(payload_on("meross/bridge/availability", "online"), kWait),
      cloud.bridge->output());
}

// A made-up device: logged in as firmware does, sending nothing but signed Binds.
struct MadeUp {
  Identity id = new_identity();
  std::unique_ptr<MqttTestClient> login;

  explicit MadeUp(const LocalCloud& cloud) {
    MqttTestClient::Options o;
    o.client_id = "fmware:" + id.uuid + "_0123456789abcdef";
    o.username = id.mac;
    o.password = protocol::device_mqtt_password(id.mac, kKey, 4242);
    login = std::make_unique<MqttTestClient>(cloud.local_port, o);
  }
  void bind() {
    const FakeDeviceIdentity me{id.uuid, kKey};
    const auto now = wall_now();
    login->publish(
        me.publish_topic(),
        me.message(Method::Set, "Appliance.Control.Bind", bind_payload(id.uuid, now), now), false,
        0);
  }
};

// Availability topics retained on the broker now, as a client subscribing now gets them.
std::set<std::string> retained_availability(const LocalCloud& cloud) {
  MqttTestClient::Options login;
  login.username = "homeassistant";
  login.password = trimmed(read_all(cloud.out / "homeassistant-password"));
  login.probe_root = "meross/test-probe/";
  MqttTestClient late(cloud.local_port, login);
  late.subscribe("meross/+/availability");
  const std::string marker = "meross/test-sync/" + unique_suffix();
  late.subscribe(marker);
  late.publish(marker, "sync");
  BOOST_REQUIRE(late.wait_for_topic(marker, kWait));
  std::set<std::string> topics;
  for (const auto& m : late.messages()) {
    if (m.retained && !m.payload.empty()) topics.insert(m.topic);
  }
  return topics;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_bind_flood_leaves_the_real_device_served_and_nothing_behind) {
  LocalCloud cloud;
  // Requests time out after 5 s (a quarter of the availability timeout, at most 5 s): a made-up
  // device is given up 15 s after it was let in.
  restart_bridge(cloud, "availability_timeout = \"20s\"\nnew_devices_per_second = " +
                            std::to_string(static_cast<int>(kPerSecond)) +
                            "\nnew_devices_burst = " + std::to_string(kBurst) +
                            "\nmax_new_devices = 20\n");
  const auto plug_id = new_identity();
  FirmwareDevice plug(cloud.device(plug_id));
  BOOST_REQUIRE_MESSAGE(plug.wait_bound(), cloud.bridge->output());
  const std::string state = state_topic(plug_id.uuid, "switch_0");
  const std::string command = command_topic(plug_id.uuid, "switch_0");
  BOOST_REQUIRE_MESSAGE(cloud.ha->wait_for(payload_on(state, "OFF"), kWait),
                        cloud.bridge->output());

  std::vector<std::unique_ptr<MadeUp>> flood;
  std::set<std::string> made_up;
  for (int i = 0; i < kMadeUp; ++i) {
    flood.push_back(std::make_unique<MadeUp>(cloud));
    made_up.insert(flood.back()->id.uuid);
  }
  // Every made-up device binds, again and again, while Home Assistant toggles the plug.
  const auto flood_start = std::chrono::steady_clock::now();
  bool on = true;
  int commands = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (auto& device : flood)
      device->bind();
    cloud.ha->publish(command, on ? "ON" : "OFF");
    ++commands;
    BOOST_TEST(plug.wait_relay(on), "command " << commands);
    BOOST_TEST(cloud.ha->wait_for(payload_on(state, on ? "ON" : "OFF"), kWait).has_value(),
               "state of command " << commands);
    on = !on;
  }
  const auto flood_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - flood_start).count();

  // New devices were let in no faster than the limits: the burst, then the rate. (Without them,
  // every made-up device had a session, and its retained availability "online".)
  std::set<std::string> admitted;
  for (const auto& m : cloud.ha->messages()) {
    for (const auto& uuid : made_up) {
      if (m.topic == availability_topic(uuid) && m.payload == "online") admitted.insert(uuid);
    }
  }
  const double bound = kBurst + kPerSecond * (flood_seconds + 1);
  BOOST_TEST(admitted.size() <= bound, admitted.size() << " let in, at most " << bound);
  BOOST_TEST(admitted.size() < made_up.size());

  // Counted, and shown to Home Assistant.
  const auto refused = cloud.ha->wait_for(
      [](const MqttTestClient::Message& m) {
        return m.topic == kRefused && !m.payload.empty() && m.payload != "0";
      },
      std::chrono::seconds(60));
  BOOST_TEST_REQUIRE(refused.has_value(), cloud.bridge->output());
  BOOST_TEST(std::stoul(refused->payload) > 0u);
  // One clear line, not one per refusal.
  const std::string out = cloud.bridge->output();
  BOOST_TEST(count_in(out, "a new device, not let in for now") >= 1u);
  BOOST_TEST(count_in(out, "a new device, not let in for now") <= 3u);

  // The made-up devices are dropped (they never answered discovery): none of their availability
  // topics stays retained. The plug's stays, "online" all along.
  std::set<std::string> left;
  const bool clean = wait_until(
      [&] {
        left.clear();
        for (const auto& topic : retained_availability(cloud)) {
          for (const auto& uuid : made_up) {
            if (topic == availability_topic(uuid)) left.insert(uuid);
          }
        }
        return left.empty();
      },
      std::chrono::seconds(120));
  BOOST_TEST(clean, left.size() << " made-up devices still have a retained availability");
  BOOST_TEST(retained_availability(cloud).count(availability_topic(plug_id.uuid)) == 1u);

  // And the plug obeys still.
  cloud.ha->publish(command, on ? "ON" : "OFF");
  BOOST_TEST(plug.wait_relay(on));
  BOOST_TEST(cloud.ha->count(payload_on(availability_topic(plug_id.uuid), "offline")) == 0u);
  BOOST_TEST(cloud.bridge->running());
  BOOST_TEST(cloud.secrets_in_output().empty());

  namespace utf = boost::unit_test;
  if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
    BOOST_TEST_MESSAGE("meross-bridge output (last 20 kB):\n"
                       << out.substr(out.size() > 20000 ? out.size() - 20000 : 0));
  }
}
