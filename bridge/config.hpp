#pragma once

// The bridge's configuration file (TOML, see config.toml.example and docs/configuration.md).
// Parsing validates everything up front; every error names the file, the line and the key.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/duration.hpp"
#include "bridge/mqtt_url.hpp"

namespace meross::bridge {

struct DeviceConfig {
  std::string uuid;
  std::string name;                     // "" = none; logs then use the uuid
  std::string key;                      // "" = the global key (secret)
  std::string timezone;                 // "" = the global zone
  std::optional<Duration> electricity;  // polling overrides (issue 5)
  std::optional<Duration> consumption;
};

// One broker connection: the keys of [mqtt], and of [device_broker].
struct MqttConfig {
  std::string url = "mqtt://127.0.0.1:1883";
  MqttUrl broker{false, "127.0.0.1", 1883};
  std::string username;
  std::string password;  // secret
  std::string client_id = "meross-bridge";
  Duration keepalive = std::chrono::seconds(60);
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
};

struct Config {
  std::string file;  // where it was read from, for messages

  // [meross]
  std::string key;  // secret
  std::uint64_t user_id = 0;
  std::string timezone;  // "" = the host's zone
  bool verify_signatures = true;
  Duration availability_timeout = std::chrono::minutes(5);
  // A device message (PUSH, Bind) dated further than this from the device's clock as the bridge
  // knows it (ours once synced, else the one its last answer showed) is stale: dropped.
  Duration timestamp_window = std::chrono::seconds(60);
  std::vector<std::string> exclude;
  // Devices neither configured nor discovered before are let in at this rate, this many at once,
  // and at most max_new_devices of them while they are being discovered (a made-up uuid never
  // is): signed messages from made-up uuids cannot swamp the bridge. Configured and discovered
  // devices are never refused.
  // The request window paces their discovery (RequestWindow); these bound what a made-up uuid
  // spray can take, with room for a first start of 10,000 devices in about 20 s.
  double new_devices_per_second = 500;
  std::size_t new_devices_burst = 2000;
  std::size_t max_new_devices = 2000;

  // [mqtt]: Home Assistant's broker, and the devices' too unless [device_broker] is set.
  MqttConfig mqtt;
  // [device_broker]: the devices' own broker (the add-on's, with the auth plugin), when Home
  // Assistant's topics live on another one. Absent: one broker for everything.
  std::optional<MqttConfig> device_broker;

  // [homeassistant]
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "meross";
  bool per_component_discovery = false;
  // After Home Assistant's birth message: re-publish after a random delay in
  // [republish_delay / 5, republish_delay] (so many bridges do not answer at once).
  Duration republish_delay = std::chrono::seconds(5);
  // A command from Home Assistant is executed within this of its arrival or not at all; after an
  // outage of the link longer than this, commands that may have waited in a queue are dropped
  // (docs/architecture.md "Commands are never executed late").
  Duration command_max_age = std::chrono::seconds(10);

  // [polling]
  Duration electricity = std::chrono::seconds(30);
  Duration consumption = std::chrono::minutes(5);

  // [log]
  std::string log_level = "info";

  // [web]: the bridge's web page (web/). `listen` "" = no web server.
  struct Web {
    std::string listen;  // "HOST:PORT" as written; host and port below
    std::string host;
    std::uint16_t port = 0;
    std::string password;       // secret; "" = none (HTTP Basic, any user name)
    bool ingress_only = false;  // only Home Assistant's ingress gateway and loopback may connect
    // Add devices (web/onboarding.hpp): the broker address devices must use (mqtts://HOST:PORT;
    // "" = the devices' broker of this file when it is TLS), the meross-pair program ("" = next
    // to meross-bridge, else meross-bridge itself), what the scan field starts with.
    std::string device_broker;
    std::string pair_command;
    std::string scan;
    // The CA certificate devices must trust: shown as a fingerprint for hotspot pairing and
    // offered for download (api/ca.pem). "" = [device_broker] ca_file, else [mqtt] ca_file (see
    // web_ca_file()).
    std::string ca_file;
  } web;

  // [cluster]: one instance of several that share one device fleet on one broker
  // (docs/scaling.md). `instance` "" = no cluster: this bridge owns every device.
  struct Cluster {
    std::string instance;  // [A-Za-z0-9_-], at most 32: in topics and client ids
  } cluster;

  std::vector<DeviceConfig> devices;

  const DeviceConfig* device(std::string_view uuid) const;
  bool excluded(std::string_view uuid) const;
  // The key for `uuid`: its own, else the global one.
  const std::string& key_for(std::string_view uuid) const;
  // The configured zone for `uuid`: its own, else the global one; "" = the host's.
  const std::string& timezone_for(std::string_view uuid) const;
  // The CA certificate file the web page offers: [web] ca_file, else the devices' broker's.
  const std::string& web_ca_file() const;
};

// A configuration problem: "FILE:LINE: key: what is wrong". Never quotes a secret value.
struct ConfigError {
  std::string file;
  int line = 0;  // 0 when not tied to a line
  std::string key;
  std::string message;

  std::string describe() const;
};

// Parses `text` as the contents of `file`. Either a Config or the first error found.
struct ConfigResult {
  std::optional<Config> config;
  std::optional<ConfigError> error;
};
ConfigResult parse_config(std::string_view text, std::string file);
ConfigResult load_config(const std::string& path);

// The effective settings as TOML, every option shown, secrets as "***" when set.
std::string effective_settings(const Config& config);

// "127.0.0.1:8099", "0.0.0.0:8099", "[::1]:8099": a numeric IPv4 or bracketed IPv6 address and a
// port 1-65535 (a name would depend on the resolver at start-up). nullopt and `why` otherwise.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* why);

// Whether `uuid` looks like a Meross device id: 32 letters and digits.
bool valid_device_uuid(std::string_view uuid);
// A uuid as the configuration and the registry key it: in lower case.
std::string lower_uuid(std::string_view uuid);

// `text` as a TOML basic string: quoted, with `"` and `\` escaped (control characters are the
// caller's to keep out).
std::string toml_string(std::string_view text);

}  // namespace meross::bridge
