#define BOOST_TEST_MODULE bridge_two_brokers_e2e
// End-to-end with two brokers, as the add-on runs them: meross-sim devices on a broker of their
// own ([device_broker]), a test client playing Home Assistant on another ([mqtt]), the real bridge
// between them. Each side's topics stay on its broker; a command crosses from one to the other
// and its state comes back; either broker can go away without stopping the other side.
#include <csignal>
#include <regex>
#include <thread>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/signing.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

auto document_of(std::string uuid) {
  return [=](const MqttTestClient::Message& m) {
    return m.topic == device_config_topic(uuid) && !m.payload.empty();
  };
}
bool device_side(const std::string& topic) {
  return topic.starts_with("/appliance/");
}
bool home_assistant_side(const std::string& topic) {
  return topic.starts_with("meross/") || topic.starts_with("homeassistant/");
}

struct Sim {
  std::unique_ptr<ChildProcess> process;
  std::string uuid;
};

struct Setup {
  BridgeConfig settings;
  MosquittoBroker ha_broker;
  MosquittoBroker device_broker;
  std::unique_ptr<MqttTestClient> ha;       // Home Assistant: everything on its broker
  std::unique_ptr<MqttTestClient> devices;  // everything on the devices' broker
  std::unique_ptr<ChildProcess> bridge;
  std::vector<Sim> sims;

  Setup() {
    settings.extra =
        "[homeassistant]\nrepublish_delay = \"500ms\"\n[polling]\nelectricity = \"1s\"\n"
        "consumption = \"1h\"\n[device_broker]\nurl = \"" +
        device_broker.url() + "\"\nusername = \"bridge-devices\"\npassword = \"" +
        settings.password + "\"\nkeepalive = \"5s\"\n";
    connect_ha();
    devices = std::make_unique<MqttTestClient>(device_broker.port());
    subscribe_synced(*devices, "#");
    const auto config = write_bridge_config(ha_broker, settings);
    bridge = std::make_unique<ChildProcess>(
        std::vector<std::string>{MEROSS_BRIDGE_BIN, "--config", config});
    for (const auto* side : {&ha_broker, &device_broker}) {
      BOOST_REQUIRE_MESSAGE(
          bridge->wait_for_output("mqtt: connected to " + side->url() + " (", kWait),
          bridge->output());
    }
    BOOST_REQUIRE(ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  }
  ~Setup() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << bridge->output());
      for (const auto& sim : sims)
        BOOST_TEST_MESSAGE("meross-sim output:\n" << sim.process->output());
    }
    BOOST_TEST(bridge->output().find(settings.key) == std::string::npos);
    BOOST_TEST(bridge->output().find(settings.password) == std::string::npos);
  }

  void connect_ha() {
    ha = std::make_unique<MqttTestClient>(ha_broker.port());
    subscribe_synced(*ha, "#");
  }

  // A meross-sim device of `profile` on the devices' broker; its uuid.
  std::string start_sim(const std::string& profile) {
    Sim sim;
    sim.process = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_SIM_BIN, "--broker", device_broker.url(), "--key", settings.key, "--profile",
        profile, "--bind-interval", "1s", "--clock-interval", "1s", "--log-level", "info"});
    BOOST_REQUIRE_MESSAGE(sim.process->wait_for_output("ready", kWait), sim.process->output());
    std::smatch m;
    const std::string out = sim.process->output();
    static const std::regex line("device ([0-9A-Za-z]{32}) ");
    BOOST_REQUIRE(std::regex_search(out, m, line));
    sim.uuid = m[1].str();
    sims.push_back(std::move(sim));
    return sims.back().uuid;
  }
  ChildProcess& sim_of(const std::string& uuid) {
    for (auto& sim : sims) {
      if (sim.uuid == uuid) return *sim.process;
    }
    throw std::runtime_error("no simulator runs " + uuid);
  }

  // Waits until Home Assistant has the device: its document, availability and switch state.
  std::string announced(const std::string& uuid) {
    BOOST_REQUIRE_MESSAGE(ha->wait_for(document_of(uuid), kWait), bridge->output());
    BOOST_REQUIRE(ha->wait_for(payload_on(availability_topic(uuid), "online"), kWait));
    const auto state = ha->wait_for(on_topic(state_topic(uuid, "switch_0")), kWait);
    BOOST_REQUIRE(state);
    return last_payload(*ha, state_topic(uuid, "switch_0"));
  }

  static std::string last_payload(const MqttTestClient& client, const std::string& topic) {
    std::string last;
    for (const auto& m : client.messages()) {
      if (m.topic == topic) last = m.payload;
    }
    return last;
  }

  // A command from Home Assistant's broker reaches the device on the devices' broker as a signed
  // SET that asks for its answer on the device's own topic; the state comes back.
  void command_round_trip(const std::string& uuid, const std::string& value) {
    devices->clear();
    ha->clear();
    ha->publish(command_topic(uuid, "switch_0"), value);
    const auto set = devices->wait_for(meross_message("/appliance/" + uuid + "/subscribe",
                                                      "Appliance.Control.ToggleX", Method::Set),
                                       kWait);
    BOOST_REQUIRE_MESSAGE(set, bridge->output());
    const auto request = parse(*set);
    BOOST_REQUIRE(request);
    BOOST_TEST(protocol::verify_sign(request->header.message_id, settings.key,
                                     request->header.timestamp, request->header.sign));
    BOOST_TEST(request->header.from == "/appliance/" + uuid + "/publish");
    BOOST_TEST(devices
                   ->wait_for(meross_message("/appliance/" + uuid + "/publish",
                                             "Appliance.Control.ToggleX", Method::SetAck,
                                             request->header.message_id),
                              kWait)
                   .has_value());
    BOOST_TEST(ha->wait_for(payload_on(state_topic(uuid, "switch_0"), value), kWait).has_value(),
               "no " << value << " state after the command");
  }

  // Nothing of one side was published on the other side's broker.
  void no_leaks() {
    BOOST_TEST(ha->count([](const auto& m) { return device_side(m.topic); }) == 0u);
    BOOST_TEST(devices->count([](const auto& m) { return home_assistant_side(m.topic); }) == 0u);
  }
};

std::string opposite(const std::string& value) {
  return value == "ON" ? "OFF" : "ON";
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_side_on_its_own_broker_and_commands_cross_between_them) {
  Setup s;
  const std::string plug = s.start_sim("mss310");
  const std::string current = s.announced(plug);
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(plug, "power_0")), kWait).has_value());
  // The device side saw the handshake: Bind acknowledged on the device's own topic.
  BOOST_TEST(s.devices
                 ->wait_for(meross_message("/appliance/" + plug + "/subscribe",
                                           "Appliance.Control.Bind", Method::SetAck),
                            kWait)
                 .has_value());

  s.command_round_trip(plug, opposite(current));
  s.command_round_trip(plug, current);
  s.no_leaks();
  // On Home Assistant's broker nothing speaks for a device: a device topic there is not heard.
  const auto wrong = payload_on(state_topic(plug, "switch_0"), opposite(current));
  const auto right = payload_on(state_topic(plug, "switch_0"), current);
  const std::size_t wrong_before = s.ha->count(wrong);
  const std::size_t right_before = s.ha->count(right);
  const FakeDeviceIdentity impostor{plug, s.settings.key};
  s.ha->publish(impostor.publish_topic(),
                impostor.message(Method::Push, "Appliance.Control.ToggleX",
                                 R"({"togglex":[{"channel":0,"lmTime":1,"onoff":)" +
                                     std::string(current == "ON" ? "0" : "1") + "}]}",
                                 wall_now()));
  // After it on the same connection: a command whose state comes back.
  s.ha->publish(command_topic(plug, "switch_0"), current);
  BOOST_TEST(wait_until([&] { return s.ha->count(right) > right_before; }));
  BOOST_TEST(s.ha->count(wrong) == wrong_before);
}

BOOST_AUTO_TEST_CASE(home_assistant_broker_away_device_traffic_goes_on) {
  Setup s;
  const std::string plug = s.start_sim("mss310");
  const std::string before = s.announced(plug);

  s.ha.reset();
  s.ha_broker.stop();
  BOOST_REQUIRE(s.bridge->wait_for_output("mqtt: connection to " + s.ha_broker.url(), kWait));
  s.devices->clear();
  // The plug's button is pressed, and a new device (a bulb) turns up: both handled meanwhile.
  s.sim_of(plug).write_stdin("press " + plug + "\n");
  BOOST_TEST(s.devices
                 ->wait_for(meross_message("/appliance/" + plug + "/publish",
                                           "Appliance.Control.ToggleX", Method::Push),
                            kWait)
                 .has_value());
  const std::string bulb = s.start_sim("msl120");
  BOOST_TEST(s.devices
                 ->wait_for(meross_message("/appliance/" + bulb + "/subscribe",
                                           "Appliance.Control.Bind", Method::SetAck),
                            kWait)
                 .has_value());
  BOOST_TEST(s.bridge->wait_for_output(bulb + ": profile learned: msl120", kWait));
  // The polls of the plug went on too.
  BOOST_TEST(s.devices
                 ->wait_for(meross_message("/appliance/" + plug + "/publish",
                                           "Appliance.Control.Electricity", Method::GetAck),
                            kWait)
                 .has_value());
  // All that while Home Assistant's broker was away.
  const std::string out = s.bridge->output();
  const auto lost = out.find("mqtt: connection to " + s.ha_broker.url());
  BOOST_TEST(out.find("mqtt: connected to " + s.ha_broker.url(), lost) == std::string::npos);

  // Back, without its retained messages: the bridge announces what is current.
  s.ha_broker.start();
  s.connect_ha();
  BOOST_TEST(s.ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(payload_on(state_topic(plug, "switch_0"), opposite(before)), kWait)
                 .has_value());
  BOOST_TEST(s.ha->wait_for(document_of(bulb), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(payload_on(availability_topic(bulb), "online"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(bulb, "light_0")), kWait).has_value());
  s.command_round_trip(plug, before);
  s.no_leaks();
}

BOOST_AUTO_TEST_CASE(device_broker_away_devices_unavailable_bridge_online) {
  Setup s;
  const std::string plug = s.start_sim("mss310");
  const std::string current = s.announced(plug);

  s.devices.reset();
  s.ha->clear();
  s.device_broker.stop();
  // Promptly, and by the link's loss rather than a silence timeout.
  BOOST_TEST(s.ha->wait_for(payload_on(availability_topic(plug), "offline"), kWait).has_value());
  BOOST_TEST(s.bridge->wait_for_output(plug + ": offline (its broker is away)", kWait));
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/devices_online/state", "0"), kWait).has_value());
  // The bridge itself is still there for Home Assistant.
  BOOST_TEST(s.ha->count(payload_on(kBridgeAvailability, "offline")) == 0u);
  {
    MqttTestClient newcomer(s.ha_broker.port());
    newcomer.subscribe(kBridgeAvailability);
    const auto retained = newcomer.wait_for(on_topic(kBridgeAvailability), kWait);
    BOOST_REQUIRE(retained);
    BOOST_TEST(retained->payload == "online");
  }

  s.device_broker.start();
  s.devices = std::make_unique<MqttTestClient>(s.device_broker.port());
  subscribe_synced(*s.devices, "#");
  BOOST_TEST(s.ha->wait_for(payload_on(availability_topic(plug), "online"), kWait).has_value(),
             s.bridge->output());
  BOOST_TEST(s.bridge->wait_for_output(plug + ": back online", kWait));
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/devices_online/state", "1"), kWait).has_value());
  s.command_round_trip(plug, opposite(current));
  s.no_leaks();
}
