// Appliance.Control.ConsumptionX (daily Wh, one entry per device-local day, unsorted) and
// Appliance.Control.ConsumptionH (hourly Wh buckets per channel) → "energy today" sensors in kWh,
// total_increasing: they restart from 0 when the day turns over in the device's zone
// (meross-protocol.md §5.6, §5.7, §7). ConsumptionH only where there is no ConsumptionX.

#include <chrono>
#include <exception>
#include <string>

#include <date/tz.h>

#include "mapping/family.hpp"
#include "mapping/units.hpp"

namespace meross::mapping::detail {
namespace {

// Epoch seconds of the start of the device-local day containing `now`. A device without a
// zone (or with one the tz database does not know) counts days in UTC, as its firmware does.
std::int64_t local_midnight(const std::string& zone_name, std::int64_t now) {
  const date::sys_seconds instant{std::chrono::seconds{now}};
  const date::time_zone* zone = nullptr;
  if (!zone_name.empty()) {
    try {
      zone = date::locate_zone(zone_name);
    } catch (const std::exception&) {
      zone = nullptr;
    }
  }
  if (!zone) {
    return std::chrono::floor<date::days>(instant).time_since_epoch().count() * 86400;
  }
  const auto local = zone->to_local(instant);
  const auto day = std::chrono::floor<date::days>(local);
  const auto start = zone->to_sys(day, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::seconds>(start.time_since_epoch()).count();
}

std::vector<int> consumption_h_channels(const DeviceProfile& p) {
  if (!electricityx_channels(p).empty()) return electricityx_channels(p);
  return {0};
}

bool uses_consumption_h(const DeviceProfile& p) {
  return !p.has_ability("Appliance.Control.ConsumptionX") &&
         p.has_ability("Appliance.Control.ConsumptionH");
}

Entity energy_entity(int channel, bool numbered) {
  Entity e = channel_entity("energy_", channel, Component::Sensor, numbered, "Energy today");
  e.device_class = "energy";
  e.unit = "kWh";
  e.state_class = "total_increasing";
  e.display_precision = 3;
  return e;
}

std::optional<Error> consumption_x(const DeviceProfile& p, const JsonValue& payload,
                                   const Context& ctx, StateBatch& out) {
  const JsonValue* list = member(payload, "consumptionx");
  if (!list) return std::nullopt;
  const std::int64_t midnight = local_midnight(p.timezone, ctx.now);
  std::int64_t newest_time = -1;
  std::int64_t newest_value = 0;
  const auto read_item = [&](const JsonValue& item,
                             const std::string& path) -> std::optional<Error> {
    auto time = optional_int(item, "time", path);
    auto value = optional_int(item, "value", path);
    if (!time || !value) return !time ? time.error() : value.error();
    if (*time && *value && **time > newest_time) {
      newest_time = **time;
      newest_value = **value;
    }
    return std::nullopt;
  };
  if (auto e = for_each_item_until_error(*list, "consumptionx", read_item)) return e;
  // The newest entry is today's unless the day has turned over and the device has not yet
  // written an entry for the new day.
  const std::int64_t today = newest_time >= midnight ? newest_value : 0;
  out.updates.push_back({"energy_0", format_scaled(today, kMilliPerUnit)});
  return std::nullopt;
}

std::optional<Error> consumption_h(const DeviceProfile& p, const JsonValue& payload,
                                   const Context& ctx, StateBatch& out) {
  const JsonValue* list = member(payload, "consumptionH");
  if (!list) return std::nullopt;
  const std::int64_t midnight = local_midnight(p.timezone, ctx.now);
  const auto channels = consumption_h_channels(p);
  return for_each_item_until_error(
      *list, "consumptionH",
      [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        const auto channel = channel_of(item);
        if (!channel || std::find(channels.begin(), channels.end(), *channel) == channels.end()) {
          return std::nullopt;
        }
        const JsonValue* data = member(item, "data");
        if (!data) return std::nullopt;
        if (!data->IsArray()) return wrong_type(path + ".data", "a list", *data);
        std::int64_t today = 0;
        rapidjson::SizeType i = 0;
        for (const auto& bucket : data->GetArray()) {
          const std::string bucket_path = path + ".data[" + std::to_string(i++) + "]";
          if (!bucket.IsObject()) return wrong_type(bucket_path, "an object", bucket);
          auto time = optional_int(bucket, "timestamp", bucket_path);
          auto value = optional_int(bucket, "value", bucket_path);
          if (!time || !value) return !time ? time.error() : value.error();
          // A bucket is stamped with its last update, inside the hour it covers.
          if (*time && *value && **time > midnight && **value > 0 &&
              __builtin_add_overflow(today, **value, &today)) {
            return Error{bucket_path + ".value", "out of range: today's total overflows"};
          }
        }
        out.updates.push_back({key_of("energy_", *channel), format_scaled(today, kMilliPerUnit)});
        return std::nullopt;
      });
}

void consumption_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (p.has_ability("Appliance.Control.ConsumptionX")) {
    out.push_back(energy_entity(0, false));
  } else if (uses_consumption_h(p)) {
    const auto channels = consumption_h_channels(p);
    for (int c : channels)
      out.push_back(energy_entity(c, channels.size() > 1));
  }
}

std::optional<Error> consumption_states(const DeviceProfile& p, DeviceState&, std::string_view ns,
                                        const JsonValue& payload, const Context& ctx,
                                        StateBatch& out) {
  if (ns == "Appliance.Control.ConsumptionX") {
    if (!p.has_ability("Appliance.Control.ConsumptionX")) return std::nullopt;
    return consumption_x(p, payload, ctx, out);
  }
  if (!uses_consumption_h(p)) return std::nullopt;
  return consumption_h(p, payload, ctx, out);
}

void consumption_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (p.has_ability("Appliance.Control.ConsumptionX")) {
    out.push_back(
        {PollKind::Consumption, "Appliance.Control.ConsumptionX", R"({"consumptionx":[]})"});
  } else if (p.has_ability("Appliance.Control.ConsumptionH")) {
    out.push_back({PollKind::Consumption, "Appliance.Control.ConsumptionH",
                   electricityx_channels(p).empty() ? R"({"consumptionH":[{"channel":0}]})"
                                                    : R"({"consumptionH":{}})"});
  }
}

constexpr std::string_view kNamespaces[] = {"Appliance.Control.ConsumptionX",
                                            "Appliance.Control.ConsumptionH"};

}  // namespace

extern const Family consumption_family;
const Family consumption_family{
    .name = "consumption",
    .entities = consumption_entities,
    .namespaces = kNamespaces,
    .read = consumption_states,
    .polls = consumption_polls,
};

}  // namespace meross::mapping::detail
