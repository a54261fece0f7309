#include "simulator/families/thermostat.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace meross::sim::detail::thermostat {
namespace {

// The mode lists, in the order a device could have them.
constexpr std::string_view kModeKeys[] = {"mode", "modeB", "control"};

const JsonValue* section(const View& view) {
  return view.section("thermostat");
}

bool field_fits(const Field& f, const JsonValue& value, const JsonValue& live) {
  switch (f.kind) {
    case Field::Kind::Int: {
      auto v = strict_int(value);
      return v && *v >= f.lo && *v <= f.hi;
    }
    case Field::Kind::Bounded: {
      auto v = strict_int(value);
      if (!v) return false;
      const auto lo = protocol::int_member(live, "min");
      const auto hi = protocol::int_member(live, "max");
      return (!lo || *v >= *lo) && (!hi || *v <= *hi);
    }
    case Field::Kind::Number:
      return value.IsNumber() && value.GetDouble() >= static_cast<double>(f.lo) &&
             value.GetDouble() <= static_cast<double>(f.hi);
    case Field::Kind::Object:
      if (!value.IsObject()) return false;
      for (const auto& m : value.GetObject()) {
        auto v = strict_int(m.value);
        if (!v || *v < f.lo || *v > f.hi) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

JsonValue* list(Context& ctx, std::string_view key) {
  JsonValue* s = ctx.section("thermostat");
  JsonValue* l = s ? member(*s, key) : nullptr;
  return l && l->IsArray() ? l : nullptr;
}

const JsonValue* list(const View& view, std::string_view key) {
  const JsonValue* s = section(view);
  const JsonValue* l = s ? member(*s, key) : nullptr;
  return l && l->IsArray() ? l : nullptr;
}

JsonValue& make_list(Context& ctx, std::string_view key) {
  JsonValue& s = ctx.make_section("thermostat", rapidjson::kObjectType);
  set(s, key, JsonValue(rapidjson::kArrayType), ctx.alloc());
  return *member(s, key);
}

std::vector<std::int64_t> channels(const View& view) {
  std::vector<std::int64_t> out;
  for (std::string_view key : kModeKeys) {
    const JsonValue* l = list(view, key);
    if (!l) continue;
    for (const auto& item : l->GetArray())
      out.push_back(int_of(item, "channel"));
    break;
  }
  return out;
}

int scale(const View& view) {
  return list(view, "mode") ? 10 : 100;
}

bool seed_from_trace(Context& ctx, std::string_view ns, std::string_view key) {
  const View v = ctx.view();
  const JsonValue* digest = v.digest();
  const JsonValue* thermostat = digest ? member(*digest, "thermostat") : nullptr;
  std::vector<const JsonValue*> items;
  if (thermostat) {
    const JsonValue* l = member(*thermostat, key);
    if (l && l->IsArray()) items = items_of(l);
  }
  auto recorded = v.recorded(ns);
  if (items.empty() && recorded) {
    const JsonValue* l = member(*recorded, key);
    if (l && l->IsArray()) items = items_of(l);
  }
  if (items.empty()) return false;
  JsonValue& out = make_list(ctx, key);
  for (const JsonValue* item : items) {
    if (channel_of(*item, 0) && !find_channel(out, int_of(*item, "channel"))) {
      out.PushBack(copy_of(*item, ctx.alloc()), ctx.alloc());
    }
  }
  return true;
}

void seed_default(Context& ctx, std::string_view key, std::string_view json) {
  rapidjson::Document item;
  item.Parse(json.data(), json.size());
  make_list(ctx, key).PushBack(copy_of(item, ctx.alloc()), ctx.alloc());
}

void write_digest(const View& view, JsonValue& all, Alloc& alloc,
                  std::initializer_list<std::string_view> keys) {
  JsonValue* d = member(all, "digest");
  JsonValue* out = d ? member(*d, "thermostat") : nullptr;
  if (!out || !out->IsObject()) return;
  for (std::string_view key : keys) {
    const JsonValue* live = list(view, key);
    if (live && member(*out, key)) set(*out, key, copy_of(*live, alloc), alloc);
  }
}

Answer get(const View& view, std::string_view key, const JsonValue& payload) {
  std::vector<const JsonValue*> items;
  const JsonValue* live = list(view, key);
  const JsonValue* asked = member(payload, key);
  if (live && asked && asked->IsArray()) {
    for (const auto& want : asked->GetArray()) {
      const JsonValue* channel = member(want, "channel");
      const auto number = channel ? strict_int(*channel) : std::nullopt;
      if (const JsonValue* item = number ? find_channel(*live, *number) : nullptr) {
        items.push_back(item);
      }
    }
  }
  return Answer{Method::GetAck, wrap_list(key, items)};
}

std::string all_channels(const View& view, std::string_view key) {
  std::vector<const JsonValue*> items;
  if (const JsonValue* live = list(view, key)) {
    for (const auto& item : live->GetArray())
      items.push_back(&item);
  }
  return wrap_list(key, items);
}

std::optional<Answer> push_query(const View& view, std::string_view key, const JsonValue& payload) {
  if (!payload.IsObject() || !(payload.ObjectEmpty() || member(payload, key))) return std::nullopt;
  return Answer{Method::Push, all_channels(view, key)};
}

std::optional<std::vector<Change>> changes(Context& ctx, std::string_view key,
                                           const JsonValue& payload,
                                           std::span<const Field> fields) {
  JsonValue* live = list(ctx, key);
  const auto requests = items_of(member(payload, key));
  if (!live || requests.empty()) return std::nullopt;
  std::vector<Change> out;
  for (const JsonValue* request : requests) {
    const auto channel = channel_of(*request, 0);
    JsonValue* item = channel ? find_channel(*live, *channel) : nullptr;
    if (!item) return std::nullopt;
    for (const Field& f : fields) {
      const JsonValue* value = member(*request, f.name);
      if (value && !field_fits(f, *value, *item)) return std::nullopt;
    }
    out.push_back(Change{item, request});
  }
  return out;
}

void apply(Context& ctx, JsonValue& live, const JsonValue& request, std::span<const Field> fields) {
  for (const Field& f : fields) {
    const JsonValue* value = member(request, f.name);
    if (!value) continue;
    if (f.kind != Field::Kind::Object) {
      set(live, f.name, copy_of(*value, ctx.alloc()), ctx.alloc());
      continue;
    }
    JsonValue& target = ensure(live, f.name, rapidjson::kObjectType, ctx.alloc());
    if (!target.IsObject()) target.SetObject();
    for (const auto& m : value->GetObject()) {
      set(target, std::string_view(m.name.GetString(), m.name.GetStringLength()),
          copy_of(m.value, ctx.alloc()), ctx.alloc());
    }
  }
}

std::string payload_of(std::string_view key, const std::vector<Change>& changed) {
  std::vector<const JsonValue*> items;
  for (const Change& c : changed) {
    if (std::find(items.begin(), items.end(), c.live) == items.end()) items.push_back(c.live);
  }
  return wrap_list(key, items);
}

std::optional<std::int64_t> channel_word(std::string_view text) {
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || out < 0) return std::nullopt;
  return out;
}

std::optional<std::int64_t> room_units(std::string_view text, int per_degree) {
  double out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(out)) {
    return std::nullopt;
  }
  if (out < -40 || out > 100) return std::nullopt;  // what a room sensor could read
  return std::lround(out * per_degree);
}

std::string room_refusal(std::string_view text) {
  return "room: '" + std::string(text) + "' is no temperature in °C (-40..100)";
}

JsonValue* channel_item(Context& ctx, std::string_view key, std::string_view channel) {
  const auto number = channel_word(channel);
  JsonValue* items = list(ctx, key);
  return items && number ? find_channel(*items, *number) : nullptr;
}

bool push_all(Context& ctx, std::string_view ns, std::string_view key) {
  if (!list(ctx, key)) return false;
  ctx.push(ns, all_channels(ctx.view(), key));
  return true;
}

std::optional<Answer> handle_mode(Context& ctx, Method method, const JsonValue& payload,
                                  const ModeList& mode) {
  if (!list(ctx, mode.key)) return recorded_answer(ctx, method, mode.ns, payload);
  if (method == Method::Get) return get(ctx.view(), mode.key, payload);
  if (method == Method::Push) return push_query(ctx.view(), mode.key, payload);
  if (method != Method::Set) return std::nullopt;
  return set_mode(ctx, payload, mode);
}

std::optional<Answer> set_mode(Context& ctx, const JsonValue& payload, const ModeList& mode) {
  auto changed = changes(ctx, mode.key, payload, mode.fields);
  if (!changed) return bad_payload();
  for (const auto& c : *changed) {
    if (mode.fits && !mode.fits(ctx.view(), c)) return bad_payload();
  }
  for (const auto& c : *changed) {
    apply(ctx, *c.live, *c.request, mode.fields);
    mode.settle(ctx, *c.live);
    if (mode.stamp) set_int(*c.live, "lmTime", ctx.now_s(), ctx.alloc());
  }
  std::string body = payload_of(mode.key, *changed);
  ctx.push(mode.ns, body);
  return Answer{Method::SetAck, std::move(body)};
}

std::optional<std::string> room(Context& ctx, Command words, const ModeList& mode) {
  if (words.size() != 3 || words[0] != "room") return std::nullopt;
  JsonValue* item = channel_item(ctx, mode.key, words[1]);
  if (!item) return std::nullopt;
  const auto units = room_units(words[2], mode.per_degree);
  if (!units) return room_refusal(words[2]);
  set_int(*item, "currentTemp", *units, ctx.alloc());
  if (mode.sensor) set_int(*item, "sensorTemp", *units, ctx.alloc());
  mode.settle(ctx, *item);
  ctx.push(mode.ns, wrap_list(mode.key, {item}));
  return "";
}

}  // namespace meross::sim::detail::thermostat
