// The only list of device families. Adding one: its file in this directory and its two lines
// here (the declaration and its place in kFamilies). The order is the order entities are
// discovered in and messages are mapped in; changing it changes what Home Assistant sees.

#include <array>

#include "mapping/family.hpp"

namespace meross::mapping::detail {

extern const Family toggle_family;
extern const Family light_family;
extern const Family diffuser_family;
extern const Family fan_family;
extern const Family garage_door_family;
extern const Family roller_shutter_family;
extern const Family thermostat_family;
extern const Family electricity_family;
extern const Family consumption_family;
extern const Family presence_family;
extern const Family night_light_family;
extern const Family hub_family;
extern const Family diagnostics_family;

namespace {

constexpr std::array kFamilies{
    &toggle_family,      &light_family,          &diffuser_family,    &fan_family,
    &garage_door_family, &roller_shutter_family, &thermostat_family,  &electricity_family,
    &consumption_family, &presence_family,       &night_light_family, &hub_family,
    &diagnostics_family,
};

}  // namespace

std::span<const Family* const> families() {
  return kFamilies;
}

}  // namespace meross::mapping::detail
