#pragma once

// The MQTT client the end-to-end benches (mqtt_probe, flood_bench) share: a libmosquitto client
// on its own network thread, whose callbacks count the messages it keeps and wake the bench
// thread waiting on them. Loopback only; every wait is bounded.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <mosquitto.h>

namespace meross::bench {

using Clock = std::chrono::steady_clock;

// What the callbacks share with the bench thread; every field is guarded by `mutex`.
struct Received {
  std::mutex mutex;
  std::condition_variable changed;
  // Whether a message counts (called under the lock); the others are dropped. Unset: every one.
  std::function<bool(const mosquitto_message&, Clock::time_point now)> keep;
  std::string last_payload;
  std::uint64_t count = 0;
  Clock::time_point first;
  Clock::time_point last;
  bool subscribed = false;
};

namespace detail {

inline void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto* received = static_cast<Received*>(user);
  const auto now = Clock::now();
  std::lock_guard lock(received->mutex);
  if (received->keep && !received->keep(*message, now)) return;
  received->last_payload.assign(
      static_cast<const char*>(message->payload),
      message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  if (received->count++ == 0) received->first = now;
  received->last = now;
  received->changed.notify_all();
}

inline void on_subscribe(mosquitto*, void* user, int, int, const int*) {
  auto* received = static_cast<Received*>(user);
  std::lock_guard lock(received->mutex);
  received->subscribed = true;
  received->changed.notify_all();
}

}  // namespace detail

// A connected client with its network thread running, or nullptr (said on stderr as `tool`).
// Without `received` it only publishes.
inline mosquitto* connect(const char* tool, const std::string& host, int port, Received* received) {
  mosquitto* client = mosquitto_new(nullptr, true, received);
  if (!client) return nullptr;
  mosquitto_int_option(client, MOSQ_OPT_TCP_NODELAY, 1);  // round trips, not delayed ACKs
  if (received) {
    mosquitto_message_callback_set(client, detail::on_message);
    mosquitto_subscribe_callback_set(client, detail::on_subscribe);
  }
  if (mosquitto_connect(client, host.c_str(), port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "%s: cannot connect to %s:%d\n", tool, host.c_str(), port);
    mosquitto_destroy(client);
    return nullptr;
  }
  return client;
}

// Subscribes and waits (5 s at most) for the SUBACK.
inline bool subscribe(mosquitto* client, Received& received, const std::string& filter) {
  mosquitto_subscribe(client, nullptr, filter.c_str(), 1);
  std::unique_lock lock(received.mutex);
  return received.changed.wait_for(lock, std::chrono::seconds(5),
                                   [&] { return received.subscribed; });
}

inline void close(mosquitto* client) {
  mosquitto_disconnect(client);
  mosquitto_loop_stop(client, false);
  mosquitto_destroy(client);
}

// Publishes ON or OFF on `command_topic` and waits for the next kept message to carry the same
// payload: the round trip in µs, negative when none came within `timeout`.
inline double round_trip(mosquitto* client, Received& received, const std::string& command_topic,
                         bool on, std::chrono::seconds timeout) {
  const std::string payload = on ? "ON" : "OFF";
  std::unique_lock lock(received.mutex);
  const auto seen = received.count;
  const auto start = Clock::now();
  lock.unlock();
  mosquitto_publish(client, nullptr, command_topic.c_str(), static_cast<int>(payload.size()),
                    payload.data(), 1, false);
  lock.lock();
  const bool ok = received.changed.wait_for(
      lock, timeout, [&] { return received.count > seen && received.last_payload == payload; });
  return ok ? std::chrono::duration<double, std::micro>(received.last - start).count() : -1;
}

// The p-th quantile (0..1) by the nearest lower rank; 0 without samples.
inline double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return samples[static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1))];
}

}  // namespace meross::bench
