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

}  // namespace meross::test
