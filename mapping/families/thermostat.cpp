// Wi-Fi thermostats (device-families.md §1, meross-protocol.md §5.12): mts200/mts200b
// (Thermostat.Mode, 0.1 °C), mts960 (Thermostat.ModeB, 0.01 °C) and mts300 (Thermostat.ModeC,
// 0.01 °C). Each gets a climate entity and, where its abilities list them, its readings
// (temperature, humidity, open window) and settings (Calibration, DeadZone, Frost, Overheat,
// HoldAction, Screen.Brightness, TempUnit) as config numbers, switches and selects. The child
// lock (PhysicalLock) is the device_settings family's, as on every device that has one.
//
// Three tables drive it (thermostat.hpp says which file holds which):
//   kFields    what the payloads carry. Each field is checked (type, range) and remembered in
//              DeviceState::numbers as "thermostat.<channel>.<payload key>.<field>": a state or a
//              command often combines fields that partial PUSHes bring apart.
//   kClimate   the climate's states (mode, action, preset, targets, fan), each computed from
//              remembered fields and published when a message carries one of its inputs.
//   kEntities  the other entities, each showing one remembered field; a command writes the field
//              back with the list-with-channel SET all these namespaces take.
// Only the climate's commands differ per model (kModels).

#include "mapping/families/thermostat.hpp"

#include <algorithm>
#include <cmath>

namespace meross::mapping::detail {
namespace thermostat {
namespace {

// --- namespaces -------------------------------------------------------------------------------

struct Namespace {
  std::string_view ns;
  std::string_view key;  // the payload key, case-sensitive (a wrong case answers [])
  bool poll;             // not pushed: GET at the slow interval (meross_lan polls these 300 s)
  bool read_back;        // GET after a SET: the SETACK does not carry the state
};

constexpr Namespace kNamespaces[] = {
    // Pushed on change and in the digest. Its SETACK is the whole channel object (§1.1).
    {"Appliance.Control.Thermostat.Mode", "mode", false, false},
    // May be acked without being applied (§1.1): read it back.
    {ns::kControlThermostatSummerMode, "summerMode", false, true},
    {"Appliance.Control.Thermostat.WindowOpened", "windowOpened", false, false},
    {"Appliance.Control.Thermostat.ModeB", "modeB", false, true},
    {"Appliance.Control.Thermostat.CtlRange", "ctlRange", true, false},
    {"Appliance.Control.Thermostat.ModeC", "control", false, true},
    {"Appliance.Control.Sensor.Latest", "latest", true, false},
    {"Appliance.Control.Thermostat.Calibration", "calibration", true, true},
    {"Appliance.Control.Thermostat.DeadZone", "deadZone", true, true},
    {"Appliance.Control.Thermostat.Frost", "frost", true, true},
    {"Appliance.Control.Thermostat.Overheat", "overheat", true, true},
    {"Appliance.Control.Thermostat.HoldAction", "holdAction", true, true},
    {"Appliance.Control.Screen.Brightness", "brightness", true, true},
    {"Appliance.Control.TempUnit", "tempUnit", true, true},
};

constexpr auto kOwned = [] {
  std::array<std::string_view, std::size(kNamespaces)> names{};
  for (std::size_t i = 0; i < names.size(); ++i)
    names[i] = kNamespaces[i].ns;
  return names;
}();

constexpr const Namespace* find_namespace(std::string_view key) {
  for (const Namespace& n : kNamespaces) {
    if (n.key == key) return &n;
  }
  return nullptr;
}

const Namespace& namespace_of(std::string_view key) {
  return *find_namespace(key);  // tables_agree() checked every key has one
}

// Every field names a namespace of kNamespaces.
constexpr bool fields_agree() {
  for (const Field& f : kFields) {
    if (!find_namespace(payload_key(f.name))) return false;
  }
  return true;
}
static_assert(fields_agree(), "thermostat fields name unknown namespaces");

constexpr int kMinCelsius = -100, kMaxCelsius = 200;
// Beyond any Tenths field's range; keeps the ×10 far from overflowing.
constexpr std::int64_t kMaxTenths = 1'000'000;

// Every Wi-Fi thermostat drives one channel, 0: the digest lists no other and the mts300 has
// none (§1). The profile keeps no thermostat channel list to learn more from.
constexpr int kChannels[] = {0};

bool is_channel(int channel) {
  return std::find(std::begin(kChannels), std::end(kChannels), channel) != std::end(kChannels);
}

// --- reading ----------------------------------------------------------------------------------

// In a list of samples, the newest (last) one that has `name`.
const JsonValue* last_with(const JsonValue& list, std::string_view name) {
  const JsonValue* found = nullptr;
  for (const auto& sample : list.GetArray()) {
    if (member(sample, name)) found = &sample;
  }
  return found;
}

// The member at `path` ("targetTemp.heat") of an item, nullptr when absent. An object on the way
// that is something else is an Error.
Result<const JsonValue*> resolve(const JsonValue& item, std::string_view path, std::string at) {
  const JsonValue* node = &item;
  while (node && !path.empty()) {
    const std::string_view name = path.substr(0, path.find('.'));
    path = path.size() > name.size() ? path.substr(name.size() + 1) : std::string_view{};
    if (node->IsArray()) node = last_with(*node, name);
    if (!node) break;
    if (!node->IsObject()) return wrong_type(at, "an object", *node);
    at += "." + std::string(name);
    node = member(*node, name);
  }
  return node;
}

// A number with at most one decimal ("12.5", 75.0, 100), ×10; nullopt for anything else.
std::optional<std::int64_t> tenths_of(const JsonValue& value) {
  if (!value.IsNumber()) {
    const auto whole = protocol::to_int(value);  // a decimal string, leniently
    if (whole && *whole > -kMaxTenths && *whole < kMaxTenths) return *whole * 10;
    return std::nullopt;
  }
  const double tenths = value.GetDouble() * 10;
  if (!std::isfinite(tenths) || std::fabs(tenths) >= kMaxTenths * 10.0 ||
      std::fabs(tenths - std::round(tenths)) > 1e-6) {
    return std::nullopt;
  }
  return std::llround(tenths);
}

// The field's value in device units (×10 for Tenths), nullopt when absent.
Result<std::optional<std::int64_t>> read_field(const JsonValue& item, const Field& f, int scale,
                                               const std::string& at) {
  const std::string path = at + "." + std::string(path_in_item(f.name));
  auto found = resolve(item, path_in_item(f.name), at);
  if (!found) return found.error();
  const JsonValue* value = *found;
  if (!value || value->IsNull()) return std::optional<std::int64_t>{};
  const auto number = f.kind == Kind::Tenths ? tenths_of(*value) : protocol::to_int(*value);
  if (!number) {
    return wrong_type(path, f.kind == Kind::Tenths ? "a number with one decimal" : "an integer",
                      *value);
  }
  const std::int64_t lo = f.kind == Kind::Temperature ? std::int64_t{kMinCelsius} * scale : f.lo;
  const std::int64_t hi = f.kind == Kind::Temperature ? std::int64_t{kMaxCelsius} * scale : f.hi;
  if (*number < lo || *number > hi) {
    return Error{path, "out of range " + std::to_string(lo) + ".." + std::to_string(hi)};
  }
  return number;
}

bool remember(DeviceState& s, int channel, std::string_view field, std::int64_t value) {
  const auto [it, inserted] = s.numbers.try_emplace(number_key(channel, field), value);
  if (inserted) return true;
  const bool changed = it->second != value;
  it->second = value;
  return changed;
}

// Publishes what depends on the fields a message carried, and only that: a partial PUSH
// updates only its own part.
void publish(const View& v, const std::vector<std::string_view>& present, StateBatch& out) {
  publish_climate(v, present, out);
  publish_settings(v, present, out);
}

// One channel's item: all its fields are checked before any is remembered, so a bad item
// changes nothing.
std::optional<Error> read_item(const DeviceProfile& p, DeviceState& s, const Model& m,
                               std::string_view key, const JsonValue& item, int channel,
                               const std::string& at, StateBatch& out) {
  std::vector<std::pair<const Field*, std::int64_t>> values;
  for (const Field& f : kFields) {
    if (payload_key(f.name) != key) continue;
    auto value = read_field(item, f, m.scale, at);
    if (!value) return value.error();
    if (*value) values.emplace_back(&f, **value);
  }
  std::vector<std::string_view> present;
  for (const auto& [f, value] : values) {
    if (remember(s, channel, f->name, value) && f->bound) out.entities_changed = true;
    present.push_back(f->name);
  }
  publish(View{p, s, m, channel}, present, out);
  return std::nullopt;
}

// A channel list (or one object) of namespace `key`. A bad item is left out (StateBatch::
// dropped) and the others read; a value that is no list or object at all is the Error.
std::optional<Error> read_items(const DeviceProfile& p, DeviceState& s, std::string_view key,
                                const JsonValue& items, const std::string& path, StateBatch& out) {
  const Model* m = model_of(p);
  if (!m) return std::nullopt;
  if (!items.IsObject() && !items.IsArray()) {
    return wrong_type(path, "an object or a list", items);
  }
  const auto read = [&](const JsonValue& item, const std::string& at) {
    if (!item.IsObject()) return out.dropped.push_back(wrong_type(at, "an object", item));
    const auto channel = channel_of(item);
    if (!channel || !is_channel(*channel)) return;
    if (auto bad = read_item(p, s, *m, key, item, *channel, at, out)) {
      out.dropped.push_back(std::move(*bad));
    }
  };
  if (items.IsObject()) {
    read(items, path);
    return std::nullopt;
  }
  rapidjson::SizeType index = 0;
  for (const auto& item : items.GetArray())
    read(item, path + "[" + std::to_string(index++) + "]");
  return std::nullopt;
}

std::optional<Error> thermostat_read(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                     const JsonValue& payload, const Context&, StateBatch& out) {
  for (const Namespace& n : kNamespaces) {
    if (n.ns != ns) continue;
    const JsonValue* items = member(payload, n.key);
    if (!items) return std::nullopt;  // SETACK {}
    return read_items(p, s, n.key, *items, std::string(n.key), out);
  }
  return std::nullopt;
}

// all.digest.thermostat: {"mode":[…],"summerMode":[…],"windowOpened":[…]} (mts200) or
// {"modeB":[…]} (mts960), each like its namespace's payload. The digest is one part of
// System.All: what is bad in it is left out, the rest of System.All still maps.
std::optional<Error> thermostat_digest(const DeviceProfile& p, DeviceState& s,
                                       const JsonValue& section, StateBatch& out) {
  const std::string path = "all.digest.thermostat";
  if (!section.IsObject()) {
    out.dropped.push_back(wrong_type(path, "an object", section));
    return std::nullopt;
  }
  for (const auto& m : section.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (!find_namespace(name)) continue;
    if (auto bad = read_items(p, s, name, m.value, path + "." + std::string(name), out)) {
      out.dropped.push_back(std::move(*bad));
    }
  }
  return std::nullopt;
}

// --- entities ---------------------------------------------------------------------------------

void thermostat_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  const Model* m = model_of(p);
  if (!m) return;
  for (int c : kChannels) {
    const View v{p, s, *m, c};
    out.push_back(climate_entity(v));
    setting_entities(v, out);
  }
}

// --- polls ------------------------------------------------------------------------------------

void thermostat_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (!model_of(p)) return;
  for (const Namespace& n : kNamespaces) {
    if (!n.poll || !p.has_ability(n.ns)) continue;
    for (int c : kChannels)
      out.push_back({PollKind::Slow, std::string(n.ns), list_payload(n.key, c, {})});
  }
}

// --- commands ---------------------------------------------------------------------------------

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Home Assistant sends numbers as text ("21.5", "-3", "12.5"): `text` in device units of
// 10^-decimals, exactly. More decimals than the device has are an Error, not a rounding.
Result<std::int64_t> parse_decimal(std::string_view text, int units) {
  const int decimals = units == 100 ? 2 : 1;
  text = trim(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || whole.size() > 9 || !all_digits(whole) ||
      !all_digits(fraction)) {
    return Error{"command", "expected a number"};
  }
  if (fraction.size() > static_cast<std::size_t>(decimals) &&
      fraction.find_first_not_of('0', static_cast<std::size_t>(decimals)) != std::string::npos) {
    return Error{"command", "the device takes at most " + std::to_string(decimals) + " decimal" +
                                (decimals > 1 ? "s" : "")};
  }
  std::int64_t value = 0;
  for (char ch : whole)
    value = value * 10 + (ch - '0');
  for (std::size_t i = 0; i < static_cast<std::size_t>(decimals); ++i)
    value = value * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return negative ? -value : value;
}

Result<std::vector<DeviceRequest>> thermostat_command(const DeviceProfile& p, const DeviceState& s,
                                                      std::string_view key,
                                                      std::string_view command) {
  if (const Model* m = model_of(p)) {
    for (int c : kChannels) {
      const View v{p, s, *m, c};
      const std::string climate = key_of("climate_", c) + "_";
      if (key.starts_with(climate)) return m->command(v, key.substr(climate.size()), command);
      if (auto setting = setting_command(v, key, command)) return std::move(*setting);
    }
  }
  return Error{"entity", "no thermostat entity '" + std::string(key) + "'"};
}

constexpr DigestSection kDigest[] = {{"thermostat", 0, thermostat_digest}};

}  // namespace

// --- shared with thermostat_climate.cpp and thermostat_settings.cpp ---------------------------

std::string number_key(int channel, std::string_view field) {
  return "thermostat." + std::to_string(channel) + "." + std::string(field);
}

Range stored_range(const View& v, std::string_view lo_field, std::string_view hi_field,
                   Range fallback) {
  if (lo_field.empty()) return fallback;
  const auto lo = v.get(lo_field), hi = v.get(hi_field);
  return lo && hi && *lo < *hi ? Range{*lo, *hi} : fallback;
}

std::optional<std::string> name_of(std::optional<std::int64_t> raw,
                                   std::span<const std::string_view> names, int first) {
  if (!raw || *raw < first || *raw - first >= static_cast<std::int64_t>(names.size())) {
    return std::nullopt;
  }
  const std::string_view name = names[static_cast<std::size_t>(*raw - first)];
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

bool carries(const std::vector<std::string_view>& present, std::span<const std::string_view> in) {
  return std::any_of(in.begin(), in.end(), [&](std::string_view field) {
    return !field.empty() && std::find(present.begin(), present.end(), field) != present.end();
  });
}

std::string_view namespace_for(std::string_view key) {
  return namespace_of(key).ns;
}

// {"<key>":[{"channel":c,<members>}]}: the list-with-channel shape of every thermostat GET and
// SET (§0 rules 1, 5). Member values are JSON text.
std::string list_payload(std::string_view outer, int channel, const Members& members) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, outer);
  w.StartArray();
  w.StartObject();
  key(w, "channel");
  w.Int(channel);
  for (const auto& [name, value] : members) {
    key(w, name);
    w.RawValue(value.data(), value.size(), rapidjson::kNumberType);
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

void Plan::set(std::string_view key, int channel, const Members& members) {
  const Namespace& n = namespace_of(key);
  sets.push_back({Method::Set, std::string(n.ns), list_payload(n.key, channel, members)});
  DeviceRequest get = get_request(std::string(n.ns), list_payload(n.key, channel, {}));
  if (n.read_back && std::find(gets.begin(), gets.end(), get) == gets.end()) {
    gets.push_back(std::move(get));
  }
}

std::vector<DeviceRequest> Plan::take() {
  for (auto& get : gets)
    sets.push_back(std::move(get));
  return std::move(sets);
}

Result<std::int64_t> parse_in_range(std::string_view text, int units, Range range) {
  auto raw = parse_decimal(text, units);
  if (raw && (*raw < range.lo || *raw > range.hi)) {
    return Error{"command", "out of range " + format_scaled(range.lo, units) + ".." +
                                format_scaled(range.hi, units)};
  }
  return raw;
}

Result<std::size_t> parse_choice(std::string_view text, std::span<const std::string_view> names) {
  text = trim(text);
  std::string expected;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) continue;
    if (names[i] == text) return i;
    expected += (expected.empty() ? "" : ", ") + std::string(names[i]);
  }
  return Error{"command", "expected one of " + expected};
}

std::string json_list(std::span<const std::string_view> names) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty() || names[i] == "none" ||
        std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
            names.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;
    }
    str(w, names[i]);
  }
  w.EndArray();
  return buffer.GetString();
}

}  // namespace thermostat

extern const Family thermostat_family;
const Family thermostat_family{
    .name = "thermostat",
    .entities = thermostat::thermostat_entities,
    .namespaces = thermostat::kOwned,
    .read = thermostat::thermostat_read,
    .digest = thermostat::kDigest,
    .polls = thermostat::thermostat_polls,
    .keyed_command = thermostat::thermostat_command,
};

}  // namespace meross::mapping::detail
