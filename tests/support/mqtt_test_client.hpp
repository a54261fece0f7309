#pragma once

// A small MQTT client for tests: connects to a loopback broker, records every message it
// receives, and lets a test wait (with a deadline) for one that matches.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace meross::test {

class MqttTestClient {
 public:
  struct Message {
    std::string topic;
    std::string payload;
    bool retained = false;
  };
  struct Options {
    std::string client_id;  // random when empty
    std::string username;
    std::string password;
    // subscribe() confirms itself with a round trip on a topic under this root; a client whose
    // login may only use certain topics needs one of them.
    std::string probe_root = "meross-test/probe/";
  };

  explicit MqttTestClient(int port) : MqttTestClient(port, Options{}) {}
  MqttTestClient(int port, Options options);  // throws std::runtime_error if it cannot connect
  ~MqttTestClient();
  MqttTestClient(const MqttTestClient&) = delete;
  MqttTestClient& operator=(const MqttTestClient&) = delete;

  void subscribe(const std::string& pattern, int qos = 1);
  void publish(const std::string& topic, const std::string& payload, bool retain = false,
               int qos = 1);

  // The first recorded message (oldest first) for which `match` holds, waiting up to `timeout`.
  // `match` runs without the client's lock, so it may call count() or messages().
  std::optional<Message> wait_for(const std::function<bool(const Message&)>& match,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::optional<Message> wait_for_topic(
      const std::string& topic, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Counts messages matching `match` recorded so far.
  std::size_t count(const std::function<bool(const Message&)>& match) const;
  std::vector<Message> messages() const;
  void clear();
  bool connected() const;

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);

  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Message> messages_;
  std::string probe_root_;
  std::size_t clears_ = 0;  // lets wait_for notice a clear() between its looks
  bool connected_ = false;
  int connect_rc_ = -1;
};

// Whether `topic` matches the MQTT subscription `pattern` (with + and #).
bool topic_matches(const std::string& pattern, const std::string& topic);

}  // namespace meross::test
