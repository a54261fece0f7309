#pragma once

// The pairing tools of meross-pair: the device commands info, wifi, pair and call here; scan, move
// (move.hpp) and account (account_command.hpp) in their own files; all of them talk HTTP through
// libcurl (device_commands.hpp). add_commands() registers them and the broker tools
// (broker_commands.hpp) on the CLI11 app; the run_* functions do the work and are what the tests
// call. Output goes to `out`, problems to `err`; keys and Wi-Fi passwords are never written to
// either.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "pairing/broker_commands.hpp"

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

int run_info(const InfoOptions& options, std::ostream& out, std::ostream& err);
int run_wifi(const WifiOptions& options, std::ostream& out, std::ostream& err);
int run_pair(const PairOptions& options, std::ostream& out, std::ostream& err);
int run_call(const CallOptions& options, std::ostream& out, std::ostream& err);

// Adds the device commands (in kDeviceCommands order), then the broker tools, to `app`. Each
// callback runs its command and, when it fails, throws CLI::RuntimeError with the exit code
// (CLI11_PARSE returns it from main).
void add_commands(CLI::App& app);

}  // namespace meross::pairing
