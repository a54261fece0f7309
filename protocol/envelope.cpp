#include "protocol/envelope.hpp"

#include <array>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/signing.hpp"

namespace meross::protocol {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 6> kMethodNames{{
    {Method::Get, "GET"},
    {Method::GetAck, "GETACK"},
    {Method::Set, "SET"},
    {Method::SetAck, "SETACK"},
    {Method::Push, "PUSH"},
    {Method::Error, "ERROR"},
}};

Error field_error(std::string field, std::string_view expected, const JsonValue* got) {
  std::string message = "expected " + std::string(expected);
  message += got ? ", got " + std::string(type_name(*got)) : ", but it is missing";
  return Error{std::move(field), std::move(message)};
}

// The header members parse_message reads, found in one pass over the header; the first of
// duplicate names counts, as with find_member.
struct HeaderFields {
  const JsonValue* message_id = nullptr;
  const JsonValue* ns = nullptr;
  const JsonValue* method = nullptr;
  const JsonValue* from = nullptr;
  const JsonValue* uuid = nullptr;
  const JsonValue* trigger_src = nullptr;
  const JsonValue* sign = nullptr;
  const JsonValue* timestamp = nullptr;
  const JsonValue* timestamp_ms = nullptr;
  const JsonValue* payload_version = nullptr;
};

HeaderFields header_fields(const JsonValue& header) {
  HeaderFields f;
  const std::pair<std::string_view, const JsonValue * HeaderFields::*> names[] = {
      {"messageId", &HeaderFields::message_id},
      {"namespace", &HeaderFields::ns},
      {"method", &HeaderFields::method},
      {"from", &HeaderFields::from},
      {"uuid", &HeaderFields::uuid},
      {"triggerSrc", &HeaderFields::trigger_src},
      {"sign", &HeaderFields::sign},
      {"timestamp", &HeaderFields::timestamp},
      {"timestampMs", &HeaderFields::timestamp_ms},
      {"payloadVersion", &HeaderFields::payload_version}};
  for (const auto& m : header.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    for (const auto& [known, field] : names) {
      if (name == known) {
        if (!(f.*field)) f.*field = &m.value;
        break;
      }
    }
  }
  return f;
}

// Reads a required string header field.
template <class Out>
std::optional<Error> read_string(const JsonValue* value, std::string_view name, Out& out) {
  if (!value || !value->IsString())
    return field_error("header." + std::string(name), "a string", value);
  out = std::string_view(value->GetString(), value->GetStringLength());
  return std::nullopt;
}

// Reads an optional string header field; present but not a string is an error.
std::optional<Error> read_optional_string(const JsonValue* value, std::string_view name,
                                          std::string& out) {
  if (!value || value->IsNull()) return std::nullopt;
  if (!value->IsString()) return field_error("header." + std::string(name), "a string", value);
  out.assign(value->GetString(), value->GetStringLength());
  return std::nullopt;
}

void write_header(rapidjson::Writer<rapidjson::StringBuffer>& w, const Header& h) {
  const auto string_member = [&w](const char* key, std::string_view s) {
    w.Key(key);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  // uuid and triggerSrc are left out when empty.
  const auto optional_string_member = [&](const char* key, std::string_view s) {
    if (!s.empty()) string_member(key, s);
  };
  w.Key("header");
  w.StartObject();
  string_member("messageId", h.message_id);
  string_member("namespace", h.ns);
  string_member("method", to_string(h.method));
  w.Key("payloadVersion");
  w.Int(h.payload_version);
  string_member("from", h.from);
  optional_string_member("uuid", h.uuid);
  w.Key("timestamp");
  w.Int64(h.timestamp);
  w.Key("timestampMs");
  w.Int64(h.timestamp_ms);
  string_member("sign", h.sign);
  optional_string_member("triggerSrc", h.trigger_src);
  w.EndObject();
}

}  // namespace

std::string_view to_string(Method method) {
  for (const auto& [m, name] : kMethodNames) {
    if (m == method) return name;
  }
  return "?";
}

std::optional<Method> method_from_string(std::string_view text) {
  for (const auto& [m, name] : kMethodNames) {
    if (name == text) return m;
  }
  return std::nullopt;
}

Method ack_of(Method request) {
  switch (request) {
    case Method::Get:
      return Method::GetAck;
    case Method::Set:
      return Method::SetAck;
    default:
      return request;
  }
}

bool is_ack(Method method) {
  return method == Method::GetAck || method == Method::SetAck;
}

const JsonValue& Message::payload() const {
  static const JsonValue kEmpty(rapidjson::kObjectType);
  return payload_ ? *payload_ : kEmpty;
}

std::string_view Message::payload_key() const {
  const JsonValue& p = payload();
  if (p.MemberCount() == 0) return {};
  const auto& name = p.MemberBegin()->name;
  return {name.GetString(), name.GetStringLength()};
}

Result<Message> parse_message(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return Error{"", "message of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                         std::to_string(max_bytes)};
  }
  JsonDocument document = JsonDocument::parse(bytes, kMaxJsonNesting);
  if (document.status() == JsonDocument::Status::TooDeep) {
    return Error{"", "JSON nested deeper than " + std::to_string(kMaxJsonNesting) + " levels"};
  }
  if (!document.ok()) {
    return Error{"", std::string("malformed JSON at offset ") +
                         std::to_string(document.error_offset()) + ": " +
                         rapidjson::GetParseError_En(document.error_code())};
  }
  const JsonValue& doc = document.root();
  if (!doc.IsObject()) return field_error("", "a JSON object", &doc);

  const JsonValue* header = find_member(doc, "header");
  if (!header || !header->IsObject()) return field_error("header", "an object", header);
  const JsonValue* payload = find_member(doc, "payload");
  if (!payload || !payload->IsObject()) return field_error("payload", "an object", payload);

  const HeaderFields f = header_fields(*header);
  Message message;
  Header& h = message.header;
  if (auto e = read_string(f.message_id, "messageId", h.message_id)) return *e;
  if (auto e = read_string(f.ns, "namespace", h.ns)) return *e;
  if (h.ns.empty()) return Error{"header.namespace", "expected a non-empty string"};

  std::string_view method_text;
  if (auto e = read_string(f.method, "method", method_text)) return *e;
  const auto method = method_from_string(method_text);
  if (!method) {
    return Error{"header.method",
                 "expected one of GET, GETACK, SET, SETACK, PUSH, ERROR, got an unknown method"};
  }
  h.method = *method;

  // `from` is the reply address; devices always send it, but a missing one only means "do not
  // answer", so it is optional here and the caller decides.
  if (auto e = read_optional_string(f.from, "from", h.from)) return *e;
  if (auto e = read_optional_string(f.uuid, "uuid", h.uuid)) return *e;
  if (auto e = read_optional_string(f.trigger_src, "triggerSrc", h.trigger_src)) return *e;
  if (auto e = read_optional_string(f.sign, "sign", h.sign)) return *e;

  const auto ts = f.timestamp ? to_int(*f.timestamp) : std::nullopt;
  if (!ts || *ts < 0) {
    return field_error("header.timestamp", "a non-negative integer (or decimal string)",
                       f.timestamp);
  }
  h.timestamp = *ts;

  if (f.timestamp_ms) {
    const auto value = to_int(*f.timestamp_ms);
    if (!value) return field_error("header.timestampMs", "an integer", f.timestamp_ms);
    h.timestamp_ms = *value;
  }
  if (f.payload_version) {
    const auto value = to_int(*f.payload_version);
    if (!value) return field_error("header.payloadVersion", "an integer", f.payload_version);
    h.payload_version = static_cast<int>(*value);
  }
  message.payload_ = payload;
  message.document_ = std::move(document);
  return message;
}

std::string device_uuid_of(const Header& header) {
  if (!header.uuid.empty()) return header.uuid;
  constexpr std::string_view kPrefix = "/appliance/";
  std::string_view from = header.from;
  if (from.substr(0, kPrefix.size()) != kPrefix) return {};
  from.remove_prefix(kPrefix.size());
  const auto slash = from.find('/');
  return std::string(from.substr(0, slash));
}

Header make_request_header(Method method, std::string_view ns, std::string_view from,
                           std::string_view key, std::int64_t now, std::string message_id) {
  Header h;
  h.message_id = message_id.empty() ? new_message_id() : std::move(message_id);
  h.ns = ns;
  h.method = method;
  h.from = from;
  h.timestamp = now;
  h.sign = compute_sign(h.message_id, key, now);
  return h;
}

Header make_ack_header(const Header& request, std::string_view key, std::int64_t now,
                       std::string_view from) {
  Header h;
  h.message_id = request.message_id;
  h.ns = request.ns;
  h.method = ack_of(request.method);
  h.from = from;
  h.timestamp = now;
  h.sign = compute_sign(h.message_id, key, now);
  h.trigger_src = "CloudControl";
  return h;
}

Header make_push_reply_header(const Header& device_header) {
  Header h = device_header;
  h.method = Method::Push;
  h.uuid.clear();
  h.trigger_src = "CloudControl";
  return h;
}

std::string serialize(const Header& header, std::string_view payload_json) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  write_header(w, header);
  w.Key("payload");
  if (payload_json.empty()) {
    w.StartObject();
    w.EndObject();
  } else {
    w.RawValue(payload_json.data(), payload_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string serialize(const Header& header, const JsonValue& payload) {
  return serialize(header, to_json(payload));
}

}  // namespace meross::protocol
