// Toggle (legacy single relay) and ToggleX (per-channel relays): one switch per channel that no
// light, fan or garage door claims (meross-protocol.md §4.2, §5.1, §5.2).

#include <algorithm>
#include <string>

#include "mapping/family.hpp"

namespace meross::mapping::detail {
namespace {

bool contains(const std::vector<int>& v, int c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

// mss425 strips: ToggleX channels 0..3 are the outlets, 4 the USB ports.
std::string switch_name(const DeviceProfile& p, int channel, std::size_t count) {
  if (p.type.rfind("mss425", 0) == 0) {
    return channel == 4 ? std::string("USB") : "Outlet " + std::to_string(channel + 1);
  }
  return count > 1 ? "Switch " + std::to_string(channel) : std::string("Switch");
}

Entity switch_entity(const DeviceProfile& p, int channel, std::size_t count) {
  Entity e;
  e.key = key_of("switch_", channel);
  e.component = Component::Switch;
  e.name = switch_name(p, channel, count);
  e.device_class = p.type.rfind("mss", 0) == 0 ? "outlet" : "switch";
  e.has_command = true;
  return e;
}

void toggle_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (legacy_toggle(p)) {
    out.push_back(switch_entity(p, 0, 1));
    return;
  }
  const auto channels = switch_channels(p);
  for (int c : channels)
    out.push_back(switch_entity(p, c, channels.size()));
}

void apply_togglex_item(const DeviceProfile& p, DeviceState& s, int channel, int onoff,
                        StateBatch& out) {
  if (contains(digest_channels(p, "light"), channel)) {
    s.lights[channel].onoff = onoff;
    out.updates.push_back({key_of("light_", channel), light_state_json(p, s, channel)});
    return;
  }
  if (fan_togglex(p, s, channel, onoff, out)) return;
  if (is_switch_channel(p, channel)) {
    out.updates.push_back({key_of("switch_", channel), on_off(onoff != 0)});
  }
}

std::optional<Error> toggle_states(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                   const JsonValue& payload, const Context&, StateBatch& out) {
  if (ns == "Appliance.Control.Toggle") {
    auto onoff = member_int(payload, "toggle", "onoff");
    if (!onoff) return onoff.error();
    if (*onoff && legacy_toggle(p)) out.updates.push_back({"switch_0", on_off(**onoff != 0)});
    return std::nullopt;
  }
  const JsonValue* togglex = member(payload, "togglex");
  if (!togglex) return std::nullopt;  // mrs100 fw 6.6.6 answers {"channel":0} only
  std::optional<Error> error;
  rapidjson::SizeType index = 0;
  auto e = for_each_item(*togglex, "togglex", [&](const JsonValue& item) {
    const std::string path = "togglex[" + std::to_string(index++) + "]";
    auto onoff = optional_int(item, "onoff", path);
    if (!onoff) {
      if (!error) error = onoff.error();
      return;
    }
    const auto channel = channel_of(item);
    if (channel && *onoff) apply_togglex_item(p, s, *channel, **onoff != 0 ? 1 : 0, out);
  });
  if (e) return e;
  return error;
}

Result<std::vector<DeviceRequest>> toggle_command(const DeviceProfile& p, const DeviceState&,
                                                  int channel, std::string_view command) {
  auto on = parse_on_off(command);
  if (!on) return on.error();
  const int onoff = *on ? 1 : 0;
  if (legacy_toggle(p)) {
    return std::vector<DeviceRequest>{
        {Method::Set, "Appliance.Control.Toggle",
         std::string(R"({"toggle":{"onoff":)") + std::to_string(onoff) + "}}"},
        get_request("Appliance.Control.Toggle", R"({"toggle":{}})")};
  }
  return std::vector<DeviceRequest>{
      channel_set("Appliance.Control.ToggleX", "togglex", channel, "onoff", onoff),
      get_request("Appliance.Control.ToggleX", R"({"togglex":[]})")};
}

// System.All: the legacy relay (all.control.toggle) and the ToggleX channels.
std::optional<Error> legacy_digest(const DeviceProfile& p, DeviceState&, const JsonValue& toggle,
                                   StateBatch& out) {
  if (!legacy_toggle(p)) return std::nullopt;
  if (!toggle.IsObject()) return wrong_type("all.control.toggle", "an object", toggle);
  if (const auto onoff = protocol::int_member(toggle, "onoff")) {
    out.updates.push_back({"switch_0", on_off(*onoff != 0)});
  }
  return std::nullopt;
}

std::optional<Error> togglex_digest(const DeviceProfile& p, DeviceState& s,
                                    const JsonValue& togglex, StateBatch& out) {
  return for_each_item(togglex, "all.digest.togglex", [&](const JsonValue& item) {
    const auto channel = channel_of(item);
    const auto onoff = protocol::int_member(item, "onoff");
    if (channel && onoff) apply_togglex_item(p, s, *channel, *onoff != 0 ? 1 : 0, out);
  });
}

constexpr std::string_view kNamespaces[] = {"Appliance.Control.ToggleX",
                                            "Appliance.Control.Toggle"};
constexpr DigestSection kDigest[] = {{"toggle", 0, legacy_digest}, {"togglex", 1, togglex_digest}};

}  // namespace

extern const Family toggle_family;
const Family toggle_family{
    .name = "toggle",
    .entities = toggle_entities,
    .namespaces = kNamespaces,
    .read = toggle_states,
    .digest = kDigest,
    .command_key = "switch_",
    .command = toggle_command,
};

}  // namespace meross::mapping::detail
