#pragma once

// Text as people and devices type it, shared by the layers that read it (mapping's commands,
// pairing's HTTP answers).

#include <cctype>
#include <string_view>

namespace meross::protocol {

// `text` without the white space around it.
inline std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

}  // namespace meross::protocol
