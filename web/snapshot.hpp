#pragma once

// What the web page shows, as plain values, and their JSON (api/devices, api/bridge, the events of
// api/events). Pure: the daemon's thread fills the values (web/collect.hpp) from what the
// registry, the sessions and Home Assistant's side know; nothing here reads a clock or a socket.
// No field can hold a key or a password: they are not among the values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meross::web {

// The state of one switch of a device, as Home Assistant was last told ("ON", "OFF").
struct SwitchState {
  std::string key;  // entity key: "switch_0"
  std::string state;
};

// One row of the device list: a device, or a sub-device behind a hub (`hub` set).
struct DeviceRow {
  std::string uuid;  // the device's uuid; for a sub-device, the hub's id for it
  std::string hub;   // for a sub-device: its hub's uuid; "" otherwise
  std::string name;  // configured name; "" = none
  std::string model;
  std::string firmware;
  std::string ip;
  bool online = false;
  std::optional<std::int64_t> last_seen;  // epoch seconds; unset = not heard in this run
  std::optional<int> signal;              // Wi-Fi signal in %, when the device reports it
  bool bind_acknowledged = false;         // the bridge answered its Bind in this run
  std::size_t entities = 0;               // Home Assistant entities
  std::vector<std::string> problems;      // for people: "signs with another key", ...
  std::vector<SwitchState> switches;
};

// One broker link.
struct LinkRow {
  std::string name;    // "Home Assistant", "devices"
  std::string broker;  // "mqtts://host:port" (never credentials)
  bool connected = false;
};

struct Counter {
  std::string_view name;  // a literal
  std::uint64_t value = 0;
};

struct BridgeRow {
  std::string version;
  std::int64_t started = 0;  // epoch seconds
  std::vector<LinkRow> links;
  std::size_t devices = 0;
  std::size_t devices_online = 0;
  // In the order the page shows them; names are the keys of "counters" in api/bridge:
  // messages (handled device messages), malformed (not a Meross message), signature_failures,
  // dropped (replays, stale, misaddressed, ignored), unanswered (requests that ran out of
  // attempts), refused (new devices refused a session), rejected (Home Assistant commands not
  // executed, late ones included), web_rejected (web requests answered 4xx/5xx).
  std::vector<Counter> counters;
};

std::string devices_json(const std::vector<DeviceRow>& rows);
// One row as api/devices has it (the device page's "device").
std::string device_json(const DeviceRow& row);
std::string bridge_json(const BridgeRow& bridge);
// {"time":T,"devices":[…],"bridge":{…}}: one event of api/events. `devices` and `bridge` are the
// outputs of the two functions above; `time` (epoch seconds) lets the page show "12 s ago" with
// the bridge's clock rather than the browser's.
std::string event_json(std::string_view devices, std::string_view bridge, std::int64_t time);

}  // namespace meross::web
