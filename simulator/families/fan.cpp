// Appliance.Control.Fan and Appliance.Control.FilterMaintenance (device-families.md §4): the
// mfc100 ceiling fan (digest.fan channel 2) and the map100 purifier (the Fan ability, no digest
// section: channel 0). Sections: "fan" {"channels":[{channel,speed,maxSpeed}]} and "filter"
// {"channels":[{channel,life,lmTime}]}.
//
// Like the firmware: Fan answers a GET only for the channels it names (a bare {"fan":{}} gets
// `[]`, map100 trace) and never PUSHes; FilterMaintenance answers a PUSH query only (its GET drops
// the connection on the map100, so it is left unanswered here). The fan's power is its ToggleX
// relay (toggle.cpp), which the speed does not touch.

#include <algorithm>
#include <charconv>
#include <string>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

// The map100 never told its levels; three, like the mfc100's.
constexpr std::int64_t kDefaultMaxSpeed = 3;

JsonValue fan_item(std::int64_t channel, std::int64_t speed, std::int64_t max, Alloc& alloc) {
  return int_object({{"channel", channel}, {"speed", speed}, {"maxSpeed", max}}, alloc);
}

void seed(Context& ctx) {
  const View v = ctx.view();
  if (v.has(ns::kControlFan)) {
    const JsonValue* digest = v.digest();
    auto items = items_of(digest ? member(*digest, "fan") : nullptr);
    auto& list = ensure(ctx.make_section("fan", rapidjson::kObjectType), "channels",
                        rapidjson::kArrayType, ctx.alloc());
    for (const JsonValue* item : items) {
      const std::int64_t max = std::max<std::int64_t>(1, int_of(*item, "maxSpeed", 1));
      list.PushBack(
          fan_item(int_of(*item, "channel"),
                   std::clamp<std::int64_t>(int_of(*item, "speed"), 0, max), max, ctx.alloc()),
          ctx.alloc());
    }
    if (items.empty()) list.PushBack(fan_item(0, 1, kDefaultMaxSpeed, ctx.alloc()), ctx.alloc());
  }
  if (v.has(ns::kControlFilterMaintenance)) {
    auto& list = ensure(ctx.make_section("filter", rapidjson::kObjectType), "channels",
                        rapidjson::kArrayType, ctx.alloc());
    std::vector<const JsonValue*> items;
    auto doc = v.recorded(ns::kControlFilterMaintenance);
    if (doc) items = items_of(member(*doc, "filter"));
    for (const JsonValue* item : items)
      list.PushBack(copy_of(*item, ctx.alloc()), ctx.alloc());
    if (items.empty()) {
      list.PushBack(int_object({{"channel", 0}, {"life", 100}, {"lmTime", 0}}, ctx.alloc()),
                    ctx.alloc());
    }
  }
}

// The GETACK of the channels `payload` names.
std::string get_payload(const JsonValue& list, const JsonValue& payload) {
  std::vector<const JsonValue*> out;
  const JsonValue* asked = member(payload, "fan");
  if (asked && asked->IsArray()) {
    for (const JsonValue* item : items_of(asked)) {
      const auto channel = channel_of(*item, 0);
      if (const JsonValue* c = channel ? find_channel(list, *channel) : nullptr) out.push_back(c);
    }
  }
  return wrap_list("fan", out);
}

std::optional<Answer> handle_fan(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* list = filled_list(ctx.section("fan"), "channels");
  if (!list) return recorded_answer(ctx, method, ns::kControlFan, payload);
  if (method == Method::Get) return Answer{Method::GetAck, get_payload(*list, payload)};
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kControlFan, payload);
  const JsonValue* fan = member(payload, "fan");
  const auto items = items_of(fan);
  if (!fan || !fan->IsArray() || items.empty()) return bad_payload();
  // All or nothing: a bad item leaves every channel as it was.
  for (const JsonValue* item : items) {
    const auto channel = channel_of(*item, 0);
    const JsonValue* c = channel ? find_channel(*list, *channel) : nullptr;
    const JsonValue* speed_value = member(*item, "speed");
    const auto speed = speed_value ? strict_int(*speed_value) : std::nullopt;
    if (!c || !speed || *speed < 0 || *speed > int_of(*c, "maxSpeed")) return bad_payload();
  }
  for (const JsonValue* item : items) {
    JsonValue* c = find_channel(*list, *channel_of(*item, 0));
    set_int(*c, "speed", *strict_int(*member(*item, "speed")), ctx.alloc());
  }
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle_filter(Context& ctx, Method method, const JsonValue& payload) {
  const JsonValue* list = filled_list(ctx.section("filter"), "channels");
  if (method == Method::Get) {
    ctx.warning = "GET " + std::string(ns::kControlFilterMaintenance) +
                  " is never answered by firmware (read it with a PUSH query): ignored";
    return std::nullopt;
  }
  if (method == Method::Push && list && payload.IsObject() && payload.ObjectEmpty()) {
    return Answer{Method::Push, wrap("filter", *list)};
  }
  return recorded_answer(ctx, method, ns::kControlFilterMaintenance, payload);
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  return ns == ns::kControlFan ? handle_fan(ctx, method, payload)
                               : handle_filter(ctx, method, payload);
}

void digest(const View& view, JsonValue& all, Alloc& alloc) {
  copy_to_digest(filled_list(view.section("fan"), "channels"), all, "fan", {"speed"}, alloc);
}

// stdin "fan <channel> <speed>": the device's own buttons or remote. No PUSH, like the firmware.
std::optional<std::string> command(Context& ctx, Command words) {
  if (words.size() != 3 || words[0] != "fan") return std::nullopt;
  JsonValue* list = filled_list(ctx.section("fan"), "channels");
  if (!list) return std::nullopt;
  const auto number = [](const std::string& word) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc{} || end != word.data() + word.size()) return std::nullopt;
    return value;
  };
  const auto channel = number(words[1]);
  const auto speed = number(words[2]);
  if (!channel || !speed) return std::string("usage: fan <channel> <speed>");
  JsonValue* c = find_channel(*list, *channel);
  if (!c) return std::nullopt;
  if (*speed < 0 || *speed > int_of(*c, "maxSpeed")) return std::string("speed out of range");
  set_int(*c, "speed", *speed, ctx.alloc());
  return std::string();
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* list = filled_list(view.section("fan"), "channels")) {
    write_list(w, "fan", list->GetArray(), [](const JsonValue& item, Writer& out) {
      write_ints(out, item, {"channel", "speed", "maxSpeed"});
    });
  }
  if (const JsonValue* list = filled_list(view.section("filter"), "channels")) {
    write_list(w, "filter", list->GetArray(), [](const JsonValue& item, Writer& out) {
      write_ints(out, item, {"channel", "life"});
    });
  }
}

constexpr std::string_view kNamespaces[] = {ns::kControlFan, ns::kControlFilterMaintenance};

}  // namespace

extern const Family fan_family{
    .name = "fan",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .digest = digest,
    .command = command,
    .summary = summary,
};

}  // namespace meross::sim::detail
