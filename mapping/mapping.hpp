#pragma once

// Meross abilities ⇄ Home Assistant entities (issue 5). Pure: values in, values out; no I/O,
// no clock, no logging. Each device family is one file in families/ (toggle, light, electricity,
// consumption, garage_door, roller_shutter, diagnostics) listed in families/registry.cpp; this
// API loops over that registry (family.hpp).
//
// How the bridge uses it, per device:
//   1. profile (System.All + System.Ability) → entities_for(profile, state) → discovery.
//      unmapped_abilities(profile) lists the abilities no family maps (log them once).
//   2. every device GETACK / SETACK / PUSH → states_from(...) → publish each StateUpdate retained
//      on discovery::state_topic(base, uuid, key). When `entities_changed` is set (a Light.Effect
//      list arrived) re-run entities_for and re-publish discovery.
//   3. HA command on <base>/<uuid>/<key>/set → command_to_request(...) → sign and send each
//      DeviceRequest in order. The state is not assumed: it follows the device's ACK/PUSH and
//      the trailing GETs of the plan read it back.
//   4. polls_for(profile) → a timer per Poll (interval by kind).
// DeviceState is per-device memory owned by the caller (last light state, effect list,
// shutter motion); pass the same object to states_from and command_to_request.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/result.hpp"

namespace meross::mapping {

using protocol::DeviceProfile;
using protocol::Error;
using protocol::JsonValue;
using protocol::Method;
using protocol::Result;

enum class Component {
  Switch,
  Light,
  Sensor,
  Cover,
  Climate,
  BinarySensor,
  Number,
  Select,
  Button,
  Fan
};
// "switch", "light", "sensor", "cover", "climate", "binary_sensor", "number", "select", "button",
// "fan"
std::string_view to_string(Component component);

enum class Category { None, Config, Diagnostic };
std::string_view to_string(Category category);  // "", "config", "diagnostic"

// One Home Assistant entity of a device.
struct Entity {
  std::string key;  // unique within the device: "switch_0", "power_1", "signal"
  Component component = Component::Sensor;
  std::optional<std::string> name;  // nullopt → JSON null: the device's main entity
  std::string device_class;         // "" when none
  std::string unit;                 // unit_of_measurement, "" when none
  std::string state_class;          // "" when none
  Category category = Category::None;
  std::optional<int> display_precision;
  bool enabled_by_default = true;
  // Gets a command topic <base>/<uuid>/<key>/set. Every entity but a climate and a button gets
  // state_topic <base>/<uuid>/<key>/state (those two read and write through their options).
  bool has_command = false;
  // Further discovery members as (key, JSON value text), e.g. {"schema", "\"json\""}. Inside
  // the text, {state_topic} and {command_topic} stand for the entity's own topics, and
  // {state_topic:KEY} / {command_topic:KEY} for those of another key of the same device: a
  // climate entity reads its mode, target and action each from a key of its own
  // ("climate_0_mode"), and a command on such a key reaches the family like any other.
  std::vector<std::pair<std::string, std::string>> options;
  // Further keys whose command topics this entity uses through {command_topic:KEY}; a command on
  // one reaches the entity's family like a command on `key` ("climate_0_mode").
  std::vector<std::string> command_keys;
  // The hub sub-device (SubDevice::id) this entity belongs to; "" = the device itself. Keys
  // stay unique across the whole device (sub-device entities carry the id in their key).
  std::string sub_device;
};

// A device behind a hub (a radiator valve, a sensor): its own Home Assistant device, reached
// through the hub. Learned from the hub's digest; kept while the hub reports it.
struct SubDevice {
  std::string id;     // the hub's id for it: 8 or 12 hex characters
  std::string type;   // the digest's type tag: "mts150", "ms100", "doorWindow", "smokeAlarm"
  std::string model;  // for people: "MTS150", "MS200", "GS559"
  bool operator==(const SubDevice&) const = default;
};

// The state key whose value ("online"/"offline") is the availability of sub-device `id`.
std::string sub_device_availability_key(std::string_view id);

// Last known light of one channel; -1 = unknown.
struct LightState {
  int onoff = -1;
  int capacity = -1;
  int rgb = -1;
  int temperature = -1;
  int luminance = -1;
  int effect = -1;
};

// Last known roller shutter of one channel; -1 = unknown.
struct ShutterState {
  int position = -1;
  int motion = -1;  // 0 idle, 1 opening, 2 closing
};

// Per-device mapping memory, owned by the caller.
struct DeviceState {
  std::map<int, LightState> lights;         // by channel
  std::vector<std::string> effect_names;    // Light.Effect effectName, in device order
  std::vector<std::string> effect_objects;  // the same effects as JSON object text
  std::map<int, ShutterState> shutters;     // by channel
  std::vector<SubDevice> sub_devices;       // a hub's, in digest order
  // What a family must remember between messages to build a command (a thermostat's mode, a
  // valve's preset), under keys the family prefixes with its own name ("mts.0.mode").
  std::map<std::string, std::int64_t, std::less<>> numbers;
  // Nothing remembered (a plug's, always): a caller may keep no object at all then.
  bool empty() const {
    return lights.empty() && effect_names.empty() && effect_objects.empty() && shutters.empty() &&
           sub_devices.empty() && numbers.empty();
  }
};

// What states_from needs besides the message.
struct Context {
  std::int64_t now = 0;  // epoch seconds: picks "today" in ConsumptionX/H (device's zone)
};

struct StateUpdate {
  std::string entity_key;
  std::string payload;  // exactly what goes on the state topic ("ON", "12.5", {...})
  bool operator==(const StateUpdate&) const = default;
};

struct StateBatch {
  std::vector<StateUpdate> updates;
  bool entities_changed = false;  // re-run entities_for and re-publish discovery
  // Parts of the message left out for a bad shape while the rest was mapped (one item of a hub's
  // list, a duplicated sub-device id): log and count them as an Error, and publish `updates`.
  std::vector<Error> dropped;
  // What polls_for returns may have changed (a cover started or stopped travelling): ask it again
  // and apply the new polls.
  bool polls_changed = false;
};

struct DeviceRequest {
  Method method = Method::Set;
  std::string ns;
  std::string payload_json;  // the payload object, e.g. {"togglex":{"channel":0,"onoff":1}}
  bool operator==(const DeviceRequest&) const = default;
};

// Electricity: Electricity/ElectricityX. Consumption: ConsumptionX (or ConsumptionH).
// Slow: things devices do not always PUSH (Wi-Fi signal, DND/LED, the Light.Effect list);
// ask once when the device comes online, then at the slow interval.
enum class PollKind { Electricity, Consumption, Slow };
// Defaults in seconds (issue 5): Electricity 30 s, Consumption 5 min, Slow 5 min.
constexpr int default_interval_seconds(PollKind kind) {
  return kind == PollKind::Electricity ? 30 : 300;
}

struct Poll {
  PollKind kind = PollKind::Electricity;
  std::string ns;
  std::string payload_json;  // GET payload
  // A poll for a while only (a cover travelling: devices do not always PUSH where it stopped):
  // every `interval_ms` instead of the kind's interval, for `for_ms` from when it is (re)applied,
  // with a last one then. 0 = the kind's interval, for good.
  int interval_ms = 0;
  int for_ms = 0;
  bool operator==(const Poll&) const = default;
};

// The entities of a device. `state` supplies what only messages teach (the effect list, a hub's
// sub-devices).
std::vector<Entity> entities_for(const DeviceProfile& profile, const DeviceState& state = {});

// The abilities the device reports that no family reads, sorted: every namespace but those the
// bridge, the pairing tools and the protocol layer handle themselves (System.All, Clock, Bind,
// Config.Key, Encrypt.*, ...: the list in unmapped.cpp). Never an error.
std::vector<std::string> unmapped_abilities(const DeviceProfile& profile);

// Maps one device message (GETACK, SETACK or PUSH; other methods give no updates) to entity
// states. Namespaces without entities give no updates. A payload of the wrong shape is an Error
// naming the field; it never throws.
Result<StateBatch> states_from(const DeviceProfile& profile, DeviceState& state,
                               std::string_view ns, Method method, const JsonValue& payload,
                               const Context& context);
// Same, from the payload's JSON text.
Result<StateBatch> states_from(const DeviceProfile& profile, DeviceState& state,
                               std::string_view ns, Method method, std::string_view payload_json,
                               const Context& context);

// The requests that carry out HA `command` (the MQTT payload on the entity's command topic):
// SETs first, then GETs that read the result back. An unknown entity or an invalid command
// (garbage, unknown colour mode, brightness out of range...) is an Error saying why.
Result<std::vector<DeviceRequest>> command_to_request(const DeviceProfile& profile,
                                                      const DeviceState& state,
                                                      std::string_view entity_key,
                                                      std::string_view command);

// Whether the JSON `text` nests objects/arrays at most `max_depth` deep (strings are skipped).
// Entry points that parse untrusted text (commands from MQTT, retained documents, files) check
// protocol::json_nesting_at_most first, so a deeply nested payload is an Error, not a stack
// overflow.
using protocol::json_nesting_at_most;
using protocol::kMaxJsonNesting;

// What to poll (devices do not PUSH these): only for the abilities the device has. `state`
// supplies a hub's sub-devices (their queries name them, in chunks).
std::vector<Poll> polls_for(const DeviceProfile& profile, const DeviceState& state = {});

}  // namespace meross::mapping
