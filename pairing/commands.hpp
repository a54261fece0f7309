#pragma once

// The pairing and broker tools of `meross-bridge`: info, wifi, pair, certs, broker-config, call,
// password here; account, scan, move and addon-config in their own files, registered from
// add_commands(). add_commands() registers them on the CLI11 app; the run_*
// functions do the work and are what the tests call. Output goes to `out`, problems to `err`;
// keys and Wi-Fi passwords are never written to either.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace meross::pairing {

struct HttpTarget {
  std::string host = "10.10.10.1";  // HOST or HOST:PORT of the device's HTTP API
  std::string key;                  // signing key ("" in pairing mode)
  double timeout_s = 10;
};

struct InfoOptions {
  HttpTarget target;
};

struct WifiOptions {
  HttpTarget target;
};

struct PairOptions {
  HttpTarget target;
  std::string ssid;
  std::string wifi_password;
  std::vector<std::string> brokers;  // one or two; one fills both slots
  std::string key;
  std::uint64_t user_id = 0;
};

struct CertsOptions {
  std::string host;
  std::string out_dir;
  int days = 3650;
  bool force = false;
};

struct BrokerConfigCommandOptions {
  std::string out_dir;
  std::string cert_dir;           // "" = out_dir/certs
  std::vector<std::string> keys;  // secret
  std::vector<std::uint64_t> user_ids;
  int tls_port = 8883;
  std::string tls_bind;
  int local_port = 1883;
  std::string local_bind = "127.0.0.1";
  std::vector<std::string> hosts;  // names devices reach the broker by (new certificates)
  std::string plugin;
  bool no_homeassistant = false;
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "meross";
};

struct CallOptions {
  std::optional<std::string> host;  // HTTP
  std::optional<std::string> uuid;  // MQTT
  std::string key;
  bool ecdhe = false;
  double timeout_s = 10;
  std::string broker = "mqtt://127.0.0.1:1883";
  std::string user;
  std::string password_file;
  std::string cafile;
  std::string method;
  std::string ns;
  std::string payload = "{}";
};

struct PasswordOptions {
  std::string mac;
  std::string key;
  std::uint64_t user_id = 0;
};

int run_info(const InfoOptions& options, std::ostream& out, std::ostream& err);
int run_wifi(const WifiOptions& options, std::ostream& out, std::ostream& err);
int run_pair(const PairOptions& options, std::ostream& out, std::ostream& err);
int run_certs(const CertsOptions& options, std::ostream& out, std::ostream& err);
int run_broker_config(const BrokerConfigCommandOptions& options, std::ostream& out,
                      std::ostream& err);
int run_call(const CallOptions& options, std::ostream& out, std::ostream& err);
int run_password(const PasswordOptions& options, std::ostream& out, std::ostream& err);

// Adds the subcommands above to `app`. Each callback runs its command and, when it fails, throws
// CLI::RuntimeError with the exit code (CLI11_PARSE returns it from main).
void add_commands(CLI::App& app);

}  // namespace meross::pairing
