// The only list of device families. Adding one: its file in this directory, defining
// `const Family <name>_family`, and its line in MEROSS_FAMILIES below. The order is the order
// entities are discovered in and messages are mapped in; changing it changes what Home Assistant
// sees.

#include <array>

#include "mapping/family.hpp"

namespace meross::mapping::detail {

// One line per family, in registry order. A macro list, so that the one line gives both the
// declaration and the place in kFamilies.
#define MEROSS_FAMILIES(FAMILY) \
  FAMILY(toggle)                \
  FAMILY(light)                 \
  FAMILY(diffuser)              \
  FAMILY(fan)                   \
  FAMILY(garage_door)           \
  FAMILY(roller_shutter)        \
  FAMILY(thermostat)            \
  FAMILY(electricity)           \
  FAMILY(consumption)           \
  FAMILY(presence)              \
  FAMILY(night_light)           \
  FAMILY(hub)                   \
  FAMILY(device_settings)       \
  FAMILY(diagnostics)

#define MEROSS_FAMILY_DECLARATION(name) extern const Family name##_family;
#define MEROSS_FAMILY_ADDRESS(name) &name##_family,

MEROSS_FAMILIES(MEROSS_FAMILY_DECLARATION)

namespace {

constexpr std::array kFamilies{MEROSS_FAMILIES(MEROSS_FAMILY_ADDRESS)};

}  // namespace

std::span<const Family* const> families() {
  return kFamilies;
}

}  // namespace meross::mapping::detail
