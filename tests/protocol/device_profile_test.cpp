#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/device_profile.hpp"
#include "support/fixtures.hpp"

using namespace meross::protocol;

namespace {

DeviceProfile profile_of_trace(const std::string& fragment) {
  const Trace trace = meross::test::load_trace(fragment);
  rapidjson::Document all, ability;
  all.Parse(trace.all_json.c_str());
  ability.Parse(trace.ability_json.c_str());
  auto profile = profile_from_system_all(all);
  BOOST_REQUIRE_MESSAGE(profile.ok(),
                        fragment + ": " + (profile.ok() ? "" : profile.error().describe()));
  BOOST_REQUIRE(!apply_abilities(*profile, ability));
  return std::move(profile).value();
}

struct Expected {
  std::string fragment;
  std::string type;
  std::string firmware;
  std::vector<int> togglex;
  std::vector<int> garage;
  std::vector<int> lights;
  std::vector<std::string> abilities;
  std::set<std::string, std::less<>> sections;
};

// What each fixture trace is, read off its System.All / System.Ability rows by hand.
const std::vector<Expected> kExpected{
    {"mod100-1644417922.csv",
     "mod100",
     "3.1.5",
     {},
     {},
     {},
     {"Appliance.Control.Diffuser.Spray", "Appliance.Control.Diffuser.Light"},
     {"triggerx", "timerx", "diffuser"}},
    {"mrs100-1631368847.csv",
     "mrs100",
     "2.1.2",
     {},
     {},
     {},
     {"Appliance.RollerShutter.Position", "Appliance.RollerShutter.State"},
     {"triggerx", "timerx"}},
    {"msg100-1637650619.csv",
     "msg100",
     "4.2.1",
     {0},
     {0},
     {},
     {"Appliance.GarageDoor.State", "Appliance.Control.ToggleX"},
     {"togglex", "triggerx", "timerx", "garageDoor"}},
    {"mss210.json.txt",
     "mss210",
     "1.1.12",
     {},
     {},
     {},
     {"Appliance.Control.Toggle", "Appliance.System.DNDMode"},
     {"toggle", "trigger", "timer"}},
    {"smokeAlarm.json.txt",
     "msh300hk",
     "4.5.10",
     {},
     {},
     {},
     {"Appliance.Hub.Sensor.Smoke"},
     {"hub"}},
    {"msl320.json.txt",
     "msl320cpr",
     "4.3.5",
     {0},
     {},
     {0},
     {"Appliance.Control.Light", "Appliance.Control.Light.Effect"},
     {"togglex", "triggerx", "timerx", "light"}},
    {"mts200b-1674112759.csv",
     "mts200b",
     "7.6.5",
     {},
     {},
     {},
     {"Appliance.Control.Thermostat.Mode"},
     {"thermostat"}},
    {"msl450-1672762073.csv",
     "msl450",
     "7.3.9",
     {0},
     {},
     {0},
     {"Appliance.Control.Light", "Appliance.Control.Light.Effect"},
     {"togglex", "triggerx", "timerx", "light"}},
    {"msh300-2024-02-23", "msh300", "4.1.26", {}, {}, {}, {"Appliance.Hub.Mts100.All"}, {"hub"}},
    {"msh300hk-ms200-gs559",
     "msh300hk",
     "4.5.23",
     {},
     {},
     {},
     {"Appliance.Hub.Sensor.DoorWindow"},
     {"hub"}},
    {"mts960.csv",
     "mts960",
     "4.2.6",
     {},
     {},
     {},
     {"Appliance.Control.Thermostat.ModeB", "Appliance.Control.Electricity"},
     {"thermostat"}},
    {"map100.json.txt",
     "map100",
     "",
     {0},
     {},
     {},
     {"Appliance.Control.Fan", "Appliance.Control.FilterMaintenance"},
     {"togglex", "triggerx", "timerx"}},
    {"891A-Kpippo-mss310.csv",
     "mss310",
     "2.1.17",
     {0},
     {},
     {},
     {"Appliance.Control.ToggleX", "Appliance.Control.Electricity",
      "Appliance.Control.ConsumptionX"},
     {"togglex", "triggerx", "timerx"}},
    {"mss310.2024-04-29",
     "mss310",
     "1.1.18",
     {},
     {},
     {},
     {"Appliance.Control.Toggle", "Appliance.Control.Electricity",
      "Appliance.Control.ConsumptionX"},
     {"toggle", "trigger", "timer"}},
    {"msg200.json.txt",
     "msg200",
     "4.2.8",
     {0, 1, 2, 3},
     {1, 2, 3},
     {},
     {"Appliance.GarageDoor.State", "Appliance.GarageDoor.MultipleConfig"},
     {"togglex", "triggerx", "timerx", "garageDoor"}},
    {"mss100.json.txt",
     "mss110",
     "7.3.37",
     {0},
     {},
     {},
     {"Appliance.Control.ToggleX", "Appliance.Encrypt.ECDHE"},
     {"togglex", "triggerx", "timerx"}},
    {"em06.json.txt",
     "em06",
     "2.3.8",
     {},
     {},
     {},
     {"Appliance.Control.ElectricityX", "Appliance.Control.ConsumptionH"},
     {}},
    {"ms600.json.txt",
     "ms600",
     "9.3.22",
     {},
     {},
     {},
     {"Appliance.Control.Sensor.LatestX", "Appliance.Control.Presence.Config"},
     {}},
    {"mss305.json.txt",
     "mss305",
     "8.3.15",
     {0},
     {},
     {},
     {"Appliance.Control.ConsumptionH", "Appliance.Control.ConsumptionX",
      "Appliance.Control.Electricity"},
     {"togglex"}},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(device_profile)

BOOST_AUTO_TEST_CASE(every_fixture_trace_has_an_expectation) {
  BOOST_TEST(meross::test::trace_files().size() == kExpected.size());
}

BOOST_AUTO_TEST_CASE(profiles_match_the_traces) {
  for (const Expected& e : kExpected) {
    BOOST_TEST_CONTEXT(e.fragment) {
      const DeviceProfile p = profile_of_trace(e.fragment);
      BOOST_TEST(p.type == e.type);
      if (!e.firmware.empty()) BOOST_TEST(p.firmware_version == e.firmware);
      BOOST_TEST(!p.hardware_version.empty());
      BOOST_TEST(p.channels_in("togglex") == e.togglex, boost::test_tools::per_element());
      BOOST_TEST(p.channels_in("garageDoor") == e.garage, boost::test_tools::per_element());
      BOOST_TEST(p.channels_in("light") == e.lights, boost::test_tools::per_element());
      for (const auto& ns : e.abilities)
        BOOST_TEST(p.has_ability(ns), ns);
      BOOST_TEST(p.has_ability("Appliance.System.All"));
      BOOST_TEST(!p.has_ability("Appliance.Control.Nonexistent"));
      BOOST_TEST((p.digest_sections() == e.sections));
    }
  }
}

BOOST_AUTO_TEST_CASE(em06_meters_six_channels) {
  const DeviceProfile p = profile_of_trace("em06.json.txt");
  BOOST_TEST(p.digest_channels().empty());  // its metering channels are the model's (mapping)
  BOOST_TEST(p.timezone == "Europe/Berlin");
  BOOST_TEST(p.time_rules.size() == 2u);
}

BOOST_AUTO_TEST_CASE(ability_parameters) {
  const DeviceProfile bulb = profile_of_trace("msl320.json.txt");
  BOOST_TEST(*bulb.light_capacity() == 15);
  BOOST_TEST(*bulb.ability_param("Appliance.Control.Multiple", "maxCmdNum") == 5);
  BOOST_TEST(!bulb.ability_param("Appliance.Control.Multiple", "nope"));
  BOOST_TEST(!bulb.ability_param("Appliance.Control.Nope", "capacity"));
  const DeviceProfile hub = profile_of_trace("msh300-2024-02-23");
  BOOST_TEST(*hub.ability_param("Appliance.Hub.Mts100.Schedule", "scheduleUnitTime") == 30);
  const DeviceProfile plug = profile_of_trace("mss305.json.txt");
  BOOST_TEST(*plug.ability_param("Appliance.Control.Multiple", "maxCmdNum") == 3);
  BOOST_TEST(!plug.light_capacity());
}

BOOST_AUTO_TEST_CASE(ability_parameters_read_as_a_document_would) {
  // ability_param reads the text without building a document: the first top-level member, read
  // as int_member reads it; nothing from text that does not parse or is no object.
  const auto param = [](const std::string& text, const char* key = "capacity") {
    DeviceProfile p;
    p.abilities.set("Appliance.Control.Light", text);
    return p.ability_param("Appliance.Control.Light", key);
  };
  BOOST_TEST(*param(R"({"capacity":6})") == 6);
  BOOST_TEST(*param(R"({"capacity":"7"})") == 7);
  BOOST_TEST(*param(R"({"capacity":3.0})") == 3);
  BOOST_TEST(!param(R"({"capacity":3.5})"));
  BOOST_TEST(*param(R"({"capacity":1,"capacity":2})") == 1);
  BOOST_TEST(!param(R"({"capacity":[1],"capacity":2})"));
  BOOST_TEST(*param(R"({"x":{"capacity":3},"capacity":4})") == 4);
  BOOST_TEST(!param(R"({"x":{"capacity":3}})"));
  BOOST_TEST(!param(R"([{"capacity":3}])"));
  BOOST_TEST(!param(R"({"capacity":3)"));
  BOOST_TEST(!param(R"({"capacity":3}x)"));
  BOOST_TEST(*param("\xef\xbb\xbf{\"capacity\":8}") == 8);
  BOOST_TEST(!param(R"({"capacity":18446744073709551615})"));
  BOOST_TEST(*param(R"({"capacity":-9223372036854775808})") == INT64_MIN);
  BOOST_TEST(!param(R"({"capacity":6})", "luminance"));
}

BOOST_AUTO_TEST_CASE(digest_channels_of_every_section) {
  rapidjson::Document doc;
  doc.Parse(R"({"all":{"system":{"hardware":{"type":"msg200"}},
    "digest":{"togglex":[{"channel":1},{"channel":0}],"garageDoor":[{"channel":2,"open":0}],
              "light":{"channel":0,"capacity":6},"hub":{"hubId":1,"subdevice":[{"id":"01"}]},
              "thermostat":{"mode":[{"channel":0}]}}}})");
  auto p = profile_from_system_all(doc);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->channels_in("togglex") == (std::vector<int>{0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(p->channels_in("garageDoor") == (std::vector<int>{2}),
             boost::test_tools::per_element());
  BOOST_TEST(p->channels_in("light") == (std::vector<int>{0}), boost::test_tools::per_element());
  // Sections that name no channel at their first level are not listed.
  BOOST_TEST(p->digest_channels().size() == 3u);
  BOOST_TEST(p->channels_in("hub").empty());
  BOOST_TEST(p->channels_in("nope").empty());
}

BOOST_AUTO_TEST_CASE(obfuscated_numbers_are_left_unset) {
  // Traces replace ports and userIds with "@n" strings.
  const DeviceProfile p = profile_of_trace("891A-Kpippo-mss310.csv");
  BOOST_TEST(!p.port);
  BOOST_TEST(!p.user_id);
  BOOST_TEST(p.timezone == "Europe/London");
  BOOST_TEST(p.time_rules.size() == 20u);
}

BOOST_AUTO_TEST_CASE(profile_from_a_real_bind) {
  rapidjson::Document bind;
  bind.Parse(R"({"bind":{"bindTime":1736629512,
    "time":{"timestamp":1736629512,"timezone":"","timeRule":[]},
    "hardware":{"type":"msl120d","subType":"eu","version":"2.0.0","chipType":"mt7682",
                "uuid":"2301234567890123456748e1e9c4b296","macAddress":"48:e1:e9:c4:b2:96"},
    "firmware":{"version":"2.1.5","compileTime":"x","encrypt":1,"wifiMac":"aa:bb:cc:dd:ee:ff",
                "innerIp":"192.168.2.158","server":"192.168.2.30","port":8883,"userId":0}}})");
  auto p = profile_from_bind(bind);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->type == "msl120d");
  BOOST_TEST(p->sub_type == "eu");
  BOOST_TEST(p->hardware_version == "2.0.0");
  BOOST_TEST(p->firmware_version == "2.1.5");
  BOOST_TEST(p->uuid == "2301234567890123456748e1e9c4b296");
  BOOST_TEST(p->mac == "48:e1:e9:c4:b2:96");
  BOOST_TEST(p->inner_ip == "192.168.2.158");
  BOOST_TEST(p->server == "192.168.2.30");
  BOOST_TEST(*p->port == 8883);
  BOOST_TEST(*p->user_id == 0);
  BOOST_TEST(p->timezone.empty());
  BOOST_TEST(p->time_rules.empty());
  BOOST_TEST(p->abilities.empty());
}

BOOST_AUTO_TEST_CASE(bad_profiles_name_the_field) {
  rapidjson::Document doc;
  doc.Parse(R"({"all":{"system":{"firmware":{}}}})");
  BOOST_TEST(profile_from_system_all(doc).error().describe() ==
             "all.system.hardware: expected an object, but it is missing");
  doc.Parse(R"({"all":{"system":{"hardware":{"type":7}}}})");
  BOOST_TEST(profile_from_system_all(doc).error().describe() ==
             "all.system.hardware.type: expected a non-empty string");
  doc.Parse(R"({"all":{"system":{"hardware":{"type":"mss310","uuid":12}}}})");
  BOOST_TEST(profile_from_system_all(doc).error().describe() ==
             "all.system.hardware.uuid: expected a string, got integer");
  doc.Parse(R"({"all":{"system":{"hardware":{"type":"mss310"},"time":{"timeRule":[[1]]}}}})");
  BOOST_TEST(profile_from_system_all(doc).error().describe() ==
             "all.system.time.timeRule[0]: expected [epoch, offset, isdst]");
  doc.Parse(R"({"all":[]})");
  BOOST_TEST(!profile_from_system_all(doc).ok());
  doc.Parse(R"({"bind":{"hardware":{}}})");
  BOOST_TEST(profile_from_bind(doc).error().describe() ==
             "bind.hardware.type: expected a non-empty string");
}

BOOST_AUTO_TEST_CASE(channel_sentinels_are_not_channels) {
  rapidjson::Document doc;
  doc.Parse(R"({"all":{"system":{"hardware":{"type":"mss425f"}},
    "digest":{"togglex":[{"channel":4294967295},{"channel":3,"onoff":1},{"channel":"1","onoff":0},
                         {"channel":65535},{"channel":0}]}}})");
  auto p = profile_from_system_all(doc);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->channels_in("togglex") == (std::vector<int>{0, 1, 3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
