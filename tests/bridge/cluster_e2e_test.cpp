#define BOOST_TEST_MODULE bridge_cluster_e2e
// Three bridge instances share one fleet on the local cloud (issue 19, "past one host"):
// broker-config → mosquitto with our auth plugin and TLS → 30 meross-sim plugs logging in like
// firmware → three `meross-bridge` processes with [cluster] instance a, b and c. Every device is
// discovered by exactly one instance and a command from Home Assistant reaches it exactly once
// (counted on the device's own topic); one instance is killed (SIGKILL: no goodbye, only its
// last will) and its devices are served by the other two within one availability period; when
// it comes back it takes them back, and still no command is executed twice.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "device_tap.hpp"

using namespace meross::test;

namespace {

constexpr int kDevices = 30;
// [meross] availability_timeout of the instances: how long Home Assistant may see a moved
// device unavailable at most.
constexpr auto kAvailabilityPeriod = std::chrono::seconds(20);
const std::vector<std::string> kInstances{"a", "b", "c"};
const std::string kToggle = "Appliance.Control.ToggleX";

// The instance whose availability a discovery document lists ("" when none).
std::string owner_in(const std::string& document) {
  std::smatch m;
  static const std::regex kOwner(R"("meross/bridge/([a-z])/availability")");
  return std::regex_search(document, m, kOwner) ? m[1].str() : std::string();
}

struct Cluster : SimulatedCloud {
  std::map<std::string, std::unique_ptr<ChildProcess>> bridges;
  std::vector<std::string> uuids;
  std::map<std::string, std::unique_ptr<DeviceTap>> taps;
  std::map<std::string, Component> switches;  // uuid → its switch

  Cluster() {
    // LocalCloud starts the single bridge of bridge.toml: three instances take its place.
    cloud.bridge.reset();
    std::string toml = read_all(cloud.out / "bridge.toml");
    const std::string section = "[meross]\n";
    const auto at = toml.find(section);
    BOOST_REQUIRE(at != std::string::npos);
    toml.insert(at + section.size(), "availability_timeout = \"20s\"\n");
    for (const auto& id : kInstances) {
      const auto path = cloud.out / ("bridge-" + id + ".toml");
      std::ofstream(path) << toml << "\n[cluster]\ninstance = \"" << id << "\"\n";
      std::filesystem::permissions(
          path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      bridges[id] = std::make_unique<ChildProcess>(
          std::vector<std::string>{MEROSS_BRIDGE_BIN, "--config", path.string()});
    }
    for (const auto& [id, bridge] : bridges)
      BOOST_REQUIRE_MESSAGE(bridge->wait_for_output("mqtt: connected", kWait), bridge->output());

    start_sim({}, {"--profile", "mss310", "--count", std::to_string(kDevices)});
    const std::string out = sim->output();
    const std::regex line("device ([0-9A-Za-z]{32}) ");
    for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
         ++it) {
      uuids.push_back((*it)[1].str());
    }
    BOOST_REQUIRE_EQUAL(uuids.size(), static_cast<std::size_t>(kDevices));
  }

  ~Cluster() {
    namespace utf = boost::unit_test;
    const bool passed =
        utf::results_collector.results(utf::framework::current_test_case().p_id).passed();
    for (const auto& [id, bridge] : bridges) {
      const auto text = bridge->output();
      if (!passed) BOOST_TEST_MESSAGE("meross-bridge " << id << ":\n" << text);
      for (const auto& secret : {kKey, trimmed(read_all(cloud.out / "bridge-password"))})
        BOOST_TEST(text.find(secret) == std::string::npos, "a secret in " << id << "'s log");
    }
    // SimulatedCloud checks the log of the bridge it started: that one is gone.
    cloud.bridge = std::make_unique<ChildProcess>(std::vector<std::string>{"/bin/true"});
  }

  std::string document_topic(const std::string& uuid) const {
    return "homeassistant/device/meross_" + uuid + "/config";
  }

  // Every instance that published a discovery document of `uuid` so far.
  std::set<std::string> publishers(const std::string& uuid) const {
    std::set<std::string> out;
    for (const auto& m : cloud.ha->messages()) {
      if (m.topic == document_topic(uuid) && !m.payload.empty()) out.insert(owner_in(m.payload));
    }
    return out;
  }

  // The instance Home Assistant's last document of `uuid` names, and whether it is online.
  std::string owner(const std::string& uuid) const {
    const auto messages = cloud.ha->messages();
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (it->topic == document_topic(uuid) && !it->payload.empty()) return owner_in(it->payload);
    }
    return {};
  }

  std::string last(const std::string& topic) const {
    const auto messages = cloud.ha->messages();
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (it->topic == topic) return it->payload;
    }
    return {};
  }

  // Served as Home Assistant sees it: its document names a live instance, which says online,
  // and so does the device.
  bool served(const std::string& uuid, const std::set<std::string>& live) const {
    const auto o = owner(uuid);
    return live.count(o) > 0 && last("meross/bridge/" + o + "/availability") == "online" &&
           last("meross/" + uuid + "/availability") == "online";
  }

  std::size_t toggles(const std::string& uuid) const {
    return taps.at(uuid)->sets({kToggle}).size();
  }

  // Home Assistant switches `uuid`: exactly one more ToggleX SET reaches the device, and the
  // state comes back.
  void command(const std::string& uuid, const std::string& value) {
    const auto before = toggles(uuid);
    cloud.ha->publish(switches.at(uuid).at("command_topic"), value);
    BOOST_TEST(wait_until([&] { return toggles(uuid) > before; }), uuid << " " << value);
    BOOST_TEST(ha_sees(switches.at(uuid).at("state_topic"), value), uuid << " " << value);
    BOOST_TEST(toggles(uuid) == before + 1, uuid << " " << value);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_FIXTURE_TEST_CASE(three_instances_share_the_fleet_and_take_over_a_killed_ones_devices,
                        Cluster) {
  const std::set<std::string> all(kInstances.begin(), kInstances.end());
  BOOST_REQUIRE_MESSAGE(wait_until([&] {
                          for (const auto& uuid : uuids)
                            if (!served(uuid, all)) return false;
                          return true;
                        }),
                        "not every device was discovered");
  std::map<std::string, std::vector<std::string>> owned;
  std::map<std::string, std::string> first_owner;
  for (const auto& uuid : uuids) {
    // Discovered by exactly one instance, never announced by another.
    const auto by = publishers(uuid);
    BOOST_TEST(by.size() == 1u, uuid << " announced by " << by.size() << " instances");
    first_owner[uuid] = owner(uuid);
    owned[owner(uuid)].push_back(uuid);
    taps[uuid] = std::make_unique<DeviceTap>(*this, uuid);
    switches[uuid] = find(components_of(document("meross_" + uuid)), "switch");
  }
  for (const auto& id : kInstances) {
    BOOST_TEST_MESSAGE(id << " owns " << owned[id].size() << " devices");
    BOOST_TEST(!owned[id].empty(), id << " owns no device");
  }
  // Every device is switched by exactly one instance.
  for (const auto& uuid : uuids)
    command(uuid, "ON");

  // b dies without a word: the broker publishes its last will.
  const auto killed_at = std::chrono::steady_clock::now();
  bridges.at("b")->signal(SIGKILL);
  BOOST_REQUIRE(bridges.at("b")->wait_exit().has_value());
  const std::set<std::string> live{"a", "c"};
  const auto& moved = owned["b"];
  // Within one availability period every moved device is announced by a live instance again.
  const bool taken_over = wait_until(
      [&] {
        for (const auto& uuid : moved)
          if (!served(uuid, live)) return false;
        return true;
      },
      kAvailabilityPeriod);
  const auto failover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  BOOST_TEST_MESSAGE("failover of " << moved.size() << " devices: " << failover.count() << " ms");
  BOOST_REQUIRE_MESSAGE(
      taken_over, "b's devices were not taken over within " << kAvailabilityPeriod.count() << " s");
  for (const auto& uuid : moved) {
    BOOST_TEST(publishers(uuid).size() == 2u, uuid);  // b, then the one new owner
    command(uuid, "OFF");
  }
  // The others' devices stayed where they were, and are still switched once.
  for (const auto& id : live) {
    for (const auto& uuid : owned[id]) {
      BOOST_TEST(owner(uuid) == id, uuid);
      BOOST_TEST(publishers(uuid).size() == 1u, uuid);
      command(uuid, "OFF");
    }
  }

  // b comes back: it takes its share back (the same devices: the hash depends on the members
  // only), the others drop them at once, and every device is still switched exactly once.
  bridges.at("b") = std::make_unique<ChildProcess>(std::vector<std::string>{
      MEROSS_BRIDGE_BIN, "--config", (cloud.out / "bridge-b.toml").string()});
  BOOST_REQUIRE(wait_until([&] {
    for (const auto& uuid : moved)
      if (!served(uuid, {"b"})) return false;
    return true;
  }));
  for (const auto& uuid : uuids) {
    BOOST_TEST(owner(uuid) == first_owner[uuid], uuid);
    command(uuid, "ON");
  }
}

BOOST_AUTO_TEST_SUITE_END()
