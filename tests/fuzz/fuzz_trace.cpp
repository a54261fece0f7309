// libFuzzer target: the trace reader, in both of its formats.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)meross::protocol::parse_trace("U0123456789abcdef0123456789abcdef-Kkey-x.csv", text);
  (void)meross::protocol::parse_trace("U0123456789abcdef0123456789abcdef-Kkey-x.json.txt", text);
  return 0;
}
