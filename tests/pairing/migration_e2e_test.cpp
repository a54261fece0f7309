#define BOOST_TEST_MODULE migration_e2e
// From the Meross app to Home Assistant, as a user does it (README, "Already on the Meross app"):
// a device that lives on the Meross cloud (here meross-sim on a stand-in cloud broker, answering
// its local HTTP API like firmware) → `account` signs in to the (fake) Meross cloud and writes the
// key and the device's name into bridge.toml → `broker-config` writes the local cloud around that
// file → mosquitto with our auth plugin and TLS, and the bridge on bridge.toml → `scan` finds the
// device on the LAN → `move` re-points it with Config.Key and watches its Bind → it logs in to the
// local broker over TLS with its MAC and appears in Home Assistant under its name from the app.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "pairing/bridge_run.hpp"
#include "pairing/fake_account.hpp"
#include "pairing/fake_cloud.hpp"
#include "support/child_process.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using meross::test::ChildProcess;
using meross::test::FakeCloud;
using meross::test::MosquittoBroker;
using meross::test::MqttTestClient;
using meross::test::run_bridge;

using meross::test::TempDir;

using meross::test::read_file_or_empty;
using namespace meross::test::fake_account;

namespace {

constexpr auto kWait = std::chrono::seconds(30);

}  // namespace

BOOST_AUTO_TEST_CASE(an_app_paired_device_moves_to_the_local_cloud_and_keeps_its_name) {
  TempDir dir{"meross-migration", TempDir::Access::Traversable};
  const fs::path broker_dir = dir.path / "broker";
  const fs::path bridge_toml = broker_dir / "bridge.toml";
  const int tls_port = meross::test::free_loopback_port();
  int local_port = meross::test::free_loopback_port();
  while (local_port == tls_port)
    local_port = meross::test::free_loopback_port();

  // 1. The broker's certificates: the simulated device is told now which CA it will trust
  // once moved (broker-config keeps a certificate set it finds).
  const auto certs =
      run_bridge({"certs", "--host", "127.0.0.1", "--out", (broker_dir / "certs").string()});
  BOOST_REQUIRE_MESSAGE(certs.code == 0, certs.output);

  // The devices on "the Meross cloud": a plain broker standing in for it, and each device's local
  // HTTP API on loopback. The plug is this account's; the second plug belongs to another account
  // (its own key); the third has firmware that encrypts its local API (ECDHE). Moved, they trust
  // our CA.
  MosquittoBroker meross_cloud_broker;
  ChildProcess sim({MEROSS_SIM_BIN, "--broker", meross_cloud_broker.url(), "--key", kKey,
                    "--user-id", kUserId, "--http", "0", "--cafile",
                    (broker_dir / "certs" / "ca.crt").string(), "--bind-interval", "1s",
                    "--profile", "mss310", "--profile", "mss310+key=another-accounts-key",
                    "--profile", "mss425f+ecdhe"});
  BOOST_REQUIRE_MESSAGE(sim.wait_for_output("ready", kWait), sim.output());
  const auto devices = sim_http_devices(sim.output());  // uuid, HTTP host
  BOOST_REQUIRE_EQUAL(devices.size(), 3u);
  const std::string uuid = devices[0].first;
  const std::string http_host = devices[0].second;

  // 2. The account: key, userId and the names from the app, into the bridge's configuration.
  auto account = cloud_options();
  account.devices_json = R"([{"uuid":")" + uuid +
                         R"(","devName":"Kitchen plug","deviceType":"mss310",)"
                         R"("fmwareVersion":"6.1.8","onlineStatus":1}])";
  FakeCloud cloud(account);
  fs::create_directories(broker_dir);
  std::ofstream(dir.path / "password") << kPassword << "\n";
  auto sign_in = sign_in_args((dir.path / "password").string(), cloud.base());
  sign_in.insert(sign_in.end(), {"--write-config", bridge_toml.string()});
  const auto signed_in = run_bridge(sign_in);
  BOOST_REQUIRE_MESSAGE(signed_in.code == 0, signed_in.output);
  BOOST_TEST(signed_in.output.find("Kitchen plug") != std::string::npos);
  BOOST_TEST(cloud.problems().empty());
  check_no_secret(signed_in.output);
  BOOST_TEST(read_file_or_empty(bridge_toml).find("Kitchen plug") != std::string::npos);

  // 3. The local cloud around that configuration; the key and userId come from bridge.toml.
  const auto configured =
      run_bridge({"broker-config", "--out", broker_dir.string(), "--host", "127.0.0.1",
                  "--tls-port", std::to_string(tls_port), "--tls-bind", "127.0.0.1", "--local-port",
                  std::to_string(local_port)});
  BOOST_REQUIRE_MESSAGE(configured.code == 0, configured.output);
  check_no_secret(configured.output);
  // The device names from the account survive broker-config's update of the same file.
  BOOST_TEST(read_file_or_empty(bridge_toml).find("Kitchen plug") != std::string::npos);
  BOOST_TEST(read_file_or_empty(broker_dir / "keys").find(kKey) != std::string::npos);
  MosquittoBroker::Options broker_options;
  broker_options.config_file = (broker_dir / "mosquitto.conf").string();
  broker_options.config_port = local_port;
  MosquittoBroker local_broker(broker_options);
  ChildProcess bridge({MEROSS_BRIDGE_BIN, "--config", bridge_toml.string()});
  BOOST_REQUIRE_MESSAGE(bridge.wait_for_output("mqtt: connected", kWait), bridge.output());
  MqttTestClient::Options login;
  login.username = "homeassistant";
  login.password = read_file_or_empty(broker_dir / "homeassistant-password");
  login.password.erase(login.password.find_last_not_of("\r\n") + 1);
  login.probe_root = "meross/test-probe/";
  MqttTestClient home_assistant(local_port, login);
  home_assistant.subscribe("homeassistant/#");

  // 4. The LAN: exactly the three devices, ours, another account's, and the encrypted one (ours).
  const auto scanned = run_bridge({"scan", "--host", devices[0].second, "--host", devices[1].second,
                                   "--host", devices[2].second, "--key", kKey});
  BOOST_REQUIRE_MESSAGE(scanned.code == 0, scanned.output);
  BOOST_TEST(scanned.output.find("3 Meross devices among 3 addresses: 2 answer with this key, 1 "
                                 "with another account's key") != std::string::npos,
             scanned.output);
  for (const auto& [id, host] : devices)
    BOOST_TEST(scanned.output.find(id) != std::string::npos, id);
  const auto line_with = [&](const std::string& id) {
    const auto at = scanned.output.find(id);
    if (at == std::string::npos) return std::string();
    const auto start = scanned.output.rfind('\n', at) + 1;
    return scanned.output.substr(start, scanned.output.find('\n', at) - start);
  };
  BOOST_TEST(line_with(devices[0].first).find("ours") != std::string::npos, scanned.output);
  BOOST_TEST(line_with(devices[1].first).find("another account") != std::string::npos,
             scanned.output);
  BOOST_TEST(line_with(devices[2].first).find("ours") != std::string::npos, scanned.output);
  BOOST_TEST(line_with(devices[2].first).find("ECDHE") != std::string::npos, scanned.output);
  check_no_secret(scanned.output);

  // 5. Move it, and see its Bind on the local broker.
  const auto moved = run_bridge({"move", "--host", http_host, "--key", kKey, "--broker",
                                 "mqtts://127.0.0.1:" + std::to_string(tls_port), "--user-id",
                                 kUserId, "--watch-config", bridge_toml.string()});
  BOOST_REQUIRE_MESSAGE(moved.code == 0, moved.output + "\n--- sim:\n" + sim.output());
  BOOST_TEST(moved.output.find("bind: " + uuid) != std::string::npos, moved.output);
  check_no_secret(moved.output);
  BOOST_TEST(sim.wait_for_output(
      "device " + uuid + " moved to 127.0.0.1:" + std::to_string(tls_port), kWait));

  // 6. Home Assistant has it, under the name the user gave it in the app.
  const auto document = home_assistant.wait_for(
      [&](const MqttTestClient::Message& message) {
        return message.topic == "homeassistant/device/meross_" + uuid + "/config" &&
               message.payload.find("\"Kitchen plug\"") != std::string::npos;
      },
      kWait);
  BOOST_TEST(document.has_value(), bridge.output());
  check_no_secret(bridge.output());
}
