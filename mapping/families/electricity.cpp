// Appliance.Control.Electricity (power mW, voltage 0.1 V, current mA; channel 0) and
// Appliance.Control.ElectricityX (em06: channels 1..6, voltage in mV) → power/voltage/current
// sensors in W, V, A (meross-protocol.md §5.4, §5.5).

#include <algorithm>
#include <string>

#include "mapping/family.hpp"
#include "mapping/units.hpp"

namespace meross::mapping::detail {
namespace {

struct Quantity {
  std::string_view key;         // payload field
  std::string_view key_prefix;  // entity key before the channel: "power_0"
  std::string_view name;
  std::string_view device_class;
  std::string_view unit;
  int precision;
};
constexpr Quantity kQuantities[] = {{"power", "power_", "Power", "power", "W", 1},
                                    {"voltage", "voltage_", "Voltage", "voltage", "V", 1},
                                    {"current", "current_", "Current", "current", "A", 2}};

void add_channel(int channel, bool numbered, std::vector<Entity>& out) {
  for (const auto& q : kQuantities) {
    Entity e = channel_entity(q.key_prefix, channel, Component::Sensor, numbered, q.name);
    e.device_class = q.device_class;
    e.unit = q.unit;
    e.state_class = "measurement";
    e.display_precision = q.precision;
    out.push_back(std::move(e));
  }
}

void electricity_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (p.has_ability("Appliance.Control.Electricity")) add_channel(0, false, out);
  if (p.has_ability("Appliance.Control.ElectricityX")) {
    for (int c : electricityx_channels(p))
      add_channel(c, true, out);
  }
}

std::optional<Error> electricity_states(const DeviceProfile& p, DeviceState&, std::string_view ns,
                                        const JsonValue& payload, const Context&, StateBatch& out) {
  const bool x = ns == "Appliance.Control.ElectricityX";
  std::string field = "electricity";
  const JsonValue* items = member(payload, field);
  if (!items && x) items = member(payload, field = "electricityx");
  if (!items) return std::nullopt;
  return for_each_item_until_error(
      *items, field, [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        const auto channel = channel_of(item);
        if (!channel) return std::nullopt;
        const bool known = x ? std::count(electricityx_channels(p).begin(),
                                          electricityx_channels(p).end(), *channel) > 0
                             : *channel == 0;
        if (!known) return std::nullopt;
        std::int64_t raw_values[3] = {};
        bool present[3] = {};
        for (int i = 0; i < 3; ++i) {
          auto raw = optional_int(item, kQuantities[i].key, path);
          if (!raw) return raw.error();
          if (!*raw) continue;
          present[i] = true;
          raw_values[i] = **raw;
        }
        out.updates.reserve(out.updates.size() + 3);
        for (int i = 0; i < 3; ++i) {
          if (!present[i]) continue;
          // mW → W, 0.1 V (mV on ElectricityX) → V, mA → A: the conversions of units.hpp, printed
          // from the integer.
          const int divisor = i == 1 && !x ? kDecivoltsPerVolt : kMilliPerUnit;
          out.updates.push_back(
              {key_of(kQuantities[i].key_prefix, *channel), format_scaled(raw_values[i], divisor)});
        }
        return std::nullopt;
      });
}

void electricity_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (p.has_ability("Appliance.Control.Electricity")) {
    out.push_back(
        {PollKind::Electricity, "Appliance.Control.Electricity", R"({"electricity":{}})"});
  }
  if (p.has_ability("Appliance.Control.ElectricityX")) {
    // em06: {"electricityx":{}} made the device drop the connection (meross-protocol.md §5.5).
    out.push_back({PollKind::Electricity, "Appliance.Control.ElectricityX",
                   R"({"electricity":[{"channel":65535}]})"});
  }
}

constexpr std::string_view kNamespaces[] = {"Appliance.Control.Electricity",
                                            "Appliance.Control.ElectricityX"};

}  // namespace

extern const Family electricity_family;
const Family electricity_family{
    .name = "electricity",
    .entities = electricity_entities,
    .namespaces = kNamespaces,
    .read = electricity_states,
    .polls = electricity_polls,
};

}  // namespace meross::mapping::detail
