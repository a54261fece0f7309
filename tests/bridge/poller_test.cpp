// Bounded polls (issue 16, item 1): a travelling cover is asked every second for a while, with a
// last poll at the end of the window, then not again until its family applies the poll anew.

#include <boost/test/unit_test.hpp>

#include "bridge/poller.hpp"

using namespace meross;
using namespace meross::bridge;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const mapping::Poll kSlow{mapping::PollKind::Slow, "Appliance.System.Runtime", "{}"};
const mapping::Poll kTravel{mapping::PollKind::Slow, "Appliance.GarageDoor.State",
                            R"({"state":{}})", 1000, 3500};

std::size_t count_due(Poller& poller, TimePoint from, TimePoint to, Duration step) {
  std::size_t n = 0;
  for (TimePoint t = from; t <= to; t += step)
    n += poller.due(t).size();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bounded_polls)

BOOST_AUTO_TEST_CASE(a_bounded_poll_runs_every_interval_until_its_window_ends) {
  Poller poller(seconds(10));
  const TimePoint t0{};
  poller.start("u", {kTravel}, PollIntervals{}, t0);
  BOOST_TEST((*poller.next_wakeup() == t0 + seconds(1)));
  BOOST_TEST(poller.due(t0 + milliseconds(999)).empty());
  // At 1, 2 and 3 s, and the last one at the window's end (3.5 s); then nothing.
  std::vector<TimePoint> at;
  for (TimePoint t = t0; t <= t0 + seconds(20); t += milliseconds(100)) {
    if (!poller.due(t).empty()) at.push_back(t);
  }
  BOOST_TEST_REQUIRE(at.size() == 4u);
  BOOST_TEST((at[0] == t0 + seconds(1)));
  BOOST_TEST((at[2] == t0 + seconds(3)));
  BOOST_TEST((at[3] == t0 + milliseconds(3500)));
  BOOST_TEST(!poller.next_wakeup());
  // Still listed (the family still asks for it), so the same list is not a change.
  BOOST_TEST(poller.polls("u", {kTravel}));
}

BOOST_AUTO_TEST_CASE(update_keeps_the_phase_of_unchanged_polls_and_rearms_bounded_ones) {
  Poller poller(seconds(10));
  const TimePoint t0{};
  poller.start("u", {kSlow}, PollIntervals{}, t0);
  const TimePoint slow_first = *poller.next_wakeup();
  // A travel starts at 2 s: the slow poll keeps its time, the travel poll comes a second later.
  const TimePoint t1 = t0 + seconds(2);
  poller.update("u", {kTravel, kSlow}, PollIntervals{}, t1);
  BOOST_TEST(poller.polls("u", {kTravel, kSlow}));
  const auto travel_polls = count_due(poller, t1, t1 + seconds(30), milliseconds(100));
  // 1, 2, 3 and 3.5 s after t1, plus the slow poll once (its first, in the first 10 s).
  BOOST_TEST(travel_polls == 5u);
  BOOST_TEST((slow_first < t0 + seconds(10)));
  // Applied again (another travel): a fresh window.
  const TimePoint t2 = t1 + seconds(60);
  poller.update("u", {kTravel, kSlow}, PollIntervals{}, t2);
  BOOST_TEST((*poller.next_wakeup() == t2 + seconds(1)));
  // The family drops it (the travel is over): only the slow poll stays.
  poller.update("u", {kSlow}, PollIntervals{}, t2 + milliseconds(1500));
  BOOST_TEST(poller.polls("u", {kSlow}));
  BOOST_TEST(count_due(poller, t2 + seconds(2), t2 + seconds(10), milliseconds(100)) == 0u);
  // No polls left at all: the device is forgotten.
  poller.update("u", {}, PollIntervals{}, t2 + seconds(11));
  BOOST_TEST(!poller.has("u"));
}

// Issue 19: devices of one model poll alike; the list is kept once, each keeps its own timings.
BOOST_AUTO_TEST_CASE(devices_with_the_same_polls_share_one_list) {
  Poller poller(seconds(10));
  const TimePoint t0{};
  poller.start("a", {kSlow}, PollIntervals{}, t0);
  poller.start("b", {kSlow}, PollIntervals{}, t0);
  poller.start("c", {kTravel, kSlow}, PollIntervals{}, t0);
  BOOST_TEST(poller.shares_polls("a", "b"));
  BOOST_TEST(!poller.shares_polls("a", "c"));
  BOOST_TEST(poller.polls("b", {kSlow}));
  // Still a schedule of its own: a refresh of one device moves no other.
  poller.refresh("a", mapping::PollKind::Slow, t0);
  BOOST_TEST(poller.due(t0).size() == 1u);
  // A device whose polls change gets the list of the devices that have those.
  poller.update("c", {kSlow}, PollIntervals{}, t0);
  BOOST_TEST(poller.shares_polls("a", "c"));
}

BOOST_AUTO_TEST_SUITE_END()
