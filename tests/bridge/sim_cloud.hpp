#pragma once

// meross-sim running recorded devices on the local cloud (local_cloud.hpp): the devices log in
// on the TLS port as firmware does, the bridge runs on the generated bridge.toml, and the test
// reads and writes Home Assistant's topics. The fixture of the end-to-end tests that drive a
// family from Home Assistant to the device and back (heating, covers).

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "local_cloud.hpp"
#include "protocol/json.hpp"
#include "support/fixtures.hpp"

namespace meross::test {

// The fixture trace (tests/fixtures/traces) whose file name contains `fragment`.
inline std::string trace_path(const std::string& fragment) {
  for (const auto& path : trace_files()) {
    if (path.filename().string().find(fragment) != std::string::npos) return path.string();
  }
  BOOST_FAIL("no fixture trace " + fragment);
  return {};
}

// One component of a discovery document: its string members ("platform", "*_topic", ...) and
// its id under "id".
using Component = std::map<std::string, std::string>;

inline std::vector<Component> components_of(const std::string& document) {
  rapidjson::Document doc;
  doc.Parse(document.c_str());
  BOOST_REQUIRE(!doc.HasParseError() && doc.IsObject());
  const auto* components = protocol::find_member(doc, "components");
  BOOST_REQUIRE(components != nullptr && components->IsObject());
  std::vector<Component> out;
  for (auto it = components->MemberBegin(); it != components->MemberEnd(); ++it) {
    Component c{{"id", it->name.GetString()}};
    for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
      if (m->value.IsString()) c[m->name.GetString()] = m->value.GetString();
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The first component of this platform (and device class, when given).
inline Component find(const std::vector<Component>& components, const std::string& platform,
                      const std::string& device_class = {}) {
  for (const auto& c : components) {
    const auto p = c.find("platform");
    if (p == c.end() || p->second != platform) continue;
    if (!device_class.empty()) {
      const auto dc = c.find("device_class");
      if (dc == c.end() || dc->second != device_class) continue;
    }
    return c;
  }
  BOOST_FAIL("no " + platform + " " + device_class + " component");
  return {};
}

struct SimulatedCloud {
  LocalCloud cloud;
  std::unique_ptr<ChildProcess> sim;

  // Starts meross-sim with these traces (file name fragments) and extra arguments.
  void start_sim(const std::vector<std::string>& traces,
                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{MEROSS_SIM_BIN,
                                  "--broker",
                                  "mqtts://127.0.0.1:" + std::to_string(cloud.tls_port),
                                  "--cafile",
                                  (cloud.out / "certs" / "ca.crt").string(),
                                  "--key",
                                  kKey,
                                  "--bind-interval",
                                  "1s",
                                  "--clock-interval",
                                  "1s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& trace : traces) {
      argv.push_back("--trace");
      argv.push_back(trace_path(trace));
    }
    sim = std::make_unique<ChildProcess>(argv);
    BOOST_REQUIRE_MESSAGE(sim->wait_for_output("ready", kWait), sim->output());
  }

  ~SimulatedCloud() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << cloud.bridge->output());
      if (sim) BOOST_TEST_MESSAGE("meross-sim output:\n" << sim->output());
    }
    BOOST_TEST(cloud.secrets_in_output().empty());
  }

  // The uuid of the simulated device of this model (`device <uuid> <type> <mac>`).
  std::string uuid_of(const std::string& type) const {
    std::smatch m;
    const std::string out = sim->output();
    const std::regex line("device ([0-9A-Za-z]{32}) " + type + " ");
    BOOST_REQUIRE_MESSAGE(std::regex_search(out, m, line), out);
    return m[1].str();
  }

  // The discovery document Home Assistant holds for `node` (retained: read by a newcomer).
  std::string document(const std::string& node) {
    const std::string topic = "homeassistant/device/" + node + "/config";
    const auto doc = cloud.ha->wait_for(
        [&](const MqttTestClient::Message& m) { return m.topic == topic && !m.payload.empty(); },
        kWait);
    BOOST_REQUIRE_MESSAGE(doc.has_value(), "no discovery document on " + topic);
    return doc->payload;
  }

  // Waits until Home Assistant's last message on `topic` is `payload`.
  bool ha_sees(const std::string& topic, const std::string& payload) {
    return wait_until([&] {
      const auto messages = cloud.ha->messages();
      for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
        if (it->topic == topic) return it->payload == payload;
      }
      return false;
    });
  }
};

}  // namespace meross::test
