#pragma once

// A broker link: one libmosquitto client driven without its own thread. The daemon polls
// socket() (wants_write() for POLLOUT) and calls on_readable()/on_writable()/maintain(); the link
// reconnects with its own backoff and calls back on connect, disconnect and every message. The
// daemon holds one per broker (Home Assistant's, and the devices' when that is another one).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/config.hpp"
#include "bridge/types.hpp"

struct mosquitto;
struct mosquitto_message;

namespace meross::bridge {

// The configured broker and login ([mqtt] or [device_broker]; `url` is not read: `broker` is
// what it parsed to), and what this link adds to them.
struct LinkSettings : MqttConfig {
  std::string will_topic;  // gets a retained "offline" as last will; "" = no will
  std::string name;        // in log lines, when the bridge has more than one link
  Duration min_backoff = std::chrono::seconds(1);
  // Short enough that a returning broker is found well within one poll period (30 s by default).
  Duration max_backoff = std::chrono::seconds(10);

  static LinkSettings from_config(const MqttConfig& config, std::string will_topic,
                                  std::string name = {});
};

struct LinkCallbacks {
  std::function<void()> connected;  // subscribe and re-announce here
  std::function<void()> disconnected;
  std::function<void(std::string_view topic, std::string_view payload, bool retained)> message;
};

class MqttLink {
 public:
  MqttLink(LinkSettings settings, LinkCallbacks callbacks);
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  // Sets TLS, credentials and will. false (with a log line) if the settings cannot work.
  bool configure();
  // Connects now or when the backoff allows; call on every loop turn.
  void maintain(TimePoint now);
  // When maintain() next has something to do.
  std::optional<TimePoint> next_wakeup() const;

  int socket() const;
  bool wants_write() const;
  void on_readable(TimePoint now);
  void on_writable(TimePoint now);

  bool connected() const { return connected_; }
  // Requests that waited for the broker past their deadline and were dropped, never sent late.
  std::uint64_t expired() const { return expired_; }
  // Sends now, or queues behind earlier messages while QoS 1 messages await their PUBACK beyond
  // the window or the link is down; false (with a rate-limited warning) if the queue is full.
  bool publish(const Publication& publication);
  // Bytes of the messages waiting behind the in-flight window or for the link to come back.
  std::size_t backlog_bytes() const { return backlog_bytes_; }
  // Messages dropped because that backlog was full, in this run.
  std::uint64_t dropped() const { return dropped_; }
  bool subscribe(const std::string& pattern, int qos = 1);
  bool unsubscribe(const std::string& pattern);
  // Clean shutdown: publish `final_payload` on the will topic (if there is one), DISCONNECT,
  // flush (bounded by `budget`).
  void shutdown(std::string_view final_payload, std::chrono::milliseconds budget);

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);
  static void on_publish(mosquitto*, void* self, int mid);
  // Options, TLS, credentials, will and callbacks on the libmosquitto client (again after
  // reset_client()).
  bool apply_settings();
  // A fresh libmosquitto client after a lost connection: the old one would send what it held
  // (QoS 1 messages written but not acknowledged) again on reconnecting, however late. Those go
  // back to the front of our own queue instead, where a request past its deadline is dropped.
  void reset_client();
  bool send(const Publication& publication);
  void drain_backlog();
  void connection_lost(TimePoint now, int rc);
  void try_connect(TimePoint now);
  // The broker as log lines name it.
  std::string where() const;

  static constexpr int kMaxPacketsPerRead = 256;
  // libmosquitto walks every QoS 1 message it holds on each PUBACK: keep that list short.
  static constexpr std::size_t kWindow = 256;
  static constexpr std::size_t kMaxBacklogBytes = 64u << 20;

  LinkSettings settings_;
  LinkCallbacks callbacks_;
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;    // CONNACK accepted
  bool socket_open_ = false;  // TCP (and TLS) up, CONNACK maybe pending
  std::optional<TimePoint> next_attempt_;
  Duration backoff_;
  TimePoint last_now_{};
  // Our QoS 1 messages awaiting PUBACK: by the order they were sent, and the message id of each.
  std::map<std::uint64_t, Publication> in_flight_;
  std::unordered_map<int, std::uint64_t> in_flight_ids_;
  std::uint64_t sent_ = 0;
  bool reset_pending_ = false;  // the connection was lost: reset_client() before the next one
  std::deque<Publication> backlog_;
  std::size_t backlog_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t expired_ = 0;  // requests dropped from the backlog after their deadline
  std::optional<TimePoint> last_drop_warning_;
  // Packets read that libmosquitto calls back for (all but PINGRESP): on_readable's progress.
  std::uint64_t packets_heard_ = 0;
};

// libmosquitto's process-wide init/cleanup (MqttLink holds one for the whole process).
struct MosquittoLibrary {
  MosquittoLibrary();
  ~MosquittoLibrary();
};

}  // namespace meross::bridge
