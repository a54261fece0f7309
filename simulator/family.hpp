#pragma once

// Internal to simulator/: the record one device family fills in (issue 15). A family is one file
// in simulator/families/ defining a `const Family`, plus its line in
// simulator/families/registry.cpp; device.cpp loops over the registry and never names a family.
// Each family keeps its live state in a section of the device's state document (a rapidjson
// object). A family may read another's section (electricity reads the relay's); it writes another
// family's state only through the functions declared at the end of this file. Families that share
// a section (the thermostats', the hub's) say who writes what in their shared header.

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/envelope.hpp"
#include "simulator/clock.hpp"
#include "simulator/device.hpp"
#include "simulator/live_json.hpp"

namespace meross::sim::detail {

using protocol::Method;

// An answer to a request: GETACK/SETACK/PUSH/ERROR and its payload.
struct Answer {
  Method method;
  std::string payload;
};

Answer error_answer(int code, std::string_view detail);

// A hash of `text` (FNV-1a), for values that differ between devices but not between runs.
std::uint64_t fnv1a(std::string_view text);
inline Answer bad_payload() {
  return error_answer(5000, "invalid payload");
}

struct Push {
  std::string ns;
  std::string payload;
};

// Read-only access to a device: summaries and System.All.
struct View {
  const rapidjson::Document& state;
  const DeviceTemplate& tmpl;
  const DeviceClock& clock;
  std::int64_t now_ms;

  const JsonValue* section(std::string_view name) const { return member(state, name); }
  bool has(std::string_view ns) const { return tmpl.abilities.count(ns) != 0; }
  // all.digest / all.control of the template (the trace's System.All), nullptr when absent.
  const JsonValue* digest() const;
  const JsonValue* control() const;
  // The template's recorded GETACK of `ns` as a document; nullopt when none or unreadable.
  std::optional<rapidjson::Document> recorded(std::string_view ns) const;
};

// What a family works in while handling one event: the device's state, its clock, the moment,
// and what the event made the device PUSH (sent only while the device is bound).
struct Context {
  rapidjson::Document& state;
  const DeviceTemplate& tmpl;
  DeviceClock& clock;
  std::mt19937& rng;
  std::string_view uuid;
  std::int64_t now_ms = 0;
  std::vector<Push> pushes{};
  // Worth a line in the log above debug level: a request the firmware would not answer.
  std::string warning{};

  View view() const { return View{state, tmpl, clock, now_ms}; }
  std::int64_t now_s() const { return now_ms / 1000; }
  Alloc& alloc() { return state.GetAllocator(); }
  bool has(std::string_view ns) const { return tmpl.abilities.count(ns) != 0; }
  JsonValue* section(std::string_view name) { return member(state, name); }
  JsonValue& make_section(std::string_view name, rapidjson::Type type) {
    return ensure(state, name, type, alloc());
  }
  void push(std::string_view ns, std::string payload) {
    pushes.push_back(Push{std::string(ns), std::move(payload)});
  }
  // PUSHes the section `name` as {"<name>":<section>} under `ns`; false when there is none.
  bool push_section(std::string_view ns, std::string_view name) {
    const JsonValue* value = section(name);
    if (!value) return false;
    push(ns, wrap(name, *value));
    return true;
  }
};

// What a device answers for a namespace no family models: the recorded GETACK (else `{}`) to a
// GET, an empty SETACK to a SET, the recorded payload to an empty PUSH query, nothing otherwise.
std::optional<Answer> recorded_answer(Context& ctx, Method method, std::string_view ns,
                                      const JsonValue& payload);

// The words of a stdin command after the uuid: {"room", "0300DF01", "21.5"}.
using Command = std::span<const std::string>;

struct Family {
  std::string_view name{};  // for people and tests: "toggle", "hub"

  // Seeds the family's section from the template (System.All digest/control, abilities,
  // recorded GETACKs). Adds no section when the device lacks the family. Called in registry
  // order: a family may read the sections seeded before it.
  void (*seed)(Context& ctx) = nullptr;

  // The namespaces `handle` answers (a namespace belongs to one family only), and the handler:
  // its answer, or nullopt for a request the firmware leaves unanswered (say why in
  // ctx.warning). A family without state for the namespace returns recorded_answer(...).
  std::span<const std::string_view> namespaces{};
  std::optional<Answer> (*handle)(Context& ctx, Method method, std::string_view ns,
                                  const JsonValue& payload) = nullptr;

  // Writes the family's live values into a copy of the template's System.All ({"all":{...}}'s
  // inner object).
  void (*digest)(const View& view, JsonValue& all, Alloc& alloc) = nullptr;

  // Time passing: doors and shutters moving, energy accumulating, test alarms ending. Runs
  // before anything else happens at ctx.now_ms.
  void (*advance)(Context& ctx) = nullptr;

  // Boot messages after Report/Bind/Clock (the ConsumptionConfig PUSH).
  void (*connect)(Context& ctx) = nullptr;

  // The physical button of `channel` (nullopt: the family's first). False when the family has
  // no such button. Families are asked in registry order.
  bool (*press)(Context& ctx, std::optional<int> channel) = nullptr;

  // A stdin test command (README "stdin"): nullopt when not the family's (wrong verb, or no
  // such sub-device/channel here), "" when done, else why it was refused.
  std::optional<std::string> (*command)(Context& ctx, Command words) = nullptr;

  // One state PUSH for load mode (into ctx.pushes); false when the family has nothing to push.
  bool (*load_push)(Context& ctx) = nullptr;

  // The family's members of the `state` command's JSON object.
  void (*summary)(const View& view, Writer& w) = nullptr;
};

// Every family, in registry order (simulator/families/registry.cpp).
std::span<const Family* const> families();
// The family that answers `ns`, nullptr when none does.
const Family* family_for(std::string_view ns);

// --- shared between families --------------------------------------------------------------

// toggle.cpp: whether relay `channel` is on (ToggleX, or the legacy Toggle for channel 0).
bool relay_on(const View& view, int channel);
// toggle.cpp: switches ToggleX channel `channel`; false when there is no such channel.
bool set_relay(Context& ctx, int channel, bool on);

}  // namespace meross::sim::detail
