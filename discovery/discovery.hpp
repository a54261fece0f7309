#pragma once

// Home Assistant MQTT discovery documents for Meross devices and for the bridge itself
// (home-assistant.md §1–§3). Pure: returns what to publish, never publishes.
//
// Device discovery (default, HA ≥ 2024.11): one retained document per device on
// <prefix>/device/meross_<uuid>/config with `origin`, the device block, shared availability
// (bridge + device, availability_mode all) and one component per mapping::Entity.
// Per-component discovery (Options::device_discovery = false, for older HA): one retained
// document per entity on <prefix>/<component>/meross_<uuid>/<key>/config, each with the device
// block, origin and availability.
//
// Ids: device identifier and node id "meross_<uuid>"; unique_id "meross_<uuid>_<key>";
// via_device = Options::bridge_id. A hub's sub-devices: "meross_<uuid>_<sub id>", via_device
// the hub. The main entity's name is null (has_entity_name). No
// `object_id` (ignored since HA 2026.4).

#include <string>
#include <string_view>
#include <vector>

#include "mapping/mapping.hpp"
#include "protocol/device_profile.hpp"

namespace meross::discovery {

struct Options {
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "meross";
  bool device_discovery = true;
  std::string bridge_id = "meross_bridge";  // the bridge device's identifier and node id
  // One instance of a cluster ("" = none): its own topics (discovery::bridge_topic_root), and
  // its availability in the documents of the devices it owns.
  std::string instance;
  std::string bridge_name = "Meross Bridge";
  std::string origin_name = "meross-bridge";  // marks our documents (see is_ours)
  std::string origin_version = MEROSS_VERSION;
  std::string support_url;  // origin support_url when non-empty
};

// One MQTT message to publish. Discovery documents are retained at QoS 1; an empty payload
// removes what the topic described.
struct Publication {
  std::string topic;
  std::string payload;
  bool retain = true;
  int qos = 1;
  bool operator==(const Publication&) const = default;
};

std::string node_id(std::string_view uuid);  // meross_<uuid>
// meross_<uuid>_<sub id>: a hub's sub-device, its identifier and node id.
std::string sub_device_node_id(std::string_view uuid, std::string_view sub_id);
std::string unique_id(std::string_view uuid, std::string_view key);  // meross_<uuid>_<key>
// "MSS310 a1b2": the model and the last four characters of the uuid.
std::string default_device_name(const protocol::DeviceProfile& profile);

// The discovery documents of a device (one in device mode, one per entity otherwise), then
// those of each of its `sub_devices` that has entities (Entity::sub_device): a device of its
// own, node sub_device_node_id, via_device the hub, with the sub-device's availability
// (mapping::sub_device_availability_key) after the bridge's and the hub's.
// `device_name` empty → default_device_name(profile).
std::vector<Publication> device_config(const protocol::DeviceProfile& profile,
                                       const std::vector<mapping::Entity>& entities,
                                       const Options& options, std::string_view device_name = {},
                                       const std::vector<mapping::SubDevice>& sub_devices = {});

// The bridge's own entities; their states go to bridge_state_topic(base, key).
inline constexpr std::string_view kBridgeDevicesOnline = "devices_online";
inline constexpr std::string_view kBridgeMessagesHandled = "messages_handled";
inline constexpr std::string_view kBridgeSignatureFailures = "signature_failures";
inline constexpr std::string_view kBridgeMalformed = "malformed_messages";
inline constexpr std::string_view kBridgeReplays = "replayed_messages";
inline constexpr std::string_view kBridgeUnknownNamespaces = "unknown_namespaces";
inline constexpr std::string_view kBridgeIgnored = "ignored_messages";
inline constexpr std::string_view kBridgeRequestFailures = "unanswered_requests";
// Device messages (or parts of them: one bad item of a hub's list) the mapping could not read.
inline constexpr std::string_view kBridgeUnreadableStates = "unreadable_states";
// Home Assistant commands not executed: invalid payload, an entity or channel the device does
// not have, an unknown device, retained, or late (after an outage).
inline constexpr std::string_view kBridgeRejectedCommands = "rejected_commands";
// New devices refused a session for now (too many at once, or too many still being discovered).
inline constexpr std::string_view kBridgeRefusedDevices = "refused_new_devices";
// An instance of a cluster: device messages and commands for devices another instance owns,
// dropped unread (only with Options::instance).
inline constexpr std::string_view kBridgeNotOwned = "not_owned";
// Publications the bridge dropped because the broker took them slower than they came (its
// backlog was full): zero unless the flow control failed.
inline constexpr std::string_view kBridgeDroppedPublications = "dropped_publications";
// A problem binary_sensor: ON while some device signs with another key than the one configured
// for it; the devices are listed (JSON) on <base>/bridge/key_mismatch/attributes.
inline constexpr std::string_view kBridgeKeyMismatch = "key_mismatch";
std::vector<Publication> bridge_config(const Options& options);

// Whether a retained discovery document read back from the broker was published by this bridge
// instance (origin name and bridge id match). Empty payloads are not ours.
bool is_ours(const Publication& published, const Options& options);

// MQTT topic filters covering every discovery document this bridge publishes, in either mode:
// subscribe to them for a moment at start-up to read back the retained ones (summary.hpp).
std::vector<std::string> readback_filters(const Options& options);

// What to remove when documents change: removals() in discovery/summary.hpp.

}  // namespace meross::discovery
