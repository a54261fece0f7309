// The hp110a "Cherub" night light's sound machine: Appliance.Control.Mp3 (device-families.md §6).
// Its light is the ordinary Control.Light powered by ToggleX channel 0 (light.cpp, toggle.cpp);
// this family maps the rest. MQTT discovery has no media player, so the sound is three entities:
// a `select` of the device's 11 built-in sounds, a `number` volume 0..16 and a `switch` "Play"
// (the device's `mute`, inverted: mute 1 = not playing).
//
// Mp3 is PUSHed on change but not in the System.All digest: it is asked for once the device is
// online and then slowly. Every SET is followed by a GET, as the SETACK carries no state. A sound
// or volume Home Assistant cannot have offered (an unknown name, 17, 8.5) is refused, never
// clamped: it would play something nobody chose.

#include <array>
#include <string>

#include "mapping/family.hpp"
#include "protocol/namespaces.hpp"

namespace meross::mapping::detail {
namespace {

namespace ns = meross::protocol::ns;

// The device's song ids are 1..11, in this order (device-families.md §6).
constexpr std::array<std::string_view, 11> kSounds = {
    "Cicada",       "Rain",      "Ripple",      "Birdsong", "Lullaby",   "Fan",
    "Crystal ball", "Music box", "White noise", "Thunder",  "Ocean wave"};
constexpr std::int64_t kMaxVolume = 16;

constexpr std::string_view kSoundKey = "sound";
constexpr std::string_view kVolumeKey = "volume";
constexpr std::string_view kPlayKey = "play";

bool has_sound(const DeviceProfile& p) {
  return p.has_ability(ns::kControlMp3);
}

Entity commandable(std::string_view key, Component component, std::string_view name) {
  Entity e = category_entity(std::string(key), component, std::string(name), Category::None);
  e.has_command = true;
  return e;
}

void sound_entities(const DeviceProfile& p, const DeviceState&, std::vector<Entity>& out) {
  if (!has_sound(p)) return;
  Entity sound = commandable(kSoundKey, Component::Select, "Sound");
  sound.options.emplace_back("options", json_list(kSounds));
  out.push_back(std::move(sound));
  Entity volume = commandable(kVolumeKey, Component::Number, "Volume");
  volume.options = {{"min", "0"}, {"max", std::to_string(kMaxVolume)}, {"step", "1"}};
  out.push_back(std::move(volume));
  out.push_back(commandable(kPlayKey, Component::Switch, "Play"));
}

// {"mp3":{"channel":0,"song":9,"mute":1,"volume":11,"lmTime":…}}, a dict (or a one-item list).
std::optional<Error> read_mp3(const JsonValue& items, StateBatch& out) {
  return for_each_item_until_error(
      items, "mp3", [&](const JsonValue& item, const std::string& path) -> std::optional<Error> {
        if (channel_of(item) != 0) return std::nullopt;
        auto song = optional_int(item, "song", path);
        if (!song) return song.error();
        auto volume = optional_int(item, "volume", path);
        if (!volume) return volume.error();
        auto mute = optional_int(item, "mute", path);
        if (!mute) return mute.error();
        if (*song && (**song < 1 || **song > static_cast<std::int64_t>(kSounds.size()))) {
          return Error{path + ".song", "unknown sound " + std::to_string(**song)};
        }
        if (*volume && (**volume < 0 || **volume > kMaxVolume)) {
          return Error{path + ".volume", "out of range: " + std::to_string(**volume)};
        }
        if (*song) {
          out.updates.push_back(
              {std::string(kSoundKey), std::string(kSounds[static_cast<std::size_t>(**song - 1)])});
        }
        if (*volume) out.updates.push_back({std::string(kVolumeKey), std::to_string(**volume)});
        if (*mute) out.updates.push_back({std::string(kPlayKey), on_off(**mute == 0)});
        return std::nullopt;
      });
}

std::optional<Error> sound_read(const DeviceProfile& p, DeviceState&, std::string_view,
                                const JsonValue& payload, const Context&, StateBatch& out) {
  const JsonValue* items = has_sound(p) ? member(payload, "mp3") : nullptr;
  return items ? read_mp3(*items, out) : std::nullopt;
}

DeviceRequest mp3_get() {
  return get_request(std::string(ns::kControlMp3), R"({"mp3":{}})");
}

void sound_polls(const DeviceProfile& p, const DeviceState&, std::vector<Poll>& out) {
  if (has_sound(p))
    out.push_back(Poll{PollKind::Slow, std::string(ns::kControlMp3), R"({"mp3":{}})"});
}

// SET {"mp3":{"channel":0,"<field>":value}} (a dict, §6), then read back.
std::vector<DeviceRequest> mp3_set(std::string_view field, std::int64_t value) {
  return {channel_set(std::string(ns::kControlMp3), "mp3", 0, field, value), mp3_get()};
}

Result<std::vector<DeviceRequest>> sound_command(const DeviceProfile& p, const DeviceState&,
                                                 std::string_view key, std::string_view command) {
  if (!has_sound(p)) return Error{"entity", "no sound on this device"};
  if (key == kSoundKey) {
    const std::string_view name = trim(command);
    for (std::size_t i = 0; i < kSounds.size(); ++i) {
      if (kSounds[i] == name) return mp3_set("song", static_cast<std::int64_t>(i + 1));
    }
    return Error{"command", "unknown sound '" + std::string(name) + "'"};
  }
  if (key == kVolumeKey) {
    auto volume = parse_number(command, 0, static_cast<double>(kMaxVolume));
    if (!volume) return volume.error();
    const auto level = static_cast<std::int64_t>(*volume + 0.5);
    if (static_cast<double>(level) != *volume) {
      return Error{"command", "expected a whole volume from 0 to " + std::to_string(kMaxVolume)};
    }
    return mp3_set("volume", level);
  }
  if (key == kPlayKey) {
    auto on = parse_on_off(command);
    if (!on) return on.error();
    return mp3_set("mute", *on ? 0 : 1);
  }
  return Error{"entity", "no commandable entity '" + std::string(key) + "'"};
}

constexpr std::string_view kNamespaces[] = {ns::kControlMp3};

}  // namespace

extern const Family night_light_family;
const Family night_light_family{
    .name = "night_light",
    .entities = sound_entities,
    .namespaces = kNamespaces,
    .read = sound_read,
    .polls = sound_polls,
    .keyed_command = sound_command,
};

}  // namespace meross::mapping::detail
