#pragma once

// What the device page shows (api/devices/<uuid>), as plain values, and its JSON. Pure: the
// daemon's thread fills the values (web/collect_device.hpp). No field can hold a key or a
// password: the messages are masked when recorded (web/message_log.hpp), and the abilities are
// the namespaces and their parameters.

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "web/message_log.hpp"
#include "web/snapshot.hpp"

namespace meross::web {

// One Home Assistant entity and the state the bridge last published for it ("" = none yet, or an
// entity without a state topic of its own, such as a climate or a button).
struct EntityRow {
  std::string key;
  std::string component;            // "switch", "sensor", …
  std::optional<std::string> name;  // none: the device's main entity
  std::string category;             // "", "config", "diagnostic"
  std::string sub_device;           // a hub sub-device's id, "" for the device itself
  std::string state;
};

// The outcome of the last rename asked on the page, in this run.
struct RenameNote {
  std::string name;
  bool saved = false;   // written to the configuration file
  std::string message;  // where it went, or why the file was not changed
};

struct DevicePage {
  DeviceRow device;
  std::vector<EntityRow> entities;
  std::vector<std::pair<std::string, std::string>> abilities;  // namespace → parameters (JSON)
  std::deque<MessageEntry> messages;                           // oldest first
  std::optional<RenameNote> rename;
};

// {"device":{…as in api/devices},"entities":[…],"abilities":{ns:{…}},"messages":[{"time",
// "direction":"in"|"out","method","namespace","payload"}],"rename":{…}|null}
std::string device_page_json(const DevicePage& page);

}  // namespace meross::web
