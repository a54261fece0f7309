// Roller shutters (meross-protocol.md §5.11): a full 0 → 100 travel takes
// DeviceTemplate::roller_travel_ms; position -1 stops. GETs answer the state (1 opening,
// 2 closing, 0 idle) and the position on the way. A travel a SET started PUSHes nothing, neither
// when it starts nor when it stops, as meross_lan's emulator: the requester reads it. One the
// button started PUSHes State when it starts, State and Position when it stops. Section
// "rollerShutter": {"lastMs":…,"rollers":[{channel,position (fractional),target,state,lmTime,
// push}],"config":[<RollerShutter.Config item>]}, the travel times seeded from the recorded GETACK
// (else meross-protocol.md §5.11's) and answered by travel_config.hpp. The simulated travel
// keeps DeviceTemplate::roller_travel_ms whatever they say: tests choose how long it takes.

#include <algorithm>
#include <cmath>

#include "protocol/namespaces.hpp"
#include "simulator/families/travel_config.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

// The section's rollers, nullptr when there are none (from a Context or a View).
auto* rollers(auto& device) {
  return filled_list(device.section("rollerShutter"), "rollers");
}

double position_of(const JsonValue& roller) {
  const JsonValue* p = member(roller, "position");
  return p && p->IsNumber() ? p->GetDouble() : 0.0;
}

int rounded(const JsonValue& roller) {
  return static_cast<int>(std::lround(position_of(roller)));
}

void seed(Context& ctx) {
  const View v = ctx.view();
  if (!v.has(ns::kRollerShutterPosition)) return;
  auto& section = ctx.make_section("rollerShutter", rapidjson::kObjectType);
  auto& a = ctx.alloc();
  set_int(section, "lastMs", ctx.now_ms, a);
  auto& list = ensure(section, "rollers", rapidjson::kArrayType, a);
  const auto add = [&](std::int64_t channel, std::int64_t position) {
    JsonValue r(rapidjson::kObjectType);
    r.AddMember("channel", channel, a);
    r.AddMember("position", static_cast<double>(position), a);
    r.AddMember("target", position, a);
    r.AddMember("state", 0, a);
    r.AddMember("lmTime", std::int64_t{0}, a);
    r.AddMember("push", false, a);
    list.PushBack(r, a);
  };
  if (auto doc = v.recorded(ns::kRollerShutterPosition)) {
    for (const JsonValue* item : items_of(member(*doc, "position"))) {
      add(int_of(*item, "channel"), std::clamp<std::int64_t>(int_of(*item, "position"), 0, 100));
    }
  }
  if (list.Empty()) add(0, 0);
  if (ctx.has(ns::kRollerShutterConfig)) {
    travel_config::seed(ctx, section, "config", ns::kRollerShutterConfig,
                        travel_config::Shape::PerChannel,
                        R"([{"channel":0,"signalOpen":50000,"signalClose":50000}])");
  }
}

void write_position(const JsonValue& roller, Writer& w) {
  write_ints(w, roller, {"channel"});
  w.Key("position");
  w.Int(rounded(roller));
}

std::string position_payload(const JsonValue& list) {
  return object_text(
      [&](Writer& w) { write_list(w, "position", list.GetArray(), write_position); });
}

std::string state_payload(const JsonValue& list) {
  return object_text([&](Writer& w) {
    write_list(w, "state", list.GetArray(), [](const JsonValue& roller, Writer& out) {
      write_ints(out, roller, {"channel", "state"});
      out.Key("stoppedBy");
      out.Int(0);
    });
  });
}

bool pushes(const JsonValue& roller) {
  const JsonValue* p = member(roller, "push");
  return p && p->IsTrue();
}

void advance(Context& ctx) {
  JsonValue* section = ctx.section("rollerShutter");
  JsonValue* list = filled_list(section, "rollers");
  if (!list) return;
  const std::int64_t elapsed = ctx.now_ms - int_of(*section, "lastMs");
  if (elapsed <= 0) return;
  set_int(*section, "lastMs", ctx.now_ms, ctx.alloc());
  const double step =
      100.0 * static_cast<double>(elapsed) / static_cast<double>(ctx.tmpl.roller_travel_ms);
  for (auto& r : list->GetArray()) {
    const std::int64_t state = int_of(r, "state");
    if (state == 0) continue;
    const auto target = static_cast<double>(int_of(r, "target"));
    const double now = state == 1 ? std::min(target, position_of(r) + step)
                                  : std::max(target, position_of(r) - step);
    set(r, "position", JsonValue(now), ctx.alloc());
    if (std::abs(now - target) < 1e-9) {
      set_int(r, "state", 0, ctx.alloc());
      set_int(r, "lmTime", ctx.now_s(), ctx.alloc());
      if (pushes(r)) {
        ctx.push(ns::kRollerShutterState, state_payload(*list));
        ctx.push(ns::kRollerShutterPosition, position_payload(*list));
      }
    }
  }
}

// `target` -1 stops where the shutter is. `push`: the button moved it (PUSHes), not a SET.
void start(Context& ctx, JsonValue& list, JsonValue& roller, std::int64_t target, bool push) {
  const std::int64_t before = int_of(roller, "state");
  std::int64_t state = 0;
  if (target < 0) {
    target = rounded(roller);
  } else {
    const double diff = static_cast<double>(target) - position_of(roller);
    state = diff > 0.5 ? 1 : diff < -0.5 ? 2 : 0;
  }
  set_int(roller, "target", target, ctx.alloc());
  set_int(roller, "state", state, ctx.alloc());
  set_int(roller, "lmTime", ctx.now_s(), ctx.alloc());
  set(roller, "push", JsonValue(push), ctx.alloc());
  if (push && state != before) {
    ctx.push(ns::kRollerShutterState, state_payload(list));
    if (state == 0) ctx.push(ns::kRollerShutterPosition, position_payload(list));
  }
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  JsonValue* list = rollers(ctx);
  if (!list) return recorded_answer(ctx, method, ns, payload);
  if (ns == ns::kRollerShutterConfig) {
    JsonValue* config = member(*ctx.section("rollerShutter"), "config");
    auto answer = config ? travel_config::handle(ctx, *config, travel_config::Shape::PerChannel,
                                                 method, payload)
                         : std::nullopt;
    return answer ? answer : recorded_answer(ctx, method, ns, payload);
  }
  if (method == Method::Get) {
    return Answer{Method::GetAck, ns == ns::kRollerShutterPosition ? position_payload(*list)
                                                                   : state_payload(*list)};
  }
  if (method != Method::Set || ns != ns::kRollerShutterPosition)
    return recorded_answer(ctx, method, ns, payload);
  const auto items = items_of(member(payload, "position"));
  if (items.empty()) return bad_payload();
  for (const JsonValue* item : items) {
    const auto channel = channel_of(*item, 0);
    const auto position = protocol::int_member(*item, "position");
    JsonValue* roller = channel ? find_channel(*list, *channel) : nullptr;
    if (!position || !roller || *position < -1 || *position > 100) return bad_payload();
    start(ctx, *list, *roller, *position, false);
  }
  return Answer{Method::SetAck, "{}"};
}

bool press(Context& ctx, std::optional<int> channel) {
  JsonValue* list = rollers(ctx);
  JsonValue* roller = !list ? nullptr : channel ? find_channel(*list, *channel) : &(*list)[0];
  if (!roller) return false;
  const std::int64_t target =
      int_of(*roller, "state") != 0 ? -1 : (position_of(*roller) < 50 ? 100 : 0);
  start(ctx, *list, *roller, target, true);
  return true;
}

bool load_push(Context& ctx) {
  const JsonValue* list = rollers(ctx);
  if (!list) return false;
  ctx.push(ns::kRollerShutterPosition, position_payload(*list));
  return true;
}

void summary(const View& view, Writer& w) {
  const JsonValue* list = rollers(view);
  if (!list) return;
  write_list(w, "rollerShutter", list->GetArray(), [](const JsonValue& roller, Writer& out) {
    write_position(roller, out);
    write_ints(out, roller, {"state"});
  });
}

constexpr std::string_view kNamespaces[] = {ns::kRollerShutterPosition, ns::kRollerShutterState,
                                            ns::kRollerShutterConfig};

}  // namespace

extern const Family roller_shutter_family{
    .name = "roller_shutter",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .advance = advance,
    .press = press,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
