// `meross-bridge inspect FILE`: the pure rendering on every fixture trace, and the command.

#include <algorithm>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "bridge/inspect_command.hpp"
#include "discovery/inspect.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/support.hpp"
#include "protocol/trace.hpp"
#include "support/fixtures.hpp"

using namespace meross;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The sub-device ids a trace's System.All digest lists (digest.hub.subdevice[].id), each once.
std::vector<std::string> digest_sub_devices(const std::filesystem::path& path) {
  const auto trace = protocol::parse_trace(path.filename().string(), test::read_file(path));
  BOOST_REQUIRE(trace.ok());
  rapidjson::Document all;
  all.Parse(trace->all_json.c_str());
  std::vector<std::string> ids;
  const auto* digest = protocol::find_member(all, "all");
  digest = digest ? protocol::find_member(*digest, "digest") : nullptr;
  const auto* hub = digest ? protocol::find_member(*digest, "hub") : nullptr;
  const auto* list = hub ? protocol::find_member(*hub, "subdevice") : nullptr;
  if (!list || !list->IsArray()) return ids;
  for (const auto& item : list->GetArray()) {
    const auto id = protocol::string_member(item, "id");
    if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.emplace_back(*id);
  }
  return ids;
}

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(inspect_command)

BOOST_AUTO_TEST_CASE(every_trace_renders_its_discovery_messages) {
  for (const auto& path : test::trace_files()) {
    const std::string name = path.filename().string();
    BOOST_TEST_CONTEXT(name) {
      const auto result = discovery::inspect(name, test::read_file(path));
      BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.error().describe()));
      // The device's own document, then one per sub-device its digest lists (a hub's; each has
      // its battery at least), in digest order.
      const auto profile = test::trace_profile(name);
      const auto sub_ids = digest_sub_devices(path);
      BOOST_REQUIRE_EQUAL(result->lines.size(), 1 + sub_ids.size());
      std::vector<discovery::Publication> published;
      for (std::size_t i = 0; i < result->lines.size(); ++i) {
        const std::string& line = result->lines[i];
        const auto space = line.find(' ');
        BOOST_REQUIRE(space != std::string::npos);
        const std::string topic = line.substr(0, space);
        BOOST_TEST(topic ==
                   "homeassistant/device/" +
                       (i == 0 ? discovery::node_id(profile.uuid)
                               : discovery::sub_device_node_id(profile.uuid, sub_ids[i - 1])) +
                       "/config");
        published.push_back({topic, line.substr(space + 1)});
      }
      test::expect_valid_discovery(published);
      // The same as the bridge would publish once it has the device's System.All.
      const auto device = discovery::device_from_file(name, test::read_file(path));
      BOOST_REQUIRE(device.ok());
      const auto expected = discovery::device_config(
          device->profile, mapping::entities_for(device->profile, device->state), {}, {},
          device->state.sub_devices);
      BOOST_REQUIRE_EQUAL(expected.size(), published.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        BOOST_TEST(published[i].topic == expected[i].topic);
        BOOST_TEST(published[i].payload == expected[i].payload);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_system_all_document_gives_the_same_messages_as_its_trace) {
  // The msh300 2024 trace is not obfuscated: its uuid lives in System.All too.
  const auto path = test::trace_path("msh300-2024");
  const auto trace = protocol::parse_trace(path.filename().string(), test::read_file(path));
  BOOST_REQUIRE(trace.ok());
  const std::string document =
      "{\"payload\":{\"all\":" + trace->all_json.substr(7, trace->all_json.size() - 8) +
      ",\"ability\":" + trace->ability_json.substr(11, trace->ability_json.size() - 12) + "}}";
  rapidjson::Document check;
  check.Parse(document.c_str());
  BOOST_REQUIRE(!check.HasParseError());
  const auto from_json = discovery::inspect("device.json", document);
  const auto from_trace = discovery::inspect(path.filename().string(), test::read_file(path));
  BOOST_REQUIRE(from_json.ok());
  BOOST_REQUIRE(from_trace.ok());
  BOOST_TEST(from_json->lines == from_trace->lines, boost::test_tools::per_element());
  BOOST_TEST(from_trace->lines.size() == 4u);  // the hub and its three sub-devices
  BOOST_TEST(!from_trace->unmapped.empty());   // a hub: schedules and more stay unmapped
}

BOOST_AUTO_TEST_CASE(run_inspect_prints_topic_and_payload_lines) {
  const auto path = test::trace_path("mss310.csv");
  std::ostringstream out, err;
  BOOST_TEST(bridge::run_inspect(path.string(), out, err) == 0);
  const auto expected = discovery::inspect(path.filename().string(), test::read_file(path));
  BOOST_REQUIRE(expected.ok());
  BOOST_TEST(lines_of(out.str()) == expected->lines, boost::test_tools::per_element());
  // The plug's on-device schedules are its only abilities without entities.
  BOOST_TEST(err.str() ==
             "note: abilities not mapped to entities: Appliance.Control.TimerX "
             "Appliance.Control.TriggerX\n");

  // A hand-written System.All + Ability file of a bulb.
  const auto bulb = temp_file(
      "meross_inspect_bulb.json",
      R"({"all":{"system":{"hardware":{"type":"msl120d","uuid":"2001011234567890123448e1e9aabb02",)"
      R"("macAddress":"48:e1:e9:aa:bb:02","version":"2.0.0"},"firmware":{"version":"2.1.5",)"
      R"("innerIp":"10.0.0.7"}},"digest":{"togglex":[{"channel":0,"onoff":1}],)"
      R"("light":{"channel":0,"capacity":6}}},"ability":{"Appliance.Control.ToggleX":{},)"
      R"("Appliance.Control.Light":{"capacity":7},"Appliance.Hub.Mts100.ScheduleB":{}}})");
  std::ostringstream bulb_out, bulb_err;
  BOOST_TEST(bridge::run_inspect(bulb.string(), bulb_out, bulb_err) == 0);
  const auto lines = lines_of(bulb_out.str());
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].rfind("homeassistant/device/meross_2001011234567890123448e1e9aabb02/config {",
                            0) == 0);
  BOOST_TEST(lines[0].find(R"("supported_color_modes":["rgb","color_temp"])") != std::string::npos);
  BOOST_TEST(lines[0].find("http://10.0.0.7/") != std::string::npos);
  BOOST_TEST(bulb_err.str().find("Appliance.Hub.Mts100.ScheduleB") != std::string::npos);
  std::filesystem::remove(bulb);
}

BOOST_AUTO_TEST_CASE(unreadable_or_meaningless_files_fail_with_a_reason) {
  std::ostringstream out, err;
  BOOST_TEST(bridge::run_inspect("/nonexistent/meross.csv", out, err) == 1);
  BOOST_TEST(err.str().find("cannot open") != std::string::npos);
  BOOST_TEST(out.str().empty());

  for (const std::string& text :
       {std::string("not a trace at all"), std::string("{\"x\":1}"), std::string("{\"all\":[]}"),
        std::string("\x01\x02\x03"), std::string(R"({"all":{"system":{"hardware":{}}}})")}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(!discovery::inspect("file.json", text).ok());
      BOOST_TEST(!discovery::inspect("file.csv", text).ok());
    }
  }
  const auto bad = temp_file("meross_inspect_bad.json", "{\"all\":[]}");
  std::ostringstream bad_out, bad_err;
  BOOST_TEST(bridge::run_inspect(bad.string(), bad_out, bad_err) == 1);
  BOOST_TEST(!bad_err.str().empty());
  std::filesystem::remove(bad);
}

BOOST_AUTO_TEST_SUITE_END()
