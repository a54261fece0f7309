#pragma once

// Every device the bridge has heard from: routes each MQTT message to its session after parsing
// and signature checks, drops bad input with a counter and a bounded log line (RateLimitedLog: per
// key and overall), and keeps the timer heap that wakes sessions for retries, deadlines,
// heartbeats and time checks.
//
// What a message must pass, in order: a device's own publish topic with a valid uuid; a Meross
// message; a device message (not a request); the device's key (else: a Bind or an ERROR 5001
// answer signed with another key tells that the device uses another key, see key_mismatches());
// a header that names no other device (uuid, `from`) and, for a Bind, a `from` that is one of the
// device's own topics; for an answer, a request of ours still pending (same messageId and
// namespace); for a device's own message, a timestamp within the window around the device's
// clock; not a replay.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/common.h>

#include "bridge/admission.hpp"
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
  std::string bridge_availability;  // <base>/bridge[/<instance>]/availability
  std::string base;                 // <base>
  std::string instance;             // [cluster] instance, "" = none

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
  // After a broker outage every device is read again within this time (resync_all): spread, so
  // thousands of devices are not asked in one millisecond, and short enough that a device whose
  // Bind must be answered first (a request timeout later) and its first polls (up to 10 s after)
  // are done within 30 s of the link's return.
  Duration resync_spread = std::chrono::seconds(10);
  // A new device not discovered within this time is dropped (its session and retained topics):
  // a made-up uuid never answers System.All. Discovery takes request_timeout × max_attempts at
  // most; a device dropped too early is let in again when it speaks again.
  Duration new_device_timeout = std::chrono::minutes(1);
  // Requests out with devices at once (RequestWindow); the rest wait their turn. The broker's
  // queue for the bridge must hold this many answers and the unsolicited messages arriving
  // meanwhile (broker-config writes max_queued_messages to match); 0 = no limit.
  std::size_t request_window = 256;
  std::chrono::milliseconds warning_interval = std::chrono::minutes(1);
  // At most this many warning lines per warning_interval over all devices and kinds.
  std::size_t warning_budget = RateLimitedLog::kDefaultBudget;
};

// A device that signs with another key than the one configured for it, as the bridge learned it.
struct KeyMismatch {
  std::string uuid;
  std::string name;    // configured name, "" when none
  std::string source;  // how it was learned: "its Bind", "ERROR 5001 to GET Appliance.System.All"
  TimePoint last{};    // last evidence
  bool configured = false;
  bool reported = false;  // its log line went out
};

// A request timeout that suits the availability timeout: a quarter of it, within 0.5 s and 5 s.
Duration default_request_timeout(Duration availability_timeout);

// Every session reports to the registry (its DeviceListener), which keeps its own books (devices
// online, key mismatches) and passes the device events on to `listener` (Home Assistant).
class DeviceRegistry : private DeviceListener {
 public:
  DeviceRegistry(const Config& config, Topics topics, RegistryOptions options,
                 DeviceListener* listener = nullptr);
  // Sessions keep references to the registry, the outbox and counters held here.
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  // Where device events go (set once, before the first message; null: nowhere).
  void set_listener(DeviceListener* listener) { listener_ = listener; }

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
  // The link that carries the devices' topics (re)connected: every session sends its pending
  // requests again (DeviceSession::link_back).
  void link_back(Now now);
  // After that link returned from an outage: every device heard from in this run is read again
  // (DeviceSession::schedule_resync), one after another over at most resync_spread.
  void resync_all(Now now);
  // One device read again now, as resync_all does it (the web page's "read again"); false when
  // there is no session for `uuid`.
  bool resync(std::string_view uuid, Now now);

  // Seam for issue 5: a request to a known device; nullopt if there is no such session.
  std::optional<std::string> request(std::string_view uuid, protocol::Method method,
                                     std::string_view ns, std::string payload_json, Now now);

  // Drops a device another instance of the cluster owns now: its session, timers and requests
  // go, silently (no offline: the new owner speaks for it).
  void release(std::string_view uuid);

  // Asks a device we have not heard from in this run (known from the configuration or from our
  // retained discovery documents) for System.All, so it is learned without waiting for it to speak
  // first. Nothing happens for a known or excluded device or an invalid uuid; an unanswered probe
  // leaves the device's availability alone.
  void probe(std::string_view uuid, Now now);

  // Sends the requests that waited for the request window, as far as it has room. The daemon
  // calls it before every flush; tick() does too.
  void release_waiting(Now now);
  // The broker link holds a backlog (bytes waiting for the broker): past a bound, waiting
  // requests stay where they are until it clears (RequestWindow).
  void set_congested(bool congested) { window_.set_congested(congested); }
  const RequestWindow& request_window() const { return window_; }

  // Everything the bridge publishes, sessions' requests and Home Assistant's states alike, waits
  // here for the daemon to send it (Daemon::flush).
  Outbox& outbox() { return outbox_; }
  std::vector<Publication> take_outgoing() { return outbox_.take(); }
  const Counters& counters() const { return counters_; }
  // Devices known to sign with another key than the configured one (bounded; cleared for a device
  // when a message signed with the configured key comes), by lower-case uuid. Shown in Home
  // Assistant as the bridge's `key_mismatch` problem sensor, listed in its attributes.
  const std::map<std::string, KeyMismatch, std::less<>>& key_mismatches() const {
    return key_mismatches_;
  }
  // Logs `text()` as a warning (or at `level`) unless the per-key or the overall bound holds it
  // back; adds " (N more like this …)" when lines of this key were held back.
  template <class Text>
  void log_limited(spdlog::level::level_enum level, std::string_view key, Now now, Text&& text) {
    if (!log_allowed(level)) return;
    flush_log_summary(now);
    if (const auto suppressed = limiter_.allow(key, now.mono)) {
      emit(level, text(), *suppressed);
    } else {
      note_budget_exhausted();
    }
  }
  std::size_t devices_online() const;
  const DeviceSession* find(std::string_view uuid) const;
  std::vector<const DeviceSession*> sessions() const;
  // Sessions of new devices still being discovered (bounded by max_new_devices).
  std::size_t undiscovered() const { return undiscovered_.size(); }
  const Topics& topics() const { return topics_; }

 private:
  // DeviceListener of the sessions.
  void profile_learned(const DeviceSession& s) override;
  void device_message(const DeviceSession& s, const protocol::Message& m) override;
  void availability_changed(const DeviceSession& s, bool online) override;
  bool key_refused(const DeviceSession& s, const std::string& what, Now now) override;

  // The session of `uuid`, created when there is none; a new device not `trusted` (configured,
  // or known from an earlier run) must be admitted first: nullptr when it is refused.
  DeviceSession* session_for(const std::string& uuid, Now now, bool trusted = false);
  bool admit(const std::string& uuid, Now now);
  // Drops a new device that was never discovered: its session, timers and retained availability
  // (when `withdraw`).
  void forget(const std::string& id, bool withdraw = true);
  // Drops the new devices not discovered within new_device_timeout.
  void expire_undiscovered(Now now);
  void schedule(const DeviceSession& session);
  void warn_limited(const std::string& key, Now now, const std::string& text);
  static bool log_allowed(spdlog::level::level_enum level);
  void emit(spdlog::level::level_enum level, const std::string& text, std::uint64_t suppressed);
  void flush_log_summary(Now now);
  void note_budget_exhausted();
  // A message failed the signature check: a key mismatch when it tells one, else a warning.
  void bad_signature(const std::string& uuid, const std::string& id, const protocol::Message& m,
                     Now now);
  // Evidence that `uuid` signs with another key; reported once, shown in Home Assistant. False
  // when the list is full (made-up uuids): then it is only a bad signature.
  bool key_mismatch(const std::string& uuid, const std::string& source, Now now);
  void key_matches(const std::string& id);
  void publish_key_mismatches();
  void expire_key_mismatches(Now now);

  const Config& config_;
  Topics topics_;
  RegistryOptions options_;
  DeviceListener* listener_ = nullptr;
  Outbox outbox_;
  Counters counters_;
  RateLimitedLog limiter_;
  std::map<std::string, KeyMismatch, std::less<>> key_mismatches_;
  std::optional<TimePoint> next_mismatch_expiry_;
  std::size_t unconfigured_mismatches_ = 0;
  std::size_t online_ = 0;           // sessions online, kept as they change (no walk over all)
  protocol::AbilityPool abilities_;  // one ability list per model, not per device
  SharedPool<protocol::DigestLayout> digests_;      // and one digest layout
  std::shared_ptr<const std::string> account_key_;  // what sessions on [meross] key share
  // Before the sessions: their pending requests hold slots of it until they are destroyed.
  RequestWindow window_;
  std::map<std::string, std::unique_ptr<DeviceSession>, std::less<>> sessions_;
  Admission admission_;
  // New devices admitted and not discovered yet, by lower-case uuid: when they were admitted.
  std::map<std::string, TimePoint, std::less<>> undiscovered_;
  // The same admissions in the order they came (so in the order they expire); an entry whose
  // device was discovered or admitted again meanwhile is skipped when its time comes.
  std::deque<std::pair<TimePoint, std::string>> admissions_;

  using Timer = std::pair<TimePoint, std::string>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::map<std::string, TimePoint, std::less<>> scheduled_;  // earliest live timer per device
};

}  // namespace meross::bridge
