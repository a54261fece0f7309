// Unit tests of the simulated hp110a sound machine (simulator/families/night_light.cpp,
// device-families.md §6): GET, SET validation, the PUSH after a change, the PUSH query.

#include <string>

#include <boost/test/unit_test.hpp>

#include "device_support.hpp"
#include "protocol/json.hpp"

using namespace meross;
using namespace meross::sim_test;

namespace {

constexpr const char* kMp3 = "Appliance.Control.Mp3";
const std::string kSeeded = R"({"mp3":{"channel":0,"song":9,"mute":1,"volume":11,"lmTime":0}})";

std::string mp3_state(sim::Device& d) {
  return answer_text(d, Method::Get, kMp3, R"({"mp3":{}})");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(night_light)

BOOST_AUTO_TEST_CASE(the_hp110a_answers_mp3_and_takes_a_song_a_volume_and_mute) {
  auto d = builtin_device("hp110a");
  bind(*d);
  BOOST_TEST(mp3_state(*d) == kSeeded);
  const auto query = exchange(*d, Method::Push, kMp3, "{}");
  BOOST_REQUIRE_EQUAL(query.answers.size(), 1u);
  BOOST_TEST(protocol::to_json(query.answers[0].payload()) == kSeeded);
  std::vector<protocol::Message> pushes;
  BOOST_TEST(
      protocol::to_json(ask(*d, Method::Set, kMp3,
                            R"({"mp3":{"channel":0,"song":5,"volume":3,"mute":0}})", kT0, &pushes)
                            .payload()) == "{}");
  BOOST_REQUIRE(pushes.size() == 1u);
  BOOST_TEST(pushes[0].header.ns == kMp3);
  const std::string state = mp3_state(*d);
  BOOST_TEST(state.find(R"("song":5,"mute":0,"volume":3)") != std::string::npos, state);
  BOOST_TEST(protocol::to_json(pushes[0].payload()) == state);
}

BOOST_AUTO_TEST_CASE(bad_mp3_sets_get_5000_and_change_nothing) {
  auto d = builtin_device("hp110a");
  bind(*d);
  for (const char* bad :
       {R"({"mp3":{"channel":0,"song":12}})", R"({"mp3":{"channel":0,"song":0}})",
        R"({"mp3":{"channel":0,"volume":17}})", R"({"mp3":{"channel":0,"volume":"8"}})",
        R"({"mp3":{"channel":0,"mute":2}})", R"({"mp3":{"channel":0,"song":5,"volume":99}})",
        R"({"mp3":[{"channel":0,"song":5}]})", R"({"mp3":{"channel":1,"song":5}})",
        R"({"mp3":{"channel":0}})", R"({"x":1})"}) {
    BOOST_TEST(error_code(ask(*d, Method::Set, kMp3, bad)) == 5000, bad);
  }
  BOOST_TEST(mp3_state(*d) == kSeeded);
}

BOOST_AUTO_TEST_SUITE_END()
