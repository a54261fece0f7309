// System namespaces beyond identity: Time (zone and DST table kept on SET, §3.6), Clock GET,
// Online, DNDMode (§5.20) and Runtime (§5.18). System.All/Ability/Hardware/Firmware are the
// firmware's identity and stay in device.cpp. Section "system": {"dndMode":0|1}.

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

void seed(Context& ctx) {
  auto& section = ctx.make_section("system", rapidjson::kObjectType);
  std::int64_t dnd = 0;
  if (auto doc = ctx.view().recorded(ns::kSystemDNDMode)) {
    if (const JsonValue* d = member(*doc, "DNDMode")) dnd = int_of(*d, "mode") ? 1 : 0;
  }
  set_int(section, "dndMode", dnd, ctx.alloc());
}

bool empty_object(const JsonValue& payload) {
  return payload.IsObject() && payload.ObjectEmpty();
}

std::optional<Answer> time(Context& ctx, Method method, const JsonValue& payload) {
  if (method == Method::Get || (method == Method::Push && empty_object(payload))) {
    return Answer{method == Method::Get ? Method::GetAck : Method::Push,
                  "{\"time\":" + ctx.clock.time_object(ctx.now_ms) + "}"};
  }
  if (method != Method::Set) return recorded_answer(ctx, method, ns::kSystemTime, payload);
  const JsonValue* t = member(payload, "time");
  if (!t || !t->IsObject()) return bad_payload();
  const JsonValue* zone = member(*t, "timezone");
  if (zone && !zone->IsString()) return bad_payload();
  std::vector<protocol::TimeRule> rules = ctx.clock.rules;
  if (const JsonValue* table = member(*t, "timeRule")) {
    auto parsed = protocol::parse_time_rules(*table);
    if (!parsed) return bad_payload();
    rules = std::move(*parsed);
  }
  if (zone) ctx.clock.timezone.assign(zone->GetString(), zone->GetStringLength());
  ctx.clock.rules = std::move(rules);
  ctx.push(ns::kSystemTime, "{\"time\":" + ctx.clock.time_object(ctx.now_ms) + "}");
  return Answer{Method::SetAck, "{}"};
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  const bool get = method == Method::Get;
  if (ns == ns::kSystemTime) return time(ctx, method, payload);
  if (ns == ns::kSystemClock && get) {
    return Answer{Method::GetAck, R"({"clock":{"timestamp":)" + std::to_string(ctx.now_s()) + "}}"};
  }
  if (ns == ns::kSystemOnline && (get || method == Method::Push)) {
    return Answer{get ? Method::GetAck : Method::Push, R"({"online":{"status":1}})"};
  }
  if (ns == ns::kSystemDNDMode) {
    JsonValue& section = ctx.make_section("system", rapidjson::kObjectType);
    if (get) {
      return Answer{Method::GetAck,
                    R"({"DNDMode":{"mode":)" + std::to_string(int_of(section, "dndMode")) + "}}"};
    }
    if (method == Method::Set) {
      const JsonValue* d = member(payload, "DNDMode");
      const auto mode = d ? protocol::int_member(*d, "mode") : std::nullopt;
      if (!mode) return bad_payload();
      set_int(section, "dndMode", *mode ? 1 : 0, ctx.alloc());
      return Answer{Method::SetAck, "{}"};
    }
  }
  if (ns == ns::kSystemRuntime && get && !ctx.tmpl.recorded.count(ns::kSystemRuntime)) {
    return Answer{Method::GetAck,
                  R"({"runtime":{"signal":)" + std::to_string(60 + ctx.rng() % 35) + "}}"};
  }
  return recorded_answer(ctx, method, ns, payload);
}

void summary(const View& view, Writer& w) {
  w.Key("timezone");
  w.String(view.clock.timezone.c_str(),
           static_cast<rapidjson::SizeType>(view.clock.timezone.size()));
  w.Key("localDate");
  w.String(view.clock.local_date(view.now_ms / 1000).c_str());
  const JsonValue* section = view.section("system");
  w.Key("dndMode");
  w.Int64(section ? int_of(*section, "dndMode") : 0);
}

constexpr std::string_view kNamespaces[] = {ns::kSystemTime, ns::kSystemClock, ns::kSystemOnline,
                                            ns::kSystemDNDMode, ns::kSystemRuntime};

}  // namespace

extern const Family system_family{
    .name = "system",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .summary = summary,
};

}  // namespace meross::sim::detail
