// libFuzzer target: DeviceProfile from System.All, Ability and Bind payloads, and the timeRule
// checks on whatever table a device claims.

#include <cstddef>
#include <cstdint>

#include <rapidjson/document.h>

#include "protocol/device_profile.hpp"
#include "protocol/time_rules.hpp"

using namespace meross::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rapidjson::Document doc;
  doc.Parse(reinterpret_cast<const char*>(data), size);
  if (doc.HasParseError()) return 0;

  for (auto profile : {profile_from_system_all(doc), profile_from_bind(doc)}) {
    if (!profile) continue;
    (void)apply_abilities(*profile, doc);
    (void)profile->channels_in("togglex");
    (void)profile->light_capacity();
    (void)profile->ability_param("Appliance.Control.Multiple", "maxCmdNum");
    const std::int64_t now = 1750000000;
    (void)check_time_rules("Europe/Rome", profile->timezone, profile->time_rules, now);
  }
  (void)parse_time_rules(doc);
  return 0;
}
