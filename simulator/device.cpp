#include "simulator/device.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pairing/crypto.hpp"
#include "pairing/requests.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"

namespace meross::sim {

using protocol::find_member;
using protocol::int_member;
using protocol::JsonValue;
using protocol::Method;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

namespace {

constexpr std::string_view kBind = "Appliance.Control.Bind";
constexpr std::string_view kClock = "Appliance.System.Clock";
constexpr std::string_view kConsumptionConfig = "Appliance.Control.ConsumptionConfig";
constexpr std::string_view kConfigKey = "Appliance.Config.Key";
constexpr std::string_view kEcdhe = "Appliance.Encrypt.ECDHE";
constexpr std::string_view kSuite = "Appliance.Encrypt.Suite";

std::string text_of(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

void put_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

void set_string(JsonValue& object, const char* name, std::string_view value,
                rapidjson::Document::AllocatorType& alloc) {
  JsonValue v(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc);
  if (auto it = object.FindMember(name); it != object.MemberEnd()) {
    it->value = std::move(v);
  } else {
    object.AddMember(JsonValue(name, alloc), std::move(v), alloc);
  }
}

void set_int(JsonValue& object, const char* name, std::int64_t value,
             rapidjson::Document::AllocatorType& alloc) {
  if (auto it = object.FindMember(name); it != object.MemberEnd()) {
    it->value.SetInt64(value);
  } else {
    object.AddMember(JsonValue(name, alloc), JsonValue(value), alloc);
  }
}

JsonValue* member(JsonValue& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// The elements of a channel payload: the value itself when it is an object, each object of an
// array otherwise.
// A channel number: `fallback` when absent, nullopt when present but not an integer.
std::optional<std::int64_t> channel_of(const JsonValue& item, std::int64_t fallback) {
  const JsonValue* v = find_member(item, "channel");
  if (!v) return fallback;
  return protocol::to_int(*v);
}

std::vector<const JsonValue*> items_of(const JsonValue* value) {
  std::vector<const JsonValue*> items;
  if (value) protocol::for_each_object(*value, [&](const JsonValue& v) { items.push_back(&v); });
  return items;
}

int clamp_int(std::int64_t value, int lo, int hi) {
  return static_cast<int>(std::clamp<std::int64_t>(value, lo, hi));
}

}  // namespace

std::string mac_from_uuid(std::string_view uuid) {
  std::string tail(uuid.size() >= 12 ? uuid.substr(uuid.size() - 12) : uuid);
  const std::string fill = protocol::md5_hex(uuid);
  tail.resize(12, '0');
  for (std::size_t i = 0; i < tail.size(); ++i) {
    tail[i] = is_hex(tail[i]) ? lower(tail[i]) : fill[i];
  }
  std::string mac;
  for (std::size_t i = 0; i < 12; i += 2) {
    if (!mac.empty()) mac += ':';
    mac += tail.substr(i, 2);
  }
  return mac;
}

std::string builtin_uuid(std::string_view profile, int index) {
  return protocol::md5_hex("meross-sim:" + std::string(profile) + ":" + std::to_string(index));
}

protocol::Result<std::shared_ptr<DeviceTemplate>> make_template(
    std::string name, std::string_view all_json, std::string_view ability_json,
    std::map<std::string, std::string, std::less<>> recorded) {
  auto t = std::make_shared<DeviceTemplate>();
  t->name = std::move(name);
  t->all.Parse(all_json.data(), all_json.size());
  if (t->all.HasParseError() || !t->all.IsObject()) {
    return protocol::Error{"all", "System.All payload is not a JSON object"};
  }
  const JsonValue* all = find_member(t->all, "all");
  const JsonValue* system = all ? find_member(*all, "system") : nullptr;
  const JsonValue* hardware = system ? find_member(*system, "hardware") : nullptr;
  if (!hardware || !hardware->IsObject() || !protocol::string_member(*hardware, "type")) {
    return protocol::Error{"all.system.hardware.type", "expected a string"};
  }
  rapidjson::Document ability;
  ability.Parse(ability_json.data(), ability_json.size());
  const JsonValue* inner = ability.HasParseError() ? nullptr : find_member(ability, "ability");
  if (!inner || !inner->IsObject()) return protocol::Error{"ability", "expected an object"};
  for (const auto& m : inner->GetObject()) {
    t->abilities.emplace(m.name.GetString(), m.name.GetStringLength());
  }
  t->ability_json = std::string(ability_json);
  t->recorded = std::move(recorded);
  return t;
}

// --- Device -------------------------------------------------------------------------------

Device::Device(std::shared_ptr<const DeviceTemplate> tmpl, std::string uuid, std::string mac,
               DeviceSettings settings, std::int64_t now_ms)
    : tmpl_(std::move(tmpl)),
      uuid_(std::move(uuid)),
      mac_(std::move(mac)),
      subscribe_topic_("/appliance/" + uuid_ + "/subscribe"),
      publish_topic_("/appliance/" + uuid_ + "/publish"),
      settings_(std::move(settings)),
      rng_(static_cast<std::mt19937::result_type>(fnv1a(uuid_))) {
  seed_from_template(now_ms);
  ecdhe_ = tmpl_->abilities.count(kEcdhe) != 0;
}

std::string Device::mqtt_password() const {
  return protocol::device_mqtt_password(mac_, settings_.key, settings_.user_id);
}

void Device::seed_from_template(std::int64_t now_ms) {
  const JsonValue& all = tmpl_->all["all"];
  const JsonValue* system = find_member(all, "system");
  type_ = std::string(*protocol::string_member(*find_member(*system, "hardware"), "type"));
  if (const JsonValue* time = find_member(*system, "time")) {
    if (auto zone = protocol::string_member(*time, "timezone")) timezone_ = std::string(*zone);
    if (const JsonValue* rules = find_member(*time, "timeRule")) {
      if (auto parsed = protocol::parse_time_rules(*rules)) time_rules_ = *parsed;
    }
  }
  const JsonValue* digest = find_member(all, "digest");
  const JsonValue* control = find_member(all, "control");
  if (digest) {
    for (const JsonValue* item : items_of(find_member(*digest, "togglex"))) {
      ToggleChannel c;
      c.channel = static_cast<int>(int_member(*item, "channel").value_or(0));
      c.onoff = int_member(*item, "onoff").value_or(0) ? 1 : 0;
      c.lm_time = int_member(*item, "lmTime").value_or(0);
      toggles_.push_back(c);
    }
    if (const JsonValue* light = find_member(*digest, "light"); light && light->IsObject()) {
      LightState l;
      l.channel = static_cast<int>(int_member(*light, "channel").value_or(0));
      l.capacity = static_cast<int>(int_member(*light, "capacity").value_or(l.capacity));
      l.rgb = int_member(*light, "rgb").value_or(l.rgb);
      l.temperature = static_cast<int>(int_member(*light, "temperature").value_or(l.temperature));
      l.luminance = static_cast<int>(int_member(*light, "luminance").value_or(l.luminance));
      if (auto onoff = int_member(*light, "onoff")) {
        l.onoff = *onoff ? 1 : 0;
        l.has_onoff = true;
      }
      light_ = l;
    }
    const JsonValue* garage = find_member(*digest, "garageDoor");
    for (const JsonValue* item : items_of(garage)) {
      GarageChannel g;
      g.channel = static_cast<int>(int_member(*item, "channel").value_or(0));
      g.open = int_member(*item, "open").value_or(0) ? 1 : 0;
      g.lm_time = int_member(*item, "lmTime").value_or(0);
      g.target = g.open;
      garages_.push_back(g);
    }
  }
  if (control) {
    if (const JsonValue* toggle = find_member(*control, "toggle"); toggle && toggle->IsObject()) {
      legacy_toggle_ = true;
      toggle_.onoff = int_member(*toggle, "onoff").value_or(0) ? 1 : 0;
      toggle_.lm_time = int_member(*toggle, "lmTime").value_or(0);
    }
  }
  const auto& abilities = tmpl_->abilities;
  if (!legacy_toggle_ && abilities.count("Appliance.Control.Toggle") &&
      !abilities.count("Appliance.Control.ToggleX")) {
    legacy_toggle_ = true;
  }
  if (abilities.count("Appliance.Control.Light") && !light_) light_ = LightState{};
  if (light_ && toggles_.empty() && !abilities.count("Appliance.Control.ToggleX")) {
    light_->has_onoff = true;
  }

  // Recorded answers refine the seeds: shapes, calibration, last values.
  const auto recorded = [&](std::string_view ns) -> std::optional<rapidjson::Document> {
    auto it = tmpl_->recorded.find(ns);
    if (it == tmpl_->recorded.end()) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(it->second.data(), it->second.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    return doc;
  };
  if (auto doc = recorded("Appliance.Control.ToggleX")) {
    const JsonValue* t = find_member(*doc, "togglex");
    togglex_dict_shape_ = t && t->IsObject();
  }
  if (auto doc = recorded("Appliance.GarageDoor.State")) {
    const JsonValue* s = find_member(*doc, "state");
    garage_dict_shape_ = s && s->IsObject();
    if (garages_.empty()) {
      for (const JsonValue* item : items_of(s)) {
        GarageChannel g;
        g.channel = static_cast<int>(int_member(*item, "channel").value_or(0));
        g.open = int_member(*item, "open").value_or(0) ? 1 : 0;
        g.target = g.open;
        garages_.push_back(g);
      }
    }
  } else if (garages_.size() == 1 && digest) {
    // msg100-class firmware answers with a dict (meross-protocol.md §5.10).
    const JsonValue* g = find_member(*digest, "garageDoor");
    garage_dict_shape_ = g && g->IsArray() && garages_[0].channel == 0;
  }
  if (garages_.empty() && abilities.count("Appliance.GarageDoor.State")) {
    garages_.push_back(GarageChannel{});
    garage_dict_shape_ = true;
  }
  if (abilities.count("Appliance.RollerShutter.Position")) {
    if (auto doc = recorded("Appliance.RollerShutter.Position")) {
      for (const JsonValue* item : items_of(find_member(*doc, "position"))) {
        RollerChannel r;
        r.channel = static_cast<int>(int_member(*item, "channel").value_or(0));
        r.position =
            static_cast<double>(clamp_int(int_member(*item, "position").value_or(0), 0, 100));
        r.target = static_cast<int>(r.position);
        rollers_.push_back(r);
      }
    }
    if (rollers_.empty()) rollers_.push_back(RollerChannel{});
  }
  if (auto doc = recorded("Appliance.Control.Light"); doc && light_) {
    if (const JsonValue* l = find_member(*doc, "light"); l && l->IsObject() && !digest) {
      light_->capacity = static_cast<int>(int_member(*l, "capacity").value_or(light_->capacity));
      light_->rgb = int_member(*l, "rgb").value_or(light_->rgb);
    }
  }
  metering_ = abilities.count("Appliance.Control.Electricity") != 0;
  // A plausible appliance on the plug: 20 W .. 1500 W, fixed per device.
  base_load_w_ = 20.0 + static_cast<double>(fnv1a(uuid_ + "load") % 1480);
  if (auto doc = recorded("Appliance.Control.Electricity")) {
    if (const JsonValue* e = find_member(*doc, "electricity")) {
      if (auto power = int_member(*e, "power"); power && *power > 1000) {
        base_load_w_ = static_cast<double>(*power) / 1000.0;
      }
      if (const JsonValue* config = find_member(*e, "config"); config && config->IsObject()) {
        consumption_config_ = protocol::to_json(*config);
      }
    }
  }
  if (auto doc = recorded("Appliance.Control.ConsumptionConfig")) {
    if (const JsonValue* config = find_member(*doc, "config"); config && config->IsObject()) {
      consumption_config_ = protocol::to_json(*config);
    }
  }
  if (auto doc = recorded("Appliance.System.DNDMode")) {
    if (const JsonValue* d = find_member(*doc, "DNDMode")) {
      dnd_mode_ = int_member(*d, "mode").value_or(0) ? 1 : 0;
    }
  }
  if (abilities.count("Appliance.Control.ConsumptionX")) {
    if (auto doc = recorded("Appliance.Control.ConsumptionX")) {
      for (const JsonValue* item : items_of(find_member(*doc, "consumptionx"))) {
        auto date = protocol::string_member(*item, "date");
        if (!date) continue;
        days_.push_back(
            ConsumptionDay{std::string(*date), int_member(*item, "time").value_or(0),
                           static_cast<double>(int_member(*item, "value").value_or(0))});
      }
    } else {
      // About a month of history: the load for a few hours a day.
      const std::int64_t now_s = now_ms / 1000;
      for (int back = 29; back >= 1; --back) {
        const std::int64_t t = now_s - back * 86400;
        const double hours =
            2.0 + static_cast<double>(fnv1a(uuid_ + std::to_string(back)) % 600) / 100.0;
        days_.push_back(ConsumptionDay{local_date(t), t, std::round(base_load_w_ * hours)});
      }
    }
    const std::string today = local_date(now_ms / 1000);
    for (const auto& day : days_) {
      if (day.date == today) today_wh_ = day.wh;
    }
  }
  energy_last_ms_ = now_ms;
  roller_last_ms_ = now_ms;
}

// --- messages ------------------------------------------------------------------------------

Outgoing Device::make_message(Method method, std::string_view ns, std::string payload,
                              std::int64_t now_ms, std::string message_id,
                              std::string_view from) const {
  protocol::Header h;
  h.message_id = message_id.empty() ? protocol::new_message_id() : std::move(message_id);
  h.ns = ns;
  h.method = method;
  h.from = from.empty() ? publish_topic_ : std::string(from);
  h.timestamp = now_ms / 1000;
  h.timestamp_ms = now_ms % 1000;
  h.sign = protocol::compute_sign(h.message_id, settings_.key, h.timestamp);
  return Outgoing{publish_topic_, protocol::serialize(h, payload)};
}

Outgoing Device::make_push(std::string_view ns, std::string payload, std::int64_t now_ms) const {
  return make_message(Method::Push, ns, std::move(payload), now_ms);
}

Device::Answer Device::error_answer(int code, std::string_view detail) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Int(code);
  w.Key("detail");
  put_string(w, detail);
  w.EndObject();
  w.EndObject();
  return Answer{Method::Error, text_of(b)};
}

std::vector<Outgoing> Device::connect(std::int64_t now_ms) {
  connected_ = true;
  bound_ = false;
  clock_ids_.clear();
  std::vector<Outgoing> out;
  const std::int64_t now_s = now_ms / 1000;
  out.push_back(make_push(
      "Appliance.System.Report",
      R"({"report":[{"type":"1","value":"0","timestamp":)" + std::to_string(now_s) + "}]}",
      now_ms));
  out.push_back(
      make_message(Method::Set, kBind, bind_payload(now_ms), now_ms, {}, subscribe_topic_));
  next_bind_ms_ = now_ms + settings_.bind_interval_ms;
  if (tmpl_->abilities.count(kClock)) {
    Outgoing clock =
        make_push(kClock, R"({"clock":{"timestamp":)" + std::to_string(now_s) + "}}", now_ms);
    clock_pending_ = true;
    next_clock_ms_ = now_ms + settings_.clock_interval_ms;
    out.push_back(std::move(clock));
  }
  if (tmpl_->abilities.count(kConsumptionConfig)) {
    out.push_back(
        make_push(kConsumptionConfig, R"({"config":)" + consumption_config_ + "}", now_ms));
  }
  return out;
}

void Device::disconnect() {
  connected_ = false;
  bound_ = false;
  clock_pending_ = false;
}

std::vector<Outgoing> Device::tick(std::int64_t now_ms) {
  std::vector<Outgoing> out;
  accumulate_energy(now_ms);
  if (connected_ && !bound_ && now_ms >= next_bind_ms_) {
    const std::int64_t now_s = now_ms / 1000;
    out.push_back(make_push(
        "Appliance.System.Report",
        R"({"report":[{"type":"1","value":"0","timestamp":)" + std::to_string(now_s) + "}]}",
        now_ms));
    out.push_back(
        make_message(Method::Set, kBind, bind_payload(now_ms), now_ms, {}, subscribe_topic_));
    next_bind_ms_ = now_ms + settings_.bind_interval_ms;
  }
  if (connected_ && clock_pending_ && now_ms >= next_clock_ms_) {
    out.push_back(make_push(
        kClock, R"({"clock":{"timestamp":)" + std::to_string(now_ms / 1000) + "}}", now_ms));
    next_clock_ms_ = now_ms + settings_.clock_interval_ms;
  }
  for (auto& door : garages_) {
    if (door.moving && now_ms >= door.done_at_ms) {
      door.moving = false;
      door.open = door.target;
      door.lm_time = now_ms / 1000;
      if (connected_ && bound_) {
        out.push_back(make_push("Appliance.GarageDoor.State",
                                garage_payload(true, -1, door.channel), now_ms));
      }
    }
  }
  advance_rollers(now_ms, out);
  return out;
}

Reaction Device::handle_handshake(const protocol::Message& message, std::int64_t now_ms) {
  Reaction r;
  const auto& h = message.header;
  if (h.ns == kBind) {
    if (h.method != Method::SetAck) {
      r.problem = "Bind " + std::string(protocol::to_string(h.method)) + " ignored";
    } else if (!protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
      r.problem = "Bind SETACK with a bad signature ignored";
    } else if (!bound_) {
      bound_ = true;
      r.became_bound = true;
    }
    return r;
  }
  // Clock: a reply carries clock.timestamp; an empty PUSH is a query that restarts the exchange.
  const JsonValue* clock = find_member(message.payload(), "clock");
  const auto stamp = clock ? int_member(*clock, "timestamp") : std::nullopt;
  if (stamp) {
    if (protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
      clock_pending_ = false;
    } else {
      r.problem = "Clock reply with a bad signature ignored";
    }
  } else if (bound_) {
    if (!protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
      if (!h.from.empty()) {
        const Answer a = error_answer(5001, "sign error");
        r.messages.push_back(make_message(a.method, h.ns, a.payload, now_ms, h.message_id));
        r.messages.back().topic = h.from;
      }
      return r;
    }
    clock_pending_ = true;
    next_clock_ms_ = now_ms + settings_.clock_interval_ms;
    Outgoing push = make_push(
        kClock, R"({"clock":{"timestamp":)" + std::to_string(now_ms / 1000) + "}}", now_ms);
    if (!h.from.empty() && h.from != publish_topic_) {
      push = make_message(Method::Push, kClock,
                          R"({"clock":{"timestamp":)" + std::to_string(now_ms / 1000) + "}}",
                          now_ms, h.message_id);
      push.topic = h.from;
    }
    r.messages.push_back(std::move(push));
  }
  return r;
}

Reaction Device::receive(std::string_view payload, std::int64_t now_ms) {
  Reaction r;
  if (!connected_) {
    r.problem = "not connected";
    return r;
  }
  auto parsed = protocol::parse_message(payload);
  if (!parsed) {
    r.problem = "unreadable message: " + parsed.error().describe();
    return r;
  }
  const protocol::Message& message = *parsed;
  const auto& h = message.header;
  accumulate_energy(now_ms);

  if (h.ns == kBind || (h.ns == kClock && h.method == Method::Push)) {
    return handle_handshake(message, now_ms);
  }
  if (h.ns == kConsumptionConfig && h.method == Method::Push) return r;  // the echo at connect
  if (!bound_) {
    r.problem = "not bound yet: " + h.ns + " ignored";
    return r;
  }
  if (h.method == Method::GetAck || h.method == Method::SetAck || h.method == Method::Error) {
    r.problem = "unexpected " + std::string(protocol::to_string(h.method)) + " ignored";
    return r;
  }
  const bool answer = !h.from.empty();
  const auto reply = [&](const Answer& a) {
    Outgoing o = make_message(a.method, h.ns, a.payload, now_ms, h.message_id);
    o.topic = h.from;
    r.messages.push_back(std::move(o));
  };
  if (!protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
    r.problem = "bad signature on " + h.ns;
    if (answer) reply(error_answer(5001, "sign error"));
    return r;
  }
  std::vector<Outgoing> pushes;
  std::optional<Answer> a = dispatch(h.method, h.ns, message.payload(), now_ms, pushes);
  if (!answer) r.problem = "request without from: not answered";
  if (a && answer) reply(*a);
  apply_pending_config(now_ms);
  for (auto& p : pushes)
    r.messages.push_back(std::move(p));
  return r;
}

// --- namespaces -----------------------------------------------------------------------------

std::optional<Device::Answer> Device::dispatch(Method method, const std::string& ns,
                                               const JsonValue& payload, std::int64_t now_ms,
                                               std::vector<Outgoing>& pushes) {
  const std::int64_t now_s = now_ms / 1000;
  const bool get = method == Method::Get;
  const bool set = method == Method::Set;
  const bool push = method == Method::Push;
  const Answer set_ack{Method::SetAck, "{}"};
  const auto get_ack = [](std::string p) { return Answer{Method::GetAck, std::move(p)}; };
  const auto bad_payload = [&] { return error_answer(5000, "invalid payload"); };

  if (ns == "Appliance.Control.Multiple" && set) {
    // Each inner request is answered inside the SETACK (meross-protocol.md §5.16).
    const JsonValue* list = find_member(payload, "multiple");
    if (!list || !list->IsArray()) return bad_payload();
    std::string body = R"({"multiple":[)";
    bool first = true;
    for (const auto& item : list->GetArray()) {
      const JsonValue* header = find_member(item, "header");
      const JsonValue* inner = find_member(item, "payload");
      if (!header || !inner || !inner->IsObject()) continue;
      auto inner_ns = protocol::string_member(*header, "namespace");
      auto inner_method_text = protocol::string_member(*header, "method");
      auto inner_id = protocol::string_member(*header, "messageId");
      if (!inner_ns || !inner_method_text) continue;
      auto inner_method = protocol::method_from_string(*inner_method_text);
      if (!inner_method || *inner_ns == "Appliance.Control.Multiple") continue;
      const std::string inner_ns_text(*inner_ns);
      auto inner_answer = dispatch(*inner_method, inner_ns_text, *inner, now_ms, pushes);
      if (!inner_answer) continue;
      protocol::Header ih;
      ih.message_id = inner_id ? std::string(*inner_id) : std::string();
      ih.ns = inner_ns_text;
      ih.method = inner_answer->method;
      ih.from = publish_topic_;
      ih.timestamp = now_s;
      ih.timestamp_ms = now_ms % 1000;
      ih.sign = protocol::compute_sign(ih.message_id, settings_.key, now_s);
      if (!first) body += ',';
      first = false;
      body += protocol::serialize(ih, inner_answer->payload);
    }
    body += "]}";
    return Answer{Method::SetAck, std::move(body)};
  }

  // Every firmware takes Config.Key (it is how a device is paired), listed or not.
  if (ns == kConfigKey) return set ? config_key(payload) : bad_payload();

  if (!tmpl_->abilities.count(ns)) return error_answer(5000, "unknown namespace");

  if (ns == "Appliance.System.All") {
    if (get) return get_ack(all_payload(now_ms));
  } else if (ns == "Appliance.System.Ability") {
    if (get) return get_ack(tmpl_->ability_json);
  } else if (ns == "Appliance.System.Hardware" || ns == "Appliance.System.Firmware") {
    if (get) {
      rapidjson::Document doc;
      doc.Parse(all_payload(now_ms));
      const char* key = ns == "Appliance.System.Hardware" ? "hardware" : "firmware";
      const JsonValue* value = find_member(doc["all"]["system"], key);
      return get_ack(std::string("{\"") + key + "\":" + (value ? protocol::to_json(*value) : "{}") +
                     "}");
    }
  } else if (ns == "Appliance.System.Time") {
    if (get || (push && payload.ObjectEmpty())) {
      return Answer{get ? Method::GetAck : Method::Push, "{\"time\":" + time_object(now_ms) + "}"};
    }
    if (set) {
      const JsonValue* time = find_member(payload, "time");
      if (!time || !time->IsObject()) return bad_payload();
      if (const JsonValue* zone = find_member(*time, "timezone")) {
        if (!zone->IsString()) return bad_payload();
      }
      std::vector<protocol::TimeRule> rules = time_rules_;
      if (const JsonValue* rule_json = find_member(*time, "timeRule")) {
        auto parsed = protocol::parse_time_rules(*rule_json);
        if (!parsed) return bad_payload();
        rules = std::move(*parsed);
      }
      if (auto zone = protocol::string_member(*time, "timezone")) timezone_ = std::string(*zone);
      time_rules_ = std::move(rules);
      pushes.push_back(make_push(ns, "{\"time\":" + time_object(now_ms) + "}", now_ms));
      return set_ack;
    }
  } else if (ns == "Appliance.System.Clock") {
    if (get) return get_ack(R"({"clock":{"timestamp":)" + std::to_string(now_s) + "}}");
  } else if (ns == "Appliance.System.Online") {
    if (get || push) {
      return Answer{get ? Method::GetAck : Method::Push, R"({"online":{"status":1}})"};
    }
  } else if (ns == "Appliance.System.DNDMode") {
    if (get) return get_ack(R"({"DNDMode":{"mode":)" + std::to_string(dnd_mode_) + "}}");
    if (set) {
      const JsonValue* d = find_member(payload, "DNDMode");
      auto mode = d ? int_member(*d, "mode") : std::nullopt;
      if (!mode) return bad_payload();
      dnd_mode_ = *mode ? 1 : 0;
      return set_ack;
    }
  } else if (ns == "Appliance.System.Runtime") {
    if (get && !tmpl_->recorded.count(ns)) {
      return get_ack(R"({"runtime":{"signal":)" + std::to_string(60 + rng_() % 35) + "}}");
    }
  } else if (ns == "Appliance.Control.ToggleX" && !toggles_.empty()) {
    if (get) return get_ack(togglex_payload(true));
    if (set) {
      const auto items = items_of(find_member(payload, "togglex"));
      if (items.empty()) return bad_payload();
      std::vector<int> changed;
      for (const JsonValue* item : items) {
        const auto channel = channel_of(*item, 0);
        auto onoff = int_member(*item, "onoff");
        ToggleChannel* c = channel ? find_toggle(static_cast<int>(*channel)) : nullptr;
        if (!onoff || !c) return bad_payload();
        accumulate_energy(now_ms);
        c->onoff = *onoff ? 1 : 0;
        c->lm_time = now_s;
        changed.push_back(c->channel);
      }
      pushes.push_back(make_push(ns, togglex_push(changed), now_ms));
      return set_ack;
    }
  } else if (ns == "Appliance.Control.Toggle" && legacy_toggle_) {
    if (get) {
      return get_ack(R"({"toggle":{"onoff":)" + std::to_string(toggle_.onoff) + R"(,"lmTime":)" +
                     std::to_string(toggle_.lm_time) + "}}");
    }
    if (set) {
      const JsonValue* t = find_member(payload, "toggle");
      auto onoff = t ? int_member(*t, "onoff") : std::nullopt;
      if (!onoff) return bad_payload();
      accumulate_energy(now_ms);
      toggle_.onoff = *onoff ? 1 : 0;
      toggle_.lm_time = now_s;
      pushes.push_back(make_push(ns,
                                 R"({"toggle":{"onoff":)" + std::to_string(toggle_.onoff) +
                                     R"(,"lmTime":)" + std::to_string(toggle_.lm_time) + "}}",
                                 now_ms));
      return set_ack;
    }
  } else if (ns == "Appliance.Control.Light" && light_) {
    if (get) return get_ack(light_payload());
    if (set) {
      const JsonValue* l = find_member(payload, "light");
      if (!l || !l->IsObject()) return bad_payload();
      LightState next = *light_;
      for (const auto* name : {"capacity", "rgb", "temperature", "luminance", "onoff"}) {
        const JsonValue* v = find_member(*l, name);
        if (v && !protocol::to_int(*v)) return bad_payload();
      }
      if (auto v = int_member(*l, "capacity")) next.capacity = clamp_int(*v, 0, 15);
      if (auto v = int_member(*l, "rgb")) next.rgb = std::clamp<std::int64_t>(*v, 0, 0xFFFFFF);
      if (auto v = int_member(*l, "temperature")) next.temperature = clamp_int(*v, 1, 100);
      if (auto v = int_member(*l, "luminance")) next.luminance = clamp_int(*v, 0, 100);
      if (auto v = int_member(*l, "onoff")) {
        if (ToggleChannel* c = find_toggle(next.channel); c && !next.has_onoff) {
          c->onoff = *v ? 1 : 0;
          c->lm_time = now_s;
        } else {
          next.onoff = *v ? 1 : 0;
          next.has_onoff = true;
        }
      }
      light_ = next;
      pushes.push_back(make_push(ns, light_payload(), now_ms));
      return set_ack;
    }
  } else if (ns == "Appliance.Control.Electricity" && metering_) {
    if (get) return get_ack(electricity_payload(now_ms));
  } else if (ns == "Appliance.Control.ConsumptionX" && metering_) {
    if (get) return get_ack(consumption_payload());
  } else if (ns == "Appliance.Control.ConsumptionConfig") {
    if (get) return get_ack(R"({"config":)" + consumption_config_ + "}");
    if (set) return error_answer(5000, "not supported");
  } else if (ns == "Appliance.GarageDoor.State" && !garages_.empty()) {
    if (get) return get_ack(garage_payload(!garage_dict_shape_));
    if (set) {
      const auto items = items_of(find_member(payload, "state"));
      if (items.empty()) return bad_payload();
      std::string body;
      for (const JsonValue* item : items) {
        const auto channel = channel_of(*item, garages_[0].channel);
        auto open = int_member(*item, "open");
        GarageChannel* door = channel ? find_garage(static_cast<int>(*channel)) : nullptr;
        if (!open || !door) return bad_payload();
        const int target = *open ? 1 : 0;
        const bool execute = door->moving ? door->target != target : door->open != target;
        // The SETACK reports the door as it is now (the reed contact), plus whether the relay
        // was pulsed (meross-protocol.md §5.10).
        body =
            garage_payload(!garage_dict_shape_ || items.size() > 1, execute ? 1 : 0, door->channel);
        if (execute) start_garage(*door, target, now_ms);
      }
      return Answer{Method::SetAck, std::move(body)};
    }
  } else if (ns == "Appliance.RollerShutter.Position" && !rollers_.empty()) {
    advance_rollers(now_ms, pushes);
    if (get) return get_ack(roller_position_payload());
    if (set) {
      const auto items = items_of(find_member(payload, "position"));
      if (items.empty()) return bad_payload();
      for (const JsonValue* item : items) {
        const auto channel = channel_of(*item, 0);
        auto position = int_member(*item, "position");
        RollerChannel* roller = channel ? find_roller(static_cast<int>(*channel)) : nullptr;
        if (!position || !roller || *position < -1 || *position > 100) return bad_payload();
        start_roller(*roller, static_cast<int>(*position), now_ms, pushes);
      }
      return set_ack;
    }
  } else if (ns == "Appliance.RollerShutter.State" && !rollers_.empty()) {
    advance_rollers(now_ms, pushes);
    if (get) return get_ack(roller_state_payload());
  }

  // Anything else the device has: its recorded answer, else an empty one.
  if (get) {
    auto it = tmpl_->recorded.find(ns);
    return get_ack(it != tmpl_->recorded.end() ? it->second : "{}");
  }
  if (set) return set_ack;
  if (push) {
    // A PUSH query: answered with data when we have some (meross-protocol.md §1.3).
    auto it = tmpl_->recorded.find(ns);
    if (it != tmpl_->recorded.end() && payload.ObjectEmpty())
      return Answer{Method::Push, it->second};
  }
  return std::nullopt;
}

// --- local HTTP API --------------------------------------------------------------------------

HttpReaction Device::http_request(std::string_view body, std::int64_t now_ms) {
  HttpReaction r;
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    r.problem = "empty request";
    return r;
  }
  std::string text(body.substr(start));
  const bool encrypted = text.front() != '{';
  // The reply goes back under the key that opened the request, even if the request replaces it
  // (a new ECDHE session, or a Config.Key that changes the key the static AES key is made from).
  std::optional<std::string> reply_key;
  if (encrypted) {
    reply_key = tmpl_->static_key ? pairing::static_encryption_key(uuid_, settings_.key, mac_)
                                  : session_key_;
    if (!reply_key) {
      r.problem = "encrypted request before any key exchange";
      return r;
    }
    std::string compact;
    std::copy_if(text.begin(), text.end(), std::back_inserter(compact),
                 [](char c) { return c != ' ' && c != '\r' && c != '\n' && c != '\t'; });
    auto cipher = pairing::base64_decode(compact);
    if (!cipher) {
      r.problem = "encrypted request is not base64";
      return r;
    }
    auto plain = pairing::aes_zero_pad_decrypt(*cipher, *reply_key);
    if (!plain) {
      r.problem = "undecryptable request: " + plain.error().describe();
      return r;
    }
    text = std::move(*plain);
  }
  auto parsed = protocol::parse_message(text);
  if (!parsed) {
    r.problem = "unreadable request: " + parsed.error().describe();
    return r;
  }
  const protocol::Message& message = *parsed;
  const auto& h = message.header;
  if (tmpl_->static_key && !encrypted && h.ns != "Appliance.System.Ability") {
    r.problem = "plaintext " + h.ns + " on static-key firmware: connection dropped";
    return r;
  }
  if (ecdhe_ && !encrypted && !pairing::plaintext_namespace(h.ns)) {
    r.problem = "plaintext " + h.ns + " on ECDHE firmware: connection dropped";
    return r;
  }
  accumulate_energy(now_ms);
  std::optional<Answer> a;
  std::vector<Outgoing> pushes;
  if (!protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
    r.problem = "bad signature on " + h.ns;
    a = error_answer(5001, "sign error");
  } else if (h.method == Method::GetAck || h.method == Method::SetAck ||
             h.method == Method::Error) {
    a = error_answer(5000, "unexpected method");
  } else if (ecdhe_ && h.ns == kEcdhe) {
    a = h.method == Method::Set && !tmpl_->static_key ? ecdhe_exchange(message.payload())
                                                      : error_answer(5000, "invalid payload");
  } else if (ecdhe_ && h.ns == kSuite && h.method == Method::Get) {
    a = Answer{Method::GetAck, R"({"suite":{"ka":"ecdhe256","se":"mrskey","ds":""}})"};
  } else {
    a = dispatch(h.method, h.ns, message.payload(), now_ms, pushes);
  }
  if (!a) {
    r.problem = "nothing to answer to " + std::string(protocol::to_string(h.method)) + " " + h.ns;
    return r;
  }
  std::string reply =
      make_message(a->method, h.ns, std::move(a->payload), now_ms, h.message_id).payload;
  apply_pending_config(now_ms);
  r.body = reply_key ? pairing::base64_encode(pairing::aes_zero_pad_encrypt(reply, *reply_key))
                     : std::move(reply);
  if (connected_ && bound_) r.messages = std::move(pushes);
  return r;
}

Device::Answer Device::ecdhe_exchange(const JsonValue& payload) {
  const JsonValue* e = find_member(payload, "ecdhe");
  const auto pubkey = e ? protocol::string_member(*e, "pubkey") : std::nullopt;
  if (!pubkey) return error_answer(5000, "invalid payload");
  const pairing::EcdhKey own;
  auto session = own.session_key(*pubkey);
  if (!session) return error_answer(5000, "invalid public key");
  session_key_ = std::move(*session);
  return Answer{Method::SetAck, R"({"ecdhe":{"pubkey":")" + own.public_key_base64() + R"("}})"};
}

Device::Answer Device::config_key(const JsonValue& payload) {
  const auto invalid = [&](std::string_view field) {
    return error_answer(5000, "invalid payload: " + std::string(field));
  };
  const JsonValue* key = find_member(payload, "key");
  if (!key || !key->IsObject()) return invalid("key");
  const JsonValue* gateway = find_member(*key, "gateway");
  if (!gateway || !gateway->IsObject()) return invalid("key.gateway");
  PendingConfig config;
  const auto host = protocol::string_member(*gateway, "host");
  const auto second_host = protocol::string_member(*gateway, "secondHost");
  const auto port = int_member(*gateway, "port");
  const auto second_port = int_member(*gateway, "secondPort");
  if (!host || host->empty()) return invalid("key.gateway.host");
  if (!port || *port <= 0 || *port > 65535) return invalid("key.gateway.port");
  if (!second_host || second_host->empty()) return invalid("key.gateway.secondHost");
  if (!second_port || *second_port <= 0 || *second_port > 65535) {
    return invalid("key.gateway.secondPort");
  }
  if (!int_member(*gateway, "redirect")) return invalid("key.gateway.redirect");
  const auto new_key = protocol::string_member(*key, "key");
  if (!new_key) return invalid("key.key");
  // userId is sent as a decimal string, reported back as an integer (§6.3): take either.
  const auto user_id = int_member(*key, "userId");
  if (!user_id || *user_id < 0) return invalid("key.userId");
  config.gateway = Gateway{std::string(*host), static_cast<int>(*port), std::string(*second_host),
                           static_cast<int>(*second_port)};
  config.key = std::string(*new_key);
  config.user_id = static_cast<std::uint64_t>(*user_id);
  pending_config_ = std::move(config);
  return Answer{Method::SetAck, "{}"};
}

void Device::apply_pending_config(std::int64_t now_ms) {
  if (!pending_config_) return;
  settings_.key = std::move(pending_config_->key);
  settings_.user_id = pending_config_->user_id;
  settings_.broker_host = pending_config_->gateway.host;
  settings_.broker_port = pending_config_->gateway.port;
  move_ = std::move(pending_config_->gateway);
  move_at_ms_ = now_ms + settings_.move_delay_ms;
  pending_config_.reset();
}

std::optional<Gateway> Device::take_move(std::int64_t now_ms) {
  if (!move_ || now_ms < move_at_ms_) return std::nullopt;
  std::optional<Gateway> gateway = std::move(move_);
  move_.reset();
  return gateway;
}

// --- state → JSON --------------------------------------------------------------------------

std::string Device::time_object(std::int64_t now_ms) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("timestamp");
  w.Int64(now_ms / 1000);
  w.Key("timezone");
  put_string(w, timezone_);
  w.Key("timeRule");
  const std::string table = protocol::time_rules_json(time_rules_);
  w.RawValue(table.data(), table.size(), rapidjson::kArrayType);
  w.EndObject();
  return text_of(b);
}

std::string Device::all_payload(std::int64_t now_ms) const {
  rapidjson::Document doc;
  doc.CopyFrom(tmpl_->all, doc.GetAllocator());
  auto& alloc = doc.GetAllocator();
  JsonValue* all = member(doc, "all");
  JsonValue* system = all ? member(*all, "system") : nullptr;
  if (JsonValue* hardware = system ? member(*system, "hardware") : nullptr) {
    set_string(*hardware, "uuid", uuid_, alloc);
    set_string(*hardware, "macAddress", mac_, alloc);
  }
  if (JsonValue* firmware = system ? member(*system, "firmware") : nullptr;
      firmware && tmpl_->fill_firmware) {
    set_string(*firmware, "server", settings_.broker_host, alloc);
    set_int(*firmware, "port", settings_.broker_port, alloc);
    set_int(*firmware, "userId", static_cast<std::int64_t>(settings_.user_id), alloc);
  }
  if (JsonValue* time = system ? member(*system, "time") : nullptr; time && time->IsObject()) {
    rapidjson::Document live;
    live.Parse(time_object(now_ms));
    time->CopyFrom(live, alloc);
  }
  JsonValue* digest = all ? member(*all, "digest") : nullptr;
  if (digest) {
    if (JsonValue* togglex = member(*digest, "togglex"); togglex && togglex->IsArray()) {
      for (auto& item : togglex->GetArray()) {
        auto channel = int_member(item, "channel");
        const ToggleChannel* c =
            channel ? const_cast<Device*>(this)->find_toggle(static_cast<int>(*channel)) : nullptr;
        if (!c || !item.IsObject()) continue;
        set_int(item, "onoff", c->onoff, alloc);
        set_int(item, "lmTime", c->lm_time, alloc);
      }
    }
    if (JsonValue* light = member(*digest, "light"); light && light->IsObject() && light_) {
      set_int(*light, "capacity", light_->capacity, alloc);
      set_int(*light, "rgb", light_->rgb, alloc);
      set_int(*light, "temperature", light_->temperature, alloc);
      set_int(*light, "luminance", light_->luminance, alloc);
      if (light_->has_onoff) set_int(*light, "onoff", light_->onoff, alloc);
    }
    if (JsonValue* garage = member(*digest, "garageDoor"); garage && garage->IsArray()) {
      for (auto& item : garage->GetArray()) {
        auto channel = int_member(item, "channel");
        const GarageChannel* g =
            channel ? const_cast<Device*>(this)->find_garage(static_cast<int>(*channel)) : nullptr;
        if (!g || !item.IsObject()) continue;
        set_int(item, "open", g->open, alloc);
        set_int(item, "lmTime", g->lm_time, alloc);
      }
    }
  }
  if (JsonValue* control = all ? member(*all, "control") : nullptr; control && legacy_toggle_) {
    if (JsonValue* toggle = member(*control, "toggle"); toggle && toggle->IsObject()) {
      set_int(*toggle, "onoff", toggle_.onoff, alloc);
      set_int(*toggle, "lmTime", toggle_.lm_time, alloc);
    }
  }
  return protocol::to_json(doc);
}

std::string Device::bind_payload(std::int64_t now_ms) const {
  rapidjson::Document all;
  all.Parse(all_payload(now_ms));
  const JsonValue& system = all["all"]["system"];
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("bind");
  w.StartObject();
  w.Key("bindTime");
  w.Int64(now_ms / 1000);
  w.Key("time");
  const std::string time = time_object(now_ms);
  w.RawValue(time.data(), time.size(), rapidjson::kObjectType);
  if (const JsonValue* hardware = find_member(system, "hardware")) {
    w.Key("hardware");
    hardware->Accept(w);
  }
  // The firmware block as the device was provisioned: our broker and userId, never the
  // obfuscated trace values.
  w.Key("firmware");
  w.StartObject();
  const JsonValue* firmware = find_member(system, "firmware");
  for (const char* name : {"version", "compileTime"}) {
    auto v = firmware ? protocol::string_member(*firmware, name) : std::nullopt;
    w.Key(name);
    put_string(w, v ? *v : std::string_view("1.0.0"));
  }
  if (auto encrypt = firmware ? int_member(*firmware, "encrypt") : std::nullopt) {
    w.Key("encrypt");
    w.Int64(*encrypt);
  }
  w.Key("wifiMac");
  put_string(w, "00:00:00:00:00:00");
  w.Key("innerIp");
  put_string(w, "127.0.0.1");
  w.Key("server");
  put_string(w, settings_.broker_host);
  w.Key("port");
  w.Int(settings_.broker_port);
  w.Key("userId");
  w.Uint64(settings_.user_id);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return text_of(b);
}

std::string Device::togglex_payload(bool) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  const auto item = [&](const ToggleChannel& c) {
    w.StartObject();
    w.Key("channel");
    w.Int(c.channel);
    w.Key("onoff");
    w.Int(c.onoff);
    w.Key("lmTime");
    w.Int64(c.lm_time);
    w.EndObject();
  };
  w.StartObject();
  if (togglex_dict_shape_ && toggles_.size() == 1) {
    // Old firmware: {"channel":0,"togglex":{...}} (meross-protocol.md §5.2).
    w.Key("channel");
    w.Int(toggles_[0].channel);
    w.Key("togglex");
    item(toggles_[0]);
  } else {
    w.Key("channel");
    w.Int64(protocol::kAllChannels32);
    w.Key("togglex");
    w.StartArray();
    for (const auto& c : toggles_)
      item(c);
    w.EndArray();
  }
  w.EndObject();
  return text_of(b);
}

std::string Device::togglex_push(const std::vector<int>& channels) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("togglex");
  w.StartArray();
  for (const auto& c : toggles_) {
    if (std::find(channels.begin(), channels.end(), c.channel) == channels.end()) continue;
    w.StartObject();
    w.Key("channel");
    w.Int(c.channel);
    w.Key("onoff");
    w.Int(c.onoff);
    w.Key("lmTime");
    w.Int64(c.lm_time);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return text_of(b);
}

std::string Device::light_payload() const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("light");
  w.StartObject();
  w.Key("capacity");
  w.Int(light_->capacity);
  w.Key("channel");
  w.Int(light_->channel);
  w.Key("rgb");
  w.Int64(light_->rgb);
  w.Key("temperature");
  w.Int(light_->temperature);
  w.Key("luminance");
  w.Int(light_->luminance);
  if (light_->has_onoff) {
    w.Key("onoff");
    w.Int(light_->onoff);
  }
  w.Key("transform");
  w.Int(light_->transform);
  w.EndObject();
  w.EndObject();
  return text_of(b);
}

std::string Device::garage_payload(bool as_list, int execute, int only_channel) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("state");
  if (as_list) w.StartArray();
  for (const auto& g : garages_) {
    if (only_channel >= 0 && g.channel != only_channel) continue;
    w.StartObject();
    w.Key("channel");
    w.Int(g.channel);
    w.Key("open");
    w.Int(g.open);
    w.Key("lmTime");
    w.Int64(g.lm_time);
    if (execute >= 0) {
      w.Key("execute");
      w.Int(execute);
    }
    w.EndObject();
    if (!as_list) break;
  }
  if (as_list) w.EndArray();
  w.EndObject();
  return text_of(b);
}

std::string Device::roller_position_payload() const {
  std::string body = R"({"position":[)";
  for (std::size_t i = 0; i < rollers_.size(); ++i) {
    if (i) body += ',';
    body += R"({"channel":)" + std::to_string(rollers_[i].channel) + R"(,"position":)" +
            std::to_string(static_cast<int>(std::lround(rollers_[i].position))) + "}";
  }
  return body + "]}";
}

std::string Device::roller_state_payload() const {
  std::string body = R"({"state":[)";
  for (std::size_t i = 0; i < rollers_.size(); ++i) {
    if (i) body += ',';
    body += R"({"channel":)" + std::to_string(rollers_[i].channel) + R"(,"state":)" +
            std::to_string(rollers_[i].state) + R"(,"stoppedBy":0})";
  }
  return body + "]}";
}

std::string Device::electricity_payload(std::int64_t) {
  const double load = load_watts();
  std::normal_distribution<double> noise(0.0, 1.0);
  const std::int64_t voltage = 2300 + static_cast<std::int64_t>(std::lround(noise(rng_) * 15.0));
  std::int64_t power = 0;
  std::int64_t current = 0;
  if (load > 0) {
    power = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::llround(load * 1000.0 * (1.0 + noise(rng_) * 0.02))));
    // mA = mW / V; voltage is in 0.1 V.
    current = static_cast<std::int64_t>(
        std::llround(static_cast<double>(power) * 10.0 / static_cast<double>(voltage)));
  }
  return R"({"electricity":{"channel":0,"current":)" + std::to_string(current) + R"(,"voltage":)" +
         std::to_string(voltage) + R"(,"power":)" + std::to_string(power) + R"(,"config":)" +
         consumption_config_ + "}}";
}

std::string Device::consumption_payload() const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("consumptionx");
  w.StartArray();
  for (const auto& day : days_) {
    w.StartObject();
    w.Key("date");
    put_string(w, day.date);
    w.Key("time");
    w.Int64(day.time);
    w.Key("value");
    w.Int64(static_cast<std::int64_t>(std::floor(day.wh)));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return text_of(b);
}

std::string Device::state_json(std::int64_t now_ms) const {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("type");
  put_string(w, type_);
  w.Key("connected");
  w.Bool(connected_);
  w.Key("bound");
  w.Bool(bound_);
  if (!toggles_.empty()) {
    w.Key("togglex");
    w.StartArray();
    for (const auto& c : toggles_) {
      w.StartObject();
      w.Key("channel");
      w.Int(c.channel);
      w.Key("onoff");
      w.Int(c.onoff);
      w.EndObject();
    }
    w.EndArray();
  }
  if (legacy_toggle_) {
    w.Key("toggle");
    w.Int(toggle_.onoff);
  }
  if (light_) {
    rapidjson::Document doc;
    doc.Parse(light_payload());
    w.Key("light");
    doc["light"].Accept(w);
  }
  if (!garages_.empty()) {
    w.Key("garageDoor");
    w.StartArray();
    for (const auto& g : garages_) {
      w.StartObject();
      w.Key("channel");
      w.Int(g.channel);
      w.Key("open");
      w.Int(g.open);
      w.Key("moving");
      w.Bool(g.moving);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!rollers_.empty()) {
    w.Key("rollerShutter");
    w.StartArray();
    for (const auto& r : rollers_) {
      w.StartObject();
      w.Key("channel");
      w.Int(r.channel);
      w.Key("position");
      w.Int(static_cast<int>(std::lround(r.position)));
      w.Key("state");
      w.Int(r.state);
      w.EndObject();
    }
    w.EndArray();
  }
  if (metering_) {
    w.Key("powerW");
    w.Double(load_watts());
    w.Key("todayWh");
    w.Double(std::floor(today_wh_));
  }
  w.Key("timezone");
  put_string(w, timezone_);
  w.Key("localDate");
  put_string(w, local_date(now_ms / 1000));
  w.Key("dndMode");
  w.Int(dnd_mode_);
  w.EndObject();
  return text_of(b);
}

// --- simulation -----------------------------------------------------------------------------

Device::ToggleChannel* Device::find_toggle(int channel) {
  for (auto& c : toggles_) {
    if (c.channel == channel) return &c;
  }
  return nullptr;
}

Device::GarageChannel* Device::find_garage(int channel) {
  for (auto& g : garages_) {
    if (g.channel == channel) return &g;
  }
  return nullptr;
}

Device::RollerChannel* Device::find_roller(int channel) {
  for (auto& r : rollers_) {
    if (r.channel == channel) return &r;
  }
  return nullptr;
}

bool Device::channel_on(int channel) const {
  for (const auto& c : toggles_) {
    if (c.channel == channel) return c.onoff != 0;
  }
  return false;
}

double Device::load_watts() const {
  if (!metering_) return 0;
  const bool on = legacy_toggle_ ? toggle_.onoff != 0 : channel_on(0);
  return on ? base_load_w_ : 0.0;
}

std::int32_t Device::local_offset(std::int64_t now_s) const {
  if (timezone_.empty() || time_rules_.empty()) return 0;
  std::int32_t offset = time_rules_.front().offset;
  for (const auto& rule : time_rules_) {
    if (rule.utc <= now_s) offset = rule.offset;
  }
  return offset;
}

std::string Device::local_date(std::int64_t now_s) const {
  using namespace std::chrono;
  const std::int64_t local = now_s + local_offset(now_s);
  const sys_days day{days{local >= 0 ? local / 86400 : (local - 86399) / 86400}};
  const year_month_day ymd{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

void Device::accumulate_energy(std::int64_t now_ms) {
  if (now_ms <= energy_last_ms_) return;
  const double dt_h = static_cast<double>(now_ms - energy_last_ms_) / 3'600'000.0;
  energy_last_ms_ = now_ms;
  if (!tmpl_->abilities.count("Appliance.Control.ConsumptionX")) return;
  const std::int64_t now_s = now_ms / 1000;
  const std::string today = local_date(now_s);
  auto it =
      std::find_if(days_.begin(), days_.end(), [&](const auto& d) { return d.date == today; });
  if (it == days_.end()) today_wh_ = 0;  // a new local day starts from zero
  const double before = today_wh_;
  today_wh_ += load_watts() * dt_h;
  // Devices list a day once it has at least 1 Wh; `time` is the last update within the day.
  if (std::floor(today_wh_) < 1 || std::floor(today_wh_) == std::floor(before)) return;
  if (it == days_.end()) {
    if (days_.size() >= 30) {
      days_.erase(std::min_element(days_.begin(), days_.end(),
                                   [](const auto& a, const auto& b) { return a.time < b.time; }));
    }
    days_.push_back(ConsumptionDay{today, now_s, today_wh_});
  } else {
    it->wh = today_wh_;
    it->time = now_s;
  }
}

void Device::start_garage(GarageChannel& door, int target, std::int64_t now_ms) {
  door.moving = true;
  door.target = target;
  door.done_at_ms = now_ms + tmpl_->garage_travel_ms;
}

void Device::start_roller(RollerChannel& roller, int target, std::int64_t now_ms,
                          std::vector<Outgoing>& pushes) {
  advance_rollers(now_ms, pushes);
  const int before = roller.state;
  if (target < 0) {
    roller.target = static_cast<int>(std::lround(roller.position));
    roller.state = 0;
  } else {
    roller.target = target;
    const double diff = target - roller.position;
    roller.state = diff > 0.5 ? 1 : diff < -0.5 ? 2 : 0;
  }
  roller.lm_time = now_ms / 1000;
  if (roller.state != before && connected_ && bound_) {
    pushes.push_back(make_push("Appliance.RollerShutter.State", roller_state_payload(), now_ms));
    if (roller.state == 0) {
      pushes.push_back(
          make_push("Appliance.RollerShutter.Position", roller_position_payload(), now_ms));
    }
  }
}

void Device::advance_rollers(std::int64_t now_ms, std::vector<Outgoing>& pushes) {
  const std::int64_t elapsed = now_ms - roller_last_ms_;
  if (elapsed <= 0) return;
  roller_last_ms_ = now_ms;
  const double step =
      100.0 * static_cast<double>(elapsed) / static_cast<double>(tmpl_->roller_travel_ms);
  for (auto& r : rollers_) {
    if (r.state == 0) continue;
    if (r.state == 1) {
      r.position = std::min<double>(r.target, r.position + step);
    } else {
      r.position = std::max<double>(r.target, r.position - step);
    }
    if (std::abs(r.position - r.target) < 1e-9) {
      r.state = 0;
      r.lm_time = now_ms / 1000;
      if (connected_ && bound_) {
        pushes.push_back(
            make_push("Appliance.RollerShutter.State", roller_state_payload(), now_ms));
        pushes.push_back(
            make_push("Appliance.RollerShutter.Position", roller_position_payload(), now_ms));
      }
    }
  }
}

std::optional<std::vector<Outgoing>> Device::press(std::optional<int> channel,
                                                   std::int64_t now_ms) {
  std::vector<Outgoing> out;
  const bool report = connected_ && bound_;
  accumulate_energy(now_ms);
  const std::int64_t now_s = now_ms / 1000;
  if (!channel) {
    if (!garages_.empty())
      channel = garages_[0].channel;
    else if (!toggles_.empty())
      channel = toggles_[0].channel;
    else if (!rollers_.empty())
      channel = rollers_[0].channel;
    else
      channel = 0;
  }
  if (GarageChannel* door = find_garage(*channel)) {
    start_garage(*door, door->moving ? door->open : 1 - door->open, now_ms);
    return out;  // the PUSH comes when the door stops
  }
  if (ToggleChannel* c = find_toggle(*channel)) {
    c->onoff = 1 - c->onoff;
    c->lm_time = now_s;
    if (report)
      out.push_back(make_push("Appliance.Control.ToggleX", togglex_push({c->channel}), now_ms));
    return out;
  }
  if (legacy_toggle_ && *channel == 0) {
    toggle_.onoff = 1 - toggle_.onoff;
    toggle_.lm_time = now_s;
    if (report) {
      out.push_back(make_push("Appliance.Control.Toggle",
                              R"({"toggle":{"onoff":)" + std::to_string(toggle_.onoff) +
                                  R"(,"lmTime":)" + std::to_string(toggle_.lm_time) + "}}",
                              now_ms));
    }
    return out;
  }
  if (light_ && light_->has_onoff && light_->channel == *channel) {
    light_->onoff = 1 - light_->onoff;
    if (report) out.push_back(make_push("Appliance.Control.Light", light_payload(), now_ms));
    return out;
  }
  if (RollerChannel* roller = find_roller(*channel)) {
    std::vector<Outgoing> pushes;
    const int target = roller->state != 0 ? -1 : (roller->position < 50 ? 100 : 0);
    start_roller(*roller, target, now_ms, pushes);
    if (report) out = std::move(pushes);
    return out;
  }
  return std::nullopt;
}

Outgoing Device::load_push(std::int64_t now_ms) {
  if (!toggles_.empty()) {
    std::vector<int> channels;
    for (const auto& c : toggles_)
      channels.push_back(c.channel);
    return make_push("Appliance.Control.ToggleX", togglex_push(channels), now_ms);
  }
  if (!garages_.empty())
    return make_push("Appliance.GarageDoor.State", garage_payload(true), now_ms);
  if (light_) return make_push("Appliance.Control.Light", light_payload(), now_ms);
  if (!rollers_.empty()) {
    return make_push("Appliance.RollerShutter.Position", roller_position_payload(), now_ms);
  }
  return make_push("Appliance.System.Online", R"({"online":{"status":1}})", now_ms);
}

}  // namespace meross::sim
