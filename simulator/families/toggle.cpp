// ToggleX (per-channel relays) and the legacy single-relay Toggle (meross-protocol.md §5.1,
// §5.2). Sections: "togglex" {"dictShape":bool,"channels":[{channel,onoff,lmTime}]} and
// "toggle" {onoff,lmTime}.

#include <algorithm>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

JsonValue channel_item(int channel, int onoff, std::int64_t lm_time, Alloc& alloc) {
  return int_object({{"channel", channel}, {"onoff", onoff}, {"lmTime", lm_time}}, alloc);
}

void seed(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  std::vector<const JsonValue*> items = items_of(digest ? member(*digest, "togglex") : nullptr);
  if (!items.empty()) {
    auto& section = ctx.make_section("togglex", rapidjson::kObjectType);
    auto& list = ensure(section, "channels", rapidjson::kArrayType, ctx.alloc());
    for (const JsonValue* item : items) {
      list.PushBack(
          channel_item(static_cast<int>(int_of(*item, "channel")), int_of(*item, "onoff") ? 1 : 0,
                       int_of(*item, "lmTime"), ctx.alloc()),
          ctx.alloc());
    }
    // Old firmware answers ToggleX GET with a dict (meross-protocol.md §5.2).
    bool dict_shape = false;
    if (auto doc = v.recorded(ns::kControlToggleX)) {
      const JsonValue* t = member(*doc, "togglex");
      dict_shape = t && t->IsObject();
    }
    set(section, "dictShape", JsonValue(dict_shape), ctx.alloc());
  }
  const JsonValue* control = v.control();
  const JsonValue* toggle = control ? member(*control, "toggle") : nullptr;
  const bool legacy_ability = v.has(ns::kControlToggle) && !v.has(ns::kControlToggleX);
  if ((toggle && toggle->IsObject()) || legacy_ability) {
    auto& section = ctx.make_section("toggle", rapidjson::kObjectType);
    const bool known = toggle && toggle->IsObject();
    set_int(section, "onoff", known && int_of(*toggle, "onoff") ? 1 : 0, ctx.alloc());
    set_int(section, "lmTime", known ? int_of(*toggle, "lmTime") : 0, ctx.alloc());
  }
}

std::string get_payload(const JsonValue& togglex) {
  const JsonValue& list = *filled_list(&togglex, "channels");
  const JsonValue* dict = member(togglex, "dictShape");
  const bool one = dict && dict->IsTrue() && list.Size() == 1;
  return object_text([&](Writer& w) {
    w.Key("channel");
    w.Int64(one ? int_of(list[0], "channel") : protocol::kAllChannels32);
    write_member(w, "togglex", one ? list[0] : list);
  });
}

std::string push_payload(const JsonValue& togglex, const std::vector<int>& changed) {
  std::vector<const JsonValue*> items;
  for (const auto& item : filled_list(&togglex, "channels")->GetArray()) {
    const int channel = static_cast<int>(int_of(item, "channel"));
    if (std::find(changed.begin(), changed.end(), channel) != changed.end()) {
      items.push_back(&item);
    }
  }
  return wrap_list("togglex", items);
}

std::string toggle_payload(const JsonValue& toggle) {
  return wrap("toggle", toggle);
}

std::optional<Answer> handle_togglex(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* togglex = ctx.section("togglex");
  JsonValue* list = filled_list(togglex, "channels");
  if (!list) return recorded_answer(ctx, method, ns::kControlToggleX, payload);
  if (method == Method::Get) return Answer{Method::GetAck, get_payload(*togglex)};
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kControlToggleX, payload);
  const auto items = items_of(member(payload, "togglex"));
  if (items.empty()) return bad_payload();
  std::vector<int> changed;
  for (const JsonValue* item : items) {
    const auto channel = channel_of(*item, 0);
    const auto onoff = protocol::int_member(*item, "onoff");
    JsonValue* c = channel ? find_channel(*list, *channel) : nullptr;
    if (!onoff || !c) return bad_payload();
    set_int(*c, "onoff", *onoff ? 1 : 0, ctx.alloc());
    set_int(*c, "lmTime", ctx.now_s(), ctx.alloc());
    changed.push_back(static_cast<int>(*channel));
  }
  ctx.push(ns::kControlToggleX, push_payload(*togglex, changed));
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle_toggle(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* toggle = ctx.section("toggle");
  if (!toggle) return recorded_answer(ctx, method, ns::kControlToggle, payload);
  if (method == Method::Get) return Answer{Method::GetAck, toggle_payload(*toggle)};
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kControlToggle, payload);
  const JsonValue* t = member(payload, "toggle");
  const auto onoff = t ? protocol::int_member(*t, "onoff") : std::nullopt;
  if (!onoff) return bad_payload();
  set_int(*toggle, "onoff", *onoff ? 1 : 0, ctx.alloc());
  set_int(*toggle, "lmTime", ctx.now_s(), ctx.alloc());
  ctx.push(ns::kControlToggle, toggle_payload(*toggle));
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  return ns == ns::kControlToggleX ? handle_togglex(ctx, method, payload)
                                   : handle_toggle(ctx, method, payload);
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  copy_to_digest(filled_list(view.section("togglex"), "channels"), all, "togglex",
                 {"onoff", "lmTime"}, alloc);
  const JsonValue* toggle = view.section("toggle");
  JsonValue* control = member(all, "control");
  JsonValue* t = control ? member(*control, "toggle") : nullptr;
  if (toggle && t && t->IsObject()) {
    set_int(*t, "onoff", int_of(*toggle, "onoff"), alloc);
    set_int(*t, "lmTime", int_of(*toggle, "lmTime"), alloc);
  }
}

// A garage door opener's button drives the door, not the relay channel it shares.
bool garage_owns(const View& view, std::optional<int> channel) {
  const JsonValue* garage = view.section("garageDoor");
  const JsonValue* doors = garage ? member(*garage, "doors") : nullptr;
  if (!doors || !doors->IsArray() || doors->Empty()) return false;
  return !channel || find_channel(*doors, *channel) != nullptr;
}

bool press(Context& ctx, std::optional<int> channel) {
  if (garage_owns(ctx.view(), channel)) return false;
  JsonValue* togglex = ctx.section("togglex");
  if (JsonValue* list = filled_list(togglex, "channels")) {
    JsonValue* c = channel ? find_channel(*list, *channel) : &(*list)[0];
    if (c) {
      set_int(*c, "onoff", int_of(*c, "onoff") ? 0 : 1, ctx.alloc());
      set_int(*c, "lmTime", ctx.now_s(), ctx.alloc());
      ctx.push(ns::kControlToggleX,
               push_payload(*togglex, {static_cast<int>(int_of(*c, "channel"))}));
      return true;
    }
  }
  JsonValue* toggle = ctx.section("toggle");
  if (toggle && channel.value_or(0) == 0) {
    set_int(*toggle, "onoff", int_of(*toggle, "onoff") ? 0 : 1, ctx.alloc());
    set_int(*toggle, "lmTime", ctx.now_s(), ctx.alloc());
    ctx.push(ns::kControlToggle, toggle_payload(*toggle));
    return true;
  }
  return false;
}

bool load_push(Context& ctx) {
  const JsonValue* togglex = ctx.section("togglex");
  const JsonValue* list = filled_list(togglex, "channels");
  if (!list) return false;
  std::vector<int> all;
  for (const auto& item : list->GetArray())
    all.push_back(static_cast<int>(int_of(item, "channel")));
  ctx.push(ns::kControlToggleX, push_payload(*togglex, all));
  return true;
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* list = filled_list(view.section("togglex"), "channels")) {
    write_list(w, "togglex", list->GetArray(), [](const JsonValue& item, Writer& out) {
      write_ints(out, item, {"channel", "onoff"});
    });
  }
  if (const JsonValue* toggle = view.section("toggle")) {
    w.Key("toggle");
    w.Int64(int_of(*toggle, "onoff"));
  }
}

constexpr std::string_view kNamespaces[] = {ns::kControlToggleX, ns::kControlToggle};

}  // namespace

bool relay_on(const View& view, int channel) {
  if (const JsonValue* toggle = view.section("toggle"); toggle && channel == 0) {
    return int_of(*toggle, "onoff") != 0;
  }
  const JsonValue* list = filled_list(view.section("togglex"), "channels");
  const JsonValue* c = list ? find_channel(*list, channel) : nullptr;
  return c && int_of(*c, "onoff") != 0;
}

bool set_relay(Context& ctx, int channel, bool on) {
  JsonValue* list = filled_list(ctx.section("togglex"), "channels");
  JsonValue* c = list ? find_channel(*list, channel) : nullptr;
  if (!c) return false;
  set_int(*c, "onoff", on ? 1 : 0, ctx.alloc());
  set_int(*c, "lmTime", ctx.now_s(), ctx.alloc());
  return true;
}

extern const Family toggle_family{
    .name = "toggle",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .press = press,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
