#pragma once

// An offline checker of Home Assistant MQTT discovery documents, encoding the rules of
// home-assistant.md §1.1, §1.2, §2 and §3.1: topic shape and characters, device-discovery
// top-level keys, required keys per platform, device/origin blocks, availability, unique ids,
// no object_id, light colour modes, and device_class / unit / state_class combinations for the
// sensor classes the bridge emits. It returns one message per problem; none means valid.

#include <string>
#include <vector>

#include "discovery/discovery.hpp"

namespace meross::test {

std::vector<std::string> check_discovery(const std::vector<discovery::Publication>& publications,
                                         const std::string& prefix = "homeassistant");

// Fails the test once per problem check_discovery finds in `publications`.
void expect_valid_discovery(const std::vector<discovery::Publication>& publications);
// The same for the discovery documents of the entities of `profile` (no options, no state).
void expect_valid_discovery(const protocol::DeviceProfile& profile);

}  // namespace meross::test
