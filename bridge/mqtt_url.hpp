#pragma once

// Broker URLs: mqtt://host[:port] (default 1883) and mqtts://host[:port] (default 8883).

#include <optional>
#include <string>
#include <string_view>

namespace meross::bridge {

struct MqttUrl {
  bool tls = false;
  std::string host;
  int port = 0;
};

// nullopt with `error` set for anything else; credentials in the URL are refused (they belong in
// [mqtt] username/password, where they are masked).
std::optional<MqttUrl> parse_mqtt_url(std::string_view url, std::string* error = nullptr);

std::string to_string(const MqttUrl& url);

}  // namespace meross::bridge
