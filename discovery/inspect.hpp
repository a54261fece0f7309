#pragma once

// The pure part of `meross-bridge inspect FILE`: a device description (a meross_lan trace in any
// of its formats, or a System.All / System.Ability JSON document) → the discovery messages the
// bridge would publish for that device, one per line as "TOPIC PAYLOAD" (what
// `mosquitto_sub -v` prints).

#include <string>
#include <string_view>
#include <vector>

#include "discovery/discovery.hpp"
#include "mapping/mapping.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/result.hpp"

namespace meross::discovery {

// The device a file describes. Accepted:
// - a trace (.csv tab-separated, or Home Assistant diagnostics JSON with a "data" member); the
//   uuid in its file name replaces an obfuscated hardware.uuid;
// - a JSON object holding "all" and optionally "ability" (at the top, or under "payload"), or
//   a whole System.All GETACK message.
// A MAC address that is missing or obfuscated is taken from the uuid's last 12 hex digits
// (meross-protocol.md §2.1).
protocol::Result<protocol::DeviceProfile> profile_from_file(std::string_view file_name,
                                                            std::string_view text);

// The same, with what the file's System.All digest teaches the mapping (a hub's sub-devices,
// the states it carries): what the bridge knows of the device once it has answered System.All.
struct InspectedDevice {
  protocol::DeviceProfile profile;
  mapping::DeviceState state;
};
protocol::Result<InspectedDevice> device_from_file(std::string_view file_name,
                                                   std::string_view text);

struct InspectOutput {
  std::vector<std::string> lines;     // "TOPIC PAYLOAD"
  std::vector<std::string> unmapped;  // abilities no entity maps
};
protocol::Result<InspectOutput> inspect(std::string_view file_name, std::string_view text,
                                        const Options& options = {});

}  // namespace meross::discovery
