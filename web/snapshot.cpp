#include "web/snapshot.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace meross::web {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void number(Writer& w, std::string_view key, std::uint64_t value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.Uint64(value);
}

void device(Writer& w, const DeviceRow& d) {
  w.StartObject();
  string(w, "uuid", d.uuid);
  string(w, "hub", d.hub);
  string(w, "name", d.name);
  string(w, "model", d.model);
  string(w, "firmware", d.firmware);
  string(w, "ip", d.ip);
  w.Key("online");
  w.Bool(d.online);
  w.Key("last_seen");
  d.last_seen ? (void)w.Int64(*d.last_seen) : (void)w.Null();
  w.Key("signal");
  d.signal ? (void)w.Int(*d.signal) : (void)w.Null();
  w.Key("bind_acknowledged");
  w.Bool(d.bind_acknowledged);
  number(w, "entities", d.entities);
  w.Key("problems");
  w.StartArray();
  for (const auto& p : d.problems)
    w.String(p.data(), static_cast<rapidjson::SizeType>(p.size()));
  w.EndArray();
  w.Key("switches");
  w.StartArray();
  for (const auto& s : d.switches) {
    w.StartObject();
    string(w, "key", s.key);
    string(w, "state", s.state);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string devices_json(const std::vector<DeviceRow>& rows) {
  rapidjson::StringBuffer out;
  Writer w(out);
  w.StartArray();
  for (const auto& row : rows)
    device(w, row);
  w.EndArray();
  return out.GetString();
}

std::string device_json(const DeviceRow& row) {
  rapidjson::StringBuffer out;
  Writer w(out);
  device(w, row);
  return out.GetString();
}

std::string bridge_json(const BridgeRow& b) {
  rapidjson::StringBuffer out;
  Writer w(out);
  w.StartObject();
  string(w, "version", b.version);
  w.Key("started");
  w.Int64(b.started);
  w.Key("links");
  w.StartArray();
  for (const auto& link : b.links) {
    w.StartObject();
    string(w, "name", link.name);
    string(w, "broker", link.broker);
    w.Key("connected");
    w.Bool(link.connected);
    w.EndObject();
  }
  w.EndArray();
  number(w, "devices", b.devices);
  number(w, "devices_online", b.devices_online);
  w.Key("counters");
  w.StartObject();
  for (const auto& counter : b.counters)
    number(w, counter.name, counter.value);
  w.EndObject();
  w.EndObject();
  return out.GetString();
}

std::string event_json(std::string_view devices, std::string_view bridge, std::int64_t time) {
  std::string out = "{\"time\":" + std::to_string(time) + ",\"devices\":";
  out.append(devices);
  out += ",\"bridge\":";
  out.append(bridge);
  out += '}';
  return out;
}

}  // namespace meross::web
