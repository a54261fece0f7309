#include "protocol/device_profile.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace meross::protocol {
namespace {

const JsonValue& unwrap(const JsonValue& payload, std::string_view key) {
  const JsonValue* inner = find_member(payload, key);
  return (inner && inner->IsObject()) ? *inner : payload;
}

// Copies an optional string member into `out`; wrong type is an Error.
std::optional<Error> read_string(const JsonValue& object, std::string_view path,
                                 std::string_view name, std::string& out) {
  const JsonValue* value = find_member(object, name);
  if (!value || value->IsNull()) return std::nullopt;
  if (!value->IsString()) {
    return Error{std::string(path) + "." + std::string(name),
                 "expected a string, got " + std::string(type_name(*value))};
  }
  out.assign(value->GetString(), value->GetStringLength());
  return std::nullopt;
}

void add_channel(std::vector<int>& channels, const JsonValue& item) {
  const auto channel = int_member(item, "channel");
  if (!channel || is_all_channels(*channel) || *channel < 0) return;
  const int c = static_cast<int>(*channel);
  if (std::find(channels.begin(), channels.end(), c) == channels.end()) channels.push_back(c);
}

std::vector<int> channels_of(const JsonValue* section) {
  std::vector<int> channels;
  if (section)
    for_each_object(*section, [&](const JsonValue& item) { add_channel(channels, item); });
  std::sort(channels.begin(), channels.end());
  return channels;
}

// Reads system.hardware / firmware / time, shared by System.All and Bind.
std::optional<Error> read_identity(DeviceProfile& p, const JsonValue& system,
                                   std::string_view path) {
  const JsonValue* hardware = find_member(system, "hardware");
  if (!hardware || !hardware->IsObject()) {
    return Error{std::string(path) + ".hardware",
                 hardware ? "expected an object, got " + std::string(type_name(*hardware))
                          : "expected an object, but it is missing"};
  }
  const std::string hw_path = std::string(path) + ".hardware";
  const JsonValue* type = find_member(*hardware, "type");
  if (!type || !type->IsString() || type->GetStringLength() == 0) {
    return Error{hw_path + ".type", "expected a non-empty string"};
  }
  for (auto [name, out] : {std::pair<std::string_view, std::string*>{"type", &p.type},
                           {"subType", &p.sub_type},
                           {"version", &p.hardware_version},
                           {"chipType", &p.chip_type},
                           {"uuid", &p.uuid},
                           {"macAddress", &p.mac}}) {
    if (auto e = read_string(*hardware, hw_path, name, *out)) return e;
  }

  if (const JsonValue* firmware = find_member(system, "firmware")) {
    const std::string fw_path = std::string(path) + ".firmware";
    if (!firmware->IsObject()) return Error{fw_path, "expected an object"};
    for (auto [name, out] :
         {std::pair<std::string_view, std::string*>{"version", &p.firmware_version},
          {"innerIp", &p.inner_ip},
          {"server", &p.server}}) {
      if (auto e = read_string(*firmware, fw_path, name, *out)) return e;
    }
    p.port = int_member(*firmware, "port");
    p.user_id = int_member(*firmware, "userId");
  }

  if (const JsonValue* time = find_member(system, "time"); time && time->IsObject()) {
    if (auto e = read_string(*time, std::string(path) + ".time", "timezone", p.timezone)) return e;
    if (const JsonValue* rules = find_member(*time, "timeRule")) {
      auto parsed = parse_time_rules(*rules);
      if (!parsed) {
        return Error{std::string(path) + ".time." + parsed.error().field, parsed.error().message};
      }
      p.time_rules = std::move(parsed.value());
    }
  }
  return std::nullopt;
}

// int_member(<text parsed as Document::Parse parses it>, key), without building the document:
// the first member `key` of the top-level object, read by to_int from the same value the
// document would hold; nullopt when the text does not parse or is no object. Asked for every
// light state (the light capacity), so it is worth the few lines.
class TopLevelInt {
 public:
  explicit TopLevelInt(std::string_view key) : key_(key) {}

  std::optional<std::int64_t> value() const { return root_is_object_ ? value_ : std::nullopt; }

  bool Null() { return scalar(JsonValue()); }
  bool Bool(bool b) { return scalar(JsonValue(b)); }
  bool Int(int i) { return scalar(JsonValue(i)); }
  bool Uint(unsigned u) { return scalar(JsonValue(u)); }
  bool Int64(std::int64_t i) { return scalar(JsonValue(i)); }
  bool Uint64(std::uint64_t u) { return scalar(JsonValue(u)); }
  bool Double(double d) { return scalar(JsonValue(d)); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return scalar(JsonValue()); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar(JsonValue(s, n)); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    wanted_ = depth_ == 1 && !found_ && std::string_view(s, n) == key_;
    return true;
  }
  bool StartObject() {
    if (depth_ == 0) root_is_object_ = true;
    return open();
  }
  bool StartArray() { return open(); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  bool scalar(const JsonValue& v) {
    if (take()) value_ = to_int(v);
    return true;
  }
  bool open() {
    take();  // an object or array as the value: no integer
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  // Whether this value is the one asked for (then it is the only one).
  bool take() {
    if (!wanted_) return false;
    wanted_ = false;
    found_ = true;
    return true;
  }

  std::string_view key_;
  int depth_ = 0;
  bool root_is_object_ = false;
  bool wanted_ = false;
  bool found_ = false;
  std::optional<std::int64_t> value_;
};

}  // namespace

std::optional<std::int64_t> DeviceProfile::ability_param(std::string_view ns,
                                                         std::string_view key) const {
  const auto it = abilities.find(ns);
  if (it == abilities.end()) return std::nullopt;
  // Read as Document::Parse(text, size) reads; the reader's string stack on the C++ stack.
  using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
  alignas(8) char buffer[512];
  Pool pool(buffer, sizeof buffer, 4096);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, Pool> reader(&pool, 256);
  rapidjson::MemoryStream bytes(it->second.data(), it->second.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(bytes);
  TopLevelInt handler(key);
  if (reader.Parse<rapidjson::kParseDefaultFlags>(stream, handler).IsError()) return std::nullopt;
  return handler.value();
}

const std::set<std::string, std::less<>>& DeviceProfile::digest_sections() const {
  static const DigestLayout kNone;
  return digest ? digest->sections : kNone.sections;
}

const std::map<std::string, std::vector<int>, std::less<>>& DeviceProfile::digest_channels() const {
  static const DigestLayout kNone;
  return digest ? digest->channels : kNone.channels;
}

void DeviceProfile::set_channels(std::string_view section, std::vector<int> channels) {
  DigestLayout layout = digest ? *digest : DigestLayout{};
  if (channels.empty()) {
    layout.channels.erase(std::string(section));
  } else {
    layout.channels[std::string(section)] = std::move(channels);
  }
  digest = std::make_shared<const DigestLayout>(std::move(layout));
}

const std::vector<int>& DeviceProfile::channels_in(std::string_view section) const {
  static const std::vector<int> kNone;
  const auto& channels = digest_channels();
  const auto it = channels.find(section);
  return it == channels.end() ? kNone : it->second;
}

Result<DeviceProfile> profile_from_system_all(const JsonValue& payload) {
  if (!payload.IsObject()) return Error{"all", "expected an object"};
  const JsonValue& all = unwrap(payload, "all");
  const JsonValue* system = find_member(all, "system");
  if (!system || !system->IsObject()) return Error{"all.system", "expected an object"};

  DeviceProfile p;
  if (auto e = read_identity(p, *system, "all.system")) return *e;

  const JsonValue* digest = find_member(all, "digest");
  const JsonValue* control = find_member(all, "control");
  if ((!digest || !digest->IsObject()) && control && control->IsObject()) {
    p.legacy_layout = true;
    digest = control;
  }
  if (digest && digest->IsObject()) {
    DigestLayout layout;
    for (const auto& member : digest->GetObject()) {
      layout.sections.emplace(member.name.GetString(), member.name.GetStringLength());
    }
    // Legacy firmware (all.control) names no channels: one relay, channel 0.
    if (!p.legacy_layout) {
      for (const auto& member : digest->GetObject()) {
        auto channels = channels_of(&member.value);
        if (!channels.empty()) {
          layout.channels.emplace(
              std::string(member.name.GetString(), member.name.GetStringLength()),
              std::move(channels));
        }
      }
    }
    p.digest = std::make_shared<const DigestLayout>(std::move(layout));
  }
  return p;
}

Result<DeviceProfile> profile_from_bind(const JsonValue& payload) {
  if (!payload.IsObject()) return Error{"bind", "expected an object"};
  const JsonValue& bind = unwrap(payload, "bind");
  DeviceProfile p;
  if (auto e = read_identity(p, bind, "bind")) return *e;
  return p;
}

std::optional<Error> apply_abilities(DeviceProfile& profile, const JsonValue& payload) {
  if (!payload.IsObject()) return Error{"ability", "expected an object"};
  const JsonValue& ability = unwrap(payload, "ability");
  AbilityMap abilities = profile.abilities.map();
  for (const auto& member : ability.GetObject()) {
    std::string ns(member.name.GetString(), member.name.GetStringLength());
    if (ns.rfind("Appliance.", 0) != 0) continue;  // "payloadVersion" and other non-namespaces
    abilities[std::move(ns)] = member.value.IsObject() ? to_json(member.value) : "{}";
  }
  profile.abilities = Abilities(std::move(abilities));
  return std::nullopt;
}

}  // namespace meross::protocol
