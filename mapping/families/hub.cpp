// The hub family (msh300 / msh300hk, device-families.md §2, meross-protocol.md §5.13): the
// sub-devices behind a hub, each its own Home Assistant device (Entity::sub_device). This file
// keeps the sub-device list from the digest (System.All digest.hub, Appliance.Digest.Hub), their
// availability and battery, dispatches the Hub.* lists by id to the kinds (hub_valve.cpp,
// hub_sensors.cpp), and says what to poll. See hub.hpp for the layout.

#include "mapping/families/hub.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "protocol/json_writer.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace hub {
namespace {

// The ms100's data, under its own tag and under the ms100F's.
constexpr TypeInfo ms100(std::string_view tag, std::string_view model) {
  return {.tag = tag,
          .model = model,
          .kind = Kind::TempHum,
          .temperature_divisor = 10,
          .digest_temperature = "latestTemperature",
          .digest_humidity = "latestHumidity",
          .adjustable = true};
}

// A contact sensor: one binary_sensor from `field` of the object named like its tag.
constexpr TypeInfo contact(std::string_view tag, std::string_view model, std::string_view field,
                           std::string_view suffix, std::string_view device_class) {
  return {.tag = tag,
          .model = model,
          .kind = Kind::Contact,
          .object = tag,
          .field = field,
          .suffix = suffix,
          .device_class = device_class};
}

// Digest type tags (device-families.md §2.1). Valves differ only in name; the sensors in data.
constexpr TypeInfo kTypes[] = {
    {.tag = "mts100", .model = "MTS100", .kind = Kind::Valve},
    {.tag = "mts100v3", .model = "MTS100V3", .kind = Kind::Valve},
    {.tag = "mts150", .model = "MTS150", .kind = Kind::Valve},
    {.tag = "mts150p", .model = "MTS150P", .kind = Kind::Valve},
    ms100("ms100", "MS100"),
    // The ms100F as meross_lan expects it (meross_lan#303); no trace confirms it.
    ms100("tempHum", "MS100F"),
    // ms130: hundredths of a degree, tenths of a percent (§2.5).
    {.tag = "tempHumi",
     .model = "MS130",
     .kind = Kind::TempHum,
     .temperature_divisor = 100,
     .digest_temperature = "temp",
     .digest_humidity = "humi",
     .illuminance = true},
    // The "window" class is meross_lan's, so its users find the same sensor; HA lets each user
    // show it as a door instead ("Show as"), which is not possible the other way round for a
    // "door" default on the windows most of these sit on.
    contact("doorWindow", "MS200", "status", "window", "window"),
    // ms400, from meross_lan's code only (no trace): 1 = water detected.
    contact("waterLeak", "MS400", "latestWaterLeak", "leak", "moisture"),
    {.tag = "smokeAlarm",
     .model = "GS559",
     .kind = Kind::Smoke,
     .object = "smokeAlarm",
     .field = "status"},
};
constexpr TypeInfo kGeneric{};

// Longer ids would be no real device; letters and digits keep keys and topics safe ('_' ends
// the id inside an entity key).
bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
}

std::string memory_key(std::string_view id, std::string_view field) {
  std::string k("hub.");
  k.append(id).append(".").append(field);
  return k;
}

void forget(DeviceState& s, std::string_view id) {
  const std::string prefix = memory_key(id, "");
  auto it = s.numbers.lower_bound(prefix);
  while (it != s.numbers.end() && it->first.starts_with(prefix))
    it = s.numbers.erase(it);
}

const SubDevice* find_sub(const DeviceState& s, std::string_view id) {
  const auto it = std::find_if(s.sub_devices.begin(), s.sub_devices.end(),
                               [&](const SubDevice& sub) { return sub.id == id; });
  return it == s.sub_devices.end() ? nullptr : &*it;
}

std::string capitals(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The type object of a digest item: its only object-valued member (§2.1). Should a firmware add
// another object, a known tag wins.
std::pair<std::string_view, const JsonValue*> type_object_of(const JsonValue& item) {
  std::pair<std::string_view, const JsonValue*> found{"", nullptr};
  for (const auto& m : item.GetObject()) {
    if (!m.value.IsObject()) continue;
    const std::string_view tag(m.name.GetString(), m.name.GetStringLength());
    if (!found.second ||
        (type_info(found.first).kind == Kind::Generic && type_info(tag).kind != Kind::Generic)) {
      found = {tag, &m.value};
    }
  }
  return found;
}

// digest.hub (System.All) or the payload's "hub" (Appliance.Digest.Hub): the sub-device list,
// then each one's availability and the states its digest item carries. A bad item is left out
// (StateBatch::dropped); the others stay.
void read_hub(Reader& r, const JsonValue& hub, const std::string& path) {
  if (!hub.IsObject()) return r.drop(path, "expected an object");
  const JsonValue* list = member(hub, "subdevice");
  if (!list) return;  // says nothing about sub-devices: keep them
  if (!list->IsArray()) return r.drop(path + ".subdevice", "expected a list");
  DeviceState& s = r.state;
  std::vector<SubDevice> found;
  struct Source {
    const JsonValue* item;
    const JsonValue* type_object;
    std::string path;
  };
  std::vector<Source> sources;
  rapidjson::SizeType index = 0;
  for (const auto& item : list->GetArray()) {
    const std::string item_path = path + ".subdevice[" + std::to_string(index++) + "]";
    if (!item.IsObject()) {
      r.drop(item_path, "expected an object");
      continue;
    }
    const auto id = protocol::string_member(item, "id");
    if (!id || !valid_id(*id)) {
      r.drop(item_path + ".id", "expected a sub-device id (letters and digits)");
      continue;
    }
    if (std::any_of(found.begin(), found.end(), [&](const SubDevice& f) { return f.id == *id; })) {
      // Seen in a real digest (msh300hk.csv): the first one is the device.
      r.drop(item_path + ".id", "sub-device " + std::string(*id) + " listed twice: kept the first");
      continue;
    }
    const auto [tag, type_object] = type_object_of(item);
    SubDevice sub{std::string(*id), std::string(tag), ""};
    if (type_object) {
      const TypeInfo& info = type_info(tag);
      sub.model = info.model.empty() ? capitals(tag) : std::string(info.model);
    } else if (const SubDevice* known = find_sub(s, *id)) {
      // Offline sub-devices come without their type object: they stay what they were.
      sub = *known;
    } else {
      // Not seen before and offline: kept (not forgotten, so its documents are not removed
      // while it is away) as a generic sub-device until it reports its type.
      sub.model = "Unknown";
    }
    found.push_back(std::move(sub));
    sources.push_back({&item, type_object, item_path});
  }
  for (const auto& old : s.sub_devices) {
    if (!std::any_of(found.begin(), found.end(),
                     [&](const SubDevice& f) { return f.id == old.id; })) {
      forget(s, old.id);
    }
  }
  if (found != s.sub_devices) {
    s.sub_devices = std::move(found);
    r.out.entities_changed = true;
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const SubDevice& sub = s.sub_devices[i];
    const Source& source = sources[i];
    if (auto status = r.integer(*source.item, "status", source.path)) r.availability(sub, *status);
    // An offline sub-device's values are the last it sent: not current.
    if (!source.type_object || !is_online(s, sub)) continue;
    const std::string type_path = source.path + "." + sub.type;
    switch (type_of(sub).kind) {
      case Kind::Valve:
        valve_digest(r, sub, *source.item, *source.type_object, type_path);
        break;
      case Kind::TempHum:
      case Kind::Contact:
      case Kind::Smoke:
        sensor_digest(r, sub, *source.type_object, type_path);
        break;
      case Kind::Generic:
        break;
    }
  }
}

void online_item(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                 const std::string& path) {
  if (auto status = r.integer(item, "status", path)) r.availability(sub, *status);
}

void battery_item(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                  const std::string& path) {
  const auto value = r.integer(item, "value", path);
  if (!value) return;
  if (*value < 0 || *value > 100) return r.drop(path + ".value", "out of range 0..100");
  // The hub answers for offline sub-devices too, with what it last heard.
  if (is_online(r.state, sub)) r.publish(sub.id, "battery", std::to_string(*value));
}

// A Hub.* list (or the hub's Control.Sensor.LatestX): items by id, each to its kind's reader.
struct ListReader {
  std::string_view ns;
  std::string_view list_key;
  ItemReader read;
  std::string_view id_key = "id";
};
constexpr ListReader kLists[] = {
    {"Appliance.Hub.Online", "online", online_item},
    {"Appliance.Hub.Battery", "battery", battery_item},
    {"Appliance.Hub.ToggleX", "togglex", valve_togglex},
    {"Appliance.Hub.Mts100.All", "all", valve_all},
    {"Appliance.Hub.Mts100.Temperature", "temperature", valve_temperature},
    {"Appliance.Hub.Mts100.Mode", "mode", valve_mode},
    {"Appliance.Hub.Mts100.Adjust", "adjust", valve_adjust},
    {"Appliance.Hub.Sensor.All", "all", sensor_all},
    {"Appliance.Hub.Sensor.TempHum", "tempHum", sensor_temphum},
    {"Appliance.Hub.Sensor.Latest", "latest", sensor_latest},
    {"Appliance.Hub.Sensor.Adjust", "adjust", sensor_adjust},
    {"Appliance.Hub.Sensor.DoorWindow", "doorWindow", sensor_status},
    {"Appliance.Hub.Sensor.Smoke", "smokeAlarm", sensor_status},
    {"Appliance.Hub.Sensor.WaterLeak", "waterLeak", sensor_status},
    // ms130 light level (§2.5). Other devices' LatestX items (ms600) carry no subId: ignored.
    {"Appliance.Control.Sensor.LatestX", "latest", sensor_latestx, "subId"},
};
namespace ns = meross::protocol::ns;

constexpr auto kNamespaces = [] {
  std::array<std::string_view, std::size(kLists) + 1> names{};
  for (std::size_t i = 0; i < std::size(kLists); ++i)
    names[i] = kLists[i].ns;
  names.back() = ns::kDigestHub;
  return names;
}();

std::optional<Error> read_list(const ListReader& list_reader, Reader& r, const JsonValue& payload) {
  const JsonValue* list = member(payload, list_reader.list_key);
  // A SETACK ({}) carries nothing; before the first digest no id means anything (the digest,
  // polled, comes soon).
  if (!list || r.state.sub_devices.empty()) return std::nullopt;
  const std::string key_path(list_reader.list_key);
  if (!list->IsArray() && !list->IsObject()) return wrong_type(key_path, "a list", *list);
  const auto read_item = [&](const JsonValue& item, const std::string& path) {
    if (!item.IsObject()) return r.drop(path, "expected an object");
    const JsonValue* id = member(item, list_reader.id_key);
    if (!id) {
      if (list_reader.id_key == "id") r.drop(path + ".id", "missing");
      return;
    }
    if (!id->IsString()) {
      return r.drop(path + "." + std::string(list_reader.id_key), "expected a string");
    }
    // An id the digest did not list is learned from the next digest (polled): until then its
    // values have no entity.
    const SubDevice* sub =
        find_sub(r.state, std::string_view(id->GetString(), id->GetStringLength()));
    if (sub) list_reader.read(r, *sub, item, list_reader.list_key, path);
  };
  if (list->IsObject()) {
    read_item(*list, key_path);
    return std::nullopt;
  }
  rapidjson::SizeType index = 0;
  for (const auto& item : list->GetArray())
    read_item(item, key_path + "[" + std::to_string(index++) + "]");
  return std::nullopt;
}

std::optional<Error> hub_read(const DeviceProfile&, DeviceState& s, std::string_view ns,
                              const JsonValue& payload, const Context&, StateBatch& out) {
  Reader r{s, out};
  if (ns == ns::kDigestHub) {
    if (const JsonValue* hub = member(payload, "hub")) read_hub(r, *hub, "hub");
    return std::nullopt;
  }
  for (const auto& list_reader : kLists) {
    if (list_reader.ns == ns) return read_list(list_reader, r, payload);
  }
  return std::nullopt;
}

Entity battery_entity(const SubDevice& sub) {
  Entity e;
  e.key = key(sub.id, "battery");
  e.component = Component::Sensor;
  e.name = "Battery";
  e.device_class = "battery";
  e.unit = "%";
  e.state_class = "measurement";
  e.category = Category::Diagnostic;
  e.display_precision = 0;
  return e;
}

void hub_entities(const DeviceProfile& p, const DeviceState& s, std::vector<Entity>& out) {
  for (const auto& sub : s.sub_devices) {
    const std::size_t first = out.size();
    switch (type_of(sub).kind) {
      case Kind::Valve:
        valve_entities(s, sub, out);
        break;
      case Kind::TempHum:
      case Kind::Contact:
      case Kind::Smoke:
        sensor_entities(p, sub, out);
        break;
      case Kind::Generic:
        break;
    }
    out.push_back(battery_entity(sub));
    for (std::size_t i = first; i < out.size(); ++i)
      out[i].sub_device = sub.id;
  }
}

// meross_lan queries at most 8 sub-devices per request: bigger answers overflow on large hubs
// (meross_lan#244, device-families.md §2.9).
constexpr std::size_t kChunk = 8;

// GETs of `ns` naming the ids in chunks: {"<list_key>":[{"<id_key>":"…"},…]}; `extra` writes
// further members of each entry.
void chunked(std::vector<Poll>& out, std::string_view ns, std::string_view list_key,
             const std::vector<std::string_view>& ids, std::string_view id_key = "id",
             void (*extra)(protocol::JsonStringWriter&) = nullptr) {
  for (std::size_t start = 0; start < ids.size(); start += kChunk) {
    protocol::JsonStringWriter w;
    w.StartObject();
    w.key(list_key);
    w.StartArray();
    for (std::size_t i = start; i < std::min(ids.size(), start + kChunk); ++i) {
      w.StartObject();
      w.key(id_key);
      w.string(ids[i]);
      if (extra) extra(w);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    out.push_back({PollKind::Slow, std::string(ns), w.take()});
  }
}

// Control.Sensor.LatestX must name the data wanted, by channel; {"latestx":…} is refused (§2.5).
void latestx_request(protocol::JsonStringWriter& w) {
  w.key("channel");
  w.Int(0);
  w.key("data");
  w.StartArray();
  for (std::string_view d : {"light", "temp", "humi"})
    w.string(d);
  w.EndArray();
}

bool is_hub(const DeviceProfile& p) {
  return p.has_ability("Appliance.Digest.Hub") || p.has_ability("Appliance.Hub.Online") ||
         p.has_ability("Appliance.Hub.SubdeviceList");
}

// What does not PUSH, at meross_lan's cadence for MQTT (device-families.md §2.3–2.5): the per
// sub-device states slowly, chunked, and only for sub-devices not known to be offline. The
// bridge has no hourly poll kind: the battery (meross_lan: hourly) is read at the slow interval.
// Never the requests that drop the connection (Hub.SubdeviceList / Exception / Report GET).
void hub_polls(const DeviceProfile& p, const DeviceState& s, std::vector<Poll>& out) {
  if (!is_hub(p)) return;
  // Sub-devices paired or removed later, and the online status of each: the digest, read again
  // (the bridge reads System.All on its own only after silence, which a busy hub never has).
  if (p.has_ability(ns::kDigestHub)) {
    out.push_back({PollKind::Slow, std::string(ns::kDigestHub), R"({"hub":{}})"});
  } else {
    out.push_back({PollKind::Slow, "Appliance.System.All", R"({"all":{}})"});
  }
  std::vector<std::string_view> valves, sensors, adjustable, lit;
  for (const auto& sub : s.sub_devices) {
    if (!is_online(s, sub)) continue;
    const TypeInfo& info = type_of(sub);
    (info.kind == Kind::Valve ? valves : sensors).push_back(sub.id);
    if (info.adjustable) adjustable.push_back(sub.id);
    if (info.illuminance) lit.push_back(sub.id);
  }
  if (valves.empty() && sensors.empty()) return;
  if (p.has_ability("Appliance.Hub.Battery")) {
    // One short answer for the whole hub.
    out.push_back({PollKind::Slow, "Appliance.Hub.Battery", R"({"battery":[]})"});
  }
  const auto ability = [&](std::string_view ns) { return p.has_ability(std::string(ns)); };
  if (ability("Appliance.Hub.Mts100.All")) chunked(out, "Appliance.Hub.Mts100.All", "all", valves);
  if (ability("Appliance.Hub.Mts100.Adjust")) {
    chunked(out, "Appliance.Hub.Mts100.Adjust", "adjust", valves);
  }
  if (ability("Appliance.Hub.Sensor.All")) chunked(out, "Appliance.Hub.Sensor.All", "all", sensors);
  if (ability("Appliance.Hub.Sensor.Adjust")) {
    chunked(out, "Appliance.Hub.Sensor.Adjust", "adjust", adjustable);
  }
  if (ability("Appliance.Control.Sensor.LatestX")) {
    chunked(out, "Appliance.Control.Sensor.LatestX", "latest", lit, "subId", latestx_request);
  }
}

Result<std::vector<DeviceRequest>> hub_command(const DeviceProfile&, const DeviceState& s,
                                               std::string_view entity_key,
                                               std::string_view command) {
  const auto underscore = entity_key.find('_');
  const SubDevice* sub = underscore == std::string_view::npos
                             ? nullptr
                             : find_sub(s, entity_key.substr(0, underscore));
  if (!sub) return Error{"entity", "no sub-device for '" + std::string(entity_key) + "'"};
  const std::string_view suffix = entity_key.substr(underscore + 1);
  switch (type_of(*sub).kind) {
    case Kind::Valve:
      return valve_command(s, *sub, suffix, command);
    case Kind::TempHum:
    case Kind::Smoke:
      return sensor_command(s, *sub, suffix, command);
    case Kind::Contact:
    case Kind::Generic:
      break;
  }
  return Error{"entity", "no commandable entity '" + std::string(entity_key) + "'"};
}

constexpr DigestSection kDigest[] = {
    {"hub", 0,
     [](const DeviceProfile&, DeviceState& s, const JsonValue& section,
        StateBatch& out) -> std::optional<Error> {
       Reader r{s, out};
       read_hub(r, section, "all.digest.hub");
       return std::nullopt;
     }}};

}  // namespace

const TypeInfo& type_info(std::string_view tag) {
  for (const auto& info : kTypes) {
    if (info.tag == tag) return info;
  }
  return kGeneric;
}

std::string key(std::string_view id, std::string_view suffix) {
  std::string k(id);
  k.append("_").append(suffix);
  return k;
}

std::optional<std::int64_t> recall(const DeviceState& s, std::string_view id,
                                   std::string_view field) {
  const auto it = s.numbers.find(memory_key(id, field));
  if (it == s.numbers.end()) return std::nullopt;
  return it->second;
}

void remember(DeviceState& s, std::string_view id, std::string_view field, std::int64_t value) {
  s.numbers[memory_key(id, field)] = value;
}

std::string scaled(std::int64_t value, int divisor) {
  if (divisor == 10 || divisor == 1000) return format_scaled(value, divisor);
  return format_number(static_cast<double>(value) / divisor);
}

bool is_online(const DeviceState& s, const SubDevice& sub) {
  return recall(s, sub.id, "online").value_or(1) != 0;
}

void Reader::drop(std::string path, std::string why) {
  out.dropped.push_back(Error{std::move(path), std::move(why)});
}

void Reader::publish(std::string_view id, std::string_view suffix, std::string payload) {
  out.updates.push_back({key(id, suffix), std::move(payload)});
}

std::optional<std::int64_t> Reader::integer(const JsonValue& object, std::string_view name,
                                            const std::string& path) {
  auto value = optional_int(object, name, path);
  if (!value) {
    drop(value.error().field, value.error().message);
    return std::nullopt;
  }
  return *value;
}

const JsonValue* Reader::object(const JsonValue& parent, std::string_view name,
                                const std::string& path) {
  const JsonValue* value = member(parent, name);
  if (!value || value->IsObject()) return value;
  const Error e = wrong_type(path + "." + std::string(name), "an object", *value);
  drop(e.field, e.message);
  return nullptr;
}

void Reader::availability(const SubDevice& sub, std::int64_t status) {
  const bool online = status == 1;
  // The polls name only sub-devices not known to be offline: a change restarts them.
  if (online != is_online(state, sub)) out.entities_changed = true;
  remember(state, sub.id, "online", online ? 1 : 0);
  out.updates.push_back({sub_device_availability_key(sub.id), online ? "online" : "offline"});
}

bool Reader::online_member(const SubDevice& sub, const JsonValue& item, const std::string& path) {
  if (const JsonValue* online = object(item, "online", path)) {
    if (auto status = integer(*online, "status", path + ".online")) availability(sub, *status);
  }
  return is_online(state, sub);
}

namespace {

// {"<list_key>":[{"id":"<id>"}]}, with "<field>":<value> in the item when a field is given.
std::string one_item(std::string_view list_key, std::string_view id, std::string_view field = {},
                     std::int64_t value = 0) {
  protocol::JsonStringWriter w;
  w.StartObject();
  w.key(list_key);
  w.StartArray();
  w.StartObject();
  w.key("id");
  w.string(id);
  if (!field.empty()) {
    w.key(field);
    w.Int64(value);
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return w.take();
}

}  // namespace

DeviceRequest hub_set(std::string_view ns, std::string_view list_key, std::string_view id,
                      std::string_view field, std::int64_t value) {
  return DeviceRequest{Method::Set, std::string(ns), one_item(list_key, id, field, value)};
}

DeviceRequest hub_get(std::string_view ns, std::string_view list_key, std::string_view id) {
  return get_request(std::string(ns), one_item(list_key, id));
}

Entity number_entity(const SubDevice& sub, std::string_view suffix, std::string name,
                     std::string_view device_class, std::string_view unit, double min, double max,
                     double step) {
  Entity e;
  e.key = key(sub.id, suffix);
  e.component = Component::Number;
  e.name = std::move(name);
  e.device_class = device_class;
  e.unit = unit;
  e.category = Category::Config;
  e.has_command = true;
  e.options = {{"min", format_number(min)},
               {"max", format_number(max)},
               {"step", format_number(step)},
               {"mode", "\"box\""}};
  return e;
}

}  // namespace hub

extern const Family hub_family;
const Family hub_family{
    .name = "hub",
    .entities = hub::hub_entities,
    .namespaces = hub::kNamespaces,
    .read = hub::hub_read,
    .digest = hub::kDigest,
    .polls = hub::hub_polls,
    .keyed_command = hub::hub_command,
};

}  // namespace meross::mapping::detail
