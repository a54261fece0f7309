#pragma once

// Where simulated devices come from: the built-in profiles (mss310, mss425f, msl120, msg100,
// mts300, mfc100, msxh0, hp110a) and meross_lan trace files (meross-protocol.md §8).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"
#include "protocol/trace.hpp"
#include "simulator/device.hpp"

namespace meross::sim {

// The names accepted by --profile.
const std::vector<std::string>& builtin_profile_names();

// The shared template of a built-in profile; an Error naming the profile when unknown.
protocol::Result<std::shared_ptr<DeviceTemplate>> builtin_template(std::string_view profile);

// A template from a parsed trace: its All/Ability rows, and its recorded GETACKs as answers.
protocol::Result<std::shared_ptr<DeviceTemplate>> trace_template(const protocol::Trace& trace,
                                                                 std::string name);

// A copy of `base` whose abilities add Appliance.Encrypt.ECDHE and Appliance.Encrypt.Suite:
// firmware that takes only AES-encrypted HTTP requests after a key exchange (meross-protocol.md
// §6.6).
protocol::Result<std::shared_ptr<DeviceTemplate>> with_ecdhe(const DeviceTemplate& base);

// The same abilities, on the other kind of encrypted firmware: it refuses the ECDHE exchange,
// answers only System.Ability in plaintext and takes AES with the static key derived from its
// uuid, MAC and key (DeviceTemplate::static_key).
protocol::Result<std::shared_ptr<DeviceTemplate>> with_static_key(const DeviceTemplate& base);

// A --profile argument: "NAME", optionally followed by "+ecdhe" or "+statickey", and/or
// "+key=KEY" (the rest of the argument is the key, so it may hold '+'), e.g. "mss310+ecdhe",
// "mss310+statickey", "mss310+key=other-account".
struct ProfileSpec {
  std::string name;
  bool ecdhe = false;
  bool static_key = false;
  std::optional<std::string> key;  // the device's own key instead of --key
};
protocol::Result<ProfileSpec> parse_profile_spec(std::string_view text);

// The MAC a trace device uses: the trace's own when it is a real one, else from the uuid.
std::string trace_mac(const protocol::Trace& trace, std::string_view uuid);

// "500ms", "1s", "30s", "5m", "1h" (a bare number is seconds) → milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

// "mqtt://host:port" (or "host:port", "host") → host and port (default 1883);
// "mqtts://host:port" → TLS (default port 8883).
struct BrokerAddress {
  std::string host;
  int port = 1883;
  bool tls = false;
};
protocol::Result<BrokerAddress> parse_broker_url(std::string_view url);

}  // namespace meross::sim
