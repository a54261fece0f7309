// libFuzzer target: the configuration loader (bridge::parse_config, the in-memory half of
// load_config) and, for an accepted file, the effective settings it prints and the lookups the
// daemon makes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bridge/config.hpp"

using namespace meross;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = bridge::parse_config(text, "fuzz.toml");
  if (result.error) (void)result.error->describe();
  if (!result.config) return 0;
  const auto& config = *result.config;
  (void)bridge::effective_settings(config);
  for (const auto& device : config.devices) {
    (void)config.key_for(device.uuid);
    (void)config.timezone_for(device.uuid);
    (void)config.excluded(device.uuid);
    (void)bridge::valid_device_uuid(device.uuid);
  }
  return 0;
}
