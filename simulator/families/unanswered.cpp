// Requests real firmware never answers: it drops the HTTP connection or reboots
// (device-families.md §0 rule 3), so a bridge must never send them. The simulator leaves them
// unanswered and says so in the log. (Mcu.Firmware is on meross_lan's exclusion list too, but
// the mts200b trace shows it answered: it keeps its recorded answer.)

#include "protocol/namespaces.hpp"
#include "simulator/family.hpp"

namespace meross::sim::detail {
namespace {

namespace ns = meross::protocol::ns;

constexpr std::string_view kNamespaces[] = {
    "Appliance.Mcu.Upgrade",
    "Appliance.Mcu.Hp110.Preview",
    "Appliance.Control.Sensor.HistoryX",
    "Appliance.Hub.Exception",
    "Appliance.Hub.Report",
    "Appliance.Hub.SubdeviceList",
    ns::kControlThermostatCompressorDelay,
    // Lists the feature on plugs, but its GET drops the connection (mss110, mss305 traces):
    // Config.OverTemp is the one that answers.
    ns::kControlOverTemp,
};

// CompressorDelay answers its list form {"delay":[{"channel":0}]}; only `{}` drops (mts960).
bool list_form(std::string_view ns, const JsonValue& payload) {
  const JsonValue* delay = member(payload, "delay");
  return ns == ns::kControlThermostatCompressorDelay && delay && delay->IsArray();
}

std::optional<Answer> handle(Context& ctx, Method method, std::string_view ns,
                             const JsonValue& payload) {
  if (method != Method::Get || list_form(ns, payload)) {
    return recorded_answer(ctx, method, ns, payload);
  }
  ctx.warning = "GET " + std::string(ns) +
                " is never answered by firmware (it drops the connection or reboots): ignored";
  return std::nullopt;
}

}  // namespace

extern const Family unanswered_family{
    .name = "unanswered",
    .namespaces = kNamespaces,
    .handle = handle,
};

}  // namespace meross::sim::detail
