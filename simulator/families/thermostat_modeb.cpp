// mts960 smart-socket thermostat (device-families.md §1.3): Thermostat.ModeB (key "modeB"),
// 0.01 °C, onoff and state 1 = on / 2 = off, working 1 heat / 2 cool. A SET changes the
// channel, the SETACK returns the channel object and a PUSH of it follows. The setpoint must
// stay within Thermostat.CtlRange (ctlMin..ctlMax). Timer and CtlRange themselves are config
// namespaces (thermostat_config.cpp).

#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

using thermostat::Field;
using Kind = thermostat::Field::Kind;

namespace ns = meross::protocol::ns;

void seed(Context& ctx) {
  if (thermostat::seed_from_trace(ctx, ns::kControlThermostatModeB, "modeB") ||
      !ctx.has(ns::kControlThermostatModeB))
    return;
  thermostat::seed_default(
      ctx, "modeB",
      R"({"channel":0,"mode":1,"targetTemp":2000,"working":1,"currentTemp":1900,)"
      R"("state":1,"onoff":1,"sensorStatus":1})");
}

constexpr Field kFields[] = {
    {"onoff", Kind::Int, 1, 2},
    {"mode", Kind::Int, 1, 3},
    {"working", Kind::Int, 1, 2},
    {"targetTemp", Kind::Int, -100'000, 100'000},  // then within the channel's CtlRange
};

// Whether a setpoint is within the channel's CtlRange (else 5..35 °C).
bool in_range(const View& view, std::int64_t channel, std::int64_t target) {
  std::int64_t lo = 500, hi = 3500;
  const JsonValue* ranges = thermostat::list(view, "ctlRange");
  if (const JsonValue* r = ranges ? find_channel(*ranges, channel) : nullptr) {
    lo = int_of(*r, "ctlMin", lo);
    hi = int_of(*r, "ctlMax", hi);
  }
  return target >= lo && target <= hi;
}

// "state" is the plug's relay: in manual mode on while the room is below the setpoint
// (heating) or above it (cooling); schedule and timer modes keep what they last decided.
void settle(Context& ctx, JsonValue& item) {
  if (int_of(item, "onoff") != 1) {
    set_int(item, "state", 2, ctx.alloc());
    return;
  }
  if (int_of(item, "mode") != 1) return;
  const std::int64_t target = int_of(item, "targetTemp");
  const std::int64_t current = int_of(item, "currentTemp");
  const bool on = int_of(item, "working") == 2 ? current > target : target > current;
  set_int(item, "state", on ? 1 : 2, ctx.alloc());
}

// A setpoint outside the channel's CtlRange refuses the SET.
bool fits(const View& view, const thermostat::Change& change) {
  const auto target = protocol::int_member(*change.request, "targetTemp");
  return !target || in_range(view, int_of(*change.live, "channel"), *target);
}

constexpr thermostat::ModeList kModeB{.ns = ns::kControlThermostatModeB,
                                      .key = "modeB",
                                      .fields = kFields,
                                      .per_degree = 100,
                                      .settle = settle,
                                      .fits = fits};

std::optional<Answer> handle(Context& ctx, Method method, std::string_view,
                             const JsonValue& payload) {
  return thermostat::handle_mode(ctx, method, payload, kModeB);
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  thermostat::write_digest(view, all, alloc, {"modeB"});
}

std::optional<std::string> command(Context& ctx, Command words) {
  return thermostat::room(ctx, words, kModeB);
}

bool load_push(Context& ctx) {
  return thermostat::push_all(ctx, kModeB.ns, kModeB.key);
}

constexpr std::string_view kNamespaces[] = {ns::kControlThermostatModeB};

}  // namespace

extern const Family thermostat_modeb_family{
    .name = "thermostat_modeb",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .command = command,
    .load_push = load_push,
};

}  // namespace meross::sim::detail
