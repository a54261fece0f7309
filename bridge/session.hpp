#pragma once

// One device's session (docs/architecture.md "The device session"): the Bind/Clock/
// ConsumptionConfig handshake, discovery (System.Ability + System.All → DeviceProfile), the
// timezone table, pending requests with deadlines and retries, and availability.
//
// Pure logic: it is fed parsed, signature-checked messages and `now`, and writes the messages it
// wants sent into an Outbox. It never reads a clock and never touches a socket, so unit tests feed
// it real trace payloads.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/duration.hpp"
#include "bridge/request_window.hpp"
#include "bridge/shared_pool.hpp"
#include "bridge/types.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"

namespace meross::bridge {

class DeviceSession;

// The device messages (PUSH, SET Bind) a device sent recently, to spot one sent again. The
// signature covers only messageId, key and timestamp (docs/architecture.md "Notes from the
// code", Replays): a captured message stays valid forever, and its header can even carry another
// namespace and payload. So the window keys on what is signed, (messageId, timestamp): seen
// again, it is a replay or a duplicate delivery, never news; a device's own retry is signed
// afresh (a new timestamp). Bounded: the last kCapacity messages, as 64-bit hashes (at most 512
// bytes per device, grown as messages come: a device that seldom speaks keeps a few). An older
// message is caught by its timestamp instead (DeviceSession::check_clock): outside the timestamp
// window it is stale.
class ReplayWindow {
 public:
  static constexpr std::size_t kCapacity = 64;
  // True the first time (and remembers it); false when it is in the window already.
  bool remember(std::string_view message_id, std::int64_t timestamp);
  std::size_t size() const { return seen_.size(); }

 private:
  std::vector<std::uint64_t> seen_;  // grows to kCapacity, then a ring
  std::uint8_t next_ = 0;            // the oldest entry once full: the next to replace
};

// What a session tells about its device after the handshake (issue 5: entities, states, polls).
// The registry is every session's listener: it keeps its own books and passes the device events
// on to the one listener set on it (Home Assistant). Every method does nothing unless overridden.
class DeviceListener {
 public:
  virtual ~DeviceListener() = default;
  // The device's profile was learned (first contact, Bind, return after being offline).
  virtual void profile_learned(const DeviceSession&) {}
  // Every verified device message after the session handled it: PUSHes, ACKs (replies to our
  // requests and to requests sent through DeviceSession::request), ERRORs.
  virtual void device_message(const DeviceSession&, const protocol::Message&) {}
  // The device went online (true) or offline (false).
  virtual void availability_changed(const DeviceSession&, bool /*online*/) {}
  // The device refused a request of ours with ERROR 5001 (sign error): it signs with another key.
  // `what` names the request ("GET Appliance.System.All"). True when handled (the registry
  // reports it); false and the session logs it itself.
  virtual bool key_refused(const DeviceSession&, const std::string& /*what*/, Now) { return false; }
  // A new device that was never discovered is dropped (a made-up uuid, or one that never
  // answered): forget what was kept about it. The session is destroyed right after.
  virtual void forgotten(const DeviceSession&) {}
};

struct SessionSettings {
  std::string uuid;
  std::string name;  // "" when the configuration gives none
  // Secret: signs our requests and ACKs. Never null; shared by the devices that use the account
  // key (most: one copy for all of them).
  std::shared_ptr<const std::string> key;
  std::string timezone;            // zone to keep on the device; "" = leave its time alone
  std::string availability_topic;  // retained online/offline
  Duration availability_timeout = std::chrono::minutes(5);
  Duration request_timeout = std::chrono::seconds(5);
  int max_attempts = 3;  // first try + retries
  Duration time_check_interval = std::chrono::hours(24);
  // A device message dated further than this from the device's clock (as the bridge knows it) is
  // stale: dropped ([meross] timestamp_window).
  Duration timestamp_window = std::chrono::seconds(60);
  // A command (a SET requested through request()) is never sent to the device later than this
  // after the request: no retry, and a link that could not send it by then drops it
  // ([homeassistant] command_max_age).
  Duration command_max_age = std::chrono::seconds(10);
  // Home Assistant knows the device (it is configured): its availability stays retained when it
  // goes offline. For other devices only once their profile was learned (see announce()).
  bool known = false;
  // A discovery round that went unanswered while the device kept speaking (a broker or bridge
  // that dropped requests under load) is started again after a back-off that doubles from
  // request_timeout × max_attempts up to this: a device is never given up on for good.
  Duration rediscovery_backoff_max = std::chrono::minutes(5);
  // Where devices of one model share their ability list and digest layout; null = each keeps its
  // own.
  protocol::AbilityPool* ability_pool = nullptr;
  // The bridge's requests in flight, shared by every session (flow control); null = no limit.
  RequestWindow* request_window = nullptr;
  SharedPool<protocol::DigestLayout>* digest_pool = nullptr;
};

class DeviceSession {
 public:
  enum class Availability { Unknown, Online, Offline };

  DeviceSession(SessionSettings settings, DeviceListener& listener, Outbox& outbox,
                Counters& counters);

  // A verified message from this device.
  void handle(const protocol::Message& message, Now now);
  // Runs whatever is due at `now`: retries, deadlines, the silence heartbeat, the daily time check.
  void tick(Now now);
  // When tick() has something to do next; nullopt when nothing is scheduled.
  std::optional<TimePoint> next_wakeup() const;
  // Re-publishes the retained availability (after the broker link came back). A device Home
  // Assistant was never told about (not configured, not known from an earlier run, no profile
  // learned) gets its retained topic removed rather than a retained "offline" that would stay
  // forever.
  void announce();
  // Home Assistant knows this device from an earlier run (our retained discovery): its
  // availability is kept retained from now on (re-announced).
  void mark_known();
  // The registry drops this session (a new device never discovered): its retained availability
  // is removed, so that nothing of it stays on the broker.
  void withdraw();
  // The devices' broker (a broker of their own) went away: an online device is offline for Home
  // Assistant now, not after the availability timeout. Pending requests stay: they fail or are
  // answered as usual.
  void unreachable();
  // That broker is back: a device made unreachable is asked for System.All; its answer brings it
  // back online and re-learns it, as after any time offline.
  void reachable(Now now);
  // The broker link is back after an outage: what was asked meanwhile (or was on its way when it
  // broke) went unheard, and the link drops what waited past its deadline; sends every pending
  // request again now, under its messageId, signed afresh. A command older than
  // command_max_age is not sent again.
  void link_back(Now now) { resend_pending(now); }
  // That link is back after an outage (DeviceRegistry::resync_all, spread over the fleet): at
  // `when` the device is read again, as on a return from offline (Ability + System.All, whose
  // end restarts Home Assistant's polls). The device may have sent its Bind to a broker where
  // nobody listened yet: when the reading goes unanswered for a request timeout, that Bind is
  // answered then (a SETACK of our own), and the reading retried behind it.
  void schedule_resync(TimePoint when) { resync_at_ = when; }
  // Whether this verified device message (PUSH, SET) is new; false for a replay or a duplicate
  // delivery (ReplayWindow). The registry drops those, except the handshake (Bind, Clock,
  // ConsumptionConfig), which is answered again.
  bool remember(const protocol::Header& header) {
    return replays_.remember(header.message_id, header.timestamp);
  }

  // Freshness of a device message (PUSH, SET Bind) by its timestamp. Fresh when it is within the
  // timestamp window of our clock (a device whose clock was set) or of the device's clock as last
  // read from one of its answers to our requests (a device whose clock runs elsewhere: before its
  // first time sync it counts from about 0). `skew` is the distance in seconds (negative: older).
  struct ClockCheck {
    bool fresh = false;
    std::int64_t skew = 0;
  };
  ClockCheck check_clock(const protocol::Header& header, Now now);
  // A stale message came: unless the device's clock was read within the window, ask the device
  // (GET System.All) so that its answer tells its clock (and refreshes its state).
  void stale_message(Now now);
  // Whether `reply` (GETACK/SETACK/ERROR) answers a request of ours still pending: same
  // messageId and namespace.
  bool answers_pending(const protocol::Header& reply) const;
  // The device refused the pending request `reply` answers with ERROR 5001 in a message we could
  // not verify (signed with its own key, or not at all): the request is given up (sending it again
  // cannot help). Returns what it was ("GET Appliance.System.All"), nullopt if it answers nothing.
  std::optional<std::string> refused(const protocol::Header& reply, Now now);
  // Sends a signed request to the device, with deadline and retries, asking for the answer on the
  // device's own publish topic (`from`); the reply arrives through DeviceListener::device_message.
  // Returns the messageId.
  std::string request(protocol::Method method, std::string_view ns, std::string payload_json,
                      Now now);
  // The request `message_id` waited for the request window and has its `slot` now: it goes out.
  // False when it is gone meanwhile (dropped when the device went offline).
  bool send_waiting(const std::string& message_id, RequestWindow::Slot slot, Now now);

  const std::string& uuid() const { return settings_.uuid; }
  // "name (uuid)" or the uuid: how logs name the device.
  const std::string& label() const { return label_; }
  const SessionSettings& settings() const { return settings_; }
  Availability availability() const { return availability_; }
  bool online() const { return availability_ == Availability::Online; }
  // The learned profile (from System.All + System.Ability; from Bind until those answer). Home
  // Assistant's side keeps this very profile rather than a copy of its own.
  std::shared_ptr<const protocol::DeviceProfile> profile() const { return profile_; }
  bool profile_complete() const { return profile_complete_; }
  std::size_t pending_requests() const { return pending_.size(); }
  // Requests of ours that ran out of attempts, in this run (shown on the web page).
  std::uint64_t unanswered_requests() const { return unanswered_; }
  // Whether the bridge answered a Bind of this device in this run.
  bool bind_acknowledged() const { return bind_acknowledged_; }
  // When the device last spoke (a verified message); meaningless while availability() is Unknown.
  TimePoint last_heard() const { return last_heard_; }
  std::string device_subscribe_topic() const {
    return "/appliance/" + settings_.uuid + "/subscribe";
  }
  // `from` of our requests: the device's own publish topic, /appliance/<uuid>/publish: 48
  // characters, under the about 60 some firmware keeps of a `from` (docs/configuration.md,
  // Requests), and a topic the device may publish on under any broker ACL. Derived on use, not
  // kept: thousands of devices.
  std::string reply_topic() const { return "/appliance/" + settings_.uuid + "/publish"; }
  // Whether `topic` is one of this device's own, /appliance/<uuid>/<one level>: the only topics
  // a device may name in `from` that we publish on.
  bool own_topic(std::string_view topic) const;

 private:
  enum class Purpose { Discovery, Heartbeat, TimeCheck, TimeSet, External };
  struct Pending {
    protocol::Method method;
    std::string ns;
    std::string payload;
    Purpose purpose;
    int attempts = 1;
    TimePoint first_sent{};
    TimePoint deadline{};
    std::uint64_t order = 0;  // retries go out in the order of the first attempts
    // A command: not sent (first attempt, retry, link backlog) after this.
    std::optional<TimePoint> expires{};
    // Not sent yet: waiting for the request window (its deadline counts from when it goes).
    bool waiting = false;
    // Its place in the request window, from its first attempt until it is answered or that
    // attempt times out.
    RequestWindow::Slot slot{};
  };

  std::string send(protocol::Method method, std::string_view ns, std::string payload,
                   Purpose purpose, Now now);
  void transmit(const std::string& message_id, const Pending& pending, Now now);
  // A slot of the request window for `pending`'s first attempt; false: it waits its turn.
  bool take_slot(Pending& pending);
  bool has_pending(std::string_view ns, Purpose purpose) const;
  void resend_pending(Now now);
  // Ids of pending requests due by `due_by`, in the order they were first sent.
  std::vector<std::string> pending_in_order(TimePoint due_by) const;
  void start_discovery(Now now);
  // A discovery request ran out of attempts while the device is still online.
  void discovery_unanswered(std::string_view what, Now now);
  void resync(Now now);
  void acknowledge_unheard_bind(Now now);
  void heard(Now now);
  void set_availability(Availability availability);
  void handle_reply(const protocol::Message& message, Now now);
  void handle_error(const protocol::Message& message, const Pending* pending, Now now);
  void on_ability(const protocol::Message& message);
  void on_system_all(const protocol::Message& message, Purpose purpose, Now now);
  void adopt_topic_uuid();
  void maybe_profile_learned(Now now);
  void check_time(Now now);
  void on_request_failed(const std::string& message_id, const Pending& pending, Now now);

  SessionSettings settings_;
  std::string label_;
  DeviceListener& listener_;
  Outbox& outbox_;
  Counters& counters_;

  Availability availability_ = Availability::Unknown;
  TimePoint last_heard_{};
  bool heartbeat_sent_ = false;
  bool bind_acknowledged_ = false;
  std::uint64_t unanswered_ = 0;
  bool unreachable_ = false;  // made offline by the loss of the devices' broker

  std::optional<TimePoint> resync_at_;      // schedule_resync()
  std::optional<TimePoint> bind_check_at_;  // the resync unanswered by then: answer a Bind
  std::optional<TimePoint> rediscover_at_;  // a discovery round went unanswered: try again
  Duration rediscovery_backoff_{};          // the wait before the last rediscover_at_

  // Shared with whoever asked profile() (Home Assistant's side keeps it rather than a copy), who
  // sees what the session updates in place: the time zone it set, what a later System.All
  // refreshed. A new discovery replaces it with a new one, and tells the listener again.
  std::shared_ptr<protocol::DeviceProfile> profile_;
  std::optional<protocol::Abilities> abilities_;  // shared with the profile and the pool
  bool discovering_ = false;
  bool got_ability_ = false;
  bool got_all_ = false;
  bool profile_complete_ = false;
  std::string sent_timezone_;
  std::vector<protocol::TimeRule> sent_time_rules_;

  std::optional<TimePoint> next_time_check_;
  std::map<std::string, Pending, std::less<>> pending_;  // by messageId
  std::uint64_t sent_ = 0;                               // Pending::order of the next request
  ReplayWindow replays_;
  // The device's clock minus ours (seconds), read from its last answer to a request of ours (an
  // answer to a fresh random messageId cannot be a replay); moved forward by fresh messages.
  // Unset until an answer comes, and again after its clock was set (Clock answered).
  std::optional<std::int64_t> clock_offset_;
  std::optional<TimePoint> clock_read_at_;
  bool known_ = false;
  std::set<std::string, std::less<>> unknown_logged_;  // namespaces logged once (bounded)
};

}  // namespace meross::bridge
