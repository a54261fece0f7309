// After the broker link returns (DeviceRegistry::resync_all): every device heard from is read
// again, spread over the fleet, and a device that stays silent gets the Bind it may have sent
// while nobody listened answered (issue 16, item 2). The end-to-end version with a real broker
// is resync_e2e_test.cpp.
#include <algorithm>
#include <map>
#include <set>

#include <boost/test/unit_test.hpp>

#include "bridge/registry.hpp"
#include "device_messages.hpp"
#include "protocol/signing.hpp"
#include "registry_harness.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::bridge;
using namespace std::chrono_literals;
using protocol::Method;
using test::requests_for;
using test::Sent;

namespace {

constexpr std::int64_t kWall = 1750000000;  // 2025-06-15
const std::string kKey = "resync-device-key";
constexpr auto kRequestTimeout = 2s;  // RegistryHarness

struct Fleet : test::RegistryHarness {
  protocol::Trace trace = test::load_trace("Kpippo-mss310.csv");
  std::vector<test::FakeDeviceIdentity> devices;

  explicit Fleet(std::size_t count) : RegistryHarness(kKey, kWall, "") {
    for (std::size_t i = 0; i < count; ++i) {
      std::string uuid = "0123456789abcdef0123" + std::to_string(100000000000ull + i);
      devices.push_back(test::FakeDeviceIdentity{uuid, kKey});
      bind_and_discover(devices.back(), trace, now.wall);
    }
    sent();
    learned.clear();
  }

  std::string bind(const test::FakeDeviceIdentity& d) {
    const std::string id = protocol::new_message_id();
    RegistryHarness::bind(d, now.wall, id);
    return id;
  }
  // The broker link is back: what goes out at once.
  std::vector<Sent> resync() {
    registry->resync_all(now);
    advance(0ms);
    return sent();
  }
  void answer(const test::FakeDeviceIdentity& d, const std::vector<Sent>& sent) {
    answer_discovery(d, trace, sent, now.wall);
  }
};

// The SETACKs of Bind published to `d`.
std::vector<const Sent*> bind_acks(const std::vector<Sent>& sent,
                                   const test::FakeDeviceIdentity& d) {
  std::vector<const Sent*> out;
  for (const auto* s : requests_for(sent, "Appliance.Control.Bind", Method::SetAck)) {
    if (s->publication.topic == d.subscribe_topic()) out.push_back(s);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resync)

BOOST_AUTO_TEST_CASE(every_device_is_read_again_spread_over_the_fleet) {
  constexpr std::size_t kDevices = 400;
  Fleet f(kDevices);
  f.registry->resync_all(f.now);
  // Each device's first Ability GET after the link's return, by when it went out.
  std::map<std::string, std::chrono::milliseconds> first;
  std::map<std::chrono::milliseconds, std::size_t> per_instant;
  for (auto step = 0ms; step <= 12s; step += 5ms) {
    f.advance(step == 0ms ? 0ms : 5ms);
    const auto sent = f.sent();
    for (const auto* s : requests_for(sent, "Appliance.System.Ability")) {
      if (first.emplace(s->publication.topic, step).second) ++per_instant[step];
    }
  }
  BOOST_TEST(first.size() == kDevices);
  BOOST_TEST(per_instant.begin()->first == 0ms);  // the first one right away
  BOOST_TEST(per_instant.rbegin()->first < std::chrono::milliseconds(10s));
  // Never a burst: one device per instant (25 ms apart).
  std::size_t most = 0;
  for (const auto& [at, n] : per_instant)
    most = std::max(most, n);
  BOOST_TEST(most == 1u);
}

BOOST_AUTO_TEST_CASE(a_few_devices_are_read_again_at_once) {
  Fleet f(3);
  f.registry->resync_all(f.now);
  f.advance(0ms);
  std::set<std::string> asked;
  for (auto step = 0ms; step <= 150ms; step += 50ms) {
    if (step > 0ms) f.advance(50ms);
    const auto sent = f.sent();
    for (const auto* s : requests_for(sent, "Appliance.System.All"))
      asked.insert(s->publication.topic);
  }
  BOOST_TEST(asked.size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_answered_reading_relearns_the_device_and_acknowledges_nothing) {
  Fleet f(1);
  const auto& d = f.devices[0];
  auto sent = f.resync();
  BOOST_TEST(requests_for(sent, "Appliance.System.All").size() == 1u);
  BOOST_TEST(requests_for(sent, "Appliance.System.Ability").size() == 1u);
  f.answer(d, sent);
  // Home Assistant re-learns it: its states from System.All, its polls restarted.
  BOOST_TEST(f.learned.size() == 1u);
  f.advance(kRequestTimeout + 1s);
  BOOST_TEST(bind_acks(f.sent(), d).empty());
}

BOOST_AUTO_TEST_CASE(a_silent_device_gets_the_bind_it_sent_while_nobody_listened_answered) {
  Fleet f(1);
  const auto& d = f.devices[0];
  const auto first = f.resync();
  BOOST_TEST(bind_acks(first, d).empty());
  // Unbound, it ignores the reading; a request timeout later the Bind is answered, then the
  // reading is asked again behind it, under the same messageIds.
  f.advance(kRequestTimeout);
  const auto sent = f.sent();
  const auto acks = bind_acks(sent, d);
  BOOST_REQUIRE(acks.size() == 1u);
  const auto& ack = acks[0]->message.header;
  BOOST_TEST(protocol::verify_sign(ack.message_id, kKey, ack.timestamp, ack.sign));
  BOOST_TEST(ack.from == d.publish_topic());
  BOOST_REQUIRE(sent.size() >= 3u);
  BOOST_TEST(&sent.front() == acks[0]);
  const auto all = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0]->message.header.message_id ==
             requests_for(first, "Appliance.System.All")[0]->message.header.message_id);
  // Now bound, it answers: learned again, and nothing more is acknowledged.
  f.answer(d, sent);
  BOOST_TEST(f.learned.size() == 1u);
  f.advance(kRequestTimeout * 3);
  BOOST_TEST(bind_acks(f.sent(), d).empty());
}

BOOST_AUTO_TEST_CASE(a_bind_repeated_meanwhile_is_answered_as_such) {
  Fleet f(1);
  const auto& d = f.devices[0];
  const auto first = f.resync();
  const std::string bind = f.bind(d);
  auto sent = f.sent();
  auto acks = bind_acks(sent, d);
  BOOST_REQUIRE(acks.size() == 1u);
  BOOST_TEST(acks[0]->message.header.message_id == bind);
  f.answer(d, sent);
  f.answer(d, first);
  f.advance(kRequestTimeout * 3);
  BOOST_TEST(bind_acks(f.sent(), d).empty());
}

BOOST_AUTO_TEST_CASE(devices_never_heard_from_are_left_to_their_probe) {
  Fleet f(0);
  const std::string uuid = "0123456789abcdef0123456789abcd42";
  f.registry->probe(uuid, f.now);
  BOOST_TEST(requests_for(f.sent(), "Appliance.System.All").size() == 1u);
  BOOST_TEST(f.resync().empty());
}

BOOST_AUTO_TEST_CASE(a_device_gone_meanwhile_goes_offline_without_acknowledgements_forever) {
  Fleet f(1);
  const auto& d = f.devices[0];
  f.registry->resync_all(f.now);
  for (int i = 0; i < 20; ++i)
    f.advance(1s);
  // One guess at its Bind, then the reading runs out of attempts and the device is offline.
  std::size_t acks = 0;
  for (const auto& s : f.sent()) {
    if (s.message.header.ns == "Appliance.Control.Bind" &&
        s.publication.topic == d.subscribe_topic()) {
      ++acks;
    }
  }
  BOOST_TEST(acks == 1u);
  BOOST_REQUIRE(!f.availability.empty());
  BOOST_TEST(f.availability.back().second == false);
}

BOOST_AUTO_TEST_SUITE_END()
