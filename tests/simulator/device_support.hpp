#pragma once

// Helpers of the device-model unit tests (device_test.cpp, thermostat_test.cpp, hub_test.cpp):
// devices from traces and built-in profiles, bound as a bridge binds them, and requests answered
// the way the reply rules of meross-protocol.md §1.5/§2.2 say. No broker, no clock.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "simulator/device.hpp"
#include "simulator/profiles.hpp"
#include "support/fixtures.hpp"

namespace meross::sim_test {

using protocol::Method;

inline constexpr std::int64_t kT0 = 1'750'000'000'000;  // 2025-06-15T15:06:40Z, in ms
inline constexpr const char* kKey = "sim-key";
inline constexpr const char* kReply = "/app/42-test/subscribe";

inline sim::DeviceSettings settings() {
  sim::DeviceSettings s;
  s.key = kKey;
  s.user_id = 42;
  s.bind_interval_ms = 1000;
  s.clock_interval_ms = 2000;
  s.broker_host = "127.0.0.1";
  s.broker_port = 18883;
  return s;
}

inline std::unique_ptr<sim::Device> trace_device(const std::string& fragment,
                                                 std::int64_t now = kT0) {
  const auto trace = test::load_trace(fragment);
  auto tmpl = sim::trace_template(trace, fragment);
  BOOST_REQUIRE_MESSAGE(tmpl.ok(), fragment);
  return std::make_unique<sim::Device>(*tmpl, trace.uuid, sim::trace_mac(trace, trace.uuid),
                                       settings(), now);
}

inline std::unique_ptr<sim::Device> builtin_device(const std::string& profile, int index = 0,
                                                   std::int64_t now = kT0) {
  auto tmpl = sim::builtin_template(profile);
  BOOST_REQUIRE(tmpl);
  const auto uuid = sim::builtin_uuid(profile, index);
  return std::make_unique<sim::Device>(*tmpl, uuid, sim::mac_from_uuid(uuid), settings(), now);
}

inline protocol::Message parse(const sim::Outgoing& out) {
  auto m = protocol::parse_message(out.payload);
  BOOST_REQUIRE_MESSAGE(m.ok(), (m.ok() ? std::string() : m.error().describe()));
  return std::move(m).value();
}

inline std::vector<protocol::Message> parse_all(const std::vector<sim::Outgoing>& out) {
  std::vector<protocol::Message> messages;
  for (const auto& o : out)
    messages.push_back(parse(o));
  return messages;
}

inline const protocol::Message* find_ns(const std::vector<protocol::Message>& messages,
                                        std::string_view ns) {
  for (const auto& m : messages) {
    if (m.header.ns == ns) return &m;
  }
  return nullptr;
}

inline std::string request(Method method, std::string_view ns, std::string_view payload,
                           std::int64_t now_ms, std::string_view key = kKey,
                           std::string_view from = kReply, std::string id = {}) {
  auto h = protocol::make_request_header(method, ns, from, key, now_ms / 1000, std::move(id));
  return protocol::serialize(h, payload);
}

// Connects the device and acknowledges its Bind as the bridge does (§1.5 pattern 1).
inline void bind(sim::Device& d, std::int64_t now_ms = kT0) {
  const auto boot = parse_all(d.connect(now_ms));
  const auto* bind_set = find_ns(boot, "Appliance.Control.Bind");
  BOOST_REQUIRE(bind_set);
  const auto ack = protocol::make_ack_header(bind_set->header, kKey, now_ms / 1000,
                                             "/appliance/" + d.uuid() + "/publish");
  const auto r = d.receive(protocol::serialize(ack, "{}"), now_ms);
  BOOST_REQUIRE(r.became_bound);
  BOOST_REQUIRE(d.bound());
}

// The single answer to a request, checked for the reply rules of §1.5/§2.2.
inline protocol::Message ask(sim::Device& d, Method method, std::string_view ns,
                             std::string_view payload, std::int64_t now_ms = kT0,
                             std::vector<protocol::Message>* pushes = nullptr) {
  const std::string id = protocol::new_message_id();
  const auto r = d.receive(request(method, ns, payload, now_ms, kKey, kReply, id), now_ms);
  std::vector<protocol::Message> answers;
  for (const auto& o : r.messages) {
    auto m = parse(o);
    if (o.topic == kReply) {
      answers.push_back(std::move(m));
    } else if (pushes) {
      BOOST_TEST(o.topic == d.publish_topic());
      pushes->push_back(std::move(m));
    }
  }
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  const auto& a = answers[0].header;
  BOOST_TEST(a.message_id == id);
  BOOST_TEST(a.ns == std::string(ns));
  BOOST_TEST(a.from == d.publish_topic());
  BOOST_TEST(protocol::verify_sign(a.message_id, kKey, a.timestamp, a.sign));
  return std::move(answers[0]);
}

// The payload of ask()'s answer, as JSON text.
inline std::string answer_text(sim::Device& d, Method method, std::string_view ns,
                               std::string_view payload) {
  return protocol::to_json(ask(d, method, ns, payload).payload());
}

inline rapidjson::Document json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE(!doc.HasParseError());
  return doc;
}

// GETs real firmware drops (device-families.md §0 rules 2–3), as the traces record them.
inline bool firmware_never_answers_get(std::string_view ns, std::string_view payload) {
  for (std::string_view dropped :
       {"Appliance.Control.Thermostat.Alarm", "Appliance.Control.PhysicalLock",
        "Appliance.Control.Sensor.HistoryX", "Appliance.Mcu.Upgrade", "Appliance.Mcu.Hp110.Preview",
        "Appliance.Hub.Exception", "Appliance.Hub.Report", "Appliance.Hub.SubdeviceList",
        // The map100 dropped the connection on each GET (read with a PUSH query).
        "Appliance.Control.FilterMaintenance",
        // Plugs list it but drop the connection on its GET (mss110, mss305; Config.OverTemp
        // answers).
        "Appliance.Control.OverTemp"}) {
    if (ns == dropped) return true;
  }
  // Its list form {"delay":[{"channel":0}]} is answered.
  return ns == "Appliance.Control.Thermostat.CompressorDelay" &&
         payload.find("\"delay\"") == std::string_view::npos;
}

inline std::int64_t error_code(const protocol::Message& m) {
  const auto* e = protocol::find_member(m.payload(), "error");
  return e ? protocol::int_member(*e, "code").value_or(-1) : -1;
}

// Everything a request caused: the answers to `from`, the PUSHes on the publish topic, and the
// warning (a request firmware never answers).
struct Exchange {
  std::vector<protocol::Message> answers;
  std::vector<protocol::Message> pushes;
  std::string warning;
};
inline Exchange exchange(sim::Device& d, Method method, std::string_view ns,
                         std::string_view payload, std::int64_t now_ms = kT0) {
  Exchange out;
  const auto r = d.receive(request(method, ns, payload, now_ms), now_ms);
  for (const auto& o : r.messages) {
    (o.topic == kReply ? out.answers : out.pushes).push_back(parse(o));
  }
  out.warning = r.warning;
  return out;
}

// A device of a template made here: a System.All and a System.Ability payload.
inline std::unique_ptr<sim::Device> template_device(std::string_view all, std::string_view ability,
                                                    std::int64_t now = kT0) {
  auto tmpl = sim::make_template("test", all, ability);
  BOOST_REQUIRE_MESSAGE(tmpl.ok(), (tmpl.ok() ? std::string() : tmpl.error().describe()));
  const auto uuid = sim::builtin_uuid("test", 0);
  return std::make_unique<sim::Device>(*tmpl, uuid, sim::mac_from_uuid(uuid), settings(), now);
}

// The live state (the `state` command's JSON) as a document.
inline rapidjson::Document state_of(const sim::Device& d, std::int64_t now_ms = kT0) {
  return json(d.state_json(now_ms));
}

}  // namespace meross::sim_test
