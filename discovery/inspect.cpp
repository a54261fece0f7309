#include "discovery/inspect.hpp"

#include <cctype>

#include <rapidjson/document.h>

#include "mapping/mapping.hpp"
#include "protocol/trace.hpp"

namespace meross::discovery {
namespace {

using protocol::DeviceProfile;
using protocol::Error;
using protocol::JsonValue;
using protocol::Result;

bool is_hex_uuid(std::string_view uuid) {
  if (uuid.size() != 32) return false;
  for (char c : uuid) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool is_mac(std::string_view mac) {
  if (mac.size() != 17) return false;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i % 3 == 2 ? mac[i] != ':' : !std::isxdigit(static_cast<unsigned char>(mac[i])))
      return false;
  }
  return true;
}

void fix_identity(DeviceProfile& p, std::string_view file_uuid) {
  if (!is_hex_uuid(p.uuid) && is_hex_uuid(file_uuid)) p.uuid = std::string(file_uuid);
  if (!is_mac(p.mac) && is_hex_uuid(p.uuid)) {
    const std::string tail = p.uuid.substr(20);
    bool hex = true;
    for (char c : tail)
      hex = hex && std::isxdigit(static_cast<unsigned char>(c));
    if (hex) {
      std::string mac;
      for (std::size_t i = 0; i < tail.size(); i += 2) {
        if (!mac.empty()) mac += ':';
        mac += tail.substr(i, 2);
      }
      p.mac = mac;
    }
  }
}

Result<DeviceProfile> profile_from_documents(const JsonValue& all, const JsonValue* ability) {
  auto profile = protocol::profile_from_system_all(all);
  if (!profile) return profile.error();
  if (ability) {
    if (auto error = protocol::apply_abilities(*profile, *ability)) return *error;
  }
  return profile;
}

Result<DeviceProfile> profile_from_json(const rapidjson::Document& doc) {
  const JsonValue* root = &doc;
  if (const JsonValue* payload = protocol::find_member(doc, "payload");
      payload && payload->IsObject() && protocol::find_member(*payload, "all")) {
    root = payload;
  }
  const JsonValue* all = protocol::find_member(*root, "all");
  if (!all) return Error{"all", "no System.All document (\"all\") in the file"};
  return profile_from_documents(*all, protocol::find_member(*root, "ability"));
}

}  // namespace

Result<DeviceProfile> profile_from_file(std::string_view file_name, std::string_view text) {
  std::string_view base = file_name;
  if (const auto slash = base.find_last_of('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  // Traces nest a dozen levels at most; deeper input would only exhaust the parsers' stack.
  if (!protocol::json_nesting_at_most(text, protocol::kMaxJsonNesting)) {
    return Error{"file", "JSON nested too deeply"};
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  const bool json = !doc.HasParseError() && doc.IsObject();
  if (json && !protocol::find_member(doc, "data")) {
    auto profile = profile_from_json(doc);
    if (profile) fix_identity(*profile, "");
    return profile;
  }
  auto trace = protocol::parse_trace(base, text);
  if (!trace) return trace.error();
  rapidjson::Document all, ability;
  all.Parse(trace->all_json.c_str());
  if (all.HasParseError()) return Error{"all", "the trace has no System.All document"};
  ability.Parse(trace->ability_json.c_str());
  auto profile = profile_from_documents(all, ability.HasParseError() ? nullptr : &ability);
  if (!profile) return profile.error();
  fix_identity(*profile, trace->uuid);
  return profile;
}

Result<InspectOutput> inspect(std::string_view file_name, std::string_view text,
                              const Options& options) {
  auto profile = profile_from_file(file_name, text);
  if (!profile) return profile.error();
  InspectOutput out;
  const auto entities = mapping::entities_for(*profile);
  for (const auto& publication : device_config(*profile, entities, options)) {
    out.lines.push_back(publication.topic + " " + publication.payload);
  }
  out.unmapped = mapping::unmapped_abilities(*profile);
  return out;
}

}  // namespace meross::discovery
