#pragma once

// The broker link: one libmosquitto client driven without its own thread. The daemon polls
// socket() (wants_write() for POLLOUT) and calls on_readable()/on_writable()/maintain(); the link
// reconnects with backoff and calls back on connect, disconnect and every message.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/config.hpp"
#include "bridge/types.hpp"

struct mosquitto;
struct mosquitto_message;

namespace meross::bridge {

struct LinkSettings {
  MqttUrl broker;
  std::string username;
  std::string password;  // secret
  std::string client_id;
  Duration keepalive = std::chrono::seconds(60);
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
  std::string will_topic;  // gets a retained "offline" as last will
  Duration min_backoff = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::seconds(30);

  static LinkSettings from_config(const Config& config, std::string will_topic);
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
  bool publish(const Publication& publication);
  bool subscribe(const std::string& pattern, int qos = 1);
  bool unsubscribe(const std::string& pattern);
  // Clean shutdown: publish `offline` on the will topic, DISCONNECT, flush (bounded by `budget`).
  void shutdown(std::string_view final_payload, std::chrono::milliseconds budget);

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);
  void connection_lost(TimePoint now, int rc);
  void try_connect(TimePoint now);

  LinkSettings settings_;
  LinkCallbacks callbacks_;
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;    // CONNACK accepted
  bool socket_open_ = false;  // TCP (and TLS) up, CONNACK maybe pending
  std::optional<TimePoint> next_attempt_;
  Duration backoff_;
  TimePoint last_now_{};
};

// libmosquitto's process-wide init/cleanup (MqttLink holds one for the whole process).
struct MosquittoLibrary {
  MosquittoLibrary();
  ~MosquittoLibrary();
};

}  // namespace meross::bridge
