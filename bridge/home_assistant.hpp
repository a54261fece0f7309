#pragma once

// The Home Assistant side of the bridge (issue 5): per device, mapping + discovery composed into
// MQTT publications — discovery documents, retained states, polls, commands — plus the bridge's
// own device with its diagnostics, HA's birth message, and the removal of what no longer exists.
//
// It does no I/O itself: the registry tells it of device events (profile, device messages,
// availability: it is the registry's DeviceListener), the daemon feeds it MQTT messages, connects
// and ticks, and it acts through HomeAssistantIo, so unit tests drive it with real trace payloads
// and a recording fake. Everything runs on the daemon's thread.
//
// Removals (home-assistant.md §3): at start-up the bridge reads back its own retained discovery
// documents (subscribe to discovery::readback_filters, then a marker message on a topic of ours
// tells when every retained document has been delivered) and only then announces anything. What
// is removed, with empty retained payloads:
//  - every document of a device the configuration now excludes (`[meross] exclude`);
//  - for a device that is back (its profile learned in this run): the components or topics its
//    current profile no longer has (including a switch between device and per-component mode);
//  - for the bridge device: what its current documents no longer have.
// Devices that have not reconnected yet keep their documents: a device that is unplugged for a
// while, or slow to come back after a restart, must not vanish from Home Assistant with its
// history and automations. Removing a device that is gone for good is done in Home Assistant.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/poller.hpp"
#include "bridge/rate_limited_log.hpp"
#include "bridge/session.hpp"
#include "bridge/shared_pool.hpp"
#include "bridge/state_table.hpp"
#include "bridge/types.hpp"
#include "discovery/discovery.hpp"
#include "discovery/summary.hpp"
#include "mapping/mapping.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"

namespace meross::bridge {

// What the bridge publishes about itself (diagnostic sensors of the bridge device).
struct BridgeStats {
  std::size_t devices_online = 0;
  std::uint64_t messages_handled = 0;
  std::uint64_t signature_failures = 0;
  std::uint64_t malformed = 0;           // not a Meross message: JSON, header, size
  std::uint64_t replays = 0;             // a device message seen before, dropped
  std::uint64_t unknown_namespaces = 0;  // pushes of namespaces the device does not list
  std::uint64_t ignored = 0;             // excluded or unknown senders, unexpected methods
  std::uint64_t request_failures = 0;    // requests that ran out of attempts
  std::uint64_t late_commands = 0;       // commands that may have waited out an outage, dropped
  std::uint64_t refused_devices = 0;     // new devices refused a session for now (admission)
  std::uint64_t not_owned = 0;  // cluster: messages for devices another instance owns, dropped
  std::uint64_t dropped_publications = 0;  // the broker links' backlog overflowed
};

// The owner of one of our discovery topics: "" for the bridge, the uuid of a device as the node
// id spells it (meross_<uuid>), nullopt when the topic is not one this bridge would publish.
std::optional<std::string> discovery_topic_owner(std::string_view topic,
                                                 const discovery::Options& options);

// What HomeAssistant needs from the daemon.
class HomeAssistantIo {
 public:
  virtual ~HomeAssistantIo() = default;
  virtual void publish(const Publication& publication) = 0;
  virtual void subscribe(const std::string& filter) = 0;
  virtual void unsubscribe(const std::string& filter) = 0;
  // A signed request to the device (retries included); false if the device is unknown.
  virtual bool request(const std::string& uuid, protocol::Method method, const std::string& ns,
                       const std::string& payload_json, Now now) = 0;
  // Asks a device not heard from yet in this run to answer (DeviceRegistry::probe).
  virtual void probe(const std::string& uuid, Now now) = 0;
  // Re-publishes the bridge's and every device's retained availability.
  virtual void announce_availability() = 0;
  virtual BridgeStats stats() const = 0;
};

struct HomeAssistantCounters {
  std::uint64_t commands = 0;           // commands turned into device requests
  std::uint64_t commands_rejected = 0;  // invalid payload, unknown device/entity, retained
  std::uint64_t state_errors = 0;       // device messages the mapping could not read
  std::uint64_t republished = 0;        // full re-publications (birth, reconnect)
};

struct HomeAssistantSettings {
  discovery::Options discovery;
  Duration republish_delay = std::chrono::seconds(5);  // birth: random in [d/5, d]
  Duration diagnostics_interval = std::chrono::seconds(30);
  Duration readback_timeout = std::chrono::seconds(5);  // if the marker never comes back
  Duration refresh_after_command = std::chrono::seconds(1);
  Duration probe_spread = std::chrono::seconds(5);  // start-up probes spread by uuid over this
  std::uint64_t seed = 0;  // randomness of the birth delay and the readback marker

  static HomeAssistantSettings from_config(const Config& config, std::uint64_t seed);
};

class HomeAssistant final : public DeviceListener {
 public:
  HomeAssistant(const Config& config, HomeAssistantSettings settings, HomeAssistantIo& io);

  // Subscriptions to make on every (re)connect: command topics and HA's status topic.
  std::vector<std::string> subscriptions() const;

  void on_connected(Now now);
  // A message on one of subscriptions() (or a read-back filter); false if not for us.
  bool on_message(std::string_view topic, std::string_view payload, bool retained, Now now);
  // The device's profile: kept as given (the session's own, shared), or a copy of `profile`.
  void on_profile(const std::string& uuid, std::shared_ptr<const protocol::DeviceProfile> profile,
                  Now now);
  void on_profile(const std::string& uuid, const protocol::DeviceProfile& profile, Now now);
  void on_device_message(const std::string& uuid, const protocol::Message& message, Now now);
  void on_availability(const std::string& uuid, bool online, Now now);
  // DeviceListener: the same, as the registry reports them (at Now::current()).
  void profile_learned(const DeviceSession& s) override;
  void device_message(const DeviceSession& s, const protocol::Message& m) override;
  void availability_changed(const DeviceSession& s, bool online) override;
  void forgotten(const DeviceSession& s) override;
  void tick(Now now);

  bool readback_done() const { return readback_done_; }
  const HomeAssistantCounters& counters() const { return counters_; }
  // The last state published for an entity ("" if none): for tests and diagnostics.
  std::string last_state(const std::string& uuid, const std::string& key) const;
  // A device's entities and hub sub-devices as Home Assistant has them (none when unknown): for
  // the web page.
  std::vector<mapping::Entity> entities(const std::string& uuid) const;
  std::vector<mapping::SubDevice> sub_devices(const std::string& uuid) const;
  // The profile Home Assistant has of the device (null when none): the very one it was given.
  std::shared_ptr<const protocol::DeviceProfile> profile(const std::string& uuid) const;
  // Whether the device keeps mapping memory (a hub's sub-devices, a light's state); a plug none.
  bool has_memory(const std::string& uuid) const;
  // The device's name in Home Assistant: the configured one, or the one given by rename(); ""
  // when none (Home Assistant then shows the model).
  std::string name(const std::string& uuid) const;
  // Gives the device a new name in Home Assistant for this run: its discovery documents go out
  // again with it (when its profile is known; else the name waits for it). Saving the name for
  // the next start is the caller's (bridge/config_edit.hpp).
  void rename(const std::string& uuid, const std::string& name);

 private:
  struct Device {
    std::string uuid;                                        // as the device spells it
    std::string name;                                        // configured name, "" = default
    std::shared_ptr<const protocol::DeviceProfile> profile;  // the session's, not a copy
    // What the mapping remembers between messages, held only while there is something: most
    // devices (plugs) never have any.
    std::unique_ptr<mapping::DeviceState> memory;
    const mapping::DeviceState& state() const;
    StateTable states;                     // entity key → last payload
    std::optional<std::string> early_all;  // System.All seen before the profile
    bool unmapped_logged = false;
    std::size_t discovery_digest = 0;  // of the documents last published
  };

  // Derived when needed rather than kept: a few kB per device, thousands of devices.
  static std::vector<mapping::Entity> entities_of(const Device& d);
  Device& device(const std::string& uuid);
  Device* find(const std::string& uuid);
  void start_readback(Now now);
  void finish_readback(Now now);
  // Publishes the device's discovery documents when they changed, or `again` anyway.
  void publish_discovery(Device& d, bool again = false);
  void publish_bridge_discovery();
  using HeldDocuments = std::map<std::string, std::shared_ptr<const discovery::DocumentSummary>>;
  void publish_documents(const std::string& owner, const std::vector<discovery::Publication>& docs);
  // Remembers what removals will need of a document of ours the broker holds.
  void hold(HeldDocuments& held, const discovery::Publication& doc);
  void publish_states(const Device& d);
  void publish_diagnostics();
  // Whether `batch` has states to publish; counts and logs (rate-limited) what it could not
  // map: a message not understood, or items of it left out.
  bool understood(const Device& d, std::string_view ns, protocol::Method method,
                  const protocol::Result<mapping::StateBatch>& batch, Now now);
  void apply(Device& d, std::string_view ns, protocol::Method method,
             const protocol::JsonValue& payload, Now now);
  // mapping::states_from on the device's memory, which is kept only if something is in it.
  // `payload`: the parsed payload or its JSON text.
  template <typename Payload>
  static protocol::Result<mapping::StateBatch> states_from(Device& d, std::string_view ns,
                                                           protocol::Method method,
                                                           const Payload& payload, Now now) {
    if (!d.memory) d.memory = std::make_unique<mapping::DeviceState>();
    auto batch = mapping::states_from(*d.profile, *d.memory, ns, method, payload,
                                      mapping::Context{now.wall});
    if (d.memory->empty()) d.memory.reset();
    return batch;
  }
  void handle_command(const std::string& uuid, const std::string& key, std::string_view payload,
                      bool retained, Now now);
  // Counts a command not executed and logs `what` (bounded per `where`, the target, and overall).
  void reject(const std::string& where, const std::string& what, Now now);
  void republish_all();
  PollIntervals intervals_for(const std::string& uuid) const;

  const Config& config_;
  HomeAssistantSettings settings_;
  HomeAssistantIo& io_;
  std::mt19937_64 random_;
  Poller poller_;
  RateLimitedLog limiter_;
  HomeAssistantCounters counters_;
  std::map<std::string, Device> devices_;  // by lower-case uuid

  // Our retained discovery documents as the broker holds them, summarized (what removals need,
  // not the full text): owner ("" = the bridge, else the lower-case uuid) → topic → summary, equal
  // summaries (every plug of a model announces the same components) one shared object; and the
  // uuids as spelled in those documents.
  std::map<std::string, HeldDocuments> retained_;
  SharedPool<discovery::DocumentSummary> summaries_;
  std::map<std::string, std::string> spelled_;
  std::vector<std::pair<TimePoint, std::string>> probes_;  // start-up probes not sent yet
  bool readback_done_ = false;
  bool readback_active_ = false;
  std::string readback_marker_;
  TimePoint readback_deadline_{};

  std::optional<TimePoint> republish_at_;
  std::optional<TimePoint> next_diagnostics_;
  std::optional<BridgeStats> last_stats_;
};

}  // namespace meross::bridge
