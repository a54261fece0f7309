// mts200/mts200b Wi-Fi thermostats (device-families.md §1.1): Thermostat.Mode (key "mode"),
// WindowOpened and SummerMode, all lists of channel objects in 0.1 °C. A SET changes the
// channel, the SETACK returns the full channel object and a PUSH of it follows. The state lives
// in the shared "thermostat" section (thermostat.hpp).

#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

using thermostat::Field;
using Kind = thermostat::Field::Kind;

namespace ns = meross::protocol::ns;

constexpr Field kModeFields[] = {
    {"onoff", Kind::Int, 0, 1},  {"mode", Kind::Int, 0, 4},  {"heatTemp", Kind::Bounded},
    {"coolTemp", Kind::Bounded}, {"ecoTemp", Kind::Bounded}, {"manualTemp", Kind::Bounded},
};
constexpr Field kSummerFields[] = {{"mode", Kind::Int, 1, 2}};

void seed_list(Context& ctx, std::string_view ns, std::string_view key, const char* defaults) {
  if (thermostat::seed_from_trace(ctx, ns, key) || !ctx.has(ns)) return;
  JsonValue& out = thermostat::make_list(ctx, key);
  for (std::int64_t channel : thermostat::channels(ctx.view())) {
    rapidjson::Document item;
    item.Parse(defaults);
    set_int(item, "channel", channel, item.GetAllocator());
    out.PushBack(copy_of(item, ctx.alloc()), ctx.alloc());
  }
}

void seed(Context& ctx) {
  if (!thermostat::seed_from_trace(ctx, ns::kControlThermostatMode, "mode")) {
    if (!ctx.has(ns::kControlThermostatMode)) return;
    thermostat::seed_default(
        ctx, "mode",
        R"({"channel":0,"onoff":1,"mode":0,"state":0,"currentTemp":200,"heatTemp":210,)"
        R"("coolTemp":180,"ecoTemp":160,"manualTemp":200,"warning":0,"targetTemp":210,)"
        R"("min":50,"max":350,"lmTime":0})");
  }
  seed_list(ctx, ns::kControlThermostatWindowOpened, "windowOpened",
            R"({"status":0,"detect":1,"lmTime":0})");
  seed_list(ctx, ns::kControlThermostatSummerMode, "summerMode", R"({"mode":1})");
}

// The active setpoint follows the mode (3, the schedule, keeps the last one); "state" is 1 while
// the relay calls for heat, or for cooling in summer mode.
void settle(Context& ctx, JsonValue& item) {
  static constexpr const char* kSetpoint[] = {"heatTemp", "coolTemp", "ecoTemp", nullptr,
                                              "manualTemp"};
  const std::int64_t mode = int_of(item, "mode");
  if (mode >= 0 && mode <= 4 && kSetpoint[mode]) {
    set_int(item, "targetTemp", int_of(item, kSetpoint[mode]), ctx.alloc());
  }
  const JsonValue* summer = thermostat::list(ctx, "summerMode");
  const JsonValue* season = summer ? find_channel(*summer, int_of(item, "channel")) : nullptr;
  const bool cooling = season && int_of(*season, "mode") == 2;
  const std::int64_t target = int_of(item, "targetTemp");
  const std::int64_t current = int_of(item, "currentTemp");
  const bool calling = cooling ? current > target : target > current;
  set_int(item, "state", int_of(item, "onoff") && calling ? 1 : 0, ctx.alloc());
}

constexpr thermostat::ModeList kMode{.ns = ns::kControlThermostatMode,
                                     .key = "mode",
                                     .fields = kModeFields,
                                     .per_degree = 10,
                                     .settle = settle,
                                     .stamp = true};

std::optional<Answer> set_summer(Context& ctx, const JsonValue& payload) {
  auto changed = thermostat::changes(ctx, "summerMode", payload, kSummerFields);
  if (!changed) return bad_payload();
  JsonValue* modes = thermostat::list(ctx, "mode");
  for (const auto& c : *changed) {
    thermostat::apply(ctx, *c.live, *c.request, kSummerFields);
    JsonValue* item = modes ? find_channel(*modes, int_of(*c.live, "channel")) : nullptr;
    if (item) settle(ctx, *item);
  }
  ctx.push(ns::kControlThermostatSummerMode, thermostat::payload_of("summerMode", *changed));
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  const std::string_view key = ns == ns::kControlThermostatMode           ? "mode"
                               : ns == ns::kControlThermostatWindowOpened ? "windowOpened"
                                                                          : "summerMode";
  if (!thermostat::list(ctx, "mode") || !thermostat::list(ctx, key)) {
    return recorded_answer(ctx, method, ns, payload);
  }
  switch (method) {
    case Method::Get:
      return thermostat::get(ctx.view(), key, payload);
    case Method::Push:
      return thermostat::push_query(ctx.view(), key, payload);
    case Method::Set:
      if (ns == ns::kControlThermostatMode) return thermostat::set_mode(ctx, payload, kMode);
      if (ns == ns::kControlThermostatSummerMode) return set_summer(ctx, payload);
      return error_answer(5000, "not supported");  // the window is detected, not set
    default:
      return std::nullopt;
  }
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  thermostat::write_digest(view, all, alloc, {"mode", "windowOpened", "summerMode"});
}

std::optional<std::string> command(Context& ctx, Command words) {
  if (auto done = thermostat::room(ctx, words, kMode)) return done;
  if (words.size() != 3 || words[0] != "window") return std::nullopt;
  JsonValue* item = thermostat::channel_item(ctx, "windowOpened", words[1]);
  if (!item) return std::nullopt;
  if (words[2] != "open" && words[2] != "closed") return "window: open or closed";
  set_int(*item, "status", words[2] == "open" ? 1 : 0, ctx.alloc());
  set_int(*item, "lmTime", ctx.now_s(), ctx.alloc());
  ctx.push(ns::kControlThermostatWindowOpened, wrap_list("windowOpened", {item}));
  return "";
}

bool load_push(Context& ctx) {
  return thermostat::push_all(ctx, kMode.ns, kMode.key);
}

constexpr std::string_view kNamespaces[] = {ns::kControlThermostatMode,
                                            ns::kControlThermostatWindowOpened,
                                            ns::kControlThermostatSummerMode};

}  // namespace

extern const Family thermostat_mode_family{
    .name = "thermostat_mode",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .command = command,
    .load_push = load_push,
};

}  // namespace meross::sim::detail
