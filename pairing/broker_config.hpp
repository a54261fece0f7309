#pragma once

// A mosquitto configuration for Meross devices and the bridge (field-notes.md §3.1, §3.2):
// a TLS 1.2 listener for the devices with the `certs` files, a local listener for the bridge and
// Home Assistant, and the dynamic-security plugin holding per-device credentials (usernames are
// MACs with ':', which mosquitto_passwd cannot store) and ACLs confining each device to its own
// /appliance/<uuid>/ topics.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/result.hpp"

namespace meross::pairing {

struct DeviceEntry {
  std::string uuid;
  std::string mac;  // normalized lowercase aa:bb:cc:dd:ee:ff
  std::string key;
  std::uint64_t user_id = 0;
};

// "UUID" (MAC from the uuid's last 12 characters) or "UUID,MAC"; key and userId are the
// pairing ones given separately. Errors never quote the key.
protocol::Result<DeviceEntry> parse_device(std::string_view text, std::string_view key,
                                           std::uint64_t user_id);

struct BrokerConfigOptions {
  std::filesystem::path out_dir;
  std::filesystem::path cert_dir;  // holds ca.crt, server.crt, server.key
  int tls_port = 8883;
  std::string tls_bind;  // "" = every interface
  int local_port = 1883;
  std::string local_bind = "127.0.0.1";
  std::string plugin_path;  // "" = the first dynamic-security plugin found on this system
  std::string bridge_username = "meross-bridge";
  std::string bridge_password;  // "" = a random one, written to bridge-password
  std::vector<DeviceEntry> devices;
  bool overwrite = false;
};

struct BrokerConfigFiles {
  std::filesystem::path mosquitto_conf;
  std::filesystem::path dynsec_json;      // 0600
  std::filesystem::path bridge_password;  // 0600; only when generated
};

// mosquitto's dynamic-security password record: base64(PBKDF2-HMAC-SHA512(password, salt,
// iterations, 64 bytes)) with the raw salt; what `mosquitto_ctrl dynsec` writes.
std::string dynsec_password_hash(std::string_view password, std::string_view salt, int iterations);

// The dynamic-security.json text. `salt_source` gives 12 random bytes per call.
std::string dynsec_json(const BrokerConfigOptions& options, const std::string& bridge_password,
                        const std::function<std::string()>& salt_source);

// The mosquitto.conf text.
std::string mosquitto_conf(const BrokerConfigOptions& options,
                           const std::filesystem::path& dynsec_path,
                           const std::string& plugin_path);

// Where the dynamic-security plugin lives on common systems; "" if none.
std::string find_dynsec_plugin();

// Writes mosquitto.conf, dynamic-security.json and (when generated) bridge-password.
protocol::Result<BrokerConfigFiles> write_broker_config(const BrokerConfigOptions& options);

}  // namespace meross::pairing
