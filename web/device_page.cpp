#include "web/device_page.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace meross::web {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void text(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void entity(Writer& w, const EntityRow& e) {
  w.StartObject();
  text(w, "key", e.key);
  text(w, "component", e.component);
  w.Key("name");
  e.name ? (void)w.String(e.name->data(), static_cast<rapidjson::SizeType>(e.name->size()))
         : (void)w.Null();
  text(w, "category", e.category);
  text(w, "sub_device", e.sub_device);
  text(w, "state", e.state);
  w.EndObject();
}

void message(Writer& w, const MessageEntry& m) {
  w.StartObject();
  w.Key("time");
  w.Int64(m.time_ms);
  text(w, "direction", m.outgoing ? "out" : "in");
  text(w, "method", m.method);
  text(w, "namespace", m.ns);
  text(w, "payload", m.payload);
  w.EndObject();
}

}  // namespace

std::string device_page_json(const DevicePage& page) {
  rapidjson::StringBuffer out;
  Writer w(out);
  w.StartObject();
  const std::string device = device_json(page.device);
  w.Key("device");
  w.RawValue(device.data(), device.size(), rapidjson::kObjectType);
  w.Key("entities");
  w.StartArray();
  for (const auto& e : page.entities)
    entity(w, e);
  w.EndArray();
  // Parameters are JSON text the protocol layer wrote from a parsed document.
  w.Key("abilities");
  w.StartObject();
  for (const auto& [ns, params] : page.abilities) {
    w.Key(ns.data(), static_cast<rapidjson::SizeType>(ns.size()));
    w.RawValue(params.data(), params.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.Key("messages");
  w.StartArray();
  for (const auto& m : page.messages)
    message(w, m);
  w.EndArray();
  w.Key("rename");
  if (page.rename) {
    w.StartObject();
    text(w, "name", page.rename->name);
    w.Key("saved");
    w.Bool(page.rename->saved);
    text(w, "message", page.rename->message);
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return std::string(out.GetString(), out.GetSize());
}

}  // namespace meross::web
