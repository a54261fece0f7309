// Garage door and roller shutter settings (issue 17, device-families.md §7.6/§7.7) on their
// traces: GarageDoor.Config (msg100, one item for the device), MultipleConfig (msg200, per door)
// and RollerShutter.Config (mrs100) as config switches and numbers in s; the SET of one changed
// value and the GET that reads it back; refusals (never clamped) and wrongly typed answers.

#include <boost/test/unit_test.hpp>

#include "mapping/unqualified.hpp"

using test::refused;

namespace {

constexpr const char* kConfig = "Appliance.GarageDoor.Config";
constexpr const char* kMultiple = "Appliance.GarageDoor.MultipleConfig";
constexpr const char* kShutterConfig = "Appliance.RollerShutter.Config";

bool wrongly_typed(const DeviceProfile& p, const std::string& ns, const std::string& payload) {
  DeviceState s;
  return !mapping::states_from(p, s, ns, protocol::Method::GetAck, payload, {}).ok();
}

// A settings entity as Home Assistant must see it; `range` "min..max/step" for numbers (in s).
struct Setting {
  std::string key;
  mapping::Component component;
  std::string name;
  std::string range = "";
};

// The entities of `p`, checked for `settings`.
std::vector<mapping::Entity> expect_settings(const DeviceProfile& p,
                                             const std::vector<Setting>& settings) {
  auto entities = mapping::entities_for(p);
  for (const auto& [key, component, name, range] : settings) {
    const auto& e = test::entity(entities, key);
    BOOST_TEST((e.component == component), key);
    BOOST_TEST(e.name.value_or("") == name, key);
    BOOST_TEST((e.category == mapping::Category::Config), key);
    BOOST_TEST(e.has_command, key);
    if (component != mapping::Component::Number) continue;
    BOOST_TEST(e.unit == "s", key);
    BOOST_TEST(
        test::option(e, "min") + ".." + test::option(e, "max") + "/" + test::option(e, "step") ==
            range,
        key);
  }
  return entities;
}

// Maps the GETACK of `ns` recorded in trace `fragment` and checks the states it publishes
// (key → payload); the state it leaves, for what the test does next.
DeviceState expect_recorded_states(
    const DeviceProfile& p, const std::string& fragment, const std::string& ns,
    const std::vector<std::pair<std::string, std::string>>& expected) {
  DeviceState s;
  const auto read = states(p, s, ns, "GETACK", recorded(fragment, ns, "GETACK"));
  for (const auto& [key, payload] : expected)
    BOOST_TEST(state_of(read, key) == payload, key);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cover_settings)

BOOST_AUTO_TEST_CASE(msg100_has_device_wide_settings_from_garage_door_config) {
  const auto p = test::trace_profile("msg100-1637650619");
  const auto entities = expect_settings(
      p, {{"door_buzzer", Component::Switch, "Buzzer"},
          {"door_open_duration", Component::Number, "Open duration", "1..60/1"},
          {"door_close_duration", Component::Number, "Close duration", "1..60/1"},
          {"door_signal_duration", Component::Number, "Signal duration", "0.1..10/0.1"}});
  BOOST_TEST(!test::entity(entities, "door_signal_duration").enabled_by_default);

  expect_recorded_states(p, "msg100-1637650619", kConfig,
                         {{"door_buzzer", "OFF"},
                          {"door_open_duration", "30"},
                          {"door_close_duration", "30"},
                          {"door_signal_duration", "1"}});
}

BOOST_AUTO_TEST_CASE(msg200_has_settings_per_door_from_multiple_config) {
  const auto p = test::trace_profile("msg200.json.txt");
  const auto entities = expect_settings(
      p, {{"door_enable_1", Component::Switch, "Door 1 enabled"},
          {"door_buzzer_3", Component::Switch, "Door 3 buzzer"},
          {"door_open_duration_2", Component::Number, "Door 2 open duration", "1..60/1"},
          {"door_signal_close_2", Component::Number, "Door 2 close signal", "0.1..60/0.1"}});
  // The device-wide Config is not this firmware's.
  for (const auto& e : entities)
    BOOST_TEST(e.key != "door_buzzer");

  expect_recorded_states(p, "msg200.json.txt", kMultiple,
                         {{"door_enable_1", "ON"},
                          {"door_buzzer_1", "OFF"},
                          {"door_open_duration_2", "15"},
                          {"door_signal_open_2", "2"},
                          {"door_signal_close_1", "3"}});
}

BOOST_AUTO_TEST_CASE(mrs100_travel_times_are_settings_and_drive_the_travel_poll) {
  const auto p = test::trace_profile("mrs100");
  expect_settings(p, {{"shutter_open_time_0", Component::Number, "Open travel time", "1..60/1"},
                      {"shutter_close_time_0", Component::Number, "Close travel time", "1..60/1"}});

  auto s = expect_recorded_states(p, "mrs100", kShutterConfig,
                                  {{"shutter_open_time_0", "50"}, {"shutter_close_time_0", "50"}});
  // A time set from Home Assistant, read back: the next opening is polled for that long.
  states(p, s, kShutterConfig, "GETACK",
         R"({"config":[{"channel":0,"signalOpen":45000,"signalClose":50000}]})");
  states(p, s, "Appliance.RollerShutter.Position", "GETACK",
         R"({"position":[{"channel":0,"position":0}]})");
  states(p, s, "Appliance.RollerShutter.State", "GETACK", R"({"state":[{"channel":0,"state":1}]})");
  bool found = false;
  for (const auto& poll : mapping::polls_for(p, s)) {
    if (poll.ns != "Appliance.RollerShutter.Position") continue;
    found = true;
    BOOST_TEST(poll.for_ms == 45000 + 5000);
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(a_setting_sends_one_changed_value_then_reads_it_back) {
  const auto msg100 = test::trace_profile("msg100-1637650619");
  const std::string get_config = std::string("GET ") + kConfig + R"( {"config":{}})";
  BOOST_TEST(sent(msg100, {}, "door_buzzer", "ON") ==
             (std::vector<std::string>{
                 std::string("SET ") + kConfig + R"( {"config":{"buzzerEnable":1}})", get_config}));
  BOOST_TEST(sent(msg100, {}, "door_open_duration", "45") ==
             (std::vector<std::string>{
                 std::string("SET ") + kConfig + R"( {"config":{"doorOpenDuration":45000}})",
                 get_config}));
  BOOST_TEST(sent(msg100, {}, "door_signal_duration", "0.5")[0] ==
             std::string("SET ") + kConfig + R"( {"config":{"signalDuration":500}})");
  // The door itself still opens.
  BOOST_TEST(sent(msg100, {}, "garage_0", "OPEN")[0] ==
             R"(SET Appliance.GarageDoor.State {"state":{"channel":0,"open":1}})");

  const auto msg200 = test::trace_profile("msg200.json.txt");
  BOOST_TEST(
      sent(msg200, {}, "door_buzzer_2", "ON") ==
      (std::vector<std::string>{
          std::string("SET ") + kMultiple + R"( {"config":[{"channel":2,"buzzerEnable":1}]})",
          std::string("GET ") + kMultiple +
              R"( {"config":[{"channel":1},{"channel":2},{"channel":3}]})"}));
  BOOST_TEST(sent(msg200, {}, "door_close_duration_3", "20")[0] ==
             std::string("SET ") + kMultiple +
                 R"( {"config":[{"channel":3,"doorCloseDuration":20000}]})");

  const auto mrs100 = test::trace_profile("mrs100");
  BOOST_TEST(
      sent(mrs100, {}, "shutter_open_time_0", "45") ==
      (std::vector<std::string>{
          std::string("SET ") + kShutterConfig + R"( {"config":{"channel":0,"signalOpen":45000}})",
          std::string("GET ") + kShutterConfig + R"( {"config":{}})"}));
  BOOST_TEST(sent(mrs100, {}, "shutter_0", "40")[0] ==
             R"(SET Appliance.RollerShutter.Position {"position":{"channel":0,"position":40}})");
}

BOOST_AUTO_TEST_CASE(out_of_range_and_malformed_commands_are_refused) {
  const auto msg100 = test::trace_profile("msg100-1637650619");
  for (const char* bad : {"0", "0.5", "61", "600", "-1", "abc", "nan", "inf", "", "30.0004"})
    refused(msg100, "door_open_duration", bad);
  for (const char* bad : {"0.05", "10.1", "x"})
    refused(msg100, "door_signal_duration", bad);
  for (const char* bad : {"on", "1", "TRUE", ""})
    refused(msg100, "door_buzzer", bad);
  // Settings of a namespace the device lacks, or of a door it does not have.
  refused(msg100, "door_buzzer_0", "ON");
  const auto msg200 = test::trace_profile("msg200.json.txt");
  refused(msg200, "door_buzzer", "ON");
  refused(msg200, "door_buzzer_4", "ON");
  refused(msg200, "door_open_duration_1", "61");
  const auto mrs100 = test::trace_profile("mrs100");
  for (const char* bad : {"0", "61", "120", "abc", "45s"})
    refused(mrs100, "shutter_close_time_0", bad);
  refused(mrs100, "shutter_open_time_1", "45");
}

BOOST_AUTO_TEST_CASE(wrongly_typed_configs_are_errors) {
  const auto msg100 = test::trace_profile("msg100-1637650619");
  BOOST_TEST(wrongly_typed(msg100, kConfig, R"({"config":{"buzzerEnable":"yes"}})"));
  BOOST_TEST(wrongly_typed(msg100, kConfig, R"({"config":{"doorOpenDuration":[30000]}})"));
  BOOST_TEST(wrongly_typed(msg100, kConfig, R"({"config":5})"));
  BOOST_TEST(wrongly_typed(msg100, kConfig, R"({"config":[7]})"));
  BOOST_TEST(!wrongly_typed(msg100, kConfig, "{}"));  // a SETACK
  const auto msg200 = test::trace_profile("msg200.json.txt");
  BOOST_TEST(wrongly_typed(msg200, kMultiple, R"({"config":[{"channel":1,"buzzerEnable":{}}]})"));
  BOOST_TEST(wrongly_typed(msg200, kMultiple, R"({"config":"all"})"));
  const auto mrs100 = test::trace_profile("mrs100");
  BOOST_TEST(
      wrongly_typed(mrs100, kShutterConfig, R"({"config":[{"channel":0,"signalOpen":true}]})"));
  BOOST_TEST(wrongly_typed(mrs100, kShutterConfig, R"({"config":null})"));
}

BOOST_AUTO_TEST_SUITE_END()
