#include "web/snapshot.hpp"

#include "web/json_members.hpp"

namespace meross::web {
namespace {

using Writer = protocol::JsonStringWriter;

void device(Writer& w, const DeviceRow& d) {
  w.StartObject();
  text_member(w, "uuid", d.uuid);
  text_member(w, "hub", d.hub);
  text_member(w, "name", d.name);
  text_member(w, "model", d.model);
  text_member(w, "firmware", d.firmware);
  text_member(w, "ip", d.ip);
  w.Key("online");
  w.Bool(d.online);
  w.Key("last_seen");
  d.last_seen ? (void)w.Int64(*d.last_seen) : (void)w.Null();
  w.Key("signal");
  d.signal ? (void)w.Int(*d.signal) : (void)w.Null();
  w.Key("bind_acknowledged");
  w.Bool(d.bind_acknowledged);
  number_member(w, "entities", d.entities);
  w.Key("problems");
  w.StartArray();
  for (const auto& p : d.problems)
    w.string(p);
  w.EndArray();
  w.Key("switches");
  w.StartArray();
  for (const auto& s : d.switches) {
    w.StartObject();
    text_member(w, "key", s.key);
    text_member(w, "state", s.state);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string devices_json(const std::vector<DeviceRow>& rows) {
  Writer w;
  w.StartArray();
  for (const auto& row : rows)
    device(w, row);
  w.EndArray();
  return w.take();
}

std::string device_json(const DeviceRow& row) {
  Writer w;
  device(w, row);
  return w.take();
}

std::string bridge_json(const BridgeRow& b) {
  Writer w;
  w.StartObject();
  text_member(w, "version", b.version);
  w.Key("started");
  w.Int64(b.started);
  w.Key("links");
  w.StartArray();
  for (const auto& link : b.links) {
    w.StartObject();
    text_member(w, "name", link.name);
    text_member(w, "broker", link.broker);
    w.Key("connected");
    w.Bool(link.connected);
    w.EndObject();
  }
  w.EndArray();
  number_member(w, "devices", b.devices);
  number_member(w, "devices_online", b.devices_online);
  w.Key("counters");
  w.StartObject();
  for (const auto& counter : b.counters)
    number_member(w, counter.name, counter.value);
  w.EndObject();
  w.EndObject();
  return w.take();
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
