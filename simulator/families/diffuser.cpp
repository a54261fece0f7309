// The mod100 aroma diffuser and the msxh0 humidifier (device-families.md §3). Sections:
// "diffuser" {"light":{channel,onoff,mode,luminance,rgb,lmTime},"spray":{channel,mode,lmTime},
// "sensor":{"temperature":{value,lmTime},"humidity":{value,lmTime}}} for Diffuser.* (mod100),
// and "spray" {channel,mode,lastMode,onoffTime,lmTime} for Control.Spray (msxh0, whose light is
// the ordinary Control.Light of light.cpp).
//
// The two spray namespaces number their modes in opposite orders (Diffuser.Spray 2 = off,
// Control.Spray 0 = off) and take different SET shapes: Diffuser.* a list of channel objects,
// Control.Spray one dict. Anything else (the other shape, a string, a mode out of 0..2) is
// refused with ERROR 5000 and changes nothing, so a bridge that mixes them up is caught.

#include <span>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

// Readings of a unit with a working sensor, when the trace recorded none (0.1 °C, 0.1 %).
constexpr std::int64_t kTemperature = 225;
constexpr std::int64_t kHumidity = 480;

const JsonValue* first_item(const JsonValue* value) {
  const auto items = items_of(value);
  return items.empty() ? nullptr : items.front();
}

JsonValue reading(std::int64_t value, std::int64_t lm_time, Alloc& a) {
  return int_object({{"value", value}, {"lmTime", lm_time}}, a);
}

void seed_diffuser(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  const JsonValue* seen = digest ? member(*digest, "diffuser") : nullptr;
  if (!seen && !v.has(ns::kControlDiffuserSpray) && !v.has(ns::kControlDiffuserLight)) return;
  auto& a = ctx.alloc();
  auto& section = ctx.make_section("diffuser", rapidjson::kObjectType);

  const JsonValue* l = seen ? first_item(member(*seen, "light")) : nullptr;
  set(section, "light",
      int_object({{"channel", 0},
                  {"onoff", l ? (int_of(*l, "onoff") ? 1 : 0) : 0},
                  {"mode", l ? int_of(*l, "mode", 1) : 1},
                  {"luminance", l ? int_of(*l, "luminance", 100) : 100},
                  {"rgb", l ? int_of(*l, "rgb", 0xffffff) : 0xffffff},
                  {"lmTime", l ? int_of(*l, "lmTime") : 0}},
                 a),
      a);

  const JsonValue* s = seen ? first_item(member(*seen, "spray")) : nullptr;
  set(section, "spray",
      int_object({{"channel", 0},
                  {"mode", s ? int_of(*s, "mode", 2) : 2},
                  {"lmTime", s ? int_of(*s, "lmTime") : 0}},
                 a),
      a);

  // An older unit answers zeros (meross_lan#243): kept, as the trace recorded them.
  std::int64_t temperature = kTemperature, humidity = kHumidity, lm_time = 0;
  if (auto doc = v.recorded(ns::kControlDiffuserSensor)) {
    const JsonValue* t = member(*doc, "temperature");
    const JsonValue* h = member(*doc, "humidity");
    if (t) temperature = int_of(*t, "value");
    if (h) humidity = int_of(*h, "value");
    if (t) lm_time = int_of(*t, "lmTime");
  }
  JsonValue sensor(rapidjson::kObjectType);
  sensor.AddMember("temperature", reading(temperature, lm_time, a), a);
  sensor.AddMember("humidity", reading(humidity, lm_time, a), a);
  set(section, "sensor", std::move(sensor), a);
}

void seed_spray(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  const JsonValue* s = digest ? first_item(member(*digest, "spray")) : nullptr;
  if (!s && !v.has(ns::kControlSpray)) return;
  auto& a = ctx.alloc();
  auto& spray = ctx.make_section("spray", rapidjson::kObjectType);
  set_int(spray, "channel", 0, a);
  set_int(spray, "mode", s ? int_of(*s, "mode") : 0, a);
  set_int(spray, "lastMode", s ? int_of(*s, "lastMode", 1) : 1, a);
  set_int(spray, "onoffTime", s ? int_of(*s, "onoffTime") : 0, a);
  set_int(spray, "lmTime", s ? int_of(*s, "lmTime") : 0, a);
}

void seed(Context& ctx) {
  seed_diffuser(ctx);
  seed_spray(ctx);
}

// {"type":"mod100","<key>":[<item>]}: how every Diffuser.* answer and PUSH looks.
std::string typed_list(std::string_view key, const JsonValue& item) {
  return object_text([&](Writer& w) {
    w.Key("type");
    w.String("mod100");
    write_values(w, key, {&item});
  });
}

struct Field {
  std::string_view name;
  std::int64_t lo, hi;
};

// Whether `list` is what a Diffuser.* SET takes: a list of channel-0 objects, each field present
// a JSON integer within its range.
bool valid_items(const JsonValue* list, std::span<const Field> fields) {
  if (!list || !list->IsArray() || list->Empty()) return false;
  for (const auto& item : list->GetArray()) {
    if (!item.IsObject() || channel_of(item, 0) != 0) return false;
    for (const Field& f : fields) {
      const JsonValue* value = member(item, f.name);
      if (!value) continue;
      const auto number = strict_int(*value);
      if (!number || *number < f.lo || *number > f.hi) return false;
    }
  }
  return true;
}

void apply(JsonValue& target, const JsonValue& list, std::span<const Field> fields, Context& ctx) {
  for (const auto& item : list.GetArray()) {
    for (const Field& f : fields) {
      if (const JsonValue* value = member(item, f.name)) {
        set_int(target, f.name, *strict_int(*value), ctx.alloc());
      }
    }
  }
  set_int(target, "lmTime", ctx.now_s(), ctx.alloc());
}

constexpr Field kSprayFields[] = {{"mode", 0, 2}};
constexpr Field kLightFields[] = {
    {"onoff", 0, 1}, {"mode", 0, 2}, {"luminance", 0, 100}, {"rgb", 0, 0xffffff}};

std::optional<Answer> handle_diffuser(Context& ctx, Method method, std::string_view n,
                                      const JsonValue& payload) {
  JsonValue* section = ctx.section("diffuser");
  if (!section) return recorded_answer(ctx, method, n, payload);
  if (n == ns::kControlDiffuserSensor) {
    if (method != Method::Get) return recorded_answer(ctx, method, n, payload);
    const JsonValue& sensor = *member(*section, "sensor");
    return Answer{Method::GetAck, object_text([&](Writer& w) {
                    w.Key("type");
                    w.String("mod100");
                    write_member(w, "humidity", *member(sensor, "humidity"));
                    write_member(w, "temperature", *member(sensor, "temperature"));
                  })};
  }
  const bool is_spray = n == ns::kControlDiffuserSpray;
  const std::string_view key = is_spray ? "spray" : "light";
  JsonValue& live = *member(*section, key);
  if (method == Method::Get) return Answer{Method::GetAck, typed_list(key, live)};
  if (method != Method::Set) return recorded_answer(ctx, method, n, payload);
  const JsonValue* list = member(payload, key);
  const std::span<const Field> fields =
      is_spray ? std::span<const Field>(kSprayFields) : std::span<const Field>(kLightFields);
  if (!valid_items(list, fields)) return bad_payload();
  apply(live, *list, fields, ctx);
  ctx.push(n, typed_list(key, live));
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle_spray(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* spray = ctx.section("spray");
  if (!spray) return recorded_answer(ctx, method, ns::kControlSpray, payload);
  // GET answers the odd {"channel":0,"spray":{…}} (device-families.md §3.2).
  const auto answer = [&] {
    return object_text([&](Writer& w) {
      w.Key("channel");
      w.Int(0);
      write_member(w, "spray", *spray);
    });
  };
  if (method == Method::Get) return Answer{Method::GetAck, answer()};
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kControlSpray, payload);
  const JsonValue* item = member(payload, "spray");
  if (!item || !item->IsObject() || channel_of(*item, 0) != 0) return bad_payload();
  const JsonValue* mode_value = member(*item, "mode");
  const auto mode = mode_value ? strict_int(*mode_value) : std::nullopt;
  if (!mode || *mode < 0 || *mode > 2) return bad_payload();
  auto& a = ctx.alloc();
  const std::int64_t before = int_of(*spray, "mode");
  if ((before == 0) != (*mode == 0)) set_int(*spray, "onoffTime", ctx.now_s(), a);
  if (*mode != 0) set_int(*spray, "lastMode", *mode, a);
  set_int(*spray, "mode", *mode, a);
  set_int(*spray, "lmTime", ctx.now_s(), a);
  ctx.push(ns::kControlSpray, wrap_list("spray", {spray}));
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view n,
                             const JsonValue& payload) {
  if (n == ns::kControlSpray) return handle_spray(ctx, method, payload);
  return handle_diffuser(ctx, method, n, payload);
}

// Copies the live integers of `live` into the first item of the list `out`.
void copy_into(const JsonValue& live, JsonValue* out, Alloc& alloc) {
  if (!out || !out->IsArray() || out->Empty() || !(*out)[0].IsObject()) return;
  for (const auto& m : live.GetObject()) {
    if (m.value.IsInt64()) set((*out)[0], m.name.GetString(), copy_of(m.value, alloc), alloc);
  }
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  JsonValue* d = member(all, "digest");
  if (!d) return;
  if (const JsonValue* section = view.section("diffuser")) {
    if (JsonValue* out = member(*d, "diffuser")) {
      copy_into(*member(*section, "light"), member(*out, "light"), alloc);
      copy_into(*member(*section, "spray"), member(*out, "spray"), alloc);
    }
  }
  if (const JsonValue* spray = view.section("spray")) copy_into(*spray, member(*d, "spray"), alloc);
}

bool load_push(Context& ctx) {
  if (JsonValue* section = ctx.section("diffuser")) {
    ctx.push(ns::kControlDiffuserSpray, typed_list("spray", *member(*section, "spray")));
    return true;
  }
  if (JsonValue* spray = ctx.section("spray")) {
    ctx.push(ns::kControlSpray, wrap_list("spray", {spray}));
    return true;
  }
  return false;
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* section = view.section("diffuser")) {
    w.Key("diffuser");
    w.StartObject();
    write_member(w, "spray", *member(*section, "spray"));
    write_member(w, "light", *member(*section, "light"));
    w.EndObject();
  }
  if (const JsonValue* spray = view.section("spray")) write_member(w, "spray", *spray);
}

constexpr std::string_view kNamespaces[] = {ns::kControlDiffuserSpray, ns::kControlDiffuserLight,
                                            ns::kControlDiffuserSensor, ns::kControlSpray};

}  // namespace

extern const Family diffuser_family{
    .name = "diffuser",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
