#pragma once

// The broker tools, which need no network: certs, broker-config, password, and addon-config (in
// addon_config.hpp). They are the part of the pairing tools linked into meross-bridge itself;
// add_broker_commands() registers them on the CLI11 app of either program. The run_* functions do
// the work and are what the tests call. Output goes to `out`, problems to `err`; keys are never
// written to either.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace meross::pairing {

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

struct PasswordOptions {
  std::string mac;
  std::string key;
  std::uint64_t user_id = 0;
};

int run_certs(const CertsOptions& options, std::ostream& out, std::ostream& err);
int run_broker_config(const BrokerConfigCommandOptions& options, std::ostream& out,
                      std::ostream& err);
int run_password(const PasswordOptions& options, std::ostream& out, std::ostream& err);

// Adds certs, broker-config, password and addon-config to `app`. Each callback runs its command
// and, when it fails, throws CLI::RuntimeError with the exit code.
void add_broker_commands(CLI::App& app);

}  // namespace meross::pairing
