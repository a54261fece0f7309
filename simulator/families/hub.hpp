#pragma once

// Internal to the hub families (hub_*.cpp): the shared section of the hub's sub-devices and the
// id-list shapes of hub requests (device-families.md §0 rules 1 and 4, §2).
//
// Section "hub": {"subdevice":[sub…]}, one per distinct id of the digest's hub.subdevice (a
// duplicated id is kept once, §2.9). A sub:
//   {"id","type","status" (1 online, 2 offline),"onoff","lastActiveTime","battery",
//    "version":{"hardware","firmware"},
//    "digest":{its digest item; the type families keep its type object ("mts150":{…}) live},
//    "mts100":{…} (valves, hub_mts100.cpp), "sensor":{…} (sensors, hub_sensor.cpp)}

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/family.hpp"

namespace meross::sim::detail::hub {

JsonValue* subdevices(Context& ctx);
const JsonValue* subdevices(const View& view);
JsonValue* find(Context& ctx, std::string_view id);

std::string_view id_of(const JsonValue& sub);
std::string_view type_of(const JsonValue& sub);
bool online(const JsonValue& sub);
// Thermostatic valves: mts100, mts100v3, mts150, mts150p.
bool is_valve(const JsonValue& sub);
// The type object of the sub's digest item ("mts150":{…}), nullptr when it has none.
JsonValue* type_object(JsonValue& sub);
// A sub-device was heard from: lastActiveTime is now.
void touch(Context& ctx, JsonValue& sub);
// {"status":…,"lastActiveTime":…}, as Hub.Online items and the "online" of the All namespaces.
void write_online(Writer& w, const JsonValue& sub);

using Accept = bool (*)(const JsonValue& sub);
using ItemWriter = void (*)(const JsonValue& sub, Writer& w);  // writes the members after "id"

// A hub GET: {"<key>":[{"id":…},…]} answers those sub-devices (unknown ids are left out), an
// empty list all of them; only `accept`ed sub-devices are answered. The key is matched without
// case ("toggleX" works, as the msh300hk trace shows); a payload without it gets ERROR 5000 (as
// {"smoke":[]} does), one whose value is no list an empty list.
Answer get(const View& view, std::string_view key, const JsonValue& payload, Accept accept,
           ItemWriter write);

// One namespace a hub family reads out per sub-device: its payload key, which sub-devices it
// covers and how it writes one.
struct Reader {
  std::string_view ns;
  std::string_view key;
  Accept accept;
  ItemWriter write;
};
// GET (as get() above), or a PUSH query ({}) answered with every sub-device as a PUSH; nullopt
// when `ns` is none of `readers` or the method is neither.
std::optional<Answer> read(const View& view, std::span<const Reader> readers, Method method,
                           std::string_view ns, const JsonValue& payload);

// One namespace a hub family changes on SET: {"<key>":[{"id":…,…}]} (or one object) names
// `accept`ed sub-devices, all of them online (else ERROR 5000 "subdevice offline"). Once every
// request item `fits` its sub-device, `apply` changes each, in order; then `done` answers, or
// without it the changed sub-devices are PUSHed on `ns` (when `pushed` writes them) and the
// SETACK is {}. An item that does not fit gets ERROR 5000 and nothing changes.
struct Setter {
  std::string_view ns;
  std::string_view key;
  Accept accept;
  bool (*fits)(const JsonValue& sub, const JsonValue& request);
  void (*apply)(Context& ctx, JsonValue& sub, const JsonValue& request);
  ItemWriter pushed = nullptr;
  Answer (*done)(Context& ctx, const std::vector<const JsonValue*>& changed) = nullptr;
};
// A hub family's handle(): `readers` and `setters` answer once the hub has sub-devices; the
// recorded answer does before that and for anything else.
std::optional<Answer> answer(Context& ctx, std::span<const Reader> readers,
                             std::span<const Setter> setters, Method method, std::string_view ns,
                             const JsonValue& payload);

// {"<key>":[{"id":…,<write(sub)>},…]} of the given sub-devices.
std::string items(std::string_view key, const std::vector<const JsonValue*>& subs,
                  ItemWriter write);

// The sub-device a stdin command names: words {verb, id, …} of `count` words, an `accept`ed
// sub-device; nullptr when the command is not for it.
JsonValue* command_target(Context& ctx, Command words, std::string_view verb, std::size_t count,
                          Accept accept);

}  // namespace meross::sim::detail::hub
