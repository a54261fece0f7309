#pragma once

// Small value types shared by the session, the registry and the daemon loop.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meross::bridge {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// "Now" as the session sees it: a monotonic instant for timers, wall-clock epoch seconds for the
// protocol (timestamps, signatures, time rules). The daemon reads the clocks; tests make them up.
struct Now {
  TimePoint mono{};
  std::int64_t wall = 0;

  static Now current();
};

// One MQTT message the bridge wants published.
struct Publication {
  std::string topic;
  std::string payload;
  bool retain = false;
  int qos = 1;
  // A request to a device is useless after its deadline (the session has retried or given up):
  // a link that could not send it by then drops it rather than execute a command late.
  std::optional<TimePoint> expires{};
};

// All the bridge publishes (device sessions, Home Assistant's side, the daemon): one queue, drained
// into the broker links after each event (Daemon::flush).
struct Outbox {
  std::vector<Publication> items;

  void publish(std::string topic, std::string payload, bool retain = false, int qos = 1) {
    items.push_back(Publication{std::move(topic), std::move(payload), retain, qos});
  }
  void publish_until(std::string topic, std::string payload, TimePoint expires) {
    items.push_back(Publication{std::move(topic), std::move(payload), false, 1, expires});
  }
  std::vector<Publication> take() { return std::exchange(items, {}); }
};

// Counters of what happened; issue 5 publishes them as bridge diagnostics.
struct Counters {
  std::uint64_t messages_received = 0;   // every MQTT message on a device topic
  std::uint64_t messages_handled = 0;    // parsed, verified and given to a session
  std::uint64_t malformed = 0;           // not a Meross message (JSON, header, size)
  std::uint64_t signature_failures = 0;  // dropped for a bad signature
  std::uint64_t replays = 0;  // a (messageId, timestamp) the device already sent: dropped
  std::uint64_t unknown_namespaces = 0;  // PUSHes of a namespace the device's abilities lack
  std::uint64_t ignored = 0;             // excluded uuids, unknown senders, unexpected methods
  std::uint64_t unmatched_replies = 0;   // ACK/ERROR that answer no pending request
  std::uint64_t device_errors = 0;       // ERROR replies
  std::uint64_t requests_sent = 0;       // requests (first attempts)
  std::uint64_t request_retries = 0;
  std::uint64_t request_failures = 0;  // requests that ran out of attempts
  std::uint64_t rediscoveries = 0;     // discovery rounds started again after going unanswered
  // Device messages dated outside the timestamp window around the device's clock: dropped.
  std::uint64_t stale = 0;
  // Messages whose header names another device than the topic they came on, and Binds whose
  // `from` is not one of the device's own topics: dropped.
  std::uint64_t misaddressed = 0;
  // Requests a device refused because it signs with another key (ERROR 5001).
  std::uint64_t key_refusals = 0;
  // New devices refused a session for now: too many at once, or too many still being discovered
  // (bridge/admission.hpp).
  std::uint64_t admissions_refused = 0;
};

}  // namespace meross::bridge
