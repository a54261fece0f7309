// libFuzzer target: the command parser. Input: byte 0 picks the device profile
// (fuzz_profiles.hpp), byte 1 one of its commandable entities, the rest is the MQTT payload HA
// would send on the entity's command topic. Light commands also run against a light state and
// an effect list learned from a message, as they would be after the first PUSH.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_profiles.hpp"
#include "mapping/mapping.hpp"

using namespace meross;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto& all = fuzz::profiles();
  const auto& profile = all[data[0] % all.size()];
  const std::string_view command(reinterpret_cast<const char*>(data) + 2, size - 2);

  mapping::DeviceState empty;
  mapping::DeviceState learned;
  const mapping::Context context{1700000000};
  (void)mapping::states_from(
      profile, learned, "Appliance.Control.Light.Effect", protocol::Method::GetAck,
      std::string_view(R"({"effect":[{"Id":"e1","effectName":"Party","enable":1,"member":[]},)"
                       R"({"Id":"e2","effectName":"Calm","enable":0,"member":[]}]})"),
      context);
  (void)mapping::states_from(
      profile, learned, "Appliance.Control.Light", protocol::Method::Push,
      std::string_view(R"({"light":{"channel":0,"capacity":5,"rgb":255,"temperature":50,)"
                       R"("luminance":40,"onoff":1}})"),
      context);

  std::vector<std::string> keys;
  for (const auto& entity : mapping::entities_for(profile, learned)) {
    if (entity.has_command) keys.push_back(entity.key);
  }
  // Unknown keys and entities without commands must be Errors too.
  keys.push_back("power_0");
  keys.push_back("switch_99");
  const auto& key = keys[data[1] % keys.size()];
  for (const auto* state : {&empty, &learned}) {
    auto requests = mapping::command_to_request(profile, *state, key, command);
    if (!requests) {
      (void)requests.error().describe();
      continue;
    }
    for (const auto& request : *requests) {
      if (request.ns.empty() || request.payload_json.empty() || request.payload_json[0] != '{') {
        __builtin_trap();  // a request the bridge would sign and send must be a JSON object
      }
    }
  }
  return 0;
}
