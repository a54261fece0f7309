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

// One travel time in ms from a config item, clamped; nullopt when absent or not a number.
std::optional<std::int64_t> duration_of(const JsonValue& item, std::string_view name) {
  auto value = optional_int(item, name, "config");
  if (!value || !*value || **value <= 0) return std::nullopt;
  return travel::clamped_ms(**value);
}

// GarageDoor.Config (one dict for the device) and MultipleConfig (a list by channel): only the
// travel times are kept; the settings themselves are no entities (yet).
void read_config(DeviceState& s, std::string_view ns, const JsonValue& payload) {
  const JsonValue* config = member(payload, "config");
  if (!config) return;
  const bool per_channel = ns == ns::kGarageDoorMultipleConfig;
  (void)for_each_item(*config, "config", [&](const JsonValue& item) {
    std::string prefix = "garage_door.";
    if (per_channel) {
      const auto channel = channel_of(item);
      if (!channel) return;
      prefix += std::to_string(*channel) + ".";
    }
    if (auto ms = duration_of(item, "doorOpenDuration")) s.numbers[prefix + "open_ms"] = *ms;
    if (auto ms = duration_of(item, "doorCloseDuration")) s.numbers[prefix + "close_ms"] = *ms;
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
  if (p.has_ability(ns::kGarageDoorConfig)) {
    out.push_back(Poll{PollKind::Slow, std::string(ns::kGarageDoorConfig), R"({"config":{}})"});
  }
  if (p.has_ability(ns::kGarageDoorMultipleConfig)) {
    // The list naming the channels, as meross_lan asks (msg200.json.txt).
    std::string payload = R"({"config":[)";
    for (int c : channels) {
      if (payload.back() == '}') payload += ',';
      payload += R"({"channel":)" + std::to_string(c) + "}";
    }
    out.push_back(Poll{PollKind::Slow, std::string(ns::kGarageDoorMultipleConfig), payload + "]}"});
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
      if (ns != ns::kGarageDoorState) {
        read_config(s, ns, payload);
        return std::nullopt;
      }
      const JsonValue* items = member(payload, "state");
      if (!items) return std::nullopt;
      return garage_states(p, s, *items, ctx.now, out);
    },
    .digest = kDigest,
    .polls = garage_polls,
    .command_key = "garage_",
    .command = [](const DeviceProfile& p, const DeviceState&, int channel,
                  std::string_view command) { return garage_command(p, channel, command); },
};

}  // namespace meross::mapping::detail
