#pragma once

// `meross-bridge addon-config`: the Home Assistant add-on's start-up step (issue 13 §4). It reads
// the add-on options Home Assistant writes to /data/options.json, then writes
// - DATA/broker/: the device broker (write_broker_config: mosquitto.conf, certificates kept
//   across starts, the keys and logins of the auth plugin), whose TLS listener the devices use;
// - the bridge's TOML (default DATA/meross-bridge.toml, 0600): devices on that broker
//   ([device_broker]), Home Assistant on its own broker ([mqtt]), the rest from the options;
// and prints, for the add-on log, the CA fingerprint and the mqtts:// URL to pair devices with.
// A problem with the options is reported before anything is written, naming the option and never
// its value; keys and passwords are never printed.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"

namespace CLI {
class App;
}

namespace meross::pairing {

// A broker the bridge connects to for Home Assistant ([mqtt]).
struct AddonBroker {
  std::string url;  // mqtt://host:port or mqtts://host:port; "" = none
  std::string username;
  std::string password;  // secret
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
};

struct AddonDevice {
  std::string uuid;
  std::string name;
  std::string key;  // secret; "" = the global key
  std::string timezone;
};

// The add-on options, checked. Options with a default in config.yaml take that default when the
// file lacks them; only `key` is required.
struct AddonOptions {
  std::string key;  // secret
  std::optional<std::uint64_t> user_id;
  int device_port = 8883;
  std::string certificate_host;
  std::string timezone;
  bool verify_signatures = true;
  int polling_electricity = 30;  // seconds
  int polling_consumption = 300;
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "meross";
  bool per_component_discovery = false;
  std::vector<AddonDevice> devices;
  std::vector<std::string> exclude;
  std::string log_level = "info";
  AddonBroker external_broker;  // from mqtt_url, mqtt_username, ...; url "" = not set
};

// Parses and checks the text of options.json. Errors name the option ("devices[1].uuid"), never
// its value.
protocol::Result<AddonOptions> parse_addon_options(std::string_view json);

struct AddonConfigOptions {
  std::filesystem::path options_file;
  std::filesystem::path data_dir;
  std::filesystem::path out_file;          // "" = data_dir/meross-bridge.toml
  std::vector<std::string> default_hosts;  // the host's addresses, when certificate_host is unset
  int local_port = 18830;                  // the device broker's listener for the bridge
  std::string tls_bind;                    // the devices' TLS listener's address; "" = all
  int advertised_port = 0;  // the port devices dial, if another than device_port (a port mapping)
  std::string plugin_path;  // "" = find_auth_plugin()
  // Home Assistant's broker from the Supervisor's MQTT service, for when the options name none.
  AddonBroker service_broker;
  std::string host_timezone;  // TZ: Home Assistant's zone, used when the option is empty
};

// Does the work described at the top; 0 on success, 1 (with a message on `err`) otherwise.
int run_addon_config(const AddonConfigOptions& options, std::ostream& out, std::ostream& err);

// Registers `addon-config` on `app`. Besides its flags it reads the environment the add-on's
// start-up script sets: MEROSS_HA_MQTT_URL, MEROSS_HA_MQTT_USERNAME, MEROSS_HA_MQTT_PASSWORD,
// MEROSS_HA_MQTT_CA_FILE (the Supervisor's MQTT service), MEROSS_DEVICE_LOCAL_PORT (default for
// --local-port), MEROSS_DEVICE_TLS_BIND (default for --tls-bind; tests keep to loopback) and TZ.
void add_addon_command(CLI::App& app);

}  // namespace meross::pairing
