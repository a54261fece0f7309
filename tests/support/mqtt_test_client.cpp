#include "support/mqtt_test_client.hpp"

#include <mosquitto.h>

#include <random>
#include <stdexcept>

namespace meross::test {
namespace {

struct LibraryInit {
  LibraryInit() { mosquitto_lib_init(); }
};

std::string random_client_id() {
  static std::mt19937_64 engine{std::random_device{}()};
  return "test-" + std::to_string(engine() % 1000000000);
}

}  // namespace

MqttTestClient::MqttTestClient(int port, Options options)
    : probe_root_(std::move(options.probe_root)) {
  static LibraryInit init;
  const std::string id = options.client_id.empty() ? random_client_id() : options.client_id;
  mosq_ = mosquitto_new(id.c_str(), true, this);
  if (!mosq_) throw std::runtime_error("mosquitto_new failed");
  mosquitto_connect_callback_set(mosq_, &MqttTestClient::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttTestClient::on_disconnect);
  mosquitto_message_callback_set(mosq_, &MqttTestClient::on_message);
  if (!options.username.empty()) {
    mosquitto_username_pw_set(mosq_, options.username.c_str(),
                              options.password.empty() ? nullptr : options.password.c_str());
  }
  if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS ||
      mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] { return connect_rc_ >= 0; }) ||
      connect_rc_ != 0) {
    const int rc = connect_rc_;
    lock.unlock();
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
    throw std::runtime_error("MQTT connection refused (rc " + std::to_string(rc) + ")");
  }
}

MqttTestClient::~MqttTestClient() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

void MqttTestClient::on_connect(mosquitto*, void* self, int rc) {
  auto* client = static_cast<MqttTestClient*>(self);
  std::lock_guard lock(client->mutex_);
  client->connect_rc_ = rc;
  client->connected_ = rc == 0;
  client->changed_.notify_all();
}

void MqttTestClient::on_disconnect(mosquitto*, void* self, int) {
  auto* client = static_cast<MqttTestClient*>(self);
  std::lock_guard lock(client->mutex_);
  client->connected_ = false;
  client->changed_.notify_all();
}

void MqttTestClient::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* client = static_cast<MqttTestClient*>(self);
  Message m{message->topic,
            std::string(static_cast<const char*>(message->payload),
                        static_cast<std::size_t>(message->payloadlen)),
            message->retain};
  std::lock_guard lock(client->mutex_);
  client->messages_.push_back(std::move(m));
  client->changed_.notify_all();
}

void MqttTestClient::subscribe(const std::string& pattern, int qos) {
  // Wait for the SUBACK indirectly: a subscription is in place once the broker has processed it,
  // which a round trip of our own publish on a private topic proves.
  if (mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), qos) != MOSQ_ERR_SUCCESS) {
    throw std::runtime_error("subscribe failed: " + pattern);
  }
  const std::string probe = probe_root_ + random_client_id();
  mosquitto_subscribe(mosq_, nullptr, probe.c_str(), 1);
  publish(probe, "probe", false, 1);
  if (!wait_for_topic(probe, std::chrono::seconds(10))) {
    throw std::runtime_error("subscription not confirmed: " + pattern);
  }
  mosquitto_unsubscribe(mosq_, nullptr, probe.c_str());
  std::lock_guard lock(mutex_);
  std::erase_if(messages_, [&](const Message& m) { return m.topic == probe; });
}

void MqttTestClient::publish(const std::string& topic, const std::string& payload, bool retain,
                             int qos) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error("publish failed on " + topic);
}

std::optional<MqttTestClient::Message> MqttTestClient::wait_for(
    const std::function<bool(const Message&)>& match, std::chrono::milliseconds timeout) {
  // The predicate runs without the lock held, so it may call count() or messages() itself.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t checked = 0;
  std::size_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    generation = clears_;
  }
  while (true) {
    std::vector<Message> fresh;
    {
      std::unique_lock lock(mutex_);
      const auto restart_if_cleared = [&] {
        if (clears_ != generation) {
          generation = clears_;
          checked = 0;
        }
      };
      restart_if_cleared();
      if (checked == messages_.size() && !changed_.wait_until(lock, deadline, [&] {
            return clears_ != generation || messages_.size() != checked;
          })) {
        return std::nullopt;
      }
      restart_if_cleared();
      fresh.assign(messages_.begin() + static_cast<std::ptrdiff_t>(checked), messages_.end());
      checked = messages_.size();
    }
    for (const Message& m : fresh) {
      if (match(m)) return m;
    }
  }
}

std::optional<MqttTestClient::Message> MqttTestClient::wait_for_topic(
    const std::string& topic, std::chrono::milliseconds timeout) {
  return wait_for([&](const Message& m) { return m.topic == topic; }, timeout);
}

std::size_t MqttTestClient::count(const std::function<bool(const Message&)>& match) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const Message& m : messages_)
    n += match(m) ? 1 : 0;
  return n;
}

std::vector<MqttTestClient::Message> MqttTestClient::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void MqttTestClient::clear() {
  std::lock_guard lock(mutex_);
  messages_.clear();
  ++clears_;
  changed_.notify_all();
}

bool MqttTestClient::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

bool topic_matches(const std::string& pattern, const std::string& topic) {
  bool result = false;
  mosquitto_topic_matches_sub(pattern.c_str(), topic.c_str(), &result);
  return result;
}

}  // namespace meross::test
