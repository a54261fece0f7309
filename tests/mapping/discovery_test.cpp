// Discovery documents: their content, the HA rules checker itself, and removals.

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "discovery/summary.hpp"
#include "discovery/topics.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/support.hpp"

using namespace meross;
using discovery::Publication;

namespace {

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(), text);
  return doc;
}

std::string s(const rapidjson::Value& v) {
  return v.IsString() ? v.GetString() : "<not a string>";
}

// What the bridge keeps of retained documents: the summaries of those that are ours.
discovery::Summaries kept(const std::vector<Publication>& docs, const discovery::Options& o) {
  discovery::Summaries out;
  for (const auto& d : docs) {
    if (discovery::is_ours(d, o)) out[d.topic] = discovery::summarize(d, o);
  }
  return out;
}

Publication device_doc(const protocol::DeviceProfile& p, const discovery::Options& o = {}) {
  const auto docs = discovery::device_config(p, mapping::entities_for(p), o);
  BOOST_REQUIRE_EQUAL(docs.size(), 1u);
  return docs[0];
}

// True when the checker finds a problem containing `needle` in `payload` on `topic`.
bool checker_flags(const std::string& topic, const std::string& payload,
                   const std::string& needle) {
  const auto problems = test::check_discovery({Publication{topic, payload}});
  for (const auto& p : problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  BOOST_TEST_MESSAGE("problems: " << problems.size());
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(discovery_documents)

BOOST_AUTO_TEST_CASE(plug_device_document) {
  const auto p = test::trace_profile("mss310.csv");
  const Publication pub = device_doc(p);
  BOOST_TEST(pub.topic == "homeassistant/device/meross_0123456789012345678901234567891A/config");
  BOOST_TEST(pub.retain);
  BOOST_TEST(pub.qos == 1);
  const auto doc = parse(pub.payload);
  const auto& dev = doc["device"];
  BOOST_TEST(s(dev["identifiers"][0]) == "meross_0123456789012345678901234567891A");
  BOOST_TEST(s(dev["connections"][0][0]) == "mac");
  BOOST_TEST(s(dev["connections"][0][1]) == "01:23:45:67:89:1a");  // the uuid's last 12 digits
  BOOST_TEST(s(dev["manufacturer"]) == "Meross");
  BOOST_TEST(s(dev["model"]) == "MSS310");
  BOOST_TEST(s(dev["sw_version"]) == "2.1.17");
  BOOST_TEST(s(dev["hw_version"]) == "2.0.0");
  BOOST_TEST(s(dev["via_device"]) == "meross_bridge");
  BOOST_TEST(!dev.HasMember("configuration_url"));  // innerIp is obfuscated in the trace
  BOOST_TEST(s(doc["origin"]["name"]) == "meross-bridge");
  BOOST_TEST(s(doc["availability_mode"]) == "all");
  BOOST_TEST(s(doc["availability"][0]["topic"]) == "meross/bridge/availability");
  BOOST_TEST(s(doc["availability"][1]["topic"]) ==
             "meross/0123456789012345678901234567891A/availability");
  const auto& sw = doc["components"]["switch_0"];
  BOOST_TEST(s(sw["platform"]) == "switch");
  BOOST_TEST(sw["name"].IsNull());  // the plug's main entity
  BOOST_TEST(s(sw["unique_id"]) == "meross_0123456789012345678901234567891A_switch_0");
  BOOST_TEST(s(sw["state_topic"]) == "meross/0123456789012345678901234567891A/switch_0/state");
  BOOST_TEST(s(sw["command_topic"]) == "meross/0123456789012345678901234567891A/switch_0/set");
  const auto& power = doc["components"]["power_0"];
  BOOST_TEST(s(power["device_class"]) == "power");
  BOOST_TEST(s(power["unit_of_measurement"]) == "W");
  BOOST_TEST(!power.HasMember("command_topic"));
  BOOST_TEST(s(doc["components"]["energy_0"]["state_class"]) == "total_increasing");
  BOOST_TEST(s(doc["components"]["signal"]["entity_category"]) == "diagnostic");
  BOOST_TEST(s(doc["components"]["led"]["entity_category"]) == "config");
  BOOST_TEST(!pub.payload.empty());
  BOOST_TEST(pub.payload.find("object_id") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(hand_written_devices_pass_the_checker) {
  const auto strip = test::mss425f_profile();
  const auto strip_doc = parse(device_doc(strip).payload);
  BOOST_TEST(s(strip_doc["device"]["configuration_url"]) == "http://192.168.1.42/");
  BOOST_TEST(s(strip_doc["components"]["switch_4"]["name"]) == "USB");
  std::vector<Publication> all{device_doc(strip)};
  for (int capacity : {1, 2, 4, 5, 6, 7, 15}) {
    auto bulb = test::msl120_profile(capacity);
    bulb.uuid += std::to_string(capacity);  // distinct devices
    all.push_back(device_doc(bulb));
  }
  test::expect_valid_discovery(all);
}

BOOST_AUTO_TEST_CASE(bulb_light_component) {
  const auto doc = parse(device_doc(test::msl120_profile(7)).payload);
  const auto& light = doc["components"]["light_0"];
  BOOST_TEST(s(light["platform"]) == "light");
  BOOST_TEST(s(light["schema"]) == "json");
  BOOST_TEST(light["name"].IsNull());
  BOOST_REQUIRE(light["supported_color_modes"].IsArray());
  BOOST_TEST(light["supported_color_modes"].Size() == 2u);
  BOOST_TEST(s(light["supported_color_modes"][0]) == "rgb");
  BOOST_TEST(s(light["supported_color_modes"][1]) == "color_temp");
  BOOST_TEST(light["brightness_scale"].GetInt() == 100);
  BOOST_TEST(light["color_temp_kelvin"].GetBool());
  BOOST_TEST(light["min_kelvin"].GetInt() == 2700);
  BOOST_TEST(light["max_kelvin"].GetInt() == 6500);
  BOOST_TEST(!light.HasMember("color_temp"));
  // The ToggleX channel powering the bulb is not a separate switch.
  BOOST_TEST(!doc["components"].HasMember("switch_0"));
  const auto dimmer = parse(device_doc(test::msl120_profile(4)).payload);
  BOOST_TEST(dimmer["components"]["light_0"]["supported_color_modes"].Size() == 1u);
  BOOST_TEST(s(dimmer["components"]["light_0"]["supported_color_modes"][0]) == "brightness");
}

BOOST_AUTO_TEST_CASE(covers) {
  const auto garage = parse(device_doc(test::trace_profile("msg200.json.txt")).payload);
  for (const char* key : {"garage_1", "garage_2", "garage_3"}) {
    BOOST_TEST(s(garage["components"][key]["device_class"]) == "garage");
    BOOST_TEST(garage["components"][key]["payload_stop"].IsNull());
  }
  BOOST_TEST(s(garage["components"]["garage_2"]["name"]) == "Door 2");
  const auto shutter = parse(device_doc(test::trace_profile("mrs100")).payload);
  const auto& cover = shutter["components"]["shutter_0"];
  BOOST_TEST(s(cover["device_class"]) == "shutter");
  BOOST_TEST(s(cover["position_topic"]) == s(cover["state_topic"]));
  BOOST_TEST(s(cover["set_position_topic"]) == s(cover["command_topic"]));
}

BOOST_AUTO_TEST_CASE(per_component_discovery) {
  discovery::Options o;
  o.device_discovery = false;
  o.discovery_prefix = "ha";
  o.base_topic = "mb";
  const auto p = test::trace_profile("mss310.csv");
  const auto docs = discovery::device_config(p, mapping::entities_for(p), o);
  BOOST_TEST(docs.size() == mapping::entities_for(p).size());
  BOOST_TEST(docs[0].topic == "ha/switch/meross_0123456789012345678901234567891A/switch_0/config");
  for (const auto& d : docs) {
    const auto doc = parse(d.payload);
    BOOST_TEST(doc.HasMember("device"));
    BOOST_TEST(doc.HasMember("origin"));
    BOOST_TEST(!doc.HasMember("platform"));
    BOOST_TEST(s(doc["availability"][0]["topic"]) == "mb/bridge/availability");
  }
  for (const auto& problem : test::check_discovery(docs, "ha"))
    BOOST_ERROR(problem);
}

BOOST_AUTO_TEST_CASE(odd_base_topics_and_names_stay_valid_json) {
  discovery::Options o;
  o.base_topic = R"(my "meross" \ base)";
  const auto p = test::trace_profile("mrs100");
  const auto docs = discovery::device_config(p, mapping::entities_for(p), o, "Shutter \"1\"");
  const auto doc = parse(docs[0].payload);
  const auto& cover = doc["components"]["shutter_0"];
  BOOST_TEST(s(cover["position_topic"]) == s(cover["state_topic"]));
  BOOST_TEST(s(cover["position_topic"]).rfind(o.base_topic, 0) == 0);
  BOOST_TEST(s(doc["device"]["name"]) == "Shutter \"1\"");
}

BOOST_AUTO_TEST_CASE(bridge_device) {
  const auto docs = discovery::bridge_config({});
  BOOST_REQUIRE_EQUAL(docs.size(), 1u);
  BOOST_TEST(docs[0].topic == "homeassistant/device/meross_bridge/config");
  const auto doc = parse(docs[0].payload);
  BOOST_TEST(s(doc["device"]["identifiers"][0]) == "meross_bridge");
  // Twelve counters and the key-mismatch problem sensor.
  BOOST_TEST(doc["components"].MemberCount() == 13u);
  BOOST_TEST(s(doc["components"]["messages_handled"]["state_topic"]) ==
             discovery::bridge_state_topic("meross", discovery::kBridgeMessagesHandled));
  // Every kind of bad input has its counter in Home Assistant.
  for (const auto key : {discovery::kBridgeSignatureFailures, discovery::kBridgeMalformed,
                         discovery::kBridgeReplays, discovery::kBridgeUnknownNamespaces,
                         discovery::kBridgeIgnored, discovery::kBridgeRequestFailures,
                         discovery::kBridgeUnreadableStates, discovery::kBridgeRejectedCommands,
                         discovery::kBridgeRefusedDevices, discovery::kBridgeDroppedPublications}) {
    const auto& c = doc["components"][std::string(key).c_str()];
    BOOST_TEST(s(c["state_topic"]) == discovery::bridge_state_topic("meross", key));
    BOOST_TEST(s(c["entity_category"]) == "diagnostic");
  }
  BOOST_TEST(s(doc["availability"][0]["topic"]) == "meross/bridge/availability");
  BOOST_TEST(!doc.HasMember("availability_mode"));
  test::expect_valid_discovery(docs);
}

BOOST_AUTO_TEST_CASE(topics) {
  BOOST_TEST(discovery::state_topic("meross", "abc", "power_0") == "meross/abc/power_0/state");
  const auto target = discovery::parse_command_topic(
      "meross", discovery::command_topic("meross", "abc123", "switch_2"));
  BOOST_TEST(target.uuid == "abc123");
  BOOST_TEST(target.key == "switch_2");
  BOOST_TEST(discovery::parse_command_topic("meross", "meross/abc/switch_2/state").key.empty());
  BOOST_TEST(discovery::parse_command_topic("meross", "meross/abc/x/y/set").key.empty());
  BOOST_TEST(discovery::parse_command_topic("meross", "other/abc/x/set").key.empty());
}

BOOST_AUTO_TEST_CASE(checker_catches_what_home_assistant_rejects) {
  const std::string dev = R"("device":{"identifiers":["x"],"name":"X"},"origin":{"name":"o"})";
  const std::string t = "homeassistant/device/x/config";
  const auto cmp = [&](const std::string& body) {
    return "{" + dev + R"(,"components":{"c":{"platform":"sensor","unique_id":"u","name":"n",)" +
           R"("state_topic":"a/b")" + body + "}}}";
  };
  BOOST_TEST(test::check_discovery({Publication{t, cmp("")}}).empty());
  BOOST_TEST(checker_flags(t, cmp(R"(,"object_id":"x")"), "object_id"));
  BOOST_TEST(
      checker_flags(t, cmp(R"(,"device_class":"power","unit_of_measurement":"A")"), "unit 'A'"));
  BOOST_TEST(checker_flags(
      t, cmp(R"(,"device_class":"energy","unit_of_measurement":"kWh","state_class":"measurement")"),
      "impossible"));
  BOOST_TEST(checker_flags(t, cmp(R"(,"entity_category":"config")"), "diagnostic"));
  BOOST_TEST(checker_flags(t, cmp(R"(,"availability":[{"topic":"a"}],"availability_topic":"b")"),
                           "exclusive"));
  BOOST_TEST(checker_flags(t, cmp(R"(,"default_entity_id":"plug_1")"), "domain"));
  BOOST_TEST(checker_flags(
      t, "{" + dev + R"(,"components":{"c":{"platform":"switch","unique_id":"u","name":"n"}}})",
      "command_topic"));
  BOOST_TEST(checker_flags(
      t, "{" + dev + R"(,"components":{"c":{"platform":"sensor","name":"n","state_topic":"a"}}})",
      "unique_id"));
  BOOST_TEST(checker_flags(t, "{" + dev + R"(,"name":"x","components":{"c":{"p":"sensor"}}})",
                           "top-level key 'name'"));
  BOOST_TEST(
      checker_flags(t,
                    R"({"device":{"name":"X"},"origin":{"name":"o"},"components":{)"
                    R"("c":{"platform":"sensor","unique_id":"u","name":"n","state_topic":"a"}}})",
                    "identifiers"));
  BOOST_TEST(checker_flags(t, cmp(R"(,"command_topic":"a/+/set")"), "+ or #"));
  BOOST_TEST(checker_flags(
      t,
      "{" + dev +
          R"(,"components":{"l":{"platform":"light","unique_id":"u","name":null,)"
          R"("command_topic":"a","schema":"json","supported_color_modes":["onoff","brightness"]}}})",
      "only colour mode"));
  BOOST_TEST(checker_flags(
      t,
      "{" + dev +
          R"(,"components":{"l":{"platform":"light","unique_id":"u","name":null,)"
          R"("command_topic":"a","schema":"json","color_temp":true,"supported_color_modes":["rgb"]}}})",
      "removed"));
  BOOST_TEST(checker_flags("homeassistant/device/a.b/config", cmp(""), "illegal"));
  BOOST_TEST(checker_flags("homeassistant/sensr/a/config", cmp(""), "unsupported component"));
  // Duplicate unique ids across two documents.
  const auto dup = test::check_discovery({Publication{t, cmp("")}, Publication{t, cmp("")}});
  BOOST_TEST(std::any_of(dup.begin(), dup.end(),
                         [](const auto& p) { return p.find("duplicate") != std::string::npos; }));
  BOOST_TEST(!test::check_discovery({Publication{t, cmp(""), false, 1}}).empty());  // not retained
}

// MQTT topic filter matching with + (one level); no # in our filters.
std::vector<std::string> levels(const std::string& topic) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto slash = topic.find('/'); slash != std::string::npos; slash = topic.find('/', start)) {
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
  out.push_back(topic.substr(start));
  return out;
}

bool matches(const std::string& filter, const std::string& topic) {
  const auto f = levels(filter), t = levels(topic);
  if (f.size() != t.size()) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return true;
}

BOOST_AUTO_TEST_CASE(readback_filters_cover_every_document) {
  for (bool device_mode : {true, false}) {
    discovery::Options o;
    o.device_discovery = device_mode;
    const auto filters = discovery::readback_filters(o);
    auto docs = discovery::bridge_config(o);
    for (const auto& fragment : {"mss310.csv", "msg200.json.txt", "msl450", "em06"}) {
      const auto p = test::trace_profile(fragment);
      for (auto& d : discovery::device_config(p, mapping::entities_for(p), o))
        docs.push_back(d);
    }
    for (const auto& d : docs) {
      BOOST_TEST(std::any_of(filters.begin(), filters.end(),
                             [&](const auto& f) { return matches(f, d.topic); }),
                 d.topic);
    }
  }
  BOOST_TEST(!matches("a/+/config", "a/b/c/config"));
  BOOST_TEST(matches("a/+/config", "a/b/config"));
}

BOOST_AUTO_TEST_CASE(summaries_keep_the_components_of_device_documents) {
  const discovery::Options o;
  const auto strip = test::mss425f_profile();
  const auto doc = device_doc(strip);
  const auto summary = discovery::summarize(doc, o);
  // Every component, in document order, with its platform.
  const auto full = parse(doc.payload);
  const auto kept_components = parse(summary.components);
  BOOST_REQUIRE_EQUAL(kept_components.MemberCount(), full["components"].MemberCount());
  auto k = kept_components.MemberBegin();
  for (const auto& c : full["components"].GetObject()) {
    BOOST_TEST(std::string(k->name.GetString()) == c.name.GetString());
    BOOST_TEST(s(k->value) == s(c.value["platform"]));
    ++k;
  }
  BOOST_TEST(summary.components.rfind(R"({"switch_0":"switch",)", 0) == 0u);
  BOOST_TEST(summary.components.size() < doc.payload.size() / 5);

  // Abbreviated keys as HA accepts them; components without a platform cannot be stubbed; ids
  // kept exactly, whatever their characters.
  const std::string topic = "homeassistant/device/meross_x/config";
  const auto abbreviated = discovery::summarize(
      {topic, R"({"cmps":{"a":{"p":"sensor"},"b":{"name":"B"},"c":"x","d":{"p":3},)"
              R"("q\"\u0000é":{"p":"light"}}})"},
      o);
  BOOST_TEST(abbreviated.components == R"({"a":"sensor","q\"\u0000é":"light"})");
  const auto stubbed = discovery::removals({{topic, abbreviated}}, {{topic, R"({"cmps":{}})"}});
  BOOST_REQUIRE_EQUAL(stubbed.size(), 1u);
  BOOST_TEST(stubbed[0].payload ==
             R"({"cmps":{"a":{"platform":"sensor"},"q\"\u0000é":{"platform":"light"}}})");

  // Per-component documents, other prefixes and broken text need nothing.
  discovery::Options pc;
  pc.device_discovery = false;
  for (const auto& d : discovery::device_config(strip, mapping::entities_for(strip), pc))
    BOOST_TEST(discovery::summarize(d, pc).components.empty());
  BOOST_TEST(
      discovery::summarize({"ha/device/meross_x/config", doc.payload}, o).components.empty());
  BOOST_TEST(discovery::summarize({topic, R"({"components":)"}, o).components.empty());
  BOOST_TEST(discovery::summarize({topic, "[1]"}, o).components.empty());
  BOOST_TEST(discovery::summarize({topic, std::string(100, '[')}, o).components.empty());
}

BOOST_AUTO_TEST_CASE(removals_clear_what_no_longer_exists) {
  const discovery::Options o;
  const auto strip = test::mss425f_profile();
  const auto before = discovery::device_config(strip, mapping::entities_for(strip), o);
  // Nothing changed: nothing to remove (a restart reading back its own retained documents).
  BOOST_TEST(discovery::removals(kept(before, o), before).empty());

  // The USB channel disappears: the device document is first sent with switch_4 as a stub.
  auto smaller = strip;
  smaller.set_channels("togglex", {0, 1, 2, 3});
  const auto after = discovery::device_config(smaller, mapping::entities_for(smaller), o);
  const auto removal = discovery::removals(kept(before, o), after);
  BOOST_REQUIRE_EQUAL(removal.size(), 1u);
  BOOST_TEST(removal[0].topic == after[0].topic);
  BOOST_TEST(removal[0].retain);
  BOOST_TEST(removal[0].qos == 1);
  const auto stub = parse(removal[0].payload);
  BOOST_TEST(stub["components"]["switch_4"].MemberCount() == 1u);
  BOOST_TEST(s(stub["components"]["switch_4"]["platform"]) == "switch");
  BOOST_TEST(stub["components"].HasMember("switch_3"));
  // Exactly the current document with the stub appended to its components.
  const std::string tail = R"(,"switch_4":{"platform":"switch"}}})";
  BOOST_TEST(removal[0].payload == after[0].payload.substr(0, after[0].payload.size() - 2) + tail);
  test::expect_valid_discovery(removal);

  // A device gone entirely: empty retained payload on its topic. Foreign and empty retained
  // documents are not ours, so they are never kept.
  const auto bulb = test::msl120_profile(7);
  auto previous = before;
  for (auto& p : discovery::device_config(bulb, mapping::entities_for(bulb), o)) {
    previous.push_back(p);
  }
  previous.push_back(
      {"homeassistant/device/zigbee_1/config",
       R"({"device":{"identifiers":["z"],"name":"Z"},"origin":{"name":"Zigbee2MQTT"},)"
       R"("components":{"a":{"platform":"sensor","unique_id":"z","state_topic":"z"}}})"});
  previous.push_back({"homeassistant/device/meross_gone/config", ""});
  BOOST_TEST(kept(previous, o).size() == 2u);
  const auto cleared = discovery::removals(kept(previous, o), before);
  BOOST_REQUIRE_EQUAL(cleared.size(), 1u);
  BOOST_TEST(cleared[0].topic ==
             discovery::device_config_topic("homeassistant", discovery::node_id(bulb.uuid)));
  BOOST_TEST(cleared[0].payload.empty());
  BOOST_TEST(cleared[0].retain);

  // Another bridge instance (different bridge id) owns its documents.
  discovery::Options other;
  other.bridge_id = "meross_bridge_2";
  BOOST_TEST(kept(previous, other).empty());

  // Per-component mode: a dropped entity's own topic gets an empty payload; switching from
  // device to per-component discovery clears the device document.
  discovery::Options pc;
  pc.device_discovery = false;
  const auto pc_before = discovery::device_config(strip, mapping::entities_for(strip), pc);
  const auto pc_after = discovery::device_config(smaller, mapping::entities_for(smaller), pc);
  const auto pc_removal = discovery::removals(kept(pc_before, pc), pc_after);
  BOOST_REQUIRE_EQUAL(pc_removal.size(), 1u);
  BOOST_TEST(pc_removal[0].topic ==
             discovery::component_config_topic("homeassistant", "switch",
                                               discovery::node_id(strip.uuid), "switch_4"));
  BOOST_TEST(pc_removal[0].payload.empty());
  const auto switched = discovery::removals(kept(before, pc), pc_after);
  BOOST_REQUIRE_EQUAL(switched.size(), 1u);
  BOOST_TEST(switched[0].topic == before[0].topic);
  BOOST_TEST(switched[0].payload.empty());
}

// The stubs as removals() has always written them, from summaries of read-back documents that
// may use HA's abbreviations: {"platform": p} appended in the previous document's order, the
// current document otherwise untouched; topics in order.
BOOST_AUTO_TEST_CASE(removal_stubs_are_the_current_document_plus_dropped_components) {
  const std::string a = "homeassistant/device/meross_a/config";
  const std::string b = "homeassistant/device/meross_b/config";
  const std::string c = "homeassistant/light/meross_c/light_0/config";
  discovery::Summaries previous;
  previous[b].components =
      R"({"x":"sensor","gone_2":"light","y":"switch","gone_1":"binary_sensor"})";
  previous[a].components = R"({"k":"sensor"})";
  previous[c];
  const std::vector<Publication> current = {
      {b, R"({"qos":1,"cmps":{"y":{"p":"switch"},"x":{"p":"sensor"}},"z":[1]})"},
      {a, R"({"components":{"k":{"platform":"sensor"},"new":{"platform":"button"}}})"}};
  const auto out = discovery::removals(previous, current);
  BOOST_REQUIRE_EQUAL(out.size(), 2u);
  BOOST_TEST(out[0].topic == b);
  BOOST_TEST(out[0].payload ==
             R"({"qos":1,"cmps":{"y":{"p":"switch"},"x":{"p":"sensor"},)"
             R"("gone_2":{"platform":"light"},"gone_1":{"platform":"binary_sensor"}},"z":[1]})");
  BOOST_TEST(out[0].retain);
  BOOST_TEST(out[1].topic == c);
  BOOST_TEST(out[1].payload.empty());
  BOOST_TEST(out[1].retain);

  // A current document that is empty or unreadable: the topic is gone, or left alone.
  BOOST_TEST(discovery::removals(previous, {{b, ""}, {a, "{"}}).size() == 2u);
  BOOST_TEST(discovery::removals({{a, previous[a]}}, {{a, "{"}}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
