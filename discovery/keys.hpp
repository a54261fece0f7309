#pragma once

// Home Assistant accepts every discovery key spelled out or abbreviated ("components" or "cmps");
// documents we read back may use either.

#include <string_view>

#include "protocol/json.hpp"

namespace meross::discovery {

inline const protocol::JsonValue* full_or_abbreviated(const protocol::JsonValue& object,
                                                      std::string_view full,
                                                      std::string_view abbreviated) {
  const protocol::JsonValue* v = protocol::find_member(object, full);
  return v ? v : protocol::find_member(object, abbreviated);
}

}  // namespace meross::discovery
