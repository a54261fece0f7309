// Appliance.Control.Fan → a Home Assistant fan per fan channel (device-families.md §4): the mfc100
// ceiling fan's channel 2 (digest.fan), the map100 purifier's channel 0 (no digest section: the
// Fan ability alone). Appliance.Control.FilterMaintenance → a filter life sensor (%).
//
// Speeds: the discovery document sets speed_range_min 1 / speed_range_max maxSpeed, so Home
// Assistant itself turns a percentage into a level (it rounds up: 50 % of 3 levels is level 2)
// and its percentage topics carry the level, 0..maxSpeed. A payload that is no such level (150,
// "abc", "1.5") is refused, never clamped: it could only come from something other than Home
// Assistant's fan card, and guessing would run the fan at a speed nobody asked for.
//
// Power: a fan channel that is also a ToggleX channel (map100 0, mfc100 2) is on while its relay
// is on; toggle.cpp hands those ToggleX items here (fan_togglex). Without ToggleX, speed 0 is off.
// Fan is never PUSHed (§4.1), so every SET is followed by a GET of the channel.
//
// Memory (DeviceState::numbers): "fan.<c>.speed", "fan.<c>.max" (maxSpeed as last reported),
// "fan.<c>.last" (last speed above 0, for ON), "fan.<c>.onoff" (its ToggleX relay).

#include <algorithm>
#include <charconv>
#include <string>

#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// Until the device tells its maxSpeed: the mfc100 has 3 (§4.3); the map100 never answered one.
constexpr std::int64_t kDefaultMaxSpeed = 3;
// A bound on maxSpeed from the wire, so a hostile value cannot ask HA for a huge range.
constexpr std::int64_t kMaxMaxSpeed = 100;

std::vector<int> fan_channels(const DeviceProfile& p) {
  if (!digest_channels(p, "fan").empty()) return digest_channels(p, "fan");
  if (p.has_ability(ns::kControlFan)) return {0};
  return {};
}

bool is_fan_channel(const DeviceProfile& p, int channel) {
  const auto channels = fan_channels(p);
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

bool relay_powered(const DeviceProfile& p, int channel) {
  const auto& togglex = digest_channels(p, "togglex");
  return is_fan_channel(p, channel) &&
         std::find(togglex.begin(), togglex.end(), channel) != togglex.end();
}

std::string memory_key(int channel, std::string_view what) {
  return "fan." + std::to_string(channel) + "." + std::string(what);
}

std::int64_t remembered(const DeviceState& s, int channel, std::string_view what,
                        std::int64_t fallback) {
  const auto it = s.numbers.find(memory_key(channel, what));
  return it == s.numbers.end() ? fallback : it->second;
}

std::int64_t max_speed(const DeviceState& s, int channel) {
  return remembered(s, channel, "max", kDefaultMaxSpeed);
}

// A purifier's filter. The mts300 reports one too (§1.4), but a thermostat's entities are the
// thermostat family's business: this one only maps the filters of fans.
bool has_filter(const DeviceProfile& p) {
  return p.has_ability(ns::kControlFilterMaintenance) && !fan_channels(p).empty();
}

std::string speed_key(int channel) {
  return key_of("fan_", channel) + "_speed";
}

void fan_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  const auto channels = fan_channels(p);
  for (int c : channels) {
    Entity e = channel_entity("fan_", c, Component::Fan, channels.size() > 1, "Fan");
    e.has_command = true;
    const std::string speed = speed_key(c);
    e.options = {
        {"payload_on", R"("ON")"},
        {"payload_off", R"("OFF")"},
        {"percentage_state_topic", "\"{state_topic:" + speed + "}\""},
        {"percentage_command_topic", "\"{command_topic:" + speed + "}\""},
        {"speed_range_min", "1"},
        {"speed_range_max", std::to_string(max_speed(s, c))},
    };
    e.command_keys = {speed};
    out.push_back(std::move(e));
  }
  if (has_filter(p)) {
    Entity filter;
    filter.key = "filter_0";
    filter.component = Component::Sensor;
    filter.name = "Filter life";
    filter.unit = "%";
    filter.state_class = "measurement";
    filter.category = Category::Diagnostic;
    filter.display_precision = 0;
    out.push_back(std::move(filter));
  }
}

// The state topics of channel `c` from what is remembered.
void publish(const DeviceProfile& p, const DeviceState& s, int c, StateBatch& out) {
  const std::int64_t speed = remembered(s, c, "speed", -1);
  const std::int64_t onoff = remembered(s, c, "onoff", -1);
  bool on = false;
  if (relay_powered(p, c)) {
    if (onoff < 0) return;
    on = onoff != 0;
  } else {
    if (speed < 0) return;
    on = speed > 0;
  }
  out.updates.push_back({key_of("fan_", c), on_off(on)});
  if (speed >= 0) out.updates.push_back({speed_key(c), std::to_string(on ? speed : 0)});
}

std::optional<Error> read_fans(const DeviceProfile& p, DeviceState& s, const JsonValue& items,
                               const std::string& field, StateBatch& out) {
  return for_each_item_until_error(
      items, field, [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        auto speed = optional_int(item, "speed", path);
        if (!speed) return speed.error();
        auto max = optional_int(item, "maxSpeed", path);
        if (!max) return max.error();
        const auto channel = channel_of(item);
        // The mfc100 answers a GET of channel 0 with a made-up fan (§4.1): only real ones count.
        if (!channel || !is_fan_channel(p, *channel)) return std::nullopt;
        const int c = *channel;
        if (*max) {
          if (**max < 1 || **max > kMaxMaxSpeed) {
            return Error{path + ".maxSpeed", "out of range: " + std::to_string(**max)};
          }
          if (**max != max_speed(s, c)) out.entities_changed = true;
          s.numbers[memory_key(c, "max")] = **max;
        }
        if (*speed) {
          if (**speed < 0 || **speed > max_speed(s, c)) {
            return Error{path + ".speed", "out of range: " + std::to_string(**speed)};
          }
          s.numbers[memory_key(c, "speed")] = **speed;
          if (**speed > 0) s.numbers[memory_key(c, "last")] = **speed;
        }
        publish(p, s, c, out);
        return std::nullopt;
      });
}

std::optional<Error> read_filter(DeviceState&, const JsonValue& items, StateBatch& out) {
  return for_each_item_until_error(
      items, "filter", [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        auto life = optional_int(item, "life", path);
        if (!life) return life.error();
        if (!*life || channel_of(item) != 0) return std::nullopt;
        if (**life < 0 || **life > 100) {
          return Error{path + ".life", "out of range: " + std::to_string(**life)};
        }
        out.updates.push_back({"filter_0", std::to_string(**life)});
        return std::nullopt;
      });
}

std::optional<Error> fan_read(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                              const JsonValue& payload, const Context&, StateBatch& out) {
  if (ns == ns::kControlFilterMaintenance) {
    const JsonValue* items = has_filter(p) ? member(payload, "filter") : nullptr;
    return items ? read_filter(s, *items, out) : std::nullopt;
  }
  const JsonValue* items = member(payload, "fan");
  return items ? read_fans(p, s, *items, "fan", out) : std::nullopt;
}

DeviceRequest fan_set(int channel, std::int64_t speed) {
  return DeviceRequest{Method::Set, std::string(ns::kControlFan),
                       R"({"fan":[{"channel":)" + std::to_string(channel) + R"(,"speed":)" +
                           std::to_string(speed) + "}]}"};
}

DeviceRequest fan_get(int channel) {
  return get_request(std::string(ns::kControlFan),
                     R"({"fan":[{"channel":)" + std::to_string(channel) + "}]}");
}

DeviceRequest relay_set(int channel, bool on) {
  return channel_set(std::string(ns::kControlToggleX), "togglex", channel, "onoff", on ? 1 : 0);
}

// Speed `level` (0 = off) on channel `c`, as the requests that get the device there.
std::vector<DeviceRequest> run_at(const DeviceProfile& p, const DeviceState& s, int c,
                                  std::int64_t level) {
  std::vector<DeviceRequest> out;
  if (relay_powered(p, c)) {
    if (level == 0) {
      out.push_back(relay_set(c, false));
    } else {
      out.push_back(fan_set(c, level));
      if (remembered(s, c, "onoff", 0) == 0) out.push_back(relay_set(c, true));
    }
    out.push_back(get_request(std::string(ns::kControlToggleX), R"({"togglex":[]})"));
  } else {
    out.push_back(fan_set(c, level));
  }
  out.push_back(fan_get(c));
  return out;
}

// A level as Home Assistant sends it on the percentage topic: a whole number 0..max.
Result<std::int64_t> parse_level(std::string_view command, std::int64_t max) {
  command = trim(command);
  std::int64_t level = 0;
  const auto [end, ec] = std::from_chars(command.data(), command.data() + command.size(), level);
  if (command.empty() || ec != std::errc{} || end != command.data() + command.size()) {
    return Error{"command", "expected a fan speed 0.." + std::to_string(max)};
  }
  if (level < 0 || level > max) {
    return Error{"command",
                 "fan speed " + std::to_string(level) + " is not in 0.." + std::to_string(max)};
  }
  return level;
}

Result<std::vector<DeviceRequest>> fan_command(const DeviceProfile& p, const DeviceState& s,
                                               std::string_view key, std::string_view command) {
  const bool speed = key.size() > 6 && key.substr(key.size() - 6) == "_speed";
  const auto channel = channel_in_key(speed ? key.substr(0, key.size() - 6) : key, "fan_");
  if (!channel || !is_fan_channel(p, *channel)) {
    return Error{"entity", "no fan '" + std::string(key) + "'"};
  }
  const int c = *channel;
  if (speed) {
    auto level = parse_level(command, max_speed(s, c));
    if (!level) return level.error();
    return run_at(p, s, c, *level);
  }
  auto on = parse_on_off(command);
  if (!on) return on.error();
  if (!*on) return run_at(p, s, c, 0);
  if (relay_powered(p, c) && remembered(s, c, "speed", 0) > 0) {
    // The relay alone: the fan comes back at the speed it keeps.
    return std::vector<DeviceRequest>{
        relay_set(c, true), get_request(std::string(ns::kControlToggleX), R"({"togglex":[]})"),
        fan_get(c)};
  }
  return run_at(p, s, c, std::min(remembered(s, c, "last", 1), max_speed(s, c)));
}

void fan_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  // The mfc100's speeds come with the digest; the map100 has no fan digest section, so its Fan
  // is asked for, the channel named (a bare {"fan":{}} answers an empty list, §0 rule 1).
  // FilterMaintenance answers only a PUSH query (§0 rule 2), which a Poll cannot send: its PUSHes
  // are mapped when they come.
  if (!digest_channels(p, "fan").empty() || !p.has_ability(ns::kControlFan)) return;
  out.push_back(Poll{PollKind::Slow, std::string(ns::kControlFan), R"({"fan":[{"channel":0}]})"});
}

constexpr std::string_view kNamespaces[] = {ns::kControlFan, ns::kControlFilterMaintenance};
constexpr DigestSection kDigest[] = {
    {"fan", 0,
     [](const DeviceProfile& p, DeviceState& s, const JsonValue& section, StateBatch& out) {
       return read_fans(p, s, section, "all.digest.fan", out);
     }}};

}  // namespace

bool fan_togglex(const DeviceProfile& p, DeviceState& s, int channel, int onoff, StateBatch& out) {
  if (!is_fan_channel(p, channel)) return false;
  s.numbers[memory_key(channel, "onoff")] = onoff != 0 ? 1 : 0;
  publish(p, s, channel, out);
  return true;
}

extern const Family fan_family;
const Family fan_family{
    .name = "fan",
    .entities = fan_entities,
    .powers = is_fan_channel,
    .namespaces = kNamespaces,
    .read = fan_read,
    .digest = kDigest,
    .polls = fan_polls,
    .keyed_command = fan_command,
};

}  // namespace meross::mapping::detail
