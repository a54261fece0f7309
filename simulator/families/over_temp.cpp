// A plug's over-temperature cut-off, Appliance.Config.OverTemp (device-families.md §7.3): one
// device-wide object, {"overTemp":{"enable":1,"type":1}}, seeded from the trace's GETACK.
// `enable` -1 is firmware that lists the namespace without the feature (mts200, mfc100): a SET
// there is refused. The SET takes `enable` 0 or 1 only (`type` is unknown and kept); it is
// answered `{}` and not PUSHed: meross_lan polls it, and no trace shows a PUSH.
// Section "overTemp": {"enable":e,"type":t}.

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

void seed(Context& ctx) {
  if (!ctx.has(ns::kConfigOverTemp)) return;
  std::int64_t enable = 1, type = 1;
  if (auto doc = ctx.view().recorded(ns::kConfigOverTemp)) {
    if (const JsonValue* o = member(*doc, "overTemp")) {
      enable = int_of(*o, "enable", enable);
      type = int_of(*o, "type", type);
    }
  }
  ctx.make_section("overTemp", rapidjson::kObjectType) =
      int_object({{"enable", enable}, {"type", type}}, ctx.alloc());
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  JsonValue* section = ctx.section("overTemp");
  if (!section) return recorded_answer(ctx, method, ns, payload);
  if (method == Method::Get) return Answer{Method::GetAck, wrap("overTemp", *section)};
  if (method != Method::Set) return std::nullopt;
  const JsonValue* request = member(payload, "overTemp");
  const JsonValue* enable = request ? member(*request, "enable") : nullptr;
  const auto value = enable ? strict_int(*enable) : std::nullopt;
  if (!value || (*value != 0 && *value != 1)) return bad_payload();
  if (int_of(*section, "enable") == -1) return error_answer(5000, "not supported");
  set_int(*section, "enable", *value, ctx.alloc());
  return Answer{Method::SetAck, "{}"};
}

void summary(const View& view, Writer& w) {
  if (const JsonValue* section = view.section("overTemp")) write_member(w, "overTemp", *section);
}

constexpr std::string_view kNamespaces[] = {ns::kConfigOverTemp};

}  // namespace

extern const Family over_temp_family{
    .name = "over_temp",
    .seed = seed,
    .namespaces = kNamespaces,
    .handle = handle,
    .summary = summary,
};

}  // namespace meross::sim::detail
