// Unit tests of the simulated hubs (simulator/families/hub_*.cpp), from the msh300 and
// msh300hk-ms200-gs559 traces and a hand-made digest (device-families.md §2).

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/namespaces.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

namespace ns = meross::protocol::ns;

// msh300: an ms100 and two mts100v3 valves.
constexpr const char* kMs100 = "120027D21C19";
constexpr const char* kValve = "01008C11";
constexpr const char* kValve2 = "0100783A";
// msh300hk: an ms200, an mts150 and a gs559.
constexpr const char* kDoor = "160020100486";
constexpr const char* kMts150 = "0300DF01";
constexpr const char* kSmokeId = "28004811B776";

// The item of sub-device `id` in a {"<key>":[…]} payload, nullptr when absent.
const protocol::JsonValue* item(const protocol::Message& m, const char* key, std::string_view id) {
  const auto* list = protocol::find_member(m.payload(), key);
  if (!list || !list->IsArray()) return nullptr;
  for (const auto& i : list->GetArray()) {
    if (protocol::string_member(i, "id") == id) return &i;
  }
  return nullptr;
}

const protocol::JsonValue* digest_item(sim::Device& d, std::string_view id) {
  static protocol::Message all;  // keeps the payload alive for the caller
  all = ask(d, Method::Get, "Appliance.System.All", "{}");
  const auto& list = all.payload()["all"]["digest"]["hub"]["subdevice"];
  for (const auto& i : list.GetArray()) {
    if (protocol::string_member(i, "id") == id) return &i;
  }
  return nullptr;
}

std::string ids(std::initializer_list<const char*> list) {
  std::string out = "[";
  for (const char* id : list) {
    if (out.size() > 1) out += ',';
    out += R"({"id":")" + std::string(id) + R"("})";
  }
  return out + "]";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hubs)

BOOST_AUTO_TEST_CASE(a_duplicated_subdevice_id_is_kept_once) {
  // As in msh300hk.csv (§2.9): the second item with an id already seen is ignored.
  auto d = template_device(
      R"({"all":{"system":{"hardware":{"type":"msh300","uuid":"","macAddress":""},)"
      R"("firmware":{"version":"4.5.32"},"time":{"timezone":"","timeRule":[]}},)"
      R"("digest":{"hub":{"hubId":1,"mode":0,"subdevice":[)"
      R"({"id":"0100AAAA","status":1,"onoff":1,"lastActiveTime":5,"mts100":{"mode":1}},)"
      R"({"id":"0100BBBB","status":2,"onoff":0,"lastActiveTime":6,"mts150":{"mode":2}},)"
      R"({"id":"0100AAAA","status":2,"onoff":0,"lastActiveTime":7,"mts100":{"mode":3}},)"
      R"({"status":1},5]}}}})",
      R"({"ability":{"Appliance.System.All":{},"Appliance.Hub.Online":{},)"
      R"("Appliance.Hub.Battery":{},"Appliance.Hub.SubDevice.Version":{},)"
      R"("Appliance.Hub.Mts100.Mode":{},"Appliance.Digest.Hub":{}}})");
  bind(*d);
  auto all = ask(*d, Method::Get, "Appliance.System.All", "{}");
  const auto& subs = all.payload()["all"]["digest"]["hub"]["subdevice"];
  BOOST_REQUIRE_EQUAL(subs.Size(), 2u);
  BOOST_TEST(std::string(subs[0]["id"].GetString()) == "0100AAAA");
  BOOST_TEST(subs[0]["status"].GetInt() == 1);  // the first one's
  BOOST_TEST(subs[0]["mts100"]["mode"].GetInt() == 1);
  BOOST_TEST(all.payload()["all"]["digest"]["hub"]["hubId"].GetInt() == 1);
  auto online = ask(*d, Method::Get, ns::kHubOnline, R"({"online":[]})");
  BOOST_TEST(online.payload()["online"].Size() == 2u);
  BOOST_TEST(item(online, "online", "0100BBBB")->operator[]("status").GetInt() == 2);
  auto modes = ask(*d, Method::Get, ns::kHubMts100Mode, R"({"mode":[]})");
  BOOST_TEST(item(modes, "mode", "0100AAAA")->operator[]("state").GetInt() == 1);
  // Defaults where the trace has nothing: battery 100, a version.
  auto battery = ask(*d, Method::Get, "Appliance.Hub.Battery", R"({"battery":[]})");
  BOOST_TEST(item(battery, "battery", "0100BBBB")->operator[]("value").GetInt() == 100);
  auto version =
      ask(*d, Method::Get, "Appliance.Hub.SubDevice.Version", R"({"version":[{"id":"0100AAAA"}]})");
  BOOST_TEST(protocol::to_json(version.payload()) ==
             R"({"version":[{"id":"0100AAAA","hardware":"1.0.0","firmware":"1.0.0"}]})");
  auto hub = ask(*d, Method::Get, "Appliance.Digest.Hub", R"({"hub":{}})");
  BOOST_TEST(hub.payload()["hub"]["subdevice"].Size() == 2u);
}

BOOST_AUTO_TEST_CASE(hub_gets_take_a_list_of_ids_or_an_empty_list) {
  auto d = trace_device("msh300-2024");
  bind(*d);
  auto battery = ask(*d, Method::Get, "Appliance.Hub.Battery", R"({"battery":[]})");
  BOOST_TEST(battery.payload()["battery"].Size() == 3u);
  BOOST_TEST(item(battery, "battery", kMs100)->operator[]("value").GetInt() == 50);  // recorded
  // Asked ids only; unknown ids are left out.
  auto two = ask(*d, Method::Get, "Appliance.Hub.Battery",
                 R"({"battery":)" + ids({kValve, "FFFFFFFF"}) + "}");
  BOOST_TEST(protocol::to_json(two.payload()) == R"({"battery":[{"id":"01008C11","value":100}]})");
  // The key's case does not matter to hubs; a payload without it is refused; no list: empty.
  auto toggles = ask(*d, Method::Get, ns::kHubToggleX, R"({"toggleX":[]})");
  BOOST_TEST(toggles.payload()["togglex"].Size() == 3u);
  BOOST_TEST(error_code(ask(*d, Method::Get, ns::kHubToggleX, "{}")) == 5000);
  BOOST_TEST(protocol::to_json(
                 ask(*d, Method::Get, "Appliance.Hub.Battery", R"({"battery":{}})").payload()) ==
             R"({"battery":[]})");
  // Each type answers its own namespaces: valves in Mts100.*, the ms100 in Sensor.*.
  auto valves = ask(*d, Method::Get, "Appliance.Hub.Mts100.All", R"({"all":[]})");
  BOOST_REQUIRE_EQUAL(valves.payload()["all"].Size(), 2u);
  const auto* v = item(valves, "all", kValve);
  BOOST_REQUIRE(v);
  BOOST_TEST((*v)["temperature"]["room"].GetInt() == 155);
  BOOST_TEST((*v)["mode"]["state"].GetInt() == 1);
  BOOST_TEST((*v)["online"]["status"].GetInt() == 1);
  BOOST_TEST((*v)["togglex"]["onoff"].GetInt() == 1);
  auto sensors = ask(*d, Method::Get, "Appliance.Hub.Sensor.All", R"({"all":[]})");
  BOOST_REQUIRE_EQUAL(sensors.payload()["all"].Size(), 1u);
  BOOST_TEST(sensors.payload()["all"][0]["temperature"]["latest"].GetInt() == 152);
  auto none = ask(*d, Method::Get, "Appliance.Hub.Sensor.All", R"({"all":)" + ids({kValve}) + "}");
  BOOST_TEST(protocol::to_json(none.payload()) == R"({"all":[]})");
  // GETs the hub never answers (they drop the connection, §0 rule 3).
  for (const char* ns :
       {"Appliance.Hub.SubdeviceList", "Appliance.Hub.Exception", "Appliance.Hub.Report"}) {
    const auto e = exchange(*d, Method::Get, ns, "{}");
    BOOST_TEST(e.answers.empty(), ns);
    BOOST_TEST(!e.warning.empty(), ns);
  }
}

BOOST_AUTO_TEST_CASE(valve_temperature_and_mode_sets_answer_then_push) {
  auto d = trace_device("msh300-2024");
  bind(*d);
  // Comfort mode (1): a new manual setpoint does not move currentSet.
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kHubMts100Temperature,
                 R"({"temperature":[{"id":"01008C11","custom":215}]})", kT0, &pushes);
  BOOST_TEST((ack.header.method == Method::SetAck));
  const auto* full = item(ack, "temperature", kValve);
  BOOST_REQUIRE(full);
  BOOST_TEST((*full)["custom"].GetInt() == 215);
  BOOST_TEST((*full)["currentSet"].GetInt() == 270);
  BOOST_TEST((*full)["room"].GetInt() == 155);  // the full object
  BOOST_TEST((*full)["away"].GetInt() == 120);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(pushes[0].header.ns == std::string(ns::kHubMts100Temperature));
  BOOST_TEST(protocol::to_json(pushes[0].payload()) ==
             R"({"temperature":[{"id":"01008C11","currentSet":270}]})");
  // Manual mode (0): SETACK {}, then Mode and the new currentSet.
  pushes.clear();
  ack = ask(*d, Method::Set, ns::kHubMts100Mode, R"({"mode":[{"id":"01008C11","state":0}]})", kT0,
            &pushes);
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_REQUIRE_EQUAL(pushes.size(), 2u);
  BOOST_TEST(pushes[0].header.ns == std::string(ns::kHubMts100Mode));
  BOOST_TEST(protocol::to_json(pushes[0].payload()) == R"({"mode":[{"id":"01008C11","state":0}]})");
  BOOST_TEST(pushes[1].header.ns == std::string(ns::kHubMts100Temperature));
  BOOST_TEST(protocol::to_json(pushes[1].payload()) ==
             R"({"temperature":[{"id":"01008C11","currentSet":215}]})");
  auto got =
      ask(*d, Method::Get, ns::kHubMts100Temperature, R"({"temperature":)" + ids({kValve}) + "}");
  BOOST_TEST(item(got, "temperature", kValve)->operator[]("heating").GetInt() == 1);
  // The digest's type object follows the mode.
  BOOST_TEST((*digest_item(*d, kValve))["mts100v3"]["mode"].GetInt() == 0);
  // Away (4) takes the away setpoint.
  ask(*d, Method::Set, ns::kHubMts100Mode, R"({"mode":[{"id":"01008C11","state":4}]})");
  got = ask(*d, Method::Get, ns::kHubMts100Temperature, R"({"temperature":[]})");
  BOOST_TEST(item(got, "temperature", kValve)->operator[]("currentSet").GetInt() == 120);
  // Adjust, in 0.01 °C.
  pushes.clear();
  ask(*d, Method::Set, "Appliance.Hub.Mts100.Adjust",
      R"({"adjust":[{"id":"0100783A","temperature":-150}]})", kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(protocol::to_json(pushes[0].payload()) ==
             R"({"adjust":[{"id":"0100783A","temperature":-150}]})");
}

BOOST_AUTO_TEST_CASE(bad_hub_sets_are_refused_and_change_nothing) {
  auto d = trace_device("msh300-2024");
  bind(*d);
  const auto before = protocol::to_json(
      ask(*d, Method::Get, ns::kHubMts100Temperature, R"({"temperature":[]})").payload());
  for (const auto& [ns, payload] : std::vector<std::pair<std::string_view, std::string>>{
           {ns::kHubMts100Temperature,
            R"({"temperature":[{"id":"01008C11","custom":10}]})"},  // < min 50
           {ns::kHubMts100Temperature, R"({"temperature":[{"id":"01008C11","custom":"215"}]})"},
           {ns::kHubMts100Temperature,
            R"({"temperature":[{"id":"01008C11","room":100}]})"},  // not settable
           {ns::kHubMts100Temperature, R"({"temperature":[{"id":"FFFFFFFF","custom":200}]})"},
           {ns::kHubMts100Temperature,
            R"({"temperature":[{"id":"120027D21C19","custom":200}]})"},  // a sensor
           {ns::kHubMts100Temperature, R"({"temperature":[{"custom":200}]})"},
           {ns::kHubMts100Temperature, R"({"temperature":5})"},
           {ns::kHubMts100Temperature, "{}"},
           {ns::kHubMts100Temperature,
            R"({"temperature":[{"id":"0100783A","custom":200},{"id":"01008C11","custom":1}]})"},
           {ns::kHubMts100Mode, R"({"mode":[{"id":"01008C11","state":5}]})"},
           {ns::kHubMts100Mode, R"({"mode":[{"id":"01008C11"}]})"},
           {ns::kHubToggleX, R"({"togglex":[{"id":"01008C11","onoff":2}]})"},
           {ns::kHubToggleX, R"({"togglex":[{"id":"01008C11","onoff":true}]})"},
           {"Appliance.Hub.Mts100.Adjust", R"({"adjust":[{"id":"01008C11","temperature":600}]})"},
           {"Appliance.Hub.Sensor.Adjust",
            R"({"adjust":[{"id":"120027D21C19","temperature":60}]})"},
           {"Appliance.Hub.Sensor.Adjust", R"({"adjust":[{"id":"120027D21C19"}]})"},
       }) {
    BOOST_TEST_CONTEXT(ns << " " << payload) {
      const auto e = exchange(*d, Method::Set, ns, payload);
      BOOST_REQUIRE_EQUAL(e.answers.size(), 1u);
      BOOST_TEST(error_code(e.answers[0]) == 5000);
      BOOST_TEST(e.pushes.empty());
    }
  }
  BOOST_TEST(
      protocol::to_json(
          ask(*d, Method::Get, ns::kHubMts100Temperature, R"({"temperature":[]})").payload()) ==
      before);
  // Malformed GETs never crash.
  for (const char* payload : {R"({"all":5})", R"({"all":[5,{"id":5},{"id":null}]})", "{}",
                              R"({"all":[{"id":"01008C11"},{"id":"01008C11"}]})"}) {
    exchange(*d, Method::Get, "Appliance.Hub.Mts100.All", payload);
    exchange(*d, Method::Get, "Appliance.Hub.Sensor.All", payload);
  }
}

BOOST_AUTO_TEST_CASE(hub_togglex_set_and_an_offline_subdevice) {
  auto d = trace_device("msh300-2024");
  bind(*d);
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kHubToggleX, R"({"togglex":[{"id":"0100783A","onoff":0}]})",
                 kT0, &pushes);
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(protocol::to_json(pushes[0].payload()) ==
             R"({"togglex":[{"id":"0100783A","onoff":0}]})");
  BOOST_TEST((*digest_item(*d, kValve2))["onoff"].GetInt() == 0);

  // Offline: Hub.Online PUSH with status 2; the digest, Online and All follow.
  auto off = d->command({"subdevice", kValve2, "offline"}, kT0 + 1000);
  BOOST_TEST(off.error.empty());
  auto pushed = parse_all(off.messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == std::string(ns::kHubOnline));
  BOOST_TEST(item(pushed[0], "online", kValve2)->operator[]("status").GetInt() == 2);
  BOOST_TEST((*digest_item(*d, kValve2))["status"].GetInt() == 2);
  auto online = ask(*d, Method::Get, ns::kHubOnline, R"({"online":[]})");
  BOOST_TEST(item(online, "online", kValve2)->operator[]("status").GetInt() == 2);
  BOOST_TEST(item(online, "online", kValve)->operator[]("status").GetInt() == 1);
  auto all = ask(*d, Method::Get, "Appliance.Hub.Mts100.All", R"({"all":[]})");
  BOOST_TEST(item(all, "all", kValve2)->operator[]("online")["status"].GetInt() == 2);
  // A PUSH query answers the live state too, not the trace's.
  auto query = ask(*d, Method::Push, ns::kHubOnline, "{}");
  BOOST_TEST((query.header.method == Method::Push));
  BOOST_TEST(item(query, "online", kValve2)->operator[]("status").GetInt() == 2);
  // It takes no SET and no reading while offline.
  BOOST_TEST(error_code(ask(*d, Method::Set, ns::kHubMts100Mode,
                            R"({"mode":[{"id":"0100783A","state":1}]})")) == 5000);
  BOOST_TEST(!d->command({"room", kValve2, "20"}, kT0).error.empty());
  // Back online: status 1, heard from now.
  pushed = parse_all(d->command({"subdevice", kValve2, "online"}, kT0 + 5000).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  const auto& back = *item(pushed[0], "online", kValve2);
  BOOST_TEST(back["status"].GetInt() == 1);
  BOOST_TEST(back["lastActiveTime"].GetInt64() == (kT0 + 5000) / 1000);
  BOOST_TEST(!d->command({"subdevice", kValve2, "asleep"}, kT0).error.empty());
  BOOST_TEST(!d->command({"subdevice", "FFFFFFFF", "online"}, kT0).error.empty());
}

BOOST_AUTO_TEST_CASE(sensor_commands_push_what_the_hub_would) {
  auto d = trace_device("msh300hk-ms200-gs559");
  bind(*d);
  // The door opens.
  auto pushed = parse_all(d->command({"door", kDoor, "open"}, kT0 + 1000).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == "Appliance.Hub.Sensor.DoorWindow");
  BOOST_TEST(protocol::to_json(pushed[0].payload()) ==
             R"({"doorWindow":[{"id":"160020100486","status":1,"lmTime":)" +
                 std::to_string((kT0 + 1000) / 1000) + "}]}");
  auto door = ask(*d, Method::Get, "Appliance.Hub.Sensor.DoorWindow", R"({"doorWindow":[]})");
  BOOST_TEST(item(door, "doorWindow", kDoor)->operator[]("status").GetInt() == 1);
  BOOST_TEST((*digest_item(*d, kDoor))["doorWindow"]["status"].GetInt() == 1);
  // The valve's room reading.
  pushed = parse_all(d->command({"room", kMts150, "21.5"}, kT0).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == std::string(ns::kHubMts100Temperature));
  BOOST_TEST(item(pushed[0], "temperature", kMts150)->operator[]("room").GetInt() == 215);
  pushed = parse_all(d->command({"window", kMts150, "open"}, kT0).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(item(pushed[0], "temperature", kMts150)->operator[]("openWindow").GetInt() == 1);
  // Smoke: an alarm, then muted by a SET with its muted code; the wrong code is refused.
  pushed = parse_all(d->command({"smoke", kSmokeId, "25"}, kT0).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == std::string(ns::kHubSensorSmoke));
  BOOST_TEST(item(pushed[0], "smokeAlarm", kSmokeId)->operator[]("status").GetInt() == 25);
  BOOST_TEST(error_code(ask(*d, Method::Set, ns::kHubSensorSmoke,
                            R"({"smokeAlarm":[{"id":"28004811B776","status":20}]})")) == 5000);
  BOOST_TEST(error_code(ask(*d, Method::Set, ns::kHubSensorSmoke,
                            R"({"smokeAlarm":[{"id":"28004811B776","status":23}]})")) == 5000);
  std::vector<protocol::Message> pushes;
  auto ack = ask(*d, Method::Set, ns::kHubSensorSmoke,
                 R"({"smokeAlarm":[{"id":"28004811B776","status":27}]})", kT0, &pushes);
  BOOST_TEST(protocol::to_json(ack.payload()) == "{}");
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(item(pushes[0], "smokeAlarm", kSmokeId)->operator[]("status").GetInt() == 27);
  // Sensor.All spells the smoke alarm's time "lmtime".
  auto all = ask(*d, Method::Get, "Appliance.Hub.Sensor.All", R"({"all":[]})");
  BOOST_TEST(item(all, "all", kSmokeId)->operator[]("smokeAlarm").HasMember("lmtime"));
  // A test alarm (23) from the all-clear ends by itself a few seconds later.
  d->command({"smoke", kSmokeId, "170"}, kT0);
  pushes.clear();
  ask(*d, Method::Set, ns::kHubSensorSmoke, R"({"smokeAlarm":[{"id":"28004811B776","status":23}]})",
      kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(item(pushes[0], "smokeAlarm", kSmokeId)->operator[]("status").GetInt() == 23);
  BOOST_TEST(parse_all(d->tick(kT0 + 1000)).empty());
  auto later = parse_all(d->tick(kT0 + 5000));
  const auto* end = find_ns(later, ns::kHubSensorSmoke);
  BOOST_REQUIRE(end);
  BOOST_TEST(item(*end, "smokeAlarm", kSmokeId)->operator[]("status").GetInt() == 170);
  BOOST_TEST(!d->command({"smoke", kSmokeId, "99"}, kT0).error.empty());
  BOOST_TEST(!d->command({"door", kSmokeId, "open"}, kT0).error.empty());  // not a door
}

BOOST_AUTO_TEST_CASE(ms100_readings_and_its_delta_adjust) {
  auto d = trace_device("msh300-2024");
  bind(*d);
  auto pushed = parse_all(d->command({"room", kMs100, "19.5"}, kT0 + 2000).messages);
  BOOST_REQUIRE_EQUAL(pushed.size(), 1u);
  BOOST_TEST(pushed[0].header.ns == "Appliance.Hub.Sensor.TempHum");
  const auto& reading = *item(pushed[0], "tempHum", kMs100);
  BOOST_TEST(reading["latestTemperature"].GetInt() == 195);
  BOOST_TEST(reading["latestHumidity"].GetInt() == 710);
  BOOST_TEST(reading["latestTime"].GetInt64() == (kT0 + 2000) / 1000);
  auto all = ask(*d, Method::Get, "Appliance.Hub.Sensor.All", R"({"all":[]})");
  BOOST_TEST(item(all, "all", kMs100)->operator[]("temperature")["latest"].GetInt() == 195);
  BOOST_TEST((*digest_item(*d, kMs100))["ms100"]["latestTemperature"].GetInt() == 195);
  // Sensor.Adjust SETs add to the offset.
  const auto adjust = "Appliance.Hub.Sensor.Adjust";
  ask(*d, Method::Set, adjust, R"({"adjust":[{"id":"120027D21C19","temperature":10}]})");
  std::vector<protocol::Message> pushes;
  ask(*d, Method::Set, adjust,
      R"({"adjust":[{"id":"120027D21C19","temperature":15,"humidity":-20}]})", kT0, &pushes);
  BOOST_REQUIRE_EQUAL(pushes.size(), 1u);
  BOOST_TEST(protocol::to_json(pushes[0].payload()) ==
             R"({"adjust":[{"id":"120027D21C19","temperature":25,"humidity":-20}]})");
  BOOST_TEST(error_code(ask(*d, Method::Set, adjust,
                            R"({"adjust":[{"id":"120027D21C19","temperature":30}]})")) == 5000);
  // The live state shows the hub.
  const auto state = state_of(*d);
  BOOST_TEST(state["hub"]["subdevice"].Size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
