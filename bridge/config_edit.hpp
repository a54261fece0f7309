#pragma once

// Changes to the bridge's configuration file made by the bridge itself (the web page's rename; a
// CLI can call the same functions). The file is edited as text, so the user's comments, order and
// spelling stay; the result is parsed again (parse_config) before it replaces the file, which it
// does atomically (a temporary file in the same folder, then rename).

#include <optional>
#include <string>
#include <string_view>

namespace meross::bridge {

// The first line of a configuration the add-on writes from its options at every start
// (pairing/addon_config.cpp): an edit there would be lost at the next start.
inline constexpr std::string_view kAddonConfigHeader = "# Written by the Meross Bridge add-on";

// Longest device name accepted, in bytes (Home Assistant shows far less).
inline constexpr std::size_t kMaxDeviceNameBytes = 64;

// Whether `name` can be a device's name: 1 to kMaxDeviceNameBytes bytes of valid UTF-8, not only
// spaces, without control characters (C0, DEL, C1) that would forge log lines or break the TOML
// file. `why` says what is wrong.
bool valid_device_name(std::string_view name, std::string* why);

struct ConfigEditResult {
  enum class Outcome {
    Written,    // the file has the new value
    Generated,  // the file is the add-on's, written from its options at every start: unchanged
    Failed,     // could not read, edit or write it: unchanged; `message` says why
  } outcome = Outcome::Failed;
  std::string message;  // for people; never quotes a secret
};

// Sets the name of the device `uuid` in the file at `path`: the `name` of its [[devices]] table,
// added when missing; a new [[devices]] table at the end when the device has none.
ConfigEditResult set_device_name(const std::string& path, std::string_view uuid,
                                 std::string_view name);

}  // namespace meross::bridge
