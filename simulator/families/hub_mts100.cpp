// Thermostatic valves on a hub, mts100/mts100v3/mts150/mts150p (device-families.md §2.3):
// Hub.Mts100.All, .Temperature (0.1 °C; SET custom/comfort/economy/away → SETACK with the full
// object, then a partial PUSH with the new currentSet), .Mode (SET state → SETACK {}, then PUSHes
// of Mode and of the new currentSet) and .Adjust (0.01 °C). Each valve's state is the "mts100"
// member of its sub-device (hub.hpp): {"scheduleBMode","timeSync","mode","adjust",
// "temperature":{room,currentSet,custom,comfort,economy,away,max,min,heating,openWindow}}.

#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/hub.hpp"
#include "simulator/families/thermostat.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

constexpr std::string_view kPresets[] = {"custom", "comfort", "economy", "away"};

bool valve(const JsonValue& sub) {
  return hub::is_valve(sub) && member(sub, "mts100");
}

JsonValue& state_of(JsonValue& sub) {
  return *member(sub, "mts100");
}
const JsonValue& state_of(const JsonValue& sub) {
  return *member(sub, "mts100");
}
JsonValue& temperature_of(JsonValue& sub) {
  return *member(state_of(sub), "temperature");
}
const JsonValue& temperature_of(const JsonValue& sub) {
  return *member(state_of(sub), "temperature");
}

const JsonValue* recorded_item(const std::optional<rapidjson::Document>& doc, std::string_view key,
                               std::string_view id) {
  const JsonValue* list = doc ? member(*doc, key) : nullptr;
  return list ? find_id(*list, id) : nullptr;
}

void seed(Context& ctx) {
  JsonValue* subs = hub::subdevices(ctx);
  if (!subs) return;
  const View v = ctx.view();
  const auto alls = v.recorded(ns::kHubMts100All);
  const auto temperatures = v.recorded(ns::kHubMts100Temperature);
  const auto modes = v.recorded(ns::kHubMts100Mode);
  const auto adjusts = v.recorded(ns::kHubMts100Adjust);
  auto& a = ctx.alloc();
  for (auto& sub : subs->GetArray()) {
    if (!hub::is_valve(sub)) continue;
    const std::string_view id = hub::id_of(sub);
    const JsonValue* all = recorded_item(alls, "all", id);
    const JsonValue* temperature = recorded_item(temperatures, "temperature", id);
    if (!temperature && all) temperature = member(*all, "temperature");
    const JsonValue* mode = recorded_item(modes, "mode", id);
    if (!mode && all) mode = member(*all, "mode");
    const JsonValue* adjust = recorded_item(adjusts, "adjust", id);
    const JsonValue* tag = hub::type_object(sub);
    const JsonValue* digest = member(sub, "digest");

    auto t = parse_object(
        R"({"room":200,"currentSet":200,"custom":200,"comfort":210,"economy":180,"away":120,)"
        R"("max":350,"min":50,"heating":0,"openWindow":0})");
    if (tag) {
      if (auto set_point = protocol::int_member(*tag, "currentSet")) {
        set_int(*t, "currentSet", *set_point, t->GetAllocator());
      }
    }
    if (temperature && temperature->IsObject()) {
      for (const auto& m : temperature->GetObject()) {
        if (m.value.IsNumber() && std::string_view(m.name.GetString()) != "id") {
          set(*t, std::string_view(m.name.GetString(), m.name.GetStringLength()),
              copy_of(m.value, t->GetAllocator()), t->GetAllocator());
        }
      }
    }
    std::int64_t state = tag ? int_of(*tag, "mode") : 0;
    if (mode) state = int_of(*mode, "state", state);
    const JsonValue* sync = all ? member(*all, "timeSync") : nullptr;
    JsonValue valve_state(rapidjson::kObjectType);
    valve_state.AddMember("scheduleBMode", digest ? int_of(*digest, "scheduleBMode", 6) : 6, a);
    valve_state.AddMember("timeSync", sync ? int_of(*sync, "state", 1) : 1, a);
    valve_state.AddMember("mode", state, a);
    valve_state.AddMember("adjust", adjust ? int_of(*adjust, "temperature") : 0, a);
    valve_state.AddMember("temperature", copy_of(*t, a), a);
    set(sub, "mts100", std::move(valve_state), a);
  }
}

// The setpoint follows the mode (0 custom, 1 comfort, 2 economy, 4 away; 3, the schedule,
// keeps the last one); the valve heats while on and the room is below it. The digest's type
// object follows.
void settle(Context& ctx, JsonValue& sub) {
  static constexpr const char* kSetpoint[] = {"custom", "comfort", "economy", nullptr, "away"};
  auto& a = ctx.alloc();
  JsonValue& t = temperature_of(sub);
  const std::int64_t mode = int_of(state_of(sub), "mode");
  if (mode >= 0 && mode <= 4 && kSetpoint[mode]) {
    set_int(t, "currentSet", int_of(t, kSetpoint[mode]), a);
  }
  const bool heating = int_of(sub, "onoff") && int_of(t, "currentSet") > int_of(t, "room");
  set_int(t, "heating", heating ? 1 : 0, a);
  if (JsonValue* tag = hub::type_object(sub)) {
    if (member(*tag, "mode")) set_int(*tag, "mode", mode, a);
    if (member(*tag, "currentSet")) set_int(*tag, "currentSet", int_of(t, "currentSet"), a);
  }
}

void write_members(const JsonValue& object, Writer& w) {
  for (const auto& m : object.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    m.value.Accept(w);
  }
}

void write_state_object(Writer& w, const char* key, const char* field, std::int64_t value) {
  w.Key(key);
  w.StartObject();
  w.Key(field);
  w.Int64(value);
  w.EndObject();
}

void write_all(const JsonValue& sub, Writer& w) {
  const JsonValue& s = state_of(sub);
  w.Key("scheduleBMode");
  w.Int64(int_of(s, "scheduleBMode"));
  w.Key("online");
  hub::write_online(w, sub);
  write_state_object(w, "togglex", "onoff", int_of(sub, "onoff"));
  write_state_object(w, "timeSync", "state", int_of(s, "timeSync"));
  write_state_object(w, "mode", "state", int_of(s, "mode"));
  write_member(w, "temperature", temperature_of(sub));
}

void write_temperature(const JsonValue& sub, Writer& w) {
  write_members(temperature_of(sub), w);
}

void write_mode(const JsonValue& sub, Writer& w) {
  w.Key("state");
  w.Int64(int_of(state_of(sub), "mode"));
}

void write_adjust(const JsonValue& sub, Writer& w) {
  w.Key("temperature");
  w.Int64(int_of(state_of(sub), "adjust"));
}

void write_current_set(const JsonValue& sub, Writer& w) {
  write_ints(w, temperature_of(sub), {"currentSet"});
}

void write_room(const JsonValue& sub, Writer& w) {
  write_ints(w, temperature_of(sub), {"room", "heating"});
}

void write_window(const JsonValue& sub, Writer& w) {
  write_ints(w, temperature_of(sub), {"openWindow"});
}

constexpr hub::Reader kReaders[] = {
    {ns::kHubMts100All, "all", valve, write_all},
    {ns::kHubMts100Temperature, "temperature", valve, write_temperature},
    {ns::kHubMts100Mode, "mode", valve, write_mode},
    {ns::kHubMts100Adjust, "adjust", valve, write_adjust},
};

// A strict integer field of a request within [lo, hi]; nullopt when absent, false when it
// does not fit.
std::optional<bool> fits(const JsonValue& request, std::string_view name, std::int64_t lo,
                         std::int64_t hi) {
  const JsonValue* value = member(request, name);
  if (!value) return std::nullopt;
  const auto v = strict_int(*value);
  return v && *v >= lo && *v <= hi;
}

// Presets within the valve's min..max, at least one.
bool temperature_fits(const JsonValue& sub, const JsonValue& request) {
  const JsonValue& live = temperature_of(sub);
  bool any = false;
  for (std::string_view preset : kPresets) {
    const auto ok = fits(request, preset, int_of(live, "min"), int_of(live, "max"));
    if (ok && !*ok) return false;
    any = any || ok.has_value();
  }
  return any;
}

void apply_temperature(Context& ctx, JsonValue& sub, const JsonValue& request) {
  for (std::string_view preset : kPresets) {
    if (const JsonValue* v = member(request, preset)) {
      set_int(temperature_of(sub), preset, v->GetInt64(), ctx.alloc());
    }
  }
  settle(ctx, sub);
}

// A partial PUSH with the new currentSet; the SETACK has the full objects.
Answer temperature_done(Context& ctx, const std::vector<const JsonValue*>& changed) {
  ctx.push(ns::kHubMts100Temperature, hub::items("temperature", changed, write_current_set));
  return Answer{Method::SetAck, hub::items("temperature", changed, write_temperature)};
}

bool mode_fits(const JsonValue&, const JsonValue& request) {
  return fits(request, "state", 0, 4) == true;
}

void apply_mode(Context& ctx, JsonValue& sub, const JsonValue& request) {
  set_int(state_of(sub), "mode", int_of(request, "state"), ctx.alloc());
  settle(ctx, sub);
}

// The mode, then the currentSet it brings.
Answer mode_done(Context& ctx, const std::vector<const JsonValue*>& changed) {
  ctx.push(ns::kHubMts100Mode, hub::items("mode", changed, write_mode));
  ctx.push(ns::kHubMts100Temperature, hub::items("temperature", changed, write_current_set));
  return Answer{Method::SetAck, "{}"};
}

bool adjust_fits(const JsonValue&, const JsonValue& request) {
  return fits(request, "temperature", -500, 500) == true;
}

void apply_adjust(Context& ctx, JsonValue& sub, const JsonValue& request) {
  set_int(state_of(sub), "adjust", int_of(request, "temperature"), ctx.alloc());
}

constexpr hub::Setter kSetters[] = {
    {ns::kHubMts100Temperature, "temperature", valve, temperature_fits, apply_temperature, nullptr,
     temperature_done},
    {ns::kHubMts100Mode, "mode", valve, mode_fits, apply_mode, nullptr, mode_done},
    {ns::kHubMts100Adjust, "adjust", valve, adjust_fits, apply_adjust, write_adjust},
};

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  return hub::answer(ctx, kReaders, kSetters, method, ns, payload);
}

std::optional<std::string> command(Context& ctx, Command words) {
  JsonValue* sub = hub::command_target(ctx, words, "room", 3, valve);
  const bool room = sub != nullptr;
  if (!sub) sub = hub::command_target(ctx, words, "window", 3, valve);
  if (!sub) return std::nullopt;
  if (!hub::online(*sub)) return words[0] + ": " + words[1] + " is offline";
  JsonValue& t = temperature_of(*sub);
  if (room) {
    const auto units = thermostat::room_units(words[2], 10);
    if (!units) return thermostat::room_refusal(words[2]);
    set_int(t, "room", *units, ctx.alloc());
    settle(ctx, *sub);
  } else {
    if (words[2] != "open" && words[2] != "closed") return "window: open or closed";
    set_int(t, "openWindow", words[2] == "open" ? 1 : 0, ctx.alloc());
  }
  hub::touch(ctx, *sub);
  ctx.push(ns::kHubMts100Temperature,
           hub::items("temperature", {sub}, room ? write_room : write_window));
  return "";
}

constexpr std::string_view kNamespaces[] = {ns::kHubMts100All, ns::kHubMts100Temperature,
                                            ns::kHubMts100Mode, ns::kHubMts100Adjust};

}  // namespace

extern const Family hub_mts100_family{
    .name = "hub_mts100",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .command = command,
};

}  // namespace meross::sim::detail
