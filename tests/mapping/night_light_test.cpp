// The hp110a night light with sound (issue 17, device-families.md §6; there is no trace of it among
// the fixtures): its light and relay as on any bulb, and Control.Mp3 as a sound select, a volume
// number and a play switch.

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "discovery/discovery.hpp"
#include "mapping/ha_checker.hpp"
#include "mapping/unqualified.hpp"

namespace {

const std::string kMp3 = "Appliance.Control.Mp3";

// An hp110a as §6 describes it: ToggleX channel 0 powers the light of the digest. (The Light
// ability's capacity is not in §6; the digest's light is in temperature mode.)
protocol::DeviceProfile hp110a() {
  return test::profile_from(
      test::system_all(
          "hp110a", "2101011234567890123448e1e9aabb20", "48:e1:e9:aa:bb:20", "4.0.0", "4.1.12",
          R"({"togglex":[{"channel":0,"onoff":1,"lmTime":0}],)"
          R"("light":{"channel":0,"capacity":6,"luminance":2,"temperature":1,"rgb":328192,)"
          R"("effect":0},"triggerx":[],"timerx":[]})"),
      R"({"payloadVersion":1,"ability":{"Appliance.System.All":{},"Appliance.System.Ability":{},)"
      R"("Appliance.Control.ToggleX":{},"Appliance.Control.Light":{"capacity":7},)"
      R"("Appliance.Control.Mp3":{},"Appliance.Mcu.Hp110.Firmware":{},)"
      R"("Appliance.Mcu.Hp110.Lock":{},"Appliance.Mcu.Hp110.Favorite":{},)"
      R"("Appliance.Mcu.Hp110.Preview":{}}})");
}

// The §6 GETACK: White noise, volume 11, muted.
const std::string kRecorded =
    R"({"mp3":{"channel":0,"lmTime":1600000000,"song":9,"mute":1,"volume":11}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(night_light)

BOOST_AUTO_TEST_CASE(the_hp110a_has_a_light_a_sound_select_a_volume_and_a_play_switch) {
  const auto p = hp110a();
  const auto entities = mapping::entities_for(p);
  BOOST_TEST((test::entity(entities, "light_0").component == mapping::Component::Light));
  BOOST_TEST(std::none_of(entities.begin(), entities.end(),
                          [](const mapping::Entity& e) { return e.key == "switch_0"; }));
  const auto& sound = test::entity(entities, "sound");
  BOOST_TEST((sound.component == mapping::Component::Select));
  BOOST_TEST(test::option(sound, "options") ==
             R"(["Cicada","Rain","Ripple","Birdsong","Lullaby","Fan","Crystal ball",)"
             R"("Music box","White noise","Thunder","Ocean wave"])");
  const auto& volume = test::entity(entities, "volume");
  BOOST_TEST((volume.component == mapping::Component::Number));
  BOOST_TEST(test::option(volume, "min") == "0");
  BOOST_TEST(test::option(volume, "max") == "16");
  BOOST_TEST(test::option(volume, "step") == "1");
  BOOST_TEST((test::entity(entities, "play").component == mapping::Component::Switch));
  // Mp3 is no digest section: asked for when the device comes online, then slowly.
  const auto polls = mapping::polls_for(p);
  BOOST_TEST(std::any_of(polls.begin(), polls.end(), [](const mapping::Poll& poll) {
    return poll.ns == kMp3 && poll.payload_json == R"({"mp3":{}})" &&
           poll.kind == mapping::PollKind::Slow;
  }));
  // The MCU's own namespaces stay in the note; Mp3 does not.
  const auto unmapped = mapping::unmapped_abilities(p);
  BOOST_TEST(std::count(unmapped.begin(), unmapped.end(), kMp3) == 0);
  BOOST_TEST(std::count(unmapped.begin(), unmapped.end(), "Appliance.Mcu.Hp110.Lock") == 1);
}

BOOST_AUTO_TEST_CASE(hp110a_discovery_passes_the_rules_checker) {
  const auto p = hp110a();
  test::expect_valid_discovery(p);
}

BOOST_AUTO_TEST_CASE(mp3_answers_and_pushes_give_sound_volume_and_play) {
  const auto p = hp110a();
  mapping::DeviceState s;
  auto batch = states(p, s, kMp3, "GETACK", kRecorded);
  BOOST_TEST(state_of(batch, "sound") == "White noise");
  BOOST_TEST(state_of(batch, "volume") == "11");
  BOOST_TEST(state_of(batch, "play") == "OFF");
  batch = states(p, s, kMp3, "PUSH", R"({"mp3":{"channel":0,"song":1,"mute":0,"volume":0}})");
  BOOST_TEST(state_of(batch, "sound") == "Cicada");
  BOOST_TEST(state_of(batch, "volume") == "0");
  BOOST_TEST(state_of(batch, "play") == "ON");
  // Part of the state: only that part.
  batch = states(p, s, kMp3, "PUSH", R"({"mp3":{"channel":0,"volume":16}})");
  BOOST_TEST(batch.updates.size() == 1u);
  BOOST_TEST(state_of(batch, "volume") == "16");
  // The light is the ordinary one.
  batch = states(p, s, "Appliance.System.All", "GETACK",
                 R"({"all":{"digest":{"togglex":[{"channel":0,"onoff":1}],)"
                 R"("light":{"channel":0,"capacity":6,"luminance":2,"temperature":1}}}})");
  BOOST_TEST(state_of(batch, "light_0").find(R"("state":"ON")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sound_volume_and_play_are_mp3_sets_read_back) {
  const auto p = hp110a();
  mapping::DeviceState s;
  const std::string get = R"(GET Appliance.Control.Mp3 {"mp3":{}})";
  auto r = sent(p, s, "sound", "Lullaby");
  BOOST_REQUIRE(r.size() == 2u);
  BOOST_TEST(r[0] == R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"song":5}})");
  BOOST_TEST(r[1] == get);
  BOOST_TEST(sent(p, s, "sound", "Ocean wave")[0] ==
             R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"song":11}})");
  r = sent(p, s, "volume", "8");
  BOOST_TEST(r[0] == R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"volume":8}})");
  BOOST_TEST(r[1] == get);
  BOOST_TEST(sent(p, s, "volume", "16.0")[0] ==
             R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"volume":16}})");
  BOOST_TEST(sent(p, s, "play", "ON")[0] ==
             R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"mute":0}})");
  BOOST_TEST(sent(p, s, "play", "OFF")[0] ==
             R"(SET Appliance.Control.Mp3 {"mp3":{"channel":0,"mute":1}})");
}

BOOST_AUTO_TEST_CASE(sounds_and_volumes_out_of_range_are_refused_not_clamped) {
  const auto p = hp110a();
  mapping::DeviceState s;
  for (const char* bad : {"17", "-1", "8.5", "abc", "", "nan", "1e9"}) {
    BOOST_TEST(!mapping::command_to_request(p, s, "volume", bad).ok(), bad);
  }
  for (const char* bad : {"Jazz", "white noise", "9", "", "Ocean wave 2"}) {
    BOOST_TEST(!mapping::command_to_request(p, s, "sound", bad).ok(), bad);
  }
  BOOST_TEST(!mapping::command_to_request(p, s, "play", "LOUD").ok());
}

BOOST_AUTO_TEST_CASE(wrongly_typed_mp3_payloads_are_errors) {
  const auto p = hp110a();
  for (const char* bad :
       {R"({"mp3":{"channel":0,"song":12}})", R"({"mp3":{"channel":0,"song":0}})",
        R"({"mp3":{"channel":0,"volume":17}})", R"({"mp3":{"channel":0,"volume":"loud"}})",
        R"({"mp3":{"channel":0,"mute":[]}})", R"({"mp3":"x"})", R"({"mp3":[3]})"}) {
    mapping::DeviceState s;
    BOOST_TEST(!mapping::states_from(p, s, kMp3, protocol::Method::Push, std::string(bad), {}).ok(),
               bad);
  }
}

BOOST_AUTO_TEST_CASE(a_device_without_mp3_has_no_sound_entities) {
  const auto entities = mapping::entities_for(test::msl120_profile(7));
  BOOST_TEST(std::none_of(entities.begin(), entities.end(), [](const mapping::Entity& e) {
    return e.key == "sound" || e.key == "volume" || e.key == "play";
  }));
}

BOOST_AUTO_TEST_SUITE_END()
