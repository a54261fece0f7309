// Device health and settings: Wi-Fi signal % (System.Runtime), IP address and firmware
// (System.All), and System.DNDMode as the "LED" config switch (mode 1 = LED off)
// (meross-protocol.md §5.18, §5.20).

#include <arpa/inet.h>

#include <string>

#include "mapping/family.hpp"

namespace meross::mapping::detail {
namespace {

// Whether the device reported an address (traces mask it; firmware without Wi-Fi has none).
bool reports_ip(const DeviceProfile& p) {
  unsigned char address[16];
  return inet_pton(AF_INET, p.inner_ip.c_str(), address) == 1 ||
         inet_pton(AF_INET6, p.inner_ip.c_str(), address) == 1;
}

Entity diagnostic_sensor(std::string key, std::string name) {
  return category_entity(std::move(key), Component::Sensor, std::move(name), Category::Diagnostic);
}

void diagnostic_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (p.has_ability("Appliance.System.DNDMode")) {
    out.push_back(config_switch("led", "LED"));
  }
  if (p.has_ability("Appliance.System.Runtime")) {
    // A quality percentage, not dB/dBm: HA's signal_strength class does not apply.
    Entity signal = diagnostic_sensor("signal", "Wi-Fi signal");
    signal.unit = "%";
    signal.state_class = "measurement";
    signal.display_precision = 0;
    out.push_back(std::move(signal));
  }
  if (reports_ip(p)) out.push_back(diagnostic_sensor("ip", "IP address"));
  out.push_back(diagnostic_sensor("firmware", "Firmware"));
}

void identity_states(const DeviceProfile& p, StateBatch& out) {
  if (reports_ip(p)) out.updates.push_back({"ip", p.inner_ip});
  if (!p.firmware_version.empty()) out.updates.push_back({"firmware", p.firmware_version});
}

std::optional<Error> diagnostic_states(const DeviceProfile& p, std::string_view ns,
                                       const JsonValue& payload, StateBatch& out) {
  if (ns == "Appliance.System.Runtime") {
    auto signal = member_int(payload, "runtime", "signal");
    if (!signal) return signal.error();
    if (*signal && p.has_ability("Appliance.System.Runtime")) {
      out.updates.push_back({"signal", std::to_string(**signal)});
    }
    return std::nullopt;
  }
  auto mode = member_int(payload, "DNDMode", "mode");
  if (!mode) return mode.error();
  // Any other mode would be shown as "LED off" without meaning it.
  if (*mode && **mode != 0 && **mode != 1) return Error{"DNDMode.mode", "out of range 0..1"};
  if (*mode && p.has_ability("Appliance.System.DNDMode")) {
    out.updates.push_back({"led", on_off(**mode == 0)});
  }
  return std::nullopt;
}

Result<std::vector<DeviceRequest>> led_command(std::string_view command) {
  auto on = parse_on_off(command);
  if (!on) return on.error();
  return std::vector<DeviceRequest>{
      {Method::Set, "Appliance.System.DNDMode",
       std::string(R"({"DNDMode":{"mode":)") + (*on ? "0" : "1") + "}}"},
      get_request("Appliance.System.DNDMode", R"({"DNDMode":{}})")};
}

void diagnostic_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (p.has_ability("Appliance.System.Runtime")) {
    out.push_back({PollKind::Slow, "Appliance.System.Runtime", R"({"runtime":{}})"});
  }
  if (p.has_ability("Appliance.System.DNDMode")) {
    out.push_back({PollKind::Slow, "Appliance.System.DNDMode", R"({"DNDMode":{}})"});
  }
}

constexpr std::string_view kNamespaces[] = {"Appliance.System.Runtime", "Appliance.System.DNDMode"};

}  // namespace

// Every device has these (IP and firmware at least), so it sits last in the registry: its
// entities come after the device's own features.
extern const Family diagnostics_family;
const Family diagnostics_family{
    .name = "diagnostics",
    .entities = diagnostic_entities,
    .namespaces = kNamespaces,
    .read = [](const DeviceProfile& p, DeviceState&, std::string_view ns, const JsonValue& payload,
               const Context&, StateBatch& out) { return diagnostic_states(p, ns, payload, out); },
    .from_profile = identity_states,
    .polls = diagnostic_polls,
    .command_key = "led",
    .command = [](const DeviceProfile&, const DeviceState&, int,
                  std::string_view command) { return led_command(command); },
};

}  // namespace meross::mapping::detail
