#define BOOST_TEST_MODULE bridge_link_e2e
// The broker link against a real mosquitto that goes away: a request that waited for the broker
// past its deadline is dropped, never sent late; what is still in time, and what has no deadline,
// goes out once the broker is back.
#include <poll.h>

#include <boost/test/unit_test.hpp>

#include "bridge/mqtt_link.hpp"
#include "e2e_support.hpp"

using namespace meross;
using namespace meross::test;
using bridge::MqttLink;
using bridge::Publication;
using bridge::SteadyClock;

namespace {

// The daemon's loop for one link, for `duration` or until `done` holds.
template <class Done>
bool pump(MqttLink& link, std::chrono::milliseconds duration, Done done) {
  const auto end = SteadyClock::now() + duration;
  while (SteadyClock::now() < end) {
    link.maintain(SteadyClock::now());
    if (done()) return true;
    const int sock = link.socket();
    if (sock < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    pollfd fd{sock, static_cast<short>(POLLIN | (link.wants_write() ? POLLOUT : 0)), 0};
    if (::poll(&fd, 1, 20) > 0) {
      const auto now = SteadyClock::now();
      if (fd.revents & POLLOUT) link.on_writable(now);
      if (fd.revents & (POLLIN | POLLHUP | POLLERR)) link.on_readable(now);
    }
  }
  return done();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_request_past_its_deadline_is_never_sent_late) {
  MosquittoBroker broker;
  bridge::LinkSettings settings;
  settings.broker = bridge::MqttUrl{false, "127.0.0.1", broker.port()};
  settings.client_id = "link-e2e-" + unique_suffix();
  settings.min_backoff = std::chrono::milliseconds(100);
  settings.max_backoff = std::chrono::milliseconds(200);
  MqttLink link(settings, {});
  BOOST_REQUIRE(link.configure());
  BOOST_REQUIRE(pump(link, kWait, [&] { return link.connected(); }));

  broker.stop();
  BOOST_REQUIRE(pump(link, kWait, [&] { return !link.connected(); }));
  const auto now = SteadyClock::now();
  const std::string topic = "/appliance/2301234567890123456748e1e9c4b296/subscribe";
  link.publish(Publication{topic, "late command", false, 1, now + std::chrono::milliseconds(200)});
  link.publish(Publication{topic, "command in time", false, 1, now + std::chrono::minutes(1)});
  link.publish(Publication{"meross/test/state", "state without deadline", true, 1, {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(400));

  // The link is not driven until a subscriber is in place, so nothing it sends can be missed.
  broker.start();
  MqttTestClient observer(broker.port());
  subscribe_synced(observer, "#");
  BOOST_REQUIRE(pump(link, kWait, [&] {
    return observer.count(payload_on(topic, "command in time")) == 1 &&
           observer.count(payload_on("meross/test/state", "state without deadline")) == 1;
  }));
  pump(link, std::chrono::milliseconds(200), [] { return false; });
  BOOST_TEST(observer.count(payload_on(topic, "late command")) == 0u);
  BOOST_TEST(link.expired() == 1u);
}
