// Light: capacity, rgb, temperature 1..100, luminance (meross-protocol.md §5.3). Section "light"
// is the Light payload's object; it has "onoff" only when the light has no ToggleX channel.

#include <algorithm>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

void seed(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  const JsonValue* seen = digest ? member(*digest, "light") : nullptr;
  if (seen && !seen->IsObject()) seen = nullptr;
  if (!seen && !v.has(ns::kControlLight)) return;
  std::int64_t capacity = 6, rgb = 16753920, temperature = 50, luminance = 80;
  std::optional<std::int64_t> onoff;
  int channel = 0;
  if (seen) {
    channel = static_cast<int>(int_of(*seen, "channel"));
    capacity = int_of(*seen, "capacity", capacity);
    rgb = int_of(*seen, "rgb", rgb);
    temperature = int_of(*seen, "temperature", temperature);
    luminance = int_of(*seen, "luminance", luminance);
    if (auto o = protocol::int_member(*seen, "onoff")) onoff = *o ? 1 : 0;
  } else if (auto doc = v.recorded(ns::kControlLight); doc && !digest) {
    if (const JsonValue* l = member(*doc, "light"); l && l->IsObject()) {
      capacity = int_of(*l, "capacity", capacity);
      rgb = int_of(*l, "rgb", rgb);
    }
  }
  // Without a ToggleX channel the light carries its own power state.
  if (!onoff && !ctx.section("togglex") && !v.has(ns::kControlToggleX)) onoff = 1;
  auto& light = ctx.make_section("light", rapidjson::kObjectType);
  auto& a = ctx.alloc();
  set_int(light, "capacity", capacity, a);
  set_int(light, "channel", channel, a);
  set_int(light, "rgb", rgb, a);
  set_int(light, "temperature", temperature, a);
  set_int(light, "luminance", luminance, a);
  if (onoff) set_int(light, "onoff", *onoff, a);
  set_int(light, "transform", 0, a);
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  JsonValue* light = ctx.section("light");
  if (!light) return recorded_answer(ctx, method, ns, payload);
  if (method == Method::Get) return Answer{Method::GetAck, wrap("light", *light)};
  if (method != Method::Set) return recorded_answer(ctx, method, ns, payload);
  const JsonValue* l = member(payload, "light");
  if (!l || !l->IsObject()) return bad_payload();
  for (const auto* name : {"capacity", "rgb", "temperature", "luminance", "onoff"}) {
    const JsonValue* v = member(*l, name);
    if (v && !protocol::to_int(*v)) return bad_payload();
  }
  auto& a = ctx.alloc();
  const auto clamped = [&](const char* name, std::int64_t lo, std::int64_t hi) {
    if (auto v = protocol::int_member(*l, name)) set_int(*light, name, std::clamp(*v, lo, hi), a);
  };
  clamped("capacity", 0, 15);
  clamped("rgb", 0, 0xFFFFFF);
  clamped("temperature", 1, 100);
  clamped("luminance", 0, 100);
  if (auto v = protocol::int_member(*l, "onoff")) {
    const int channel = static_cast<int>(int_of(*light, "channel"));
    if (member(*light, "onoff") || !set_relay(ctx, channel, *v != 0)) {
      set_int(*light, "onoff", *v ? 1 : 0, a);
    }
  }
  ctx.push(ns::kControlLight, wrap("light", *light));
  return Answer{Method::SetAck, "{}"};
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  const JsonValue* light = view.section("light");
  JsonValue* d = member(all, "digest");
  JsonValue* out = d ? member(*d, "light") : nullptr;
  if (!light || !out || !out->IsObject()) return;
  for (const char* name : {"capacity", "rgb", "temperature", "luminance", "onoff"}) {
    if (const JsonValue* v = member(*light, name)) set(*out, name, copy_of(*v, alloc), alloc);
  }
}

bool press(Context& ctx, std::optional<int> channel) {
  JsonValue* light = ctx.section("light");
  if (!light || !member(*light, "onoff")) return false;
  if (channel && *channel != int_of(*light, "channel")) return false;
  set_int(*light, "onoff", int_of(*light, "onoff") ? 0 : 1, ctx.alloc());
  ctx.push(ns::kControlLight, wrap("light", *light));
  return true;
}

bool load_push(Context& ctx) {
  return ctx.push_section(ns::kControlLight, "light");
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* light = view.section("light")) write_member(w, "light", *light);
}

constexpr std::string_view kNamespaces[] = {ns::kControlLight};

}  // namespace

extern const Family light_family{
    .name = "light",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .press = press,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
