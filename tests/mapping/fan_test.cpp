// Fans (issue 17, device-families.md §4): the map100 purifier (trace) and the mfc100 ceiling fan
// (hand-written from §4.3) as Home Assistant fans whose speed topics carry the device's levels.

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/unqualified.hpp"

namespace {

const std::string kFan = "Appliance.Control.Fan";
const std::string kToggleX = "Appliance.Control.ToggleX";
const std::string kFilter = "Appliance.Control.FilterMaintenance";

// An mfc100 as §4.3 describes it: ToggleX 0 (power), 1 (light), 2 (fan); fan speed 3 of 3.
protocol::DeviceProfile mfc100_profile() {
  return test::profile_from(
      test::system_all(
          "mfc100", "2301011234567890123448e1e9aabb10", "48:e1:e9:aa:bb:10", "7.0.0", "7.3.14",
          R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0},)"
          R"({"channel":1,"onoff":0,"lmTime":0},{"channel":2,"onoff":1,"lmTime":0}],)"
          R"("light":{"capacity":4,"channel":1,"luminance":100,"onoff":0},)"
          R"("fan":[{"channel":2,"speed":3,"maxSpeed":3}],"triggerx":[],"timerx":[]})"),
      R"({"payloadVersion":1,"ability":{"Appliance.System.All":{},"Appliance.System.Ability":{},)"
      R"("Appliance.Control.ToggleX":{},"Appliance.Control.Light":{"capacity":4},)"
      R"("Appliance.Control.Fan":{},"Appliance.Control.Fan.Config":{},)"
      R"("Appliance.Control.PowerRetention":{}}})");
}

mapping::StateBatch all(const protocol::DeviceProfile& p, mapping::DeviceState& s) {
  return states(p, s, "Appliance.System.All", "GETACK",
                test::recorded("map100", "Appliance.System.All", "GETACK"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fans)

BOOST_AUTO_TEST_CASE(the_mfc100_has_a_fan_on_channel_2_a_light_on_1_and_a_switch_on_0) {
  const auto p = mfc100_profile();
  mapping::DeviceState s;
  const auto entities = mapping::entities_for(p, s);
  const auto keys = keys_of(entities);
  BOOST_TEST(has(keys, "fan_2"));
  BOOST_TEST(has(keys, "light_1"));
  BOOST_TEST(has(keys, "switch_0"));
  BOOST_TEST(!has(keys, "switch_2"));
  BOOST_TEST(!has(keys, "fan_0"));
  const auto& fan = test::entity(entities, "fan_2");
  BOOST_TEST((fan.component == mapping::Component::Fan));
  BOOST_TEST(fan.has_command);
  BOOST_TEST(test::option(fan, "speed_range_min") == "1");
  BOOST_TEST(test::option(fan, "speed_range_max") == "3");
  BOOST_TEST(test::option(fan, "percentage_command_topic") == "\"{command_topic:fan_2_speed}\"");
  BOOST_TEST(test::option(fan, "percentage_state_topic") == "\"{state_topic:fan_2_speed}\"");
  // The digest carries the speed: nothing to poll.
  for (const auto& poll : mapping::polls_for(p, s))
    BOOST_TEST(poll.ns != kFan);
}

BOOST_AUTO_TEST_CASE(the_mfc100_digest_and_togglex_give_the_fan_state) {
  const auto p = mfc100_profile();
  mapping::DeviceState s;
  auto batch =
      states(p, s, "Appliance.System.All", "GETACK",
             R"({"all":{"digest":{"togglex":[{"channel":0,"onoff":1},{"channel":2,"onoff":1}],)"
             R"("fan":[{"channel":2,"speed":2,"maxSpeed":3}]}}})");
  BOOST_TEST(state_of(batch, "fan_2") == "ON");
  BOOST_TEST(state_of(batch, "fan_2_speed") == "2");
  BOOST_TEST(state_of(batch, "switch_0") == "ON");
  batch = states(p, s, kToggleX, "PUSH", R"({"togglex":[{"channel":2,"onoff":0}]})");
  BOOST_TEST(state_of(batch, "fan_2") == "OFF");
  BOOST_TEST(state_of(batch, "fan_2_speed") == "0");
  BOOST_TEST(state_of(batch, "switch_2") == "");
  // The made-up channel-0 fan of a GET is no fan.
  batch = states(p, s, kFan, "GETACK", R"({"fan":[{"channel":0,"speed":1,"maxSpeed":1}]})");
  BOOST_TEST(batch.updates.empty());
  BOOST_TEST(!batch.entities_changed);
}

BOOST_AUTO_TEST_CASE(a_speed_from_home_assistant_is_the_exact_fan_set) {
  const auto p = mfc100_profile();
  mapping::DeviceState s;
  states(p, s, "Appliance.System.All", "GETACK",
         R"({"all":{"digest":{"togglex":[{"channel":2,"onoff":1}],)"
         R"("fan":[{"channel":2,"speed":3,"maxSpeed":3}]}}})");
  const auto r = sent(p, s, "fan_2_speed", "2");
  BOOST_REQUIRE(r.size() == 3u);
  BOOST_TEST(r[0] == R"(SET Appliance.Control.Fan {"fan":[{"channel":2,"speed":2}]})");
  BOOST_TEST(r[1] == R"(GET Appliance.Control.ToggleX {"togglex":[]})");
  BOOST_TEST(r[2] == R"(GET Appliance.Control.Fan {"fan":[{"channel":2}]})");
  // 0 = off: the relay, the speed kept for next time.
  BOOST_TEST(sent(p, s, "fan_2_speed", "0")[0] ==
             R"(SET Appliance.Control.ToggleX {"togglex":{"channel":2,"onoff":0}})");
  BOOST_TEST(sent(p, s, "fan_2", "OFF")[0] ==
             R"(SET Appliance.Control.ToggleX {"togglex":{"channel":2,"onoff":0}})");
  // The readback tells the new speed.
  const auto batch =
      states(p, s, kFan, "GETACK", R"({"fan":[{"channel":2,"speed":2,"maxSpeed":3}]})");
  BOOST_TEST(state_of(batch, "fan_2_speed") == "2");
}

BOOST_AUTO_TEST_CASE(speeds_that_are_no_level_are_refused_not_clamped) {
  const auto p = mfc100_profile();
  mapping::DeviceState s;
  for (const char* bad : {"150", "4", "-1", "abc", "", "1.5", "2x", "66%", "ON"}) {
    BOOST_TEST(!mapping::command_to_request(p, s, "fan_2_speed", bad).ok(), bad);
  }
  BOOST_TEST(!mapping::command_to_request(p, s, "fan_2", "HALF").ok());
  BOOST_TEST(!mapping::command_to_request(p, s, "fan_0_speed", "1").ok());
  BOOST_TEST(!mapping::command_to_request(p, s, "fan_7", "ON").ok());
}

BOOST_AUTO_TEST_CASE(wrongly_typed_fan_payloads_are_errors) {
  const auto p = mfc100_profile();
  for (const char* bad :
       {R"({"fan":[{"channel":2,"speed":"fast"}]})", R"({"fan":[{"channel":2,"maxSpeed":[]}]})",
        R"({"fan":[{"channel":2,"speed":9,"maxSpeed":3}]})",
        R"({"fan":[{"channel":2,"maxSpeed":0}]})", R"({"fan":[{"channel":2,"maxSpeed":100000}]})",
        R"({"fan":"x"})", R"({"fan":[3]})"}) {
    mapping::DeviceState s;
    BOOST_TEST(
        !mapping::states_from(p, s, kFan, protocol::Method::GetAck, std::string(bad), {}).ok(),
        bad);
  }
  mapping::DeviceState s;
  BOOST_TEST(!mapping::states_from(p, s, "Appliance.System.All", protocol::Method::GetAck,
                                   std::string(R"({"all":{"digest":{"fan":"none"}}})"), {})
                  .ok());
}

BOOST_AUTO_TEST_CASE(a_new_max_speed_changes_the_speed_range) {
  const auto p = mfc100_profile();
  mapping::DeviceState s;
  const auto batch =
      states(p, s, kFan, "GETACK", R"({"fan":[{"channel":2,"speed":4,"maxSpeed":6}]})");
  BOOST_TEST(batch.entities_changed);
  const auto entities = mapping::entities_for(p, s);
  BOOST_TEST(test::option(test::entity(entities, "fan_2"), "speed_range_max") == "6");
  BOOST_TEST(mapping::command_to_request(p, s, "fan_2_speed", "6").ok());
}

BOOST_AUTO_TEST_CASE(the_map100_fan_absorbs_togglex_channel_0) {
  const auto p = test::trace_profile("map100");
  mapping::DeviceState s;
  const auto entities = mapping::entities_for(p, s);
  const auto keys = keys_of(entities);
  BOOST_TEST(has(keys, "fan_0"));
  BOOST_TEST(!has(keys, "switch_0"));
  BOOST_TEST(!test::entity(entities, "fan_0").name.has_value());  // the main entity
  const auto& filter = test::entity(entities, "filter_0");
  BOOST_TEST((filter.category == mapping::Category::Diagnostic));
  BOOST_TEST(filter.unit == "%");
  // No fan digest: the Fan is asked for, naming the channel.
  const auto polls = mapping::polls_for(p, s);
  BOOST_TEST(std::any_of(polls.begin(), polls.end(), [](const mapping::Poll& poll) {
    return poll.ns == kFan && poll.payload_json == R"({"fan":[{"channel":0}]})";
  }));

  auto batch = all(p, s);
  BOOST_TEST(state_of(batch, "fan_0") == "ON");  // the trace's relay is on
  BOOST_TEST(state_of(batch, "switch_0") == "");
  // The trace's bare Fan GET answers an empty list: nothing, no error.
  BOOST_TEST(states(p, s, kFan, "GETACK", R"({"fan":[]})").updates.empty());
  batch = states(p, s, kFan, "GETACK", R"({"fan":[{"channel":0,"speed":1,"maxSpeed":3}]})");
  BOOST_TEST(state_of(batch, "fan_0") == "ON");
  BOOST_TEST(state_of(batch, "fan_0_speed") == "1");
  batch = states(p, s, kToggleX, "GETACK", R"({"channel":0,"togglex":{"channel":0,"onoff":0}})");
  BOOST_TEST(state_of(batch, "fan_0") == "OFF");
}

BOOST_AUTO_TEST_CASE(the_map100_on_off_and_speed_commands) {
  const auto p = test::trace_profile("map100");
  mapping::DeviceState s;
  states(p, s, kToggleX, "PUSH", R"({"togglex":[{"channel":0,"onoff":0}]})");
  states(p, s, kFan, "GETACK", R"({"fan":[{"channel":0,"speed":2,"maxSpeed":3}]})");
  // ON: the relay; the purifier keeps its speed.
  auto r = sent(p, s, "fan_0", "ON");
  BOOST_TEST(r[0] == R"(SET Appliance.Control.ToggleX {"togglex":{"channel":0,"onoff":1}})");
  BOOST_TEST(r.back() == R"(GET Appliance.Control.Fan {"fan":[{"channel":0}]})");
  // A speed while off: the speed, then the relay on.
  r = sent(p, s, "fan_0_speed", "3");
  BOOST_REQUIRE(r.size() == 4u);
  BOOST_TEST(r[0] == R"(SET Appliance.Control.Fan {"fan":[{"channel":0,"speed":3}]})");
  BOOST_TEST(r[1] == R"(SET Appliance.Control.ToggleX {"togglex":{"channel":0,"onoff":1}})");
  r = sent(p, s, "fan_0", "OFF");
  BOOST_TEST(r[0] == R"(SET Appliance.Control.ToggleX {"togglex":{"channel":0,"onoff":0}})");
  BOOST_TEST(!mapping::command_to_request(p, s, "switch_0", "ON").ok());
  BOOST_TEST(!mapping::command_to_request(p, s, "fan_0_speed", "150").ok());
}

BOOST_AUTO_TEST_CASE(filter_life_from_filter_maintenance) {
  const auto p = test::trace_profile("map100");
  mapping::DeviceState s;
  auto batch = states(p, s, kFilter, "PUSH", R"({"filter":[{"channel":0,"life":87,"lmTime":1}]})");
  BOOST_TEST(state_of(batch, "filter_0") == "87");
  for (const char* bad : {R"({"filter":[{"channel":0,"life":"full"}]})",
                          R"({"filter":[{"channel":0,"life":101}]})", R"({"filter":7})"}) {
    BOOST_TEST(
        !mapping::states_from(p, s, kFilter, protocol::Method::Push, std::string(bad), {}).ok(),
        bad);
  }
}

BOOST_AUTO_TEST_CASE(fan_discovery_documents_pass_the_checker) {
  std::vector<discovery::Publication> docs;
  for (const auto& p : {mfc100_profile(), test::trace_profile("map100")}) {
    const auto more = discovery::device_config(p, mapping::entities_for(p), {});
    docs.insert(docs.end(), more.begin(), more.end());
  }
  BOOST_REQUIRE_EQUAL(docs.size(), 2u);
  const auto doc = test::parse(docs[0].payload);
  const auto& fan = doc["components"]["fan_2"];
  BOOST_TEST(std::string(fan["platform"].GetString()) == "fan");
  BOOST_TEST(fan["speed_range_min"].GetInt() == 1);
  BOOST_TEST(fan["speed_range_max"].GetInt() == 3);
  BOOST_TEST(std::string(fan["percentage_command_topic"].GetString()) ==
             "meross/2301011234567890123448e1e9aabb10/fan_2_speed/set");
  BOOST_TEST(std::string(fan["percentage_state_topic"].GetString()) ==
             "meross/2301011234567890123448e1e9aabb10/fan_2_speed/state");
  test::expect_valid_discovery(docs);
}

BOOST_AUTO_TEST_CASE(the_checker_knows_fans) {
  const std::string t = "homeassistant/device/x/config";
  const auto doc = [&](const std::string& body) {
    return R"({"device":{"identifiers":["x"],"name":"X"},"origin":{"name":"o"},)"
           R"("components":{"c":{"platform":"fan","unique_id":"u","name":"n",)" +
           body + "}}}";
  };
  const auto flags = [&](const std::string& body, const std::string& needle) {
    for (const auto& p : test::check_discovery({discovery::Publication{t, doc(body)}})) {
      if (p.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  BOOST_TEST(
      test::check_discovery({discovery::Publication{t, doc(R"("command_topic":"a/b")")}}).empty());
  BOOST_TEST(flags(R"("state_topic":"a/b")", "command_topic is required"));
  BOOST_TEST(flags(R"("command_topic":"a/b","speed_range_max":0)", "speed_range_max"));
  BOOST_TEST(
      flags(R"("command_topic":"a/b","speed_range_min":4,"speed_range_max":3)", "must not exceed"));
  BOOST_TEST(flags(R"("command_topic":"a/b","percentage_state_topic":"a/c")",
                   "without percentage_command_topic"));
  BOOST_TEST(flags(R"("command_topic":"a/b","speed_topic":"a/c")", "not a fan option"));
}

BOOST_AUTO_TEST_SUITE_END()
