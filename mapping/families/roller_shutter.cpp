// Appliance.RollerShutter.Position / .State → a cover with device_class shutter, position
// 0 (closed) .. 100 (open); open/close/stop are positions 100 / 0 / -1 (meross-protocol.md §5.11).
// The state topic carries {"state":...,"position":...}; the discovery layer replaces
// {state_topic} / {command_topic} in the options with the entity's topics.
//
// System.All carries no shutter state (mrs100-1631368847.csv): State and Position are read when
// the device is learned, then every second while the shutter travels (meross_lan polls during a
// transition: a shutter does not always PUSH where it stopped), until State says it is idle or
// the travel time has passed (RollerShutter.Config signalOpen / signalClose, device-families.md
// §7.7; 60 s when unknown), and at the slow interval otherwise. Position is asked before State:
// the last position of a travel is then published with its own direction ("closing" at 0), and
// State's "idle" that follows completes it ("closed"). Asked the other way round, "idle" would
// come with the position of the poll before, and a closing shutter would show "open" for a
// moment.
//
// Settings: the two travel times as config numbers in s (the device keeps ms), read with the
// other slow polls and right after a SET; they are also the travel times above.

#include <algorithm>
#include <charconv>
#include <string>

#include "mapping/families/travel.hpp"
#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// Reading a shutter just learned: a few tries, not a whole travel time.
constexpr int kFirstReadMs = 10'000;

bool has_shutter(const DeviceProfile& p) {
  return p.has_ability("Appliance.RollerShutter.Position") ||
         p.has_ability("Appliance.RollerShutter.State");
}

// What the polls depend on: 0 idle at a known position, 1 opening, 2 closing, 3 not known yet.
int phase(const ShutterState& s) {
  if (s.position < 0 || s.motion < 0) return 3;
  return s.motion;
}

std::int64_t travel_ms(const DeviceState& s, int channel, std::string_view what) {
  const auto it =
      s.numbers.find("roller_shutter." + std::to_string(channel) + "." + std::string(what));
  return it == s.numbers.end() ? travel::kDefaultMs : it->second;
}

std::string shutter_json(const ShutterState& s) {
  const char* state = s.motion == 1     ? "opening"
                      : s.motion == 2   ? "closing"
                      : s.position == 0 ? "closed"
                                        : "open";
  return std::string(R"({"state":")") + state + R"(","position":)" + std::to_string(s.position) +
         "}";
}

// RollerShutter.Config's travel times (device-families.md §7.7), channel 0.
constexpr travel::Setting kSettings[] = {
    {"open_time", "signalOpen", "Open travel time", 1, 60, 1},
    {"close_time", "signalClose", "Close travel time", 1, 60, 1},
};

std::string setting_key(const travel::Setting& s) {
  return key_of("shutter_" + std::string(s.key) + "_", 0);
}

constexpr std::string_view kConfigGet = R"({"config":{}})";

void shutter_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
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
  if (!p.has_ability(ns::kRollerShutterConfig)) return;
  for (const auto& s : kSettings)
    out.push_back(travel::setting_entity(s, setting_key(s), std::string(s.name)));
}

// RollerShutter.Config: the travel times, kept (ms) for the polls and shown as settings.
std::optional<Error> read_config(DeviceState& s, const JsonValue& payload, StateBatch& out) {
  const JsonValue* config = member(payload, "config");
  if (!config) return std::nullopt;  // a SETACK: the GET after it reads the value back
  return for_each_item_until_error(
      *config, "config",
      [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        const auto channel = channel_of(item);
        if (!channel || *channel != 0) return std::nullopt;
        for (const auto& [field, what] :
             {std::pair{"signalOpen", "open_ms"}, std::pair{"signalClose", "close_ms"}}) {
          auto value = optional_int(item, field, path);
          if (!value) return value.error();
          if (*value && **value > 0) {
            s.numbers["roller_shutter." + std::to_string(*channel) + "." + what] =
                travel::clamped_ms(**value);
          }
        }
        return travel::read_settings(
            kSettings, item, path, [&](const travel::Setting& st) { return setting_key(st); }, out);
      });
}

std::optional<Error> shutter_states(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                    const JsonValue& payload, StateBatch& out) {
  if (!has_shutter(p)) return std::nullopt;
  if (ns == ns::kRollerShutterConfig) return read_config(s, payload, out);
  const bool position = ns == ns::kRollerShutterPosition;
  const std::string field = position ? "position" : "state";
  const JsonValue* items = member(payload, field);
  if (!items) return std::nullopt;  // SETACK {}
  return for_each_item_until_error(
      *items, field, [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        auto value = optional_int(item, field, path);
        if (!value) return value.error();
        const auto channel = channel_of(item);
        if (!*value || !channel || *channel != 0) return std::nullopt;
        ShutterState& shutter = s.shutters[*channel];
        const int before = phase(shutter);
        if (position) {
          // -1 = "stopped" echoes, not a position.
          if (**value < 0 || **value > 100) return std::nullopt;
          shutter.position = static_cast<int>(**value);
        } else {
          shutter.motion = static_cast<int>(std::clamp<std::int64_t>(**value, 0, 2));
        }
        if (phase(shutter) != before) out.polls_changed = true;
        if (shutter.position >= 0) {
          out.updates.push_back({key_of("shutter_", *channel), shutter_json(shutter)});
        }
        return std::nullopt;
      });
}

void shutter_polls(const DeviceProfile& p, const DeviceState& s, std::vector<Poll>& out) {
  if (!has_shutter(p)) return;
  const auto it = s.shutters.find(0);
  const int now = it == s.shutters.end() ? 3 : phase(it->second);
  int interval = 0;
  int window = 0;
  if (now == 3) {
    interval = travel::kPollMs;
    window = kFirstReadMs;
  } else if (now != 0) {
    interval = travel::kPollMs;
    window =
        static_cast<int>(travel_ms(s, 0, now == 1 ? "open_ms" : "close_ms")) + travel::kPollGraceMs;
  }
  // Position first (see the top of this file).
  out.push_back(Poll{PollKind::Slow, std::string(ns::kRollerShutterPosition), R"({"position":[]})",
                     interval, window});
  out.push_back(Poll{PollKind::Slow, std::string(ns::kRollerShutterState), R"({"state":[]})",
                     interval, window});
  // The travel times change only from the app or the bridge: read at start, every slow interval
  // (5 min; meross_lan reads them every 300 s) and after each SET (shutter_keyed_command).
  if (p.has_ability(ns::kRollerShutterConfig)) {
    out.push_back(
        Poll{PollKind::Slow, std::string(ns::kRollerShutterConfig), std::string(kConfigGet)});
  }
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
      channel_set(std::string(ns::kRollerShutterPosition), "position", channel, "position",
                  position),
      get_request(std::string(ns::kRollerShutterPosition), R"({"position":[]})"),
      get_request(std::string(ns::kRollerShutterState), R"({"state":[]})")};
}

// A travel time's SET, a dict as the firmware takes it (device-families.md §7.7), then the GET
// that reads it back; or the cover's command.
Result<std::vector<DeviceRequest>> shutter_keyed_command(const DeviceProfile& p, const DeviceState&,
                                                         std::string_view key,
                                                         std::string_view command) {
  if (const auto channel = channel_in_key(key, "shutter_"))
    return shutter_command(p, *channel, command);
  for (const auto& s : kSettings) {
    if (setting_key(s) != key || !p.has_ability(ns::kRollerShutterConfig)) continue;
    auto value = travel::device_value(s, command);
    if (!value) return value.error();
    return std::vector<DeviceRequest>{
        travel::config_set(ns::kRollerShutterConfig, 0, false, s.field, *value),
        get_request(std::string(ns::kRollerShutterConfig), std::string(kConfigGet))};
  }
  return Error{"entity", "no shutter setting '" + std::string(key) + "'"};
}

constexpr std::string_view kNamespaces[] = {ns::kRollerShutterPosition, ns::kRollerShutterState,
                                            ns::kRollerShutterConfig};

}  // namespace

extern const Family roller_shutter_family;
const Family roller_shutter_family{
    .name = "roller_shutter",
    .entities = shutter_entities,
    .namespaces = kNamespaces,
    .read = [](const DeviceProfile& p, DeviceState& s, std::string_view ns,
               const JsonValue& payload, const Context&,
               StateBatch& out) { return shutter_states(p, s, ns, payload, out); },
    .polls = shutter_polls,
    .keyed_command = shutter_keyed_command,
};

}  // namespace meross::mapping::detail
