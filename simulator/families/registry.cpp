// The only list of simulated device families. Adding one: its file in this directory and its
// two lines here (the declaration and its place in kFamilies). The order is the order families
// seed (a family may read the sections seeded before it), are asked to press a button or take a
// stdin command, and write the `state` command's JSON.

#include <array>
#include <map>

#include "simulator/family.hpp"

namespace meross::sim::detail {

extern const Family toggle_family;
extern const Family light_family;
extern const Family diffuser_family;
extern const Family fan_family;
extern const Family garage_door_family;
extern const Family roller_shutter_family;
extern const Family electricity_family;
extern const Family system_family;
extern const Family thermostat_mode_family;
extern const Family thermostat_modeb_family;
extern const Family thermostat_modec_family;
extern const Family thermostat_config_family;
extern const Family hub_subdevices_family;
extern const Family hub_mts100_family;
extern const Family hub_sensor_family;
extern const Family presence_family;
extern const Family night_light_family;
extern const Family unanswered_family;

namespace {

// thermostat_config comes after the mode families: it seeds one item per channel they have.
// The hub type families come after hub_subdevices: they extend its sub-devices.
constexpr std::array kFamilies{
    &toggle_family,           &light_family,
    &diffuser_family,         &fan_family,
    &garage_door_family,      &roller_shutter_family,
    &electricity_family,      &system_family,
    &thermostat_mode_family,  &thermostat_modeb_family,
    &thermostat_modec_family, &thermostat_config_family,
    &hub_subdevices_family,   &hub_mts100_family,
    &hub_sensor_family,       &presence_family,
    &night_light_family,      &unanswered_family,
};

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
