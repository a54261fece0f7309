#pragma once

// The Meross message envelope {"header":{...},"payload":{...}} (meross-protocol.md §1).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/json.hpp"
#include "protocol/json_document.hpp"
#include "protocol/result.hpp"

namespace meross::protocol {

enum class Method { Get, GetAck, Set, SetAck, Push, Error };

std::string_view to_string(Method method);
std::optional<Method> method_from_string(std::string_view text);
// GET → GETACK, SET → SETACK; every other method answers with itself.
Method ack_of(Method request);
bool is_ack(Method method);

struct Header {
  std::string message_id;
  std::string ns;  // "namespace" is a keyword
  Method method = Method::Get;
  int payload_version = 1;
  std::string from;
  std::int64_t timestamp = 0;
  std::int64_t timestamp_ms = 0;
  std::string sign;
  std::string uuid;         // optional; newer firmware adds it
  std::string trigger_src;  // optional; free text
};

// A parsed message. Owns the parsed document so that `payload()` needs no copy.
class Message {
 public:
  Header header;

  // The payload object (an empty object for a default-constructed Message).
  const JsonValue& payload() const;
  // The first key of the payload ("togglex", "electricity"), or "" for an empty payload.
  std::string_view payload_key() const;

 private:
  friend Result<Message> parse_message(std::string_view, std::size_t);
  JsonDocument document_;  // parsed in place; moving it keeps `payload_` valid
  const JsonValue* payload_ = nullptr;
};

// Default cap on one message; real devices send a few KB at most.
inline constexpr std::size_t kDefaultMaxMessageBytes = 64 * 1024;

// Parses one message with strict checks on the header: every error names the field and what was
// expected. `timestamp` may be a decimal string (seen in the field); `payload` must be an object.
Result<Message> parse_message(std::string_view bytes,
                              std::size_t max_bytes = kDefaultMaxMessageBytes);

// The uuid a device message comes from: header.uuid, else the `<uuid>` of a
// `/appliance/<uuid>/...` topic in `from`; "" if neither.
std::string device_uuid_of(const Header& header);

// --- Building messages -------------------------------------------------------------------

// A signed request header: new message id, `timestamp` = now, sign computed with `key`.
Header make_request_header(Method method, std::string_view ns, std::string_view from,
                           std::string_view key, std::int64_t now, std::string message_id = {});

// An ACK to `request` (§1.5 pattern 1): same messageId and namespace, ACK method, fresh
// timestamp, signed with `key`, `from` = our topic, triggerSrc CloudControl.
Header make_ack_header(const Header& request, std::string_view key, std::int64_t now,
                       std::string_view from);

// A reply to a device PUSH (§1.5 pattern 2): the device header replayed verbatim, uuid dropped,
// triggerSrc CloudControl. Used for System.Clock and ConsumptionConfig.
Header make_push_reply_header(const Header& device_header);

// Serializes header + payload. `payload_json` must be a JSON object text (it is embedded as is).
std::string serialize(const Header& header, std::string_view payload_json);
std::string serialize(const Header& header, const JsonValue& payload);

}  // namespace meross::protocol
