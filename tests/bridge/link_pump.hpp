#pragma once

// A bridge::MqttLink driven the way the daemon's loop drives it, against a test broker.
#include <poll.h>

#include <chrono>
#include <string>
#include <thread>

#include "bridge/mqtt_link.hpp"
#include "e2e_support.hpp"

namespace meross::test {

// Runs the daemon's loop for one link, for `duration` or until `done` holds.
template <class Done>
bool pump(bridge::MqttLink& link, std::chrono::milliseconds duration, Done done) {
  using bridge::SteadyClock;
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

// Settings of a plain link to `broker` that retries quickly.
inline bridge::LinkSettings quick_link(const MosquittoBroker& broker, const std::string& name) {
  bridge::LinkSettings settings;
  settings.broker = bridge::MqttUrl{false, "127.0.0.1", broker.port()};
  settings.client_id = name + "-" + unique_suffix();
  settings.min_backoff = std::chrono::milliseconds(100);
  settings.max_backoff = std::chrono::milliseconds(200);
  return settings;
}

// Configures `link` and drives it until it is connected.
inline void connect_link(bridge::MqttLink& link) {
  BOOST_REQUIRE(link.configure());
  BOOST_REQUIRE(pump(link, kWait, [&] { return link.connected(); }));
}

// What the link tests publish while the broker is away, each in its own way: a command whose
// deadline, `late_after` from now, passes before the broker is back, a command still in time
// then, and a state without a deadline.
inline const std::string kLinkCommandTopic =
    "/appliance/2301234567890123456748e1e9c4b296/subscribe";
inline const std::string kLinkStateTopic = "meross/test/state";
inline void publish_late_in_time_and_state(bridge::MqttLink& link,
                                           std::chrono::milliseconds late_after) {
  const auto now = bridge::SteadyClock::now();
  link.publish({kLinkCommandTopic, "late command", false, 1, now + late_after});
  link.publish({kLinkCommandTopic, "command in time", false, 1, now + std::chrono::minutes(1)});
  link.publish({kLinkStateTopic, "state without deadline", true, 1, {}});
}

// The broker is started again; the link is driven only once a subscriber is in place, so nothing
// it sends can be missed: what is in time arrives, for `settle` more nothing late does, and the
// link counted the late command as expired.
inline void check_the_late_command_never_arrives(bridge::MqttLink& link, MosquittoBroker& broker,
                                                 std::chrono::milliseconds settle) {
  broker.start();
  MqttTestClient observer(broker.port());
  subscribe_synced(observer, "#");
  BOOST_REQUIRE(pump(link, kWait, [&] {
    return observer.count(payload_on(kLinkCommandTopic, "command in time")) >= 1 &&
           observer.count(payload_on(kLinkStateTopic, "state without deadline")) >= 1;
  }));
  pump(link, settle, [] { return false; });
  BOOST_TEST(observer.count(payload_on(kLinkCommandTopic, "late command")) == 0u);
  BOOST_TEST(link.expired() == 1u);
}

}  // namespace meross::test
