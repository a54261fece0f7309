#define BOOST_TEST_MODULE bridge_e2e
#include <csignal>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

using Trace = protocol::Trace;

// A broker, a bridge on it, and an observer that sees everything the bridge publishes.
struct Setup {
  BridgeConfig settings;
  MosquittoBroker broker;
  std::string config_file;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<MqttTestClient> observer;

  explicit Setup(BridgeConfig c = {}) : settings(std::move(c)) {
    config_file = write_bridge_config(broker, settings);
    observer = std::make_unique<MqttTestClient>(broker.port());
    subscribe_synced(*observer, "meross/#");
    subscribe_synced(*observer, "/appliance/#");
    bridge = start_bridge(config_file);
    // Its subscriptions are in place once its retained `online` is out.
    BOOST_REQUIRE_MESSAGE(observer->wait_for(payload_on(kBridgeAvailability, "online"), kWait),
                          bridge->output());
  }
  ~Setup() {
    if (!bridge) return;
    const std::string out = bridge->output();
    show_output_if_failed("meross-bridge", out);
    check_no_secret_in(out, {settings.key, settings.password});
  }
};

// The mss310 trace as a scripted device that binds and answers discovery.
struct Mss310Device {
  Trace trace = load_trace("Kpippo-mss310.csv");
  ScriptedDevice device;

  const Setup& setup;

  Mss310Device(const Setup& s)
      : device(s.broker.port(), FakeDeviceIdentity{trace.uuid, s.settings.key}), setup(s) {}

  std::string availability_topic() const { return "meross/" + trace.uuid + "/availability"; }

  // Bind → SETACK; answers Ability and All from the trace.
  void bind_and_discover() {
    const auto id = device.bind(wall_now());
    BOOST_REQUIRE(
        device.client().wait_for(meross_message(device.identity().subscribe_topic(),
                                                "Appliance.Control.Bind", Method::SetAck, id),
                                 kWait));
    BOOST_REQUIRE(device.serve("Appliance.System.Ability", trace.ability_json, wall_now()));
    BOOST_REQUIRE(device.serve("Appliance.System.All", trace.all_json, wall_now()));
    // The trace's zone is not the configured one: the bridge sets it, the device accepts.
    const auto set = device.next_request("Appliance.System.Time", Method::Set);
    BOOST_REQUIRE(set);
    const std::size_t before = count_in(setup.bridge->output(), "time zone set to");
    device.answer(*set, "{}", wall_now());
    BOOST_REQUIRE(
        wait_until([&] { return count_in(setup.bridge->output(), "time zone set to") > before; }));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(bind_acknowledged_profile_learned_time_set) {
  Setup s;
  Mss310Device d(s);
  const auto& id = d.device.identity();

  const auto bind_id = d.device.bind(wall_now());
  const auto ack = d.device.client().wait_for(
      meross_message(id.subscribe_topic(), "Appliance.Control.Bind", Method::SetAck, bind_id),
      kWait);
  BOOST_REQUIRE_MESSAGE(ack, s.bridge->output());
  const auto ack_message = parse(*ack);
  BOOST_TEST(!ack->retained);
  BOOST_TEST(protocol::verify_sign(ack_message->header.message_id, s.settings.key,
                                   ack_message->header.timestamp, ack_message->header.sign));

  // Discovery: both GETs, answered on the device's own publish topic (from).
  const auto ability = d.device.next_request("Appliance.System.Ability", Method::Get);
  const auto all = d.device.next_request("Appliance.System.All", Method::Get);
  BOOST_REQUIRE(ability && all);
  BOOST_TEST(all->header.from == id.publish_topic());
  BOOST_TEST(ability->header.from == id.publish_topic());
  BOOST_TEST(protocol::verify_sign(all->header.message_id, s.settings.key, all->header.timestamp,
                                   all->header.sign));
  d.device.answer(*ability, d.trace.ability_json, wall_now());
  d.device.answer(*all, d.trace.all_json, wall_now());

  // The trace's zone is Europe/London; the bridge wants Australia/Sydney.
  const auto set = d.device.next_request("Appliance.System.Time", Method::Set);
  BOOST_REQUIRE_MESSAGE(set, s.bridge->output());
  const auto rules = protocol::build_time_rules("Australia/Sydney", set->header.timestamp);
  BOOST_REQUIRE(rules.ok());
  BOOST_TEST(protocol::to_json(set->payload()) ==
             protocol::time_set_payload("Australia/Sydney", *rules));
  d.device.answer(*set, "{}", wall_now());

  BOOST_TEST(s.bridge->wait_for_output("profile learned: mss310", kWait));
  BOOST_TEST(s.bridge->wait_for_output("time zone set to Australia/Sydney", kWait));
  // Exactly one SETACK for the one Bind.
  BOOST_TEST(d.device.client().count(meross_message(id.subscribe_topic(), "Appliance.Control.Bind",
                                                    Method::SetAck)) == 1u);
  // Retained availability, as a newcomer (Home Assistant) sees it.
  MqttTestClient newcomer(s.broker.port());
  newcomer.subscribe("meross/#");
  const auto online = newcomer.wait_for(payload_on(d.availability_topic(), "online"), kWait);
  BOOST_REQUIRE(online);
  BOOST_TEST(online->retained);
  BOOST_TEST(newcomer.wait_for(payload_on(kBridgeAvailability, "online"), kWait)->retained);
}

BOOST_AUTO_TEST_CASE(clock_push_answered) {
  Setup s;
  Mss310Device d(s);
  d.device.push("Appliance.System.Clock", R"({"clock":{"timestamp":1}})", 1);
  const auto reply = d.device.client().wait_for(
      meross_message(d.device.identity().subscribe_topic(), "Appliance.System.Clock", Method::Push),
      kWait);
  BOOST_REQUIRE(reply);
  const auto message = parse(*reply);
  BOOST_TEST(*protocol::int_member(message->payload()["clock"], "timestamp") > 1700000000);
}

BOOST_AUTO_TEST_CASE(offline_when_silent_online_when_back) {
  Setup s;
  Mss310Device d(s);
  d.bind_and_discover();
  BOOST_REQUIRE(s.observer->wait_for(payload_on(d.availability_topic(), "online"), kWait));
  // Silence (availability_timeout 2s): the device answers nothing more — neither the silence
  // probe nor the polls of the Home Assistant side — so it turns offline.
  BOOST_REQUIRE_MESSAGE(s.observer->wait_for(payload_on(d.availability_topic(), "offline"), kWait),
                        s.bridge->output());
  s.observer->clear();
  // It talks again: online, and the bridge learns it again.
  d.device.push("Appliance.System.Online", R"({"online":{"status":1}})", wall_now());
  BOOST_REQUIRE(s.observer->wait_for(payload_on(d.availability_topic(), "online"), kWait));
  BOOST_TEST(d.device.serve("Appliance.System.Ability", d.trace.ability_json, wall_now()));
  BOOST_TEST(d.device.serve("Appliance.System.All", d.trace.all_json, wall_now()));
  BOOST_TEST(s.bridge->wait_for_output("back online", kWait));
}

BOOST_AUTO_TEST_CASE(broker_restart_recovers_everything) {
  Setup s;
  {
    Mss310Device d(s);
    d.bind_and_discover();
    BOOST_REQUIRE(s.observer->wait_for(payload_on(d.availability_topic(), "online"), kWait));
  }
  s.observer.reset();
  s.broker.stop();  // no persistence: every retained message is gone
  s.broker.start();
  BOOST_REQUIRE_MESSAGE(s.bridge->wait_for_output("connection to", kWait), s.bridge->output());
  // Re-announced: a newcomer sees the retained bridge and device availability again.
  MqttTestClient newcomer(s.broker.port());
  newcomer.subscribe("meross/#");
  BOOST_REQUIRE_MESSAGE(newcomer.wait_for(payload_on(kBridgeAvailability, "online"), kWait),
                        s.bridge->output());
  const std::string uuid = load_trace("Kpippo-mss310.csv").uuid;
  BOOST_TEST(newcomer.wait_for(payload_on("meross/" + uuid + "/availability", "online"), kWait)
                 .has_value());
  // Re-subscribed: a device that reconnects is bound again.
  Mss310Device again(s);
  again.bind_and_discover();
}

BOOST_AUTO_TEST_CASE(forged_signatures_are_dropped) {
  Setup s;
  const auto trace = load_trace("Kpippo-mss310.csv");
  const FakeDeviceIdentity real{trace.uuid, s.settings.key};
  ScriptedDevice device(s.broker.port(), real);
  // Another client, without the key, pretends to be the device.
  const std::string forged_key = "guessed-key";
  MqttTestClient forger(s.broker.port());
  const std::string forged_id = protocol::new_message_id();
  forger.publish(real.publish_topic(), real.message(Method::Set, "Appliance.Control.Bind",
                                                    bind_payload(real.uuid, wall_now()), wall_now(),
                                                    forged_id, &forged_key));
  forger.publish(real.publish_topic(), "{\"header\": not json");
  // Then a genuine message through the same connection (so it is handled after the forged ones).
  const std::string good_id = protocol::new_message_id();
  forger.publish(real.publish_topic(),
                 real.message(Method::Set, "Appliance.Control.Bind",
                              bind_payload(real.uuid, wall_now()), wall_now(), good_id));
  BOOST_REQUIRE(device.client().wait_for(
      meross_message(real.subscribe_topic(), "Appliance.Control.Bind", Method::SetAck, good_id),
      kWait));
  BOOST_TEST(device.client().count(meross_message(real.subscribe_topic(), "Appliance.Control.Bind",
                                                  Method::SetAck, forged_id)) == 0u);
  BOOST_TEST(s.bridge->wait_for_output("bad signature", kWait));
  BOOST_TEST(s.bridge->wait_for_output("dropped a malformed message", kWait));
  BOOST_TEST(s.bridge->output().find(forged_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_publishes_offline_and_exits_cleanly) {
  Setup s;
  s.observer->clear();
  s.bridge->signal(SIGTERM);
  const auto code = s.bridge->wait_exit(std::chrono::seconds(10));
  BOOST_REQUIRE_MESSAGE(code, s.bridge->output());
  BOOST_TEST(*code == 0);
  BOOST_TEST(s.observer->wait_for(payload_on(kBridgeAvailability, "offline"), kWait).has_value());
  BOOST_TEST(s.bridge->wait_for_output("stopped", kWait));
  MqttTestClient newcomer(s.broker.port());
  newcomer.subscribe(kBridgeAvailability);
  const auto retained = newcomer.wait_for(payload_on(kBridgeAvailability, "offline"), kWait);
  BOOST_REQUIRE(retained);
  BOOST_TEST(retained->retained);
}

BOOST_AUTO_TEST_CASE(sigint_too) {
  Setup s;
  s.bridge->signal(SIGINT);
  const auto code = s.bridge->wait_exit(std::chrono::seconds(10));
  BOOST_REQUIRE(code);
  BOOST_TEST(*code == 0);
}

BOOST_AUTO_TEST_CASE(waits_for_a_broker_that_is_not_there_yet) {
  MosquittoBroker broker;
  BridgeConfig settings;
  const auto file = write_bridge_config(broker, settings);
  broker.stop();
  ChildProcess bridge({MEROSS_BRIDGE_BIN, "--config", file});
  BOOST_REQUIRE(bridge.wait_for_output("retrying in", kWait));
  broker.start();
  BOOST_TEST(bridge.wait_for_output("mqtt: connected", kWait), bridge.output());
}

BOOST_AUTO_TEST_CASE(check_config_masks_secrets_and_names_errors) {
  MosquittoBroker broker;
  BridgeConfig settings;
  const auto file = write_bridge_config(broker, settings);
  ChildProcess check({MEROSS_BRIDGE_BIN, "check-config", file});
  // (The output is collected by a reader thread: wait for its last line, not only for the exit.)
  BOOST_REQUIRE(check.wait_for_output("is valid", kWait));
  BOOST_REQUIRE(check.wait_exit(kWait) == 0);
  const auto out = check.output();
  BOOST_TEST(out.find("password = \"***\"") != std::string::npos);
  BOOST_TEST(out.find(settings.key) == std::string::npos);
  BOOST_TEST(out.find(settings.password) == std::string::npos);
  BOOST_TEST(out.find("key is empty") == std::string::npos);

  // An empty key is valid (hotspot pairing without one) but rarely meant: it is pointed out.
  const auto keyless = std::filesystem::path(broker.dir()) / "keyless.toml";
  std::ofstream(keyless) << "[meross]\nkey = \"\"\n";
  ChildProcess noted({MEROSS_BRIDGE_BIN, "check-config", keyless.string()});
  BOOST_REQUIRE(noted.wait_for_output("is valid", kWait));
  BOOST_REQUIRE(noted.wait_exit(kWait) == 0);
  BOOST_TEST(noted.output().find("[meross] key is empty") != std::string::npos, noted.output());

  const auto bad = std::filesystem::path(broker.dir()) / "bad.toml";
  std::ofstream(bad) << "[mqtt]\npassword = \"" << settings.password << "\"\nurl = 5\n";
  ChildProcess failing({MEROSS_BRIDGE_BIN, "check-config", bad.string()});
  BOOST_TEST(failing.wait_for_output(bad.string() + ":3: mqtt.url: expected a string", kWait),
             failing.output());
  BOOST_REQUIRE(failing.wait_exit(kWait) == 1);
  BOOST_TEST(failing.output().find(settings.password) == std::string::npos);
  // The daemon refuses the same file with the same message.
  ChildProcess daemon({MEROSS_BRIDGE_BIN, "--config", bad.string()});
  BOOST_TEST(daemon.wait_for_output(":3: mqtt.url", kWait));
  BOOST_REQUIRE(daemon.wait_exit(kWait) == 1);
}
