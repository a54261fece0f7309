// mts960 smart-socket thermostat (device-families.md §1.3): Thermostat.ModeB (key "modeB"),
// 0.01 °C, onoff and state 1 = on / 2 = off, working 1 heat / 2 cool. A SET changes the
// channel, the SETACK returns the channel object and a PUSH of it follows. The setpoint must
// stay within Thermostat.CtlRange (ctlMin..ctlMax). Timer and CtlRange themselves are config
// namespaces (thermostat_config.cpp).

#include <cmath>

#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

using thermostat::Field;
using Kind = thermostat::Field::Kind;

constexpr std::string_view kModeB = "Appliance.Control.Thermostat.ModeB";

void seed(Context& ctx) {
  if (thermostat::seed_from_trace(ctx, kModeB, "modeB") || !ctx.has(kModeB)) return;
  rapidjson::Document item;
  item.Parse(R"({"channel":0,"mode":1,"targetTemp":2000,"working":1,"currentTemp":1900,)"
             R"("state":1,"onoff":1,"sensorStatus":1})");
  thermostat::make_list(ctx, "modeB").PushBack(copy_of(item, ctx.alloc()), ctx.alloc());
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

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  JsonValue* live = thermostat::list(ctx, "modeB");
  if (!live) return recorded_answer(ctx, method, ns, payload);
  if (method == Method::Get) return thermostat::get(ctx.view(), "modeB", payload);
  if (method == Method::Push) return thermostat::push_query(ctx.view(), "modeB", payload);
  if (method != Method::Set) return std::nullopt;
  auto changed = thermostat::changes(ctx, "modeB", payload, kFields);
  if (!changed) return bad_payload();
  for (const auto& c : *changed) {
    const auto target = protocol::int_member(*c.request, "targetTemp");
    if (target && !in_range(ctx.view(), int_of(*c.live, "channel"), *target)) return bad_payload();
  }
  for (const auto& c : *changed) {
    thermostat::apply(ctx, *c.live, *c.request, kFields);
    settle(ctx, *c.live);
  }
  std::string body = thermostat::payload_of("modeB", *changed);
  ctx.push(kModeB, body);
  return Answer{Method::SetAck, std::move(body)};
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  JsonValue* d = member(all, "digest");
  JsonValue* out = d ? member(*d, "thermostat") : nullptr;
  const JsonValue* live = thermostat::list(view, "modeB");
  if (out && out->IsObject() && live && member(*out, "modeB")) {
    set(*out, "modeB", copy_of(*live, alloc), alloc);
  }
}

std::optional<std::string> command(Context& ctx, Command words) {
  if (words.size() != 3 || words[0] != "room") return std::nullopt;
  JsonValue* item = thermostat::channel_item(ctx, "modeB", words[1]);
  if (!item) return std::nullopt;
  const auto units = thermostat::room_units(words[2], 100);
  if (!units) return thermostat::room_refusal(words[2]);
  set_int(*item, "currentTemp", *units, ctx.alloc());
  settle(ctx, *item);
  ctx.push(kModeB, wrap_list("modeB", {item}));
  return "";
}

bool load_push(Context& ctx) {
  return thermostat::push_all(ctx, kModeB, "modeB");
}

constexpr std::string_view kNamespaces[] = {kModeB};

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
