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

// The object holding "all" and "ability" in a JSON description: its "payload" when that has
// "all", else the description itself.
const JsonValue& description_root(const rapidjson::Document& doc) {
  if (const JsonValue* payload = protocol::find_member(doc, "payload");
      payload && payload->IsObject() && protocol::find_member(*payload, "all")) {
    return *payload;
  }
  return doc;
}

// The System.All object ({"system":..,"digest":..}) of a JSON description.
const JsonValue* all_of(const rapidjson::Document& doc) {
  return protocol::find_member(description_root(doc), "all");
}

const JsonValue* ability_of(const rapidjson::Document& doc) {
  return protocol::find_member(description_root(doc), "ability");
}

// What System.All teaches beyond the profile (a hub's sub-devices, the digest's states).
void learn_state(InspectedDevice& device, const JsonValue& all) {
  // A digest the mapping cannot read leaves the state empty: the profile alone still describes
  // the device (inspect shows what the bridge would announce before its first state).
  (void)mapping::states_from(device.profile, device.state, "Appliance.System.All",
                             protocol::Method::GetAck, all, mapping::Context{});
}

}  // namespace

Result<InspectedDevice> device_from_file(std::string_view file_name, std::string_view text) {
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
    const JsonValue* all = all_of(doc);
    if (!all) return Error{"all", "no System.All document (\"all\") in the file"};
    auto profile = profile_from_documents(*all, ability_of(doc));
    if (!profile) return profile.error();
    InspectedDevice device{std::move(*profile), {}};
    fix_identity(device.profile, "");
    learn_state(device, *all);
    return device;
  }
  auto trace = protocol::parse_trace(base, text);
  if (!trace) return trace.error();
  rapidjson::Document all, ability;
  all.Parse(trace->all_json.c_str());
  if (all.HasParseError()) return Error{"all", "the trace has no System.All document"};
  ability.Parse(trace->ability_json.c_str());
  auto profile = profile_from_documents(all, ability.HasParseError() ? nullptr : &ability);
  if (!profile) return profile.error();
  InspectedDevice device{std::move(*profile), {}};
  fix_identity(device.profile, trace->uuid);
  learn_state(device, all);
  return device;
}

Result<DeviceProfile> profile_from_file(std::string_view file_name, std::string_view text) {
  auto device = device_from_file(file_name, text);
  if (!device) return device.error();
  return std::move(device->profile);
}

Result<InspectOutput> inspect(std::string_view file_name, std::string_view text,
                              const Options& options) {
  auto device = device_from_file(file_name, text);
  if (!device) return device.error();
  InspectOutput out;
  const auto entities = mapping::entities_for(device->profile, device->state);
  for (const auto& publication :
       device_config(device->profile, entities, options, {}, device->state.sub_devices)) {
    out.lines.push_back(publication.topic + " " + publication.payload);
  }
  out.unmapped = mapping::unmapped_abilities(device->profile);
  return out;
}

}  // namespace meross::discovery
