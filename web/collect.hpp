#pragma once

// The web page's values (web/snapshot.hpp) from what the daemon knows: the registry's sessions
// and books, Home Assistant's entities and states, the broker links. Runs on the daemon's
// thread, the only one that touches them. Never copies a key or a password.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "bridge/daemon.hpp"
#include "bridge/home_assistant.hpp"
#include "bridge/registry.hpp"
#include "web/snapshot.hpp"

namespace meross::web {

// Every device with a session, each followed by its hub sub-devices, in uuid order.
std::vector<DeviceRow> collect_devices(const bridge::DeviceRegistry& registry,
                                       const bridge::HomeAssistant& ha, bridge::Now now);

// `web_rejected`: the web server's own count of refused requests.
BridgeRow collect_bridge(bridge::Daemon& daemon, const bridge::HomeAssistant& ha,
                         std::int64_t started, std::uint64_t web_rejected);

}  // namespace meross::web
