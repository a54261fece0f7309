#pragma once

// Reading back discovery documents: Home Assistant accepts every discovery key spelled out or
// abbreviated ("components" or "cmps"); documents we read back may use either.

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace meross::discovery {

inline const protocol::JsonValue* full_or_abbreviated(const protocol::JsonValue& object,
                                                      std::string_view full,
                                                      std::string_view abbreviated) {
  const protocol::JsonValue* v = protocol::find_member(object, full);
  return v ? v : protocol::find_member(object, abbreviated);
}

// Parses a document read back into `doc`: false unless it is a JSON object, nested no deeper than
// any of ours (anyone may publish under the prefix).
inline bool parse_document(const std::string& payload, rapidjson::Document& doc) {
  if (!protocol::json_nesting_at_most(payload, protocol::kMaxJsonNesting)) return false;
  doc.Parse(payload.c_str());
  return !doc.HasParseError() && doc.IsObject();
}

}  // namespace meross::discovery
