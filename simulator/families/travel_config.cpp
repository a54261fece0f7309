// The door and shutter settings travel_config.hpp declares.

#include "simulator/families/travel_config.hpp"

namespace meross::sim::detail::travel_config {
namespace {

std::string_view name_of(const JsonValue& member_name) {
  return {member_name.GetString(), member_name.GetStringLength()};
}

bool ends_with_enable(std::string_view field) {
  return field.size() > 6 && field.substr(field.size() - 6) == "Enable";
}

// Every member of `item` but "channel" is a field `live` has, a JSON integer in its range.
bool valid_fields(const JsonValue& item, const JsonValue& live) {
  for (auto m = item.MemberBegin(); m != item.MemberEnd(); ++m) {
    const std::string_view field = name_of(m->name);
    if (field == "channel") continue;
    const auto value = strict_int(m->value);
    const std::int64_t hi = ends_with_enable(field) ? 1 : kMaxMs;
    if (!member(live, field) || !value || *value < 0 || *value > hi) return false;
  }
  return true;
}

void merge(JsonValue& live, const JsonValue& item, Alloc& alloc) {
  for (auto m = item.MemberBegin(); m != item.MemberEnd(); ++m) {
    if (name_of(m->name) != "channel") set_int(live, name_of(m->name), m->value.GetInt64(), alloc);
  }
}

// The live item a SET item changes; nullptr when there is none.
JsonValue* target_of(JsonValue& live, Shape shape, const JsonValue& item) {
  if (shape == Shape::Device) return &live;
  const auto channel = channel_of(item, 0);
  return channel ? find_channel(live, *channel) : nullptr;
}

}  // namespace

void seed(Context& ctx, JsonValue& section, std::string_view name, std::string_view ns, Shape shape,
          std::string_view fallback) {
  rapidjson::Document items;
  items.Parse(fallback.data(), fallback.size());
  if (auto doc = ctx.view().recorded(ns)) {
    const JsonValue* recorded = member(*doc, "config");
    const bool fits =
        recorded &&
        (shape == Shape::Device ? recorded->IsObject() : recorded->IsArray() && !recorded->Empty());
    if (fits) items.CopyFrom(*recorded, items.GetAllocator());
  }
  set(section, name, copy_of(items, ctx.alloc()), ctx.alloc());
}

std::optional<Answer> handle(Context& ctx, JsonValue& live, Shape shape, Method method,
                             const JsonValue& payload) {
  const JsonValue* asked = member(payload, "config");
  if (method == Method::Get) {
    if (shape == Shape::Device) return Answer{Method::GetAck, wrap("config", live)};
    std::vector<const JsonValue*> named;
    for (const JsonValue* item : items_of(asked)) {
      const auto channel = channel_of(*item, -1);
      const JsonValue* found = channel && *channel >= 0 ? find_channel(live, *channel) : nullptr;
      if (found) named.push_back(found);
    }
    if (named.empty()) {
      for (const auto& item : live.GetArray())
        named.push_back(&item);
    }
    return Answer{Method::GetAck, wrap_list("config", named)};
  }
  if (method != Method::Set) return std::nullopt;
  const auto items = items_of(asked);
  if (items.empty()) return bad_payload();
  for (const JsonValue* item : items) {
    const JsonValue* target = target_of(live, shape, *item);
    if (!target || !valid_fields(*item, *target)) return bad_payload();
  }
  for (const JsonValue* item : items)
    merge(*target_of(live, shape, *item), *item, ctx.alloc());
  return Answer{Method::SetAck, "{}"};
}

}  // namespace meross::sim::detail::travel_config
