// libFuzzer target: the envelope parser, and the serializer on whatever it accepts.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"

using namespace meross::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto message = parse_message(bytes);
  if (!message) {
    if (message.error().message.empty()) std::abort();  // every error must say something
    return 0;
  }
  (void)message->payload_key();
  (void)device_uuid_of(message->header);
  // What we accept we can write back, and what we write parses to the same header and payload
  // keys. (Doubles may move in their last digit: RapidJSON's default parser is not correctly
  // rounded, and Meross sends only integers.)
  const std::string again = serialize(message->header, message->payload());
  auto reparsed = parse_message(again, again.size() + 1);
  if (!reparsed || reparsed->header.message_id != message->header.message_id ||
      reparsed->header.ns != message->header.ns ||
      reparsed->header.timestamp != message->header.timestamp ||
      reparsed->payload().MemberCount() != message->payload().MemberCount() ||
      reparsed->payload_key() != message->payload_key()) {
    std::abort();
  }
  (void)make_ack_header(message->header, "key", 1, "/f");
  (void)make_push_reply_header(message->header);
  return 0;
}
