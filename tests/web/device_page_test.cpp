// The device page's values: messages recorded only for watched devices, in a bounded ring, with
// every secret masked; the page's JSON holds the entities, abilities and messages and no secret.
#include <boost/test/unit_test.hpp>

#include "web/device_page.hpp"
#include "web/message_log.hpp"

using namespace meross::web;

namespace {

constexpr const char* kPlug = "2301234567890abcdef0123456789abc";
const std::string kFromPlug = std::string("/appliance/") + kPlug + "/publish";
const std::string kToPlug = std::string("/appliance/") + kPlug + "/subscribe";

std::string message(const std::string& method, const std::string& ns, const std::string& payload) {
  return R"({"header":{"messageId":"0123456789abcdef0123456789abcdef","namespace":")" + ns +
         R"(","method":")" + method +
         R"(","payloadVersion":1,"from":"/appliance/x/publish","timestamp":1700000000,)"
         R"("sign":"5f4dcc3b5aa765d61d8327deb882cf99"},"payload":)" +
         payload + "}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_page)

BOOST_AUTO_TEST_CASE(secrets_in_messages_are_masked) {
  // Config.Key: the signing key and the user id (what the MQTT password is made of).
  auto m = mask_message(message(
      "SET", "Appliance.Config.Key",
      R"({"key":{"gateway":{"host":"192.168.1.7","port":8883},"key":"s3cr3t-signing-key","userId":"4711"}})"));
  BOOST_TEST(m.method == "SET");
  BOOST_TEST(m.ns == "Appliance.Config.Key");
  BOOST_TEST(m.payload.find("s3cr3t-signing-key") == std::string::npos);
  BOOST_TEST(m.payload.find("4711") == std::string::npos);
  BOOST_TEST(m.payload.find(R"("host":"192.168.1.7")") != std::string::npos);
  BOOST_TEST(m.payload.find(R"("key":"***")") != std::string::npos);
  // Wi-Fi credentials, in any depth and in arrays.
  m = mask_message(
      message("SET", "Appliance.Config.WifiX",
              R"({"wifi":[{"ssid":"SG9tZQ==","password":"cGFzc3dvcmQxMjM=","channel":6}]})"));
  BOOST_TEST(m.payload.find("SG9tZQ==") == std::string::npos);
  BOOST_TEST(m.payload.find("cGFzc3dvcmQxMjM=") == std::string::npos);
  BOOST_TEST(m.payload.find(R"("channel":6)") != std::string::npos);
  // The header's sign is never kept; nor is a token or a numeric userId.
  m = mask_message(
      message("PUSH", "Appliance.Control.Bind",
              R"({"bind":{"firmware":{"userId":4711,"innerIp":"10.0.0.5"},"token":"t0k3n"}})"));
  BOOST_TEST(m.payload.find("5f4dcc3b5aa765d61d8327deb882cf99") == std::string::npos);
  BOOST_TEST(m.payload.find("4711") == std::string::npos);
  BOOST_TEST(m.payload.find("t0k3n") == std::string::npos);
  BOOST_TEST(m.payload.find("10.0.0.5") != std::string::npos);
  // HomeKit/Matter setup codes: the whole payload hidden.
  m = mask_message(message("GETACK", "Appliance.Config.Info",
                           R"({"info":{"homekit":{"setupCode":"123-45-678"}}})"));
  BOOST_TEST(m.payload.find("123-45-678") == std::string::npos);
  // Not a Meross message: its text is never kept.
  m = mask_message(R"({"password":"plain"} trailing)");
  BOOST_TEST(m.method == "?");
  BOOST_TEST(m.payload.find("plain") == std::string::npos);
  m = mask_message(std::string(200, '[') + std::string(200, ']'));
  BOOST_TEST(m.ns == "?");
}

BOOST_AUTO_TEST_CASE(only_watched_devices_are_recorded_in_a_bounded_ring) {
  MessageLog log;
  const std::string toggle =
      message("PUSH", "Appliance.Control.ToggleX", R"({"togglex":[{"channel":0,"onoff":1}]})");
  log.record(false, kFromPlug, toggle, 1);
  BOOST_TEST(log.messages(kPlug).empty());  // nobody watches it yet

  log.watch({kPlug});
  for (std::size_t i = 0; i < kEntriesPerDevice + 5; ++i)
    log.record(i % 2 == 1, i % 2 == 1 ? kToPlug : kFromPlug, toggle, static_cast<std::int64_t>(i));
  log.record(false, "/appliance/00000000000000000000000000000000/publish", toggle, 99);
  const auto& ring = log.messages(kPlug);
  BOOST_TEST(ring.size() == kEntriesPerDevice);
  BOOST_TEST(ring.front().time_ms == 5);
  BOOST_TEST(ring.back().time_ms == static_cast<std::int64_t>(kEntriesPerDevice + 4));
  BOOST_TEST(ring.back().outgoing == false);
  BOOST_TEST(ring[ring.size() - 2].outgoing == true);
  BOOST_TEST(ring.back().ns == "Appliance.Control.ToggleX");

  // A big payload is cut; an upper-case topic is the same device.
  log.record(false, "/appliance/2301234567890ABCDEF0123456789ABC/publish",
             message("PUSH", "Appliance.Control.ToggleX",
                     R"({"x":")" + std::string(4 * kMaxPayloadBytes, 'y') + "\"}"),
             100);
  BOOST_TEST(log.messages(kPlug).back().payload.size() <= kMaxPayloadBytes + 3);

  // No longer watched: its messages go.
  log.watch({});
  BOOST_TEST(log.messages(kPlug).empty());
  log.watch({"a", "b", "c", "d", "e", "f"});
  BOOST_TEST(log.watched("d"));
  BOOST_TEST(!log.watched("e"));  // at most kMaxWatched
}

BOOST_AUTO_TEST_CASE(the_page_json_has_entities_abilities_and_masked_messages) {
  DevicePage page;
  page.device.uuid = kPlug;
  page.device.name = "Kettle";
  page.device.model = "mss310";
  page.entities.push_back({"switch_0", "switch", std::nullopt, "", "", "ON"});
  page.entities.push_back({"dnd", "switch", "DND", "config", "", "OFF"});
  page.abilities = {{"Appliance.Control.ToggleX", "{}"},
                    {"Appliance.Control.Electricity", R"({"channel":0})"}};
  MessageEntry entry = mask_message(message(
      "SET", "Appliance.Config.Key", R"({"key":{"key":"s3cr3t-signing-key","userId":"1"}})"));
  entry.time_ms = 1700000000123;
  entry.outgoing = true;
  page.messages.push_back(entry);
  page.rename = RenameNote{"Kettle", true, "written to bridge.toml"};
  const auto json = device_page_json(page);
  BOOST_TEST(json.find(R"("device":{"uuid":")" + std::string(kPlug)) != std::string::npos);
  BOOST_TEST(
      json.find(
          R"({"key":"switch_0","component":"switch","name":null,"category":"","sub_device":"","state":"ON"})") !=
      std::string::npos);
  BOOST_TEST(json.find(R"("Appliance.Control.Electricity":{"channel":0})") != std::string::npos);
  BOOST_TEST(json.find(R"("time":1700000000123,"direction":"out","method":"SET")") !=
             std::string::npos);
  BOOST_TEST(json.find(R"("rename":{"name":"Kettle","saved":true)") != std::string::npos);
  BOOST_TEST(json.find("s3cr3t-signing-key") == std::string::npos);
  BOOST_TEST(json.find("5f4dcc3b5aa765d61d8327deb882cf99") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
