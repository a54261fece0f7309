#include "support/firmware_device.hpp"

#include <ctime>
#include <random>
#include <stdexcept>

#include <mosquitto.h>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"

namespace meross::test {
namespace {

using protocol::Method;

std::int64_t wall_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string random_suffix() {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 16; ++i)
    out += kAlphabet[pick(engine)];
  return out;
}

// The requested relay state of a ToggleX SET: {"togglex":{"channel":0,"onoff":1}} or a list.
std::optional<bool> requested_onoff(const protocol::JsonValue& payload) {
  const auto* togglex = protocol::find_member(payload, "togglex");
  if (!togglex) return std::nullopt;
  std::optional<bool> onoff;
  protocol::for_each_object(*togglex, [&](const protocol::JsonValue& item) {
    if (protocol::int_member(item, "channel").value_or(0) != 0) return;
    if (const auto value = protocol::int_member(item, "onoff")) onoff = *value != 0;
  });
  return onoff;
}

}  // namespace

FirmwareDevice::FirmwareDevice(Options options) : options_(std::move(options)) {
  mosquitto_lib_init();
  const std::string client_id = "fmware:" + options_.uuid + "_" + random_suffix();
  mosq_ = mosquitto_new(client_id.c_str(), true, this);
  if (!mosq_) throw std::runtime_error("mosquitto_new failed");
  const std::string password =
      options_.password_override.empty()
          ? protocol::device_mqtt_password(options_.mac, options_.key, options_.user_id)
          : options_.password_override;
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V31);
  mosquitto_username_pw_set(mosq_, options_.mac.c_str(), password.c_str());
  if (!options_.ca_file.empty()) {
    mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
    mosquitto_tls_opts_set(mosq_, 1, "tlsv1.2", nullptr);
  }
  mosquitto_connect_callback_set(mosq_, &FirmwareDevice::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &FirmwareDevice::on_disconnect);
  mosquitto_message_callback_set(mosq_, &FirmwareDevice::on_message);
  if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
    throw std::runtime_error("mosquitto_loop_start failed");
  }
  mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, 30);
  binder_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (connack_ == 0 && !bound_) {
        lock.unlock();
        send_bind();
        lock.lock();
      }
      changed_.wait_for(lock, std::chrono::seconds(2), [this] { return stopping_; });
    }
  });
}

FirmwareDevice::~FirmwareDevice() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  binder_.join();
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

void FirmwareDevice::on_connect(mosquitto* mosq, void* self, int rc) {
  auto* device = static_cast<FirmwareDevice*>(self);
  if (rc == 0) mosquitto_subscribe(mosq, nullptr, device->subscribe_topic().c_str(), 1);
  {
    std::lock_guard lock(device->mutex_);
    device->connack_ = rc;
    // Firmware binds again on every connection, until that connection's Bind is acknowledged.
    if (rc == 0) device->bound_ = false;
  }
  device->changed_.notify_all();
  if (rc == 0) device->send_bind();
}

void FirmwareDevice::on_disconnect(mosquitto*, void* self, int) {
  auto* device = static_cast<FirmwareDevice*>(self);
  {
    std::lock_guard lock(device->mutex_);
    if (device->connack_ == -2) device->connack_ = -1;
  }
  device->changed_.notify_all();
}

void FirmwareDevice::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* device = static_cast<FirmwareDevice*>(self);
  const std::string payload(static_cast<const char*>(message->payload),
                            static_cast<std::size_t>(std::max(message->payloadlen, 0)));
  device->handle(message->topic, payload);
}

int FirmwareDevice::connack(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return connack_ != -2; });
  return connack_;
}

bool FirmwareDevice::wait_bound(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return bound_; });
}

bool FirmwareDevice::wait_relay(bool on, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return relay_ == on; });
}

bool FirmwareDevice::relay() const {
  std::lock_guard lock(mutex_);
  return relay_;
}

std::vector<FirmwareDevice::Request> FirmwareDevice::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::optional<FirmwareDevice::Request> FirmwareDevice::wait_request(
    const std::function<bool(const Request&)>& match, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<Request> found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& request : requests_) {
      if (match(request)) {
        found = request;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::int64_t FirmwareDevice::clock_now() const {
  return wall_now() + options_.clock_offset;
}

void FirmwareDevice::publish(const std::string& topic, const std::string& text) {
  mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(text.size()), text.data(), 1,
                    false);
}

void FirmwareDevice::send_bind() {
  const auto now = clock_now();
  auto header = protocol::make_request_header(Method::Set, "Appliance.Control.Bind",
                                              subscribe_topic(), options_.key, now);
  header.uuid = options_.uuid;
  {
    std::lock_guard lock(mutex_);
    bind_message_id_ = header.message_id;
  }
  const std::string t = std::to_string(now);
  const std::string payload =
      R"({"bind":{"bindTime":)" + t + R"(,"time":{"timestamp":)" + t +
      R"(,"timezone":"","timeRule":[]},"hardware":{"type":")" + options_.type +
      R"(","subType":"eu","version":"2.0.0","chipType":"rtl8710cf","uuid":")" + options_.uuid +
      R"(","macAddress":")" + options_.mac + R"("},"firmware":{"version":"6.1.8",)" +
      R"("compileTime":"2022/03/01 10:00:00 GMT +08:00","encrypt":1,"wifiMac":"aa:bb:cc:dd:ee:ff",)" +
      R"("innerIp":"127.0.0.1","server":")" + options_.host + R"(","port":)" +
      std::to_string(options_.port) + R"(,"userId":)" + std::to_string(options_.user_id) + "}}}";
  publish(publish_topic(), protocol::serialize(header, payload));
}

std::string FirmwareDevice::system_all() const {
  const std::string t = std::to_string(clock_now());
  return R"({"all":{"system":{"hardware":{"type":")" + options_.type +
         R"(","subType":"eu","version":"2.0.0","chipType":"rtl8710cf","uuid":")" + options_.uuid +
         R"(","macAddress":")" + options_.mac +
         R"("},"firmware":{"version":"6.1.8","compileTime":"2022/03/01 10:00:00 GMT +08:00",)"
         R"("encrypt":1,"wifiMac":"aa:bb:cc:dd:ee:ff","innerIp":"127.0.0.1","server":")" +
         options_.host + R"(","port":)" + std::to_string(options_.port) + R"(,"userId":)" +
         std::to_string(options_.user_id) + R"(},"time":{"timestamp":)" + t +
         R"(,"timezone":"","timeRule":[]},"online":{"status":1}},"digest":{"togglex":[)" +
         R"({"channel":0,"onoff":)" + (relay_ ? "1" : "0") + R"(,"lmTime":)" + t +
         R"(}],"triggerx":[],"timerx":[]}}})";
}

std::string FirmwareDevice::togglex_push_payload() const {
  return R"({"togglex":[{"channel":0,"onoff":)" + std::string(relay_ ? "1" : "0") +
         R"(,"lmTime":)" + std::to_string(clock_now()) + "}]}";
}

void FirmwareDevice::press(bool on) {
  std::string payload;
  {
    std::lock_guard lock(mutex_);
    relay_ = on;
    payload = togglex_push_payload();
  }
  changed_.notify_all();
  auto header = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                              publish_topic(), options_.key, clock_now());
  header.uuid = options_.uuid;
  publish(publish_topic(), protocol::serialize(header, payload));
}

void FirmwareDevice::publish_raw(const std::string& topic, const std::string& payload) {
  publish(topic, payload);
}

void FirmwareDevice::subscribe_raw(const std::string& filter) {
  mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
}

std::vector<std::string> FirmwareDevice::received_topics() const {
  std::lock_guard lock(mutex_);
  return received_topics_;
}

void FirmwareDevice::handle(const std::string& topic, const std::string& text) {
  {
    std::lock_guard lock(mutex_);
    received_topics_.push_back(topic);
  }
  if (topic != subscribe_topic()) return;  // the broker must not send anything else
  auto parsed = protocol::parse_message(text);
  if (!parsed.ok()) return;  // firmware drops what it cannot read
  const auto& h = parsed->header;
  const bool signature_ok = protocol::verify_sign(h.message_id, options_.key, h.timestamp, h.sign);

  std::unique_lock lock(mutex_);
  if (h.method == Method::SetAck && h.ns == "Appliance.Control.Bind") {
    if (signature_ok && h.message_id == bind_message_id_) bound_ = true;
    lock.unlock();
    changed_.notify_all();
    return;
  }
  if (h.method == Method::GetAck || h.method == Method::SetAck || h.method == Method::Error) return;
  requests_.push_back(Request{std::string(protocol::to_string(h.method)), h.ns, h.from,
                              protocol::to_json(parsed->payload()), signature_ok});
  changed_.notify_all();
  // Until its Bind is acknowledged a device does not answer (meross-protocol.md §2.4).
  if (!bound_ || h.from.empty()) return;

  auto reply = protocol::make_ack_header(h, options_.key, clock_now(), publish_topic());
  reply.uuid = options_.uuid;
  std::string body = "{}";
  bool pushed = false;
  if (!signature_ok) {
    reply.method = Method::Error;
    body = R"({"error":{"code":5001,"detail":"sign error"}})";
  } else if (h.method == Method::Get && h.ns == "Appliance.System.All") {
    body = system_all();
  } else if (h.method == Method::Get && h.ns == "Appliance.System.Ability") {
    body = R"({"payloadVersion":1,"ability":{"Appliance.Config.Key":{},)"
           R"("Appliance.Config.WifiList":{},"Appliance.Config.Wifi":{},)"
           R"("Appliance.System.All":{},"Appliance.System.Hardware":{},)"
           R"("Appliance.System.Firmware":{},"Appliance.System.Time":{},)"
           R"("Appliance.System.Clock":{},"Appliance.System.Ability":{},)"
           R"("Appliance.System.Online":{},"Appliance.System.Report":{},)"
           R"("Appliance.Control.Bind":{},"Appliance.Control.Unbind":{},)"
           R"("Appliance.Control.ToggleX":{}}})";
  } else if (h.method == Method::Get && h.ns == "Appliance.Control.ToggleX") {
    body = togglex_push_payload();
  } else if (h.method == Method::Set && h.ns == "Appliance.Control.ToggleX") {
    const auto onoff = requested_onoff(parsed->payload());
    if (onoff) {
      pushed = relay_ != *onoff;
      relay_ = *onoff;
    } else {
      reply.method = Method::Error;
      body = R"({"error":{"code":5000,"detail":"bad payload"}})";
    }
  } else if (h.method == Method::Set && h.ns == "Appliance.System.Time") {
    body = "{}";
  } else {
    reply.method = Method::Error;
    body = R"({"error":{"code":5000,"detail":"unknown namespace"}})";
  }
  const std::string push_payload = togglex_push_payload();
  lock.unlock();
  changed_.notify_all();
  publish(h.from, protocol::serialize(reply, body));
  if (pushed) {
    auto push = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                              publish_topic(), options_.key, clock_now());
    push.uuid = options_.uuid;
    publish(publish_topic(), protocol::serialize(push, push_payload));
  }
}

}  // namespace meross::test
