// The ms600 presence sensor (issue 17, device-families.md §5) on its trace: readings from
// Sensor.LatestX, settings from Presence.Config, the SET of one changed value, and refusals.

#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/unqualified.hpp"

using test::refused;

namespace {

constexpr const char* kLatestX = "Appliance.Control.Sensor.LatestX";
constexpr const char* kConfig = "Appliance.Control.Presence.Config";

DeviceProfile ms600() {
  return test::trace_profile("ms600");
}

std::vector<std::string> config_set(const std::string& group) {
  return {std::string("SET ") + kConfig + R"( {"config":[{"channel":0,)" + group + "}]}",
          std::string("GET ") + kConfig + R"( {"config":[{"channel":0}]})"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(presence)

BOOST_AUTO_TEST_CASE(ms600_entities) {
  const auto p = ms600();
  const auto entities = mapping::entities_for(p);
  const auto& occupancy = test::entity(entities, "occupancy_0");
  BOOST_TEST(mapping::to_string(occupancy.component) == "binary_sensor");
  BOOST_TEST(occupancy.device_class == "occupancy");
  BOOST_TEST(test::entity(entities, "motion_0").device_class == "motion");
  const auto& distance = test::entity(entities, "distance_0");
  BOOST_TEST(distance.unit == "m");
  BOOST_TEST(distance.device_class == "distance");
  BOOST_TEST(test::entity(entities, "illuminance_0").unit == "lx");

  const auto& no_body = test::entity(entities, "no_body_time_0");
  BOOST_TEST(mapping::to_string(no_body.component) == "number");
  BOOST_TEST(mapping::to_string(no_body.category) == "config");
  BOOST_TEST(test::option(no_body, "min") == "1");
  BOOST_TEST(test::option(no_body, "max") == "3600");
  const auto& range = test::entity(entities, "detection_distance_0");
  BOOST_TEST(test::option(range, "min") == "0.1");
  BOOST_TEST(test::option(range, "max") == "12");
  BOOST_TEST(range.unit == "m");
  const auto& sensitivity = test::entity(entities, "sensitivity_0");
  BOOST_TEST(test::option(sensitivity, "options") == R"(["low","medium","high"])");
  BOOST_TEST(sensitivity.enabled_by_default);
  for (const char* hidden : {"work_mode_0", "test_mode_0", "mth1_0", "mth2_0", "mth3_0"}) {
    BOOST_TEST(!test::entity(entities, hidden).enabled_by_default, hidden);
    BOOST_TEST(mapping::to_string(test::entity(entities, hidden).category) == "config");
  }
}

BOOST_AUTO_TEST_CASE(ms600_discovery_passes_the_rules_checker) {
  const auto p = ms600();
  test::expect_valid_discovery(p);
}

BOOST_AUTO_TEST_CASE(recorded_push_and_config) {
  const auto p = ms600();
  DeviceState s;
  // The trace's PUSH: a person still at 5.76 m.
  const auto push = test::replay(p, s, "ms600", kLatestX, "PUSH");
  BOOST_TEST(state_of(push, "occupancy_0") == "ON");
  BOOST_TEST(state_of(push, "motion_0") == "OFF");
  BOOST_TEST(state_of(push, "distance_0") == "5.76");
  // The trace's GETACK with items (the first answered `[]`: the GET named no channel).
  const auto config = test::replay(p, s, "ms600", kConfig, "GETACK", 1);
  BOOST_TEST(state_of(config, "no_body_time_0") == "15");
  BOOST_TEST(state_of(config, "detection_distance_0") == "8.1");
  BOOST_TEST(state_of(config, "sensitivity_0") == "high");
  BOOST_TEST(state_of(config, "work_mode_0") == "1");
  BOOST_TEST(state_of(config, "test_mode_0") == "2");
  BOOST_TEST(state_of(config, "mth1_0") == "120");
  BOOST_TEST(state_of(config, "mth3_0") == "72");
}

BOOST_AUTO_TEST_CASE(motion_nobody_and_light) {
  const auto p = ms600();
  DeviceState s;
  const auto moving = test::states(
      p, s, kLatestX, "PUSH",
      R"({"latest":[{"channel":0,"data":{"presence":[{"distance":1200,"value":2,"timestamp":1,"times":3}],)"
      R"("light":[{"value":24,"timestamp":1}]}}]})");
  BOOST_TEST(state_of(moving, "occupancy_0") == "ON");
  BOOST_TEST(state_of(moving, "motion_0") == "ON");
  BOOST_TEST(state_of(moving, "distance_0") == "1.2");
  BOOST_TEST(state_of(moving, "illuminance_0") == "24");
  const auto nobody = test::states(
      p, s, kLatestX, "PUSH",
      R"({"latest":[{"channel":0,"data":{"presence":[{"distance":0,"value":0,"timestamp":2}]}}]})");
  BOOST_TEST(state_of(nobody, "occupancy_0") == "OFF");
  BOOST_TEST(state_of(nobody, "motion_0") == "OFF");
  BOOST_TEST(state_of(nobody, "illuminance_0") == "");
  // A partial config (a PUSH of one group) updates only what it carries.
  const auto partial =
      test::states(p, s, kConfig, "PUSH", R"({"config":[{"channel":0,"noBodyTime":{"time":30}}]})");
  BOOST_TEST(partial.updates.size() == 1u);
  BOOST_TEST(state_of(partial, "no_body_time_0") == "30");
  // A SETACK carries nothing.
  BOOST_TEST(test::states(p, s, kConfig, "SETACK", "{}").updates.empty());
}

BOOST_AUTO_TEST_CASE(polls_name_the_data_and_the_channel) {
  const auto polls = mapping::polls_for(ms600());
  bool latest = false, config = false;
  for (const auto& poll : polls) {
    if (poll.ns == kLatestX) {
      latest = true;
      BOOST_TEST(poll.payload_json == R"({"latest":[{"channel":0,"data":["presence","light"]}]})");
      BOOST_TEST(static_cast<int>(poll.kind) == static_cast<int>(mapping::PollKind::Slow));
    }
    if (poll.ns == kConfig) {
      config = true;
      BOOST_TEST(poll.payload_json == R"({"config":[{"channel":0}]})");
    }
  }
  BOOST_TEST(latest);
  BOOST_TEST(config);
}

BOOST_AUTO_TEST_CASE(settings_set_only_the_changed_value) {
  const auto p = ms600();
  BOOST_TEST(sent(p, {}, "no_body_time_0", "30") == config_set(R"("noBodyTime":{"time":30})"));
  BOOST_TEST(sent(p, {}, "detection_distance_0", "6") ==
             config_set(R"("distance":{"value":6000})"));
  BOOST_TEST(sent(p, {}, "detection_distance_0", "0.1") ==
             config_set(R"("distance":{"value":100})"));
  BOOST_TEST(sent(p, {}, "detection_distance_0", " 12.0 ") ==
             config_set(R"("distance":{"value":12000})"));
  BOOST_TEST(sent(p, {}, "sensitivity_0", "low") == config_set(R"("sensitivity":{"level":0})"));
  BOOST_TEST(sent(p, {}, "work_mode_0", "2") == config_set(R"("mode":{"workMode":2})"));
  BOOST_TEST(sent(p, {}, "test_mode_0", "0") == config_set(R"("mode":{"testMode":0})"));
  BOOST_TEST(sent(p, {}, "mth2_0", "500") == config_set(R"("mthx":{"mth2":500})"));
}

BOOST_AUTO_TEST_CASE(out_of_range_and_malformed_commands_are_refused) {
  const auto p = ms600();
  for (const char* bad : {"20", "abc", "0", "0.05", "12.1", "-1", "", "nan", "inf", "6m", "1.2345"})
    refused(p, "detection_distance_0", bad);
  for (const char* bad : {"0", "3601", "30.5", "x", "1e9"})
    refused(p, "no_body_time_0", bad);
  for (const char* bad : {"3", "HIGH", "2", ""})
    refused(p, "sensitivity_0", bad);
  for (const char* bad : {"3", "-1", "off"})
    refused(p, "work_mode_0", bad);
  for (const char* bad : {"0", "1001"})
    refused(p, "mth1_0", bad);
  // Readings take no commands.
  refused(p, "occupancy_0", "ON");
  refused(p, "distance_0", "1");
}

BOOST_AUTO_TEST_CASE(wrongly_typed_payloads_are_errors) {
  const auto p = ms600();
  DeviceState s;
  for (const char* bad : {
           R"({"latest":"x"})",
           R"({"latest":[{"channel":0,"data":[]}]})",
           R"({"latest":[{"channel":0,"data":{"presence":"x"}}]})",
           R"({"latest":[{"channel":0,"data":{"presence":[5]}}]})",
           R"({"latest":[{"channel":0,"data":{"presence":[{"value":"x"}]}}]})",
           R"({"latest":[{"channel":0,"data":{"presence":[{"value":1,"distance":[]}]}}]})",
           R"({"latest":[{"channel":0,"data":{"light":[{"value":{}}]}}]})",
       }) {
    BOOST_TEST(
        !mapping::states_from(p, s, kLatestX, protocol::Method::Push, std::string(bad), {}).ok(),
        bad);
  }
  for (const char* bad : {
           R"({"config":7})",
           R"({"config":[{"channel":0,"noBodyTime":5}]})",
           R"({"config":[{"channel":0,"distance":{"value":"far"}}]})",
           R"({"config":[{"channel":0,"mthx":{"mth1":true}}]})",
       }) {
    BOOST_TEST(
        !mapping::states_from(p, s, kConfig, protocol::Method::GetAck, std::string(bad), {}).ok(),
        bad);
  }
  // A select value the entity has no option for is left out and reported, the rest mapped.
  const auto odd = test::states(
      p, s, kConfig, "GETACK",
      R"({"config":[{"channel":0,"sensitivity":{"level":7},"noBodyTime":{"time":60}}]})");
  BOOST_TEST(state_of(odd, "sensitivity_0") == "");
  BOOST_TEST(state_of(odd, "no_body_time_0") == "60");
  BOOST_TEST(odd.dropped.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
