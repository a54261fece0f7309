#include "simulator/device.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pairing/crypto.hpp"
#include "pairing/requests.hpp"
#include "protocol/json.hpp"
#include "protocol/namespaces.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"
#include "simulator/family.hpp"

namespace meross::sim {

using detail::Answer;
using detail::error_answer;
using detail::fnv1a;
using protocol::find_member;
using protocol::int_member;
using protocol::JsonValue;
using protocol::Method;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

namespace {

namespace ns = meross::protocol::ns;

std::string text_of(const rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

void put_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
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
  const JsonValue& system = tmpl_->all["all"]["system"];
  type_ = std::string(*protocol::string_member(*find_member(system, "hardware"), "type"));
  if (const JsonValue* time = find_member(system, "time")) {
    if (auto zone = protocol::string_member(*time, "timezone")) clock_.timezone = *zone;
    if (const JsonValue* rules = find_member(*time, "timeRule")) {
      if (auto parsed = protocol::parse_time_rules(*rules)) clock_.rules = *parsed;
    }
  }
  ecdhe_ = tmpl_->abilities.count(ns::kEncryptECDHE) != 0;
  state_.SetObject();
  detail::Context ctx = context(now_ms);
  for (const detail::Family* f : detail::families()) {
    if (f->seed) f->seed(ctx);
  }
}

std::string Device::mqtt_password() const {
  return protocol::device_mqtt_password(mac_, settings_.key, settings_.user_id);
}

detail::Context Device::context(std::int64_t now_ms) {
  return detail::Context{state_, *tmpl_, clock_, rng_, uuid_, now_ms};
}

void Device::advance(detail::Context& ctx) {
  for (const detail::Family* f : detail::families()) {
    if (f->advance) f->advance(ctx);
  }
}

void Device::flush(detail::Context& ctx, std::vector<Outgoing>& out) const {
  if (connected_ && bound_) {
    for (auto& p : ctx.pushes)
      out.push_back(make_push(p.ns, std::move(p.payload), ctx.now_ms));
  }
  ctx.pushes.clear();
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

std::vector<Outgoing> Device::connect(std::int64_t now_ms) {
  connected_ = true;
  bound_ = false;
  std::vector<Outgoing> out;
  send_bind(now_ms, out);
  if (tmpl_->abilities.count(ns::kSystemClock)) {
    clock_pending_ = true;
    send_clock(now_ms, out);
  }
  // Boot PUSHes go out before the Bind is acknowledged, as firmware sends them.
  detail::Context ctx = context(now_ms);
  for (const detail::Family* f : detail::families()) {
    if (f->connect) f->connect(ctx);
  }
  for (auto& p : ctx.pushes)
    out.push_back(make_push(p.ns, std::move(p.payload), now_ms));
  return out;
}

void Device::send_bind(std::int64_t now_ms, std::vector<Outgoing>& out) {
  out.push_back(make_push(
      "Appliance.System.Report",
      R"({"report":[{"type":"1","value":"0","timestamp":)" + std::to_string(now_ms / 1000) + "}]}",
      now_ms));
  out.push_back(make_message(Method::Set, ns::kControlBind, bind_payload(now_ms), now_ms, {},
                             subscribe_topic_));
  next_bind_ms_ = now_ms + settings_.bind_interval_ms;
}

void Device::send_clock(std::int64_t now_ms, std::vector<Outgoing>& out) {
  out.push_back(make_push(ns::kSystemClock,
                          R"({"clock":{"timestamp":)" + std::to_string(now_ms / 1000) + "}}",
                          now_ms));
  next_clock_ms_ = now_ms + settings_.clock_interval_ms;
}

void Device::disconnect() {
  connected_ = false;
  bound_ = false;
  clock_pending_ = false;
}

std::vector<Outgoing> Device::tick(std::int64_t now_ms) {
  std::vector<Outgoing> out;
  detail::Context ctx = context(now_ms);
  advance(ctx);
  if (connected_ && !bound_ && now_ms >= next_bind_ms_) send_bind(now_ms, out);
  if (connected_ && clock_pending_ && now_ms >= next_clock_ms_) send_clock(now_ms, out);
  flush(ctx, out);
  return out;
}

Reaction Device::handle_handshake(const protocol::Message& message, std::int64_t now_ms) {
  Reaction r;
  const auto& h = message.header;
  if (h.ns == ns::kControlBind) {
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
    Outgoing push =
        make_push(ns::kSystemClock,
                  R"({"clock":{"timestamp":)" + std::to_string(now_ms / 1000) + "}}", now_ms);
    if (!h.from.empty() && h.from != publish_topic_) {
      push = make_message(Method::Push, ns::kSystemClock,
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
  detail::Context ctx = context(now_ms);
  advance(ctx);

  if (h.ns == ns::kControlBind || (h.ns == ns::kSystemClock && h.method == Method::Push)) {
    r = handle_handshake(message, now_ms);
    flush(ctx, r.messages);
    return r;
  }
  if (h.ns == ns::kControlConsumptionConfig && h.method == Method::Push)
    return r;  // the echo at connect
  if (!bound_) {
    r.problem = "not bound yet: " + h.ns + " ignored";
    return r;
  }
  if (h.method == Method::GetAck || h.method == Method::SetAck || h.method == Method::Error) {
    r.problem = "unexpected " + std::string(protocol::to_string(h.method)) + " ignored";
    flush(ctx, r.messages);
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
    flush(ctx, r.messages);
    return r;
  }
  std::optional<Answer> a = dispatch(ctx, h.method, h.ns, message.payload());
  if (!answer) r.problem = "request without from: not answered";
  if (a && answer) reply(*a);
  r.warning = std::move(ctx.warning);
  apply_pending_config(now_ms);
  flush(ctx, r.messages);
  return r;
}

// --- namespaces -----------------------------------------------------------------------------

std::optional<Answer> Device::dispatch(detail::Context& ctx, Method method, const std::string& ns,
                                       const JsonValue& payload) {
  const bool get = method == Method::Get;
  if (ns == "Appliance.Control.Multiple" && method == Method::Set) return multiple(ctx, payload);

  // Every firmware takes Config.Key (it is how a device is paired), listed or not.
  if (ns == ns::kConfigKey) {
    return method == Method::Set ? config_key(payload) : detail::bad_payload();
  }
  if (!tmpl_->abilities.count(ns)) return error_answer(5000, "unknown namespace");

  if (ns == "Appliance.System.All" && get) return Answer{Method::GetAck, all_payload(ctx.now_ms)};
  if (ns == "Appliance.System.Ability" && get) return Answer{Method::GetAck, tmpl_->ability_json};
  if ((ns == "Appliance.System.Hardware" || ns == "Appliance.System.Firmware") && get) {
    rapidjson::Document doc;
    doc.Parse(all_payload(ctx.now_ms));
    const char* key = ns == "Appliance.System.Hardware" ? "hardware" : "firmware";
    const JsonValue* value = find_member(doc["all"]["system"], key);
    return Answer{Method::GetAck, std::string("{\"") + key +
                                      "\":" + (value ? protocol::to_json(*value) : "{}") + "}"};
  }
  if (const detail::Family* family = detail::family_for(ns)) {
    return family->handle(ctx, method, ns, payload);
  }
  // Anything else the device has: its recorded answer, else an empty one.
  return detail::recorded_answer(ctx, method, ns, payload);
}

// Each inner request is answered inside the SETACK (meross-protocol.md §5.16).
Answer Device::multiple(detail::Context& ctx, const JsonValue& payload) {
  const JsonValue* list = find_member(payload, "multiple");
  if (!list || !list->IsArray()) return detail::bad_payload();
  const std::int64_t now_s = ctx.now_ms / 1000;
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
    auto inner_answer = dispatch(ctx, *inner_method, inner_ns_text, *inner);
    if (!inner_answer) continue;
    protocol::Header ih;
    ih.message_id = inner_id ? std::string(*inner_id) : std::string();
    ih.ns = inner_ns_text;
    ih.method = inner_answer->method;
    ih.from = publish_topic_;
    ih.timestamp = now_s;
    ih.timestamp_ms = ctx.now_ms % 1000;
    ih.sign = protocol::compute_sign(ih.message_id, settings_.key, now_s);
    if (!first) body += ',';
    first = false;
    body += protocol::serialize(ih, inner_answer->payload);
  }
  body += "]}";
  return Answer{Method::SetAck, std::move(body)};
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
  detail::Context ctx = context(now_ms);
  advance(ctx);
  std::optional<Answer> a;
  if (!protocol::verify_sign(h.message_id, settings_.key, h.timestamp, h.sign)) {
    r.problem = "bad signature on " + h.ns;
    a = error_answer(5001, "sign error");
  } else if (h.method == Method::GetAck || h.method == Method::SetAck ||
             h.method == Method::Error) {
    a = error_answer(5000, "unexpected method");
  } else if (ecdhe_ && h.ns == ns::kEncryptECDHE) {
    a = h.method == Method::Set && !tmpl_->static_key ? ecdhe_exchange(message.payload())
                                                      : error_answer(5000, "invalid payload");
  } else if (ecdhe_ && h.ns == ns::kEncryptSuite && h.method == Method::Get) {
    a = Answer{Method::GetAck, R"({"suite":{"ka":"ecdhe256","se":"mrskey","ds":""}})"};
  } else {
    a = dispatch(ctx, h.method, h.ns, message.payload());
  }
  r.warning = std::move(ctx.warning);
  if (!a) {
    r.problem = "nothing to answer to " + std::string(protocol::to_string(h.method)) + " " + h.ns;
    return r;
  }
  std::string reply =
      make_message(a->method, h.ns, std::move(a->payload), now_ms, h.message_id).payload;
  apply_pending_config(now_ms);
  r.body = reply_key ? pairing::base64_encode(pairing::aes_zero_pad_encrypt(reply, *reply_key))
                     : std::move(reply);
  flush(ctx, r.messages);
  return r;
}

Answer Device::ecdhe_exchange(const JsonValue& payload) {
  const JsonValue* e = find_member(payload, "ecdhe");
  const auto pubkey = e ? protocol::string_member(*e, "pubkey") : std::nullopt;
  if (!pubkey) return error_answer(5000, "invalid payload");
  const pairing::EcdhKey own;
  auto session = own.session_key(*pubkey);
  if (!session) return error_answer(5000, "invalid public key");
  session_key_ = std::move(*session);
  return Answer{Method::SetAck, R"({"ecdhe":{"pubkey":")" + own.public_key_base64() + R"("}})"};
}

Answer Device::config_key(const JsonValue& payload) {
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

std::string Device::all_payload(std::int64_t now_ms) const {
  rapidjson::Document doc;
  doc.CopyFrom(tmpl_->all, doc.GetAllocator());
  auto& alloc = doc.GetAllocator();
  JsonValue* all = detail::member(doc, "all");
  JsonValue* system = all ? detail::member(*all, "system") : nullptr;
  if (JsonValue* hardware = system ? detail::member(*system, "hardware") : nullptr) {
    detail::set_string(*hardware, "uuid", uuid_, alloc);
    detail::set_string(*hardware, "macAddress", mac_, alloc);
  }
  if (JsonValue* firmware = system ? detail::member(*system, "firmware") : nullptr;
      firmware && tmpl_->fill_firmware) {
    detail::set_string(*firmware, "server", settings_.broker_host, alloc);
    detail::set_int(*firmware, "port", settings_.broker_port, alloc);
    detail::set_int(*firmware, "userId", static_cast<std::int64_t>(settings_.user_id), alloc);
  }
  if (JsonValue* time = system ? detail::member(*system, "time") : nullptr;
      time && time->IsObject()) {
    rapidjson::Document live;
    live.Parse(clock_.time_object(now_ms));
    time->CopyFrom(live, alloc);
  }
  if (all && all->IsObject()) {
    const detail::View view{state_, *tmpl_, clock_, now_ms};
    for (const detail::Family* f : detail::families()) {
      if (f->digest) f->digest(view, *all, alloc);
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
  const std::string time = clock_.time_object(now_ms);
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

// --- simulation -----------------------------------------------------------------------------

std::optional<std::vector<Outgoing>> Device::press(std::optional<int> channel,
                                                   std::int64_t now_ms) {
  detail::Context ctx = context(now_ms);
  advance(ctx);
  bool pressed = false;
  for (const detail::Family* f : detail::families()) {
    if (f->press && f->press(ctx, channel)) {
      pressed = true;
      break;
    }
  }
  std::vector<Outgoing> out;
  flush(ctx, out);  // time's PUSHes too, as tick would have sent them
  if (!pressed) return std::nullopt;
  return out;
}

CommandResult Device::command(const std::vector<std::string>& words, std::int64_t now_ms) {
  CommandResult result;
  detail::Context ctx = context(now_ms);
  advance(ctx);
  std::optional<std::string> outcome;
  for (const detail::Family* f : detail::families()) {
    if (f->command && (outcome = f->command(ctx, words))) break;
  }
  if (!outcome) {
    result.error = words.size() > 1 ? "no sub-device or channel '" + words[1] + "' takes '" +
                                          words[0] + "' on this device"
                                    : "nothing on this device takes that command";
  } else {
    result.error = std::move(*outcome);
  }
  flush(ctx, result.messages);
  return result;
}

Outgoing Device::load_push(std::int64_t now_ms) {
  detail::Context ctx = context(now_ms);
  for (const detail::Family* f : detail::families()) {
    if (f->load_push && f->load_push(ctx) && !ctx.pushes.empty()) {
      return make_push(ctx.pushes.front().ns, std::move(ctx.pushes.front().payload), now_ms);
    }
  }
  return make_push("Appliance.System.Online", R"({"online":{"status":1}})", now_ms);
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
  const detail::View view{state_, *tmpl_, clock_, now_ms};
  for (const detail::Family* f : detail::families()) {
    if (f->summary) f->summary(view, w);
  }
  w.EndObject();
  return text_of(b);
}

}  // namespace meross::sim
