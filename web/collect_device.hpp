#pragma once

// The device page's values (web/device_page.hpp) from what the daemon knows: Home Assistant's
// entities and their last published states, the device's abilities, the recorded messages. Runs
// on the daemon's thread, the only one that touches them.

#include <optional>

#include "bridge/home_assistant.hpp"
#include "bridge/registry.hpp"
#include "web/device_page.hpp"
#include "web/message_log.hpp"

namespace meross::web {

// `row`: the device's row of the last snapshot (web/collect.hpp).
DevicePage collect_device_page(const bridge::DeviceRegistry& registry,
                               const bridge::HomeAssistant& ha, const DeviceRow& row,
                               const MessageLog& messages, std::optional<RenameNote> rename);

}  // namespace meross::web
