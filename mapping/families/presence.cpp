// The ms600 presence sensor (device-families.md §5): Control.Sensor.LatestX gives the readings
// (presence value and distance, light level), PUSHed on change and read every 300 s;
// Control.Presence.Config gives the settings, read when the device comes online, every 300 s and
// after each SET. Keys carry channel 0 (the only one the ms600 has).
//
// LatestX is the hub's namespace too (the ms130 behind a hub reports its light through it, by
// subId). The bridge gives a namespace to one family, so this family owns it and hands the
// messages of any device without Presence.Config to the hub family, which reads them as before.

#include <array>
#include <cmath>

#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {

extern const Family hub_family;

namespace {

namespace ns = meross::protocol::ns;

constexpr int kChannel = 0;

bool is_presence(const DeviceProfile& p) {
  return p.has_ability(ns::kControlPresenceConfig);
}

// --- settings: one row per entity of Presence.Config ------------------------------------------

struct Setting {
  std::string_view key;    // entity key without the channel: "no_body_time" → "no_body_time_0"
  std::string_view group;  // the config item's object: "noBodyTime"
  std::string_view field;  // its member: "time"
  std::string_view name;
  // A number: [lo, hi] in Home Assistant's unit, `units` device units per unit, `step`.
  // A select: `names` of values 0, 1, 2 (raw values when unlabelled).
  double lo = 0, hi = 0, step = 0;
  int units = 1;
  std::string_view unit = {}, device_class = {};
  std::array<std::string_view, 3> names = {};
  bool enabled = true;
};

constexpr Setting kSettings[] = {
    {"no_body_time", "noBodyTime", "time", "No-body time", 1, 3600, 1, 1, "s"},
    // The device takes mm; Home Assistant shows m.
    {"detection_distance", "distance", "value", "Detection distance", 0.1, 12, 0.1, 1000, "m",
     "distance"},
    // Levels 0..2 as the app's slider runs (an assumption: the reference leaves them unnamed).
    {"sensitivity",
     "sensitivity",
     "level",
     "Sensitivity",
     0,
     0,
     0,
     1,
     {},
     {},
     {"low", "medium", "high"}},
    // Unnamed in the reference: shown with their raw values and off by default.
    {"work_mode", "mode", "workMode", "Work mode", 0, 0, 0, 1, {}, {}, {"0", "1", "2"}, false},
    {"test_mode", "mode", "testMode", "Test mode", 0, 0, 0, 1, {}, {}, {"0", "1", "2"}, false},
    {"mth1", "mthx", "mth1", "Motion threshold 1", 1, 1000, 1, 1, {}, {}, {}, false},
    {"mth2", "mthx", "mth2", "Motion threshold 2", 1, 1000, 1, 1, {}, {}, {}, false},
    {"mth3", "mthx", "mth3", "Motion threshold 3", 1, 1000, 1, 1, {}, {}, {}, false},
};

bool is_select(const Setting& s) {
  return !s.names[0].empty();
}

std::string setting_key(const Setting& s) {
  return key_of(std::string(s.key) + "_", kChannel);
}

std::string json_names(const Setting& s) {
  std::string out = "[";
  for (std::string_view n : s.names) {
    if (out.size() > 1) out += ',';
    out += '"' + std::string(n) + '"';
  }
  return out + "]";
}

Entity setting_entity(const Setting& s) {
  Entity e;
  e.key = setting_key(s);
  e.component = is_select(s) ? Component::Select : Component::Number;
  e.name = std::string(s.name);
  e.device_class = s.device_class;
  e.unit = s.unit;
  e.category = Category::Config;
  e.enabled_by_default = s.enabled;
  e.has_command = true;
  if (is_select(s)) {
    e.options.emplace_back("options", json_names(s));
  } else {
    e.options = {{"min", format_number(s.lo)},
                 {"max", format_number(s.hi)},
                 {"step", format_number(s.step)},
                 {"mode", "\"box\""}};
  }
  return e;
}

Entity reading(std::string_view prefix, Component component, std::string_view name,
               std::string_view device_class, std::string_view unit = {}) {
  Entity e = channel_entity(prefix, kChannel, component, false, name);
  e.device_class = device_class;
  e.unit = unit;
  if (component == Component::Sensor) e.state_class = "measurement";
  return e;
}

void presence_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (!is_presence(p)) return;
  if (p.has_ability(ns::kControlSensorLatestX)) {
    out.push_back(reading("occupancy_", Component::BinarySensor, "Occupancy", "occupancy"));
    out.push_back(reading("motion_", Component::BinarySensor, "Motion", "motion"));
    Entity distance = reading("distance_", Component::Sensor, "Distance", "distance", "m");
    distance.display_precision = 2;
    out.push_back(std::move(distance));
    out.push_back(reading("illuminance_", Component::Sensor, "Illuminance", "illuminance", "lx"));
  }
  for (const Setting& s : kSettings)
    out.push_back(setting_entity(s));
}

// --- states -------------------------------------------------------------------------------------

// The newest sample of a LatestX data list ([{"value":…,"timestamp":…},…]): the last one.
Result<const JsonValue*> last_sample(const JsonValue& data, std::string_view name,
                                     const std::string& path) {
  const JsonValue* list = member(data, name);
  if (!list) return nullptr;
  const std::string field = path + "." + std::string(name);
  if (list->IsObject()) return list;
  if (!list->IsArray()) return wrong_type(field, "a list", *list);
  if (list->Empty()) return nullptr;
  const JsonValue& last = (*list)[list->Size() - 1];
  if (!last.IsObject()) return wrong_type(field + "[]", "an object", last);
  return &last;
}

std::optional<Error> latest_item(const JsonValue& item, const std::string& path, StateBatch& out) {
  const auto channel = channel_of(item);
  if (!channel || *channel != kChannel) return std::nullopt;
  const JsonValue* data = member(item, "data");
  if (!data) return std::nullopt;
  if (!data->IsObject()) return wrong_type(path + ".data", "an object", *data);
  const std::string data_path = path + ".data";

  auto presence = last_sample(*data, "presence", data_path);
  if (!presence) return presence.error();
  if (*presence) {
    const std::string where = data_path + ".presence";
    auto value = optional_int(**presence, "value", where);
    auto distance = optional_int(**presence, "distance", where);
    if (!value) return value.error();
    if (!distance) return distance.error();
    if (*value) {
      out.updates.push_back({key_of("occupancy_", kChannel), on_off(**value >= 1)});
      out.updates.push_back({key_of("motion_", kChannel), on_off(**value == 2)});
    }
    if (*distance) {
      if (**distance < 0) {
        out.dropped.push_back(Error{where + ".distance", "expected a distance of 0 or more"});
      } else {
        out.updates.push_back({key_of("distance_", kChannel), format_scaled(**distance, 1000)});
      }
    }
  }

  auto light = last_sample(*data, "light", data_path);
  if (!light) return light.error();
  if (*light) {
    auto value = optional_int(**light, "value", data_path + ".light");
    if (!value) return value.error();
    if (*value) out.updates.push_back({key_of("illuminance_", kChannel), std::to_string(**value)});
  }
  return std::nullopt;
}

std::optional<Error> read_latest(const JsonValue& payload, StateBatch& out) {
  const JsonValue* latest = member(payload, "latest");
  if (!latest) return std::nullopt;
  return for_each_item_until_error(
      *latest, "latest",
      [&](const JsonValue& item, const std::string& path) { return latest_item(item, path, out); });
}

std::optional<Error> config_item(const JsonValue& item, const std::string& path, StateBatch& out) {
  const auto channel = channel_of(item);
  if (!channel || *channel != kChannel) return std::nullopt;
  for (const Setting& s : kSettings) {
    const JsonValue* group = member(item, s.group);
    if (!group) continue;
    const std::string where = path + "." + std::string(s.group);
    if (!group->IsObject()) return wrong_type(where, "an object", *group);
    auto raw = optional_int(*group, s.field, where);
    if (!raw) return raw.error();
    if (!*raw) continue;
    const std::int64_t v = **raw;
    if (is_select(s)) {
      if (v < 0 || v >= static_cast<std::int64_t>(s.names.size())) {
        out.dropped.push_back(Error{where + "." + std::string(s.field), "expected 0, 1 or 2"});
        continue;
      }
      out.updates.push_back({setting_key(s), std::string(s.names[static_cast<std::size_t>(v)])});
    } else {
      out.updates.push_back({setting_key(s), format_scaled(v, s.units)});
    }
  }
  return std::nullopt;
}

std::optional<Error> read_config(const JsonValue& payload, StateBatch& out) {
  const JsonValue* config = member(payload, "config");
  if (!config) return std::nullopt;  // a SETACK ({}) carries nothing: the GET after it does
  return for_each_item_until_error(
      *config, "config",
      [&](const JsonValue& item, const std::string& path) { return config_item(item, path, out); });
}

std::optional<Error> presence_read(const DeviceProfile& p, DeviceState& s, std::string_view name,
                                   const JsonValue& payload, const Context& ctx, StateBatch& out) {
  if (!is_presence(p)) {
    return name == ns::kControlSensorLatestX ? hub_family.read(p, s, name, payload, ctx, out)
                                             : std::nullopt;
  }
  return name == ns::kControlSensorLatestX ? read_latest(payload, out) : read_config(payload, out);
}

// --- polls and commands --------------------------------------------------------------------------

constexpr std::string_view kConfigGet = R"({"config":[{"channel":0}]})";

// meross_lan's cadence (§5): the readings lazily every 300 s (they PUSH on change), the
// settings every 300 s like every "config" namespace. Slow polls are also read at once when the
// device comes online.
void presence_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (!is_presence(p)) return;
  if (p.has_ability(ns::kControlSensorLatestX)) {
    // The GET must name the data wanted; {"latest":[]} is answered with [].
    out.push_back({PollKind::Slow, std::string(ns::kControlSensorLatestX),
                   R"({"latest":[{"channel":0,"data":["presence","light"]}]})"});
  }
  out.push_back({PollKind::Slow, std::string(ns::kControlPresenceConfig), std::string(kConfigGet)});
}

Result<std::int64_t> device_value(const Setting& s, std::string_view text) {
  if (is_select(s)) {
    const std::string_view t = trim(text);
    for (std::size_t i = 0; i < s.names.size(); ++i) {
      if (s.names[i] == t) return static_cast<std::int64_t>(i);
    }
    return Error{"command", "expected one of " + json_names(s)};
  }
  auto value = parse_number(text, s.lo, s.hi);
  if (!value) return value.error();
  const double scaled = *value * s.units;
  const auto raw = std::llround(scaled);
  // A device unit has no fraction: 30.5 s or 1.2345 m is not a value it can take.
  if (std::abs(scaled - static_cast<double>(raw)) > 1e-6) {
    return Error{"command", "expected a multiple of " + format_number(1.0 / s.units)};
  }
  return static_cast<std::int64_t>(raw);
}

Result<std::vector<DeviceRequest>> presence_command(const DeviceProfile& p, const DeviceState&,
                                                    std::string_view key,
                                                    std::string_view command) {
  for (const Setting& s : kSettings) {
    if (setting_key(s) != key) continue;
    auto raw = device_value(s, command);
    if (!raw) return raw.error();
    // Only the changed value, under its group (§5):
    // {"config":[{"channel":0,"noBodyTime":{"time":30}}]}.
    rapidjson::StringBuffer b;
    Writer w(b);
    w.StartObject();
    detail::key(w, "config");
    w.StartArray();
    w.StartObject();
    detail::key(w, "channel");
    w.Int(kChannel);
    detail::key(w, s.group);
    w.StartObject();
    detail::key(w, s.field);
    w.Int64(*raw);
    w.EndObject();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return std::vector<DeviceRequest>{
        DeviceRequest{Method::Set, std::string(ns::kControlPresenceConfig), b.GetString()},
        get_request(std::string(ns::kControlPresenceConfig), std::string(kConfigGet))};
  }
  (void)p;
  return Error{"entity", "no presence setting '" + std::string(key) + "'"};
}

constexpr std::string_view kNamespaces[] = {ns::kControlSensorLatestX, ns::kControlPresenceConfig};

}  // namespace

extern const Family presence_family;
const Family presence_family{
    .name = "presence",
    .entities = presence_entities,
    .namespaces = kNamespaces,
    .read = presence_read,
    .polls = presence_polls,
    .keyed_command = presence_command,
};

}  // namespace meross::mapping::detail
