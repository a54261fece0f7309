#pragma once

// Internal to mapping/families/thermostat*.cpp: the Wi-Fi thermostats (device-families.md §1,
// meross-protocol.md §5.12). One family, in three files:
//   thermostat.cpp           what the payloads carry (kFields, below): reading messages and the
//                            digest, polls, the command dispatch, and the request and number
//                            helpers the other two share;
//   thermostat_climate.cpp   the climate entity of each model (kModels, kClimate): its states,
//                            its discovery and its commands;
//   thermostat_settings.cpp  the other entities (kEntities): readings and settings as sensors,
//                            numbers, switches and selects.
// The tables name fields by text ("mode.onoff"); each file checks its own table against kFields
// at compile time.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail::thermostat {

namespace ns = meross::protocol::ns;

// "control.targetTemp.heat" → "control"; the rest → "targetTemp.heat".
constexpr std::string_view payload_key(std::string_view field) {
  return field.substr(0, field.find('.'));
}
constexpr std::string_view path_in_item(std::string_view field) {
  return field.substr(field.find('.') + 1);
}

// --- fields -----------------------------------------------------------------------------------

enum class Kind {
  Int,          // an integer in [lo, hi]
  Temperature,  // an integer in the model's unit (0.1 or 0.01 °C), within -100..200 °C
  Tenths,       // a number with at most one decimal (brightness 12.5), kept ×10, in [lo, hi]
};

struct Field {
  std::string_view name;  // "<payload key>.<path in the item>"
  Kind kind = Kind::Int;
  int lo = 0, hi = 0;
  bool bound = false;  // a range limit shown in discovery: a change re-publishes it
};

// Internal linkage on purpose: the static_asserts of each file iterate it, and GCC's UBSan cannot
// fold the address of an inline (COMDAT) array in a constant expression.
constexpr Field kFields[] = {
    {"mode.onoff", Kind::Int, 0, 1},
    {"mode.mode", Kind::Int, 0, 4},
    {"mode.state", Kind::Int, 0, 1},
    {"mode.currentTemp", Kind::Temperature},
    {"mode.targetTemp", Kind::Temperature},
    {"mode.heatTemp", Kind::Temperature},
    {"mode.coolTemp", Kind::Temperature},
    {"mode.ecoTemp", Kind::Temperature},
    {"mode.min", Kind::Temperature, 0, 0, true},
    {"mode.max", Kind::Temperature, 0, 0, true},
    {"summerMode.mode", Kind::Int, 0, 2},
    {"windowOpened.status", Kind::Int, 0, 1},
    {"modeB.mode", Kind::Int, 1, 3},
    {"modeB.working", Kind::Int, 1, 2},
    {"modeB.onoff", Kind::Int, 1, 2},
    {"modeB.state", Kind::Int, 0, 2},
    {"modeB.targetTemp", Kind::Temperature},
    {"modeB.currentTemp", Kind::Temperature},
    {"ctlRange.ctlMin", Kind::Temperature, 0, 0, true},
    {"ctlRange.ctlMax", Kind::Temperature, 0, 0, true},
    {"control.mode", Kind::Int, 0, 3},
    {"control.work", Kind::Int, 1, 2},
    {"control.currentTemp", Kind::Temperature},
    {"control.targetTemp.heat", Kind::Temperature},
    {"control.targetTemp.cold", Kind::Temperature},
    {"control.fan.speed", Kind::Int, 0, 3},
    {"control.more.humi", Kind::Int, 0, 1000},
    {"control.more.hStatus", Kind::Int, 0, 3},
    {"control.more.cStatus", Kind::Int, 0, 3},
    {"control.more.fStatus", Kind::Int, 0, 3},
    // `value` is a list of samples: the last one that has the member counts.
    {"latest.value.humi", Kind::Int, 0, 1000},
    {"calibration.value", Kind::Temperature},
    {"calibration.min", Kind::Temperature, 0, 0, true},
    {"calibration.max", Kind::Temperature, 0, 0, true},
    {"calibration.humiValue", Kind::Int, -1000, 1000},
    {"deadZone.value", Kind::Temperature},
    {"deadZone.min", Kind::Temperature, 0, 0, true},
    {"deadZone.max", Kind::Temperature, 0, 0, true},
    {"frost.onoff", Kind::Int, 0, 1},
    {"frost.value", Kind::Temperature},
    {"frost.min", Kind::Temperature, 0, 0, true},
    {"frost.max", Kind::Temperature, 0, 0, true},
    {"overheat.onoff", Kind::Int, 0, 1},
    {"overheat.value", Kind::Temperature},
    {"overheat.min", Kind::Temperature, 0, 0, true},
    {"overheat.max", Kind::Temperature, 0, 0, true},
    {"overheat.warning", Kind::Int, 0, 2},
    {"overheat.currentTemp", Kind::Temperature},
    {"holdAction.mode", Kind::Int, 0, 2},
    {"brightness.operation", Kind::Tenths, 0, 1000},
    {"brightness.standby", Kind::Tenths, 0, 1000},
    {"tempUnit.tempUnit", Kind::Int, 1, 2},
};

constexpr const Field* find_field(std::string_view name) {
  for (const Field& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// --- one channel's remembered fields ----------------------------------------------------------

struct Model;

std::string number_key(int channel, std::string_view field);

struct View {
  const DeviceProfile& p;
  const DeviceState& s;
  const Model& model;
  int channel;

  std::optional<std::int64_t> get(std::string_view field) const {
    const auto it = s.numbers.find(number_key(channel, field));
    if (it == s.numbers.end()) return std::nullopt;
    return it->second;
  }
};

// A range in device units.
struct Range {
  std::int64_t lo, hi;
};

// The remembered range [lo_field, hi_field] when the device told one, else `fallback`.
Range stored_range(const View& v, std::string_view lo_field, std::string_view hi_field,
                   Range fallback);
// The name of `raw` among `names` (the names of first, first + 1...), nullopt when none.
std::optional<std::string> name_of(std::optional<std::int64_t> raw,
                                   std::span<const std::string_view> names, int first);
// Whether a message that carried the fields `present` carried any of `in`.
bool carries(const std::vector<std::string_view>& present, std::span<const std::string_view> in);

// --- models -----------------------------------------------------------------------------------

struct Model {
  std::string_view ns;
  std::string_view key;                   // payload key
  int scale;                              // device units per °C
  std::string_view min_field, max_field;  // the climate's range, when the device tells it
  bool range;                             // heat_cool band (low/high targets), fan modes
  Result<std::vector<DeviceRequest>> (*command)(const View& v, std::string_view what,
                                                std::string_view text);
};

// The namespace whose payload key is `key` ("mode" → "Appliance.Control.Thermostat.Mode").
std::string_view namespace_for(std::string_view key);
// The model whose climate namespace the device has; nullptr for no thermostat.
const Model* model_of(const DeviceProfile& p);

// --- requests and commands --------------------------------------------------------------------

using Members = std::vector<std::pair<std::string_view, std::string>>;

// {"<key>":[{"channel":c,<members>}]}: the list-with-channel shape of every thermostat GET and
// SET (§0 rules 1, 5). Member values are JSON text.
std::string list_payload(std::string_view outer, int channel, const Members& members);

// SETs, then the GETs that read back what their SETACKs do not carry.
struct Plan {
  std::vector<DeviceRequest> sets, gets;

  // The SET of `members` in channel `channel`'s item of the namespace whose payload key is `key`.
  void set(std::string_view key, int channel, const Members& members);
  std::vector<DeviceRequest> take();
};

// `text` (Home Assistant's number) in device units (`units` per unit, 10 or 100), within
// `range`.
Result<std::int64_t> parse_in_range(std::string_view text, int units, Range range);
// The index of `text` among `names`.
Result<std::size_t> parse_choice(std::string_view text, std::span<const std::string_view> names);
// A JSON list of the distinct names; "none" is Home Assistant's own "no preset", never listed.
std::string json_list(std::span<const std::string_view> names);

// --- thermostat_climate.cpp -------------------------------------------------------------------

Entity climate_entity(const View& v);
// The climate's states that depend on the fields `present` (a partial PUSH updates only its own).
void publish_climate(const View& v, const std::vector<std::string_view>& present, StateBatch& out);

// --- thermostat_settings.cpp ------------------------------------------------------------------

bool has_humidity(const DeviceProfile& p, const Model& m);
void setting_entities(const View& v, std::vector<Entity>& out);
// The other entities' states that depend on the fields `present`.
void publish_settings(const View& v, const std::vector<std::string_view>& present, StateBatch& out);
// The requests of a command for the setting entity `key`; nullopt when no setting has that key.
std::optional<Result<std::vector<DeviceRequest>>> setting_command(const View& v,
                                                                  std::string_view key,
                                                                  std::string_view text);

}  // namespace meross::mapping::detail::thermostat
