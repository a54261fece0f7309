#pragma once

// Home Assistant MQTT discovery topic names (home-assistant.md §1.1) and the bridge's own state,
// command and availability topics under its base topic (default "meross").

#include <string>
#include <string_view>

namespace meross::discovery {

// HA matches node and object ids against [a-zA-Z0-9_-]+; every other character becomes '_'.
std::string sanitize_id(std::string_view id);

// <prefix>/device/<node>/config — device-based discovery (HA ≥ 2024.11).
std::string device_config_topic(std::string_view prefix, std::string_view node_id);

// <prefix>/<component>/<node>/<object>/config — per-component discovery for older HA.
std::string component_config_topic(std::string_view prefix, std::string_view component,
                                   std::string_view node_id, std::string_view object_id);

// <base>/<uuid>/<entity_key>/state — retained entity state.
std::string state_topic(std::string_view base, std::string_view uuid, std::string_view key);
// <base>/<uuid>/<entity_key>/set — HA commands (never retained).
std::string command_topic(std::string_view base, std::string_view uuid, std::string_view key);
// <base>/<uuid>/availability — "online" / "offline", retained.
std::string device_availability_topic(std::string_view base, std::string_view uuid);
// The bridge's own topics live under <base>/bridge, or <base>/bridge/<instance> for one instance
// of a cluster ([cluster] instance, docs/scaling.md): each instance is a bridge of its own.
std::string bridge_topic_root(std::string_view base, std::string_view instance = {});
// <root>/availability — the bridge's last will ("offline") and "online", retained; an
// instance's is also its membership of the cluster.
std::string bridge_availability_topic(std::string_view base, std::string_view instance = {});
// <root>/<key>/state — the bridge's own diagnostic entities.
std::string bridge_state_topic(std::string_view base, std::string_view key,
                               std::string_view instance = {});
// <root>/<key>/attributes — the attributes of one of them.
std::string bridge_attributes_topic(std::string_view base, std::string_view key,
                                    std::string_view instance = {});

// The inverse of command_topic: {uuid, entity_key} of "<base>/<uuid>/<key>/set", or empty
// strings when `topic` is not one.
struct CommandTarget {
  std::string uuid;
  std::string key;
};
CommandTarget parse_command_topic(std::string_view base, std::string_view topic);

}  // namespace meross::discovery
