// The mod100 aroma diffuser and the msxh0 humidifier (issue 17, device-families.md §3): the spray
// select with its two opposite numberings and SET shapes, the mod100's light with effects, its
// polled sensors (zeros are no reading), and refusals of bad commands and badly typed payloads.

#include <algorithm>
#include <array>

#include <boost/test/unit_test.hpp>

#include "mapping/unqualified.hpp"

namespace {

const std::string kDiffuserSpray = "Appliance.Control.Diffuser.Spray";
const std::string kDiffuserLight = "Appliance.Control.Diffuser.Light";
const std::string kDiffuserSensor = "Appliance.Control.Diffuser.Sensor";
const std::string kSpray = "Appliance.Control.Spray";

// An msxh0 as device-families.md §3.2 describes it (the simulator's built-in profile).
protocol::DeviceProfile msxh0_profile() {
  return test::profile_from(
      test::system_all("msxh0", "2001011234567890123448e1e9aabb09", "48:e1:e9:aa:bb:09", "3.0.0",
                       "3.1.5",
                       R"({"spray":[{"channel":0,"mode":0,"lmTime":0,"lastMode":1,"onoffTime":0}],)"
                       R"("light":{"onoff":1,"capacity":5,"channel":0,"rgb":4783990,)"
                       R"("luminance":100,"transform":0},"triggerx":[],"timerx":[]})"),
      R"({"ability":{"Appliance.System.All":{},"Appliance.System.Runtime":{},)"
      R"("Appliance.Control.Spray":{},"Appliance.Control.Light":{"capacity":5}}})");
}

// The error of mapping `payload`, "" when it maps.
std::string refusal(const protocol::DeviceProfile& p, const std::string& ns,
                    const std::string& payload) {
  mapping::DeviceState s;
  auto batch = mapping::states_from(p, s, ns, protocol::Method::Push, std::string_view(payload),
                                    mapping::Context{1700000000});
  return batch ? "" : batch.error().describe();
}

std::vector<mapping::DeviceRequest> command(const protocol::DeviceProfile& p,
                                            const mapping::DeviceState& s, const std::string& key,
                                            const std::string& text) {
  auto requests = mapping::command_to_request(p, s, key, text);
  BOOST_REQUIRE_MESSAGE(requests.ok(),
                        key + " " + text + ": " + (requests ? "" : requests.error().describe()));
  return std::move(requests).value();
}

bool refused(const protocol::DeviceProfile& p, const std::string& key, const std::string& text) {
  return !mapping::command_to_request(p, {}, key, text).ok();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(diffuser)

BOOST_AUTO_TEST_CASE(mod100_has_a_spray_select_an_effect_light_and_two_sensors) {
  const auto p = test::trace_profile("mod100");
  const auto entities = mapping::entities_for(p);
  const auto& spray = test::entity(entities, "spray");
  BOOST_TEST(mapping::to_string(spray.component) == "select");
  BOOST_TEST((spray.category == mapping::Category::None));  // the device's main control
  BOOST_TEST(spray.has_command);
  BOOST_TEST(*spray.name == "Spray");
  BOOST_TEST(test::option(spray, "options") == R"(["off","continuous","intermittent"])");

  const auto& light = test::entity(entities, "diffuser_light");
  BOOST_TEST(mapping::to_string(light.component) == "light");
  BOOST_TEST(*light.name == "Light");  // one thing of two: it keeps its name
  BOOST_TEST(test::option(light, "supported_color_modes") == R"(["rgb"])");
  BOOST_TEST(test::option(light, "effect") == "true");
  BOOST_TEST(test::option(light, "effect_list") == R"(["Rainbow","Temperature"])");
  BOOST_TEST(test::option(light, "brightness_scale") == "100");

  const auto& temperature = test::entity(entities, "temperature");
  BOOST_TEST(temperature.device_class == "temperature");
  BOOST_TEST(temperature.unit == "°C");
  BOOST_TEST(test::entity(entities, "humidity").unit == "%");
  // Every diffuser namespace is mapped; only the on-device schedules are left.
  BOOST_TEST(
      mapping::unmapped_abilities(p) ==
          (std::vector<std::string>{"Appliance.Control.TimerX", "Appliance.Control.TriggerX"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mod100_states_come_from_the_system_all_digest) {
  const auto p = test::trace_profile("mod100");
  mapping::DeviceState s;
  const auto all = test::replay(p, s, "mod100", "Appliance.System.All", "GETACK");
  BOOST_TEST(state_of(all, "spray") == "off");  // mode 2
  // onoff 0, mode 0 (rainbow), luminance 100, rgb 4129023 = 0x3F00FF.
  BOOST_TEST(state_of(all, "diffuser_light") ==
             R"({"state":"OFF","color_mode":"rgb","brightness":100,)"
             R"("color":{"r":63,"g":0,"b":255},"effect":"Rainbow"})");
  const auto ack = test::replay(p, s, "mod100", kDiffuserSpray, "GETACK");
  BOOST_TEST(state_of(ack, "spray") == "off");
}

BOOST_AUTO_TEST_CASE(the_two_spray_numberings_are_opposite_for_every_option) {
  const auto mod100 = test::trace_profile("mod100");
  const auto msxh0 = msxh0_profile();
  struct Row {
    std::string option;
    int diffuser_mode, spray_mode;
  };
  for (const Row& row : {Row{"off", 2, 0}, Row{"continuous", 1, 1}, Row{"intermittent", 0, 2}}) {
    const auto a = command(mod100, {}, "spray", row.option);
    BOOST_REQUIRE_EQUAL(a.size(), 2u);
    BOOST_TEST((a[0].method == protocol::Method::Set));
    BOOST_TEST(a[0].ns == kDiffuserSpray);
    BOOST_TEST(a[0].payload_json ==
               R"({"spray":[{"channel":0,"mode":)" + std::to_string(row.diffuser_mode) + "}]}");
    BOOST_TEST((a[1].method == protocol::Method::Get));

    const auto b = command(msxh0, {}, "spray", row.option);
    BOOST_REQUIRE_EQUAL(b.size(), 2u);
    BOOST_TEST(b[0].ns == kSpray);
    BOOST_TEST(b[0].payload_json ==
               R"({"spray":{"channel":0,"mode":)" + std::to_string(row.spray_mode) + "}}");

    // And back: each device's number reads as the same option.
    mapping::DeviceState s;
    BOOST_TEST(state_of(states(mod100, s, kDiffuserSpray, "PUSH",
                               R"({"type":"mod100","spray":[{"channel":0,"mode":)" +
                                   std::to_string(row.diffuser_mode) + "}]}"),
                        "spray") == row.option);
    // The msxh0's GET answer is a dict beside a channel (§3.2).
    BOOST_TEST(state_of(states(msxh0, s, kSpray, "GETACK",
                               R"({"channel":0,"spray":{"channel":0,"mode":)" +
                                   std::to_string(row.spray_mode) + "}}"),
                        "spray") == row.option);
  }
}

BOOST_AUTO_TEST_CASE(msxh0_has_the_spray_select_and_its_ordinary_light) {
  const auto p = msxh0_profile();
  const auto entities = mapping::entities_for(p);
  BOOST_TEST(mapping::to_string(test::entity(entities, "spray").component) == "select");
  const auto& light = test::entity(entities, "light_0");  // light.cpp's Control.Light
  BOOST_TEST(*light.name == "Light");
  BOOST_TEST(test::option(light, "supported_color_modes") == R"(["rgb"])");
  BOOST_TEST(mapping::unmapped_abilities(p).empty());
  mapping::DeviceState s;
  const auto all = states(p, s, "Appliance.System.All", "GETACK",
                          R"({"all":{"digest":{"spray":[{"channel":0,)"
                          R"("mode":2,"lmTime":0}]}}})");
  BOOST_TEST(state_of(all, "spray") == "intermittent");
  // The spray pushes: no poll.
  for (const auto& poll : mapping::polls_for(p, s))
    BOOST_TEST(poll.ns != kSpray);
}

BOOST_AUTO_TEST_CASE(sensors_are_polled_slowly_and_zeros_are_no_reading) {
  const auto p = test::trace_profile("mod100");
  const auto polls = mapping::polls_for(p);
  const auto it = std::find_if(polls.begin(), polls.end(), [](const mapping::Poll& poll) {
    return poll.ns == kDiffuserSensor;
  });
  BOOST_REQUIRE(it != polls.end());
  BOOST_TEST((it->kind == mapping::PollKind::Slow));  // every 300 s, as meross_lan
  BOOST_TEST(it->payload_json == R"({"sensor":{}})");
  // Spray and light push: no poll.
  for (const auto& poll : polls) {
    BOOST_TEST(poll.ns != kDiffuserSpray);
    BOOST_TEST(poll.ns != kDiffuserLight);
  }

  mapping::DeviceState s;
  // The trace's older unit: zeros with lmTime 0.
  const auto zeros = test::replay(p, s, "mod100", kDiffuserSensor, "GETACK");
  BOOST_TEST(zeros.updates.empty());
  const auto reading = states(p, s, kDiffuserSensor, "GETACK",
                              R"({"type":"mod100","humidity":{"value":523,"lmTime":1700000000},)"
                              R"("temperature":{"value":218,"lmTime":1700000000}})");
  BOOST_TEST(state_of(reading, "temperature") == "21.8");
  BOOST_TEST(state_of(reading, "humidity") == "52.3");
}

BOOST_AUTO_TEST_CASE(light_commands_set_the_whole_light) {
  const auto p = test::trace_profile("mod100");
  mapping::DeviceState s;
  test::replay(p, s, "mod100", "Appliance.System.All", "GETACK");
  auto red = command(p, s, "diffuser_light",
                     R"({"state":"ON","color":{"r":255,"g":0,"b":0},"brightness":40})");
  BOOST_REQUIRE_EQUAL(red.size(), 2u);
  BOOST_TEST(red[0].ns == kDiffuserLight);
  BOOST_TEST(red[0].payload_json ==
             R"({"light":[{"channel":0,"onoff":1,"mode":1,"luminance":40,"rgb":16711680}]})");
  BOOST_TEST((red[1].method == protocol::Method::Get));
  // An effect keeps the remembered colour and brightness.
  auto effect = command(p, s, "diffuser_light", R"({"state":"ON","effect":"Temperature"})");
  BOOST_TEST(effect[0].payload_json ==
             R"({"light":[{"channel":0,"onoff":1,"mode":2,"luminance":100,"rgb":4129023}]})");
  auto off = command(p, s, "diffuser_light", R"({"state":"OFF"})");
  BOOST_TEST(off[0].payload_json == R"({"light":[{"channel":0,"onoff":0}]})");

  // The device's PUSH after the SET: the new colour comes back.
  const auto push = states(p, s, kDiffuserLight, "PUSH",
                           R"({"type":"mod100","light":[{"channel":0,"onoff":1,"mode":1,)"
                           R"("luminance":40,"rgb":16711680,"lmTime":1700000000}]})");
  BOOST_TEST(state_of(push, "diffuser_light") ==
             R"({"state":"ON","color_mode":"rgb","brightness":40,"color":{"r":255,"g":0,"b":0}})");
}

BOOST_AUTO_TEST_CASE(bad_commands_are_refused_never_clamped) {
  const auto mod100 = test::trace_profile("mod100");
  const auto msxh0 = msxh0_profile();
  for (const auto* p : {&mod100, &msxh0}) {
    for (const char* text : {"on", "OFF", "eco", "2", "", "off,continuous", "{\"mode\":1}"}) {
      BOOST_TEST(refused(*p, "spray", text), text);
    }
  }
  for (const char* text :
       {R"({"state":"ON","brightness":0})", R"({"state":"ON","brightness":101})",
        R"({"state":"ON","brightness":"50"})", R"({"state":"ON","brightness":50.5})",
        R"({"state":"ON","color":{"r":256,"g":0,"b":0}})", R"({"state":"ON","color":{"r":1}})",
        R"({"state":"ON","color":[1,2,3]})", R"({"state":"ON","effect":"Disco"})",
        R"({"state":"ON","effect":1})",
        R"({"state":"ON","effect":"Rainbow","color":{"r":1,"g":2,"b":3}})",
        R"({"state":"ON","color_mode":"color_temp"})", R"({"state":"MAYBE"})",
        R"({"brightness":50})", "ON", "[]"}) {
    BOOST_TEST(refused(mod100, "diffuser_light", text), text);
  }
  // The sensors take no commands.
  BOOST_TEST(refused(mod100, "temperature", "20"));
}

BOOST_AUTO_TEST_CASE(badly_typed_device_payloads_are_errors) {
  const auto mod100 = test::trace_profile("mod100");
  const auto msxh0 = msxh0_profile();
  const std::pair<std::string, std::string> bad[] = {
      {kDiffuserSpray, R"({"spray":[{"channel":0,"mode":"x"}]})"},
      {kDiffuserSpray, R"({"spray":[{"channel":0,"mode":3}]})"},
      {kDiffuserSpray, R"({"spray":"off"})"},
      {kDiffuserSpray, R"({"spray":[7]})"},
      {kDiffuserLight, R"({"light":[{"channel":0,"luminance":"bright"}]})"},
      {kDiffuserLight, R"({"light":[{"channel":0,"luminance":250}]})"},
      {kDiffuserLight, R"({"light":[{"channel":0,"rgb":-1}]})"},
      {kDiffuserLight, R"({"light":[{"channel":0,"mode":{}}]})"},
      {kDiffuserSensor, R"({"temperature":"hot"})"},
      {kDiffuserSensor, R"({"humidity":{"value":[1]}})"},
      {"Appliance.System.All", R"({"all":{"digest":{"diffuser":[1,2]}}})"},
      {"Appliance.System.All", R"({"all":{"digest":{"diffuser":{"spray":[{"mode":true}]}}}})"},
  };
  for (const auto& [ns, payload] : bad) {
    BOOST_TEST(!refusal(mod100, ns, payload).empty(), ns << " " << payload);
  }
  BOOST_TEST(!refusal(msxh0, kSpray, R"({"spray":{"channel":0,"mode":"on"}})").empty());
  BOOST_TEST(!refusal(msxh0, kSpray, R"({"spray":{"channel":0,"mode":9}})").empty());
  BOOST_TEST(
      !refusal(msxh0, "Appliance.System.All", R"({"all":{"digest":{"spray":"x"}}})").empty());
  // A SETACK carries nothing: no error, no state.
  BOOST_TEST(refusal(mod100, kDiffuserSpray, "{}").empty());
}

BOOST_AUTO_TEST_SUITE_END()
