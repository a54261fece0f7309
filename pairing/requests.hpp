#pragma once

// Pure request building and reply parsing for the device's local HTTP API during pairing
// (meross-protocol.md §6). No sockets: every function takes values and returns values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"
#include "protocol/result.hpp"

namespace meross::pairing {

// Namespaces that stay plaintext on ECDHE firmware (bytespider's list, §6.6).
bool plaintext_namespace(std::string_view ns);

// A broker as written into Appliance.Config.Key: "mqtts://host:port", "host:port" or "host"
// (port 8883). "mqtt://" is refused: devices only connect over TLS.
struct BrokerAddress {
  std::string host;
  int port = 8883;
};
protocol::Result<BrokerAddress> parse_broker(std::string_view text);

// {"key":{"gateway":{host,port,secondHost,secondPort,redirect:1},"key":K,"userId":"N"}} (§6.3).
std::string config_key_payload(const BrokerAddress& first, const BrokerAddress& second,
                               std::string_view key, std::uint64_t user_id);

// One access point of Appliance.Config.WifiList, as the device reported it.
struct WifiNetwork {
  std::string ssid;         // decoded
  std::string ssid_base64;  // as sent by the device
  std::string bssid;
  std::int64_t signal = 0;
  std::int64_t channel = 0;
  std::int64_t encryption = 0;
  std::int64_t cipher = 0;
};
protocol::Result<std::vector<WifiNetwork>> parse_wifi_list(const protocol::JsonValue& payload);

// Names of the enums of §6.4 ("WPA2PSK", "AES"); "unknown(N)" for other values.
std::string encryption_name(std::int64_t encryption);
std::string cipher_name(std::int64_t cipher);

// The strongest network named `ssid`, or nullptr.
const WifiNetwork* find_network(const std::vector<WifiNetwork>& networks, std::string_view ssid);

// Identity of the device that WifiX encrypts the password for.
struct WifiXIdentity {
  std::string hardware_type;
  std::string uuid;
  std::string mac;
};
// {"wifi":{ssid,password,bssid,channel,encryption,cipher}}: ssid base64; password base64 (Wifi)
// or WifiX-encrypted when `wifix` is given.
std::string wifi_payload(const WifiNetwork& network, std::string_view password,
                         const std::optional<WifiXIdentity>& wifix);

// Checks an SSID and password against the firmware limits (SSID 1..32 bytes, password 8..64
// bytes or empty for an open network). The message never quotes the password.
std::optional<protocol::Error> check_wifi_credentials(std::string_view ssid,
                                                      std::string_view password);

// A parsed reply to `request`. ERROR replies become an Error explaining the code (5001: wrong
// key); a reply for another messageId or namespace is an Error too.
protocol::Result<protocol::Message> check_reply(std::string_view body,
                                                const protocol::Header& request);

// The device facts `info` prints, from System.All (+ System.Ability when merged in).
std::string describe_device(const protocol::DeviceProfile& profile);

// The Meross MAC of a uuid: its last 12 characters as aa:bb:cc:dd:ee:ff (§2.1); nullopt when the
// uuid is not 32 alphanumeric characters.
std::optional<std::string> mac_from_uuid(std::string_view uuid);
// "48:e1:e9:c4:b2:96" in lowercase from "48E1E9C4B296", "48-e1-..", "48:E1:.."; nullopt if not a
// MAC.
std::optional<std::string> normalize_mac(std::string_view text);

}  // namespace meross::pairing
