// Device messages → entity states, on payloads recorded from real devices.

#include <algorithm>
#include <tuple>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "mapping/unqualified.hpp"

using test::parse;
using test::replay;

namespace {

mapping::Result<mapping::StateBatch> try_states(const protocol::DeviceProfile& p,
                                                const std::string& ns, const std::string& payload,
                                                const std::string& method = "GETACK") {
  mapping::DeviceState s;
  return mapping::states_from(p, s, ns, *protocol::method_from_string(method),
                              std::string_view(payload), mapping::Context{1700000000});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_states)

BOOST_AUTO_TEST_CASE(electricity_converts_to_watts_volts_amperes) {
  const auto p = test::trace_profile("mss305.json.txt");
  mapping::DeviceState s;
  // {"channel":0,"current":290,"voltage":2331,"power":5297,...}
  const auto batch = replay(p, s, "mss305.json.txt", "Appliance.Control.Electricity", "GETACK");
  BOOST_TEST(state_of(batch, "power_0") == "5.297");
  BOOST_TEST(state_of(batch, "voltage_0") == "233.1");
  BOOST_TEST(state_of(batch, "current_0") == "0.29");

  const auto idle = test::trace_profile("mss310.csv");
  const auto zero = replay(idle, s, "mss310.csv", "Appliance.Control.Electricity", "GETACK");
  BOOST_TEST(state_of(zero, "power_0") == "0");
  BOOST_TEST(state_of(zero, "voltage_0") == "238");
}

BOOST_AUTO_TEST_CASE(electricityx_uses_millivolts_per_channel) {
  const auto p = test::trace_profile("em06.json.txt");
  mapping::DeviceState s;
  // The em06 trace holds no ElectricityX answer; shape from meross-protocol.md §5.5.
  const auto batch =
      states(p, s, "Appliance.Control.ElectricityX", "GETACK",
             R"({"electricity":[{"channel":1,"current":1234,"voltage":233680,"power":250000,)"
             R"("mConsume":10,"factor":0.9},{"channel":6,"current":0,"voltage":233000,"power":0},)"
             R"({"channel":65535,"power":1}]})");
  BOOST_TEST(state_of(batch, "power_1") == "250");
  BOOST_TEST(state_of(batch, "voltage_1") == "233.68");
  BOOST_TEST(state_of(batch, "current_1") == "1.234");
  BOOST_TEST(state_of(batch, "voltage_6") == "233");
  BOOST_TEST(batch.updates.size() == 6u);
}

BOOST_AUTO_TEST_CASE(consumptionx_reports_today_in_the_device_zone) {
  auto p = test::trace_profile("mss310.csv");  // Europe/London
  mapping::DeviceState s;
  // Unsorted; the newest entry is 2024-03-10 (time 1710076745, 180 Wh), not the last one.
  const std::string payload = recorded("mss310.csv", "Appliance.Control.ConsumptionX", "GETACK");
  BOOST_TEST(
      state_of(states(p, s, "Appliance.Control.ConsumptionX", "GETACK", payload, 1710076745 + 100),
               "energy_0") == "0.18");
  // 2024-03-11 01:20 UTC: a new day in London, the device has no entry for it yet.
  BOOST_TEST(state_of(states(p, s, "Appliance.Control.ConsumptionX", "GETACK", payload, 1710120000),
                      "energy_0") == "0");
  // ... but still 2024-03-10 in New York.
  p.timezone = "America/New_York";
  BOOST_TEST(state_of(states(p, s, "Appliance.Control.ConsumptionX", "GETACK", payload, 1710120000),
                      "energy_0") == "0.18");
  // No zone: the device counts days in UTC.
  p.timezone = "";
  BOOST_TEST(state_of(states(p, s, "Appliance.Control.ConsumptionX", "GETACK", payload, 1710120000),
                      "energy_0") == "0");
}

BOOST_AUTO_TEST_CASE(consumptionh_sums_todays_buckets_per_channel) {
  const auto p = test::trace_profile("em06.json.txt");  // Europe/Berlin, channels 1..6
  mapping::DeviceState s;
  const std::string payload = recorded("em06.json.txt", "Appliance.Control.ConsumptionH", "GETACK");
  const auto doc = parse(payload);
  // At the trace's time every bucket is from today: the sum equals the device's own total.
  const auto batch = states(p, s, "Appliance.Control.ConsumptionH", "GETACK", payload, 1721586808);
  for (const auto& channel : doc["consumptionH"].GetArray()) {
    const int c = channel["channel"].GetInt();
    const double total_kwh = channel["total"].GetInt() / 1000.0;
    const std::string published = state_of(batch, "energy_" + std::to_string(c));
    BOOST_TEST_CONTEXT("channel " << c) {
      BOOST_REQUIRE(!published.empty());
      BOOST_TEST(std::stod(published) == total_kwh, boost::test_tools::tolerance(1e-9));
    }
  }
  // The next day (Berlin), none of those buckets count.
  const auto next =
      states(p, s, "Appliance.Control.ConsumptionH", "GETACK", payload, 1721586808 + 86400);
  BOOST_TEST(state_of(next, "energy_2") == "0");
  // mss305 has ConsumptionX too: ConsumptionH is not mapped there.
  const auto mss305 = test::trace_profile("mss305.json.txt");
  const auto ignored =
      replay(mss305, s, "mss305.json.txt", "Appliance.Control.ConsumptionH", "GETACK");
  BOOST_TEST(ignored.updates.empty());
}

// Found by fuzz_states: two huge hourly buckets overflowed today's int64 sum (UB). The sum that
// does not fit is an Error naming the bucket.
BOOST_AUTO_TEST_CASE(consumptionh_sum_overflow_is_an_error) {
  const auto p = test::trace_profile("em06.json.txt");  // channels 1..6
  const auto result = try_states(p, "Appliance.Control.ConsumptionH",
                                 R"({"consumptionH":[{"channel":1,"total":1,"data":[)"
                                 R"({"timestamp":1700000000,"value":8999999999999000093},)"
                                 R"({"timestamp":1700000001,"value":8999999999998999996}]}]})");
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(result.error().field == "consumptionH[0].data[1].value");
  // Large values that still fit are summed.
  const auto fits = try_states(p, "Appliance.Control.ConsumptionH",
                               R"({"consumptionH":[{"channel":1,"total":1,"data":[)"
                               R"({"timestamp":1700000000,"value":4000000000000000000},)"
                               R"({"timestamp":1700000001,"value":4000000000000000000}]}]})");
  BOOST_REQUIRE(fits.ok());
  BOOST_TEST(fits->updates.size() == 1u);
}

BOOST_AUTO_TEST_CASE(togglex_as_dict_list_and_push) {
  mapping::DeviceState s;
  // {trace, method, switch_0's state}. New firmware (mss100):
  // {"channel":4294967295,"togglex":[{...,"onoff":1}]}; old (msg200):
  // {"channel":0,"togglex":{"channel":0,"onoff":0}}.
  for (const auto& [trace, method, expected] : {std::tuple{"mss100.json.txt", "GETACK", "ON"},
                                                {"mss100.json.txt", "PUSH", "ON"},
                                                {"msg200.json.txt", "GETACK", "OFF"}}) {
    const auto p = test::trace_profile(trace);
    BOOST_TEST_CONTEXT(trace << " " << method) {
      BOOST_TEST(state_of(replay(p, s, trace, "Appliance.Control.ToggleX", method), "switch_0") ==
                 expected);
    }
  }
  // A channel claimed by the garage door is no switch.
  const auto msg100 = test::trace_profile("msg100");
  BOOST_TEST(replay(msg100, s, "msg100", "Appliance.Control.ToggleX", "GETACK").updates.empty());
}

BOOST_AUTO_TEST_CASE(legacy_toggle_and_system_all_digest) {
  mapping::DeviceState s;
  const auto p = test::trace_profile("mss310.2024");
  BOOST_TEST(state_of(replay(p, s, "mss310.2024", "Appliance.Control.Toggle", "PUSH"),
                      "switch_0") == "ON");
  const auto all = replay(p, s, "mss310.2024", "Appliance.System.All", "GETACK");
  BOOST_TEST(!state_of(all, "switch_0").empty());
  BOOST_TEST(state_of(all, "firmware") == p.firmware_version);
  // mss310.csv: the switch was on when System.All was polled during the trace.
  const auto mss310 = test::trace_profile("mss310.csv");
  const auto digest = replay(mss310, s, "mss310.csv", "Appliance.System.All", "GETACK");
  BOOST_TEST(state_of(digest, "switch_0") == "ON");
}

BOOST_AUTO_TEST_CASE(light_state_carries_color_mode) {
  const auto p = test::trace_profile("msl320.json.txt");
  mapping::DeviceState s;
  // System.All digest: togglex on; light capacity 6 (temperature + luminance), temperature 51.
  // One complete state for the light, though both its digest and its ToggleX channel report it.
  const auto all = replay(p, s, "msl320.json.txt", "Appliance.System.All", "GETACK");
  BOOST_TEST(std::count_if(all.updates.begin(), all.updates.end(),
                           [](const auto& u) { return u.entity_key == "light_0"; }) == 1);
  BOOST_TEST(parse(state_of(all, "light_0")).HasMember("brightness"));
  const auto batch = replay(p, s, "msl320.json.txt", "Appliance.Control.Light", "GETACK");
  const auto doc = parse(state_of(batch, "light_0"));
  BOOST_TEST(std::string(doc["state"].GetString()) == "ON");
  BOOST_TEST(std::string(doc["color_mode"].GetString()) == "color_temp");
  BOOST_TEST(doc["brightness"].GetInt() == 50);
  BOOST_TEST(doc["color_temp"].GetInt() == 4619);  // 2700 + (51 - 1) * 3800 / 99
  BOOST_TEST(!doc.HasMember("color"));

  // ToggleX off on the light's channel turns the light off, keeping its colour.
  const auto off = states(p, s, "Appliance.Control.ToggleX", "PUSH",
                          R"({"togglex":[{"channel":0,"onoff":0,"lmTime":1}]})");
  const auto off_doc = parse(state_of(off, "light_0"));
  BOOST_TEST(std::string(off_doc["state"].GetString()) == "OFF");
  BOOST_TEST(std::string(off_doc["color_mode"].GetString()) == "color_temp");
}

BOOST_AUTO_TEST_CASE(light_effects_from_light_effect) {
  const auto p = test::trace_profile("msl450");
  mapping::DeviceState s;
  const std::string effects = recorded("msl450", "Appliance.Control.Light.Effect", "GETACK");
  BOOST_TEST(states(p, s, "Appliance.Control.Light.Effect", "GETACK", effects).entities_changed);
  BOOST_TEST(!states(p, s, "Appliance.Control.Light.Effect", "GETACK", effects).entities_changed);
  BOOST_REQUIRE_EQUAL(s.effect_names.size(), 8u);
  // {"effect":6,"capacity":13,"rgb":62719,"luminance":1}: effect mode over rgb.
  const auto batch = replay(p, s, "msl450", "Appliance.Control.Light", "GETACK");
  const auto doc = parse(state_of(batch, "light_0"));
  BOOST_TEST(std::string(doc["effect"].GetString()) == s.effect_names[6]);
  BOOST_TEST(std::string(doc["color_mode"].GetString()) == "rgb");
  BOOST_TEST(doc["color"]["r"].GetInt() == 0);
  BOOST_TEST(doc["color"]["g"].GetInt() == 244);
  BOOST_TEST(doc["color"]["b"].GetInt() == 255);
  BOOST_TEST(doc["brightness"].GetInt() == 1);
  BOOST_TEST(doc["state"].IsNull());  // no ToggleX seen yet

  const auto entities = mapping::entities_for(p, s);
  const auto light = std::find_if(entities.begin(), entities.end(),
                                  [](const auto& e) { return e.key == "light_0"; });
  BOOST_REQUIRE(light != entities.end());
  const auto list = std::find_if(light->options.begin(), light->options.end(),
                                 [](const auto& o) { return o.first == "effect_list"; });
  BOOST_REQUIRE(list != light->options.end());
  BOOST_TEST(parse(list->second).Size() == 8u);
}

BOOST_AUTO_TEST_CASE(garage_door_dict_list_and_setack) {
  mapping::DeviceState s;
  const auto msg100 = test::trace_profile("msg100");
  BOOST_TEST(state_of(replay(msg100, s, "msg100", "Appliance.GarageDoor.State", "GETACK"),
                      "garage_0") == "open");
  // SET open:0 answered {"open":1,"execute":1}: the door was open and the relay pulsed.
  BOOST_TEST(state_of(replay(msg100, s, "msg100", "Appliance.GarageDoor.State", "SETACK"),
                      "garage_0") == "closing");
  const auto msg200 = test::trace_profile("msg200.json.txt");
  const auto batch = replay(msg200, s, "msg200.json.txt", "Appliance.GarageDoor.State", "GETACK");
  BOOST_TEST(state_of(batch, "garage_1") == "closed");
  BOOST_TEST(state_of(batch, "garage_2") == "closed");
  BOOST_TEST(state_of(batch, "garage_3") == "open");
}

BOOST_AUTO_TEST_CASE(roller_shutter_position_and_motion) {
  const auto p = test::trace_profile("mrs100");
  mapping::DeviceState s;
  BOOST_TEST(replay(p, s, "mrs100", "Appliance.RollerShutter.State", "GETACK")
                 .updates.empty());  // no position known yet
  const auto batch = replay(p, s, "mrs100", "Appliance.RollerShutter.Position", "GETACK");
  BOOST_TEST(state_of(batch, "shutter_0") == R"({"state":"closed","position":0})");
  const auto opening = states(p, s, "Appliance.RollerShutter.State", "PUSH",
                              R"({"state":[{"channel":0,"state":1,"stoppedBy":0}]})");
  BOOST_TEST(state_of(opening, "shutter_0") == R"({"state":"opening","position":0})");
}

BOOST_AUTO_TEST_CASE(diagnostics_signal_and_led) {
  const auto p = test::trace_profile("mss310.2024");
  mapping::DeviceState s;
  BOOST_TEST(state_of(replay(p, s, "mss310.2024", "Appliance.System.Runtime", "GETACK"),
                      "signal") == "86");
  BOOST_TEST(state_of(replay(p, s, "mss310.2024", "Appliance.System.DNDMode", "GETACK"),
                      "led") == "ON");  // mode 0: LED on
  BOOST_TEST(state_of(states(p, s, "Appliance.System.DNDMode", "PUSH", R"({"DNDMode":{"mode":1}})"),
                      "led") == "OFF");
}

BOOST_AUTO_TEST_CASE(multiple_answers_are_mapped_one_by_one) {
  const auto p = test::trace_profile("mss310.csv");
  mapping::DeviceState s;
  std::size_t mapped = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    mapped += states(p, s, "Appliance.Control.Multiple", "SETACK",
                     recorded("mss310.csv", "Appliance.Control.Multiple", "SETACK", i))
                  .updates.size();
  }
  BOOST_TEST(mapped > 0u);
}

BOOST_AUTO_TEST_CASE(bad_payloads_are_errors_not_crashes) {
  const auto mss310 = test::trace_profile("mss310.csv");
  const auto msl = test::trace_profile("msl320.json.txt");
  const auto msg = test::trace_profile("msg200.json.txt");
  struct Case {
    const protocol::DeviceProfile* profile;
    std::string ns;
    std::string payload;
    std::string field;
  };
  const std::vector<Case> cases{
      {&mss310, "Appliance.Control.ToggleX", R"({"togglex":"on"})", "togglex"},
      {&mss310, "Appliance.Control.ToggleX", R"({"togglex":[1]})", "togglex[0]"},
      {&mss310, "Appliance.Control.ToggleX", R"({"togglex":[{"channel":0,"onoff":"x"}]})",
       "togglex[0].onoff"},
      {&mss310, "Appliance.Control.Electricity", R"({"electricity":{"power":"abc"}})",
       "electricity[0].power"},
      {&mss310, "Appliance.Control.Electricity", R"({"electricity":7})", "electricity"},
      {&mss310, "Appliance.Control.ConsumptionX", R"({"consumptionx":[{"time":{},"value":1}]})",
       "consumptionx[0].time"},
      {&mss310, "Appliance.Control.ConsumptionX", R"({"consumptionx":{"time":1,"value":[]}})",
       "consumptionx[0].value"},
      {&msl, "Appliance.Control.Light", R"({"light":{"channel":0,"rgb":[1]}})", "light.rgb"},
      {&msl, "Appliance.Control.Light", R"({"light":{"channel":0,"luminance":-5}})",
       "light.luminance"},
      {&msl, "Appliance.Control.Light.Effect", R"({"effect":{"effectName":"x"}})", "effect"},
      {&msl, "Appliance.Control.Light.Effect", R"({"effect":[{"effectName":3}]})",
       "effect[0].effectName"},
      {&msg, "Appliance.GarageDoor.State", R"({"state":[{"channel":1,"open":{}}]})",
       "state[0].open"},
      {&mss310, "Appliance.System.Runtime", R"({"runtime":[]})", "runtime"},
      {&mss310, "Appliance.System.DNDMode", R"({"DNDMode":{"mode":null,"x":1},"y":0})", ""},
      {&mss310, "Appliance.System.All", R"({"all":[]})", "all"},
      {&mss310, "Appliance.Control.Multiple", R"({"multiple":[{"header":{}}]})", "multiple[0]"},
      {&mss310, "Appliance.Control.Multiple",
       R"({"multiple":[{"header":{"namespace":"Appliance.Control.ToggleX","method":"GETACK"},)"
       R"("payload":{"togglex":5}}]})",
       "multiple[0].togglex"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.ns << " " << c.payload) {
      const auto result = try_states(*c.profile, c.ns, c.payload);
      if (c.field.empty()) {
        BOOST_TEST(result.ok());  // null is "absent"
      } else {
        BOOST_REQUIRE(!result.ok());
        BOOST_TEST(result.error().field == c.field);
      }
    }
  }
  // Not JSON, not an object.
  BOOST_TEST(!try_states(mss310, "Appliance.Control.ToggleX", "{\"togglex\":").ok());
  BOOST_TEST(!try_states(mss310, "Appliance.Control.ToggleX", "[1,2]").ok());
  // Unmapped namespaces and requests give nothing, without error.
  const auto hub = try_states(mss310, "Appliance.Hub.Mts100.All", R"({"all":[1,2]})");
  BOOST_REQUIRE(hub.ok());
  BOOST_TEST(hub->updates.empty());
  const auto get = try_states(mss310, "Appliance.Control.ToggleX", R"({"togglex":"x"})", "GET");
  BOOST_REQUIRE(get.ok());
  BOOST_TEST(get->updates.empty());
}

BOOST_AUTO_TEST_CASE(togglex_channels_that_power_a_light_door_or_fan_are_no_switches) {
  // Moved from the profile (protocol/ knows no family): the families say which ToggleX channels
  // they power (Family::powers); the rest are switches.
  auto p = test::mss425f_profile();
  p.set_channels("togglex", {0, 1, 2, 3});
  p.set_channels("light", {1});
  p.set_channels("garageDoor", {2});
  std::vector<std::string> switches;
  for (const auto& e : mapping::entities_for(p)) {
    if (e.key.rfind("switch_", 0) == 0) switches.push_back(e.key);
  }
  BOOST_TEST(switches == (std::vector<std::string>{"switch_0", "switch_3"}),
             boost::test_tools::per_element());
  // A fan ability without a digest.fan section drives channel 0 (map100).
  p.abilities.set("Appliance.Control.Fan", "{}");
  switches.clear();
  for (const auto& e : mapping::entities_for(p)) {
    if (e.key.rfind("switch_", 0) == 0) switches.push_back(e.key);
  }
  BOOST_TEST(switches == (std::vector<std::string>{"switch_3"}), boost::test_tools::per_element());
}

// Issue 16, item 8: an IP-address sensor only for a device that reports an address.
BOOST_AUTO_TEST_CASE(an_ip_address_sensor_only_when_the_device_reports_one) {
  const auto has_ip = [](const protocol::DeviceProfile& p) {
    const auto entities = mapping::entities_for(p);
    return std::any_of(entities.begin(), entities.end(),
                       [](const mapping::Entity& e) { return e.key == "ip"; });
  };
  auto p = test::mss425f_profile();
  BOOST_TEST(has_ip(p));
  for (const char* none : {"", "unknown", "192.168.1", "::zz"}) {
    p.inner_ip = none;
    BOOST_TEST(!has_ip(p), "innerIp '" << none << "'");
  }
  p.inner_ip = "fe80::1";
  BOOST_TEST(has_ip(p));
}

BOOST_AUTO_TEST_SUITE_END()
