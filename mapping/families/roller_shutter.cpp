// Appliance.RollerShutter.Position / .State → a cover with device_class shutter, position
// 0 (closed) .. 100 (open); open/close/stop are positions 100 / 0 / -1 (meross-protocol.md §5.11).
// The state topic carries {"state":...,"position":...}; the discovery layer replaces
// {state_topic} / {command_topic} in the options with the entity's topics.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "mapping/family.hpp"

namespace meross::mapping::detail {
namespace {

bool has_shutter(const DeviceProfile& p) {
  return p.has_ability("Appliance.RollerShutter.Position") ||
         p.has_ability("Appliance.RollerShutter.State");
}

std::string shutter_json(const ShutterState& s) {
  const char* state = s.motion == 1     ? "opening"
                      : s.motion == 2   ? "closing"
                      : s.position == 0 ? "closed"
                                        : "open";
  return std::string(R"({"state":")") + state + R"(","position":)" + std::to_string(s.position) +
         "}";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

void shutter_entities(const DeviceProfile& p, std::vector<Entity>& out) {
  if (!has_shutter(p)) return;
  Entity e;
  e.key = "shutter_0";
  e.component = Component::Cover;
  e.name = "Shutter";
  e.device_class = "shutter";
  e.has_command = true;
  e.options = {{"value_template", R"("{{ value_json.state }}")"},
               {"position_topic", R"("{state_topic}")"},
               {"position_template", R"("{{ value_json.position }}")"},
               {"set_position_topic", R"("{command_topic}")"},
               {"position_open", "100"},
               {"position_closed", "0"}};
  out.push_back(std::move(e));
}

std::optional<Error> shutter_states(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                    const JsonValue& payload, StateBatch& out) {
  if (!has_shutter(p)) return std::nullopt;
  const bool position = ns == "Appliance.RollerShutter.Position";
  const std::string field = position ? "position" : "state";
  const JsonValue* items = member(payload, field);
  if (!items) return std::nullopt;  // SETACK {}
  std::optional<Error> error;
  rapidjson::SizeType index = 0;
  auto e = for_each_item(*items, field, [&](const JsonValue& item) {
    const std::string path = field + "[" + std::to_string(index++) + "]";
    if (error) return;
    auto value = optional_int(item, field, path);
    if (!value) {
      error = value.error();
      return;
    }
    const auto channel = channel_of(item);
    if (!*value || !channel || *channel != 0) return;
    ShutterState& shutter = s.shutters[*channel];
    if (position) {
      if (**value < 0 || **value > 100) return;  // -1 = "stopped" echoes, not a position
      shutter.position = static_cast<int>(**value);
    } else {
      shutter.motion = static_cast<int>(std::clamp<std::int64_t>(**value, 0, 2));
    }
    if (shutter.position >= 0) {
      out.updates.push_back({key_of("shutter_", *channel), shutter_json(shutter)});
    }
  });
  if (e) return e;
  return error;
}

Result<std::vector<DeviceRequest>> shutter_command(const DeviceProfile&, int channel,
                                                   std::string_view command) {
  command = trim(command);
  int position = 0;
  if (command == "OPEN") {
    position = 100;
  } else if (command == "CLOSE") {
    position = 0;
  } else if (command == "STOP") {
    position = -1;
  } else {
    const auto [end, ec] =
        std::from_chars(command.data(), command.data() + command.size(), position);
    if (ec != std::errc{} || end != command.data() + command.size() || command.empty() ||
        position < 0 || position > 100) {
      return Error{"command", "expected OPEN, CLOSE, STOP or a position 0..100"};
    }
  }
  return std::vector<DeviceRequest>{
      channel_set("Appliance.RollerShutter.Position", "position", channel, "position", position),
      get_request("Appliance.RollerShutter.Position", R"({"position":[]})"),
      get_request("Appliance.RollerShutter.State", R"({"state":[]})")};
}

constexpr std::string_view kNamespaces[] = {"Appliance.RollerShutter.Position",
                                            "Appliance.RollerShutter.State"};

}  // namespace

extern const Family roller_shutter_family;
const Family roller_shutter_family{
    .name = "roller_shutter",
    .entities = [](const DeviceProfile& p, const DeviceState&,
                   std::vector<Entity>& out) { shutter_entities(p, out); },
    .namespaces = kNamespaces,
    .read = [](const DeviceProfile& p, DeviceState& s, std::string_view ns,
               const JsonValue& payload, const Context&,
               StateBatch& out) { return shutter_states(p, s, ns, payload, out); },
    .command_key = "shutter_",
    .command = [](const DeviceProfile& p, const DeviceState&, int channel,
                  std::string_view command) { return shutter_command(p, channel, command); },
};

}  // namespace meross::mapping::detail
