// Unit tests of the simulated Wi-Fi thermostats (simulator/families/thermostat_*.cpp): mts200b
// and mts960 from their traces, mts300 from its built-in profile (device-families.md §1).

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/namespaces.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

namespace ns = meross::protocol::ns;

// The single channel-0 object of a {"<key>":[…]} payload.
const protocol::JsonValue& channel0(const protocol::Message& m, const char* key) {
  const auto& list = m.payload()[key];
  BOOST_REQUIRE(list.IsArray());
  BOOST_REQUIRE_EQUAL(list.Size(), 1u);
  return list[0];
}

std::string mode_get() {
  return R"({"mode":[{"channel":0}]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(thermostats)

BOOST_AUTO_TEST_CASE(mts200b_mode_set_answers_the_full_channel_then_pushes_it) {
  auto d = trace_device("mts200b");
  bind(*d);
  // Seeded from the trace's digest (its Mode GETACK recorded an empty list).
  auto got = ask(*d, Method::Get, ns::kControlThermostatMode, mode_get());
  const auto& seeded = channel0(got, "mode");
  BOOST_TEST(seeded["mode"].GetInt() == 4);
  BOOST_TEST(seeded["currentTemp"].GetInt() == 210);
  BOOST_TEST(seeded["targetTemp"].GetInt() == 210);
  BOOST_TEST(seeded["min"].GetInt() == 50);

  // Manual mode with a new setpoint: targetTemp follows manualTemp; the room is colder: heating.
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kControlThermostatMode,
                 R"({"mode":[{"channel":0,"mode":4,"manualTemp":215}]})", kT0 + 1000, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  const auto& full = channel0(ack, "mode");
  BOOST_TEST(full["manualTemp"].GetInt() == 215);
  BOOST_TEST(full["targetTemp"].GetInt() == 215);
  BOOST_TEST(full["state"].GetInt() == 1);
  BOOST_TEST(full["lmTime"].GetInt64() == (kT0 + 1000) / 1000);
  BOOST_TEST(full["heatTemp"].GetInt() == 200);  // the whole channel, not just what changed
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(pushes[0].header.ns == std::string(ns::kControlThermostatMode));
  BOOST_TEST((pushes[0].header.method == Method::Push));
  BOOST_TEST(protocol::to_json(pushes[0].payload()) == protocol::to_json(ack.payload()));

  // Comfort (0) takes heatTemp; changing the active preset moves the target; off stops heating.
  ack = ask(*d, Method::Set, ns::kControlThermostatMode, R"({"mode":[{"channel":0,"mode":0}]})");
  BOOST_TEST(channel0(ack, "mode")["targetTemp"].GetInt() == 200);
  BOOST_TEST(channel0(ack, "mode")["state"].GetInt() == 0);
  ack = ask(*d, Method::Set, ns::kControlThermostatMode,
            R"({"mode":[{"channel":0,"heatTemp":230}]})");
  BOOST_TEST(channel0(ack, "mode")["targetTemp"].GetInt() == 230);
  BOOST_TEST(channel0(ack, "mode")["state"].GetInt() == 1);
  ack = ask(*d, Method::Set, ns::kControlThermostatMode,
            R"({"mode":[{"channel":0,"mode":2,"onoff":0}]})");
  BOOST_TEST(channel0(ack, "mode")["targetTemp"].GetInt() == 180);  // ecoTemp
  BOOST_TEST(channel0(ack, "mode")["onoff"].GetInt() == 0);
  BOOST_TEST(channel0(ack, "mode")["state"].GetInt() == 0);

  // System.All's digest follows.
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  const auto& digest = all.payload()["all"]["digest"]["thermostat"]["mode"][0];
  BOOST_TEST(digest["mode"].GetInt() == 2);
  BOOST_TEST(digest["heatTemp"].GetInt() == 230);
  BOOST_TEST(digest["onoff"].GetInt() == 0);
  BOOST_TEST(all.payload()["all"]["digest"]["thermostat"].HasMember("windowOpened"));
}

BOOST_AUTO_TEST_CASE(thermostat_gets_need_the_list_with_channel_shape) {
  auto d = trace_device("mts200b");
  bind(*d);
  const auto answer = [&](std::string_view ns, std::string_view payload) {
    return answer_text(*d, Method::Get, ns, payload);
  };
  // Wrong shapes answer an empty list under the right key (device-families.md §0 rule 1).
  BOOST_TEST(answer(ns::kControlThermostatMode, R"({"mode":{}})") == R"({"mode":[]})");
  BOOST_TEST(answer(ns::kControlThermostatMode, R"({"mode":[]})") == R"({"mode":[]})");
  BOOST_TEST(answer(ns::kControlThermostatMode, "{}") == R"({"mode":[]})");
  BOOST_TEST(answer(ns::kControlThermostatMode, R"({"mode":[{"channel":7}]})") == R"({"mode":[]})");
  BOOST_TEST(answer(ns::kControlThermostatMode, R"({"mode":[{"channel":"0"}]})") ==
             R"({"mode":[]})");
  BOOST_TEST(answer("Appliance.Control.Thermostat.DeadZone", R"({"deadzone":[{"channel":0}]})") ==
             R"({"deadZone":[]})");
  // The right shape answers the channel.
  auto dead = ask(*d, Method::Get, "Appliance.Control.Thermostat.DeadZone",
                  R"({"deadZone":[{"channel":0}]})");
  BOOST_TEST(channel0(dead, "deadZone")["value"].GetInt() == 5);  // 0.1 °C default
  auto window = ask(*d, Method::Get, "Appliance.Control.Thermostat.WindowOpened",
                    R"({"windowOpened":[{"channel":0}]})");
  BOOST_TEST(channel0(window, "windowOpened")["detect"].GetInt() == 1);
  // Recorded values seed the config namespaces (Overheat, Screen.Brightness from the trace).
  auto overheat = ask(*d, Method::Get, "Appliance.Control.Thermostat.Overheat",
                      R"({"overheat":[{"channel":0}]})");
  BOOST_TEST(channel0(overheat, "overheat")["value"].GetInt() == 335);
  auto screen = ask(*d, Method::Get, "Appliance.Control.Screen.Brightness",
                    R"({"brightness":[{"channel":0}]})");
  BOOST_TEST(channel0(screen, "brightness")["operation"].GetDouble() == 75.0);
}

BOOST_AUTO_TEST_CASE(bad_thermostat_sets_are_refused_and_change_nothing) {
  auto d = trace_device("mts200b");
  bind(*d);
  const auto before = answer_text(*d, Method::Get, ns::kControlThermostatMode, mode_get());
  for (const char* payload : {
           R"({"mode":[{"channel":0,"manualTemp":"215"}]})",  // a string
           R"({"mode":[{"channel":0,"manualTemp":21.5}]})",   // a fraction
           R"({"mode":[{"channel":0,"manualTemp":400}]})",    // above max (350)
           R"({"mode":[{"channel":0,"heatTemp":40}]})",       // below min (50)
           R"({"mode":[{"channel":0,"mode":5}]})", R"({"mode":[{"channel":0,"onoff":2}]})",
           R"({"mode":[{"channel":3,"onoff":1}]})",  // no such channel
           R"({"mode":[{"channel":"x","onoff":1}]})", R"({"mode":5})", R"({"mode":[]})",
           R"({"mode":[5]})", R"({"modes":[{"channel":0,"onoff":1}]})", "{}",
           R"({"mode":[{"channel":0,"onoff":0},{"channel":0,"mode":9}]})",  // all or nothing
       }) {
    BOOST_TEST_CONTEXT(payload) {
      const auto e = exchange(*d, Method::Set, ns::kControlThermostatMode, payload);
      BOOST_REQUIRE_EQUAL(e.answers.size(), 1u);
      BOOST_TEST(error_code(e.answers[0]) == 5000);
      BOOST_TEST(e.pushes.empty());
    }
  }
  BOOST_TEST(protocol::to_json(
                 ask(*d, Method::Get, ns::kControlThermostatMode, mode_get()).payload()) == before);
  // Config namespaces validate against their own bounds.
  const auto calibration = "Appliance.Control.Thermostat.Calibration";
  BOOST_TEST(error_code(ask(*d, Method::Set, calibration,
                            R"({"calibration":[{"channel":0,"value":-100}]})")) == 5000);
  BOOST_TEST(error_code(ask(*d, Method::Set, "Appliance.Control.Screen.Brightness",
                            R"({"brightness":[{"channel":0,"operation":101}]})")) == 5000);
  BOOST_TEST(error_code(ask(*d, Method::Set, "Appliance.Control.Thermostat.WindowOpened",
                            R"({"windowOpened":[{"channel":0,"status":1}]})")) == 5000);
}

BOOST_AUTO_TEST_CASE(config_sets_are_acknowledged_then_pushed) {
  auto d = trace_device("mts200b");
  bind(*d);
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, "Appliance.Control.Thermostat.Calibration",
                 R"({"calibration":[{"channel":0,"value":-15}]})", kT0, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(channel0(pushes[0], "calibration")["value"].GetInt() == -15);
  BOOST_TEST(channel0(pushes[0], "calibration")["max"].GetInt() == 80);
  // Brightness takes 12.5 steps.
  pushes.clear();
  ask(*d, Method::Set, "Appliance.Control.Screen.Brightness",
      R"({"brightness":[{"channel":0,"standby":12.5}]})", kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(channel0(pushes[0], "brightness")["standby"].GetDouble() == 12.5);
  BOOST_TEST(channel0(pushes[0], "brightness")["operation"].GetDouble() == 75.0);
  // The state command shows it.
  const auto state = state_of(*d);
  BOOST_TEST(state["thermostat"]["calibration"][0]["value"].GetInt() == -15);
}

BOOST_AUTO_TEST_CASE(physical_lock_is_read_with_a_push_query_only) {
  auto d = trace_device("mts200b");
  bind(*d);
  const auto lock = "Appliance.Control.PhysicalLock";
  // GET drops the connection on real firmware (mts200b trace): no answer, a warning.
  const auto get = exchange(*d, Method::Get, lock, R"({"lock":[{"channel":0}]})");
  BOOST_TEST(get.answers.empty());
  BOOST_TEST(get.warning.find(lock) != std::string::npos);
  // The PUSH query answers with a PUSH, to `from`.
  auto query = ask(*d, Method::Push, lock, "{}");
  BOOST_TEST((query.header.method == Method::Push));
  BOOST_TEST(protocol::to_json(query.payload()) == R"({"lock":[{"channel":0,"onoff":0}]})");
  std::vector<protocol::Message> pushes;
  ask(*d, Method::Set, lock, R"({"lock":[{"channel":0,"onoff":1}]})", kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(answer_text(*d, Method::Push, lock, "{}") == R"({"lock":[{"channel":0,"onoff":1}]})");
  BOOST_TEST(error_code(ask(*d, Method::Set, lock, R"({"lock":[{"channel":0,"onoff":"on"}]})")) ==
             5000);
}

BOOST_AUTO_TEST_CASE(never_probe_requests_are_not_answered) {
  auto d = trace_device("mts960");
  bind(*d);
  for (const auto& [ns, payload] : std::vector<std::pair<std::string, std::string>>{
           {"Appliance.Control.Thermostat.Alarm", R"({"alarm":{}})"},
           {"Appliance.Control.Thermostat.CompressorDelay", R"({"compressorDelay":{}})"},
       }) {
    BOOST_TEST_CONTEXT(ns) {
      const auto e = exchange(*d, Method::Get, ns, payload);
      BOOST_TEST(e.answers.empty());
      BOOST_TEST(!e.warning.empty());
    }
  }
  // CompressorDelay's list form and the Alarm PUSH query are answered.
  BOOST_TEST(exchange(*d, Method::Get, "Appliance.Control.Thermostat.CompressorDelay",
                      R"({"delay":[{"channel":0}]})")
                 .answers.size() == 1u);
  auto alarm = ask(*d, Method::Push, "Appliance.Control.Thermostat.Alarm", "{}");
  BOOST_TEST(channel0(alarm, "alarm")["temp"].GetInt() == 1723);  // the room, 0.01 °C
}

BOOST_AUTO_TEST_CASE(mts960_modeb_is_in_hundredths_and_keeps_to_its_control_range) {
  auto d = trace_device("mts960");
  bind(*d);
  BOOST_TEST(protocol::to_json(
                 ask(*d, Method::Get, ns::kControlThermostatModeB, R"({"modeB":{}})").payload()) ==
             R"({"modeB":[]})");
  auto got = ask(*d, Method::Get, ns::kControlThermostatModeB, R"({"modeB":[{"channel":0}]})");
  BOOST_TEST(channel0(got, "modeB")["targetTemp"].GetInt() == 1800);
  BOOST_TEST(channel0(got, "modeB")["currentTemp"].GetInt() == 1723);

  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kControlThermostatModeB,
                 R"({"modeB":[{"channel":0,"onoff":1,"mode":1,"working":1,"targetTemp":2150}]})",
                 kT0, &pushes);
  const auto& heat = channel0(ack, "modeB");
  BOOST_TEST(heat["targetTemp"].GetInt() == 2150);
  BOOST_TEST(heat["state"].GetInt() == 1);  // 17.23 °C < 21.5 °C: relay on
  BOOST_TEST(heat["sensorStatus"].GetInt() == 1);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(pushes[0].header.ns == std::string(ns::kControlThermostatModeB));
  BOOST_TEST(protocol::to_json(pushes[0].payload()) == protocol::to_json(ack.payload()));
  // Cooling to 21.5 °C in a 17.23 °C room: relay off (2). Off is onoff 2.
  ack =
      ask(*d, Method::Set, ns::kControlThermostatModeB, R"({"modeB":[{"channel":0,"working":2}]})");
  BOOST_TEST(channel0(ack, "modeB")["state"].GetInt() == 2);
  ack = ask(*d, Method::Set, ns::kControlThermostatModeB,
            R"({"modeB":[{"channel":0,"working":1,"onoff":2}]})");
  BOOST_TEST(channel0(ack, "modeB")["state"].GetInt() == 2);
  // Out of CtlRange (ctlMin 0 .. ctlMax 5000), onoff 0, wrong types: refused.
  for (const char* bad :
       {R"({"modeB":[{"channel":0,"targetTemp":6000}]})", R"({"modeB":[{"channel":0,"onoff":0}]})",
        R"({"modeB":[{"channel":0,"mode":"1"}]})", R"({"modeB":[{"channel":0,"working":3}]})"}) {
    BOOST_TEST(error_code(ask(*d, Method::Set, ns::kControlThermostatModeB, bad)) == 5000, bad);
  }
  auto range = ask(*d, Method::Get, "Appliance.Control.Thermostat.CtlRange",
                   R"({"ctlRange":[{"channel":0}]})");
  BOOST_TEST(channel0(range, "ctlRange")["ctlMax"].GetInt() == 5000);
  BOOST_TEST(error_code(ask(*d, Method::Set, "Appliance.Control.Thermostat.CtlRange",
                            R"({"ctlRange":[{"channel":0,"ctlMax":1}]})")) == 5000);
  // Recorded config values are in 0.01 °C on this model.
  auto dead = ask(*d, Method::Get, "Appliance.Control.Thermostat.DeadZone",
                  R"({"deadZone":[{"channel":0}]})");
  BOOST_TEST(channel0(dead, "deadZone")["value"].GetInt() == 100);
  // The countdown/cycle timer.
  pushes.clear();
  ask(*d, Method::Set, "Appliance.Control.Thermostat.Timer",
      R"({"timer":[{"channel":0,"type":2,"cycle":{"onDuration":15,"offDuration":15,"state":1}}]})",
      kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(channel0(pushes[0], "timer")["cycle"]["onDuration"].GetInt() == 15);
  BOOST_TEST(error_code(ask(*d, Method::Set, "Appliance.Control.Thermostat.Timer",
                            R"({"timer":[{"channel":0,"type":3}]})")) == 5000);
  // The digest follows.
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  BOOST_TEST(all.payload()["all"]["digest"]["thermostat"]["modeB"][0]["onoff"].GetInt() == 2);
}

BOOST_AUTO_TEST_CASE(room_and_window_commands_change_the_reading_and_push) {
  auto d = trace_device("mts200b");
  auto quiet = d->command({"room", "0", "23.4"}, kT0);  // unbound: state changes, no PUSH
  BOOST_TEST(quiet.error.empty());
  BOOST_TEST(quiet.messages.empty());
  bind(*d);
  auto room = d->command({"room", "0", "19"}, kT0 + 1000);
  BOOST_TEST(room.error.empty());
  auto pushed = parse_all(room.messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == std::string(ns::kControlThermostatMode));
  BOOST_TEST(channel0(pushed[0], "mode")["currentTemp"].GetInt() == 190);
  BOOST_TEST(channel0(pushed[0], "mode")["state"].GetInt() == 1);  // 19 °C < 21 °C target
  auto window = d->command({"window", "0", "open"}, kT0 + 2000);
  pushed = parse_all(window.messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == "Appliance.Control.Thermostat.WindowOpened");
  BOOST_TEST(channel0(pushed[0], "windowOpened")["status"].GetInt() == 1);
  BOOST_TEST(channel0(pushed[0], "windowOpened")["lmTime"].GetInt64() == (kT0 + 2000) / 1000);
  // Refused: a bad temperature, a channel the thermostat lacks, a bad word.
  BOOST_TEST(!d->command({"room", "0", "warm"}, kT0).error.empty());
  BOOST_TEST(!d->command({"room", "0", "500"}, kT0).error.empty());
  BOOST_TEST(!d->command({"room", "4", "20"}, kT0).error.empty());
  BOOST_TEST(!d->command({"window", "0", "ajar"}, kT0).error.empty());
  BOOST_TEST(!d->command({"door", "0", "open"}, kT0).error.empty());
  BOOST_TEST(!d->command({}, kT0).error.empty());
  // mts960: 0.01 °C.
  auto socket = trace_device("mts960");
  bind(*socket);
  pushed = parse_all(socket->command({"room", "0", "22.5"}, kT0).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(channel0(pushed[0], "modeB")["currentTemp"].GetInt() == 2250);
}

BOOST_AUTO_TEST_CASE(mts300_builtin_profile_runs_modec) {
  auto d = builtin_device("mts300");
  BOOST_TEST(d->type() == "mts300");
  bind(*d);
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  BOOST_TEST(!all.payload()["all"]["digest"].HasMember("thermostat"));  // no digest (§1.4)
  auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(ability.payload()["ability"].HasMember(std::string(ns::kControlThermostatModeC)));
  BOOST_TEST(!ability.payload()["ability"].HasMember("Appliance.Control.ToggleX"));

  auto got = ask(*d, Method::Get, ns::kControlThermostatModeC, R"({"control":[{"channel":0}]})");
  BOOST_TEST(channel0(got, "control")["targetTemp"]["heat"].GetInt() == 2100);
  BOOST_TEST(
      protocol::to_json(
          ask(*d, Method::Get, ns::kControlThermostatModeC, R"({"control":{}})").payload()) ==
      R"({"control":[]})");

  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kControlThermostatModeC,
                 R"({"control":[{"channel":0,"mode":1,"work":1,"targetTemp":{"heat":2350}}]})", kT0,
                 &pushes);
  const auto& c = channel0(ack, "control");
  BOOST_TEST(c["mode"].GetInt() == 1);
  BOOST_TEST(c["targetTemp"]["heat"].GetInt() == 2350);
  BOOST_TEST(c["targetTemp"]["cold"].GetInt() == 2400);  // partial objects merge
  BOOST_TEST(c["more"]["hStatus"].GetInt() == 2);        // 1.5 °C below: stage 2
  BOOST_TEST(c["more"]["humi"].GetInt() == 495);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(protocol::to_json(pushes[0].payload()) == protocol::to_json(ack.payload()));
  ack = ask(*d, Method::Set, ns::kControlThermostatModeC,
            R"({"control":[{"channel":0,"fan":{"fMode":1,"speed":3}}]})");
  BOOST_TEST(channel0(ack, "control")["more"]["fStatus"].GetInt() == 3);
  BOOST_TEST(channel0(ack, "control")["fan"]["hTime"].GetInt() == 99999);
  for (const char* bad : {R"({"control":[{"channel":0,"fan":{"speed":4}}]})",
                          R"({"control":[{"channel":0,"targetTemp":{"heat":"x"}}]})",
                          R"({"control":[{"channel":0,"targetTemp":{"warm":2000}}]})",
                          R"({"control":[{"channel":0,"targetTemp":9000}]})",
                          R"({"control":[{"channel":0,"mode":4}]})"}) {
    BOOST_TEST(error_code(ask(*d, Method::Set, ns::kControlThermostatModeC, bad)) == 5000, bad);
  }
  auto room = parse_all(d->command({"room", "0", "25"}, kT0).messages);
  BOOST_REQUIRE_EQUAL(room.size(), 1u);
  BOOST_TEST(channel0(room[0], "control")["sensorTemp"].GetInt() == 2500);
}

BOOST_AUTO_TEST_SUITE_END()
