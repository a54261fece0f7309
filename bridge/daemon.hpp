#pragma once

// The daemon: one thread, one poll() loop over the broker sockets, a self-pipe for signals and the
// registry's timer heap. Issue 5 (Home Assistant entities, states, polls, commands) plugs in as
// the registry's DeviceListener (device events) and through DaemonHooks (its MQTT side);
// everything runs on the loop thread, so neither needs locks.
//
// One broker link, or two when [device_broker] is set: the devices' topics (/appliance/…) on the
// device link, Home Assistant's (discovery, states, commands, availability, the bridge's last
// will) on the other. Each link connects, subscribes and backs off on its own; link_for() is the
// one place that routes by topic.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/registry.hpp"
#include "bridge/session.hpp"
#include "bridge/types.hpp"

namespace meross::bridge {

class Cluster;
class Daemon;
class HomeAssistant;
class MqttLink;

// Home Assistant's MQTT side; device events go to the registry's listener
// (DeviceRegistry::set_listener).
struct DaemonHooks {
  // Extra subscriptions made on every (re)connect of Home Assistant's link (e.g. HA command
  // topics, homeassistant/status).
  std::vector<std::string> subscriptions;
  // Messages on topics that are not device topics (i.e. those of `subscriptions` and of
  // Daemon::subscribe); `retained` when the broker delivered a retained message.
  std::function<void(Daemon&, std::string_view topic, std::string_view payload, bool retained)>
      message;
  // After every (re)connect of Home Assistant's link, once the bridge has re-announced its own
  // availability.
  std::function<void(Daemon&)> connected;
  // Timers of the hooks: called on every loop turn (at least once a second).
  std::function<void(Daemon&, Now)> tick;
  // Sees every message on a device topic (/appliance/…), as it arrives (`outgoing` false) or as
  // it is handed to its link (true), before anything else is done with it: the web page's
  // message list. Must be quick; it must not publish.
  std::function<void(bool outgoing, std::string_view topic, std::string_view payload)> tap;
};

class Daemon {
 public:
  explicit Daemon(const Config& config, DaemonHooks hooks = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

  // Publishes on the link the topic belongs to once the event being handled is over, in order
  // with what the devices' sessions publish (queued while its broker is away).
  void publish(const Publication& publication);
  // Subscribes now (for this connection only; `subscriptions` are made on every connect).
  void subscribe(const std::string& filter);
  void unsubscribe(const std::string& filter);
  DeviceRegistry& registry() { return *registry_; }
  // Commands dropped because they may have waited out an outage (see on_ha_connected()).
  std::uint64_t late_commands() const { return late_commands_; }
  // Whether this instance serves `uuid` (always, without [cluster]; see bridge/cluster.hpp).
  bool owns(std::string_view uuid) const;
  // Device messages and commands for devices another instance owns, dropped unread.
  std::uint64_t not_owned() const { return not_owned_; }
  // Publications the links dropped because their backlog was full (the broker too slow).
  std::uint64_t dropped_publications() const;
  const Config& config() const { return config_; }
  const Topics& topics() const { return topics_; }
  DaemonHooks& hooks() { return hooks_; }
  // Wakes the loop from another thread (the web server's): the hooks' tick runs next.
  void wake();
  // Home Assistant's link, and the devices' own when [device_broker] is set (else null).
  const MqttLink& ha_link() const { return *ha_link_; }
  const MqttLink* device_link() const { return device_link_.get(); }

 private:
  // Home Assistant's link carries the device topics too when there is no device link.
  enum class Side { HomeAssistant, Devices };

  MqttLink& link_for(std::string_view topic);
  void flush();
  void on_ha_connected();
  void on_ha_lost();
  // Whether a message on Home Assistant's side is a command that must not be executed: after an
  // outage of Home Assistant's link longer than command_max_age, until Home Assistant's birth
  // message (or kCommandHold), a command may have waited in a client's queue meanwhile.
  bool late_command(std::string_view topic, std::string_view payload, Now now);
  void on_devices_connected();
  void on_devices_lost();
  void on_message(Side side, std::string_view topic, std::string_view payload, bool retained);
  // With [cluster]: takes the cluster's messages, and drops (counted, before any parsing) those
  // about devices another instance owns; true when the message was dealt with here.
  bool cluster_filter(bool device_topic, std::string_view topic, std::string_view payload, Now now);
  // Carries out what the cluster decided: devices lost are dropped, devices gained probed.
  void apply_cluster(Now now);

  const Config& config_;
  DaemonHooks hooks_;
  Topics topics_;
  std::unique_ptr<DeviceRegistry> registry_;
  std::unique_ptr<MqttLink> ha_link_;      // [mqtt]
  std::unique_ptr<MqttLink> device_link_;  // [device_broker]; null with one broker

  std::optional<TimePoint> ha_lost_at_;     // Home Assistant's link went away then
  std::optional<TimePoint> hold_commands_;  // commands of unknown age dropped until then
  TimePoint ha_back_at_{};
  Duration last_outage_{};
  std::uint64_t late_commands_ = 0;
  std::unique_ptr<Cluster> cluster_;  // [cluster] instance set; null otherwise
  std::uint64_t not_owned_ = 0;
  int wake_pipe_[2] = {-1, -1};  // wake(): written by other threads, drained by the loop
};

// Whether a topic belongs to the devices' side: what goes to the device link when there is one.
bool is_device_topic(std::string_view topic);

// The host's IANA zone ("" if it cannot be determined).
std::string host_timezone();

// Something that runs beside Home Assistant's side on the loop thread: the web page (web/).
// start() before the loop (false: the daemon does not start), tick() on every loop turn, stop()
// after it.
class DaemonCompanion {
 public:
  virtual ~DaemonCompanion() = default;
  virtual bool start(Daemon& daemon, const HomeAssistant& ha) = 0;
  virtual void tick(Daemon& daemon, HomeAssistant& ha, Now now) = 0;
  virtual void stop() = 0;
};

// Daemon(config) with the Home Assistant side (bridge/home_assistant.hpp) plugged in, and
// `companion` when given, run().
int run_daemon(const Config& config, DaemonCompanion* companion = nullptr);

}  // namespace meross::bridge
