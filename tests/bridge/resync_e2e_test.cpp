#define BOOST_TEST_MODULE bridge_resync_e2e
// Resync after a broker restart (issue 16, item 2), on the user's path: `broker-config` →
// mosquitto with our auth plugin and TLS → meross-sim logging in as firmware does → the bridge on
// the generated bridge.toml → Home Assistant's topics. The broker is killed (and, in the other
// case, stopped cleanly) and started again on the same ports; meanwhile the plug's button is
// pressed. The plug reconnects first and sends its Bind while the bridge is not back yet (the
// bridge is held with SIGSTOP until the Bind has gone out: without a subscriber the broker drops
// it). The plug repeats its Bind only every two minutes here (firmware: about every half minute,
// some never), so only the bridge can make things right: within 30 s of its link's return Home
// Assistant shows the new switch state, the plug is bound again (a SETACK reached it) and its
// polls run again. The same with two brokers ([device_broker]), the devices' one restarted.
#include <signal.h>

#include <functional>
#include <regex>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "local_cloud.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

constexpr auto kResyncWithin = std::chrono::seconds(30);
constexpr auto npos = std::string::npos;

std::string opposite(const std::string& state) {
  return state == "ON" ? "OFF" : "ON";
}

// Resumes a process held with SIGSTOP when the test leaves, whatever happens.
struct Held {
  ChildProcess& process;
  bool held = false;
  explicit Held(ChildProcess& p) : process(p) {}
  void hold() {
    process.signal(SIGSTOP);
    held = true;
  }
  void release() {
    if (held) process.signal(SIGCONT);
    held = false;
  }
  ~Held() { release(); }
};

// meross-sim running one mss310 that repeats its Bind only every two minutes.
struct Plug {
  std::unique_ptr<ChildProcess> sim;
  std::string uuid;

  explicit Plug(std::vector<std::string> broker_args) {
    std::vector<std::string> argv{MEROSS_SIM_BIN, "--key",           kKey,   "--profile",
                                  "mss310",       "--bind-interval", "120s", "--clock-interval",
                                  "10s"};
    argv.insert(argv.end(), broker_args.begin(), broker_args.end());
    sim = std::make_unique<ChildProcess>(argv);
    BOOST_REQUIRE_MESSAGE(sim->wait_for_output("ready", kWait), sim->output());
    std::smatch m;
    const std::string out = sim->output();
    BOOST_REQUIRE(std::regex_search(out, m, std::regex("device ([0-9A-Za-z]{32}) ")));
    uuid = m[1].str();
    BOOST_REQUIRE_MESSAGE(sim->wait_for_output("bound " + uuid, kWait), sim->output());
  }

  // The plug's own view (the simulator's `state` command): {"type":…,"connected":…,…}.
  std::string state() {
    const std::string prefix = "state " + uuid + " ";
    const std::size_t before = count_in(sim->output(), prefix);
    sim->write_stdin("state " + uuid + "\n");
    BOOST_REQUIRE(wait_until([&] { return count_in(sim->output(), prefix) > before; }));
    const std::string out = sim->output();
    const auto at = out.rfind(prefix);
    return out.substr(at + prefix.size(), out.find('\n', at) - at - prefix.size());
  }
  std::size_t binds() const { return count_in(sim->output(), "bound " + uuid); }
  std::string publish_topic() const { return "/appliance/" + uuid + "/publish"; }
};

// What the story needs of a setup.
struct Stage {
  ChildProcess& bridge;
  Plug& plug;
  MosquittoBroker& broker;                                 // the one that goes away
  std::string link;                                        // "mqtt: connected to <url>" of its link
  std::function<MqttTestClient&()> home_assistant;         // Home Assistant, now
  std::function<void()> home_assistant_away;               // the broker takes it away
  std::function<void()> home_assistant_back;               // connects it again
  std::function<std::unique_ptr<MqttTestClient>()> watch;  // reads the plug's publish topic
};

// The switch state Home Assistant was told last.
std::string switch_state(MqttTestClient& ha, const std::string& uuid) {
  const std::string topic = state_topic(uuid, "switch_0");
  BOOST_REQUIRE(ha.wait_for(on_topic(topic), kWait));
  std::string last;
  for (const auto& m : ha.messages()) {
    if (m.topic == topic) last = m.payload;
  }
  return last;
}

// The broker goes away (`crash`: SIGKILL, else a clean stop), the plug's button is pressed, the
// broker comes back, the plug binds before the bridge is back; then, within 30 s of the bridge's
// link returning, everything is right again.
void outage(Stage s, bool crash) {
  Plug& plug = s.plug;
  BOOST_REQUIRE_MESSAGE(
      s.home_assistant().wait_for(on_topic(device_config_topic(plug.uuid)), kWait),
      s.bridge.output());
  const std::string before = switch_state(s.home_assistant(), plug.uuid);
  BOOST_REQUIRE(before == "ON" || before == "OFF");
  const std::size_t connects = count_in(s.bridge.output(), s.link);
  const std::size_t binds = plug.binds();

  Held bridge(s.bridge);
  Held device(*plug.sim);
  bridge.hold();
  s.home_assistant_away();
  if (crash) {
    s.broker.kill();
  } else {
    s.broker.stop();
  }
  BOOST_REQUIRE(wait_until([&] { return plug.state().find(R"("connected":false)") != npos; }));
  // The button, while the broker is away: nothing can tell anyone.
  plug.sim->write_stdin("press " + plug.uuid + "\n");
  BOOST_REQUIRE(wait_until(
      [&] { return plug.state().find(before == "ON" ? R"("onoff":0)" : R"("onoff":1)") != npos; }));

  // The broker is back; the plug reconnects and binds while the bridge is still held.
  device.hold();
  s.broker.start();
  s.home_assistant_back();
  auto watch = s.watch();
  device.release();
  BOOST_REQUIRE_MESSAGE(
      watch->wait_for(meross_message(plug.publish_topic(), "Appliance.Control.Bind", Method::Set),
                      kWait),
      plug.sim->output());
  BOOST_TEST(plug.state().find(R"("bound":false)") != npos);
  watch->clear();
  s.home_assistant().clear();

  bridge.release();
  BOOST_REQUIRE_MESSAGE(wait_until([&] { return count_in(s.bridge.output(), s.link) > connects; }),
                        s.bridge.output());
  const auto back = std::chrono::steady_clock::now();
  const auto left = [&] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                        back + kResyncWithin - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds(0));
  };

  // Home Assistant sees the state the plug has now, the plug is bound, its polls run again.
  const bool shown =
      s.home_assistant()
          .wait_for(payload_on(state_topic(plug.uuid, "switch_0"), opposite(before)), left())
          .has_value();
  BOOST_TEST(shown, s.bridge.output());
  if (shown) {
    BOOST_TEST_MESSAGE("the new state reached Home Assistant "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - back)
                              .count()
                       << " ms after the bridge's link returned");
  }
  BOOST_TEST(wait_until([&] { return plug.binds() > binds; }, left()));
  BOOST_TEST(watch
                 ->wait_for(meross_message(plug.publish_topic(), "Appliance.Control.Electricity",
                                           Method::GetAck),
                            left())
                 .has_value());
  BOOST_TEST(s.home_assistant()
                 .wait_for(payload_on(availability_topic(plug.uuid), "online"), kWait)
                 .has_value());
}

// The local cloud: one broker with our auth plugin, devices on its TLS port.
struct OneBroker {
  LocalCloud cloud;
  Plug plug{{"--broker", "mqtts://127.0.0.1:" + std::to_string(cloud.tls_port), "--cafile",
             (cloud.out / "certs" / "ca.crt").string()}};

  ~OneBroker() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << cloud.bridge->output());
      BOOST_TEST_MESSAGE("meross-sim output:\n" << plug.sim->output());
    }
    BOOST_TEST(cloud.secrets_in_output().empty());
  }

  MqttTestClient::Options login(const std::string& user, const std::string& password_file) const {
    MqttTestClient::Options o;
    o.username = user;
    o.password = trimmed(read_all(cloud.out / password_file));
    o.probe_root = "meross/test-probe/";  // what these logins may use
    return o;
  }

  Stage stage() {
    return Stage{*cloud.bridge, plug, *cloud.broker, "mqtt: connected to",
                 [this]() -> MqttTestClient& { return *cloud.ha; }, [this] { cloud.ha.reset(); },
                 [this] {
                   BOOST_REQUIRE(wait_until([&] { return loopback_port_open(cloud.local_port); }));
                   cloud.ha = std::make_unique<MqttTestClient>(
                       cloud.local_port, login("homeassistant", "homeassistant-password"));
                   cloud.ha->subscribe("meross/#");
                 },
                 // The bridge's login may read the devices' publish topics.
                 [this] {
                   auto client = std::make_unique<MqttTestClient>(
                       cloud.local_port, login("meross-bridge", "bridge-password"));
                   client->subscribe(plug.publish_topic());
                   return client;
                 }};
  }
};

// [device_broker]: devices on a broker of their own, Home Assistant on another.
struct TwoBrokers {
  BridgeConfig settings;
  MosquittoBroker ha_broker;
  MosquittoBroker device_broker;
  std::unique_ptr<MqttTestClient> ha;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<Plug> plug;

  TwoBrokers() {
    settings.key = kKey;
    settings.availability_timeout = "5m";  // a request timeout of 5 s, as by default
    settings.extra = "[device_broker]\nurl = \"" + device_broker.url() +
                     "\"\nusername = \"bridge-devices\"\npassword = \"" + settings.password +
                     "\"\n";
    ha = std::make_unique<MqttTestClient>(ha_broker.port());
    subscribe_synced(*ha, "#");
    bridge = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_BRIDGE_BIN, "--config", write_bridge_config(ha_broker, settings)});
    for (const auto* side : {&ha_broker, &device_broker}) {
      BOOST_REQUIRE_MESSAGE(
          bridge->wait_for_output("mqtt: connected to " + side->url() + " (", kWait),
          bridge->output());
    }
    plug = std::make_unique<Plug>(std::vector<std::string>{"--broker", device_broker.url()});
  }
  ~TwoBrokers() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << bridge->output());
      BOOST_TEST_MESSAGE("meross-sim output:\n" << plug->sim->output());
    }
    BOOST_TEST(bridge->output().find(settings.key) == npos);
  }

  Stage stage() {
    return Stage{*bridge,
                 *plug,
                 device_broker,
                 "mqtt: connected to " + device_broker.url() + " (",
                 [this]() -> MqttTestClient& { return *ha; },
                 [] {},  // Home Assistant's broker stays
                 [] {},
                 [this] {
                   auto client = std::make_unique<MqttTestClient>(device_broker.port());
                   subscribe_synced(*client, plug->publish_topic());
                   return client;
                 }};
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(broker_killed_devices_bound_before_the_bridge_are_resynced) {
  OneBroker setup;
  outage(setup.stage(), true);
}

BOOST_AUTO_TEST_CASE(broker_stopped_cleanly_devices_bound_before_the_bridge_are_resynced) {
  OneBroker setup;
  outage(setup.stage(), false);
}

BOOST_AUTO_TEST_CASE(device_broker_killed_devices_bound_before_the_bridge_are_resynced) {
  TwoBrokers setup;
  outage(setup.stage(), true);
}
