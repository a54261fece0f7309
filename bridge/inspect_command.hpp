#pragma once

// `meross-bridge inspect FILE`: prints the Home Assistant discovery messages the bridge would
// publish for the device FILE describes (a meross_lan trace, .csv or diagnostics .json.txt, or a
// System.All / System.Ability JSON document), one per line as "TOPIC PAYLOAD", the format
// `mosquitto_sub -v` prints. Uses the default options (prefix "homeassistant", base "meross",
// device discovery). The pure part is discovery::inspect.

#include <ostream>
#include <string>

namespace meross::bridge {

// 0 on success; 1 when FILE cannot be read or does not describe a device (reason on `err`).
// Abilities that no entity maps are listed on `err` as a note.
int run_inspect(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace meross::bridge
