#pragma once

// Internal to simulator/families/: the settings of garage doors and shutters
// (GarageDoor.Config, GarageDoor.MultipleConfig, RollerShutter.Config; meross-protocol.md §5.10,
// §5.11) kept in the family's section and answered like firmware. A config is either one item
// for the whole device (GarageDoor.Config, a dict without channel) or one item per channel (a
// list). A SET is validated whole: each item names a known channel (per channel), every field is
// one the item has (the seeded one: the firmware's), a JSON integer, 0/1 for "…Enable" fields and
// 0..kMaxMs for the durations; then it is merged and answered `{}`. Nothing is PUSHed: the
// requester reads the settings back.

#include <optional>
#include <string_view>

#include "simulator/family.hpp"

namespace meross::sim::detail::travel_config {

inline constexpr std::int64_t kMaxMs = 600'000;

enum class Shape { Device, PerChannel };

// Seeds member `name` of `section` from the recorded GETACK of `ns`, else from `fallback` (the
// JSON text of the items: an object for Shape::Device, a list otherwise).
void seed(Context& ctx, JsonValue& section, std::string_view name, std::string_view ns, Shape shape,
          std::string_view fallback);

// The answer to a GET or SET of `ns` on the config `live` (the seeded member). A GET that names
// channels gets those; {"config":{}} gets all. Anything else: nullopt (recorded_answer's turn).
std::optional<Answer> handle(Context& ctx, JsonValue& live, Shape shape, Method method,
                             const JsonValue& payload);

}  // namespace meross::sim::detail::travel_config
