#pragma once

// The wall clock as Meross messages carry it: since the Unix epoch, in seconds (a message
// header's timestamp) or in milliseconds (the cloud API's requests).

#include <chrono>
#include <cstdint>

namespace meross::pairing {

inline std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace meross::pairing
