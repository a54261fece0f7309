#pragma once

// `meross-bridge scan` (issue 14): finds the Meross devices already on the LAN by asking every
// address of a range (or the hosts named) for Appliance.System.All over the local HTTP API,
// signed with the user's key. A device that rejects the signature (ERROR 5001) is still a Meross
// device, paired with another account's key. The pure parts (ranges, formatting) are separate
// from the probing so that they are unit tests.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pairing/http_client.hpp"
#include "protocol/result.hpp"

namespace meross::pairing {

// Above this many addresses (a /22) a scan needs --force: a mistyped /8 would take hours and
// look like an attack on the network.
inline constexpr int kWidestPrefix = 22;
// Even with --force: a /16 is 65534 addresses, the most a LAN scan can mean.
inline constexpr int kWidestForcedPrefix = 16;

// "192.168.1.0/24" (host bits may be set: 192.168.1.7/24 is the same range) or a single address
// (= /32). The usable addresses in order, without the network and broadcast addresses of ranges
// wider than /31, each with ":port" appended unless port is 80.
protocol::Result<std::vector<std::string>> expand_cidr(std::string_view cidr, int port = 80,
                                                       bool force = false);

enum class KeyCheck {
  Accepted,      // answered a request signed with our key
  OtherAccount,  // ERROR 5001: paired with another key (usually a Meross account's)
};

// A Meross device that answered. Strings are "" when the device did not tell.
struct FoundDevice {
  std::string host;
  KeyCheck key = KeyCheck::Accepted;
  std::string uuid;
  std::string model;
  std::string firmware;
  std::string mac;
  std::string broker;       // firmware.server:port, the broker it uses now
  bool ecdhe = false;       // lists Appliance.Encrypt.ECDHE: requests past System.All need AES
  bool static_key = false;  // and refused the exchange: AES with static_encryption_key()
  std::string note;         // what could not be read, and why
};

// A probe of one host: the device, or why the host is not one (for --host).
struct ProbeOutcome {
  std::optional<FoundDevice> device;
  std::string why_not;
};

// GET System.All (then System.Ability, for the encryption it needs) signed with `key`. When
// System.All is dropped or answered in ciphertext, asks System.Ability (plaintext on every
// firmware) and, if it lists ECDHE, lets DeviceClient::start_encryption choose the ECDHE exchange
// or the static key, and retries System.All encrypted.
ProbeOutcome probe_device(const std::string& host, const std::string& key,
                          const HttpTimeouts& timeouts);

// Probes `hosts` with at most `parallel` requests in flight (each worker thread owns its HTTP
// state). `progress(done, total, found)` is called from the calling thread about once a second.
// The results are in the order of `hosts`.
using ScanProgress = std::function<void(std::size_t done, std::size_t total, std::size_t found)>;
std::vector<ProbeOutcome> scan_hosts(const std::vector<std::string>& hosts, const std::string& key,
                                     int parallel, const HttpTimeouts& timeouts,
                                     const ScanProgress& progress = {});

// "ours", "another account's key (ERROR 5001)".
std::string key_check_text(KeyCheck key);

// The devices as an aligned table, one row each (IP, model, firmware, MAC, uuid, broker, key,
// HTTP), "-" for what is unknown; notes follow the table. "" when `devices` is empty.
std::string format_devices(const std::vector<FoundDevice>& devices);
// "3 Meross devices among 254 addresses: 2 answer with this key, 1 with another account's key".
std::string format_summary(const std::vector<FoundDevice>& devices, std::size_t probed);

struct ScanOptions {
  std::string cidr;                // either this
  std::vector<std::string> hosts;  // or these
  int port = 80;                   // with --cidr
  std::string key;                 // secret
  int parallel = 32;
  double timeout_s = 2;
  bool force = false;
  bool json = false;  // the devices as JSON on `out` (machine_output.hpp), the text on `err`
};

// Checks the options and lists the addresses to probe; writes the problem to `err` on failure.
std::optional<std::vector<std::string>> scan_targets(const ScanOptions& options, std::ostream& err);

// Runs the scan; the devices found (for `move --all`), or nullopt when the options are wrong.
// A CIDR scan is silent about hosts that are not Meross devices; a named --host is explained.
std::optional<std::vector<FoundDevice>> scan(const ScanOptions& options, std::ostream& out,
                                             std::ostream& err);

// Exit codes: 0 at least one Meross device found, 1 none, 2 wrong options.
int run_scan(const ScanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace meross::pairing
