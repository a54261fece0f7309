#pragma once

// Internal to the thermostat families (thermostat_*.cpp): their shared section and the
// list-with-channel shapes of their requests (device-families.md §0 rules 1 and 5, §1).
//
// Section "thermostat": one member per payload key, each a list of channel objects as firmware
// sends them: "mode", "windowOpened", "summerMode" (thermostat_mode.cpp), "modeB"
// (thermostat_modeb.cpp), "control" (thermostat_modec.cpp), and the config keys
// ("calibration", "deadZone", "lock", ...: thermostat_config.cpp, which also writes the whole
// section into the `state` JSON). Each list is written by the family that owns its namespace.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/family.hpp"

namespace meross::sim::detail::thermostat {

JsonValue* list(Context& ctx, std::string_view key);
const JsonValue* list(const View& view, std::string_view key);
// An empty list `key` (replacing any), to be filled.
JsonValue& make_list(Context& ctx, std::string_view key);

// The thermostat's channels (from its mode list); empty when the device is no thermostat.
std::vector<std::int64_t> channels(const View& view);
// Device units per °C: 10 on mts200 (Mode), 100 on mts960 and mts300 (ModeB, ModeC).
int scale(const View& view);

// Fills list `key` from the digest's thermostat.<key>, else from the items of the recorded
// GETACK of `ns`; false when neither has any (mts200 fw 7.6.5 recorded `[]` for most).
bool seed_from_trace(Context& ctx, std::string_view ns, std::string_view key);

// List `key` with the one item `json` (a built-in default, channel 0), replacing any.
void seed_default(Context& ctx, std::string_view key, std::string_view json);
// A family's digest: the digest's thermostat.<key> lists that exist become the live ones.
void write_digest(const View& view, JsonValue& all, Alloc& alloc,
                  std::initializer_list<std::string_view> keys);

// A GET: {"<key>":[{"channel":N},…]} answers those channels; any other shape, or another key
// (keys are case-sensitive), is answered with an empty list under the right key (§0 rule 1).
Answer get(const View& view, std::string_view key, const JsonValue& payload);
// A PUSH query ({} or {"<key>":…}): every channel, as a PUSH (§0 rule 2); nullopt for any other
// PUSH, which is no question.
std::optional<Answer> push_query(const View& view, std::string_view key, const JsonValue& payload);
// Every channel of list `key` as a {"<key>":[…]} payload.
std::string all_channels(const View& view, std::string_view key);

// A field a SET may change. Fields not listed are ignored, as firmware ignores read-only ones.
struct Field {
  enum class Kind {
    Int,      // a JSON integer in [lo, hi]
    Bounded,  // a JSON integer within the live item's own "min"/"max"
    Number,   // a JSON number in [lo, hi] (screen brightness takes 12.5)
    Object,   // an object of JSON integers in [lo, hi], merged member by member
  };
  std::string_view name;
  Kind kind = Kind::Int;
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

struct Change {
  JsonValue* live;
  const JsonValue* request;
};
// The live items a SET {"<key>":[{"channel":N,…}]} (or one such object) names, once every
// listed field present in every item fits; nullopt (ERROR 5000, nothing changed) otherwise.
std::optional<std::vector<Change>> changes(Context& ctx, std::string_view key,
                                           const JsonValue& payload, std::span<const Field> fields);
// Copies the listed fields present in `request` into `live`.
void apply(Context& ctx, JsonValue& live, const JsonValue& request, std::span<const Field> fields);
// {"<key>":[the changed live items]}.
std::string payload_of(std::string_view key, const std::vector<Change>& changed);

// Command words: a channel number; a room temperature in °C ("21.5", what a room sensor could
// read), in device units of `per_degree` per °C, nullopt when it is none; the line refusing it.
std::optional<std::int64_t> channel_word(std::string_view text);
std::optional<std::int64_t> room_units(std::string_view text, int per_degree);
std::string room_refusal(std::string_view text);

// The item of list `key` for the channel a command word names; nullptr when there is none.
JsonValue* channel_item(Context& ctx, std::string_view key, std::string_view channel);
// A family's load_push: every channel of list `key` PUSHed on `ns`; false without the list.
bool push_all(Context& ctx, std::string_view ns, std::string_view key);

// A mode namespace (Mode, ModeB, ModeC): its list, what a SET may change, and how the channel's
// outputs follow its inputs. A SET answers and PUSHes the changed channels.
struct ModeList {
  std::string_view ns;
  std::string_view key;
  std::span<const Field> fields;
  int per_degree;                                 // device units per °C
  void (*settle)(Context& ctx, JsonValue& item);  // after a SET and a room reading
  // A check of a change beyond `fields` (nullptr: none): false refuses the whole SET.
  bool (*fits)(const View& view, const Change& change) = nullptr;
  bool stamp = false;   // a SET sets the channel's lmTime
  bool sensor = false;  // the room reading is also the "sensorTemp" (mts300)
};
// GET, PUSH query and SET of the mode namespace; the recorded answer while it has no list.
std::optional<Answer> handle_mode(Context& ctx, Method method, const JsonValue& payload,
                                  const ModeList& mode);
std::optional<Answer> set_mode(Context& ctx, const JsonValue& payload, const ModeList& mode);
// `room <uuid> <channel> <°C>`: the channel's "currentTemp" is the reading, its outputs settle
// and the channel is PUSHed; nullopt when the command is not for the list (README "stdin").
std::optional<std::string> room(Context& ctx, Command words, const ModeList& mode);

}  // namespace meross::sim::detail::thermostat
