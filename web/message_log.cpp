#include "web/message_log.hpp"

#include <algorithm>
#include <array>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bridge/config.hpp"
#include "protocol/json.hpp"
#include "protocol/namespaces.hpp"

namespace meross::web {
namespace {

constexpr std::array<std::string_view, 6> kSecretNames = {"sign",   "key",   "password",
                                                          "userId", "token", "ssid"};
constexpr std::string_view kMask = "***";

bool secret_name(std::string_view name) {
  return std::find(kSecretNames.begin(), kSecretNames.end(), name) != kSecretNames.end();
}

// Objects and arrays are walked (a `key` object holds the gateway too); any other value under a
// secret name is replaced. The depth is bounded by json_nesting_at_most() before the parse.
void mask(rapidjson::Value& value, rapidjson::Document::AllocatorType& allocator) {
  if (value.IsArray()) {
    for (auto& item : value.GetArray())
      mask(item, allocator);
  } else if (value.IsObject()) {
    for (auto& member : value.GetObject()) {
      const std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (member.value.IsObject() || member.value.IsArray()) {
        mask(member.value, allocator);
      } else if (secret_name(name)) {
        member.value.SetString(kMask.data(), static_cast<rapidjson::SizeType>(kMask.size()),
                               allocator);
      }
    }
  }
}

std::string member_string(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "?";
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "?";
  return std::string(it->value.GetString(), std::min<std::size_t>(it->value.GetStringLength(), 64));
}

// Cut at `max` bytes, not inside a UTF-8 sequence.
std::string cut(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  text.resize(end);
  return text + "…";
}

// "/appliance/<uuid>/publish" → "<uuid>" in lower case; "" otherwise.
std::string uuid_of(std::string_view topic) {
  constexpr std::string_view kPrefix = "/appliance/";
  if (!topic.starts_with(kPrefix)) return {};
  topic.remove_prefix(kPrefix.size());
  const auto slash = topic.find('/');
  if (slash == std::string_view::npos || slash > 64) return {};
  return bridge::lower_uuid(topic.substr(0, slash));
}

}  // namespace

MessageEntry mask_message(std::string_view json) {
  MessageEntry entry;
  entry.method = "?";
  entry.ns = "?";
  rapidjson::Document doc;
  if (protocol::json_nesting_at_most(json)) doc.Parse(json.data(), json.size());
  if (!protocol::json_nesting_at_most(json) || doc.HasParseError() || !doc.IsObject() ||
      !doc.HasMember("header") || !doc.HasMember("payload")) {
    entry.payload = "(not a Meross message: " + std::to_string(json.size()) + " bytes)";
    return entry;
  }
  entry.method = member_string(doc["header"], "method");
  entry.ns = member_string(doc["header"], "namespace");
  if (entry.ns == protocol::ns::kConfigInfo) {
    entry.payload = "(hidden: it holds setup codes)";
    return entry;
  }
  auto& payload = doc["payload"];
  mask(payload, doc.GetAllocator());
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  payload.Accept(writer);
  entry.payload = cut(std::string(out.GetString(), out.GetSize()), kMaxPayloadBytes);
  return entry;
}

void MessageLog::watch(const std::vector<std::string>& uuids) {
  // Called on every turn of the daemon's loop: nothing to do most of the time.
  if (uuids.size() == rings_.size() &&
      std::all_of(uuids.begin(), uuids.end(), [this](const auto& u) { return watched(u); })) {
    return;
  }
  std::map<std::string, std::deque<MessageEntry>, std::less<>> kept;
  for (const auto& uuid : uuids) {
    if (kept.size() >= kMaxWatched) break;
    auto it = rings_.find(uuid);
    kept[uuid] = it == rings_.end() ? std::deque<MessageEntry>{} : std::move(it->second);
  }
  rings_.swap(kept);
}

void MessageLog::record(bool outgoing, std::string_view topic, std::string_view payload,
                        std::int64_t time_ms) {
  if (rings_.empty()) return;
  const auto it = rings_.find(uuid_of(topic));
  if (it == rings_.end()) return;
  MessageEntry entry = mask_message(payload);
  entry.time_ms = time_ms;
  entry.outgoing = outgoing;
  auto& ring = it->second;
  if (ring.size() >= kEntriesPerDevice) ring.pop_front();
  ring.push_back(std::move(entry));
}

const std::deque<MessageEntry>& MessageLog::messages(const std::string& uuid) const {
  static const std::deque<MessageEntry> none;
  const auto it = rings_.find(uuid);
  return it == rings_.end() ? none : it->second;
}

}  // namespace meross::web
