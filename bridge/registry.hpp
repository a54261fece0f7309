#pragma once

// Every device the bridge has heard from: routes each MQTT message to its session after parsing
// and signature checks, drops bad input with one log line and a counter, and keeps the timer heap
// that wakes sessions for retries, deadlines, heartbeats and time checks.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/rate_limited_log.hpp"
#include "bridge/session.hpp"
#include "bridge/types.hpp"

namespace meross::bridge {

// Topics the bridge uses, derived from the configuration. Devices answer our requests on their
// own publish topic (the `from` of every request), so a broker that confines each device to its
// own topics lets the answers through, and the topic names the device that sent them.
struct Topics {
  static constexpr std::string_view kDevicePublish = "/appliance/+/publish";
  std::string bridge_availability;  // <base>/bridge/availability
  std::string base;                 // <base>

  static Topics from_config(const Config& config);
  std::string device_availability(std::string_view uuid) const {
    return base + "/" + std::string(uuid) + "/availability";
  }
};

struct RegistryOptions {
  std::string host_timezone;  // used when neither the device nor [meross] names a zone
  Duration request_timeout = std::chrono::seconds(5);
  int max_attempts = 3;
  Duration time_check_interval = std::chrono::hours(24);
  std::size_t max_message_bytes = 64 * 1024;
  // Bounds the sessions a client spraying made-up uuids can create; well above the 5,000-device
  // fleets we measure. Devices named in the configuration are always served.
  std::size_t max_devices = 16384;
  std::chrono::milliseconds warning_interval = std::chrono::minutes(1);
};

// A request timeout that suits the availability timeout: a quarter of it, within 0.5 s and 5 s.
Duration default_request_timeout(Duration availability_timeout);

class DeviceRegistry {
 public:
  DeviceRegistry(const Config& config, Topics topics, RegistryOptions options,
                 SessionEvents events = {});
  // Sessions keep references to the events, outbox and counters held here.
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  // One MQTT message from the broker (any topic we subscribed to).
  void on_message(std::string_view topic, std::string_view payload, Now now);
  // Runs what is due; call when next_wakeup() has passed.
  void tick(Now now);
  std::optional<TimePoint> next_wakeup() const;
  // After (re)connecting to the broker: re-publish every device's retained availability.
  void announce_all();
  // With a broker of their own, the devices' link went away: every device that was online is
  // unreachable, and offline for Home Assistant right away (DeviceSession::unreachable).
  void devices_unreachable();
  // The devices' link is back: those made unreachable are asked to answer (a probe each).
  void devices_reachable(Now now);

  // Seam for issue 5: a request to a known device; nullopt if there is no such session.
  std::optional<std::string> request(std::string_view uuid, protocol::Method method,
                                     std::string_view ns, std::string payload_json, Now now);

  // Asks a device we have not heard from in this run (known from the configuration or from our
  // retained discovery documents) for System.All, so it is learned without waiting for it to speak
  // first. Nothing happens for a known or excluded device or an invalid uuid; an unanswered probe
  // leaves the device's availability alone.
  void probe(std::string_view uuid, Now now);

  std::vector<Publication> take_outgoing() { return outbox_.take(); }
  const Counters& counters() const { return counters_; }
  std::size_t devices_online() const;
  const DeviceSession* find(std::string_view uuid) const;
  std::vector<const DeviceSession*> sessions() const;
  const Topics& topics() const { return topics_; }

 private:
  DeviceSession* session_for(const std::string& uuid, Now now);
  void schedule(const DeviceSession& session);
  void warn_limited(const std::string& key, Now now, const std::string& text);

  const Config& config_;
  Topics topics_;
  RegistryOptions options_;
  SessionEvents events_;
  Outbox outbox_;
  Counters counters_;
  RateLimitedLog limiter_;
  protocol::AbilityPool abilities_;  // one ability list per model, not per device
  std::map<std::string, std::unique_ptr<DeviceSession>, std::less<>> sessions_;

  using Timer = std::pair<TimePoint, std::string>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::map<std::string, TimePoint, std::less<>> scheduled_;  // earliest live timer per device
};

}  // namespace meross::bridge
