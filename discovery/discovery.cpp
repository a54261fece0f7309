#include "discovery/discovery.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <tuple>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "discovery/keys.hpp"
#include "discovery/topics.hpp"
#include "protocol/json_writer.hpp"

namespace meross::discovery {
namespace {

// Writes into the std::string it hands back: no StringBuffer, no copy of a document of a few KiB.
using Writer = protocol::JsonStringWriter;
using mapping::Category;
using mapping::Entity;

void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void field(Writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}

bool valid_mac(std::string_view mac) {
  if (mac.size() != 17) return false;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const bool colon = i % 3 == 2;
    if (colon ? mac[i] != ':' : !std::isxdigit(static_cast<unsigned char>(mac[i]))) return false;
  }
  return true;
}

bool valid_ipv4(std::string_view ip) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= ip.size()) {
    const auto end = std::min(ip.find('.', start), ip.size());
    const auto part = ip.substr(start, end - start);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upper(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}

// `text` as the inside of a JSON string literal.
std::string json_escaped(std::string_view text) {
  Writer w(text.size() + 8);
  str(w, text);
  const std::string quoted = w.take();
  return quoted.substr(1, quoted.size() - 2);
}

void write_origin(Writer& w, const Options& o) {
  key(w, "origin");
  w.StartObject();
  field(w, "name", o.origin_name);
  if (!o.origin_version.empty()) field(w, "sw_version", o.origin_version);
  if (!o.support_url.empty()) field(w, "support_url", o.support_url);
  w.EndObject();
}

void write_device(Writer& w, const protocol::DeviceProfile& p, const Options& o,
                  std::string_view name) {
  key(w, "device");
  w.StartObject();
  key(w, "identifiers");
  w.StartArray();
  str(w, node_id(p.uuid));
  w.EndArray();
  if (valid_mac(p.mac)) {
    key(w, "connections");
    w.StartArray();
    w.StartArray();
    str(w, "mac");
    str(w, lower(p.mac));
    w.EndArray();
    w.EndArray();
  }
  field(w, "name", name);
  field(w, "manufacturer", "Meross");
  field(w, "model", upper(p.type));
  field(w, "model_id", p.type);
  if (!p.firmware_version.empty()) field(w, "sw_version", p.firmware_version);
  if (!p.hardware_version.empty()) field(w, "hw_version", p.hardware_version);
  if (valid_ipv4(p.inner_ip)) field(w, "configuration_url", "http://" + p.inner_ip + "/");
  field(w, "via_device", o.bridge_id);
  w.EndObject();
}

void write_availability(Writer& w, const std::vector<std::string>& topics) {
  key(w, "availability");
  w.StartArray();
  for (const auto& t : topics) {
    w.StartObject();
    field(w, "topic", t);
    w.EndObject();
  }
  w.EndArray();
  if (topics.size() > 1) field(w, "availability_mode", "all");
}

// The topic of another key of the same device: (key, is_command) → topic.
using KeyedTopic = std::function<std::string(std::string_view, bool)>;

// Replaces {state_topic:KEY} and {command_topic:KEY} (mapping::Entity::options).
void substitute_keyed_topics(std::string& text, const KeyedTopic& topic_of) {
  for (const auto& [marker, command] :
       {std::pair<std::string_view, bool>{"{state_topic:", false}, {"{command_topic:", true}}) {
    for (auto pos = text.find(marker); pos != std::string::npos; pos = text.find(marker, pos)) {
      const auto end = text.find('}', pos + marker.size());
      if (end == std::string::npos) break;
      const std::string topic = json_escaped(topic_of(
          std::string_view(text).substr(pos + marker.size(), end - pos - marker.size()), command));
      text.replace(pos, end + 1 - pos, topic);
      pos += topic.size();
    }
  }
}

// The entity's own members. `platform` for device discovery components.
void write_entity(Writer& w, const Entity& e, std::string_view unique, std::string_view state,
                  std::string_view command, bool platform, const KeyedTopic& topic_of) {
  if (platform) field(w, "platform", mapping::to_string(e.component));
  key(w, "name");
  if (e.name) {
    str(w, *e.name);
  } else {
    w.Null();
  }
  field(w, "unique_id", unique);
  if (!e.device_class.empty()) field(w, "device_class", e.device_class);
  if (!e.unit.empty()) field(w, "unit_of_measurement", e.unit);
  if (!e.state_class.empty()) field(w, "state_class", e.state_class);
  if (e.category != Category::None) field(w, "entity_category", mapping::to_string(e.category));
  if (e.display_precision) {
    key(w, "suggested_display_precision");
    w.Int(*e.display_precision);
  }
  if (!e.enabled_by_default) {
    key(w, "enabled_by_default");
    w.Bool(false);
  }
  if (e.component != mapping::Component::Climate && e.component != mapping::Component::Button) {
    field(w, "state_topic", state);
  }
  if (e.has_command) field(w, "command_topic", command);
  for (const auto& [name, value] : e.options) {
    // The placeholders sit inside JSON strings: substitute the topics JSON-escaped.
    std::string text = value;
    replace_all(text, "{state_topic}", json_escaped(state));
    replace_all(text, "{command_topic}", json_escaped(command));
    if (topic_of) substitute_keyed_topics(text, topic_of);
    key(w, name);
    w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
  }
}

// Room made up front for a document: a plug's device document is about 3 KiB.
constexpr std::size_t kDeviceDocumentBytes = 4096;
constexpr std::size_t kComponentDocumentBytes = 1024;

// Shared by devices and the bridge: `entities` with their state/command topics.
struct Described {
  const Entity* entity;
  std::string unique;
  std::string state;
  std::string command;
};

std::vector<Publication> render(const std::vector<Described>& items, const Options& o,
                                std::string_view node, const std::vector<std::string>& availability,
                                const std::function<void(Writer&)>& device,
                                const KeyedTopic& topic_of = {}) {
  std::vector<Publication> out;
  if (o.device_discovery) {
    Writer w(kDeviceDocumentBytes);
    w.StartObject();
    device(w);
    write_origin(w, o);
    write_availability(w, availability);
    key(w, "qos");
    w.Int(1);
    key(w, "components");
    w.StartObject();
    for (const auto& d : items) {
      key(w, d.entity->key);
      w.StartObject();
      write_entity(w, *d.entity, d.unique, d.state, d.command, true, topic_of);
      w.EndObject();
    }
    w.EndObject();
    w.EndObject();
    out.push_back({device_config_topic(o.discovery_prefix, node), w.take()});
    return out;
  }
  for (const auto& d : items) {
    Writer w(kComponentDocumentBytes);
    w.StartObject();
    write_entity(w, *d.entity, d.unique, d.state, d.command, false, topic_of);
    device(w);
    write_origin(w, o);
    write_availability(w, availability);
    key(w, "qos");
    w.Int(1);
    w.EndObject();
    out.push_back(
        {component_config_topic(o.discovery_prefix, mapping::to_string(d.entity->component), node,
                                d.entity->key),
         w.take()});
  }
  return out;
}

}  // namespace

std::string node_id(std::string_view uuid) {
  std::string id;
  id.reserve(7 + uuid.size());
  id.append("meross_").append(uuid);
  return sanitize_id(id);
}

std::string sub_device_node_id(std::string_view uuid, std::string_view sub_id) {
  std::string id;
  id.reserve(8 + uuid.size() + sub_id.size());
  id.append("meross_").append(uuid).append("_").append(sub_id);
  return sanitize_id(id);
}

std::string unique_id(std::string_view uuid, std::string_view key) {
  std::string id;
  id.reserve(8 + uuid.size() + key.size());
  id.append("meross_").append(uuid).append("_").append(key);
  return sanitize_id(id);
}

std::string default_device_name(const protocol::DeviceProfile& profile) {
  const std::string tail =
      profile.uuid.size() > 4 ? profile.uuid.substr(profile.uuid.size() - 4) : profile.uuid;
  std::string name = upper(profile.type.empty() ? std::string("Meross") : profile.type);
  if (!tail.empty()) name += " " + tail;
  return name;
}

std::vector<Publication> device_config(const protocol::DeviceProfile& profile,
                                       const std::vector<mapping::Entity>& entities,
                                       const Options& options, std::string_view device_name,
                                       const std::vector<mapping::SubDevice>& sub_devices) {
  const std::string name =
      device_name.empty() ? default_device_name(profile) : std::string(device_name);
  const std::string& base = options.base_topic;
  const KeyedTopic topic_of = [&](std::string_view key, bool command) {
    return command ? command_topic(base, profile.uuid, key) : state_topic(base, profile.uuid, key);
  };
  const auto described = [&](std::string_view sub_device) {
    std::vector<Described> items;
    for (const auto& e : entities) {
      if (e.sub_device != sub_device) continue;
      items.push_back({&e, unique_id(profile.uuid, e.key), state_topic(base, profile.uuid, e.key),
                       command_topic(base, profile.uuid, e.key)});
    }
    return items;
  };
  const std::string hub = node_id(profile.uuid);
  auto out = render(
      described(""), options, hub,
      {bridge_availability_topic(base, options.instance),
       device_availability_topic(base, profile.uuid)},
      [&](Writer& w) { write_device(w, profile, options, name); }, topic_of);
  // Each sub-device of a hub is a device of its own, reached through the hub, available while
  // the bridge, the hub and the sub-device all are.
  for (const auto& sub : sub_devices) {
    const auto items = described(sub.id);
    if (items.empty()) continue;
    const std::string node = sub_device_node_id(profile.uuid, sub.id);
    auto docs = render(
        items, options, node,
        {bridge_availability_topic(base, options.instance),
         device_availability_topic(base, profile.uuid),
         state_topic(base, profile.uuid, mapping::sub_device_availability_key(sub.id))},
        [&](Writer& w) {
          key(w, "device");
          w.StartObject();
          key(w, "identifiers");
          w.StartArray();
          str(w, node);
          w.EndArray();
          field(w, "name", sub.model + " " + sub.id);
          field(w, "manufacturer", "Meross");
          field(w, "model", sub.model);
          field(w, "model_id", sub.type);
          field(w, "via_device", hub);
          w.EndObject();
        },
        topic_of);
    for (auto& d : docs)
      out.push_back(std::move(d));
  }
  return out;
}

std::vector<Publication> bridge_config(const Options& options) {
  std::vector<Entity> entities;
  std::vector<std::tuple<std::string_view, std::string_view, std::string_view>> sensors{
      {kBridgeDevicesOnline, "Devices online", "measurement"},
      {kBridgeMessagesHandled, "Messages handled", "total_increasing"},
      {kBridgeSignatureFailures, "Signature failures", "total_increasing"},
      {kBridgeMalformed, "Malformed messages", "total_increasing"},
      {kBridgeReplays, "Replayed messages", "total_increasing"},
      {kBridgeUnknownNamespaces, "Unknown namespaces", "total_increasing"},
      {kBridgeIgnored, "Ignored messages", "total_increasing"},
      {kBridgeRequestFailures, "Unanswered requests", "total_increasing"},
      {kBridgeUnreadableStates, "Unreadable device states", "total_increasing"},
      {kBridgeRejectedCommands, "Rejected commands", "total_increasing"},
      {kBridgeRefusedDevices, "Refused new devices", "total_increasing"},
      {kBridgeDroppedPublications, "Dropped publications", "total_increasing"}};
  if (!options.instance.empty()) {
    sensors.emplace_back(kBridgeNotOwned, "Messages for other instances", "total_increasing");
  }
  for (auto [k, n, cls] : sensors) {
    Entity e;
    e.key = k;
    e.name = std::string(n);
    e.state_class = cls;
    e.category = Category::Diagnostic;
    e.display_precision = 0;
    entities.push_back(std::move(e));
  }
  {
    // ON while a device signs with another key than the configured one; which, in attributes.
    Entity e;
    e.key = kBridgeKeyMismatch;
    e.component = mapping::Component::BinarySensor;
    e.name = "Device key mismatch";
    e.device_class = "problem";
    e.category = Category::Diagnostic;
    e.options.emplace_back("json_attributes_topic",
                           "\"" +
                               json_escaped(bridge_attributes_topic(
                                   options.base_topic, kBridgeKeyMismatch, options.instance)) +
                               "\"");
    entities.push_back(std::move(e));
  }
  std::vector<Described> items;
  for (const auto& e : entities) {
    items.push_back({&e, sanitize_id(options.bridge_id + "_" + e.key),
                     bridge_state_topic(options.base_topic, e.key, options.instance), ""});
  }
  return render(items, options, options.bridge_id,
                {bridge_availability_topic(options.base_topic, options.instance)}, [&](Writer& w) {
                  key(w, "device");
                  w.StartObject();
                  key(w, "identifiers");
                  w.StartArray();
                  str(w, options.bridge_id);
                  w.EndArray();
                  field(w, "name", options.bridge_name);
                  field(w, "manufacturer", "meross-bridge");
                  field(w, "model", "Meross MQTT bridge");
                  if (!options.origin_version.empty()) {
                    field(w, "sw_version", options.origin_version);
                  }
                  w.EndObject();
                });
}

std::vector<std::string> readback_filters(const Options& options) {
  return {options.discovery_prefix + "/device/+/config",
          options.discovery_prefix + "/+/+/+/config"};
}

bool is_ours(const Publication& published, const Options& options) {
  if (published.payload.empty()) return false;
  if (published.topic.rfind(options.discovery_prefix + "/", 0) != 0) return false;
  rapidjson::Document doc;
  if (!parse_document(published.payload, doc)) return false;
  const auto* origin = full_or_abbreviated(doc, "origin", "o");
  const auto origin_name = origin ? protocol::string_member(*origin, "name") : std::nullopt;
  if (!origin_name || *origin_name != options.origin_name) return false;
  const auto* device = full_or_abbreviated(doc, "device", "dev");
  if (!device || !device->IsObject()) return false;
  if (const auto via = protocol::string_member(*device, "via_device")) {
    if (*via == options.bridge_id) return true;
    // A hub's sub-device is reached through the hub: ours when its id extends the hub's.
    const auto* ids = full_or_abbreviated(*device, "identifiers", "ids");
    if (!via->starts_with("meross_") || !ids || !ids->IsArray() || ids->Empty()) return false;
    const auto& first = (*ids)[0];
    return first.IsString() &&
           std::string_view(first.GetString()).starts_with(std::string(*via) + "_");
  }
  // The bridge's own device has no via_device: it carries the bridge id as identifier.
  const auto* ids = full_or_abbreviated(*device, "identifiers", "ids");
  if (!ids) return false;
  if (ids->IsString()) return std::string_view(ids->GetString()) == options.bridge_id;
  if (!ids->IsArray()) return false;
  for (const auto& id : ids->GetArray()) {
    if (id.IsString() && std::string_view(id.GetString()) == options.bridge_id) return true;
  }
  return false;
}

}  // namespace meross::discovery
