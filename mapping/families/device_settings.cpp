// Settings that devices of every kind share, whatever they are bought for (device-families.md
// §7): the child lock (Control.PhysicalLock, §7.2: thermostats, the map100 purifier) and the
// over-temperature cut-off (Config.OverTemp, §7.3: plugs), as config switches. The LED
// (System.DNDMode) stays with the diagnostics family; a thermostat's screen and unit with the
// thermostat family. Power-on state (Control.PowerRetention, §7.5) is not mapped: no source says
// what its `state` values mean.

#include <algorithm>
#include <string>

#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// --- child lock -------------------------------------------------------------------------------

// Remembered per channel as "settings.lock.<channel>": the device's channels are known only from
// its messages (no digest lists them). Every traced device locks channel 0.
constexpr std::string_view kLockPrefix = "settings.lock.";
// More would be a device flooding us with channel numbers, not a lock per channel.
constexpr int kMaxLockChannel = 7;

std::string lock_number(int channel) {
  return std::string(kLockPrefix) + std::to_string(channel);
}

std::vector<int> lock_channels(const DeviceState& s) {
  std::vector<int> channels{0};
  for (auto it = s.numbers.lower_bound(kLockPrefix);
       it != s.numbers.end() && std::string_view(it->first).starts_with(kLockPrefix); ++it) {
    const auto channel = channel_in_key(it->first, kLockPrefix);
    if (channel && *channel != 0) channels.push_back(*channel);
  }
  std::sort(channels.begin(), channels.end());
  return channels;
}

void lock_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  if (!p.has_ability(ns::kControlPhysicalLock)) return;
  const auto channels = lock_channels(s);
  for (int channel : channels) {
    Entity lock = channel_entity("child_lock_", channel, Component::Switch, channels.size() > 1,
                                 "Child lock");
    lock.category = Category::Config;
    lock.has_command = true;
    out.push_back(std::move(lock));
  }
}

// {"lock":[{"channel":0,"onoff":1}]}: a list, or one object. A SETACK carries nothing.
std::optional<Error> read_lock(DeviceState& s, const JsonValue& payload, StateBatch& out) {
  const JsonValue* items = member(payload, "lock");
  if (!items) return std::nullopt;
  return for_each_item_until_error(
      *items, "lock", [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        const auto channel = channel_of(item);
        if (!channel || *channel > kMaxLockChannel) {
          return Error{path + ".channel",
                       "expected a channel 0.." + std::to_string(kMaxLockChannel)};
        }
        auto onoff = optional_int(item, "onoff", path + ".onoff");
        if (!onoff) return onoff.error();
        if (!*onoff) return std::nullopt;
        if (**onoff != 0 && **onoff != 1) return Error{path + ".onoff", "out of range 0..1"};
        const auto [it, added] = s.numbers.insert_or_assign(lock_number(*channel), **onoff);
        if (added && *channel != 0) out.entities_changed = true;
        out.updates.push_back({key_of("child_lock_", *channel), on_off(it->second == 1)});
        return std::nullopt;
      });
}

Result<std::vector<DeviceRequest>> lock_command(int channel, bool on) {
  return std::vector<DeviceRequest>{{Method::Set, std::string(ns::kControlPhysicalLock),
                                     R"({"lock":[{"channel":)" + std::to_string(channel) +
                                         R"(,"onoff":)" + (on ? "1" : "0") + "}]}"}};
}

// --- over-temperature ------------------------------------------------------------------------

// The last `enable` read: 1 on, 0 off, -1 the firmware has the namespace but not the feature
// (mts200, mfc100): then no switch.
constexpr std::string_view kOverTempEnable = "settings.over_temp.enable";
constexpr std::string_view kOverTempQuery = R"({"overTemp":{}})";

bool has_over_temp(const DeviceProfile& p, const DeviceState& s) {
  const auto it = s.numbers.find(kOverTempEnable);
  return p.has_ability(ns::kConfigOverTemp) && (it == s.numbers.end() || it->second != -1);
}

void over_temp_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  if (!has_over_temp(p, s)) return;
  Entity e = config_switch("over_temp", "Over-temperature protection");
  // A safety cut-off that stays on: set once, if ever.
  e.enabled_by_default = false;
  out.push_back(std::move(e));
}

// {"overTemp":{"enable":1,"type":1}}; `type` is unknown (device-families.md §7.3) and not shown.
std::optional<Error> read_over_temp(const DeviceProfile& p, DeviceState& s,
                                    const JsonValue& payload, StateBatch& out) {
  auto enable = member_int(payload, "overTemp", "enable");
  if (!enable) return enable.error();
  if (!*enable) return std::nullopt;  // SETACK {}
  if (**enable < -1 || **enable > 1) return Error{"overTemp.enable", "out of range -1..1"};
  const bool had = has_over_temp(p, s);
  s.numbers.insert_or_assign(std::string(kOverTempEnable), **enable);
  if (had != has_over_temp(p, s)) out.entities_changed = out.polls_changed = true;
  if (**enable >= 0 && p.has_ability(ns::kConfigOverTemp)) {
    out.updates.push_back({"over_temp", on_off(**enable == 1)});
  }
  return std::nullopt;
}

Result<std::vector<DeviceRequest>> over_temp_command(bool on) {
  return std::vector<DeviceRequest>{
      {Method::Set, std::string(ns::kConfigOverTemp),
       std::string(R"({"overTemp":{"enable":)") + (on ? "1" : "0") + "}}"},
      get_request(std::string(ns::kConfigOverTemp), std::string(kOverTempQuery))};
}

// --- the family -------------------------------------------------------------------------------

void setting_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  lock_entities(p, s, out);
  over_temp_entities(p, s, out);
}

std::optional<Error> setting_states(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                    const JsonValue& payload, const Context&, StateBatch& out) {
  if (ns == ns::kConfigOverTemp) return read_over_temp(p, s, payload, out);
  if (!p.has_ability(ns::kControlPhysicalLock)) return std::nullopt;
  return read_lock(s, payload, out);
}

// The lock is not polled: its GET drops the connection (§0 rule 3) and it is PUSHed on change.
// OverTemp is never pushed: polled slowly, as meross_lan does (300 s).
void setting_polls(const DeviceProfile& p, const DeviceState& s, std::vector<Poll>& out) {
  if (has_over_temp(p, s)) {
    out.push_back({PollKind::Slow, std::string(ns::kConfigOverTemp), std::string(kOverTempQuery)});
  }
}

Result<std::vector<DeviceRequest>> setting_command(const DeviceProfile&, const DeviceState&,
                                                   std::string_view key, std::string_view command) {
  auto on = parse_on_off(command);
  if (!on) return on.error();
  if (key == "over_temp") return over_temp_command(*on);
  if (const auto channel = channel_in_key(key, "child_lock_")) return lock_command(*channel, *on);
  return Error{"entity", "no setting '" + std::string(key) + "'"};
}

constexpr std::string_view kNamespaces[] = {ns::kControlPhysicalLock, ns::kConfigOverTemp};

}  // namespace

extern const Family device_settings_family;
const Family device_settings_family{
    .name = "device_settings",
    .entities = setting_entities,
    .namespaces = kNamespaces,
    .read = setting_states,
    .polls = setting_polls,
    .keyed_command = setting_command,
};

}  // namespace meross::mapping::detail
