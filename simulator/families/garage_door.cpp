// Garage door openers (meross-protocol.md §5.10): the door takes DeviceTemplate::garage_travel_ms
// to move; the SETACK reports the reed contact as it is now plus whether the relay was pulsed.
// The contact changes when the door stops. A door moved by a SET stops without a PUSH, as
// meross_lan's emulator does and as firmware over MQTT may (meross_lan#415): GETs tell where it
// is. A door moved by its button PUSHes when it stops. Section "garageDoor":
// {"dictShape":bool,"doors":[{channel,open,lmTime,moving,target,doneAtMs,pushWhenDone}],
// "config":{<GarageDoor.Config>},"multipleConfig":[<MultipleConfig item per door>]}, the settings
// seeded from the recorded GETACKs (else meross-protocol.md §5.10's examples) and answered by
// travel_config.hpp.

#include "protocol/namespaces.hpp"
#include "simulator/families/travel_config.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

// The section's doors, nullptr when there are none (from a Context or a View).
auto* doors(auto& device) {
  return filled_list(device.section("garageDoor"), "doors");
}

void add_door(JsonValue& list, const JsonValue* seen, Alloc& alloc) {
  JsonValue door(rapidjson::kObjectType);
  const std::int64_t open = seen && int_of(*seen, "open") ? 1 : 0;
  door.AddMember("channel", seen ? int_of(*seen, "channel") : 0, alloc);
  door.AddMember("open", open, alloc);
  door.AddMember("lmTime", seen ? int_of(*seen, "lmTime") : 0, alloc);
  door.AddMember("moving", false, alloc);
  door.AddMember("target", open, alloc);
  door.AddMember("doneAtMs", std::int64_t{0}, alloc);
  door.AddMember("pushWhenDone", false, alloc);
  list.PushBack(door, alloc);
}

void seed(Context& ctx) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  const JsonValue* listed = digest ? member(*digest, "garageDoor") : nullptr;
  auto items = items_of(listed);
  auto recorded = v.recorded(ns::kGarageDoorState);
  const JsonValue* recorded_state = recorded ? member(*recorded, "state") : nullptr;
  if (items.empty()) items = items_of(recorded_state);
  const bool ability = v.has(ns::kGarageDoorState);
  if (items.empty() && !ability) return;
  auto& section = ctx.make_section("garageDoor", rapidjson::kObjectType);
  auto& list = ensure(section, "doors", rapidjson::kArrayType, ctx.alloc());
  for (const JsonValue* item : items)
    add_door(list, item, ctx.alloc());
  // msg100-class firmware answers with a dict, msg200 with a list (meross-protocol.md §5.10):
  // the recorded answer says which; without one, a single channel-0 door is a dict.
  bool dict_shape = true;
  if (recorded) {
    dict_shape = recorded_state && recorded_state->IsObject();
  } else if (!items.empty()) {
    dict_shape = list.Size() == 1 && listed && listed->IsArray() && int_of(list[0], "channel") == 0;
  }
  if (list.Empty()) {
    add_door(list, nullptr, ctx.alloc());
    dict_shape = true;
  }
  set(section, "dictShape", JsonValue(dict_shape), ctx.alloc());
  using travel_config::Shape;
  if (ctx.has(ns::kGarageDoorConfig)) {
    travel_config::seed(ctx, section, "config", ns::kGarageDoorConfig, Shape::Device,
                        R"({"signalDuration":1000,"buzzerEnable":0,"doorOpenDuration":30000,)"
                        R"("doorCloseDuration":30000})");
  }
  if (ctx.has(ns::kGarageDoorMultipleConfig)) {
    std::string doors_config = "[";
    for (const auto& door : list.GetArray()) {
      if (doors_config.size() > 1) doors_config += ',';
      doors_config += R"({"channel":)" + std::to_string(int_of(door, "channel")) +
                      R"(,"doorEnable":1,"signalOpen":3000,"signalClose":3000,)"
                      R"("doorOpenDuration":15000,"doorCloseDuration":15000,"buzzerEnable":0})";
    }
    travel_config::seed(ctx, section, "multipleConfig", ns::kGarageDoorMultipleConfig,
                        Shape::PerChannel, doors_config + "]");
  }
}

bool dict_shape(const JsonValue& section) {
  const JsonValue* d = member(section, "dictShape");
  return d && d->IsTrue();
}

// {"state":[…]} (or one object), optionally only `only_channel`, with "execute" when >= 0.
std::string state_payload(const JsonValue& list, bool as_list, int execute = -1,
                          std::int64_t only_channel = -1) {
  return object_text([&](Writer& w) {
    w.Key("state");
    if (as_list) w.StartArray();
    for (const auto& door : list.GetArray()) {
      if (only_channel >= 0 && int_of(door, "channel") != only_channel) continue;
      w.StartObject();
      write_ints(w, door, {"channel", "open", "lmTime"});
      if (execute >= 0) {
        w.Key("execute");
        w.Int(execute);
      }
      w.EndObject();
      if (!as_list) break;
    }
    if (as_list) w.EndArray();
  });
}

bool moving(const JsonValue& door) {
  const JsonValue* m = member(door, "moving");
  return m && m->IsTrue();
}

// `push`: PUSH the state when the door stops (moved by its button).
void start(Context& ctx, JsonValue& door, std::int64_t target, bool push) {
  set(door, "moving", JsonValue(true), ctx.alloc());
  set_int(door, "target", target, ctx.alloc());
  set_int(door, "doneAtMs", ctx.now_ms + ctx.tmpl.garage_travel_ms, ctx.alloc());
  set(door, "pushWhenDone", JsonValue(push), ctx.alloc());
}

bool push_when_done(const JsonValue& door) {
  const JsonValue* p = member(door, "pushWhenDone");
  return p && p->IsTrue();
}

std::optional<Answer> handle_config(Context& ctx, Method method, std::string_view ns,
                                    const JsonValue& payload) {
  const bool per_door = ns == ns::kGarageDoorMultipleConfig;
  JsonValue* section = ctx.section("garageDoor");
  JsonValue* live = section ? member(*section, per_door ? "multipleConfig" : "config") : nullptr;
  auto answer = live ? travel_config::handle(ctx, *live,
                                             per_door ? travel_config::Shape::PerChannel
                                                      : travel_config::Shape::Device,
                                             method, payload)
                     : std::nullopt;
  return answer ? answer : recorded_answer(ctx, method, ns, payload);
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  if (ns != ns::kGarageDoorState) return handle_config(ctx, method, ns, payload);
  JsonValue* section = ctx.section("garageDoor");
  JsonValue* list = filled_list(section, "doors");
  if (!list) return recorded_answer(ctx, method, ns, payload);
  const bool dict = dict_shape(*section);
  if (method == Method::Get) return Answer{Method::GetAck, state_payload(*list, !dict)};
  if (method != Method::Set) return recorded_answer(ctx, method, ns, payload);
  const auto items = items_of(member(payload, "state"));
  if (items.empty()) return bad_payload();
  std::string body;
  for (const JsonValue* item : items) {
    const auto channel = channel_of(*item, int_of((*list)[0], "channel"));
    const auto open = protocol::int_member(*item, "open");
    JsonValue* door = channel ? find_channel(*list, *channel) : nullptr;
    if (!open || !door) return bad_payload();
    const std::int64_t target = *open ? 1 : 0;
    const bool execute =
        moving(*door) ? int_of(*door, "target") != target : int_of(*door, "open") != target;
    body = state_payload(*list, !dict || items.size() > 1, execute ? 1 : 0, *channel);
    if (execute) start(ctx, *door, target, false);
  }
  return Answer{Method::SetAck, std::move(body)};
}

void advance(Context& ctx) {
  JsonValue* list = doors(ctx);
  if (!list) return;
  for (auto& door : list->GetArray()) {
    if (!moving(door) || ctx.now_ms < int_of(door, "doneAtMs")) continue;
    set(door, "moving", JsonValue(false), ctx.alloc());
    set_int(door, "open", int_of(door, "target"), ctx.alloc());
    set_int(door, "lmTime", ctx.now_s(), ctx.alloc());
    if (push_when_done(door)) {
      ctx.push(ns::kGarageDoorState, state_payload(*list, true, -1, int_of(door, "channel")));
    }
  }
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  copy_to_digest(doors(view), all, "garageDoor", {"open", "lmTime"}, alloc);
}

// The PUSH comes when the door stops (advance).
bool press(Context& ctx, std::optional<int> channel) {
  JsonValue* list = doors(ctx);
  JsonValue* door = !list ? nullptr : channel ? find_channel(*list, *channel) : &(*list)[0];
  if (!door) return false;
  start(ctx, *door, moving(*door) ? int_of(*door, "open") : (int_of(*door, "open") ? 0 : 1), true);
  return true;
}

bool load_push(Context& ctx) {
  const JsonValue* list = doors(ctx);
  if (!list) return false;
  ctx.push(ns::kGarageDoorState, state_payload(*list, true));
  return true;
}

void summary(const View& view, Writer& w) {
  const JsonValue* list = doors(view);
  if (!list) return;
  write_list(w, "garageDoor", list->GetArray(), [](const JsonValue& door, Writer& out) {
    write_ints(out, door, {"channel", "open"});
    out.Key("moving");
    out.Bool(moving(door));
  });
}

constexpr std::string_view kNamespaces[] = {ns::kGarageDoorState, ns::kGarageDoorConfig,
                                            ns::kGarageDoorMultipleConfig};

}  // namespace

extern const Family garage_door_family{
    .name = "garage_door",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .advance = advance,
    .press = press,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
