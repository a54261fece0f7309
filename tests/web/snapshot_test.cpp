// The web page's snapshot: its JSON, and what collect_devices takes from the registry and Home
// Assistant's side after a real device (a recorded mss310) bound and was discovered. No key.
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "bridge/home_assistant.hpp"
#include "bridge/registry_harness.hpp"
#include "support/fixtures.hpp"
#include "web/collect.hpp"
#include "web/snapshot.hpp"

using namespace meross;
using namespace meross::web;

namespace {

constexpr std::int64_t kWall = 1750000000;
const std::string kGlobalKey = "global-key-7c41";
const std::string kDeviceKey = "device-own-key-19ab";
const std::string kUuid = "0123456789abcdef0123456789abcdef";

struct NullIo final : bridge::HomeAssistantIo {
  void publish(const bridge::Publication&) override {}
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  bool request(const std::string&, protocol::Method, const std::string&, const std::string&,
               bridge::Now) override {
    return true;
  }
  void probe(const std::string&, bridge::Now) override {}
  void announce_availability() override {}
  bridge::BridgeStats stats() const override { return {}; }
};

struct Bridge : test::RegistryHarness {
  NullIo io;
  std::unique_ptr<bridge::HomeAssistant> ha;
  test::FakeDeviceIdentity device{kUuid, kDeviceKey};

  Bridge()
      : RegistryHarness(kGlobalKey, kWall, "", [](bridge::Config& c) {
          c.devices.push_back(bridge::DeviceConfig{kUuid, "Kitchen plug", kDeviceKey, "", {}, {}});
          c.mqtt.password = "broker-pass-55";
          c.web.password = "web-pass-66";
        }) {
    ha = std::make_unique<bridge::HomeAssistant>(
        config, bridge::HomeAssistantSettings::from_config(config, 1), io);
    registry->set_listener(ha.get());
    bind_and_discover(device, test::load_trace("Kpippo-mss310.csv"), now.wall);
  }
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot)

BOOST_AUTO_TEST_CASE(rows_become_json) {
  DeviceRow d;
  d.uuid = "abc";
  d.name = "Quote \" and <tag>";
  d.online = true;
  d.last_seen = 1700000000;
  d.signal = 87;
  d.problems = {"one"};
  d.switches = {{"switch_0", "ON"}};
  DeviceRow sub;
  sub.uuid = "0300DF01";
  sub.hub = "abc";
  const auto doc = parse(devices_json({d, sub}));
  BOOST_REQUIRE(doc.IsArray() && doc.Size() == 2);
  BOOST_TEST(doc[0]["name"].GetString() == d.name);
  BOOST_TEST(doc[0]["online"].GetBool());
  BOOST_TEST(doc[0]["last_seen"].GetInt64() == 1700000000);
  BOOST_TEST(doc[0]["signal"].GetInt() == 87);
  BOOST_TEST(doc[0]["switches"][0]["state"].GetString() == std::string("ON"));
  BOOST_TEST(doc[1]["hub"].GetString() == std::string("abc"));
  BOOST_TEST(doc[1]["last_seen"].IsNull());
  BOOST_TEST(doc[1]["signal"].IsNull());

  BridgeRow b;
  b.version = "1.2.3";
  b.links = {{"devices", "mqtts://127.0.0.1:8883", true}};
  b.counters = {{"messages", 9}, {"malformed", 4}};
  const auto bridge = parse(bridge_json(b));
  BOOST_TEST(bridge["links"][0]["connected"].GetBool());
  BOOST_TEST(bridge["counters"]["messages"].GetUint64() == 9u);
  BOOST_TEST(bridge["counters"]["malformed"].GetUint64() == 4u);

  const auto event = parse(event_json(devices_json({d}), bridge_json(b), 42));
  BOOST_TEST(event["time"].GetInt64() == 42);
  BOOST_TEST(event["devices"].IsArray());
  BOOST_TEST(event["bridge"].IsObject());
}

BOOST_AUTO_TEST_CASE(a_discovered_device_is_listed_without_its_key) {
  Bridge b;
  const auto rows = collect_devices(*b.registry, *b.ha, b.now);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  const auto& row = rows[0];
  BOOST_TEST(row.uuid == kUuid);
  BOOST_TEST(row.name == "Kitchen plug");
  BOOST_TEST(row.model == "mss310");
  BOOST_TEST(!row.firmware.empty());
  BOOST_TEST(row.online);
  BOOST_TEST(row.bind_acknowledged);
  BOOST_TEST(row.last_seen.value_or(0) == b.now.wall);
  BOOST_TEST(row.entities > 0u);
  BOOST_REQUIRE_EQUAL(row.switches.size(), 1u);
  // Only the note of what the plug has beyond its entities: its on-device schedules.
  BOOST_TEST(row.problems ==
                 std::vector<std::string>{
                     "not mapped: Appliance.Control.TimerX, Appliance.Control.TriggerX"},
             boost::test_tools::per_element());

  const std::string json = devices_json(rows);
  for (const auto& secret :
       {kGlobalKey, kDeviceKey, std::string("broker-pass-55"), std::string("web-pass-66")}) {
    BOOST_TEST(json.find(secret) == std::string::npos, secret);
  }
  // Later: the last seen time stays when the device is silent.
  b.advance(std::chrono::seconds(3));
  BOOST_TEST(collect_devices(*b.registry, *b.ha, b.now)[0].last_seen.value_or(0) == b.now.wall - 3);
}

BOOST_AUTO_TEST_CASE(a_device_signing_with_another_key_shows_the_problem) {
  Bridge b;
  const std::string other = "not-the-configured-key";
  b.bind(b.device, b.now.wall, {}, &other);
  const auto rows = collect_devices(*b.registry, *b.ha, b.now);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_REQUIRE_EQUAL(rows[0].problems.size(), 2u);  // the key, and the unmapped note
  BOOST_TEST(rows[0].problems[0].find("another key") != std::string::npos);
  BOOST_TEST(devices_json(rows).find(other) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
