#pragma once

// A second login of a simulated device, made the way firmware logs in (MAC user name,
// userId_md5(mac+key) password, MQTT 3.1 over TLS with the local cloud's CA): it hears what the
// bridge sends the device on /appliance/<uuid>/subscribe, which the bridge's own login may not
// read. The family end-to-end tests check the exact SETs on the wire with it.

#include <mosquitto.h>

#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "sim_cloud.hpp"

namespace meross::test {

class DeviceTap {
 public:
  struct Set {
    std::string ns;
    std::string payload;  // compact JSON
  };

  // The device `uuid` that meross-sim runs in `sim` (its MAC from meross-sim's device line).
  DeviceTap(const SimulatedCloud& sim, const std::string& uuid)
      : topic_("/appliance/" + uuid + "/subscribe") {
    std::smatch m;
    const std::string out = sim.sim->output();
    BOOST_REQUIRE_MESSAGE(std::regex_search(out, m, std::regex("device " + uuid + " \\S+ (\\S+)")),
                          out);
    const std::string mac = m[1].str();
    mosquitto_lib_init();
    mosq_ = mosquitto_new(("fmware:" + uuid + "_tap").c_str(), true, this);
    BOOST_REQUIRE(mosq_ != nullptr);
    const std::string password = protocol::device_mqtt_password(mac, kKey, 0);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V31);
    mosquitto_username_pw_set(mosq_, mac.c_str(), password.c_str());
    const std::string ca = (sim.cloud.out / "certs" / "ca.crt").string();
    mosquitto_tls_set(mosq_, ca.c_str(), nullptr, nullptr, nullptr, nullptr);
    mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
    mosquitto_connect_callback_set(mosq_, [](mosquitto* client, void* self, int rc) {
      if (rc == 0)
        mosquitto_subscribe(client, nullptr, static_cast<DeviceTap*>(self)->topic_.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      auto* tap = static_cast<DeviceTap*>(self);
      std::lock_guard lock(tap->mutex_);
      tap->subscribed_ = true;
    });
    mosquitto_message_callback_set(
        mosq_, [](mosquitto*, void* self, const mosquitto_message* message) {
          auto* tap = static_cast<DeviceTap*>(self);
          std::lock_guard lock(tap->mutex_);
          tap->messages_.emplace_back(static_cast<const char*>(message->payload),
                                      static_cast<std::size_t>(message->payloadlen));
        });
    BOOST_REQUIRE(mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS);
    mosquitto_connect_async(mosq_, "127.0.0.1", sim.cloud.tls_port, 30);
    BOOST_REQUIRE_MESSAGE(wait_until([&] {
                            std::lock_guard lock(mutex_);
                            return subscribed_;
                          }),
                          "the device's second login never subscribed");
  }
  ~DeviceTap() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  DeviceTap(const DeviceTap&) = delete;
  DeviceTap& operator=(const DeviceTap&) = delete;

  // The SETs of these namespaces received so far, in order. Each must be signed with the key and
  // name a device's topic to answer on (the bridge also sets the device's clock: not asked for).
  std::vector<Set> sets(std::initializer_list<std::string_view> namespaces) const {
    std::vector<std::string> raw;
    {
      std::lock_guard lock(mutex_);
      raw = messages_;
    }
    std::vector<Set> out;
    for (const auto& text : raw) {
      const auto message = protocol::parse_message(text);
      if (!message) continue;
      const auto& h = message->header;
      if (h.method != protocol::Method::Set) continue;
      if (std::find(namespaces.begin(), namespaces.end(), h.ns) == namespaces.end()) continue;
      BOOST_TEST(protocol::verify_sign(h.message_id, kKey, h.timestamp, h.sign), text);
      BOOST_TEST(h.from.find("/appliance/") == 0u, text);
      out.push_back({h.ns, protocol::to_json(message->payload())});
    }
    return out;
  }

 private:
  std::string topic_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  bool subscribed_ = false;
  std::vector<std::string> messages_;
};

// A local cloud running meross-sim with one device of `type` watched on the wire, and the
// components of its discovery document: what each family end-to-end test starts from.
struct WatchedDevice : SimulatedCloud {
  std::string uuid;
  std::unique_ptr<DeviceTap> tap;
  std::vector<Component> components;

  void watch(const std::string& type, const std::vector<std::string>& traces,
             const std::vector<std::string>& extra = {}) {
    start_sim(traces, extra);
    uuid = uuid_of(type);
    tap = std::make_unique<DeviceTap>(*this, uuid);
    components = components_of(document("meross_" + uuid));
  }

  // The payloads of the SETs of `ns` the bridge sent; each must be signed with the key.
  std::vector<std::string> set_payloads(std::string_view ns) const {
    std::vector<std::string> out;
    for (const auto& set : tap->sets({ns}))
      out.push_back(set.payload);
    return out;
  }

  // Home Assistant sets `key` to `value`: exactly one more SET of `ns`, `expected`, goes to the
  // device, and `shown` comes back on the state topic.
  void set_from_ha(std::string_view ns, const std::string& key, const std::string& value,
                   const std::string& expected, const std::string& shown) {
    const std::size_t before = set_payloads(ns).size();
    cloud.ha->publish(command_topic(uuid, key), value);
    BOOST_TEST(wait_until([&] { return set_payloads(ns).size() > before; }), key << " " << value);
    const auto sets = set_payloads(ns);
    BOOST_REQUIRE_EQUAL(sets.size(), before + 1);
    BOOST_TEST(sets.back() == expected);
    BOOST_TEST(ha_sees(state_topic(uuid, key), shown), key << " " << value);
  }
};

}  // namespace meross::test
