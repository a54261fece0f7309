#include "protocol/json.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace meross::protocol {

const JsonValue* find_member(const JsonValue& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(
      JsonValue(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::int64_t> to_int(const JsonValue& value) {
  if (value.IsInt64()) return value.GetInt64();
  if (value.IsUint64()) {
    const auto u = value.GetUint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (value.IsDouble()) {
    const double d = value.GetDouble();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18) {
      return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
  }
  if (value.IsString()) {
    const std::string_view text(value.GetString(), value.GetStringLength());
    if (text.empty()) return std::nullopt;
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::optional<std::int64_t> int_member(const JsonValue& object, std::string_view name) {
  const JsonValue* member = find_member(object, name);
  return member ? to_int(*member) : std::nullopt;
}

std::optional<std::string_view> string_member(const JsonValue& object, std::string_view name) {
  const JsonValue* member = find_member(object, name);
  if (!member || !member->IsString()) return std::nullopt;
  return std::string_view(member->GetString(), member->GetStringLength());
}

std::string_view type_name(const JsonValue& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return value.IsDouble() ? "number" : "integer";
  }
  return "unknown";
}

bool json_nesting_at_most(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

std::string to_json(const JsonValue& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace meross::protocol
