// HA commands → device requests (method, namespace, payload); invalid commands are rejected.

#include <ostream>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "mapping/support.hpp"

namespace meross::mapping {
std::ostream& operator<<(std::ostream& out, const DeviceRequest& r) {
  return out << protocol::to_string(r.method) << ' ' << r.ns << ' ' << r.payload_json;
}
}  // namespace meross::mapping

using namespace meross;
using mapping::DeviceRequest;
using protocol::Method;
using test::parse;

namespace {

std::vector<DeviceRequest> plan(const protocol::DeviceProfile& p, const mapping::DeviceState& s,
                                const std::string& key, const std::string& command) {
  auto result = mapping::command_to_request(p, s, key, command);
  BOOST_REQUIRE_MESSAGE(
      result.ok(), key + " " + command + ": " + (result.ok() ? "" : result.error().describe()));
  return std::move(result).value();
}

std::string rejected(const protocol::DeviceProfile& p, const mapping::DeviceState& s,
                     const std::string& key, const std::string& command) {
  auto result = mapping::command_to_request(p, s, key, command);
  BOOST_TEST(!result.ok(), key << " accepted " << command);
  return result.ok() ? "" : result.error().describe();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_commands)

BOOST_AUTO_TEST_CASE(switch_on_off_through_togglex) {
  const auto p = test::trace_profile("mss310.csv");
  const auto requests = plan(p, {}, "switch_0", "ON");
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  BOOST_TEST(requests[0] == (DeviceRequest{Method::Set, "Appliance.Control.ToggleX",
                                           R"({"togglex":{"channel":0,"onoff":1}})"}));
  BOOST_TEST((requests[1].method == Method::Get && requests[1].ns == "Appliance.Control.ToggleX"));
  BOOST_TEST(plan(p, {}, "switch_0", "OFF")[0].payload_json ==
             R"({"togglex":{"channel":0,"onoff":0}})");
}

BOOST_AUTO_TEST_CASE(legacy_toggle) {
  const auto p = test::trace_profile("mss310.2024");
  const auto requests = plan(p, {}, "switch_0", "OFF");
  BOOST_TEST(requests[0] ==
             (DeviceRequest{Method::Set, "Appliance.Control.Toggle", R"({"toggle":{"onoff":0}})"}));
}

BOOST_AUTO_TEST_CASE(strip_outlets_are_named_and_addressed_by_channel) {
  const auto p = test::mss425f_profile();
  const auto entities = mapping::entities_for(p);
  std::vector<std::string> names;
  for (const auto& e : entities) {
    if (e.component == mapping::Component::Switch && e.category == mapping::Category::None) {
      BOOST_REQUIRE(e.name);
      names.push_back(*e.name);
      BOOST_TEST(e.device_class == "outlet");
    }
  }
  BOOST_TEST(
      names == (std::vector<std::string>{"Outlet 1", "Outlet 2", "Outlet 3", "Outlet 4", "USB"}),
      boost::test_tools::per_element());
  BOOST_TEST(plan(p, {}, "switch_4", "ON")[0].payload_json ==
             R"({"togglex":{"channel":4,"onoff":1}})");
  BOOST_TEST(plan(p, {}, "switch_2", "OFF")[0].payload_json ==
             R"({"togglex":{"channel":2,"onoff":0}})");
  // System.All digest: channel c is on when c is odd.
  mapping::DeviceState s;
  const auto batch =
      test::states(p, s, "Appliance.System.All", "GETACK",
                   R"({"all":{"system":{"hardware":{"type":"mss425f"}},"digest":{"togglex":[)"
                   R"({"channel":3,"onoff":1},{"channel":4,"onoff":0}]}}})");
  BOOST_TEST(test::state_of(batch, "switch_3") == "ON");
  BOOST_TEST(test::state_of(batch, "switch_4") == "OFF");
}

BOOST_AUTO_TEST_CASE(switch_commands_must_be_on_or_off) {
  const auto p = test::trace_profile("mss310.csv");
  for (const std::string& garbage : std::vector<std::string>{"on", "1", "", "{\"state\":\"ON\"}",
                                                             "TOGGLE", std::string("O\0N", 3)}) {
    rejected(p, {}, "switch_0", garbage);
  }
  BOOST_TEST(rejected(p, {}, "power_0", "ON").find("power_0") != std::string::npos);
  rejected(p, {}, "switch_7", "ON");
  rejected(p, {}, "nonsense", "ON");
}

BOOST_AUTO_TEST_CASE(bulb_rgb_colour_temperature_brightness) {
  for (int capacity : {7, 15}) {
    BOOST_TEST_CONTEXT("capacity " << capacity) {
      const auto p = test::msl120_profile(capacity);
      mapping::DeviceState s;
      // Known state from the digest: capacity 6, temperature 100, luminance 80, ToggleX on.
      test::states(p, s, "Appliance.System.All", "GETACK",
                   R"({"all":{"system":{"hardware":{"type":"msl120d"}},"digest":{)"
                   R"("togglex":[{"channel":0,"onoff":1}],"light":{"capacity":6,"channel":0,)"
                   R"("rgb":16711680,"temperature":100,"luminance":80}}}})");

      auto requests = plan(p, s, "light_0",
                           R"({"state":"ON","color":{"r":255,"g":128,"b":0},"brightness":40})");
      BOOST_REQUIRE_GE(requests.size(), 3u);
      BOOST_TEST(
          requests[0] ==
          (DeviceRequest{Method::Set, "Appliance.Control.Light",
                         R"({"light":{"channel":0,"capacity":5,"rgb":16744448,"luminance":40}})"}));
      BOOST_TEST(requests[1] == (DeviceRequest{Method::Set, "Appliance.Control.ToggleX",
                                               R"({"togglex":{"channel":0,"onoff":1}})"}));
      BOOST_TEST(
          (requests[2].method == Method::Get && requests[2].ns == "Appliance.Control.Light"));

      requests = plan(p, s, "light_0", R"({"state":"ON","color_temp":2700})");
      BOOST_TEST(requests[0].payload_json ==
                 R"({"light":{"channel":0,"capacity":6,"temperature":1,"luminance":80}})");
      // Brightness alone keeps the current mode (temperature 100 from the digest).
      requests = plan(p, s, "light_0", R"({"state":"ON","brightness":100,"transition":2})");
      BOOST_TEST(requests[0].payload_json ==
                 R"({"light":{"channel":0,"capacity":6,"temperature":100,"luminance":100}})");
      // On/off alone goes through ToggleX.
      requests = plan(p, s, "light_0", R"({"state":"OFF"})");
      BOOST_TEST(requests[0].payload_json == R"({"togglex":{"channel":0,"onoff":0}})");
      requests = plan(p, s, "light_0", R"({"state":"ON"})");
      BOOST_TEST(requests[0].payload_json == R"({"togglex":{"channel":0,"onoff":1}})");
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_light_commands_are_rejected) {
  const auto p = test::msl120_profile(7);
  const mapping::DeviceState s;
  for (const char* command :
       {R"(garbage)", R"([1,2])", R"({"brightness":10})", R"({"state":"MAYBE"})",
        R"({"state":"ON","brightness":0})", R"({"state":"ON","brightness":101})",
        R"({"state":"ON","brightness":"50"})", R"({"state":"ON","color_mode":"hs"})",
        R"({"state":"ON","color_mode":7})", R"({"state":"ON","color":{"h":10,"s":20}})",
        R"({"state":"ON","color":{"r":256,"g":0,"b":0}})", R"({"state":"ON","color":"red"})",
        R"({"state":"ON","color_temp":153})", R"({"state":"ON","color_temp":9000})",
        R"({"state":"ON","effect":"Party"})",
        R"({"state":"ON","color":{"r":1,"g":2,"b":3},"color_temp":3000})"}) {
    BOOST_TEST_CONTEXT(command) {
      BOOST_TEST(!rejected(p, s, "light_0", command).empty());
    }
  }
  // A colour-temperature-only bulb rejects rgb; a dimmable-only one rejects temperature.
  rejected(test::msl120_profile(6), s, "light_0", R"({"state":"ON","color":{"r":1,"g":2,"b":3}})");
  rejected(test::msl120_profile(4), s, "light_0", R"({"state":"ON","color_temp":3000})");
}

BOOST_AUTO_TEST_CASE(light_without_togglex_switches_through_light_onoff) {
  auto p = test::msl120_profile(5);
  p.set_channels("togglex", {});
  const auto off = plan(p, {}, "light_0", R"({"state":"OFF"})");
  BOOST_TEST(off[0] == (DeviceRequest{Method::Set, "Appliance.Control.Light",
                                      R"({"light":{"channel":0,"onoff":0}})"}));
  const auto on = plan(p, {}, "light_0", R"({"state":"ON","brightness":30})");
  BOOST_TEST(on[0].payload_json ==
             R"({"light":{"channel":0,"capacity":4,"luminance":30,"onoff":1}})");
}

BOOST_AUTO_TEST_CASE(light_effect_selects_the_recorded_effect) {
  const auto p = test::trace_profile("msl450");
  mapping::DeviceState s;
  test::replay(p, s, "msl450", "Appliance.Control.Light.Effect", "GETACK");
  const auto requests =
      plan(p, s, "light_0", R"({"state":"ON","effect":")" + s.effect_names[1] + "\"}");
  BOOST_TEST(requests[0].ns == "Appliance.Control.Light.Effect");
  const auto doc = parse(requests[0].payload_json);
  BOOST_TEST(std::string(doc["effect"][0]["effectName"].GetString()) == s.effect_names[1]);
  BOOST_TEST(doc["effect"][0]["enable"].GetInt() == 1);
  BOOST_TEST(requests[1].payload_json == R"({"togglex":{"channel":0,"onoff":1}})");
}

BOOST_AUTO_TEST_CASE(garage_door_open_close) {
  const auto p = test::trace_profile("msg200.json.txt");
  BOOST_TEST(plan(p, {}, "garage_2", "OPEN")[0] ==
             (DeviceRequest{Method::Set, "Appliance.GarageDoor.State",
                            R"({"state":{"channel":2,"open":1}})"}));
  BOOST_TEST(plan(p, {}, "garage_3", "CLOSE")[0].payload_json ==
             R"({"state":{"channel":3,"open":0}})");
  rejected(p, {}, "garage_1", "STOP");
  rejected(p, {}, "garage_0", "OPEN");  // msg200 doors are channels 1..3
  const auto msg100 = test::trace_profile("msg100");
  // The trace's own SET: {"state":{"channel":0,"open":0}}.
  BOOST_TEST((parse(plan(msg100, {}, "garage_0", "CLOSE")[0].payload_json) ==
              parse(test::recorded("msg100", "Appliance.GarageDoor.State", "SET"))));
}

BOOST_AUTO_TEST_CASE(roller_shutter_positions) {
  const auto p = test::trace_profile("mrs100");
  BOOST_TEST(plan(p, {}, "shutter_0", "STOP")[0].payload_json ==
             R"({"position":{"channel":0,"position":-1}})");
  BOOST_TEST(plan(p, {}, "shutter_0", "OPEN")[0].payload_json ==
             R"({"position":{"channel":0,"position":100}})");
  BOOST_TEST(plan(p, {}, "shutter_0", "40")[0].payload_json ==
             R"({"position":{"channel":0,"position":40}})");
  for (const char* bad : {"101", "-1", "4x", "", "open"})
    rejected(p, {}, "shutter_0", bad);
}

BOOST_AUTO_TEST_CASE(led_is_dnd_inverted) {
  const auto p = test::trace_profile("mss310.2024");
  BOOST_TEST(plan(p, {}, "led", "OFF")[0] ==
             (DeviceRequest{Method::Set, "Appliance.System.DNDMode", R"({"DNDMode":{"mode":1}})"}));
  BOOST_TEST(plan(p, {}, "led", "ON")[0].payload_json == R"({"DNDMode":{"mode":0}})");
}

BOOST_AUTO_TEST_CASE(polls_only_for_abilities_present) {
  const auto mss310 = mapping::polls_for(test::trace_profile("mss310.csv"));
  const auto has = [](const std::vector<mapping::Poll>& polls, const std::string& ns,
                      mapping::PollKind kind) {
    return std::any_of(polls.begin(), polls.end(),
                       [&](const auto& p) { return p.ns == ns && p.kind == kind; });
  };
  BOOST_TEST(has(mss310, "Appliance.Control.Electricity", mapping::PollKind::Electricity));
  BOOST_TEST(has(mss310, "Appliance.Control.ConsumptionX", mapping::PollKind::Consumption));
  const auto plug = mapping::polls_for(test::trace_profile("mss100.json.txt"));
  BOOST_TEST(!has(plug, "Appliance.Control.Electricity", mapping::PollKind::Electricity));
  BOOST_TEST(!has(plug, "Appliance.Control.ConsumptionX", mapping::PollKind::Consumption));
  const auto em06 = mapping::polls_for(test::trace_profile("em06.json.txt"));
  BOOST_TEST(has(em06, "Appliance.Control.ElectricityX", mapping::PollKind::Electricity));
  BOOST_TEST(has(em06, "Appliance.Control.ConsumptionH", mapping::PollKind::Consumption));
  BOOST_TEST(mapping::default_interval_seconds(mapping::PollKind::Electricity) == 30);
  BOOST_TEST(mapping::default_interval_seconds(mapping::PollKind::Consumption) == 300);
  for (const auto& poll : em06)
    BOOST_TEST(parse(poll.payload_json).IsObject());
}

BOOST_AUTO_TEST_CASE(unmapped_abilities_are_listed) {
  // What a family reads is mapped; the rest of a feature's namespaces is listed.
  const auto mts = mapping::unmapped_abilities(test::trace_profile("mts200b"));
  BOOST_TEST(std::count(mts.begin(), mts.end(), "Appliance.Control.Thermostat.Mode") == 0);
  BOOST_TEST(std::count(mts.begin(), mts.end(), "Appliance.Control.Thermostat.Schedule") == 1);
  const auto hub = mapping::unmapped_abilities(test::trace_profile("msh300-2024"));
  BOOST_TEST(std::count(hub.begin(), hub.end(), "Appliance.Hub.Mts100.Temperature") == 0);
  BOOST_TEST(std::count(hub.begin(), hub.end(), "Appliance.Hub.Mts100.ScheduleB") == 1);
}

// Every namespace counts (issue 17), not only those of a few known features: the note is the
// whole list of what a device has beyond its entities and the protocol the bridge speaks itself.
BOOST_AUTO_TEST_CASE(unmapped_abilities_are_every_namespace_but_the_protocol_machinery) {
  using List = std::vector<std::string>;
  // A plug: its on-device schedules. System.*, Config.Key/Wifi*, Multiple, Bind, Digest.* and
  // the ConsumptionConfig the session echoes are the bridge's own business.
  BOOST_TEST(mapping::unmapped_abilities(test::trace_profile("mss310.csv")) ==
                 (List{"Appliance.Control.TimerX", "Appliance.Control.TriggerX"}),
             boost::test_tools::per_element());
  BOOST_TEST(mapping::unmapped_abilities(test::trace_profile("mss305")) ==
                 (List{"Appliance.Config.StandbyKiller", "Appliance.Control.AlertReport",
                       "Appliance.Control.OverTemp", "Appliance.Control.TimerX",
                       "Appliance.Control.TriggerX"}),
             boost::test_tools::per_element());
  BOOST_TEST(mapping::unmapped_abilities(test::trace_profile("ms600")) ==
                 (List{"Appliance.Control.Presence.Study", "Appliance.Control.Sensor.HistoryX"}),
             boost::test_tools::per_element());
  BOOST_TEST(mapping::unmapped_abilities(test::trace_profile("em06")) ==
                 (List{"Appliance.Control.AlertConfig", "Appliance.Control.AlertReport",
                       "Appliance.Control.CircuitFactor", "Appliance.Control.Sensor.History"}),
             boost::test_tools::per_element());

  // A namespace nobody has seen yet is listed too; the machinery beside it is not.
  const auto made_up = test::profile_from(
      test::system_all("mss310", "1901011234567890123448e1e9aabb77", "48:e1:e9:aa:bb:77", "2.0.0",
                       "2.1.17", R"({"togglex":[{"channel":0,"onoff":1}]})"),
      R"({"ability":{"Appliance.System.All":{},"Appliance.System.Clock":{},)"
      R"("Appliance.Encrypt.ECDHE":{},"Appliance.Digest.TimerX":{},"Appliance.Config.Key":{},)"
      R"("Appliance.Control.ToggleX":{},"Appliance.Control.Whatever":{}}})");
  BOOST_TEST(mapping::unmapped_abilities(made_up) == (List{"Appliance.Control.Whatever"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
