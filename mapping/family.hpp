#pragma once

// Internal to mapping/: the record one device family fills in (issue 15). A family is one file in
// mapping/families/ defining a `const Family`, plus its line in mapping/families/registry.cpp;
// mapping.cpp loops over the registry and never names a family. The conversions stay plain C++
// functions in the family's own file; the record only says which messages and entities they own.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "mapping/families.hpp"

namespace meross::mapping::detail {

// One section of the System.All digest (all.digest.<key>, or all.control.<key> on legacy
// firmware) that a family reads its state from.
struct DigestSection {
  std::string_view key;  // "togglex", "light", "garageDoor"
  // Sections of pass 0 are read first, then those of pass 1, each pass in registry order. ToggleX
  // is pass 1: its onoff powers lights, so it lands on top of the light's own state.
  int pass = 0;
  // `section` is the member's value, of any JSON type: checking it is the reader's job.
  std::optional<Error> (*read)(const DeviceProfile& p, DeviceState& s, const JsonValue& section,
                               StateBatch& out) = nullptr;
};

struct Family {
  std::string_view name{};  // for people and tests: "toggle", "light"

  // --- what the device has: its entities ---
  // Appends the family's entities for `p` (none when the device lacks the family). Called in
  // registry order, which is the order entities are discovered in.
  void (*entities)(const DeviceProfile& p, const DeviceState& s,
                   std::vector<Entity>& out) = nullptr;

  // Whether ToggleX channel `channel` powers this family's thing (a light, a garage door's
  // relay) rather than a plain switch: the toggle family leaves such channels alone.
  bool (*powers)(const DeviceProfile& p, int channel) = nullptr;

  // --- state: GETACK / SETACK / PUSH, and System.All ---
  // The namespaces `read` maps. A namespace belongs to one family only.
  std::span<const std::string_view> namespaces{};
  std::optional<Error> (*read)(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                               const JsonValue& payload, const Context& ctx,
                               StateBatch& out) = nullptr;
  std::span<const DigestSection> digest{};
  // States System.All gives through the profile rather than a digest section (IP, firmware);
  // called after every digest section.
  void (*from_profile)(const DeviceProfile& p, StateBatch& out) = nullptr;

  // --- polls: what the device does not PUSH ---
  // Appends the family's polls for `p` (`s` holds a hub's sub-devices). mapping.cpp groups all
  // polls by kind (see polls_for).
  void (*polls)(const DeviceProfile& p, const DeviceState& s, std::vector<Poll>& out) = nullptr;

  // --- commands: Home Assistant → requests ---
  // Entities it takes commands for: keys "<command_key><channel>" when command_key ends in '_'
  // ("switch_" → "switch_0"), otherwise exactly command_key (channel 0). "" = no commands.
  std::string_view command_key{};
  Result<std::vector<DeviceRequest>> (*command)(const DeviceProfile& p, const DeviceState& s,
                                                int channel, std::string_view command) = nullptr;
  // Commands by whole key, for entities whose keys are not "<prefix><channel>" (a climate's
  // "climate_0_mode", a valve's "0300DF01_target"): mapping.cpp calls it for any commandable
  // entity this family's `entities` created. Used instead of command_key/command.
  Result<std::vector<DeviceRequest>> (*keyed_command)(const DeviceProfile& p, const DeviceState& s,
                                                      std::string_view key,
                                                      std::string_view command) = nullptr;
};

// Every family, in registry order (mapping/families/registry.cpp).
std::span<const Family* const> families();
// The family whose messages `ns` carries (Family::namespaces), or nullptr.
const Family* family_reading(std::string_view ns);

}  // namespace meross::mapping::detail
