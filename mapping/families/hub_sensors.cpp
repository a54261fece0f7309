// Hub sensors (device-families.md §2.4–2.8): ms100 / ms130 temperature and humidity (ms130 also
// light, through the hub's Control.Sensor.LatestX), the ms100's Hub.Sensor.Adjust offsets,
// ms200 door/window and ms400 water leak binary_sensors, and the gs559 smoke alarm. The types
// differ in data (hub.cpp kTypes); each kind reads every message shape with the same code.

#include <algorithm>
#include <cmath>
#include <string>

#include "mapping/families/hub.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail::hub {
namespace {

constexpr int kHumidityDivisor = 10;  // every type: tenths of a percent
constexpr int kOffsetDivisor = 10;    // Hub.Sensor.Adjust: tenths

namespace ns = meross::protocol::ns;

struct Measurement {
  std::string_view suffix;
  std::string_view name;
  std::string_view device_class;
  std::string_view unit;
  int precision;
};
constexpr Measurement kTemperature{"temperature", "Temperature", "temperature", "°C", 1};
constexpr Measurement kHumidity{"humidity", "Humidity", "humidity", "%", 0};
constexpr Measurement kIlluminance{"illuminance", "Illuminance", "illuminance", "lx", 0};

// Hub.Sensor.Adjust (ms100): {"id":…,"temperature":0,"humidity":0}, tenths. A SET *adds* its
// value to the offset (meross_lan MLHubSensorAdjustNumber), so the offset is remembered under
// its field's name to turn a wanted offset into a delta.
struct Offset {
  std::string_view field;
  std::string_view suffix;
  std::string_view name;
  std::string_view device_class;
  std::string_view unit;
  double min, max, step;
};
constexpr Offset kOffsets[] = {
    // An offset: no device_class temperature, which Home Assistant would convert as a reading.
    {"temperature", "adjust_temperature", "Adjust temperature", "", "°C", -5, 5, 0.1},
    {"humidity", "adjust_humidity", "Adjust humidity", "humidity", "%", -20, 20, 1}};
std::string offset_memory(const Offset& offset) {
  return "adjust_" + std::string(offset.field);
}

// gs559 status codes (device-families.md §2.7; meross_lan GS559SubDevice): what each means, and
// the code a mute turns it into (0: nothing to mute).
struct SmokeStatus {
  std::int64_t code;
  std::string_view name;  // the enum sensor's state
  bool smoke, heat, problem, muted;
  std::int64_t mute_to;
};
constexpr std::int64_t kTestAlarm = 23;
constexpr SmokeStatus kSmokeStatuses[] = {
    {170, "ok", false, false, false, false, 0},
    {17, "error_temperature", false, false, true, false, 20},
    {18, "error_smoke", false, false, true, false, 21},
    {19, "error_battery", false, false, true, false, 22},
    {20, "error_temperature", false, false, true, true, 0},
    {21, "error_smoke", false, false, true, true, 0},
    {22, "error_battery", false, false, true, true, 0},
    {kTestAlarm, "alarm_test", false, false, false, false, 0},
    {24, "alarm_temperature_high", false, true, false, false, 26},
    {25, "alarm_smoke", true, false, false, false, 27},
    {26, "alarm_temperature_high", false, true, false, true, 0},
    {27, "alarm_smoke", true, false, false, true, 0},
};
const SmokeStatus* smoke_status(std::int64_t code) {
  const auto it = std::find_if(std::begin(kSmokeStatuses), std::end(kSmokeStatuses),
                               [&](const SmokeStatus& s) { return s.code == code; });
  return it == std::end(kSmokeStatuses) ? nullptr : &*it;
}

// The gs559's binary_sensors: which flag of its status each shows.
struct SmokeFlag {
  std::string_view suffix;
  std::optional<std::string_view> name;  // nullopt: the device's main entity
  std::string_view device_class;
  bool SmokeStatus::*flag;
};
constexpr SmokeFlag kSmokeFlags[] = {{"smoke", std::nullopt, "smoke", &SmokeStatus::smoke},
                                     {"heat", "Heat alarm", "heat", &SmokeStatus::heat},
                                     {"problem", "Fault", "problem", &SmokeStatus::problem},
                                     {"muted", "Muted", "", &SmokeStatus::muted}};

Entity sensor_entity(const SubDevice& sub, const Measurement& m) {
  Entity e;
  e.key = key(sub.id, m.suffix);
  e.component = Component::Sensor;
  e.name = std::string(m.name);
  e.device_class = m.device_class;
  e.unit = m.unit;
  e.state_class = "measurement";
  e.display_precision = m.precision;
  return e;
}

Entity binary_entity(const SubDevice& sub, std::string_view suffix,
                     std::optional<std::string_view> name, std::string_view device_class) {
  Entity e;
  e.key = key(sub.id, suffix);
  e.component = Component::BinarySensor;
  if (name) e.name = std::string(*name);
  e.device_class = device_class;
  return e;
}

Entity button_entity(const SubDevice& sub, std::string_view suffix, std::string name) {
  Entity e;
  e.key = key(sub.id, suffix);
  e.component = Component::Button;
  e.name = std::move(name);
  e.has_command = true;
  e.options = {{"payload_press", "\"PRESS\""}};
  return e;
}

std::string smoke_options() {
  protocol::JsonStringWriter w;
  w.StartArray();
  for (std::size_t i = 0; i < std::size(kSmokeStatuses); ++i) {
    const auto& s = kSmokeStatuses[i];
    // Muted codes share their name with the unmuted one: list each name once.
    if (std::none_of(kSmokeStatuses, kSmokeStatuses + i,
                     [&](const SmokeStatus& e) { return e.name == s.name; })) {
      w.string(s.name);
    }
  }
  w.EndArray();
  return w.take();
}

// `object.<field>` in `divisor`ths, published as the measurement.
void measure(Reader& r, const SubDevice& sub, const Measurement& m, const JsonValue& object,
             std::string_view field, int divisor, const std::string& path) {
  if (auto value = r.integer(object, field, path))
    r.publish(sub.id, m.suffix, scaled(*value, divisor));
}

// {"temperature":{"<inner>":…},"humidity":{"<inner>":…}} (Sensor.All "latest", Sensor.Latest
// "sample").
void nested_temp_hum(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view inner,
                     const std::string& path) {
  const TypeInfo& info = type_of(sub);
  if (const JsonValue* t = r.object(item, "temperature", path)) {
    measure(r, sub, kTemperature, *t, inner, info.temperature_divisor, path + ".temperature");
  }
  if (const JsonValue* h = r.object(item, "humidity", path)) {
    measure(r, sub, kHumidity, *h, inner, kHumidityDivisor, path + ".humidity");
  }
}

void smoke_state(Reader& r, const SubDevice& sub, std::int64_t code, const std::string& path) {
  const SmokeStatus* status = smoke_status(code);
  // A code no one knows could be an alarm: say so rather than show "no smoke".
  if (!status) return r.drop(path, "unknown smoke alarm status " + std::to_string(code));
  remember(r.state, sub.id, "status", code);
  for (const auto& flag : kSmokeFlags)
    r.publish(sub.id, flag.suffix, on_off(status->*flag.flag));
  r.publish(sub.id, "status", std::string(status->name));
}

// Contact and smoke: the state object's field (digest type object, Sensor.All member, an item of
// the type's own Hub.Sensor.* list).
void status_object(Reader& r, const SubDevice& sub, const JsonValue& object,
                   const std::string& path) {
  const TypeInfo& info = type_of(sub);
  const auto value = r.integer(object, info.field, path);
  if (!value) return;
  if (info.kind == Kind::Smoke)
    return smoke_state(r, sub, *value, path + "." + std::string(info.field));
  r.publish(sub.id, info.suffix, on_off(*value != 0));
}

const Offset* offset_for(std::string_view suffix) {
  for (const auto& offset : kOffsets) {
    if (offset.suffix == suffix) return &offset;
  }
  return nullptr;
}

}  // namespace

void sensor_entities(const DeviceProfile& p, const SubDevice& sub, std::vector<Entity>& out) {
  const TypeInfo& info = type_of(sub);
  switch (info.kind) {
    case Kind::TempHum:
      // Two readings of equal standing: each named, no main entity.
      out.push_back(sensor_entity(sub, kTemperature));
      out.push_back(sensor_entity(sub, kHumidity));
      if (info.illuminance && p.has_ability("Appliance.Control.Sensor.LatestX")) {
        out.push_back(sensor_entity(sub, kIlluminance));
      }
      if (info.adjustable && p.has_ability(std::string(ns::kHubSensorAdjust))) {
        for (const auto& o : kOffsets) {
          out.push_back(number_entity(sub, o.suffix, std::string(o.name), o.device_class, o.unit,
                                      o.min, o.max, o.step));
        }
      }
      break;
    case Kind::Contact:
      // What the sensor is for: shown under the device's own name.
      out.push_back(binary_entity(sub, info.suffix, std::nullopt, info.device_class));
      break;
    case Kind::Smoke: {
      for (const auto& flag : kSmokeFlags)
        out.push_back(binary_entity(sub, flag.suffix, flag.name, flag.device_class));
      Entity status;
      status.key = key(sub.id, "status");
      status.component = Component::Sensor;
      status.name = "Status";
      status.device_class = "enum";
      status.options = {{"options", smoke_options()}};
      out.push_back(std::move(status));
      if (p.has_ability(std::string(ns::kHubSensorSmoke))) {
        out.push_back(button_entity(sub, "mute", "Mute"));
        Entity test = button_entity(sub, "test", "Test");
        test.category = Category::Config;
        out.push_back(std::move(test));
      }
      break;
    }
    case Kind::Valve:
    case Kind::Generic:
      break;
  }
}

void sensor_digest(Reader& r, const SubDevice& sub, const JsonValue& type_object,
                   const std::string& path) {
  const TypeInfo& info = type_of(sub);
  if (info.kind != Kind::TempHum) return status_object(r, sub, type_object, path);
  measure(r, sub, kTemperature, type_object, info.digest_temperature, info.temperature_divisor,
          path);
  measure(r, sub, kHumidity, type_object, info.digest_humidity, kHumidityDivisor, path);
}

void sensor_all(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                const std::string& path) {
  const TypeInfo& info = type_of(sub);
  if (info.kind == Kind::Valve || !r.online_member(sub, item, path)) return;
  if (info.kind == Kind::TempHum) return nested_temp_hum(r, sub, item, "latest", path);
  if (info.object.empty()) return;
  if (const JsonValue* object = r.object(item, info.object, path)) {
    status_object(r, sub, *object, path + "." + std::string(info.object));
  }
}

void sensor_temphum(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                    const std::string& path) {
  const TypeInfo& info = type_of(sub);
  if (info.kind != Kind::TempHum) return;
  measure(r, sub, kTemperature, item, "latestTemperature", info.temperature_divisor, path);
  measure(r, sub, kHumidity, item, "latestHumidity", kHumidityDivisor, path);
}

void sensor_latest(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                   const std::string& path) {
  if (type_of(sub).kind == Kind::TempHum) nested_temp_hum(r, sub, item, "sample", path);
}

void sensor_adjust(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                   const std::string& path) {
  if (!type_of(sub).adjustable) return;
  for (const auto& offset : kOffsets) {
    const auto value = r.integer(item, offset.field, path);
    if (!value) continue;
    remember(r.state, sub.id, offset_memory(offset), *value);
    r.publish(sub.id, offset.suffix, scaled(*value, kOffsetDivisor));
  }
}

void sensor_status(Reader& r, const SubDevice& sub, const JsonValue& item,
                   std::string_view list_key, const std::string& path) {
  if (type_of(sub).object == list_key) status_object(r, sub, item, path);
}

void sensor_latestx(Reader& r, const SubDevice& sub, const JsonValue& item, std::string_view,
                    const std::string& path) {
  const TypeInfo& info = type_of(sub);
  if (!info.illuminance) return;
  const JsonValue* data = r.object(item, "data", path);
  if (!data) return;
  // {"light":[{"value":220,"timestamp":…}],"temp":[…],"humi":[…]}: the first sample is the
  // latest.
  const struct {
    std::string_view name;
    const Measurement& measurement;
    int divisor;
  } readings[] = {{"light", kIlluminance, 1},
                  {"temp", kTemperature, info.temperature_divisor},
                  {"humi", kHumidity, kHumidityDivisor}};
  for (const auto& reading : readings) {
    const JsonValue* samples = member(*data, reading.name);
    if (!samples) continue;
    const std::string sample_path = path + ".data." + std::string(reading.name);
    if (!samples->IsArray() || samples->Empty() || !(*samples)[0].IsObject()) {
      r.drop(sample_path, "expected a list of samples");
      continue;
    }
    measure(r, sub, reading.measurement, (*samples)[0], "value", reading.divisor,
            sample_path + "[0]");
  }
}

Result<std::vector<DeviceRequest>> sensor_command(const DeviceState& s, const SubDevice& sub,
                                                  std::string_view suffix,
                                                  std::string_view command) {
  const std::string_view id = sub.id;
  if (const Offset* offset = offset_for(suffix); offset && type_of(sub).adjustable) {
    auto wanted = parse_number(command, offset->min, offset->max);
    if (!wanted) return wanted.error();
    const auto current = recall(s, id, offset_memory(*offset));
    // A SET adds to the offset: without the current one the result would be a guess.
    if (!current) {
      return Error{"command", "the current offset is not known yet (Hub.Sensor.Adjust)"};
    }
    const std::int64_t delta = std::llround(*wanted * kOffsetDivisor) - *current;
    return std::vector<DeviceRequest>{
        hub_set(ns::kHubSensorAdjust, "adjust", id, offset->field, delta),
        hub_get(ns::kHubSensorAdjust, "adjust", id)};
  }
  if (type_of(sub).kind == Kind::Smoke && (suffix == "mute" || suffix == "test")) {
    if (trim(command) != "PRESS") return Error{"command", "expected PRESS"};
    std::int64_t status = kTestAlarm;
    if (suffix == "mute") {
      const auto code = recall(s, id, "status");
      const SmokeStatus* current = code ? smoke_status(*code) : nullptr;
      if (!current || current->mute_to == 0) {
        return Error{"command", "nothing to mute (status " +
                                    std::string(current ? current->name : "unknown") + ")"};
      }
      status = current->mute_to;
    }
    return std::vector<DeviceRequest>{
        hub_set(ns::kHubSensorSmoke, "smokeAlarm", id, "status", status),
        hub_get(ns::kHubSensorSmoke, "smokeAlarm", id)};
  }
  return Error{"entity", "no commandable entity '" + key(id, suffix) + "'"};
}

}  // namespace meross::mapping::detail::hub
