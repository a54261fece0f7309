// Device ownership among the instances of a cluster (bridge/cluster.hpp): the rendezvous hash,
// the membership view, losses at once and gains once the view has settled.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "bridge/cluster.hpp"
#include "bridge/config.hpp"
#include "bridge/home_assistant.hpp"
#include "bridge/registry.hpp"
#include "discovery/discovery.hpp"

using namespace meross::bridge;
using namespace std::chrono_literals;

namespace {

using Members = std::set<std::string, std::less<>>;

// A valid uuid (32 hex digits) for fleet member `i` (0 ≤ i < 10^12).
std::string uuid_of(int i) {
  char text[48];  // room for what the format could print for any int (GCC checks)
  std::snprintf(text, sizeof text, "2301%012d48e1e9c4b296%04d", i, i % 10000);
  return text;
}

std::vector<std::string> fleet(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(uuid_of(i));
  return out;
}

Now at(Duration d) {
  return Now{TimePoint{} + d, 1'700'000'000};
}

const std::string kBase = "meross";

std::string member_topic(const std::string& id) {
  return kBase + "/bridge/" + id + "/availability";
}

struct ClusterOf {
  Cluster cluster;
  explicit ClusterOf(const std::string& self) : cluster(settings(self)) {}
  static ClusterSettings settings(const std::string& self) {
    ClusterSettings s;
    s.instance = self;
    s.base = kBase;
    s.settle = 3s;
    s.takeover_spread = 5s;
    return s;
  }
  void devices(const std::vector<std::string>& uuids) {
    for (const auto& u : uuids)
      BOOST_TEST(cluster.on_message(kBase + "/" + u + "/availability", "online", at(0ms)));
  }
  std::size_t owned(const std::vector<std::string>& uuids) const {
    return static_cast<std::size_t>(
        std::count_if(uuids.begin(), uuids.end(), [&](const auto& u) { return cluster.owns(u); }));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(the_owner_is_one_member_the_same_for_any_spelling) {
  const Members members{"a", "b", "c"};
  BOOST_TEST(owner_of(uuid_of(1), {}).empty());
  BOOST_TEST(owner_of(uuid_of(1), {"solo"}) == "solo");
  std::string upper = uuid_of(7);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  BOOST_TEST(owner_of(upper, members) == owner_of(uuid_of(7), members));
  // The weight depends on both inputs, and is the same in every run (a stable hash).
  BOOST_TEST(ownership_weight("a", uuid_of(1)) != ownership_weight("b", uuid_of(1)));
  BOOST_TEST(ownership_weight("a", uuid_of(1)) != ownership_weight("a", uuid_of(2)));
  BOOST_TEST(ownership_weight("ab", "c") != ownership_weight("a", "bc"));
  BOOST_TEST(ownership_weight("a", "") == ownership_weight("a", ""));
}

BOOST_AUTO_TEST_CASE(devices_spread_evenly_and_only_a_dead_members_devices_move) {
  const auto uuids = fleet(3000);
  const Members three{"a", "b", "c"};
  const Members two{"a", "c"};
  std::map<std::string, int> share;
  int moved = 0;
  for (const auto& u : uuids) {
    const auto before = owner_of(u, three);
    const auto after = owner_of(u, two);
    ++share[before];
    if (before != "b") {
      BOOST_TEST(after == before, u);  // nothing moves but b's
    } else {
      ++moved;
    }
  }
  for (const auto& id : three) {
    BOOST_TEST(share[id] > 850, id << " owns " << share[id]);
    BOOST_TEST(share[id] < 1150, id << " owns " << share[id]);
  }
  BOOST_TEST(moved == share["b"]);
}

BOOST_AUTO_TEST_CASE(nothing_is_owned_until_the_view_settles) {
  ClusterOf a("a");
  const auto uuids = fleet(300);
  a.cluster.connected(at(0ms));
  a.devices(uuids);
  BOOST_TEST(a.cluster.on_message(member_topic("b"), "online", at(100ms)));
  BOOST_TEST(a.cluster.on_message(member_topic("c"), "offline", at(100ms)));
  BOOST_TEST(a.owned(uuids) == 0u);
  BOOST_TEST(!a.cluster.settled());
  BOOST_REQUIRE(a.cluster.next_wakeup().has_value());
  BOOST_TEST((*a.cluster.next_wakeup() == at(3100ms).mono));
  a.cluster.tick(at(3099ms));
  BOOST_TEST(a.owned(uuids) == 0u);
  a.cluster.tick(at(3100ms));
  BOOST_TEST(a.cluster.settled());
  const auto mine = a.owned(uuids);
  BOOST_TEST(mine > 100u);
  BOOST_TEST(mine < 200u);
  for (const auto& u : uuids)
    BOOST_TEST(a.cluster.owns(u) == (owner_of(u, {"a", "b"}) == "a"));
  // Every gained device is asked once, spread over the takeover time, none before the settle.
  BOOST_TEST(a.cluster.due_probes(at(3099ms)).empty());
  std::vector<std::string> asked;
  for (auto t = 3100ms; t <= 3100ms + 5s; t += 100ms) {
    for (auto& u : a.cluster.due_probes(at(t)))
      asked.push_back(u);
  }
  BOOST_TEST(asked.size() == mine);
  BOOST_TEST(a.cluster.due_probes(at(60s)).empty());
  BOOST_TEST(a.cluster.take_lost().empty());
}

BOOST_AUTO_TEST_CASE(a_joining_member_takes_its_share_at_once_a_dead_ones_move_after_settling) {
  ClusterOf a("a");
  const auto uuids = fleet(300);
  a.cluster.connected(at(0ms));
  a.devices(uuids);
  a.cluster.on_message(member_topic("b"), "online", at(0ms));
  a.cluster.tick(at(3s));
  a.cluster.due_probes(at(10s));
  const Members ab{"a", "b"};
  const Members abc{"a", "b", "c"};

  // c joins: what c owns now is lost at once (never executed twice), nothing is gained.
  a.cluster.on_message(member_topic("c"), "online", at(20s));
  const auto lost = a.cluster.take_lost();
  BOOST_TEST(!lost.empty());
  for (const auto& u : lost)
    BOOST_TEST(owner_of(u, abc) == "c");
  for (const auto& u : uuids)
    BOOST_TEST(a.cluster.owns(u) == (owner_of(u, abc) == "a"));
  a.cluster.tick(at(23s));
  BOOST_TEST(a.cluster.due_probes(at(30s)).empty());

  // b dies (its last will): b's devices that now fall to a are served once the view settled.
  a.cluster.on_message(member_topic("b"), "offline", at(40s));
  const Members ac{"a", "c"};
  std::size_t gained = 0;
  for (const auto& u : uuids) {
    if (owner_of(u, abc) == "b" && owner_of(u, ac) == "a") {
      ++gained;
      BOOST_TEST(!a.cluster.owns(u));
    }
  }
  BOOST_TEST(gained > 0u);
  BOOST_TEST(a.cluster.take_lost().empty());
  a.cluster.tick(at(43s));
  for (const auto& u : uuids)
    BOOST_TEST(a.cluster.owns(u) == (owner_of(u, ac) == "a"));
  BOOST_TEST(a.cluster.due_probes(at(50s)).size() == gained);
}

BOOST_AUTO_TEST_CASE(a_lost_link_gives_everything_up_and_a_new_one_starts_afresh) {
  ClusterOf a("a");
  const auto uuids = fleet(50);
  a.cluster.connected(at(0ms));
  a.devices(uuids);
  a.cluster.tick(at(3s));
  BOOST_TEST(a.owned(uuids) == uuids.size());  // alone: every device
  a.cluster.disconnected(at(5s));
  BOOST_TEST(a.owned(uuids) == 0u);
  BOOST_TEST(a.cluster.take_lost().size() == uuids.size());
  BOOST_TEST(a.cluster.due_probes(at(60s)).empty());
  a.cluster.connected(at(10s));
  a.cluster.tick(at(13s));
  BOOST_TEST(a.owned(uuids) == uuids.size());
}

BOOST_AUTO_TEST_CASE(only_cluster_topics_are_taken_and_bad_ones_change_nothing) {
  ClusterOf a("a");
  a.cluster.connected(at(0ms));
  // Its own retained leftover "offline" does not make it leave.
  BOOST_TEST(a.cluster.on_message(member_topic("a"), "offline", at(0ms)));
  BOOST_TEST(a.cluster.members().count("a") == 1u);
  BOOST_TEST(!a.cluster.on_message("meross/bridge/availability", "online", at(0ms)));
  BOOST_TEST(!a.cluster.on_message("meross/bridge/x/y/availability", "online", at(0ms)));
  BOOST_TEST(!a.cluster.on_message("meross/not-a-uuid/availability", "online", at(0ms)));
  BOOST_TEST(!a.cluster.on_message("meross/" + uuid_of(1) + "/x/state", "on", at(0ms)));
  BOOST_TEST(!a.cluster.on_message("other/bridge/b/availability", "online", at(0ms)));
  BOOST_TEST(a.cluster.members().size() == 1u);
  a.cluster.tick(at(3s));
  BOOST_TEST(a.cluster.take_lost().empty());
  BOOST_TEST(a.cluster.due_probes(at(10s)).empty());
  // A forgotten device (empty retained availability) leaves the fleet.
  a.devices({uuid_of(3)});
  BOOST_TEST(a.cluster.due_probes(at(20s)).empty());  // ours already: it has a session
  BOOST_TEST(a.cluster.on_message("meross/" + uuid_of(3) + "/availability", "", at(20s)));
  a.cluster.on_message(member_topic("b"), "online", at(21s));
  BOOST_TEST(a.cluster.take_lost().empty());
}

BOOST_AUTO_TEST_CASE(configured_instances_get_their_own_topics_and_client_ids) {
  const auto parsed = parse_config(
      "[cluster]\ninstance = \"node-2\"\n[device_broker]\nurl = \"mqtt://127.0.0.1:1884\"\n",
      "bridge.toml");
  BOOST_REQUIRE(parsed.config);
  const Config& c = *parsed.config;
  BOOST_TEST(c.cluster.instance == "node-2");
  BOOST_TEST(c.mqtt.client_id == "meross-bridge-node-2");
  BOOST_TEST(c.device_broker->client_id == "meross-bridge-devices-node-2");
  const auto topics = Topics::from_config(c);
  BOOST_TEST(topics.bridge_availability == "meross/bridge/node-2/availability");
  BOOST_TEST(effective_settings(c).find("instance = \"node-2\"") != std::string::npos);
  // Without a cluster nothing changes.
  const auto single = parse_config("", "bridge.toml");
  BOOST_TEST(single.config->mqtt.client_id == "meross-bridge");
  BOOST_TEST(Topics::from_config(*single.config).bridge_availability ==
             "meross/bridge/availability");
  for (const char* bad : {"a/b", "a+", "#", "x y", "123456789012345678901234567890123"}) {
    const auto result =
        parse_config(std::string("[cluster]\ninstance = \"") + bad + "\"\n", "bridge.toml");
    BOOST_TEST(!result.config, bad);
    BOOST_TEST((result.error && result.error->key == "cluster.instance"), bad);
  }
}

BOOST_AUTO_TEST_CASE(an_instance_is_a_bridge_device_of_its_own) {
  Config config;
  config.cluster.instance = "b";
  const auto settings = HomeAssistantSettings::from_config(config, 1);
  BOOST_TEST(settings.discovery.bridge_id == "meross_bridge_b");
  BOOST_TEST(settings.discovery.instance == "b");
  const auto docs = meross::discovery::bridge_config(settings.discovery);
  BOOST_REQUIRE(!docs.empty());
  const auto& doc = docs.front().payload;
  BOOST_TEST(docs.front().topic == "homeassistant/device/meross_bridge_b/config");
  BOOST_TEST(doc.find("\"meross/bridge/b/availability\"") != std::string::npos);
  BOOST_TEST(doc.find("meross/bridge/b/not_owned/state") != std::string::npos);
  BOOST_TEST(doc.find("meross/bridge/b/key_mismatch/attributes") != std::string::npos);
  BOOST_TEST(doc.find("meross/bridge/availability") == std::string::npos);
  // A single bridge is what it always was: no instance topics, no not_owned sensor.
  const auto single =
      meross::discovery::bridge_config(HomeAssistantSettings::from_config(Config{}, 1).discovery);
  BOOST_TEST(single.front().topic == "homeassistant/device/meross_bridge/config");
  BOOST_TEST(single.front().payload.find("not_owned") == std::string::npos);
  BOOST_TEST(single.front().payload.find("\"meross/bridge/availability\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
