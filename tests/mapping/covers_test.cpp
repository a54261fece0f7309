// Garage doors and shutters that travel without a PUSH (issue 16, item 1): the families say when
// they need a fast, bounded poll (a travel) and when it is over, on recorded payloads.

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "mapping/unqualified.hpp"

namespace {

constexpr std::int64_t kNow = 1700000000;

// The poll of `ns` in `polls`, nullptr when there is none.
const mapping::Poll* poll_of(const std::vector<mapping::Poll>& polls, const std::string& ns) {
  const auto it =
      std::find_if(polls.begin(), polls.end(), [&](const mapping::Poll& p) { return p.ns == ns; });
  return it == polls.end() ? nullptr : &*it;
}

const std::string kGarageState = "Appliance.GarageDoor.State";
const std::string kPosition = "Appliance.RollerShutter.Position";
const std::string kShutterState = "Appliance.RollerShutter.State";

// The door of msg100 has arrived with `answer`: shown closed, and its fast poll ended.
void expect_closed_and_no_longer_polled(const protocol::DeviceProfile& p,
                                        const mapping::DeviceState& s,
                                        const mapping::StateBatch& answer) {
  BOOST_TEST(state_of(answer, "garage_0") == "closed");
  BOOST_TEST(answer.polls_changed);
  BOOST_TEST(!poll_of(mapping::polls_for(p, s), kGarageState));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(covers)

BOOST_AUTO_TEST_CASE(a_closing_garage_door_is_polled_until_its_contact_closes) {
  const auto p = test::trace_profile("msg100");
  mapping::DeviceState s;
  BOOST_TEST(state_of(states(p, s, kGarageState, "GETACK", R"({"state":{"channel":0,"open":1}})"),
                      "garage_0") == "open");
  // Idle: no poll of the state (the digest and PUSHes tell it); the config is read slowly.
  auto polls = mapping::polls_for(p, s);
  BOOST_TEST(!poll_of(polls, kGarageState));
  const auto* config = poll_of(polls, "Appliance.GarageDoor.Config");
  BOOST_REQUIRE(config);
  BOOST_TEST(config->for_ms == 0);
  // doorCloseDuration 30000 in the trace.
  states(p, s, "Appliance.GarageDoor.Config", "GETACK",
         recorded("msg100", "Appliance.GarageDoor.Config", "GETACK"));

  // The trace's SETACK of CLOSE: the door was open, the relay pulsed.
  auto ack = states(p, s, kGarageState, "SETACK", recorded("msg100", kGarageState, "SETACK"), kNow);
  BOOST_TEST(state_of(ack, "garage_0") == "closing");
  BOOST_TEST(ack.polls_changed);
  polls = mapping::polls_for(p, s);
  const auto* travel = poll_of(polls, kGarageState);
  BOOST_REQUIRE(travel);
  BOOST_TEST(travel->payload_json == R"({"state":{}})");
  BOOST_TEST(travel->interval_ms == 1000);
  BOOST_TEST(travel->for_ms == 30000 + 5000);

  // Still open a second later: still closing, nothing to change.
  auto on_the_way =
      states(p, s, kGarageState, "GETACK", R"({"state":{"channel":0,"open":1}})", kNow + 1);
  BOOST_TEST(state_of(on_the_way, "garage_0") == "closing");
  BOOST_TEST(!on_the_way.polls_changed);
  // The contact closes: closed, and the fast poll ends.
  auto arrived =
      states(p, s, kGarageState, "GETACK", R"({"state":{"channel":0,"open":0}})", kNow + 9);
  expect_closed_and_no_longer_polled(p, s, arrived);
}

BOOST_AUTO_TEST_CASE(a_garage_door_that_never_arrives_shows_its_contact_after_its_time) {
  const auto p = test::trace_profile("msg100");
  mapping::DeviceState s;
  const std::string executed = R"({"state":{"channel":0,"open":0,"lmTime":0,"execute":1}})";
  BOOST_TEST(state_of(states(p, s, kGarageState, "SETACK", executed, kNow), "garage_0") ==
             "opening");
  // No configured time: 60 s, then a little grace for late answers.
  BOOST_TEST(poll_of(mapping::polls_for(p, s), kGarageState)->for_ms == 60000 + 5000);
  const std::string closed = R"({"state":{"channel":0,"open":0}})";
  BOOST_TEST(state_of(states(p, s, kGarageState, "GETACK", closed, kNow + 62), "garage_0") ==
             "opening");
  const auto late = states(p, s, kGarageState, "GETACK", closed, kNow + 63);
  expect_closed_and_no_longer_polled(p, s, late);
}

BOOST_AUTO_TEST_CASE(a_garage_command_while_the_door_moves_turns_it_back) {
  const auto p = test::trace_profile("msg100");
  mapping::DeviceState s;
  // Opening (the contact still closed), then CLOSE: executed again, the door comes back.
  states(p, s, kGarageState, "SETACK", R"({"state":{"channel":0,"open":0,"execute":1}})", kNow);
  const auto back = states(p, s, kGarageState, "SETACK",
                           R"({"state":{"channel":0,"open":0,"execute":1}})", kNow + 1);
  BOOST_TEST(state_of(back, "garage_0") == "closing");
  // Not executed (already going there): nothing changes.
  const auto same = states(p, s, kGarageState, "SETACK",
                           R"({"state":{"channel":0,"open":0,"execute":0}})", kNow + 2);
  BOOST_TEST(state_of(same, "garage_0") == "closing");
  BOOST_TEST(!same.polls_changed);
  // The digest (no clock) never ends a travel by its time, only by the contact.
  const auto all = states(p, s, "Appliance.System.All", "GETACK",
                          R"({"all":{"digest":{"garageDoor":[{"channel":0,"open":0}]}}})");
  BOOST_TEST(state_of(all, "garage_0") == "closed");
}

BOOST_AUTO_TEST_CASE(msg200_doors_take_their_own_travel_times) {
  const auto p = test::trace_profile("msg200.json.txt");
  mapping::DeviceState s;
  const auto polls = mapping::polls_for(p, s);
  const auto* config = poll_of(polls, "Appliance.GarageDoor.MultipleConfig");
  BOOST_REQUIRE(config);
  BOOST_TEST(config->payload_json == R"({"config":[{"channel":1},{"channel":2},{"channel":3}]})");
  states(p, s, "Appliance.GarageDoor.MultipleConfig", "GETACK",
         recorded("msg200.json.txt", "Appliance.GarageDoor.MultipleConfig", "GETACK"));
  const auto ack = states(p, s, kGarageState, "SETACK",
                          R"({"state":[{"channel":2,"open":0,"execute":1}]})", kNow);
  BOOST_TEST(state_of(ack, "garage_2") == "opening");
  BOOST_TEST(poll_of(mapping::polls_for(p, s), kGarageState)->for_ms == 15000 + 5000);
}

BOOST_AUTO_TEST_CASE(a_shutter_is_read_when_learned_and_polled_while_it_travels) {
  const auto p = test::trace_profile("mrs100");
  mapping::DeviceState s;
  // Learned: System.All says nothing of it, so Position then State are read at once.
  auto polls = mapping::polls_for(p, s);
  BOOST_REQUIRE(polls.size() >= 2u);
  const auto position = std::find_if(polls.begin(), polls.end(),
                                     [](const mapping::Poll& x) { return x.ns == kPosition; });
  const auto state = std::find_if(polls.begin(), polls.end(),
                                  [](const mapping::Poll& x) { return x.ns == kShutterState; });
  BOOST_REQUIRE((position != polls.end() && state != polls.end()));
  BOOST_TEST((position < state));
  BOOST_TEST(position->interval_ms == 1000);
  BOOST_TEST(position->for_ms == 10000);

  auto read = states(p, s, kPosition, "GETACK", recorded("mrs100", kPosition, "GETACK"));
  BOOST_TEST(state_of(read, "shutter_0") == R"({"state":"closed","position":0})");
  read = states(p, s, kShutterState, "GETACK", recorded("mrs100", kShutterState, "GETACK"));
  BOOST_TEST(read.polls_changed);
  // Known and idle: slow polls only, and the config (travel times).
  polls = mapping::polls_for(p, s);
  BOOST_TEST(poll_of(polls, kPosition)->for_ms == 0);
  BOOST_TEST(poll_of(polls, kShutterState)->interval_ms == 0);
  BOOST_REQUIRE(poll_of(polls, "Appliance.RollerShutter.Config"));
  states(p, s, "Appliance.RollerShutter.Config", "GETACK",
         R"({"config":[{"channel":0,"signalOpen":50000,"signalClose":40000}]})");

  // OPEN: Position first (still 0, idle), then State says opening.
  BOOST_TEST(
      state_of(states(p, s, kPosition, "GETACK", R"({"position":[{"channel":0,"position":0}]})"),
               "shutter_0") == R"({"state":"closed","position":0})");
  const auto opening =
      states(p, s, kShutterState, "GETACK", R"({"state":[{"channel":0,"state":1}]})");
  BOOST_TEST(state_of(opening, "shutter_0") == R"({"state":"opening","position":0})");
  BOOST_TEST(opening.polls_changed);
  BOOST_TEST(poll_of(mapping::polls_for(p, s), kShutterState)->for_ms == 50000 + 5000);
  // The last round: the position arrives with the travel's direction, then State's idle.
  BOOST_TEST(
      state_of(states(p, s, kPosition, "GETACK", R"({"position":[{"channel":0,"position":100}]})"),
               "shutter_0") == R"({"state":"opening","position":100})");
  const auto idle = states(p, s, kShutterState, "GETACK", R"({"state":[{"channel":0,"state":0}]})");
  BOOST_TEST(state_of(idle, "shutter_0") == R"({"state":"open","position":100})");
  BOOST_TEST(idle.polls_changed);
  BOOST_TEST(poll_of(mapping::polls_for(p, s), kShutterState)->for_ms == 0);
  // CLOSE uses the close time.
  states(p, s, kShutterState, "GETACK", R"({"state":[{"channel":0,"state":2}]})");
  BOOST_TEST(poll_of(mapping::polls_for(p, s), kPosition)->for_ms == 40000 + 5000);
}

BOOST_AUTO_TEST_SUITE_END()
