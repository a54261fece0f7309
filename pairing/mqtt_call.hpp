#pragma once

// One signed request to a device through the broker (libmosquitto, one shot): subscribe to the
// device's publish topic, publish the request on /appliance/<uuid>/subscribe with that topic in
// `from`, wait for the reply with the same messageId and namespace.

#include <string>

#include "protocol/envelope.hpp"
#include "protocol/result.hpp"

namespace meross::pairing {

struct MqttCallOptions {
  std::string broker = "mqtt://127.0.0.1:1883";  // mqtt://HOST:PORT or mqtts://HOST:PORT
  std::string username;
  std::string password;
  std::string cafile;     // for mqtts://; "" = system CAs
  bool insecure = false;  // mqtts:// without checking the server name
  std::string uuid;
  std::string key;
  protocol::Method method = protocol::Method::Get;
  std::string ns;
  std::string payload = "{}";
  int timeout_s = 10;
};

// The reply message text (any method, including ERROR); an Error if the broker refuses or the
// device does not answer in time.
protocol::Result<std::string> mqtt_call(const MqttCallOptions& options);

}  // namespace meross::pairing
