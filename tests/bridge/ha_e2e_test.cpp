#define BOOST_TEST_MODULE bridge_ha_e2e
// End-to-end, Home Assistant's view: meross-sim devices (mss310, mss425f, msl120) on a real
// mosquitto, the real bridge, and a test client playing Home Assistant on homeassistant/# and
// meross/#: discovery, states, commands, polls, HA's birth message, rejected commands, removals.
#include <csignal>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::test;

namespace {

// A state message on `topic` whose payload contains every one of `parts`.
auto containing(std::string topic, std::vector<std::string> parts) {
  return [=](const MqttTestClient::Message& m) {
    if (m.topic != topic) return false;
    for (const auto& p : parts) {
      if (m.payload.find(p) == std::string::npos) return false;
    }
    return true;
  };
}

struct Sim {
  std::unique_ptr<ChildProcess> process;
  std::map<std::string, std::string> uuid_of;  // type → uuid
};

struct Setup {
  BridgeConfig settings;
  MosquittoBroker broker;
  std::string config_file;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<MqttTestClient> ha;
  Sim sim;

  explicit Setup(std::string extra = {}) {
    settings.extra =
        "[homeassistant]\nrepublish_delay = \"500ms\"\n[polling]\nelectricity = \"1s\"\n"
        "consumption = \"2s\"\n" +
        extra;
    ha = std::make_unique<MqttTestClient>(broker.port());
    subscribe_synced(*ha, "homeassistant/#");
    subscribe_synced(*ha, "meross/#");
  }
  ~Setup() {
    if (!bridge) return;
    const std::string out = bridge->output();
    show_output_if_failed("meross-bridge", out);
    check_no_secret_in(out, {settings.key, settings.password});
  }
  void start_bridge_now() {
    config_file = write_bridge_config(broker, settings);
    bridge = start_bridge(config_file);
    BOOST_REQUIRE(ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  }
  void start_sim() {
    sim.process = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_SIM_BIN, "--broker", broker.url(), "--key", settings.key, "--profile", "mss310",
        "--profile", "mss425f", "--profile", "msl120", "--bind-interval", "1s", "--clock-interval",
        "1s", "--log-level", "info"});
    BOOST_REQUIRE_MESSAGE(sim.process->wait_for_output("ready", kWait), sim.process->output());
    static const std::regex line("device ([0-9A-Za-z]{32}) ([a-z0-9]+) ");
    const std::string out = sim.process->output();
    for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
         ++it) {
      sim.uuid_of[(*it)[2].str()] = (*it)[1].str();
    }
    BOOST_REQUIRE_EQUAL(sim.uuid_of.size(), 3u);
  }
  const std::string& uuid(const std::string& type) { return sim.uuid_of.at(type); }

  // The simulator's live state of a device, as JSON text.
  std::string sim_state(const std::string& uuid) {
    const std::size_t before = sim.process->output().size();
    sim.process->write_stdin("state " + uuid + "\n");
    BOOST_REQUIRE(sim.process->wait_for_output("state " + uuid, kWait));
    // The newest `state <uuid> ...` line after `before`.
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      out = sim.process->output();
      const auto at = out.find("state " + uuid + " ", before);
      if (at != std::string::npos) {
        const auto end = out.find('\n', at);
        if (end != std::string::npos) return out.substr(at, end - at);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_FAIL("no state line from the simulator");
    return {};
  }
  // Waits until the simulator's state of `uuid` contains `part`.
  bool sim_state_has(const std::string& uuid, const std::string& part) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (sim_state(uuid).find(part) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_CASE(devices_appear_commands_work_states_come_back) {
  Setup s;
  s.start_bridge_now();
  // The bridge device and its diagnostics.
  const auto bridge_doc =
      s.ha->wait_for(on_topic("homeassistant/device/meross_bridge/config"), kWait);
  BOOST_REQUIRE(bridge_doc);
  BOOST_TEST(bridge_doc->payload.find("\"devices_online\"") != std::string::npos);
  BOOST_TEST(s.ha->wait_for(on_topic("meross/bridge/messages_handled/state"), kWait).has_value());

  s.start_sim();
  const std::string plug = s.uuid("mss310"), strip = s.uuid("mss425f"), bulb = s.uuid("msl120");

  // Three device documents with both availability topics, mode all, and unique ids.
  std::set<std::string> unique_ids;
  for (const auto& uuid : {plug, strip, bulb}) {
    const auto doc = s.ha->wait_for(
        [&](const auto& m) { return m.topic == device_config_topic(uuid) && !m.payload.empty(); },
        kWait);
    BOOST_REQUIRE_MESSAGE(doc, "no discovery document for " << uuid);
    const auto json = parse_json(doc->payload);
    BOOST_REQUIRE(json.IsObject());
    BOOST_REQUIRE(json.HasMember("availability") && json["availability"].IsArray());
    std::set<std::string> availability;
    for (const auto& a : json["availability"].GetArray())
      availability.insert(a["topic"].GetString());
    BOOST_TEST(availability.count(kBridgeAvailability) == 1u);
    BOOST_TEST(availability.count("meross/" + uuid + "/availability") == 1u);
    BOOST_TEST(std::string(json["availability_mode"].GetString()) == "all");
    BOOST_REQUIRE(json.HasMember("components") && json["components"].IsObject());
    for (const auto& c : json["components"].GetObject()) {
      const std::string id = c.value["unique_id"].GetString();
      BOOST_TEST(unique_ids.insert(id).second, "duplicate unique_id " << id);
    }
  }
  BOOST_TEST(unique_ids.size() >= 10u);
  // Retained at QoS 1: a newcomer (Home Assistant after a restart) gets them as retained.
  {
    MqttTestClient newcomer(s.broker.port());
    newcomer.subscribe(device_config_topic(strip));
    newcomer.subscribe(state_topic(strip, "switch_1"));
    const auto doc = newcomer.wait_for(on_topic(device_config_topic(strip)), kWait);
    BOOST_REQUIRE(doc);
    BOOST_TEST(doc->retained);
    const auto st = newcomer.wait_for(on_topic(state_topic(strip, "switch_1")), kWait);
    BOOST_REQUIRE(st);
    BOOST_TEST(st->retained);
  }

  // First states from System.All; power and energy from the polls.
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(strip, "switch_0")), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(bulb, "light_0")), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(plug, "power_0")), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(plug, "voltage_0")), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(plug, "energy_0")), kWait).has_value());

  // Switch an outlet of the strip off and on: the device changes, the state comes back.
  // (The simulated strip starts with outlets 1..4 off.)
  BOOST_REQUIRE(s.sim_state(strip).find(R"({"channel":2,"onoff":0)") != std::string::npos);
  s.ha->clear();
  s.ha->publish(command_topic(strip, "switch_2"), "ON");
  BOOST_TEST(s.ha->wait_for(payload_on(state_topic(strip, "switch_2"), "ON"), kWait).has_value());
  BOOST_TEST(s.sim_state_has(strip, R"({"channel":2,"onoff":1)"), s.sim_state(strip));
  s.ha->clear();
  s.ha->publish(command_topic(strip, "switch_2"), "OFF");
  BOOST_TEST(s.ha->wait_for(payload_on(state_topic(strip, "switch_2"), "OFF"), kWait).has_value());
  BOOST_TEST(s.sim_state_has(strip, R"({"channel":2,"onoff":0)"), s.sim_state(strip));

  // The plug off: power drops to zero (refreshed after the command and by the polls).
  s.ha->clear();
  s.ha->publish(command_topic(plug, "switch_0"), "OFF");
  BOOST_TEST(s.ha->wait_for(payload_on(state_topic(plug, "switch_0"), "OFF"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(
                     [&](const auto& m) {
                       return m.topic == state_topic(plug, "power_0") && !m.payload.empty() &&
                              std::stod(m.payload) == 0.0;
                     },
                     kWait)
                 .has_value());

  // The bulb: dim, colour, colour temperature.
  const std::string light = state_topic(bulb, "light_0");
  const std::string light_set = command_topic(bulb, "light_0");
  s.ha->clear();
  s.ha->publish(light_set, R"({"state":"ON","brightness":37})");
  BOOST_TEST(s.ha->wait_for(containing(light, {"\"ON\"", "\"brightness\":37"}), kWait).has_value());
  BOOST_TEST(s.sim_state_has(bulb, "\"luminance\":37"), s.sim_state(bulb));
  s.ha->clear();
  s.ha->publish(light_set, R"({"state":"ON","color":{"r":255,"g":0,"b":128}})");
  BOOST_TEST(s.ha->wait_for(containing(light, {"\"color_mode\":\"rgb\"", "\"r\":255", "\"g\":0",
                                               "\"b\":128"}),
                            kWait)
                 .has_value());
  BOOST_TEST(s.sim_state_has(bulb, "\"rgb\":16711808"), s.sim_state(bulb));
  s.ha->clear();
  s.ha->publish(light_set, R"({"state":"ON","color_temp":2700})");
  BOOST_TEST(
      s.ha->wait_for(containing(light, {"\"color_mode\":\"color_temp\"", "\"color_temp\""}), kWait)
          .has_value());
  BOOST_TEST(s.sim_state_has(bulb, "\"temperature\":1,"), s.sim_state(bulb));

  // Garbage and out-of-range commands: one log line each, the bridge keeps working.
  s.ha->publish(light_set, "{not json");
  s.ha->publish(light_set, R"({"state":"ON","brightness":1000})");
  s.ha->publish(light_set, R"({"state":"ON","color_mode":"xy"})");
  s.ha->publish(command_topic(strip, "no_such_entity"), "ON");
  s.ha->publish(command_topic("0123456789abcdef0123456789abcdef", "switch_0"), "ON");
  BOOST_TEST(s.bridge->wait_for_output("rejected: ", kWait));
  BOOST_TEST(s.bridge->wait_for_output("no such device known", kWait));
  s.ha->clear();
  s.ha->publish(command_topic(strip, "switch_1"), "ON");
  BOOST_TEST(s.ha->wait_for(payload_on(state_topic(strip, "switch_1"), "ON"), kWait).has_value());
  BOOST_TEST(s.sim_state_has(strip, R"({"channel":1,"onoff":1)"), s.sim_state(strip));
  BOOST_TEST(s.bridge->output().find("brightness") != std::string::npos);

  // Home Assistant's birth message: everything is announced again.
  s.ha->clear();
  s.ha->publish("homeassistant/status", "online");
  BOOST_TEST(s.ha->wait_for(on_topic(device_config_topic(bulb)), kWait).has_value());
  BOOST_TEST(
      s.ha->wait_for(on_topic("homeassistant/device/meross_bridge/config"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(strip, "switch_0")), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(on_topic("meross/bridge/devices_online/state"), kWait).has_value());
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/devices_online/state", "3"), kWait).has_value());
}

// Across a restart: what the previous run announced and no longer exists is removed with empty
// retained payloads (an excluded device, a component the device no longer has); devices that are
// still there keep their documents; a retained command is not replayed.
BOOST_AUTO_TEST_CASE(restart_removes_what_no_longer_exists) {
  Setup s;
  s.start_bridge_now();
  s.start_sim();
  const std::string plug = s.uuid("mss310"), strip = s.uuid("mss425f"), bulb = s.uuid("msl120");
  std::string strip_doc;
  for (const auto& uuid : {plug, strip, bulb}) {
    const auto doc = s.ha->wait_for(
        [&](const auto& m) { return m.topic == device_config_topic(uuid) && !m.payload.empty(); },
        kWait);
    BOOST_REQUIRE(doc);
    if (uuid == strip) strip_doc = doc->payload;
  }
  s.bridge->signal(SIGTERM);
  BOOST_REQUIRE(s.bridge->wait_exit(kWait) == 0);

  // What a previous version announced: the strip with one more outlet. And a retained command.
  auto json = parse_json(strip_doc);
  BOOST_REQUIRE(json.IsObject());
  rapidjson::Value ghost(rapidjson::kObjectType);
  ghost.CopyFrom(json["components"]["switch_0"], json.GetAllocator());
  ghost["unique_id"].SetString("meross_" + strip + "_switch_9", json.GetAllocator());
  json["components"].AddMember("switch_9", ghost, json.GetAllocator());
  s.ha->publish(device_config_topic(strip), protocol::to_json(json), /*retain=*/true);
  s.ha->publish(command_topic(strip, "switch_3"), "ON", /*retain=*/true);
  BOOST_REQUIRE(s.ha->wait_for(containing(device_config_topic(strip), {"switch_9"}), kWait));
  s.ha->clear();

  // Restart without the plug.
  s.settings.meross_extra = "exclude = [\"" + plug + "\"]\n";
  s.start_bridge_now();
  BOOST_TEST(s.ha->wait_for(payload_on(device_config_topic(plug), ""), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(containing(device_config_topic(strip),
                                       {R"("switch_9":{"platform":"switch"})"}),
                            kWait)
                 .has_value());
  const auto current = s.ha->wait_for(
      [&](const auto& m) {
        return m.topic == device_config_topic(strip) && !m.payload.empty() &&
               m.payload.find("switch_9") == std::string::npos;
      },
      kWait);
  BOOST_TEST(current.has_value());
  BOOST_TEST(s.ha->wait_for(
                     [&](const auto& m) {
                       return m.topic == device_config_topic(bulb) && !m.payload.empty();
                     },
                     kWait)
                 .has_value());
  BOOST_TEST(s.ha->count(payload_on(device_config_topic(bulb), "")) == 0u);
  BOOST_TEST(s.ha->count(payload_on(device_config_topic(strip), "")) == 0u);
  BOOST_TEST(s.bridge->wait_for_output("it is retained", kWait));
  // Outlet 3 starts off in the simulator and stays off.
  BOOST_TEST(s.sim_state(strip).find(R"({"channel":3,"onoff":0)") != std::string::npos,
             s.sim_state(strip));
  // The excluded plug is not announced again.
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(strip, "switch_0")), kWait).has_value());
  BOOST_TEST(s.ha->count([&](const auto& m) {
    return m.topic == device_config_topic(plug) && !m.payload.empty();
  }) == 0u);
}
