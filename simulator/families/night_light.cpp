// The hp110a night light's sound machine: Appliance.Control.Mp3 (device-families.md §6). Section
// "mp3" {channel,song,mute,volume,lmTime}; its light and relay are light.cpp's and toggle.cpp's.
//
// GET answers {"mp3":{…}}; SET takes one dict {"mp3":{"channel":0,…}} with any of song 1..11,
// volume 0..16 and mute 0/1 and PUSHes the new state, as the device does when its own buttons
// change it. Anything else (a list, a string, a song 12) is refused with ERROR 5000 and changes
// nothing, so a bridge that clamps or guesses is caught.

#include <initializer_list>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

struct Field {
  std::string_view name;
  std::int64_t lo, hi;
};
constexpr Field kFields[] = {{"song", 1, 11}, {"volume", 0, 16}, {"mute", 0, 1}};

void seed(Context& ctx) {
  const View v = ctx.view();
  if (!v.has(ns::kControlMp3)) return;
  // §6's GETACK when the template recorded none: White noise, volume 11, not playing.
  auto recorded = v.recorded(ns::kControlMp3);
  const JsonValue* seen = recorded ? member(*recorded, "mp3") : nullptr;
  if (seen && !seen->IsObject()) seen = nullptr;
  auto& mp3 = ctx.make_section("mp3", rapidjson::kObjectType);
  auto& a = ctx.alloc();
  set_int(mp3, "channel", 0, a);
  set_int(mp3, "song", seen ? int_of(*seen, "song", 9) : 9, a);
  set_int(mp3, "mute", seen ? int_of(*seen, "mute", 1) : 1, a);
  set_int(mp3, "volume", seen ? int_of(*seen, "volume", 11) : 11, a);
  set_int(mp3, "lmTime", seen ? int_of(*seen, "lmTime") : 0, a);
}

// Whether `item` is a SET the firmware takes: channel 0, each field present an integer in range,
// at least one of them.
bool valid_set(const JsonValue* item) {
  if (!item || !item->IsObject() || channel_of(*item, 0) != 0) return false;
  bool any = false;
  for (const Field& f : kFields) {
    const JsonValue* value = member(*item, f.name);
    if (!value) continue;
    const auto number = strict_int(*value);
    if (!number || *number < f.lo || *number > f.hi) return false;
    any = true;
  }
  return any;
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view,
                             const JsonValue& payload) {
  JsonValue* mp3 = ctx.section("mp3");
  if (!mp3) return recorded_answer(ctx, method, ns::kControlMp3, payload);
  const bool push_query = method == Method::Push && payload.IsObject() && payload.ObjectEmpty();
  if (method == Method::Get || push_query) {
    return Answer{method == Method::Get ? Method::GetAck : Method::Push, wrap("mp3", *mp3)};
  }
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kControlMp3, payload);
  const JsonValue* item = member(payload, "mp3");
  if (!valid_set(item)) return bad_payload();
  for (const Field& f : kFields) {
    if (const JsonValue* value = member(*item, f.name)) {
      set_int(*mp3, f.name, *strict_int(*value), ctx.alloc());
    }
  }
  set_int(*mp3, "lmTime", ctx.now_s(), ctx.alloc());
  ctx.push(ns::kControlMp3, wrap("mp3", *mp3));
  return Answer{Method::SetAck, "{}"};
}

bool load_push(Context& ctx) {
  return ctx.push_section(ns::kControlMp3, "mp3");
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* mp3 = view.section("mp3")) {
    w.Key("mp3");
    w.StartObject();
    write_ints(w, *mp3, {"song", "volume", "mute"});
    w.EndObject();
  }
}

constexpr std::string_view kNamespaces[] = {ns::kControlMp3};

}  // namespace

extern const Family night_light_family{
    .name = "night_light",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
