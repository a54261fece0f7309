#pragma once

// A DeviceRegistry fed by hand, with a clock the test moves, recording what it tells Home
// Assistant (the session and hostile-input unit tests).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "bridge/registry.hpp"
#include "bridge/session.hpp"
#include "device_messages.hpp"
#include "log_capture.hpp"
#include "protocol/envelope.hpp"
#include "protocol/namespaces.hpp"
#include "protocol/trace.hpp"

namespace meross::test {

// One publication of the registry, parsed when it is a Meross message.
struct Sent {
  bridge::Publication publication;
  protocol::Message message;
};

// The requests of `sent` with this namespace and method.
inline std::vector<const Sent*> requests_for(const std::vector<Sent>& sent, const std::string& ns,
                                             protocol::Method method = protocol::Method::Get) {
  std::vector<const Sent*> out;
  for (const auto& s : sent) {
    if (s.message.header.ns == ns && s.message.header.method == method) out.push_back(&s);
  }
  return out;
}

struct RegistryHarness {
  bridge::Config config;
  bridge::Topics topics;
  std::unique_ptr<bridge::DeviceRegistry> registry;
  bridge::Now now;
  std::vector<std::string> learned;                        // uuids whose profile was learned
  std::vector<std::pair<std::string, bool>> availability;  // (uuid, online)
  std::vector<std::string> device_messages;                // namespaces that reached HA
  std::vector<std::string> device_messages_from;           // "<uuid> <ns>", the same messages
  struct Listener final : bridge::DeviceListener {
    RegistryHarness& h;
    explicit Listener(RegistryHarness& harness) : h(harness) {}
    void profile_learned(const bridge::DeviceSession& s) override { h.learned.push_back(s.uuid()); }
    void availability_changed(const bridge::DeviceSession& s, bool online) override {
      h.availability.emplace_back(s.uuid(), online);
    }
    void device_message(const bridge::DeviceSession& s, const protocol::Message& m) override {
      h.device_messages.push_back(m.header.ns);
      h.device_messages_from.push_back(s.uuid() + " " + m.header.ns);
    }
  } listener{*this};

  RegistryHarness(const std::string& key, std::int64_t wall, const std::string& zone,
                  const std::function<void(bridge::Config&)>& tweak = {},
                  const std::function<void(bridge::RegistryOptions&)>& tweak_options = {})
      : now{bridge::TimePoint{} + std::chrono::seconds(1000), wall} {
    using namespace std::chrono_literals;
    config.key = key;
    config.timezone = zone;
    config.availability_timeout = 10s;
    if (tweak) tweak(config);
    topics = bridge::Topics::from_config(config);
    bridge::RegistryOptions options;
    options.request_timeout = 2s;
    options.host_timezone = "";
    if (tweak_options) tweak_options(options);
    registry = std::make_unique<bridge::DeviceRegistry>(config, topics, options, &listener);
  }

  void deliver(const std::string& topic, const std::string& payload) {
    registry->on_message(topic, payload, now);
  }
  void advance(std::chrono::milliseconds d) {
    now.mono += d;
    now.wall += std::chrono::duration_cast<std::chrono::seconds>(d).count();
    registry->tick(now);
  }
  // Everything published since the last call, parsed when it is a Meross message.
  std::vector<Sent> sent() {
    std::vector<Sent> out;
    for (auto& p : registry->take_outgoing()) {
      auto parsed = protocol::parse_message(p.payload);
      Sent s{p, {}};
      if (parsed.ok()) s.message = std::move(parsed).value();
      out.push_back(std::move(s));
    }
    return out;
  }
  const bridge::Counters& count() const { return registry->counters(); }

  // `dev` sends its Bind, dated `clock` (as firmware does on connecting), signed with `sign_key`
  // instead of its own key when one is given.
  void bind(const FakeDeviceIdentity& dev, std::int64_t clock, const std::string& message_id = {},
            const std::string* sign_key = nullptr) {
    deliver(dev.publish_topic(),
            dev.message(protocol::Method::Set, std::string(protocol::ns::kControlBind),
                        bind_payload(dev.uuid, clock), clock, message_id, sign_key));
  }
  // `dev` pushes `payload` under `ns`, dated `clock`, signed as `bind` signs.
  void push(const FakeDeviceIdentity& dev, const std::string& ns, const std::string& payload,
            std::int64_t clock, const std::string* sign_key = nullptr) {
    deliver(dev.publish_topic(),
            dev.message(protocol::Method::Push, ns, payload, clock, {}, sign_key));
  }
  // `dev` answers each discovery GET sent to it among `requests` with the trace's payload.
  void answer_discovery(const FakeDeviceIdentity& dev, const protocol::Trace& trace,
                        const std::vector<Sent>& requests, std::int64_t clock) {
    for (const auto& s : requests) {
      const auto& h = s.message.header;
      if (s.publication.topic != dev.subscribe_topic() || h.method != protocol::Method::Get)
        continue;
      const std::string& payload =
          h.ns == protocol::ns::kSystemAbility ? trace.ability_json : trace.all_json;
      deliver(dev.publish_topic(), dev.reply(h, payload, clock));
    }
  }
  // `dev` binds, is asked once for its abilities and once for everything (System.All), and
  // answers both with the trace's payloads; its clock at `clock`.
  void bind_and_discover(const FakeDeviceIdentity& dev, const protocol::Trace& trace,
                         std::int64_t clock) {
    bind(dev, clock);
    const auto asked = sent();
    BOOST_REQUIRE(requests_for(asked, std::string(protocol::ns::kSystemAbility)).size() == 1u);
    BOOST_REQUIRE(requests_for(asked, std::string(protocol::ns::kSystemAll)).size() == 1u);
    answer_discovery(dev, trace, asked, clock);
  }
};

// How most registry cases begin: a device bound and discovered by the test file's own
// bind_and_discover(harness, device) (found by argument-dependent lookup), with what is logged
// captured from the start.
template <class Harness, class Device>
struct Discovered {
  Discovered() { bind_and_discover(h, d); }
  LogCapture logs;
  Harness h;
  Device d;
  const FakeDeviceIdentity& dev = d.device;
};

}  // namespace meross::test
