// Appliance.GarageDoor.State → a cover with device_class garage per channel (msg100: channel 0;
// msg200: channels 1..3). `open` is the reed contact (1 open, 0 closed). A SETACK carries the
// state before the move plus `execute` (1 = relay pulsed), so an executed command reports
// "opening"/"closing" (meross-protocol.md §5.10).
//
// Over MQTT a door that has moved does not always PUSH (meross_lan#415, and meross_lan's
// emulator never does): while a door travels the family asks for its state every second (a
// bounded poll), until the contact reaches the target or the door's travel time has passed
// (GarageDoor.Config / MultipleConfig doorOpenDuration / doorCloseDuration, device-families.md
// §7.6; 60 s when the device tells none). Then the contact is the state, whatever it says. The
// contact of a real door opens as soon as it leaves the floor, so "open" can come before the door
// is fully up; it is what the device reports, and it is never the wrong direction.
//
// Settings (device-families.md §7.6): GarageDoor.Config is one item for the whole device (msg100:
// keys "door_<setting>"), MultipleConfig one item per door (msg200: "door_<setting>_<channel>");
// config switches and numbers in s (the device keeps ms). Neither is PUSHed: both are read when
// the device comes online, every slow interval, and right after a SET.
//
// Memory (DeviceState::numbers): "garage_door.<channel>.target" (0/1, only while travelling),
// ".until" (epoch seconds after which the travel is over), ".open_ms"/".close_ms" (travel times;
// without a channel: GarageDoor.Config's, for every door).

#include <algorithm>
#include <string>

#include "mapping/families/travel.hpp"
#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// A travel is over only a little after its time (answers come late).
constexpr std::int64_t kGraceSeconds = 3;

std::vector<int> garage_channels(const DeviceProfile& p) {
  if (!digest_channels(p, "garageDoor").empty()) return digest_channels(p, "garageDoor");
  if (p.has_ability("Appliance.GarageDoor.State") && digest_channels(p, "togglex").empty())
    return {0};
  return {};
}

std::string memory_key(int channel, std::string_view what) {
  return "garage_door." + std::to_string(channel) + "." + std::string(what);
}

std::optional<std::int64_t> remembered(const DeviceState& s, const std::string& key) {
  const auto it = s.numbers.find(key);
  if (it == s.numbers.end()) return std::nullopt;
  return it->second;
}

// How long door `channel` takes to move to `target` (1 open, 0 closed), in ms.
std::int64_t travel_ms(const DeviceState& s, int channel, std::int64_t target) {
  const std::string_view what = target ? "open_ms" : "close_ms";
  auto ms = remembered(s, memory_key(channel, what));
  if (!ms) ms = remembered(s, "garage_door." + std::string(what));
  return ms ? *ms : travel::kDefaultMs;
}

// --- settings (device-families.md §7.6) ---------------------------------------------------

// GarageDoor.Config: one item for the whole device (msg100), no channel.
constexpr travel::Setting kDeviceSettings[] = {
    {"buzzer", "buzzerEnable", "Buzzer"},
    {"open_duration", "doorOpenDuration", "Open duration", 1, 60, 1},
    {"close_duration", "doorCloseDuration", "Close duration", 1, 60, 1},
    // How long the relay is pulsed: set once when the opener is installed.
    {"signal_duration", "signalDuration", "Signal duration", 0.1, 10, 0.1, false},
};

// GarageDoor.MultipleConfig: one item per door (msg200).
constexpr travel::Setting kDoorSettings[] = {
    {"enable", "doorEnable", "Enabled"},
    {"buzzer", "buzzerEnable", "Buzzer"},
    {"open_duration", "doorOpenDuration", "Open duration", 1, 60, 1},
    {"close_duration", "doorCloseDuration", "Close duration", 1, 60, 1},
    {"signal_open", "signalOpen", "Open signal", 0.1, 60, 0.1, false},
    {"signal_close", "signalClose", "Close signal", 0.1, 60, 0.1, false},
};

// "door_buzzer" for the device's setting, "door_buzzer_1" for door 1's.
std::string setting_key(const travel::Setting& s, std::optional<int> channel) {
  std::string key = "door_" + std::string(s.key);
  return channel ? key_of(key + "_", *channel) : key;
}

// "Buzzer", or "Door 1 buzzer" beside other doors.
std::string setting_name(const travel::Setting& s, std::optional<int> channel, bool numbered) {
  std::string name(s.name);
  if (!channel || !numbered) return name;
  name[0] = static_cast<char>(name[0] - 'A' + 'a');
  return "Door " + std::to_string(*channel) + " " + name;
}

void setting_entities(const DeviceProfile& p, std::vector<Entity>& out) {
  if (p.has_ability(ns::kGarageDoorConfig)) {
    for (const auto& s : kDeviceSettings)
      out.push_back(travel::setting_entity(s, setting_key(s, std::nullopt), std::string(s.name)));
  }
  if (!p.has_ability(ns::kGarageDoorMultipleConfig)) return;
  const auto channels = garage_channels(p);
  for (int c : channels) {
    for (const auto& s : kDoorSettings) {
      out.push_back(
          travel::setting_entity(s, setting_key(s, c), setting_name(s, c, channels.size() > 1)));
    }
  }
}

// The GET of MultipleConfig: the list naming the channels, as meross_lan asks (msg200.json.txt).
std::string multiple_config_get(const DeviceProfile& p) {
  std::string payload = R"({"config":[)";
  for (int c : garage_channels(p)) {
    if (payload.back() == '}') payload += ',';
    payload += R"({"channel":)" + std::to_string(c) + "}";
  }
  return payload + "]}";
}

constexpr std::string_view kConfigGet = R"({"config":{}})";

// GarageDoor.Config (one dict for the device) and MultipleConfig (a list by channel): the
// settings' states, and the travel times the door's polls use.
std::optional<Error> read_config(const DeviceProfile& p, DeviceState& s, std::string_view ns,
                                 const JsonValue& payload, StateBatch& out) {
  const JsonValue* config = member(payload, "config");
  if (!config) return std::nullopt;  // a SETACK: the GET after it reads the value back
  const bool per_door = ns == ns::kGarageDoorMultipleConfig;
  const auto channels = garage_channels(p);
  return for_each_item_until_error(
      *config, "config",
      [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        std::optional<int> channel;
        std::string prefix = "garage_door.";
        if (per_door) {
          channel = channel_of(item);
          if (!channel) return std::nullopt;
          prefix += std::to_string(*channel) + ".";
        }
        for (const auto& [field, what] : {std::pair{"doorOpenDuration", "open_ms"},
                                          std::pair{"doorCloseDuration", "close_ms"}}) {
          auto ms = optional_int(item, field, path);
          if (!ms) return ms.error();
          if (*ms && **ms > 0) s.numbers[prefix + what] = travel::clamped_ms(**ms);
        }
        if (per_door && std::find(channels.begin(), channels.end(), *channel) == channels.end())
          return std::nullopt;
        const std::span<const travel::Setting> settings =
            per_door ? std::span<const travel::Setting>(kDoorSettings) : kDeviceSettings;
        return travel::read_settings(
            settings, item, path,
            [&](const travel::Setting& st) { return setting_key(st, channel); }, out);
      });
}

// A setting's SET, then the GET that reads it back (the device PUSHes no config).
std::optional<Result<std::vector<DeviceRequest>>> setting_command(const DeviceProfile& p,
                                                                  std::string_view key,
                                                                  std::string_view command) {
  const auto requests = [&](const travel::Setting& s, std::optional<int> channel,
                            std::string_view ns,
                            std::string get) -> Result<std::vector<DeviceRequest>> {
    auto value = travel::device_value(s, command);
    if (!value) return value.error();
    return std::vector<DeviceRequest>{
        travel::config_set(ns, channel, channel.has_value(), s.field, *value),
        get_request(std::string(ns), std::move(get))};
  };
  if (p.has_ability(ns::kGarageDoorConfig)) {
    for (const auto& s : kDeviceSettings) {
      if (setting_key(s, std::nullopt) == key)
        return requests(s, std::nullopt, ns::kGarageDoorConfig, std::string(kConfigGet));
    }
  }
  if (p.has_ability(ns::kGarageDoorMultipleConfig)) {
    for (int c : garage_channels(p)) {
      for (const auto& s : kDoorSettings) {
        if (setting_key(s, c) == key)
          return requests(s, c, ns::kGarageDoorMultipleConfig, multiple_config_get(p));
      }
    }
  }
  return std::nullopt;
}

void garage_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  const auto channels = garage_channels(p);
  for (int c : channels) {
    Entity e =
        channel_entity("garage_", c, Component::Cover, channels.size() > 1, "Door", "Garage door");
    e.device_class = "garage";
    e.has_command = true;
    e.options.emplace_back("payload_stop", "null");
    out.push_back(std::move(e));
  }
  setting_entities(p, out);
}

// `now` is epoch seconds, 0 when unknown (the System.All digest): then a travel is never found
// over by its time.
std::optional<Error> garage_states(const DeviceProfile& p, DeviceState& s, const JsonValue& items,
                                   std::int64_t now, StateBatch& out) {
  const auto channels = garage_channels(p);
  return for_each_item_until_error(
      items, "state", [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        auto open = optional_int(item, "open", path);
        auto execute = optional_int(item, "execute", path);
        if (!open || !execute) return !open ? open.error() : execute.error();
        const auto channel = channel_of(item);
        if (!*open || !channel ||
            std::find(channels.begin(), channels.end(), *channel) == channels.end()) {
          return std::nullopt;
        }
        const std::int64_t contact = **open != 0 ? 1 : 0;
        const std::string target_key = memory_key(*channel, "target");
        const std::string until_key = memory_key(*channel, "until");
        const auto travelling = remembered(s, target_key);
        if (*execute) {
          // A SETACK: `open` is the contact before the move. Executed, the door moves away from
          // where it is, or back when it was already travelling (a command while it moves).
          if (**execute == 1) {
            const std::int64_t target = travelling ? 1 - *travelling : 1 - contact;
            s.numbers[target_key] = target;
            s.numbers[until_key] =
                now + (travel_ms(s, *channel, target) + 999) / 1000 + kGraceSeconds;
            out.polls_changed = true;
          }
        } else if (travelling &&
                   (contact == *travelling || (now > 0 && now >= remembered(s, until_key)))) {
          // Arrived, or its time is up: the contact tells where it is.
          s.numbers.erase(target_key);
          s.numbers.erase(until_key);
          out.polls_changed = true;
        }
        const auto target = remembered(s, target_key);
        const char* state = target    ? (*target ? "opening" : "closing")
                            : contact ? "open"
                                      : "closed";
        out.updates.push_back({key_of("garage_", *channel), state});
        return std::nullopt;
      });
}

void garage_polls(const DeviceProfile& p, const DeviceState& s, std::vector<Poll>& out) {
  const auto channels = garage_channels(p);
  if (channels.empty()) return;
  std::int64_t longest = -1;
  for (int c : channels) {
    if (const auto target = remembered(s, memory_key(c, "target"))) {
      longest = std::max(longest, travel_ms(s, c, *target));
    }
  }
  if (longest >= 0) {
    out.push_back(Poll{PollKind::Slow, std::string(ns::kGarageDoorState), R"({"state":{}})",
                       travel::kPollMs, static_cast<int>(longest) + travel::kPollGraceMs});
  }
  // Settings change only from the app or the bridge: read at start and every slow interval
  // (5 min; meross_lan reads them every 300 s), and after each SET (setting_command).
  if (p.has_ability(ns::kGarageDoorConfig)) {
    out.push_back(
        Poll{PollKind::Slow, std::string(ns::kGarageDoorConfig), std::string(kConfigGet)});
  }
  if (p.has_ability(ns::kGarageDoorMultipleConfig)) {
    out.push_back(
        Poll{PollKind::Slow, std::string(ns::kGarageDoorMultipleConfig), multiple_config_get(p)});
  }
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
      channel_set(std::string(ns::kGarageDoorState), "state", channel, "open", open)};
}

constexpr std::string_view kNamespaces[] = {ns::kGarageDoorState, ns::kGarageDoorConfig,
                                            ns::kGarageDoorMultipleConfig};
constexpr DigestSection kDigest[] = {
    // Pass 1 only to keep the order updates have always come in (after ToggleX).
    {"garageDoor", 1,
     [](const DeviceProfile& p, DeviceState& s, const JsonValue& section, StateBatch& out) {
       return garage_states(p, s, section, 0, out);
     }}};

}  // namespace

extern const Family garage_door_family;
const Family garage_door_family{
    .name = "garage_door",
    .entities = garage_entities,
    // The opener's relay is on its ToggleX channel (msg100).
    .powers =
        [](const DeviceProfile& p, int channel) {
          const auto& doors = digest_channels(p, "garageDoor");
          return std::find(doors.begin(), doors.end(), channel) != doors.end();
        },
    .namespaces = kNamespaces,
    .read = [](const DeviceProfile& p, DeviceState& s, std::string_view ns,
               const JsonValue& payload, const Context& ctx,
               StateBatch& out) -> std::optional<Error> {
      if (ns != ns::kGarageDoorState) return read_config(p, s, ns, payload, out);
      const JsonValue* items = member(payload, "state");
      if (!items) return std::nullopt;
      return garage_states(p, s, *items, ctx.now, out);
    },
    .digest = kDigest,
    .polls = garage_polls,
    .keyed_command = [](const DeviceProfile& p, const DeviceState&, std::string_view key,
                        std::string_view command) -> Result<std::vector<DeviceRequest>> {
      if (const auto channel = channel_in_key(key, "garage_"))
        return garage_command(p, *channel, command);
      if (auto requests = setting_command(p, key, command)) return std::move(*requests);
      return Error{"entity", "no garage door setting '" + std::string(key) + "'"};
    },
};

}  // namespace meross::mapping::detail
