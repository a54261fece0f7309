#define BOOST_TEST_MODULE bridge_sim_e2e
// End-to-end with the device simulator: meross-sim devices on a real mosquitto, the real bridge.
#include <csignal>
#include <regex>
#include <thread>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

std::vector<std::string> sim_argv(const MosquittoBroker& broker, const std::string& key,
                                  const std::string& profile) {
  return {MEROSS_SIM_BIN,
          "--broker",
          broker.url(),
          "--key",
          key,
          "--profile",
          profile,
          "--bind-interval",
          "1s",
          "--clock-interval",
          "1s",
          "--log-level",
          "info"};
}

// The uuid from the simulator's `device <uuid> <type> <mac>` line.
std::string device_uuid(const ChildProcess& sim) {
  std::smatch m;
  const std::string out = sim.output();
  static const std::regex line("device ([0-9A-Za-z]{32}) ");
  BOOST_REQUIRE(std::regex_search(out, m, line));
  return m[1].str();
}

bool is_bind_from(const MqttTestClient::Message& m, const std::string& uuid) {
  if (m.topic != "/appliance/" + uuid + "/publish") return false;
  const auto parsed = parse(m);
  return parsed && parsed->header.ns == "Appliance.Control.Bind" &&
         parsed->header.method == Method::Set;
}

struct Setup {
  BridgeConfig settings;
  MosquittoBroker broker;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<MqttTestClient> observer;

  Setup() {
    const auto file = write_bridge_config(broker, settings);
    observer = std::make_unique<MqttTestClient>(broker.port());
    subscribe_synced(*observer, "meross/#");
    subscribe_synced(*observer, "/appliance/#");
    bridge = start_bridge(file);
    BOOST_REQUIRE(observer->wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  }
  ~Setup() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << bridge->output());
    }
    BOOST_TEST(bridge->output().find(settings.key) == std::string::npos);
  }
  std::unique_ptr<ChildProcess> start_sim(const std::string& profile) {
    auto sim = std::make_unique<ChildProcess>(sim_argv(broker, settings.key, profile));
    BOOST_REQUIRE_MESSAGE(sim->wait_for_output("ready", kWait), sim->output());
    return sim;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(simulated_plug_is_bound_timed_and_learned) {
  Setup s;
  auto sim = s.start_sim("mss310");
  const std::string uuid = device_uuid(*sim);
  BOOST_REQUIRE_MESSAGE(sim->wait_for_output("bound " + uuid, kWait), sim->output());
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": profile learned: mss310", kWait));

  // Time zone set with the right table, and accepted by the device.
  const auto set = s.observer->wait_for(
      meross_message("/appliance/" + uuid + "/subscribe", "Appliance.System.Time", Method::Set),
      kWait);
  BOOST_REQUIRE(set);
  const auto message = parse(*set);
  const auto rules = protocol::build_time_rules("Australia/Sydney", message->header.timestamp);
  BOOST_TEST(protocol::to_json(message->payload()) ==
             protocol::time_set_payload("Australia/Sydney", *rules));
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": time zone set to Australia/Sydney", kWait));
  // The device's SETACK, published after it was bound: every earlier Bind has reached the observer.
  BOOST_REQUIRE(s.observer->wait_for(meross_message(message->header.from, "Appliance.System.Time",
                                                    Method::SetAck, message->header.message_id),
                                     kWait));

  // Bound devices stop binding: no Bind after the bridge's SETACK was received, even though
  // the simulator repeats unacknowledged Binds every second. The silence probe (2s) proves time
  // has passed.
  const std::size_t binds = s.observer->count([&](const auto& m) { return is_bind_from(m, uuid); });
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": silent for 2s, probing", kWait));
  BOOST_TEST(s.observer->count([&](const auto& m) { return is_bind_from(m, uuid); }) == binds);
  BOOST_TEST(s.observer->count(meross_message("/appliance/" + uuid + "/subscribe",
                                              "Appliance.Control.Bind", Method::SetAck)) >= 1u);
  MqttTestClient newcomer(s.broker.port());  // sees retained messages as such
  newcomer.subscribe("meross/#");
  const auto online =
      newcomer.wait_for(payload_on("meross/" + uuid + "/availability", "online"), kWait);
  BOOST_REQUIRE(online);
  BOOST_TEST(online->retained);
}

BOOST_AUTO_TEST_CASE(device_offline_when_the_simulator_stops_online_when_it_returns) {
  Setup s;
  auto sim = s.start_sim("msl120");
  const std::string uuid = device_uuid(*sim);
  const std::string availability = "meross/" + uuid + "/availability";
  BOOST_REQUIRE(sim->wait_for_output("bound " + uuid, kWait));
  BOOST_REQUIRE(s.observer->wait_for(payload_on(availability, "online"), kWait));
  // Announced to Home Assistant (a device that never was gets its availability removed instead).
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": profile learned", kWait));
  sim->write_stdin("quit\n");
  BOOST_REQUIRE(sim->wait_exit(kWait) == 0);
  BOOST_REQUIRE_MESSAGE(s.observer->wait_for(payload_on(availability, "offline"), kWait),
                        s.bridge->output());
  s.observer->clear();
  auto again = s.start_sim("msl120");
  BOOST_TEST(device_uuid(*again) == uuid);
  BOOST_REQUIRE(again->wait_for_output("bound " + uuid, kWait));
  BOOST_TEST(s.observer->wait_for(payload_on(availability, "online"), kWait).has_value());
  BOOST_TEST(s.bridge->wait_for_output(uuid + ": back online", kWait));
}

BOOST_AUTO_TEST_CASE(broker_restart_mid_run_recovers) {
  Setup s;
  auto sim = s.start_sim("mss425f");
  const std::string uuid = device_uuid(*sim);
  BOOST_REQUIRE(sim->wait_for_output("bound " + uuid, kWait));
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": profile learned", kWait));
  s.observer.reset();
  s.broker.stop();
  s.broker.start();
  MqttTestClient newcomer(s.broker.port());
  subscribe_synced(newcomer, "meross/#");
  BOOST_REQUIRE(newcomer.wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  // The device comes back through the restarted broker and the bridge talks to it again.
  BOOST_TEST_MESSAGE("waiting for the device to be online again");
  BOOST_TEST(newcomer.wait_for(payload_on("meross/" + uuid + "/availability", "online"), kWait)
                 .has_value());
  sim->write_stdin("state " + uuid + "\n");
  BOOST_TEST(sim->wait_for_output("state " + uuid, kWait));
  newcomer.clear();
  // Still served: after the restart a new Bind (the simulator reconnects as a device would) or
  // a heartbeat is answered; the device never turns offline.
  BOOST_REQUIRE(s.bridge->wait_for_output(uuid + ": silent for 2s, probing", kWait));
  BOOST_TEST(newcomer.count(payload_on("meross/" + uuid + "/availability", "offline")) == 0u);
}

BOOST_AUTO_TEST_CASE(sigterm_with_devices_connected) {
  Setup s;
  auto sim = s.start_sim("msg100");
  const std::string uuid = device_uuid(*sim);
  BOOST_REQUIRE(sim->wait_for_output("bound " + uuid, kWait));
  s.bridge->signal(SIGTERM);
  BOOST_TEST((s.bridge->wait_exit(std::chrono::seconds(10)) == 0));
  BOOST_TEST(s.observer->wait_for(payload_on(kBridgeAvailability, "offline"), kWait).has_value());
}
