#pragma once

// Shared by the mapping tests: device profiles from the fixture traces and hand-written ones.

#include <filesystem>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "mapping/mapping.hpp"
#include "protocol/device_profile.hpp"

namespace meross::test {

// The profile of the fixture trace whose file name contains `fragment`, read the way
// `meross-bridge inspect` reads it (uuid from the file name when obfuscated).
protocol::DeviceProfile trace_profile(const std::string& fragment);
std::filesystem::path trace_path(const std::string& fragment);

// A profile from System.All and System.Ability payload texts.
protocol::DeviceProfile profile_from(const std::string& all_json, const std::string& ability_json);

// The System.All payload of a hand-written device: its hardware and firmware (the other system
// members as a real device reports them) and `digest` (a JSON object).
std::string system_all(const std::string& type, const std::string& uuid, const std::string& mac,
                       const std::string& hw, const std::string& fw, const std::string& digest);

// Hand-written, from the shape of real devices (no trace exists for these models):
// mss425f strip, ToggleX channels 0..4 (four outlets and USB).
protocol::DeviceProfile mss425f_profile();
// msl120 bulb, RGB + colour temperature, ToggleX channel 0, Light capacity `capacity`.
protocol::DeviceProfile msl120_profile(int capacity);

// The payload of the `index`-th recorded device message (not a TX row) with that namespace and
// method in the trace `fragment`; namespace_pushes count as PUSH after the rows.
std::string recorded(const std::string& fragment, const std::string& ns, const std::string& method,
                     std::size_t index = 0);

// states_from on payload text; fails the test on an Error.
mapping::StateBatch states(const protocol::DeviceProfile& profile, mapping::DeviceState& state,
                           const std::string& ns, const std::string& method,
                           const std::string& payload, std::int64_t now = 1700000000);
// states() on the recorded message (see recorded()) of trace `fragment`.
mapping::StateBatch replay(const protocol::DeviceProfile& profile, mapping::DeviceState& state,
                           const std::string& fragment, const std::string& ns,
                           const std::string& method, std::size_t index = 0);
// The requests `command` on `key` makes, as "SET <namespace> <payload>" lines (a failed
// requirement when it is refused).
std::vector<std::string> sent(const protocol::DeviceProfile& profile,
                              const mapping::DeviceState& state, const std::string& key,
                              const std::string& command);
// Checks that `command` on `key` is refused (a failed check naming both when it is not).
void refused(const protocol::DeviceProfile& profile, const std::string& key,
             const std::string& command);
// The payload published for `key` in `batch` ("" when absent, the last one when repeated).
std::string state_of(const mapping::StateBatch& batch, const std::string& key);

// JSON text as a document (a failed requirement when it is no JSON).
rapidjson::Document parse(const std::string& text);

// The entities' keys, in order.
std::vector<std::string> keys_of(const std::vector<mapping::Entity>& entities);
// Whether `keys` holds `key`.
bool has(const std::vector<std::string>& keys, const std::string& key);

// The entity with `key` (a failed requirement when there is none).
const mapping::Entity& entity(const std::vector<mapping::Entity>& entities, const std::string& key);
// Not of a temporary list: the reference would outlive it.
const mapping::Entity& entity(std::vector<mapping::Entity>&& entities,
                              const std::string& key) = delete;
// The discovery option `name` of `e` as JSON text, "" when it has none.
std::string option(const mapping::Entity& e, const std::string& name);

}  // namespace meross::test
