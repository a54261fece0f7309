// libFuzzer target: every mapping message handler. Input: byte 0 picks the device profile
// (fuzz_profiles.hpp), byte 1 the namespace, byte 2 the method (GETACK, SETACK, PUSH), the rest
// is the payload JSON. The same DeviceState then goes through entities_for and a few commands, as
// the bridge does after a message (an effect list changes the light's entities).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_profiles.hpp"
#include "mapping/mapping.hpp"

using namespace meross;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto& all = fuzz::profiles();
  const auto& profile = all[data[0] % all.size()];
  const auto ns = fuzz::kNamespaces[data[1] % fuzz::kNamespaces.size()];
  constexpr protocol::Method kMethods[] = {protocol::Method::GetAck, protocol::Method::SetAck,
                                           protocol::Method::Push};
  const auto method = kMethods[data[2] % 3];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 3, size - 3);

  mapping::DeviceState state;
  const mapping::Context context{1700000000};
  // Twice: the second pass sees the memory the first one left (light, effects, shutters).
  for (int pass = 0; pass < 2; ++pass) {
    auto batch = mapping::states_from(profile, state, ns, method, payload, context);
    if (!batch) {
      (void)batch.error().describe();
      return 0;
    }
  }
  for (const auto& entity : mapping::entities_for(profile, state)) {
    if (!entity.has_command) continue;
    (void)mapping::command_to_request(profile, state, entity.key, "ON");
    (void)mapping::command_to_request(profile, state, entity.key, R"({"state":"ON","effect":"x"})");
  }
  return 0;
}
