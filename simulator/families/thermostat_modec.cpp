// mts300 HVAC thermostat (device-families.md §1.4): Thermostat.ModeC, key "control", 0.01 °C.
// No digest: the ability alone says the device has channel 0. SETs are partial (mode, work,
// targetTemp.heat/.cold, fan.fMode/.speed/.hTime); the SETACK returns the channel object and a
// PUSH of it follows. Heating/cooling/fan stages follow the setpoints as meross_lan's
// emulator has them.

#include <algorithm>
#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

using thermostat::Field;
using Kind = thermostat::Field::Kind;

namespace ns = meross::protocol::ns;

constexpr Field kFields[] = {
    {"mode", Kind::Int, 0, 3},
    {"work", Kind::Int, 1, 2},
    {"targetTemp", Kind::Object, 500, 3500},
    {"fan", Kind::Object, 0, 99999},  // then each member's own range (fan_fits)
};

void seed(Context& ctx) {
  if (!ctx.has(ns::kControlThermostatModeC) ||
      thermostat::seed_from_trace(ctx, ns::kControlThermostatModeC, "control"))
    return;
  thermostat::seed_default(
      ctx, "control",
      R"({"channel":0,"mode":3,"work":2,"currentTemp":2200,"sensorTemp":2200,)"
      R"("targetTemp":{"heat":2100,"cold":2400},"fan":{"fMode":0,"speed":0,"hTime":99999},)"
      R"("more":{"hdStatus":0,"humi":495,"cStatus":0,"hStatus":0,"fStatus":0,"aStatus":0}})");
}

bool fan_fits(const JsonValue& request) {
  const JsonValue* fan = member(request, "fan");
  if (!fan) return true;
  for (const auto& m : fan->GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const std::int64_t v = m.value.GetInt64();  // an integer: checked by kFields
    if ((name == "fMode" && v > 1) || (name == "speed" && v > 3)) return false;
    if (name != "fMode" && name != "speed" && name != "hTime") return false;
  }
  return true;
}

bool target_fits(const JsonValue& request) {
  const JsonValue* target = member(request, "targetTemp");
  if (!target) return true;
  for (const auto& m : target->GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "heat" && name != "cold") return false;
  }
  return true;
}

// Stages: heating 0..3 below the heat setpoint, cooling 0..2 above the cold one, the fan at its
// set speed or following the stage; all off in mode 0.
void settle(Context& ctx, JsonValue& item) {
  auto& a = ctx.alloc();
  JsonValue& more = ensure(item, "more", rapidjson::kObjectType, a);
  if (!more.IsObject()) more.SetObject();
  const JsonValue* target = member(item, "targetTemp");
  const JsonValue* fan = member(item, "fan");
  const std::int64_t current = int_of(item, "currentTemp");
  const std::int64_t heat = target ? int_of(*target, "heat") : current;
  const std::int64_t cold = target ? int_of(*target, "cold") : current;
  const std::int64_t speed = fan ? int_of(*fan, "speed") : 0;
  const std::int64_t mode = int_of(item, "mode");
  const auto stage = [](std::int64_t delta, std::int64_t top) {
    return std::clamp<std::int64_t>(std::llround(static_cast<double>(delta) / 100.0), 0, top);
  };
  std::int64_t h = 0, c = 0;
  if (mode == 1 || mode == 3) h = stage(heat - current, 3);
  if (mode == 2 || (mode == 3 && h == 0)) c = stage(current - cold, 2);
  set_int(more, "hStatus", h, a);
  set_int(more, "cStatus", c, a);
  set_int(more, "fStatus", mode == 0 ? 0 : (speed ? speed : std::max(h, c)), a);
}

bool fits(const View&, const thermostat::Change& change) {
  return fan_fits(*change.request) && target_fits(*change.request);
}

constexpr thermostat::ModeList kModeC{.ns = ns::kControlThermostatModeC,
                                      .key = "control",
                                      .fields = kFields,
                                      .per_degree = 100,
                                      .settle = settle,
                                      .fits = fits,
                                      .sensor = true};

std::optional<Answer> handle(Context& ctx, Method method, std::string_view,
                             const JsonValue& payload) {
  return thermostat::handle_mode(ctx, method, payload, kModeC);
}

std::optional<std::string> command(Context& ctx, Command words) {
  return thermostat::room(ctx, words, kModeC);
}

bool load_push(Context& ctx) {
  return thermostat::push_all(ctx, kModeC.ns, kModeC.key);
}

constexpr std::string_view kNamespaces[] = {ns::kControlThermostatModeC};

}  // namespace

extern const Family thermostat_modec_family{
    .name = "thermostat_modec",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .command = command,
    .load_push = load_push,
};

}  // namespace meross::sim::detail
