// Unit tests of the simulated device model (simulator/device.hpp): no broker, no clock; real
// trace payloads wherever a trace exists.

#include <algorithm>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"
#include "simulator/device.hpp"
#include "simulator/profiles.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::sim_test;

BOOST_AUTO_TEST_SUITE(device_model)

BOOST_AUTO_TEST_CASE(boot_sends_report_bind_clock_and_consumption_config) {
  auto d = trace_device("mss310.csv");
  BOOST_TEST(d->type() == "mss310");
  BOOST_TEST(d->mac() == sim::mac_from_uuid(d->uuid()));
  const auto out = d->connect(kT0);
  BOOST_REQUIRE_EQUAL(out.size(), 4u);
  const auto boot = parse_all(out);
  BOOST_TEST(boot[0].header.ns == "Appliance.System.Report");
  BOOST_TEST((boot[0].header.method == Method::Push));
  BOOST_TEST(boot[1].header.ns == "Appliance.Control.Bind");
  BOOST_TEST((boot[1].header.method == Method::Set));
  BOOST_TEST(boot[1].header.from == d->subscribe_topic());
  BOOST_TEST(boot[2].header.ns == "Appliance.System.Clock");
  BOOST_TEST(boot[3].header.ns == "Appliance.Control.ConsumptionConfig");
  for (std::size_t i = 0; i < out.size(); ++i) {
    BOOST_TEST(out[i].topic == d->publish_topic());
    const auto& h = boot[i].header;
    BOOST_TEST(protocol::verify_sign(h.message_id, kKey, h.timestamp, h.sign));
    BOOST_TEST(h.timestamp == kT0 / 1000);
  }
  // The Bind payload is a mini System.All with the simulated identity (§3.2).
  auto profile = protocol::profile_from_bind(boot[1].payload());
  BOOST_REQUIRE(profile);
  BOOST_TEST(profile->uuid == d->uuid());
  BOOST_TEST(profile->mac == d->mac());
  BOOST_TEST(profile->type == "mss310");
  BOOST_TEST(profile->user_id.value_or(-1) == 42);
  BOOST_TEST(profile->port.value_or(-1) == 18883);
  BOOST_TEST(profile->timezone == "Europe/London");
  // The ConsumptionConfig PUSH carries the trace's calibration.
  BOOST_TEST(protocol::to_json(boot[3].payload()) ==
             R"({"config":{"voltageRatio":186,"electricityRatio":121}})");
  // Password per §2.3.
  BOOST_TEST(d->mqtt_password() == "42_" + protocol::md5_hex(d->mac() + std::string(kKey)));
}

BOOST_AUTO_TEST_CASE(bind_repeats_until_a_validly_signed_setack) {
  auto d = trace_device("mss310.csv");
  const auto boot = parse_all(d->connect(kT0));
  BOOST_TEST(d->tick(kT0 + 999).empty());
  auto again = parse_all(d->tick(kT0 + 1000));
  BOOST_REQUIRE_EQUAL(again.size(), 2u);
  BOOST_TEST(again[0].header.ns == "Appliance.System.Report");
  BOOST_TEST(again[1].header.ns == "Appliance.Control.Bind");
  BOOST_TEST(again[1].header.message_id != boot[1].header.message_id);

  // A SETACK signed with another key does not bind.
  auto bad = protocol::make_ack_header(again[1].header, "wrong-key", kT0 / 1000 + 1, "x");
  auto r = d->receive(protocol::serialize(bad, "{}"), kT0 + 1100);
  BOOST_TEST(!r.became_bound);
  BOOST_TEST(!d->bound());
  BOOST_TEST(!r.problem.empty());
  const auto later = parse_all(d->tick(kT0 + 2000));
  BOOST_TEST(find_ns(later, "Appliance.Control.Bind"));
  BOOST_TEST(find_ns(later, "Appliance.System.Report"));

  // The header-replay variant (§3.2 variant B) is validly signed too.
  auto replay = again[1].header;
  replay.method = Method::SetAck;
  r = d->receive(protocol::serialize(replay, "{}"), kT0 + 2100);
  BOOST_TEST(r.became_bound);
  BOOST_TEST(d->bound());
  for (std::int64_t t = kT0 + 3000; t < kT0 + 20000; t += 1000) {
    for (const auto& m : parse_all(d->tick(t))) {
      BOOST_TEST(m.header.ns != "Appliance.Control.Bind");
      BOOST_TEST(m.header.ns != "Appliance.System.Report");
    }
  }
}

BOOST_AUTO_TEST_CASE(commands_are_ignored_before_the_bind_is_acknowledged) {
  auto d = trace_device("mss310.csv");
  d->connect(kT0);
  for (const char* ns : {"Appliance.System.All", "Appliance.Control.ToggleX"}) {
    const auto r = d->receive(request(Method::Get, ns, "{}", kT0), kT0);
    BOOST_TEST(r.messages.empty());
  }
  auto r = d->receive(request(Method::Set, "Appliance.Control.ToggleX",
                              R"({"togglex":{"channel":0,"onoff":1}})", kT0),
                      kT0);
  BOOST_TEST(r.messages.empty());
  BOOST_TEST(d->state_json(kT0).find(R"("onoff":0)") != std::string::npos);
  // Not connected at all: nothing either.
  auto fresh = trace_device("mss310.csv");
  BOOST_TEST(fresh->receive(request(Method::Get, "Appliance.System.All", "{}", kT0), kT0)
                 .messages.empty());
}

BOOST_AUTO_TEST_CASE(clock_push_repeats_until_answered) {
  auto d = trace_device("mss310.csv");
  const auto boot = parse_all(d->connect(kT0));
  bind(*d, kT0);  // reconnects: a new boot sequence
  const auto clock_count = [&](std::int64_t t) {
    const auto out = parse_all(d->tick(t));
    return std::count_if(out.begin(), out.end(),
                         [](const auto& m) { return m.header.ns == "Appliance.System.Clock"; });
  };
  BOOST_TEST(clock_count(kT0 + 1999) == 0);
  BOOST_TEST(clock_count(kT0 + 2000) == 1);
  BOOST_TEST(clock_count(kT0 + 4000) == 1);
  // The bridge's reply replays the device header with our time (§3.4).
  const auto* clock = find_ns(boot, "Appliance.System.Clock");
  BOOST_REQUIRE(clock);
  auto reply = protocol::make_push_reply_header(clock->header);
  const auto r = d->receive(
      protocol::serialize(reply, R"({"clock":{"timestamp":)" + std::to_string(kT0 / 1000) + "}}"),
      kT0 + 4100);
  BOOST_TEST(r.messages.empty());
  BOOST_TEST(clock_count(kT0 + 6000) == 0);
  BOOST_TEST(clock_count(kT0 + 60000) == 0);
}

BOOST_AUTO_TEST_CASE(trace_device_answers_system_all_and_ability_with_the_trace_payloads) {
  const auto trace = test::load_trace("mss310.csv");
  auto d = trace_device("mss310.csv");
  bind(*d);
  const auto all = ask(*d, Method::Get, "Appliance.System.All", R"({"all":{}})", kT0 + 500);
  BOOST_TEST((all.header.method == Method::GetAck));
  auto expected = json(trace.all_json);
  auto& system = expected["all"]["system"];
  system["hardware"]["uuid"].SetString(d->uuid().c_str(), expected.GetAllocator());
  system["hardware"]["macAddress"].SetString(d->mac().c_str(), expected.GetAllocator());
  system["time"]["timestamp"].SetInt64((kT0 + 500) / 1000);
  BOOST_TEST(protocol::to_json(all.payload()) == protocol::to_json(expected));

  const auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(protocol::to_json(ability.payload()) == protocol::to_json(json(trace.ability_json)));

  // Namespaces not modelled live answer with the recorded GETACK.
  const auto runtime = ask(*d, Method::Get, "Appliance.System.Runtime", R"({"runtime":{}})");
  std::string last_runtime;
  for (const auto& row : trace.rows) {
    if (row.method == "GETACK" && row.ns == "Appliance.System.Runtime")
      last_runtime = row.payload_json;
  }
  BOOST_TEST(!last_runtime.empty());
  BOOST_TEST(protocol::to_json(runtime.payload()) == protocol::to_json(json(last_runtime)));
  const auto dnd = ask(*d, Method::Get, "Appliance.System.DNDMode", R"({"DNDMode":{}})");
  BOOST_TEST(protocol::to_json(dnd.payload()) == R"({"DNDMode":{"mode":0}})");
}

BOOST_AUTO_TEST_CASE(sign_errors_unknown_namespaces_and_requests_without_from) {
  auto d = trace_device("mss310.csv");
  bind(*d);
  // Wrong key: ERROR 5001 to `from`, same messageId, signed with the device key.
  const auto r = d->receive(
      request(Method::Get, "Appliance.System.All", "{}", kT0, "other-key", kReply, "abc123"), kT0);
  BOOST_REQUIRE_EQUAL(r.messages.size(), 1u);
  BOOST_TEST(r.messages[0].topic == kReply);
  const auto err = parse(r.messages[0]);
  BOOST_TEST((err.header.method == Method::Error));
  BOOST_TEST(err.header.message_id == "abc123");
  BOOST_TEST(protocol::to_json(err.payload()) ==
             R"({"error":{"code":5001,"detail":"sign error"}})");
  BOOST_TEST(
      protocol::verify_sign(err.header.message_id, kKey, err.header.timestamp, err.header.sign));

  // A namespace the device does not have: 5000.
  const auto light = ask(*d, Method::Get, "Appliance.Control.Light", R"({"light":{}})");
  BOOST_TEST((light.header.method == Method::Error));
  BOOST_TEST(error_code(light) == 5000);
  const auto garbage = ask(*d, Method::Get, "Appliance.No.Such", "{}");
  BOOST_TEST(error_code(garbage) == 5000);

  // No `from`: no answer at all.
  const auto silent =
      d->receive(request(Method::Get, "Appliance.System.All", "{}", kT0, kKey, ""), kT0);
  BOOST_TEST(silent.messages.empty());
}

BOOST_AUTO_TEST_CASE(togglex_set_answers_pushes_and_drives_electricity) {
  auto d = trace_device("mss310.csv");
  bind(*d);
  // Seeded from the trace: off, old-firmware dict shape.
  auto get = ask(*d, Method::Get, "Appliance.Control.ToggleX", R"({"togglex":[]})");
  BOOST_TEST(protocol::to_json(get.payload()) ==
             R"({"channel":0,"togglex":{"channel":0,"onoff":0,"lmTime":1681840534}})");
  auto off = ask(*d, Method::Get, "Appliance.Control.Electricity", R"({"electricity":{}})");
  const auto& e0 = off.payload()["electricity"];
  BOOST_TEST(e0["power"].GetInt64() == 0);
  BOOST_TEST(e0["current"].GetInt64() == 0);
  BOOST_TEST(std::abs(e0["voltage"].GetInt64() - 2300) < 200);

  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, "Appliance.Control.ToggleX",
                 R"({"togglex":{"channel":0,"onoff":1}})", kT0 + 1000, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST((pushes[0].header.method == Method::Push));
  BOOST_TEST(protocol::to_json(pushes[0].payload()) ==
             R"({"togglex":[{"channel":0,"onoff":1,"lmTime":)" + std::to_string(kT0 / 1000 + 1) +
                 "}]}");

  // On: plausible, varying power; current = power / voltage.
  std::vector<std::int64_t> powers;
  for (int i = 0; i < 5; ++i) {
    auto on = ask(*d, Method::Get, "Appliance.Control.Electricity", R"({"electricity":{}})");
    const auto& e = on.payload()["electricity"];
    const auto power = e["power"].GetInt64();
    const auto voltage = e["voltage"].GetInt64();
    const auto current = e["current"].GetInt64();
    BOOST_TEST(power > 15'000);  // mW
    BOOST_TEST(power < 2'000'000);
    BOOST_TEST(std::abs(voltage - 2300) < 200);                 // 0.1 V
    BOOST_TEST(std::abs(current - power * 10 / voltage) <= 1);  // mA
    BOOST_TEST(e["config"]["voltageRatio"].GetInt() == 186);
    powers.push_back(power);
  }
  std::sort(powers.begin(), powers.end());
  BOOST_TEST(powers.front() != powers.back());
}

BOOST_AUTO_TEST_CASE(consumption_accumulates_per_local_day) {
  auto d = builtin_device("mss310");
  bind(*d);
  // Europe/Rome: 23:30 local on 2025-06-15 is 21:30Z.
  const std::int64_t evening = 1'750'023'000'000;  // 2025-06-15T21:30:00Z
  const auto rules = protocol::build_time_rules("Europe/Rome", evening / 1000);
  BOOST_REQUIRE(rules);
  ask(*d, Method::Set, "Appliance.System.Time", protocol::time_set_payload("Europe/Rome", *rules),
      kT0);
  d->tick(evening);  // on since the start: energy from kT0 to the evening counts for today
  auto before =
      ask(*d, Method::Get, "Appliance.Control.ConsumptionX", "{\"consumptionx\":[]}", evening);
  const auto& days = before.payload()["consumptionx"];
  BOOST_TEST(days.Size() >= 29u);
  BOOST_TEST(days.Size() <= 30u);
  const auto day_value = [](const protocol::JsonValue& list, std::string_view date) {
    for (const auto& item : list.GetArray()) {
      if (std::string_view(item["date"].GetString()) == date) return item["value"].GetInt64();
    }
    return std::int64_t{-1};
  };
  const auto today = day_value(days, "2025-06-15");
  BOOST_TEST(today > 0);
  // One hour later it is the 16th in Rome: a new day that starts from zero.
  d->tick(evening + 3'600'000);
  auto after = ask(*d, Method::Get, "Appliance.Control.ConsumptionX", "{\"consumptionx\":[]}",
                   evening + 3'600'000);
  const auto& days2 = after.payload()["consumptionx"];
  BOOST_TEST(days2.Size() <= 30u);
  BOOST_TEST(day_value(days2, "2025-06-15") >= today);
  const auto next = day_value(days2, "2025-06-16");
  BOOST_TEST(next > 0);
  BOOST_TEST(next < today);
  // The state says how much today holds, and in which zone.
  BOOST_TEST(d->state_json(evening + 3'600'000).find("\"localDate\":\"2025-06-16\"") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(system_time_set_is_kept_and_pushed) {
  auto d = builtin_device("mss310");
  bind(*d);
  auto empty = ask(*d, Method::Get, "Appliance.System.Time", "{\"time\":{}}");
  BOOST_TEST(std::string(empty.payload()["time"]["timezone"].GetString()).empty());
  const auto rules = protocol::build_time_rules("America/New_York", kT0 / 1000);
  BOOST_REQUIRE(rules);
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, "Appliance.System.Time",
                 protocol::time_set_payload("America/New_York", *rules), kT0, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  auto got = ask(*d, Method::Get, "Appliance.System.Time", "{\"time\":{}}");
  const auto& time = got.payload()["time"];
  BOOST_TEST(std::string(time["timezone"].GetString()) == "America/New_York");
  auto parsed = protocol::parse_time_rules(time["timeRule"]);
  BOOST_REQUIRE(parsed);
  BOOST_TEST((*parsed == *rules));
  // System.All and the Bind payload carry the new time too.
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  auto profile = protocol::profile_from_system_all(all.payload());
  BOOST_REQUIRE(profile);
  BOOST_TEST(profile->timezone == "America/New_York");
  BOOST_TEST(profile->time_rules.size() == rules->size());
  // A malformed table is refused and changes nothing.
  auto bad = ask(*d, Method::Set, "Appliance.System.Time",
                 R"({"time":{"timezone":"Europe/Rome","timeRule":[["x"]]}})");
  BOOST_TEST(error_code(bad) == 5000);
  auto still = ask(*d, Method::Get, "Appliance.System.Time", "{}");
  BOOST_TEST(std::string(still.payload()["time"]["timezone"].GetString()) == "America/New_York");
}

BOOST_AUTO_TEST_CASE(msl120_light_keeps_rgb_temperature_and_luminance) {
  auto d = builtin_device("msl120");
  bind(*d);
  auto ability = ask(*d, Method::Get, "Appliance.System.Ability", "{}");
  BOOST_TEST(ability.payload()["ability"]["Appliance.Control.Light"]["capacity"].GetInt() == 7);
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  auto profile = protocol::profile_from_system_all(all.payload());
  BOOST_REQUIRE(profile);
  BOOST_TEST(profile->channels_in("light") == std::vector<int>{0});
  BOOST_TEST(profile->channels_in("togglex") == std::vector<int>{0});

  std::vector<protocol::Message> pushes;
  ask(*d, Method::Set, "Appliance.Control.Light",
      R"({"light":{"channel":0,"capacity":5,"rgb":16711680,"luminance":30}})", kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  const auto& light = pushes[0].payload()["light"];
  BOOST_TEST(light["capacity"].GetInt() == 5);
  BOOST_TEST(light["rgb"].GetInt64() == 16711680);
  BOOST_TEST(light["luminance"].GetInt() == 30);
  ask(*d, Method::Set, "Appliance.Control.Light",
      R"({"light":{"channel":0,"capacity":6,"temperature":"100","luminance":250}})");
  auto got = ask(*d, Method::Get, "Appliance.Control.Light", R"({"light":{}})");
  const auto& l = got.payload()["light"];
  BOOST_TEST(l["capacity"].GetInt() == 6);
  BOOST_TEST(l["temperature"].GetInt() == 100);
  BOOST_TEST(l["luminance"].GetInt() == 100);  // clamped to 1..100
  BOOST_TEST(l["rgb"].GetInt64() == 16711680);
  // Wrong types are refused with 5000 and change nothing.
  auto bad = ask(*d, Method::Set, "Appliance.Control.Light", R"({"light":{"rgb":[1]}})");
  BOOST_TEST(error_code(bad) == 5000);
  // Power goes through ToggleX channel 0.
  ask(*d, Method::Set, "Appliance.Control.ToggleX", R"({"togglex":{"channel":0,"onoff":0}})");
  auto tx = ask(*d, Method::Get, "Appliance.Control.ToggleX", R"({"togglex":[]})");
  BOOST_TEST(tx.payload()["togglex"][0]["onoff"].GetInt() == 0);
}

BOOST_AUTO_TEST_CASE(msg100_door_moves_for_a_few_seconds_without_a_push) {
  auto d = trace_device("msg100");
  bind(*d);
  auto state = ask(*d, Method::Get, "Appliance.GarageDoor.State", R"({"state":{}})");
  BOOST_TEST(protocol::to_json(state.payload()) ==
             R"({"state":{"channel":0,"open":1,"lmTime":0}})");
  // Closing an open door: the SETACK shows the door still open and the relay pulsed (§5.10).
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, "Appliance.GarageDoor.State",
                 R"({"state":{"channel":0,"open":0}})", kT0, &pushes);
  BOOST_TEST(protocol::to_json(ack.payload()) ==
             R"({"state":{"channel":0,"open":1,"lmTime":0,"execute":1}})");
  BOOST_TEST(pushes.empty());
  BOOST_TEST(parse_all(d->tick(kT0 + 1000)).empty());
  // On the way the contact is still open; it closes when the door stops, and nothing is PUSHed
  // (meross_lan's emulator): only a GET tells.
  auto moving = ask(*d, Method::Get, "Appliance.GarageDoor.State", R"({"state":{}})", kT0 + 2000);
  BOOST_TEST(moving.payload()["state"]["open"].GetInt() == 1);
  BOOST_TEST(!find_ns(parse_all(d->tick(kT0 + 3000)), "Appliance.GarageDoor.State"));
  auto closed = ask(*d, Method::Get, "Appliance.GarageDoor.State", R"({"state":{}})", kT0 + 3000);
  BOOST_TEST(closed.payload()["state"]["open"].GetInt() == 0);
  // Already closed: not executed.
  auto again = ask(*d, Method::Set, "Appliance.GarageDoor.State",
                   R"({"state":{"channel":0,"open":0}})", kT0 + 3000);
  BOOST_TEST(again.payload()["state"]["execute"].GetInt() == 0);
  // The wall button: the door PUSHes its state when it stops.
  BOOST_REQUIRE(d->press(0, kT0 + 4000));
  const auto pressed = parse_all(d->tick(kT0 + 7000));
  const auto* push = find_ns(pressed, "Appliance.GarageDoor.State");
  BOOST_REQUIRE(push);
  BOOST_TEST(push->payload()["state"][0]["open"].GetInt() == 1);
  // Recorded config answers GETs.
  auto config = ask(*d, Method::Get, "Appliance.GarageDoor.Config", R"({"config":{}})");
  BOOST_TEST(config.payload()["config"]["doorOpenDuration"].GetInt() == 30000);
}

BOOST_AUTO_TEST_CASE(mrs100_shutter_position_moves_over_time_without_a_push) {
  auto d = trace_device("mrs100");
  bind(*d);
  auto start = ask(*d, Method::Get, "Appliance.RollerShutter.Position", R"({"position":[]})");
  const int from = start.payload()["position"][0]["position"].GetInt();
  const int target = from >= 50 ? 0 : 100;
  std::vector<protocol::Message> pushes;
  ask(*d, Method::Set, "Appliance.RollerShutter.Position",
      R"({"position":{"channel":0,"position":)" + std::to_string(target) + "}}", kT0, &pushes);
  BOOST_TEST(pushes.empty());
  auto moving =
      ask(*d, Method::Get, "Appliance.RollerShutter.State", R"({"state":[]})", kT0 + 5000);
  BOOST_TEST(moving.payload()["state"][0]["state"].GetInt() == (target == 100 ? 1 : 2));
  auto mid =
      ask(*d, Method::Get, "Appliance.RollerShutter.Position", R"({"position":[]})", kT0 + 5000);
  BOOST_TEST(mid.payload()["position"][0]["position"].GetInt() == 50);
  const auto stopped_quietly = parse_all(d->tick(kT0 + 10000));  // stopped, and said nothing
  BOOST_TEST(!find_ns(stopped_quietly, "Appliance.RollerShutter.State"));
  BOOST_TEST(!find_ns(stopped_quietly, "Appliance.RollerShutter.Position"));
  auto idle = ask(*d, Method::Get, "Appliance.RollerShutter.State", R"({"state":[]})", kT0 + 10000);
  BOOST_TEST(idle.payload()["state"][0]["state"].GetInt() == 0);
  auto done =
      ask(*d, Method::Get, "Appliance.RollerShutter.Position", R"({"position":[]})", kT0 + 10000);
  BOOST_TEST(done.payload()["position"][0]["position"].GetInt() == target);
  // The button: State is PUSHed when it starts, State and Position when it stops.
  const auto pressed = d->press(0, kT0 + 11000);
  BOOST_REQUIRE(pressed);
  BOOST_TEST(find_ns(parse_all(*pressed), "Appliance.RollerShutter.State"));
  const auto stopped = parse_all(d->tick(kT0 + 21000));
  const auto* pos = find_ns(stopped, "Appliance.RollerShutter.Position");
  BOOST_REQUIRE(pos);
  BOOST_TEST(pos->payload()["position"][0]["position"].GetInt() == from);
  // -1 stops; out of range is refused.
  auto bad = ask(*d, Method::Set, "Appliance.RollerShutter.Position",
                 R"({"position":{"channel":0,"position":101}})", kT0 + 21000);
  BOOST_TEST(error_code(bad) == 5000);
}

BOOST_AUTO_TEST_CASE(mss425f_button_press_toggles_one_channel_and_pushes_when_bound) {
  auto d = builtin_device("mss425f");
  auto none = d->press(3, kT0);
  BOOST_REQUIRE(none);
  BOOST_TEST(none->empty());  // unbound: state changes, nothing pushed
  bind(*d);
  auto pushed = d->press(3, kT0 + 1000);
  BOOST_REQUIRE(pushed);
  const auto msgs = parse_all(*pushed);
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_TEST(protocol::to_json(msgs[0].payload()) ==
             R"({"togglex":[{"channel":3,"onoff":0,"lmTime":)" +
                 std::to_string((kT0 + 1000) / 1000) + "}]}");
  BOOST_TEST(!d->press(7, kT0));
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  auto profile = protocol::profile_from_system_all(all.payload());
  BOOST_REQUIRE(profile);
  BOOST_TEST(profile->channels_in("togglex") == (std::vector<int>{0, 1, 2, 3, 4}));
  BOOST_TEST(!profile->has_ability("Appliance.System.Clock"));
  auto tx = ask(*d, Method::Get, "Appliance.Control.ToggleX", R"({"togglex":[]})");
  BOOST_TEST(tx.payload()["togglex"].Size() == 5u);
}

BOOST_AUTO_TEST_CASE(multiple_answers_each_inner_request) {
  auto d = trace_device("mss310.csv");
  bind(*d);
  const std::string payload =
      R"({"multiple":[{"header":{"messageId":"a1","namespace":"Appliance.Control.Electricity","method":"GET"},"payload":{"electricity":{}}},)"
      R"({"header":{"messageId":"b2","namespace":"Appliance.System.DNDMode","method":"GET"},"payload":{"DNDMode":{}}}]})";
  auto ack = ask(*d, Method::Set, "Appliance.Control.Multiple", payload);
  const auto& list = ack.payload()["multiple"];
  BOOST_REQUIRE_EQUAL(list.Size(), 2u);
  BOOST_TEST(std::string(list[0]["header"]["messageId"].GetString()) == "a1");
  BOOST_TEST(std::string(list[0]["header"]["method"].GetString()) == "GETACK");
  BOOST_TEST(list[0]["payload"].HasMember("electricity"));
  BOOST_TEST(std::string(list[1]["header"]["namespace"].GetString()) == "Appliance.System.DNDMode");
}

BOOST_AUTO_TEST_CASE(bad_input_never_crashes) {
  auto d = trace_device("mss310.csv");
  bind(*d);
  for (const std::string& bad :
       std::vector<std::string>{"", "{", "null", "[]", R"({"header":1,"payload":{}})",
                                R"({"header":{},"payload":{}})", std::string(100000, '{')}) {
    const auto r = d->receive(bad, kT0);
    BOOST_TEST(r.messages.empty());
    BOOST_TEST(!r.problem.empty());
  }
  for (const char* payload :
       {R"({"togglex":5})", R"({"togglex":{"channel":"x","onoff":1}})",
        R"({"togglex":{"channel":9,"onoff":1}})", R"({"togglex":[{"onoff":null}]})", "{}"}) {
    auto a = ask(*d, Method::Set, "Appliance.Control.ToggleX", payload);
    BOOST_TEST(error_code(a) == 5000);
  }
  for (const char* payload : {R"({"multiple":3})", R"({"multiple":[1,{"header":5},{}]})"}) {
    ask(*d, Method::Set, "Appliance.Control.Multiple", payload);
  }
  ask(*d, Method::Set, "Appliance.System.Time", R"({"time":{"timezone":5}})");
  ask(*d, Method::Set, "Appliance.System.DNDMode", R"({"DNDMode":[]})");
  // ACKs and errors sent to a device are dropped.
  BOOST_TEST(
      d->receive(request(Method::GetAck, "Appliance.System.All", "{}", kT0), kT0).messages.empty());
}

BOOST_AUTO_TEST_CASE(every_fixture_trace_becomes_a_working_device) {
  for (const auto& path : test::trace_files()) {
    const auto name = path.filename().string();
    BOOST_TEST_CONTEXT(name) {
      auto trace = protocol::parse_trace(name, test::read_file(path));
      BOOST_REQUIRE(trace);
      auto tmpl = sim::trace_template(*trace, name);
      BOOST_REQUIRE(tmpl);
      sim::Device d(*tmpl, trace->uuid, sim::trace_mac(*trace, trace->uuid), settings(), kT0);
      bind(d);
      auto all = ask(d, Method::Get, "Appliance.System.All", "{}");
      auto profile = protocol::profile_from_system_all(all.payload());
      BOOST_REQUIRE(profile);
      BOOST_TEST(profile->uuid == trace->uuid);
      // Every namespace the trace recorded a GET of is answered, never with a crash; but GETs
      // firmware never answers (device-families.md §0 rules 2–3) stay unanswered, with a warning.
      for (const auto& row : trace->rows) {
        if (row.method != "GET") continue;
        BOOST_TEST_CONTEXT(row.ns << " " << row.payload_json) {
          const auto r = d.receive(request(Method::Get, row.ns, row.payload_json, kT0), kT0);
          if (firmware_never_answers_get(row.ns, row.payload_json)) {
            BOOST_TEST(r.messages.empty());
            BOOST_TEST(!r.warning.empty());
          } else {
            BOOST_TEST(r.messages.size() >= 1u);
          }
        }
      }
      for (int i = 0; i < 3; ++i)
        d.press(std::nullopt, kT0 + i);
      d.tick(kT0 + 60'000);
      BOOST_TEST(!d.state_json(kT0).empty());
      BOOST_TEST(!parse_all({d.load_push(kT0)}).empty());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(profiles)

BOOST_AUTO_TEST_CASE(durations_and_broker_urls) {
  BOOST_TEST(*sim::parse_duration_ms("500ms") == 500);
  BOOST_TEST(*sim::parse_duration_ms("1s") == 1000);
  BOOST_TEST(*sim::parse_duration_ms("30s") == 30000);
  BOOST_TEST(*sim::parse_duration_ms("5m") == 300000);
  BOOST_TEST(*sim::parse_duration_ms("2") == 2000);
  BOOST_TEST(!sim::parse_duration_ms("1x"));
  BOOST_TEST(!sim::parse_duration_ms("s"));
  BOOST_TEST(!sim::parse_duration_ms("-1s"));
  auto url = sim::parse_broker_url("mqtt://127.0.0.1:18830");
  BOOST_REQUIRE(url);
  BOOST_TEST(url->host == "127.0.0.1");
  BOOST_TEST(url->port == 18830);
  BOOST_TEST(sim::parse_broker_url("localhost")->port == 1883);
  auto tls = sim::parse_broker_url("mqtts://h:1");
  BOOST_REQUIRE(tls);
  BOOST_TEST(tls->tls);
  BOOST_TEST(tls->port == 1);
  BOOST_TEST(sim::parse_broker_url("mqtts://h")->port == 8883);
  BOOST_TEST(!url->tls);
  BOOST_TEST(!sim::parse_broker_url("ws://h:1"));
  BOOST_TEST(!sim::parse_broker_url("mqtt://h:99999"));
  BOOST_TEST(!sim::parse_broker_url("mqtt://:1"));
}

BOOST_AUTO_TEST_CASE(identities_are_deterministic) {
  BOOST_TEST(sim::mac_from_uuid("0123456789012345678901234567891A") == "01:23:45:67:89:1a");
  BOOST_TEST(sim::mac_from_uuid("19011804581223251h0434298f1a4b07").size() == 17u);
  BOOST_TEST(sim::builtin_uuid("mss310", 0) == sim::builtin_uuid("mss310", 0));
  BOOST_TEST(sim::builtin_uuid("mss310", 0) != sim::builtin_uuid("mss310", 1));
  BOOST_TEST(sim::builtin_uuid("mss310", 0).size() == 32u);
  for (const auto& name : sim::builtin_profile_names()) {
    auto tmpl = sim::builtin_template(name);
    BOOST_REQUIRE(tmpl);
    BOOST_TEST((*tmpl)->abilities.count("Appliance.System.All") == 1u);
  }
  BOOST_TEST(!sim::builtin_template("mss999"));
  // The mss310 trace's MAC is obfuscated: derived from the uuid.
  const auto trace = test::load_trace("mss310.csv");
  BOOST_TEST(sim::trace_mac(trace, trace.uuid) == sim::mac_from_uuid(trace.uuid));
}

BOOST_AUTO_TEST_SUITE_END()
