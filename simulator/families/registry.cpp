// The only list of simulated device families. Adding one: its file in this directory, defining
// `const Family <name>_family`, and its line in MEROSS_FAMILIES below. The order is the order
// families seed (a family may read the sections seeded before it), are asked to press a button or
// take a stdin command, and write the `state` command's JSON.

#include <array>
#include <map>

#include "simulator/family.hpp"

namespace meross::sim::detail {

// One line per family, in registry order. A macro list, so that the one line gives both the
// declaration and the place in kFamilies. thermostat_config comes after the mode families: it
// seeds one item per channel they have. The hub type families come after hub_subdevices: they
// extend its sub-devices.
#define MEROSS_FAMILIES(FAMILY) \
  FAMILY(toggle)                \
  FAMILY(light)                 \
  FAMILY(diffuser)              \
  FAMILY(fan)                   \
  FAMILY(garage_door)           \
  FAMILY(roller_shutter)        \
  FAMILY(electricity)           \
  FAMILY(system)                \
  FAMILY(thermostat_mode)       \
  FAMILY(thermostat_modeb)      \
  FAMILY(thermostat_modec)      \
  FAMILY(thermostat_config)     \
  FAMILY(hub_subdevices)        \
  FAMILY(hub_mts100)            \
  FAMILY(hub_sensor)            \
  FAMILY(presence)              \
  FAMILY(over_temp)             \
  FAMILY(night_light)           \
  FAMILY(unanswered)

#define MEROSS_FAMILY_DECLARATION(name) extern const Family name##_family;
#define MEROSS_FAMILY_ADDRESS(name) &name##_family,

MEROSS_FAMILIES(MEROSS_FAMILY_DECLARATION)

namespace {

constexpr std::array kFamilies{MEROSS_FAMILIES(MEROSS_FAMILY_ADDRESS)};

}  // namespace

std::span<const Family* const> families() {
  return kFamilies;
}

const Family* family_for(std::string_view ns) {
  static const auto owners = [] {
    std::map<std::string_view, const Family*, std::less<>> map;
    for (const Family* f : kFamilies) {
      for (std::string_view owned : f->namespaces)
        map.emplace(owned, f);
    }
    return map;
  }();
  auto it = owners.find(ns);
  return it == owners.end() ? nullptr : it->second;
}

}  // namespace meross::sim::detail
