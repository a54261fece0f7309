#pragma once

// Message signatures and the other digests the Meross protocol is built on (meross-protocol.md
// §1.4, §2.3).

#include <cstdint>
#include <string>
#include <string_view>

namespace meross::protocol {

// Lowercase hex MD5 of `data`.
std::string md5_hex(std::string_view data);

// sign = md5hex(messageId + key + decimal(timestamp)). Only these three fields are covered:
// namespace, method and payload are not authenticated by the protocol.
std::string compute_sign(std::string_view message_id, std::string_view key, std::int64_t timestamp);

// Constant-time comparison of a received signature with the expected one (case-insensitive hex).
bool verify_sign(std::string_view message_id, std::string_view key, std::int64_t timestamp,
                 std::string_view received_sign);

// The MQTT password a device logs in with: "<userId>_" + md5hex(mac + key).
std::string device_mqtt_password(std::string_view mac, std::string_view key, std::uint64_t user_id);

// 32 lowercase hex characters from OpenSSL's CSPRNG.
std::string new_message_id();

}  // namespace meross::protocol
