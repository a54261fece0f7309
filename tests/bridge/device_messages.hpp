#pragma once

// Builds what a Meross device would publish, signed with its key, for the bridge tests.

#include <cstdint>
#include <string>

#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"

namespace meross::test {

struct FakeDeviceIdentity {
  std::string uuid;
  std::string key;

  std::string publish_topic() const { return "/appliance/" + uuid + "/publish"; }
  std::string subscribe_topic() const { return "/appliance/" + uuid + "/subscribe"; }

  // A device-originated message (PUSH, or SET Bind) signed with `key`.
  std::string message(protocol::Method method, const std::string& ns, const std::string& payload,
                      std::int64_t now, const std::string& message_id = {},
                      const std::string* sign_key = nullptr) const {
    auto header = protocol::make_request_header(
        method, ns, method == protocol::Method::Set ? subscribe_topic() : publish_topic(),
        sign_key ? *sign_key : key, now, message_id);
    header.uuid = uuid;
    return protocol::serialize(header, payload);
  }

  // The device's answer to `request` (GETACK/SETACK or ERROR), signed with `key`.
  std::string reply(const protocol::Header& request, const std::string& payload, std::int64_t now,
                    bool error = false) const {
    auto header = protocol::make_ack_header(request, key, now, publish_topic());
    if (error) header.method = protocol::Method::Error;
    header.trigger_src.clear();
    return protocol::serialize(header, payload);
  }
};

// The msl120d Bind payload from a real capture (meross-protocol.md §3.2), for `uuid`.
inline std::string bind_payload(const std::string& uuid, std::int64_t now) {
  const std::string t = std::to_string(now);
  return R"({"bind":{"bindTime":)" + t + R"(,"time":{"timestamp":)" + t +
         R"(,"timezone":"","timeRule":[]},"hardware":{"type":"msl120d","subType":"eu",)"
         R"("version":"2.0.0","chipType":"mt7682","uuid":")" +
         uuid +
         R"(","macAddress":"48:e1:e9:c4:b2:96"},"firmware":{"version":"2.1.5",)"
         R"("compileTime":"2021/10/12 10:00:00 GMT +08:00","encrypt":1,"wifiMac":"aa:bb:cc:dd:ee:ff",)"
         R"("innerIp":"192.168.2.158","server":"192.168.2.30","port":8883,"userId":0}}})";
}

}  // namespace meross::test
