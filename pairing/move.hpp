#pragma once

// `meross-bridge move` (issue 14): re-points a device already on the LAN (paired with the Meross
// app or another key) at the user's broker with one signed SET Appliance.Config.Key over its
// HTTP API (meross-protocol.md §6.2, §6.3), after the ECDHE exchange when its firmware wants
// AES. It says exactly what state the device is left in, and can watch the broker for the
// device's Bind. Keys are never printed, not even in --dry-run.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pairing/requests.hpp"
#include "protocol/result.hpp"

namespace CLI {
class App;
}

namespace meross::pairing {

struct MoveOptions {
  std::vector<std::string> hosts;  // one, or with --all any number
  std::string cidr;                // with --all
  int port = 80;                   // with --cidr
  std::string key;                 // the device's current key (secret)
  std::string broker;              // mqtts://HOST:PORT
  std::uint64_t user_id = 0;
  std::optional<std::string> new_key;  // secret; default: keep `key`
  bool dry_run = false;
  bool force_plain = false;
  std::string watch_config;  // a bridge TOML whose broker to watch for the Bind
  double watch_s = 90;
  bool all = false;
  bool force = false;  // wide --cidr
  int parallel = 32;
  double timeout_s = 5;
  bool json = false;  // each device's outcome as JSON on `out` (machine_output.hpp), text on `err`
};

// The broker to write: mqtts://HOST[:PORT], HOST[:PORT] (TLS, 8883 by default). mqtt:// is
// refused unless `force_plain`: devices only speak TLS to their broker, so a plain listener
// leaves them unable to connect.
protocol::Result<BrokerAddress> parse_move_broker(std::string_view url, bool force_plain);

// The exact request `move` sends to `host`, with the key and the signature (which is derived
// from the key) replaced by "***".
std::string masked_config_key_request(std::string_view host, const BrokerAddress& broker,
                                      std::uint64_t user_id);

// What a failed SET Config.Key leaves the device in.
enum class DeviceState {
  Unchanged,  // it refused the request, or the request never reached it
  Unknown,    // the request went out and the answer was lost: it may have applied it
};
DeviceState state_after_failure(const protocol::Error& error);
std::string describe_state(DeviceState state);

// The broker of a bridge configuration: [device_broker] when present, else [mqtt].
struct WatchBroker {
  std::string url;
  std::string username;
  std::string password;  // secret
  std::string ca_file;
  bool insecure = false;
  std::string section;  // "device_broker" or "mqtt", for messages
};
protocol::Result<WatchBroker> read_watch_broker(const std::string& path);

// Exit codes: 0 moved (every device, and each Bind seen when watching), 1 not moved (device
// unchanged), 2 wrong options, 3 state unknown, 4 moved but no Bind seen within the wait.
int run_move(const MoveOptions& options, std::ostream& out, std::ostream& err);

// Registers `scan` and `move`.
void add_lan_commands(CLI::App& app);

}  // namespace meross::pairing
