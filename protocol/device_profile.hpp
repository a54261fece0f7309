#pragma once

// What a device is and can do, learned from GET System.All + System.Ability or from the payload of
// its Bind (meross-protocol.md §3.2, §4).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/abilities.hpp"
#include "protocol/json.hpp"
#include "protocol/result.hpp"
#include "protocol/time_rules.hpp"

namespace meross::protocol {

// What System.All's digest (or all.control on legacy firmware) lays out: its top-level sections,
// and for each section naming at least one channel (digest.<section>[*].channel, or the section's
// own channel when it is one object) those channels, sorted. The same for every device of a model
// and firmware, so immutable once read and shared like Abilities: copies of a profile share it,
// and the bridge keeps one per distinct layout. Which section is what (a relay, a light) is the
// mapping layer's business, not this one's.
struct DigestLayout {
  std::set<std::string, std::less<>> sections;
  std::map<std::string, std::vector<int>, std::less<>> channels;
  bool operator==(const DigestLayout&) const = default;
};

struct DeviceProfile {
  std::string uuid;
  std::string type;      // hardware.type, e.g. "mss310"; the model
  std::string sub_type;  // "us", "eu", "un"...
  std::string chip_type;
  std::string hardware_version;
  std::string firmware_version;
  std::string mac;  // hardware.macAddress
  std::string inner_ip;
  std::string server;
  std::optional<std::int64_t> port;
  std::optional<std::int64_t> user_id;

  std::string timezone;  // "" when the device has none
  std::vector<TimeRule> time_rules;

  // Namespace → its ability parameters as JSON text ("{}" when it has none); shared by copies.
  Abilities abilities;

  std::shared_ptr<const DigestLayout> digest;  // null: no digest read
  bool legacy_layout = false;                  // all.control instead of all.digest

  // Top-level keys of all.digest, or of all.control on legacy firmware.
  const std::set<std::string, std::less<>>& digest_sections() const;
  // Section → its channels; only sections naming at least one channel.
  const std::map<std::string, std::vector<int>, std::less<>>& digest_channels() const;

  bool has_ability(std::string_view ns) const { return abilities.count(ns) != 0; }
  // An integer parameter of an ability, e.g. ("Appliance.Control.Light", "capacity").
  std::optional<std::int64_t> ability_param(std::string_view ns, std::string_view key) const;
  std::optional<std::int64_t> light_capacity() const {
    return ability_param("Appliance.Control.Light", "capacity");
  }
  bool has_digest(std::string_view section) const { return digest_sections().count(section) != 0; }

  // Sets the channels of one section (none: drops the section's entry), on a copy of the layout
  // (it is shared).
  void set_channels(std::string_view section, std::vector<int> channels);

  // digest_channels()[section], or an empty list.
  const std::vector<int>& channels_in(std::string_view section) const;
};

// From a System.All GETACK payload ({"all":{...}}) or its inner object ({"system":..}).
// hardware.type is required; present fields of the wrong type are an Error naming them.
// Obfuscated or string-typed numbers (port "@2") are tolerated and left unset.
Result<DeviceProfile> profile_from_system_all(const JsonValue& payload);

// From a Bind payload ({"bind":{...}} or its inner object): identity and time, no abilities.
Result<DeviceProfile> profile_from_bind(const JsonValue& payload);

// Adds the abilities of a System.Ability payload ({"ability":{...}} or its inner object).
std::optional<Error> apply_abilities(DeviceProfile& profile, const JsonValue& payload);

}  // namespace meross::protocol
