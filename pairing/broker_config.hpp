#pragma once

// A local Meross cloud for mosquitto (field-notes.md §3.1, §3.2): one folder holding
// - mosquitto.conf: a TLS 1.2 listener for the devices and a local listener for meross-bridge and
//   Home Assistant, loading our auth plugin (broker/): any device paired with one of the keys logs
//   in with its MAC and `<userId>_md5(mac + key)`, confined to its own /appliance/<uuid>/ topics,
//   with no per-device registration;
// - certs/: a CA and an RSA 2048 server certificate devices accept (reused when present);
// - keys (0600): the Meross keys, one per line, read by the plugin;
// - clients (0600): the internal logins (bridge, homeassistant) as PBKDF2-SHA512 hashes;
// - bridge.toml (0600): a ready meross-bridge configuration for this broker;
// - homeassistant-password (0600): Home Assistant's password on the local listener.
// Files that exist are reused (certificates, passwords) so that a second run changes nothing the
// devices or Home Assistant depend on.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/result.hpp"

namespace meross::pairing {

struct BrokerConfigOptions {
  std::filesystem::path out_dir;
  std::vector<std::string> keys;        // at least one; secret
  std::vector<std::uint64_t> user_ids;  // the userIds devices may log in with; empty = any
  int tls_port = 8883;
  std::string tls_bind;  // "" = every interface
  int local_port = 1883;
  std::string local_bind = "127.0.0.1";
  // Names or addresses devices reach the broker by (the server certificate's CN and SANs) when
  // certificates are generated; empty = this host's name.
  std::vector<std::string> certificate_hosts;
  std::filesystem::path cert_dir;   // "" = out_dir/certs
  std::string plugin_path;          // "" = find_auth_plugin()
  bool homeassistant_login = true;  // a `homeassistant` login on the local listener
  // Topic roots (besides /appliance/) the bridge and Home Assistant may use.
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "meross";
  // Where mosquitto keeps its log and persistence; "" = stderr, no persistence.
  std::string log_file;
};

struct BrokerConfigFiles {
  std::filesystem::path mosquitto_conf;
  std::filesystem::path keys;                    // 0600
  std::filesystem::path clients;                 // 0600
  std::filesystem::path bridge_toml;             // 0600
  std::filesystem::path homeassistant_password;  // 0600; empty without homeassistant_login
  std::filesystem::path ca_cert;
  std::string bridge_username;  // "meross-bridge"
  std::string bridge_password;  // secret
  std::string local_url;        // mqtt://127.0.0.1:<local_port>
  std::string ca_fingerprint;   // SHA-256 of the CA certificate, "AB:CD:…"
  bool certificates_created = false;
  // Run as root: the user mosquitto switches to before it loads the plugin and the server key
  // ("mosquitto" when it exists), now owner of the files it reads; "" otherwise.
  std::string broker_user;
};

// The plugin's password record for an internal login: what `mosquitto_passwd` writes,
// `$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512(password, salt, iterations, 64)>`.
std::string password_hash(std::string_view password, std::string_view salt, int iterations);

// Where the auth plugin is: next to the running executable in a build tree
// (<exe>/../broker/meross-auth.so), then the install locations; "" if none.
std::string find_auth_plugin();

// The [meross] key and user_id of a bridge configuration (e.g. written by `account`); an Error
// naming the file when it has no key. Never quotes the key.
struct StoredAccount {
  std::string key;  // secret
  std::uint64_t user_id = 0;
};
protocol::Result<StoredAccount> stored_account(const std::filesystem::path& bridge_toml);

// Writes (or refreshes) the folder described above; returns what it holds.
protocol::Result<BrokerConfigFiles> write_broker_config(const BrokerConfigOptions& options);

}  // namespace meross::pairing
