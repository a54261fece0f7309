#pragma once

// Home Assistant MQTT discovery topic names (home-assistant.md §1.1).

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

}  // namespace meross::discovery
