#pragma once

// Internal to mapping/families/hub*.cpp: the hub (msh300, msh300hk) and the devices behind it
// (device-families.md §2, meross-protocol.md §5.13). One family, in three files:
//   hub.cpp          the sub-device list (System.All digest.hub, Digest.Hub), availability,
//                    battery, the Hub.* message dispatch, polls and command dispatch;
//   hub_valve.cpp    mts100 / mts100v3 / mts150 / mts150p radiator valves (Hub.Mts100.*);
//   hub_sensors.cpp  ms100 / ms130 temperature-humidity, ms200 door-window, ms400 water leak,
//                    gs559 smoke alarm (Hub.Sensor.*, the hub's Control.Sensor.LatestX).
// What the sub-device types differ in is data (TypeInfo); the code per kind is shared.
//
// Every entity key of a sub-device is "<id>_<suffix>" ("0300DF01_climate"): ids are letters and
// digits only, so the first '_' ends the id. What commands need later (a valve's mode, an
// offset the device only changes by deltas) is kept in DeviceState::numbers under
// "hub.<id>.<field>", as the device sent it (no scaling).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/family.hpp"

namespace meross::mapping::detail::hub {

// What a sub-device type is made of; the code for each kind lives in one place.
enum class Kind {
  Generic,  // an unknown type tag: battery and availability only
  Valve,    // climate + window, adjust, preset numbers
  TempHum,  // temperature / humidity (/ illuminance) sensors, adjust numbers
  Contact,  // one binary_sensor from a status field (door/window, water leak)
  Smoke,    // gs559: alarm binary_sensors, status enum, mute/test buttons
};

struct TypeInfo {
  std::string_view tag;    // the digest's type tag; "" for the generic entry
  std::string_view model;  // for people; "" = the tag in capitals
  Kind kind = Kind::Generic;
  // TempHum: the divisor of its temperatures (humidity is always tenths of a percent), the digest
  // object's members, whether Hub.Sensor.Adjust offsets exist (ms100) and whether the hub's
  // Control.Sensor.LatestX reports its light level (ms130).
  int temperature_divisor = 10;
  std::string_view digest_temperature{};
  std::string_view digest_humidity{};
  bool adjustable = false;
  bool illuminance = false;
  // Contact and Smoke: the object carrying the state (digest type object, Sensor.All member, the
  // list key of its own Hub.Sensor.* namespace) and its field.
  std::string_view object{};
  std::string_view field{};
  // Contact: the binary_sensor's key suffix and device class.
  std::string_view suffix{};
  std::string_view device_class{};
};

// The entry for a digest type tag; the generic entry for an unknown one.
const TypeInfo& type_info(std::string_view tag);
inline const TypeInfo& type_of(const SubDevice& sub) {
  return type_info(sub.type);
}

// "0300DF01_climate".
std::string key(std::string_view id, std::string_view suffix);

// --- memory (DeviceState::numbers) -----------------------------------------------------------
std::optional<std::int64_t> recall(const DeviceState& s, std::string_view id,
                                   std::string_view field);
void remember(DeviceState& s, std::string_view id, std::string_view field, std::int64_t value);

// A value scaled for a state topic: 215 / 10 → "21.5", 2134 / 100 → "21.34".
std::string scaled(std::int64_t value, int divisor);

// --- reading messages --------------------------------------------------------------------------

// One message being mapped: where its states go, and what of it was left out.
struct Reader {
  DeviceState& state;
  StateBatch& out;

  // Leaves out one part of the message (an item, a field) and says why (StateBatch::dropped).
  void drop(std::string path, std::string why);
  void publish(std::string_view id, std::string_view suffix, std::string payload);
  // An integer member: nullopt when absent or null; a wrong type is dropped (and nullopt).
  std::optional<std::int64_t> integer(const JsonValue& object, std::string_view name,
                                      const std::string& path);
  // An object member: nullptr when absent; anything but an object is dropped (and nullptr).
  const JsonValue* object(const JsonValue& parent, std::string_view name, const std::string& path);
  // "online"/"offline" on the sub-device's availability key, from a status (1 online, else
  // offline). A change decides which sub-devices are polled: entities_changed.
  void availability(const SubDevice& sub, std::int64_t status);
  // The `online` object of Hub.Mts100.All / Hub.Sensor.All: whether the item's values are
  // current (not offline).
  bool online_member(const SubDevice& sub, const JsonValue& item, const std::string& path);
};

// Whether the sub-device is not known to be offline (its values are current; it is polled).
bool is_online(const DeviceState& s, const SubDevice& sub);

// Reads one item of a Hub.* list (or of the hub's Control.Sensor.LatestX) for its sub-device.
// `list_key` is the payload's key ("temperature", "doorWindow"). The readers of the kinds below
// are declared with this type, so each fits hub.cpp's dispatch table by construction.
using ReadItem = void(Reader& r, const SubDevice& sub, const JsonValue& item,
                      std::string_view list_key, const std::string& path);
using ItemReader = ReadItem*;

// --- building requests -------------------------------------------------------------------------

// {"<list_key>":[{"id":"<id>","<field>":<value>}]}: the SET shape of every Hub.* namespace.
DeviceRequest hub_set(std::string_view ns, std::string_view list_key, std::string_view id,
                      std::string_view field, std::int64_t value);
// {"<list_key>":[{"id":"<id>"}]}: read one sub-device back.
DeviceRequest hub_get(std::string_view ns, std::string_view list_key, std::string_view id);

// --- entities ------------------------------------------------------------------------------------

// A config `number` of a sub-device (min/max/step in HA units, mode box).
Entity number_entity(const SubDevice& sub, std::string_view suffix, std::string name,
                     std::string_view device_class, std::string_view unit, double min, double max,
                     double step);

// --- the kinds
// ------------------------------------------------------------------------------------

// hub_valve.cpp
void valve_entities(const DeviceState& s, const SubDevice& sub, std::vector<Entity>& out);
// The digest item (its `onoff`) and its type object ({"mode":1,"currentSet":150,…}).
void valve_digest(Reader& r, const SubDevice& sub, const JsonValue& item,
                  const JsonValue& type_object, const std::string& path);
// Hub.ToggleX, Hub.Mts100.All, .Temperature, .Mode and .Adjust.
ReadItem valve_togglex, valve_all, valve_temperature, valve_mode, valve_adjust;
Result<std::vector<DeviceRequest>> valve_command(const DeviceState& s, const SubDevice& sub,
                                                 std::string_view suffix, std::string_view command);

// hub_sensors.cpp
void sensor_entities(const DeviceProfile& p, const SubDevice& sub, std::vector<Entity>& out);
void sensor_digest(Reader& r, const SubDevice& sub, const JsonValue& type_object,
                   const std::string& path);
// Hub.Sensor.All, .Latest and .Adjust.
ReadItem sensor_all, sensor_latest, sensor_adjust;
// Hub.Sensor.TempHum: the ms100 digest object's fields.
ReadItem sensor_temphum;
// Hub.Sensor.DoorWindow / Smoke / WaterLeak: items of the type whose object is `list_key`.
ReadItem sensor_status;
// Control.Sensor.LatestX (ms130, by subId).
ReadItem sensor_latestx;
Result<std::vector<DeviceRequest>> sensor_command(const DeviceState& s, const SubDevice& sub,
                                                  std::string_view suffix,
                                                  std::string_view command);

}  // namespace meross::mapping::detail::hub
