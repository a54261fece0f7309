#pragma once

// End-to-end helpers: a config file for meross-bridge on a test broker, the bridge as a child
// process, and a scripted Meross device built from MqttTestClient + protocol/.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "device_messages.hpp"
#include "protocol/envelope.hpp"
#include "support/child_process.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"
#include "support/wait.hpp"

namespace meross::test {

inline constexpr auto kWait = std::chrono::seconds(20);

// How often `needle` occurs in `text` (log lines counted in a child's output).
inline std::size_t count_in(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

// Polls `condition` until it holds or the deadline passes.
template <class F>
bool wait_until(F condition, std::chrono::milliseconds timeout = kWait) {
  return poll_until(condition, timeout, std::chrono::milliseconds(20));
}

inline std::string unique_suffix() {
  static std::mt19937_64 engine{std::random_device{}()};
  return std::to_string(engine() % 1000000000);
}

// Subscribes and waits until the broker has the subscription in place.
inline void subscribe_synced(MqttTestClient& client, const std::string& pattern) {
  const std::string marker = "test/sync/" + unique_suffix();
  client.subscribe(marker);
  client.subscribe(pattern);
  client.publish(marker, "sync");
  BOOST_REQUIRE(client.wait_for_topic(marker, kWait));
}

inline std::optional<protocol::Message> parse(const MqttTestClient::Message& m) {
  auto parsed = protocol::parse_message(m.payload);
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed).value();
}

// A predicate: a Meross message on `topic` with this namespace and method (and messageId).
inline auto meross_message(std::string topic, std::string ns, protocol::Method method,
                           std::string message_id = {}) {
  return [=](const MqttTestClient::Message& m) {
    if (m.topic != topic) return false;
    const auto parsed = parse(m);
    return parsed && parsed->header.ns == ns && parsed->header.method == method &&
           (message_id.empty() || parsed->header.message_id == message_id);
  };
}

// Home Assistant's topics for the bridge's default prefixes (homeassistant, meross).
inline const std::string kBridgeAvailability = "meross/bridge/availability";
inline std::string device_config_topic(const std::string& uuid) {
  return "homeassistant/device/meross_" + uuid + "/config";
}
inline std::string state_topic(const std::string& uuid, const std::string& key) {
  return "meross/" + uuid + "/" + key + "/state";
}
inline std::string command_topic(const std::string& uuid, const std::string& key) {
  return "meross/" + uuid + "/" + key + "/set";
}
inline std::string availability_topic(const std::string& uuid) {
  return "meross/" + uuid + "/availability";
}
inline auto on_topic(std::string topic) {
  return [=](const MqttTestClient::Message& m) { return m.topic == topic; };
}

inline auto payload_on(std::string topic, std::string payload) {
  return [=](const MqttTestClient::Message& m) { return m.topic == topic && m.payload == payload; };
}

// A scripted device on the broker: publishes what a device would and answers requests.
class ScriptedDevice {
 public:
  ScriptedDevice(int port, FakeDeviceIdentity identity)
      : identity_(std::move(identity)), client_(std::make_unique<MqttTestClient>(port)) {
    subscribe_synced(*client_, identity_.subscribe_topic());
  }

  const FakeDeviceIdentity& identity() const { return identity_; }
  MqttTestClient& client() { return *client_; }

  // Publishes a Bind; returns its messageId.
  std::string bind(std::int64_t now) {
    const std::string id = protocol::new_message_id();
    client_->publish(identity_.publish_topic(),
                     identity_.message(protocol::Method::Set, "Appliance.Control.Bind",
                                       bind_payload(identity_.uuid, now), now, id));
    return id;
  }
  void push(const std::string& ns, const std::string& payload, std::int64_t now) {
    client_->publish(identity_.publish_topic(),
                     identity_.message(protocol::Method::Push, ns, payload, now));
  }

  // Waits for the next request (GET/SET) of `ns` we have not answered yet.
  std::optional<protocol::Message> next_request(const std::string& ns, protocol::Method method,
                                                std::chrono::milliseconds timeout = kWait) {
    const auto got = client_->wait_for(
        [&](const MqttTestClient::Message& m) {
          if (m.topic != identity_.subscribe_topic()) return false;
          const auto parsed = parse(m);
          if (!parsed || parsed->header.ns != ns || parsed->header.method != method) return false;
          for (const auto& done : handled_) {
            if (done == parsed->header.message_id + "/" + std::to_string(parsed->header.timestamp))
              return false;
          }
          return true;
        },
        timeout);
    if (!got) return std::nullopt;
    auto message = parse(*got);
    handled_.push_back(message->header.message_id + "/" +
                       std::to_string(message->header.timestamp));
    return message;
  }

  // Answers `request` on its `from` topic.
  void answer(const protocol::Message& request, const std::string& payload, std::int64_t now) {
    client_->publish(request.header.from, identity_.reply(request.header, payload, now));
  }

  // Waits for GET `ns` and answers it with `payload`; false if it never came.
  bool serve(const std::string& ns, const std::string& payload, std::int64_t now) {
    const auto request = next_request(ns, protocol::Method::Get);
    if (!request) return false;
    answer(*request, payload, now);
    return true;
  }

 private:
  FakeDeviceIdentity identity_;
  std::unique_ptr<MqttTestClient> client_;
  std::vector<std::string> handled_;
};

struct BridgeConfig {
  std::string key = "e2e-device-key-31337";
  std::string password = "e2e-broker-password-4242";
  std::string timezone = "Australia/Sydney";
  std::string availability_timeout = "2s";
  bool verify_signatures = true;
  std::string meross_extra;  // more keys of [meross]
  std::string extra;
};

// Writes a configuration file for a bridge on `broker`; returns its path.
inline std::string write_bridge_config(const MosquittoBroker& broker, const BridgeConfig& c) {
  const auto path = std::filesystem::path(broker.dir()) / ("bridge-" + unique_suffix() + ".toml");
  std::ofstream out(path);
  out << "[meross]\nkey = \"" << c.key << "\"\ntimezone = \"" << c.timezone
      << "\"\navailability_timeout = \"" << c.availability_timeout
      << "\"\nverify_signatures = " << (c.verify_signatures ? "true" : "false") << "\n"
      << c.meross_extra << "[mqtt]\nurl = \"" << broker.url()
      << "\"\nusername = \"bridge\"\npassword = \"" << c.password << "\"\nclient_id = \"bridge-"
      << unique_suffix() << "\"\nkeepalive = \"5s\"\n"
      << "[log]\nlevel = \"debug\"\n"
      << c.extra;
  return path.string();
}

inline std::unique_ptr<ChildProcess> start_bridge(const std::string& config_file) {
  auto bridge = std::make_unique<ChildProcess>(
      std::vector<std::string>{MEROSS_BRIDGE_BIN, "--config", config_file});
  BOOST_REQUIRE_MESSAGE(bridge->wait_for_output("mqtt: connected", kWait), bridge->output());
  return bridge;
}

// When the running test case has failed: the `output` of the program `name` into the test log, its
// last `tail` bytes at most.
inline void show_output_if_failed(const std::string& name, const std::string& output,
                                  std::size_t tail = std::string::npos) {
  namespace utf = boost::unit_test;
  if (utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) return;
  if (output.size() <= tail) {
    BOOST_TEST_MESSAGE(name << " output:\n" << output);
  } else {
    BOOST_TEST_MESSAGE(name << " output (last " << tail / 1000 << " kB):\n"
                            << output.substr(output.size() - tail));
  }
}

// Whatever happened, none of `secrets` is in a program's `output`.
inline void check_no_secret_in(const std::string& output,
                               std::initializer_list<std::string> secrets) {
  for (const auto& secret : secrets)
    BOOST_TEST(output.find(secret) == std::string::npos, "a secret is in the log");
}

inline std::int64_t wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace meross::test
