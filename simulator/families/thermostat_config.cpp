// The thermostats' config namespaces (device-families.md §1.2, §1.3, §7.2): lists of channel
// objects, one per thermostat channel, seeded from the trace (digest, else recorded GETACK items)
// or from the defaults below (mts200 in 0.1 °C, mts960/mts300 in 0.01 °C). GET needs the
// list-with-channel shape; a SET is validated whole, answered `{}` (as meross_lan's emulator
// does) and followed by a PUSH of the changed channels. PhysicalLock and Alarm are read with a
// PUSH query only: their GET is never answered (the mts200b trace shows the connection dropped).
// This family also writes the shared "thermostat" section into the `state` JSON.

#include <array>
#include <iterator>

#include "protocol/namespaces.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

using thermostat::Field;
using Kind = thermostat::Field::Kind;

struct ConfigNamespace {
  std::string_view ns;
  std::string_view key;
  std::string_view tenths;        // default item (no channel) on 0.1 °C thermostats; "" = none
  std::string_view hundredths;    // … on 0.01 °C ones
  std::span<const Field> fields;  // what a SET may change; none: read-only (SET → ERROR)
  bool get = true;                // false: PUSH query only
};

constexpr Field kValue[] = {{"value", Kind::Bounded}};
constexpr Field kCalibration[] = {{"value", Kind::Bounded}, {"humiValue", Kind::Int, -200, 200}};
constexpr Field kFrost[] = {{"value", Kind::Bounded}, {"onoff", Kind::Int, 0, 1}};
constexpr Field kHold[] = {{"mode", Kind::Int, 0, 2}, {"time", Kind::Int, 0, 100'000}};
constexpr Field kSensor[] = {{"mode", Kind::Int, 0, 1}};
constexpr Field kBrightness[] = {{"operation", Kind::Number, 0, 100},
                                 {"standby", Kind::Number, 0, 100}};
constexpr Field kOnoff[] = {{"onoff", Kind::Int, 0, 1}};
constexpr Field kTempUnit[] = {{"tempUnit", Kind::Int, 1, 2}};
constexpr Field kTimer[] = {{"type", Kind::Int, 1, 2},
                            {"down", Kind::Object, 0, 4'000'000'000},
                            {"cycle", Kind::Object, 0, 4'000'000'000}};

namespace ns = meross::protocol::ns;

constexpr ConfigNamespace kConfig[] = {
    {"Appliance.Control.Thermostat.Calibration", "calibration",
     R"({"value":0,"min":-80,"max":80,"lmTime":0})", R"({"value":0,"min":-2000,"max":2000})",
     kCalibration},
    {"Appliance.Control.Thermostat.DeadZone", "deadZone", R"({"value":5,"min":5,"max":35})",
     R"({"value":100,"min":50,"max":2000})", kValue},
    {"Appliance.Control.Thermostat.Frost", "frost",
     R"({"onoff":1,"value":50,"min":50,"max":150,"warning":0})",
     R"({"onoff":1,"value":500,"min":500,"max":1500,"warning":0})", kFrost},
    {"Appliance.Control.Thermostat.Overheat", "overheat",
     R"({"warning":0,"value":335,"onoff":1,"min":200,"max":700,"lmTime":0,"currentTemp":355})", "",
     kFrost},
    {"Appliance.Control.Thermostat.HoldAction", "holdAction", R"({"mode":0})", R"({"mode":0})",
     kHold},
    {"Appliance.Control.Thermostat.Sensor", "sensor", R"({"mode":0})", "", kSensor},
    {"Appliance.Control.Screen.Brightness", "brightness", R"({"operation":100,"standby":12.5})",
     R"({"operation":100,"standby":12.5,"standbyView":1})", kBrightness},
    {ns::kControlPhysicalLock, "lock", R"({"onoff":0})", R"({"onoff":0})", kOnoff, false},
    {"Appliance.Control.TempUnit", "tempUnit", R"({"tempUnit":1})", R"({"tempUnit":1})", kTempUnit},
    {"Appliance.Control.Sensor.Latest",
     "latest",
     R"({"value":[{"humi":500,"timestamp":0}],"capacity":2})",
     "",
     {}},
    {"Appliance.Control.Thermostat.Timer", "timer", "",
     R"({"type":1,"down":{"duration":60,"end":0,"onoff":1}})", kTimer},
    {"Appliance.Control.Thermostat.CtlRange",
     "ctlRange",
     "",
     R"({"max":11000,"min":-3000,"ctlMax":5000,"ctlMin":0})",
     {}},
    {"Appliance.Control.Thermostat.Alarm",
     "alarm",
     R"({"temp":0,"type":0})",
     R"({"temp":0,"type":0})",
     {},
     false},
};

const ConfigNamespace* config_of(std::string_view ns) {
  for (const auto& c : kConfig) {
    if (c.ns == ns) return &c;
  }
  return nullptr;
}

void seed(Context& ctx) {
  std::vector<std::int64_t> channels = thermostat::channels(ctx.view());
  // A child lock on a device that is no thermostat (map100): channel 0.
  const bool thermostat = !channels.empty();
  if (!thermostat && ctx.has(ns::kControlPhysicalLock)) channels.push_back(0);
  const bool tenths = thermostat::scale(ctx.view()) == 10;
  for (const auto& c : kConfig) {
    if (!ctx.has(c.ns) || (!thermostat && c.ns != ns::kControlPhysicalLock)) continue;
    if (thermostat::seed_from_trace(ctx, c.ns, c.key)) continue;
    const std::string_view defaults = tenths ? c.tenths : c.hundredths;
    if (defaults.empty()) continue;
    JsonValue& out = thermostat::make_list(ctx, c.key);
    for (std::int64_t channel : channels) {
      auto item = parse_object(defaults);
      if (!item) continue;
      // Channel first, as firmware writes it.
      JsonValue entry(rapidjson::kObjectType);
      entry.AddMember("channel", channel, ctx.alloc());
      for (auto& m : item->GetObject()) {
        entry.AddMember(copy_of(m.name, ctx.alloc()), copy_of(m.value, ctx.alloc()), ctx.alloc());
      }
      if (JsonValue* stamp = member(entry, "lmTime")) stamp->SetInt64(ctx.now_s());
      out.PushBack(entry, ctx.alloc());
    }
  }
  // The alarm reports the room temperature (mts960); humidity samples carry their time.
  if (JsonValue* latest = thermostat::list(ctx, "latest")) {
    for (auto& item : latest->GetArray()) {
      JsonValue* samples = member(item, "value");
      if (!samples || !samples->IsArray()) continue;
      for (auto& sample : samples->GetArray()) {
        if (JsonValue* t = member(sample, "timestamp"); t && int_of(sample, "timestamp") == 0) {
          t->SetInt64(ctx.now_s());
        }
      }
    }
  }
  if (JsonValue* alarm = thermostat::list(ctx, "alarm")) {
    const JsonValue* modes = thermostat::list(ctx, "modeB");
    for (auto& item : alarm->GetArray()) {
      const JsonValue* m = modes ? find_channel(*modes, int_of(item, "channel")) : nullptr;
      if (m) set_int(item, "temp", int_of(*m, "currentTemp"), ctx.alloc());
    }
  }
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  const ConfigNamespace* c = config_of(ns);
  if (c && method == Method::Get && !c->get) {
    ctx.warning = "GET " + std::string(ns) +
                  " is never answered by firmware (read it with a PUSH query): ignored";
    return std::nullopt;
  }
  if (!c || !thermostat::list(ctx, c->key)) return recorded_answer(ctx, method, ns, payload);
  switch (method) {
    case Method::Get:
      return thermostat::get(ctx.view(), c->key, payload);
    case Method::Push:
      return thermostat::push_query(ctx.view(), c->key, payload);
    case Method::Set: {
      if (c->fields.empty()) return error_answer(5000, "not supported");
      auto changed = thermostat::changes(ctx, c->key, payload, c->fields);
      if (!changed) return bad_payload();
      for (const auto& change : *changed) {
        thermostat::apply(ctx, *change.live, *change.request, c->fields);
        if (JsonValue* stamp = member(*change.live, "lmTime")) stamp->SetInt64(ctx.now_s());
      }
      ctx.push(ns, thermostat::payload_of(c->key, *changed));
      return Answer{Method::SetAck, "{}"};
    }
    default:
      return std::nullopt;
  }
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* section = view.section("thermostat")) {
    write_member(w, "thermostat", *section);
  }
}

constexpr auto kNamespaces = [] {
  std::array<std::string_view, std::size(kConfig)> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = kConfig[i].ns;
  return out;
}();

}  // namespace

extern const Family thermostat_config_family{
    .name = "thermostat_config",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .summary = summary,
};

}  // namespace meross::sim::detail
