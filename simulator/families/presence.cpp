// The ms600 presence sensor (device-families.md §5). Section "presence":
// {"presence":{value,distance,times,timestamp},"light":{value,timestamp},"config":{<the
// Presence.Config channel 0 item>}}, seeded from the trace's recorded Presence.Config GETACK
// (else §5's example) and from its recorded PUSH (a person still at 5.76 m, 24 lx).
//
// Control.Sensor.LatestX answers only a GET that names the data wanted by channel
// (`{"latest":[{"channel":0,"data":["presence","light"]}]}`); any other shape answers
// `{"latest":[]}` as the firmware does. Presence.Config GET takes the list-with-channel shape
// (else `{"config":[]}`); a SET is validated whole (JSON integers within the app's ranges) and
// answered `{}`; the firmware's PUSH after a SET is not known, so none is sent (the requester
// reads it back). A hub (no Presence.Config) keeps its recorded LatestX answers.

#include <array>
#include <charconv>

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

constexpr std::string_view kSection = "presence";
constexpr std::string_view kDefaultConfig =
    R"({"channel":0,"mode":{"workMode":1,"testMode":2},"noBodyTime":{"time":15},)"
    R"("distance":{"value":8100},"sensitivity":{"level":2},)"
    R"("mthx":{"mth1":120,"mth2":72,"mth3":72}})";

// What a SET may change: group.field within [lo, hi].
struct Limit {
  std::string_view group, field;
  std::int64_t lo, hi;
};
constexpr Limit kLimits[] = {
    {"mode", "workMode", 0, 2},      {"mode", "testMode", 0, 2},
    {"noBodyTime", "time", 1, 3600}, {"distance", "value", 100, 12000},
    {"sensitivity", "level", 0, 2},  {"mthx", "mth1", 1, 1000},
    {"mthx", "mth2", 1, 1000},       {"mthx", "mth3", 1, 1000},
};

const Limit* limit_of(std::string_view group, std::string_view field) {
  for (const Limit& l : kLimits) {
    if (l.group == group && l.field == field) return &l;
  }
  return nullptr;
}

void seed(Context& ctx) {
  if (!ctx.has(ns::kControlPresenceConfig)) return;
  auto& section = ctx.make_section(kSection, rapidjson::kObjectType);
  rapidjson::Document config;
  config.Parse(kDefaultConfig.data(), kDefaultConfig.size());
  if (auto doc = ctx.view().recorded(ns::kControlPresenceConfig)) {
    const auto items = items_of(member(*doc, "config"));
    if (!items.empty()) config.CopyFrom(*items.front(), config.GetAllocator());
  }
  set(section, "config", copy_of(config, ctx.alloc()), ctx.alloc());
  auto& presence = ensure(section, "presence", rapidjson::kObjectType, ctx.alloc());
  set_int(presence, "value", 1, ctx.alloc());
  set_int(presence, "distance", 5760, ctx.alloc());
  set_int(presence, "times", 0, ctx.alloc());
  set_int(presence, "timestamp", ctx.now_s(), ctx.alloc());
  auto& light = ensure(section, "light", rapidjson::kObjectType, ctx.alloc());
  set_int(light, "value", 24, ctx.alloc());
  set_int(light, "timestamp", ctx.now_s(), ctx.alloc());
}

// {"latest":[{"channel":0,"data":{"<name>":[<sample>],…}}]} with the data `names`.
std::string latest_payload(const JsonValue& section, const std::vector<std::string>& names) {
  return object_text([&](Writer& w) {
    w.Key("latest");
    w.StartArray();
    w.StartObject();
    w.Key("channel");
    w.Int(0);
    w.Key("data");
    w.StartObject();
    for (const std::string& name : names) {
      const JsonValue* sample = member(section, name);
      if (sample) write_values(w, name, {sample});
    }
    w.EndObject();
    w.EndObject();
    w.EndArray();
  });
}

std::optional<Answer> handle_latest(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* section = ctx.section(kSection);
  if (!section) return recorded_answer(ctx, method, ns::kControlSensorLatestX, payload);
  if (method != Method::Get) return bad_payload();
  const JsonValue* list = member(payload, "latest");
  std::vector<std::string> names;
  if (list && list->IsArray()) {
    for (const auto& item : list->GetArray()) {
      const JsonValue* data = member(item, "data");
      if (channel_of(item, -1) != 0 || !data || !data->IsArray()) continue;
      for (const auto& d : data->GetArray()) {
        if (d.IsString()) names.emplace_back(d.GetString(), d.GetStringLength());
      }
    }
  }
  if (names.empty()) return Answer{Method::GetAck, R"({"latest":[]})"};
  return Answer{Method::GetAck, latest_payload(*section, names)};
}

// Every group.field of `item` is a known one, a JSON integer within its limits.
bool valid_config(const JsonValue& item) {
  for (auto g = item.MemberBegin(); g != item.MemberEnd(); ++g) {
    const std::string_view group(g->name.GetString(), g->name.GetStringLength());
    if (group == "channel") continue;
    if (!g->value.IsObject()) return false;
    for (auto f = g->value.MemberBegin(); f != g->value.MemberEnd(); ++f) {
      const Limit* l =
          limit_of(group, std::string_view(f->name.GetString(), f->name.GetStringLength()));
      const auto v = strict_int(f->value);
      if (!l || !v || *v < l->lo || *v > l->hi) return false;
    }
  }
  return true;
}

std::optional<Answer> handle_config(Context& ctx, Method method, const JsonValue& payload) {
  JsonValue* section = ctx.section(kSection);
  JsonValue* config = section ? member(*section, "config") : nullptr;
  if (!config) return recorded_answer(ctx, method, ns::kControlPresenceConfig, payload);
  const JsonValue* list = member(payload, "config");
  if (method == Method::Get) {
    bool named = false;
    if (list && list->IsArray()) {
      for (const auto& item : list->GetArray())
        named = named || channel_of(item, -1) == 0;
    }
    if (!named) return Answer{Method::GetAck, R"({"config":[]})"};
    return Answer{Method::GetAck, wrap_list("config", {config})};
  }
  if (method != Method::Set) return bad_payload();
  const auto items = items_of(list);
  if (items.empty()) return bad_payload();
  for (const JsonValue* item : items) {
    if (channel_of(*item, 0) != 0 || !valid_config(*item)) return bad_payload();
  }
  for (const JsonValue* item : items) {
    for (auto g = item->MemberBegin(); g != item->MemberEnd(); ++g) {
      if (!g->value.IsObject()) continue;
      const std::string_view group(g->name.GetString(), g->name.GetStringLength());
      JsonValue& target = ensure(*config, group, rapidjson::kObjectType, ctx.alloc());
      for (auto f = g->value.MemberBegin(); f != g->value.MemberEnd(); ++f) {
        set_int(target, std::string_view(f->name.GetString(), f->name.GetStringLength()),
                f->value.GetInt64(), ctx.alloc());
      }
    }
  }
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view name,
                             const JsonValue& payload) {
  return name == ns::kControlSensorLatestX ? handle_latest(ctx, method, payload)
                                           : handle_config(ctx, method, payload);
}

std::optional<std::int64_t> number_word(const std::string& word, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
  if (ec != std::errc{} || end != word.data() + word.size() || v < lo || v > hi) {
    return std::nullopt;
  }
  return v;
}

// `presence <uuid> <0|1|2> [distance mm]` and `lux <uuid> <lux>`: someone comes, moves or goes,
// the light changes; the device PUSHes the reading at once.
std::optional<std::string> command(Context& ctx, Command words) {
  const std::string_view verb = words.empty() ? std::string_view() : words[0];
  if (verb != "presence" && verb != "lux") return std::nullopt;
  JsonValue* section = ctx.section(kSection);
  if (!section) return std::nullopt;
  if (verb == "lux") {
    const auto lux = words.size() == 2 ? number_word(words[1], 0, 100'000) : std::nullopt;
    if (!lux) return "lux: <lux> (0..100000)";
    JsonValue& light = ensure(*section, "light", rapidjson::kObjectType, ctx.alloc());
    set_int(light, "value", *lux, ctx.alloc());
    set_int(light, "timestamp", ctx.now_s(), ctx.alloc());
    ctx.push(ns::kControlSensorLatestX, latest_payload(*section, {"light"}));
    return "";
  }
  const auto value =
      words.size() == 2 || words.size() == 3 ? number_word(words[1], 0, 2) : std::nullopt;
  const auto distance =
      words.size() == 3 ? number_word(words[2], 0, 12'000) : std::optional<std::int64_t>(0);
  if (!value || !distance) return "presence: <0|1|2> [distance mm, 0..12000]";
  JsonValue& presence = ensure(*section, "presence", rapidjson::kObjectType, ctx.alloc());
  set_int(presence, "value", *value, ctx.alloc());
  set_int(presence, "distance", *value ? *distance : 0, ctx.alloc());
  set_int(presence, "times", int_of(presence, "times") + 1, ctx.alloc());
  set_int(presence, "timestamp", ctx.now_s(), ctx.alloc());
  ctx.push(ns::kControlSensorLatestX, latest_payload(*section, {"presence"}));
  return "";
}

bool load_push(Context& ctx) {
  const JsonValue* section = ctx.section(kSection);
  if (!section) return false;
  ctx.push(ns::kControlSensorLatestX, latest_payload(*section, {"presence", "light"}));
  return true;
}

void summary(const View& view, Writer& w) {
  const JsonValue* section = view.section(kSection);
  if (!section) return;
  write_member(w, "presence", *section);
}

constexpr std::string_view kNamespaces[] = {ns::kControlSensorLatestX, ns::kControlPresenceConfig};

}  // namespace

extern const Family presence_family{
    .name = "presence",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .command = command,
    .load_push = load_push,
    .summary = summary,
};

}  // namespace meross::sim::detail
