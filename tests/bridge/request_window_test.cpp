// The request window (issue 19, flow control): at most `capacity` requests out with devices at
// once, the rest waiting their turn first come first served; commands never wait; a device that
// does not answer holds its slot for one timeout at most; a congested link releases nothing. The
// end-to-end version, 2,000 devices on a small broker queue, is flow_control_e2e_test.cpp.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "bridge/registry.hpp"
#include "bridge/request_window.hpp"
#include "device_messages.hpp"
#include "protocol/namespaces.hpp"
#include "registry_harness.hpp"

using namespace meross;
using namespace meross::bridge;
using namespace std::chrono_literals;
using protocol::Method;
using test::requests_for;
using test::Sent;

namespace {

constexpr std::int64_t kWall = 1750000000;
const std::string kKey = "window-device-key";
constexpr std::size_t kCapacity = 4;  // two devices' discovery (Ability and All)

struct Window : test::RegistryHarness {
  std::vector<test::FakeDeviceIdentity> devices;

  // Every device binds (and is answered); what went out is taken.
  void bind_all() {
    for (const auto& d : devices)
      bind(d, kWall);
    advance(std::chrono::milliseconds(0));
    sent();
  }

  explicit Window(std::size_t count)
      : RegistryHarness(kKey, kWall, "", {},
                        [](RegistryOptions& o) { o.request_window = kCapacity; }) {
    for (std::size_t i = 0; i < count; ++i) {
      devices.push_back(test::FakeDeviceIdentity{
          "0123456789abcdef0123" + std::to_string(100000000000ull + i), kKey});
    }
  }
  // The requests among `sent` that went to device `i`.
  std::vector<const Sent*> to(std::size_t i, const std::vector<Sent>& sent) const {
    std::vector<const Sent*> out;
    for (const auto& s : sent) {
      if (s.publication.topic == devices[i].subscribe_topic() &&
          s.message.header.method != Method::SetAck)
        out.push_back(&s);
    }
    return out;
  }
  // Device `i` answers `request` (an empty GETACK is enough to free the slot).
  void answer(std::size_t i, const Sent& request) {
    deliver(devices[i].publish_topic(), devices[i].reply(request.message.header, "{}", now.wall));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_window_hands_out_slots_first_come_first_served) {
  RequestWindow window(2);
  auto a = window.try_take();
  auto b = window.try_take();
  BOOST_REQUIRE(a && b);
  BOOST_TEST(!window.try_take().has_value());
  window.wait({"one", "1"});
  window.wait({"two", "2"});
  BOOST_TEST(!window.next_ready().has_value());  // full
  a->release();
  // A newcomer does not jump the line, even with a slot free.
  BOOST_TEST(!window.try_take().has_value());
  window.set_congested(true);
  BOOST_TEST(!window.next_ready().has_value());
  window.set_congested(false);
  const auto first = window.next_ready();
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->device == "one");
  auto c = window.take();
  BOOST_TEST(window.in_flight() == 2u);
  // Commands and retries take a slot whatever the window holds.
  auto d = window.take();
  BOOST_TEST(window.in_flight() == 3u);
  { [[maybe_unused]] auto moved = std::move(d); }
  BOOST_TEST(window.in_flight() == 2u);
  BOOST_TEST(window.waiting() == 1u);
  BOOST_TEST(window.waited() == 2u);
}

BOOST_AUTO_TEST_CASE(devices_past_the_window_are_asked_as_answers_come_back_in_order) {
  Window w(4);
  for (const auto& d : w.devices)
    w.bind(d, kWall);
  w.advance(0ms);
  auto sent = w.sent();
  // Every Bind is answered at once; discovery goes out for the first two devices only.
  BOOST_TEST(requests_for(sent, std::string(protocol::ns::kControlBind), Method::SetAck).size() ==
             4u);
  BOOST_TEST(w.to(0, sent).size() == 2u);
  BOOST_TEST(w.to(1, sent).size() == 2u);
  BOOST_TEST(w.to(2, sent).empty());
  BOOST_TEST(w.to(3, sent).empty());
  BOOST_TEST(w.registry->request_window().waiting() == 4u);

  // Device 0 answers its Ability: the slot goes to device 2's first request, Ability first.
  w.answer(0, *w.to(0, sent)[0]);
  w.advance(0ms);
  auto next = w.sent();
  BOOST_REQUIRE(w.to(2, next).size() == 1u);
  BOOST_TEST(w.to(2, next)[0]->message.header.ns == protocol::ns::kSystemAbility);
  BOOST_TEST(w.to(3, next).empty());
  BOOST_TEST(w.registry->request_window().in_flight() == kCapacity);
  BOOST_TEST(w.count().request_failures == 0u);
}

BOOST_AUTO_TEST_CASE(a_silent_device_holds_its_slots_for_one_timeout_and_waiting_never_times_out) {
  Window w(3);
  w.bind_all();
  // Nobody answers. Waiting requests have no deadline: long after, device 2 is still waiting
  // without a failure, until the first attempts time out and their retries give the slots up.
  w.advance(1900ms);
  BOOST_TEST(w.to(2, w.sent()).empty());
  w.advance(200ms);  // the 2 s request timeout of the harness
  const auto after = w.sent();
  BOOST_TEST(w.to(2, after).size() == 2u);  // its discovery, now
  BOOST_TEST(w.to(0, after).size() == 2u);  // retries, outside the window
  BOOST_TEST(w.count().request_failures == 0u);
  BOOST_TEST(w.count().request_retries == 4u);
}

BOOST_AUTO_TEST_CASE(a_command_never_waits_for_the_window) {
  Window w(3);
  w.bind_all();
  // Device 2's discovery waits; a command for it goes out at once all the same.
  const auto id = w.registry->request(w.devices[2].uuid, Method::Set,
                                      std::string(protocol::ns::kControlToggleX),
                                      R"({"togglex":{"channel":0,"onoff":1}})", w.now);
  BOOST_REQUIRE(id.has_value());
  const auto sent = w.sent();
  BOOST_REQUIRE(w.to(2, sent).size() == 1u);
  BOOST_TEST((w.to(2, sent)[0]->message.header.method == Method::Set));
  BOOST_TEST(w.to(2, sent)[0]->message.header.message_id == *id);
}

BOOST_AUTO_TEST_CASE(a_congested_link_releases_nothing_until_it_clears) {
  Window w(3);
  for (const auto& d : w.devices)
    w.bind(d, kWall);
  w.advance(0ms);
  const auto sent = w.sent();
  w.registry->set_congested(true);
  for (const auto* request : w.to(0, sent))
    w.answer(0, *request);
  w.advance(0ms);
  BOOST_TEST(w.to(2, w.sent()).empty());
  w.registry->set_congested(false);
  w.advance(0ms);
  BOOST_TEST(w.to(2, w.sent()).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_device_that_goes_offline_gives_its_waiting_turns_up) {
  Window w(3);
  w.bind_all();
  // Devices 0 and 1 never answer (3 attempts of 2 s): offline, and device 2, asked meanwhile,
  // answers its requests as they come. Nothing is left in the window.
  for (int step = 0; step < 8; ++step) {
    w.advance(1000ms);
    for (const auto& s : w.sent()) {
      if (s.publication.topic == w.devices[2].subscribe_topic() &&
          s.message.header.method == Method::Get) {
        w.answer(2, s);
      }
    }
  }
  BOOST_TEST(w.registry->request_window().in_flight() == 0u);
  BOOST_TEST(w.registry->request_window().waiting() == 0u);
}
