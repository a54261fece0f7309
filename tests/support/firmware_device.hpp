#pragma once

// A Meross smart plug as its firmware behaves on the wire (meross-protocol.md §2.3), written by the
// tests and independent of meross-sim: it logs in with client id `fmware:<uuid>_<16 random>`, its
// MAC as user name and `<userId>_md5(mac + key)` as password over MQTT 3.1 (TLS when given a CA),
// subscribes to /appliance/<uuid>/subscribe, repeats its Bind until a correctly signed SETACK
// comes, ignores requests until then, answers what it is asked on the request's `from` with
// signed replies (ERROR 5001 to a wrong signature, 5000 to an unknown namespace), and pushes
// ToggleX when its relay changes. Every request it receives is recorded for the test to check.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace meross::test {

class FirmwareDevice {
 public:
  struct Options {
    std::string uuid;  // 32 characters; the last 12 are the MAC's hex digits
    std::string mac;   // aa:bb:cc:dd:ee:ff
    std::string key;
    std::uint64_t user_id = 0;
    std::string host = "127.0.0.1";
    int port = 8883;
    std::string ca_file;  // TLS with this CA (host name checked) when set
    std::string type = "mss110";
    // The password to log in with; "" = the right one for mac, key and user_id.
    std::string password_override;
    // Added to the wall clock for every timestamp the device writes: a device whose clock was
    // never set counts from about 0 (e.g. 1000 - now).
    std::int64_t clock_offset = 0;
  };
  struct Request {
    std::string method;  // as on the wire: GET, SET, …
    std::string ns;
    std::string from;
    std::string payload;  // the payload object as JSON text
    bool signature_ok = false;
  };

  explicit FirmwareDevice(Options options);
  ~FirmwareDevice();
  FirmwareDevice(const FirmwareDevice&) = delete;
  FirmwareDevice& operator=(const FirmwareDevice&) = delete;

  // The CONNACK code (0 = accepted, >0 refused), -1 when the broker closed the connection
  // without one, -2 when nothing came within `timeout`.
  int connack(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Whether a correctly signed SETACK to our Bind has come (within `timeout`).
  bool wait_bound(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool wait_relay(bool on, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool relay() const;
  // The button on the device: the relay changes and a ToggleX PUSH goes out.
  void press(bool on);

  std::vector<Request> requests() const;
  // Waits until a request matching `match` has been received; returns it.
  std::optional<Request> wait_request(const std::function<bool(const Request&)>& match,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // What a misbehaving device could try: publish or subscribe anywhere (no wait for an answer;
  // MQTT 3.1 has no SUBACK refusal, so only what arrives tells whether it got through).
  void publish_raw(const std::string& topic, const std::string& payload);
  void subscribe_raw(const std::string& filter);
  // Topics of every message the broker delivered to this device.
  std::vector<std::string> received_topics() const;

  const Options& options() const { return options_; }
  // The device's clock: wall time + Options::clock_offset.
  std::int64_t clock_now() const;
  std::string publish_topic() const { return "/appliance/" + options_.uuid + "/publish"; }
  std::string subscribe_topic() const { return "/appliance/" + options_.uuid + "/subscribe"; }

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);
  void handle(const std::string& topic, const std::string& text);
  void send_bind();
  void publish(const std::string& topic, const std::string& text);
  std::string system_all() const;
  std::string togglex_push_payload() const;

  Options options_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int connack_ = -2;
  bool bound_ = false;
  bool relay_ = false;
  std::string bind_message_id_;
  std::vector<Request> requests_;
  std::vector<std::string> received_topics_;
  bool stopping_ = false;
  std::thread binder_;  // repeats the Bind until it is acknowledged, as firmware does
};

}  // namespace meross::test
