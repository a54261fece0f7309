#pragma once

// The local Meross cloud as a user assembles it (README, "Your own local cloud"):
// `meross-bridge broker-config` writes the broker → a real mosquitto runs that configuration with
// our auth plugin and its TLS listener → `meross-bridge --config DIR/bridge.toml` → Home
// Assistant logged in with the generated `homeassistant` login. Devices (firmware-like test
// devices or meross-sim) log in on the TLS port the way firmware does.

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "e2e_support.hpp"
#include "support/firmware_device.hpp"
#include "support/temp_dir.hpp"

namespace meross::test {

namespace fs = std::filesystem;

inline const std::string kKey = "local-cloud-key-8f3a2c";

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

// A uuid nobody registered anywhere, and the MAC its last 12 characters spell.
struct Identity {
  std::string uuid;
  std::string mac;
};
inline Identity new_identity() {
  static std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  Identity id;
  for (int i = 0; i < 32; ++i)
    id.uuid += kHex[engine() % 16];
  for (int i = 0; i < 6; ++i) {
    if (i > 0) id.mac += ':';
    id.mac += id.uuid.substr(static_cast<std::size_t>(20 + 2 * i), 2);
  }
  return id;
}

inline std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The broker-config folder, its mosquitto, the bridge on bridge.toml, and Home Assistant.
struct LocalCloud {
  TempDir dir{"meross-local-cloud", TempDir::Access::Traversable};
  fs::path out = dir.path / "broker";
  int tls_port = free_loopback_port();
  int local_port = free_loopback_port();
  std::unique_ptr<MosquittoBroker> broker;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<MqttTestClient> ha;

  // `edit_broker_config` may change the written mosquitto.conf before the broker starts; Home
  // Assistant subscribes at `ha_qos` (its own discovery and state subscriptions are QoS 0).
  explicit LocalCloud(const std::function<void(const fs::path&)>& edit_broker_config = {},
                      int ha_qos = 1) {
    while (local_port == tls_port)
      local_port = free_loopback_port();
    // What the README tells a user to type; the plugin is found next to the program.
    ChildProcess config({MEROSS_BRIDGE_BIN, "broker-config", "--out", out.string(), "--key", kKey,
                         "--host", "127.0.0.1", "--tls-port", std::to_string(tls_port),
                         "--tls-bind", "127.0.0.1", "--local-port", std::to_string(local_port)});
    BOOST_REQUIRE_MESSAGE(config.wait_exit(std::chrono::seconds(60)) == 0, config.output());
    BOOST_TEST(config.output().find(kKey) == std::string::npos);
    BOOST_TEST(config.output().find("mqtts://127.0.0.1:" + std::to_string(tls_port)) !=
               std::string::npos);

    if (edit_broker_config) edit_broker_config(out / "mosquitto.conf");
    MosquittoBroker::Options options;
    options.config_file = (out / "mosquitto.conf").string();
    options.config_port = local_port;
    broker = std::make_unique<MosquittoBroker>(options);
    BOOST_REQUIRE(wait_until([&] { return loopback_port_open(tls_port); }));

    bridge = std::make_unique<ChildProcess>(
        std::vector<std::string>{MEROSS_BRIDGE_BIN, "--config", (out / "bridge.toml").string()});
    BOOST_REQUIRE_MESSAGE(bridge->wait_for_output("mqtt: connected", kWait), bridge->output());

    MqttTestClient::Options login;
    login.username = "homeassistant";
    login.password = trimmed(read_all(out / "homeassistant-password"));
    login.probe_root = "meross/test-probe/";
    ha = std::make_unique<MqttTestClient>(local_port, login);
    // Home Assistant's login may only use its own topics: the sync marker lives under meross/.
    ha->subscribe("homeassistant/#", ha_qos);
    ha->subscribe("meross/#", ha_qos);
    const std::string marker = "meross/test-sync/" + unique_suffix();
    ha->publish(marker, "sync");
    BOOST_REQUIRE(ha->wait_for_topic(marker, kWait));
  }

  FirmwareDevice::Options device(const Identity& id) const {
    FirmwareDevice::Options o;
    o.uuid = id.uuid;
    o.mac = id.mac;
    o.key = kKey;
    o.user_id = 4242;  // any userId: the broker was given none
    o.port = tls_port;
    o.ca_file = (out / "certs" / "ca.crt").string();
    return o;
  }

  std::string secrets_in_output() const {
    std::string found;
    const auto text = bridge->output();
    for (const auto& secret : {kKey, trimmed(read_all(out / "bridge-password")),
                               trimmed(read_all(out / "homeassistant-password"))}) {
      if (text.find(secret) != std::string::npos) found += "a secret ";
    }
    return found;
  }
};

}  // namespace meross::test
