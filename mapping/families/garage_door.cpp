// Appliance.GarageDoor.State → a cover with device_class garage per channel (msg100: channel 0;
// msg200: channels 1..3). `open` is the reed contact (1 open, 0 closed). A SETACK carries the
// state before the move plus `execute` (1 = relay pulsed), so an executed command reports
// "opening"/"closing" until the contact's PUSH (meross-protocol.md §5.10).

#include <algorithm>
#include <string>

#include "mapping/family.hpp"

namespace meross::mapping::detail {
namespace {

std::vector<int> garage_channels(const DeviceProfile& p) {
  if (!digest_channels(p, "garageDoor").empty()) return digest_channels(p, "garageDoor");
  if (p.has_ability("Appliance.GarageDoor.State") && digest_channels(p, "togglex").empty())
    return {0};
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

void garage_entities(const DeviceProfile& p, std::vector<Entity>& out) {
  const auto channels = garage_channels(p);
  for (int c : channels) {
    Entity e;
    e.key = key_of("garage_", c);
    e.component = Component::Cover;
    e.name = channels.size() > 1 ? "Door " + std::to_string(c) : std::string("Garage door");
    e.device_class = "garage";
    e.has_command = true;
    e.options.emplace_back("payload_stop", "null");
    out.push_back(std::move(e));
  }
}

std::optional<Error> garage_states(const DeviceProfile& p, const JsonValue& items,
                                   StateBatch& out) {
  const auto channels = garage_channels(p);
  std::optional<Error> error;
  rapidjson::SizeType index = 0;
  auto e = for_each_item(items, "state", [&](const JsonValue& item) {
    const std::string path = "state[" + std::to_string(index++) + "]";
    if (error) return;
    auto open = optional_int(item, "open", path);
    auto execute = optional_int(item, "execute", path);
    if (!open || !execute) {
      error = !open ? open.error() : execute.error();
      return;
    }
    const auto channel = channel_of(item);
    if (!*open || !channel ||
        std::find(channels.begin(), channels.end(), *channel) == channels.end()) {
      return;
    }
    const bool is_open = **open != 0;
    const bool moving = *execute && **execute == 1;
    const char* state = moving ? (is_open ? "closing" : "opening") : (is_open ? "open" : "closed");
    out.updates.push_back({key_of("garage_", *channel), state});
  });
  if (e) return e;
  return error;
}

Result<std::vector<DeviceRequest>> garage_command(const DeviceProfile&, int channel,
                                                  std::string_view command) {
  command = trim(command);
  int open = 0;
  if (command == "OPEN") {
    open = 1;
  } else if (command != "CLOSE") {
    return Error{"command", "expected OPEN or CLOSE"};
  }
  return std::vector<DeviceRequest>{
      channel_set("Appliance.GarageDoor.State", "state", channel, "open", open)};
}

constexpr std::string_view kNamespaces[] = {"Appliance.GarageDoor.State"};
constexpr DigestSection kDigest[] = {
    // Pass 1 only to keep the order updates have always come in (after ToggleX).
    {"garageDoor", 1,
     [](const DeviceProfile& p, DeviceState&, const JsonValue& section, StateBatch& out) {
       return garage_states(p, section, out);
     }}};

}  // namespace

extern const Family garage_door_family;
const Family garage_door_family{
    .name = "garage_door",
    .entities = [](const DeviceProfile& p, const DeviceState&,
                   std::vector<Entity>& out) { garage_entities(p, out); },
    // The opener's relay is on its ToggleX channel (msg100).
    .powers =
        [](const DeviceProfile& p, int channel) {
          const auto& doors = digest_channels(p, "garageDoor");
          return std::find(doors.begin(), doors.end(), channel) != doors.end();
        },
    .namespaces = kNamespaces,
    .read = [](const DeviceProfile& p, DeviceState&, std::string_view, const JsonValue& payload,
               const Context&, StateBatch& out) -> std::optional<Error> {
      const JsonValue* items = member(payload, "state");
      if (!items) return std::nullopt;
      return garage_states(p, *items, out);
    },
    .digest = kDigest,
    .command_key = "garage_",
    .command = [](const DeviceProfile& p, const DeviceState&, int channel,
                  std::string_view command) { return garage_command(p, channel, command); },
};

}  // namespace meross::mapping::detail
