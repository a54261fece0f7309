#pragma once

// The `"key":value` members the web page's JSON endpoints write into their objects.

#include <cstdint>
#include <string_view>

#include "protocol/json_writer.hpp"

namespace meross::web {

inline void text_member(protocol::JsonStringWriter& w, std::string_view key,
                        std::string_view value) {
  w.key(key);
  w.string(value);
}

inline void number_member(protocol::JsonStringWriter& w, std::string_view key,
                          std::uint64_t value) {
  w.key(key);
  w.Uint64(value);
}

}  // namespace meross::web
