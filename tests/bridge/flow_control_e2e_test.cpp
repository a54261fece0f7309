// Flow control, assembled (issue 19): the broker `broker-config` writes, with its per-client queue
// made small; 2,000 meross-sim devices logging in on its TLS port the way firmware does, all at
// once; the bridge on the generated bridge.toml; Home Assistant on its own login. Every device
// is discovered, and nothing is lost on the way: the bridge drops no publication, every request
// it sends is answered, and the broker drops no message for any client. Before the request
// window (RequestWindow) and the QoS 0 subscription, the same run lost hundreds of answers in the
// broker's queue for the bridge and its requests ran out of attempts.

#define BOOST_TEST_MODULE bridge_flow_control_e2e

#include <sys/resource.h>

#include <fstream>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>

#include "local_cloud.hpp"

using namespace meross::test;

namespace {

constexpr int kDevices = 2000;
// mosquitto's default is 1,000 (broker-config writes 20,000).
constexpr int kSmallQueue = 50;
// 2,000 TLS logins and discoveries on a busy 2-core machine: a bound on waiting, not a figure.
constexpr auto kDiscoveryWait = std::chrono::minutes(4);

// mosquitto and meross-sim inherit this process's limit: 2,000 devices need about 8,000 files.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

// homeassistant/device/meross_<uuid>/config, not the bridge's own.
bool is_device_document(const MqttTestClient::Message& m) {
  constexpr std::string_view kPrefix = "homeassistant/device/meross_";
  constexpr std::string_view kSuffix = "/config";
  return m.topic.size() == kPrefix.size() + 32 + kSuffix.size() && m.topic.starts_with(kPrefix) &&
         m.topic.ends_with(kSuffix) && !m.payload.empty();
}

}  // namespace

BOOST_AUTO_TEST_CASE(
    two_thousand_devices_on_a_small_broker_queue_are_all_discovered_and_nothing_is_dropped) {
  raise_open_file_limit();
  const fs::path broker_log =
      fs::temp_directory_path() / ("meross-flow-" + unique_suffix() + ".log");
  LocalCloud cloud(
      [&](const fs::path& conf) {
        // Later lines win in mosquitto.conf: the generated queue bound is made small on purpose.
        const std::string generated = read_all(conf);
        BOOST_TEST(generated.find("max_queued_messages 20000") != std::string::npos);
        std::ofstream(conf, std::ios::app) << "max_queued_messages " << kSmallQueue << "\n"
                                           << "log_dest file " << broker_log.string() << "\n";
      },
      /*ha_qos=*/0);
  ChildProcess sim(
      {MEROSS_SIM_BIN, "--broker", "mqtts://127.0.0.1:" + std::to_string(cloud.tls_port),
       "--cafile", (cloud.out / "certs" / "ca.crt").string(), "--key", kKey, "--profile", "mss310",
       "--count", std::to_string(kDevices), "--bind-interval", "5s", "--log-level", "warn"});

  // Distinct devices, counted only once there are enough documents (a copy of every message
  // Home Assistant got, 50 times a second, would take the machine from the devices).
  const auto discovered = [&] {
    std::set<std::string> topics;
    for (const auto& m : cloud.ha->messages()) {
      if (is_device_document(m)) topics.insert(m.topic);
    }
    return topics.size();
  };
  const bool all = poll_until(
      [&] {
        return cloud.ha->count(is_device_document) >= static_cast<std::size_t>(kDevices) &&
               discovered() >= static_cast<std::size_t>(kDevices);
      },
      kDiscoveryWait, std::chrono::milliseconds(500));
  const std::string bridge_log = cloud.bridge->output();
  const std::string mosquitto_log = read_all(broker_log);
  fs::remove(broker_log);
  // Both logs stay in the test's working folder (build/tests/bridge) for a look after a failure.
  std::ofstream("flow-control-bridge.log") << bridge_log;
  std::ofstream("flow-control-mosquitto.log") << mosquitto_log;
  BOOST_TEST_MESSAGE("discovered " << discovered() << " of " << kDevices);
  BOOST_TEST(all);
  BOOST_TEST(count_in(sim.output(), "\nbound ") + (sim.output().starts_with("bound ") ? 1 : 0) ==
             static_cast<std::size_t>(kDevices));

  // Nothing lost anywhere: no answer dropped by the broker (each would be a request that ran
  // out of attempts), no publication dropped by the bridge, no message dropped by the broker.
  BOOST_TEST(count_in(bridge_log, "no answer to") == 0u);
  BOOST_TEST(count_in(bridge_log, "dropping") == 0u);
  BOOST_TEST(count_in(mosquitto_log, "Outgoing messages are being dropped") == 0u,
             mosquitto_log.substr(0, 2000));
  // The bridge's own counters say the same to Home Assistant (published every 30 s).
  cloud.ha->clear();
  for (const auto key : {"dropped_publications", "unanswered_requests"}) {
    const auto state = cloud.ha->wait_for_topic("meross/bridge/" + std::string(key) + "/state",
                                                std::chrono::seconds(45));
    BOOST_REQUIRE_MESSAGE(state.has_value(), key);
    BOOST_TEST(state->payload == "0", key << " = " << state->payload);
  }
  if (!all || count_in(bridge_log, "no answer to") > 0) {
    BOOST_TEST_MESSAGE("bridge log (tail):\n"
                       << bridge_log.substr(bridge_log.size() > 4000 ? bridge_log.size() - 4000
                                                                     : 0));
  }
  BOOST_TEST(cloud.secrets_in_output().empty());
}
