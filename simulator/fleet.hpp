#pragma once

// Runs many simulated devices over MQTT from one thread: one libmosquitto client per device, all
// driven by a single epoll loop over their sockets (no libmosquitto threads), plus the stdin
// control channel and SIGTERM/SIGINT.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/device.hpp"
#include "simulator/http_server.hpp"
#include "simulator/profiles.hpp"

struct mosquitto;
struct mosquitto_message;

namespace meross::sim {

struct FleetOptions {
  BrokerAddress broker;
  // CA certificate (PEM) trusted on TLS links: an mqtts:// broker and every broker a device is
  // moved to by Appliance.Config.Key. Empty: the system's CAs (/etc/ssl/certs).
  std::string cafile;
  // Each device serves its local HTTP API on 127.0.0.1:(http_base_port + index); 0 lets each
  // take a free port; -1 serves none.
  int http_base_port = -1;
  int keepalive_s = 30;
  double load_rate = 0;  // PUSH/s across the fleet once every device is bound; 0 = no load mode
  std::int64_t load_duration_ms = 0;
  int control_fd = 0;  // stdin; -1 for none
};

class Fleet {
 public:
  // `emit` writes one machine-readable line to stdout.
  Fleet(std::vector<std::unique_ptr<Device>> devices, FleetOptions options,
        std::function<void(const std::string&)> emit);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Runs until `quit`, SIGTERM/SIGINT or the end of load mode; returns the exit code.
  int run();

  // The HTTP port of device `index` (in the order given), or -1 without HTTP.
  int http_port(std::size_t index) const;

  struct Connection;

 private:
  void connect(Connection& c, std::int64_t now_ms);
  void lost(Connection& c, std::int64_t now_ms, const char* why);
  void next_broker(Connection& c);
  void sync(Connection& c, std::int64_t now_ms);
  void publish(Connection& c, const std::vector<Outgoing>& messages);
  bool publish_one(Connection& c, const Outgoing& message);
  void handle_control(std::int64_t now_ms);
  void control_line(const std::string& line, std::int64_t now_ms);
  void load_step(std::int64_t now_ms);
  void handle_http(std::int64_t now_ms);
  void move(Connection& c, const Gateway& gateway, std::int64_t now_ms);
  void shutdown();

  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);

  std::vector<std::unique_ptr<Connection>> connections_;
  std::unique_ptr<HttpServer> http_;
  FleetOptions options_;
  std::function<void(const std::string&)> emit_;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  std::string control_buffer_;
  bool stop_ = false;
  bool ready_emitted_ = false;
  std::size_t ready_count_ = 0;
  std::size_t bound_count_ = 0;
  // Load mode.
  bool load_started_ = false;
  std::int64_t load_start_ms_ = 0;
  std::uint64_t load_sent_ = 0;
  std::size_t load_cursor_ = 0;
  bool load_done_ = false;
};

}  // namespace meross::sim
