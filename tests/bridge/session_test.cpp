#include <cctype>

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "bridge/daemon.hpp"
#include "bridge/registry.hpp"
#include "bridge/session.hpp"
#include "device_messages.hpp"
#include "log_capture.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"
#include "registry_harness.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::bridge;
using namespace std::chrono_literals;
using protocol::Method;

namespace {

constexpr std::int64_t kWall = 1750000000;  // 2025-06-15
const std::string kKey = "sekrit-device-key";

using test::requests_for;
using test::Sent;

struct Harness : test::RegistryHarness {
  explicit Harness(const std::string& zone = "Australia/Sydney",
                   const std::function<void(Config&)>& tweak = {},
                   const std::function<void(RegistryOptions&)>& tweak_options = {})
      : RegistryHarness(kKey, kWall, zone, tweak, tweak_options) {}
};

const Sent* publication_on(const std::vector<Sent>& sent, const std::string& topic) {
  for (const auto& s : sent) {
    if (s.publication.topic == topic) return &s;
  }
  return nullptr;
}

std::string upper_case_copy(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The mss310 trace: its uuid, GETACK payloads of System.All and System.Ability.
struct Mss310 {
  protocol::Trace trace = meross::test::load_trace("Kpippo-mss310.csv");
  test::FakeDeviceIdentity device{trace.uuid, kKey};
};

void bind_and_discover(Harness& h, const Mss310& d) {
  h.bind_and_discover(d.device, d.trace, kWall);
}

// How most cases begin: one mss310 bound and discovered.
using DiscoveredPlug = test::Discovered<Harness, Mss310>;

}  // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(made_up_uuids_cannot_grow_the_registry_past_its_bound) {
  const std::string configured = "0123456789abcdef0123456789abcd99";
  Harness h(
      "Australia/Sydney",
      [&](Config& c) {
        DeviceConfig d;
        d.uuid = configured;
        c.devices.push_back(d);
      },
      [](RegistryOptions& o) { o.max_devices = 2; });
  const auto bind = [&](const std::string& uuid) {
    const test::FakeDeviceIdentity device{uuid, kKey};
    h.deliver(device.publish_topic(), device.message(Method::Set, "Appliance.Control.Bind",
                                                     test::bind_payload(uuid, kWall), kWall));
    return publication_on(h.sent(), device.subscribe_topic()) != nullptr;  // the SETACK
  };
  BOOST_TEST(bind("0123456789abcdef0123456789abcd01"));
  BOOST_TEST(bind("0123456789abcdef0123456789abcd02"));
  const auto ignored = h.count().ignored;
  BOOST_TEST(!bind("0123456789abcdef0123456789abcd03"));
  BOOST_TEST(h.count().ignored == ignored + 1);
  BOOST_TEST(bind(configured));  // named in the configuration: always served
}

BOOST_AUTO_TEST_CASE(requests_ask_for_answers_on_the_devices_own_publish_topic) {
  // A broker that confines each device to its own topics lets an answer through only there.
  Harness h;
  const test::FakeDeviceIdentity dev{"2301234567890123456748e1e9c4b296", kKey};
  h.bind(dev, kWall);
  auto sent = h.sent();
  const auto gets = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(gets.size() == 1u);
  BOOST_TEST(gets[0]->message.header.from == "/appliance/" + dev.uuid + "/publish");
  BOOST_TEST(gets[0]->message.header.from.size() <= 60u);  // meross-protocol.md §2.2
  const auto acks = requests_for(sent, "Appliance.Control.Bind", Method::SetAck);
  BOOST_REQUIRE(acks.size() == 1u);
  BOOST_TEST(acks[0]->message.header.from == dev.publish_topic());
  BOOST_TEST(!acks[0]->publication.expires.has_value());  // answers are not requests
  // A request made for Home Assistant, and its answer on the device's topic.
  const auto id =
      h.registry->request(dev.uuid, Method::Get, "Appliance.Control.ToggleX", "{}", h.now);
  BOOST_REQUIRE(id);
  sent = h.sent();
  const auto toggle = requests_for(sent, "Appliance.Control.ToggleX");
  BOOST_REQUIRE(toggle.size() == 1u);
  BOOST_TEST(toggle[0]->publication.topic == dev.subscribe_topic());
  BOOST_TEST(toggle[0]->message.header.from == dev.publish_topic());
  // A link that cannot send it before the request's deadline drops it: never a late command.
  BOOST_REQUIRE(toggle[0]->publication.expires.has_value());
  BOOST_TEST((*toggle[0]->publication.expires > h.now.mono));
  BOOST_TEST((*toggle[0]->publication.expires <= h.now.mono + std::chrono::seconds(5)));
  const auto pending = h.registry->find(dev.uuid)->pending_requests();
  h.deliver(dev.publish_topic(), dev.reply(toggle[0]->message.header, "{}", h.now.wall));
  BOOST_TEST(h.registry->find(dev.uuid)->pending_requests() == pending - 1);
  BOOST_TEST(h.count().unmatched_replies == 0u);

  Config c;
  const auto t = Topics::from_config(c);
  BOOST_TEST(t.bridge_availability == "meross/bridge/availability");
  BOOST_TEST(t.device_availability("abc") == "meross/abc/availability");
}

BOOST_AUTO_TEST_CASE(a_bind_naming_a_topic_not_its_own_is_ignored) {
  // `from` is the device's word (and a replayed signature can come with any header): the bridge
  // writes only to the device's own topics, and a Bind that names any other is ignored with a
  // log line and a counter (issue 16).
  meross::test::LogCapture logs;
  Harness h;
  const test::FakeDeviceIdentity dev{"2301234567890123456748e1e9c4b296", kKey};
  const test::FakeDeviceIdentity other{"2301234567890123456748e1e9c4b297", kKey};
  const std::string own = "/appliance/" + dev.uuid + "/";
  struct Case {
    std::string from;
    std::string answered_on;  // "" = ignored
  };
  const std::vector<Case> cases = {
      {dev.subscribe_topic(), dev.subscribe_topic()},
      {dev.publish_topic(), dev.publish_topic()},
      {own + "ack", own + "ack"},
      {"homeassistant/device/meross_" + dev.uuid + "/config", ""},
      {"meross/bridge/availability", ""},
      {"meross/" + dev.uuid + "/switch_0/set", ""},
      {other.subscribe_topic(), ""},
      {other.publish_topic(), ""},
      {"/appliance/" + dev.uuid + "0/subscribe", ""},
      {own + "subscribe/deeper", ""},
      {own + "#", ""},
      {own + "+", ""},
      {own, ""},
      {"/appliance/" + upper_case_copy(dev.uuid) + "/subscribe", ""},
      {"", ""},
  };
  int n = 0;
  std::uint64_t ignored = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("from = " << c.from) {
      auto header = protocol::make_request_header(Method::Set, "Appliance.Control.Bind", c.from,
                                                  kKey, kWall + n, {});
      ++n;
      header.uuid = dev.uuid;
      h.deliver(dev.publish_topic(),
                protocol::serialize(header, test::bind_payload(dev.uuid, kWall)));
      const auto sent = h.sent();
      const auto acks = requests_for(sent, "Appliance.Control.Bind", Method::SetAck);
      if (c.answered_on.empty()) {
        ++ignored;
        BOOST_TEST(sent.empty());
        BOOST_TEST(h.count().misaddressed == ignored);
        continue;
      }
      BOOST_REQUIRE(acks.size() == 1u);
      BOOST_TEST(acks[0]->publication.topic == c.answered_on);
      BOOST_TEST(acks[0]->message.header.message_id == header.message_id);
      BOOST_TEST(acks[0]->message.header.from == dev.publish_topic());
      for (const auto& s : sent) {
        BOOST_TEST(!s.publication.topic.starts_with("homeassistant/"));
        BOOST_TEST(s.publication.topic.find(other.uuid) == std::string::npos);
      }
    }
  }
  BOOST_TEST(logs.count("ignored a Bind whose reply topic") + logs.count("names another device") >=
             1u);
}

BOOST_AUTO_TEST_CASE(an_answer_counts_for_the_device_its_topic_names) {
  // The topic is the sender's identity: an answer that names one device in its header but
  // arrives on another's topic answers nothing of the first.
  Harness h;
  const test::FakeDeviceIdentity a{"2301234567890123456748e1e9c4b296", kKey};
  const test::FakeDeviceIdentity b{"2301234567890123456748e1e9c4b297", kKey};
  for (const auto* dev : {&a, &b}) {
    h.bind(*dev, kWall);
  }
  const auto sent = h.sent();
  const Sent* all_of_a = nullptr;
  for (const auto* get : requests_for(sent, "Appliance.System.All")) {
    if (get->publication.topic == a.subscribe_topic()) all_of_a = get;
  }
  BOOST_REQUIRE(all_of_a);
  const auto pending_a = h.registry->find(a.uuid)->pending_requests();
  auto header = all_of_a->message.header;
  h.deliver(b.publish_topic(), a.reply(header, "{}", h.now.wall));
  BOOST_TEST(h.count().unmatched_replies == 1u);
  BOOST_TEST(h.registry->find(a.uuid)->pending_requests() == pending_a);
  h.deliver(a.publish_topic(), a.reply(header, "{}", h.now.wall));
  BOOST_TEST(h.registry->find(a.uuid)->pending_requests() == pending_a - 1);
}

BOOST_FIXTURE_TEST_CASE(losing_the_device_broker_takes_devices_offline_and_its_return_probes_them,
                        DiscoveredPlug) {
  const auto discovered = h.sent();
  for (const auto* set : requests_for(discovered, "Appliance.System.Time", Method::Set))
    h.deliver(d.device.publish_topic(), d.device.reply(set->message.header, "{}", h.now.wall));
  // A device that went silent earlier: offline, and not the broker's doing.
  const test::FakeDeviceIdentity gone{"2301234567890123456748e1e9c4b296", kKey};
  h.push(gone, "Appliance.System.Online", R"({"online":{"status":1}})", h.now.wall);
  // (Never discovered, it is dropped once offline: it has no session left to probe.)
  const auto gone_online = [&] {
    const auto* session = h.registry->find(gone.uuid);
    return session && session->online();
  };
  for (int i = 0; i < 10 && gone_online(); ++i) {
    h.advance(2s);
    for (const auto& s : h.sent()) {
      if (s.publication.topic == d.device.subscribe_topic() &&
          s.message.header.method == Method::Get) {
        h.deliver(d.device.publish_topic(),
                  d.device.reply(s.message.header, d.trace.all_json, h.now.wall));
      }
    }
  }
  BOOST_REQUIRE(!gone_online());
  BOOST_REQUIRE(h.registry->find(d.device.uuid)->online());
  h.sent();
  h.availability.clear();

  h.registry->devices_unreachable();
  auto sent = h.sent();
  const auto* offline = publication_on(sent, "meross/" + d.device.uuid + "/availability");
  BOOST_REQUIRE(offline);
  BOOST_TEST(offline->publication.payload == "offline");
  BOOST_TEST(offline->publication.retain);
  BOOST_TEST(sent.size() == 1u);  // nothing sent to a device that cannot be reached
  BOOST_TEST(h.registry->devices_online() == 0u);
  BOOST_REQUIRE(h.availability.size() == 1u);
  BOOST_TEST(!h.availability[0].second);
  h.registry->devices_unreachable();
  BOOST_TEST(h.sent().empty());

  // Back: one probe for the device the outage took, none for the one that was gone already.
  h.registry->devices_reachable(h.now);
  sent = h.sent();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].publication.topic == d.device.subscribe_topic());
  BOOST_TEST(sent[0].message.header.ns == "Appliance.System.All");
  BOOST_TEST((sent[0].message.header.method == Method::Get));
  BOOST_TEST(sent[0].message.header.from == d.device.publish_topic());
  // Reconnected again before it answered: the probe is still pending, no second one.
  h.registry->devices_reachable(h.now);
  BOOST_TEST(h.sent().empty());

  h.deliver(d.device.publish_topic(),
            d.device.reply(sent[0].message.header, d.trace.all_json, h.now.wall));
  sent = h.sent();
  const auto* online = publication_on(sent, "meross/" + d.device.uuid + "/availability");
  BOOST_REQUIRE(online);
  BOOST_TEST(online->publication.payload == "online");
  BOOST_TEST(h.registry->find(d.device.uuid)->online());
  // Re-learned as after any time offline.
  BOOST_TEST(requests_for(sent, "Appliance.System.Ability").size() == 1u);
  // Heard again: a later reconnect of the link probes nothing.
  h.registry->devices_reachable(h.now);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").empty());
}

BOOST_FIXTURE_TEST_CASE(a_probe_lost_to_another_outage_is_sent_again, DiscoveredPlug) {
  h.sent();
  h.registry->devices_unreachable();
  h.registry->devices_reachable(h.now);
  BOOST_REQUIRE(requests_for(h.sent(), "Appliance.System.All").size() == 1u);
  // The link drops again; the probe runs out of attempts unanswered.
  h.registry->devices_unreachable();
  for (int i = 0; i < 4; ++i)
    h.advance(2s);
  h.sent();
  BOOST_TEST(!h.registry->find(d.device.uuid)->online());
  h.registry->devices_reachable(h.now);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").size() == 1u);
}

BOOST_AUTO_TEST_CASE(devices_of_one_model_share_one_ability_list_and_digest_layout) {
  // A few kB per device otherwise: 5,000 plugs of one model hold one list.
  Harness h;
  Mss310 first;
  Mss310 second;
  second.device = test::FakeDeviceIdentity{"0123456789abcdef0123456789abcdef", kKey};
  bind_and_discover(h, first);
  bind_and_discover(h, second);
  const auto* a = h.registry->find(first.device.uuid);
  const auto* b = h.registry->find(second.device.uuid);
  BOOST_REQUIRE(a && a->profile() && a->profile_complete());
  BOOST_REQUIRE(b && b->profile() && b->profile_complete());
  BOOST_TEST(a->profile()->abilities.size() > 10u);
  BOOST_TEST(a->profile()->abilities.shares_with(b->profile()->abilities));
  BOOST_TEST(a->profile()->has_digest("togglex"));
  BOOST_TEST(a->profile()->digest == b->profile()->digest);  // one layout, not two equal ones
  BOOST_TEST(a->settings().key == b->settings().key);        // one copy of the account key
}

BOOST_AUTO_TEST_CASE(requests_sent_before_the_bind_go_out_again_right_after_its_ack) {
  // Devices report (System.Report) before they bind, and ignore requests until their Bind is
  // acknowledged: the discovery GETs of that first contact went unheard, and must not wait a
  // request timeout to be asked again.
  Harness h;
  Mss310 d;
  h.push(d.device, "Appliance.System.Report",
         R"({"report":[{"type":"1","value":"0","timestamp":1750000000}]})", kWall);
  const auto first = h.sent();
  const auto ability = requests_for(first, "Appliance.System.Ability");
  const auto all = requests_for(first, "Appliance.System.All");
  BOOST_REQUIRE(ability.size() == 1u);
  BOOST_REQUIRE(all.size() == 1u);

  h.bind(d.device, kWall);
  const auto after = h.sent();
  BOOST_REQUIRE(!after.empty());
  BOOST_TEST(after.front().message.header.ns == "Appliance.Control.Bind");  // the ack first
  BOOST_TEST((after.front().message.header.method == Method::SetAck));
  const auto ability_again = requests_for(after, "Appliance.System.Ability");
  const auto all_again = requests_for(after, "Appliance.System.All");
  BOOST_REQUIRE(ability_again.size() == 1u);
  BOOST_REQUIRE(all_again.size() == 1u);
  // Same ids: an answer to either attempt matches.
  BOOST_TEST(ability_again[0]->message.header.message_id == ability[0]->message.header.message_id);
  BOOST_TEST(all_again[0]->message.header.message_id == all[0]->message.header.message_id);

  // Answered at once: the profile is learned with no retry and no timeout.
  h.deliver(d.device.publish_topic(),
            d.device.reply(ability_again[0]->message.header, d.trace.ability_json, h.now.wall));
  h.deliver(d.device.publish_topic(),
            d.device.reply(all_again[0]->message.header, d.trace.all_json, h.now.wall));
  BOOST_TEST(h.learned.size() == 1u);
  BOOST_TEST(h.count().request_retries == 0u);
}

BOOST_AUTO_TEST_CASE(bind_gets_a_signed_setack_and_starts_discovery) {
  // The real msl120d Bind (envelope_test.cpp), signed with the configured key.
  Harness h;
  const test::FakeDeviceIdentity dev{"2301234567890123456748e1e9c4b296", kKey};
  const std::string bind =
      dev.message(Method::Set, "Appliance.Control.Bind", test::bind_payload(dev.uuid, kWall - 5),
                  kWall - 5, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  h.deliver(dev.publish_topic(), bind);
  const auto sent = h.sent();

  const auto acks = requests_for(sent, "Appliance.Control.Bind", Method::SetAck);
  BOOST_REQUIRE(acks.size() == 1u);
  const auto& ack = *acks[0];
  BOOST_TEST(&ack == &sent.front());  // before any request: unbound devices may ignore those
  BOOST_TEST(ack.publication.topic == dev.subscribe_topic());  // the Bind's `from`
  BOOST_TEST(!ack.publication.retain);
  BOOST_TEST(ack.message.header.message_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  BOOST_TEST(ack.message.header.timestamp == kWall);  // fresh, not the device's
  BOOST_TEST(
      protocol::verify_sign(ack.message.header.message_id, kKey, kWall, ack.message.header.sign));
  BOOST_TEST(ack.message.payload().ObjectEmpty());

  for (const char* ns : {"Appliance.System.Ability", "Appliance.System.All"}) {
    const auto gets = requests_for(sent, ns);
    BOOST_REQUIRE_MESSAGE(gets.size() == 1u, ns);
    const auto& g = gets[0]->message.header;
    BOOST_TEST(gets[0]->publication.topic == dev.subscribe_topic());
    BOOST_TEST(g.from == dev.publish_topic());  // the device answers where it may publish
    BOOST_TEST(protocol::verify_sign(g.message_id, kKey, g.timestamp, g.sign));
  }
  const auto* availability = publication_on(sent, "meross/" + dev.uuid + "/availability");
  BOOST_REQUIRE(availability);
  BOOST_TEST(availability->publication.payload == "online");
  BOOST_TEST(availability->publication.retain);

  // The profile from the Bind is there before System.All answers.
  const auto* s = h.registry->find(dev.uuid);
  BOOST_REQUIRE(s);
  BOOST_REQUIRE(s->profile());
  BOOST_TEST(s->profile()->type == "msl120d");
  BOOST_TEST(!s->profile_complete());

  // A repeated Bind is acknowledged again but does not start a second discovery round: what is
  // pending may be sent again, under the same messageIds.
  h.bind(dev, kWall);
  const auto again = h.sent();
  BOOST_TEST(requests_for(again, "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  for (const char* ns : {"Appliance.System.Ability", "Appliance.System.All"}) {
    for (const auto* get : requests_for(again, ns))
      BOOST_TEST(get->message.header.message_id ==
                 requests_for(sent, ns)[0]->message.header.message_id);
  }
  BOOST_TEST(h.count().messages_handled == 2u);
}

BOOST_AUTO_TEST_CASE(profile_learned_from_trace_payloads_and_time_set) {
  Harness h("Australia/Sydney");
  Mss310 d;
  bind_and_discover(h, d);
  BOOST_REQUIRE(h.learned.size() == 1u);
  const auto* s = h.registry->find(d.device.uuid);
  BOOST_REQUIRE(s && s->profile_complete());
  BOOST_TEST(s->profile()->type == "mss310");
  BOOST_TEST(s->profile()->timezone == "Europe/London");
  BOOST_TEST(s->profile()->has_ability("Appliance.Control.Electricity"));
  BOOST_TEST(s->profile()->abilities.size() > 10u);

  // Wrong zone → SET System.Time with the table for Australia/Sydney at now.
  const auto sent = h.sent();
  const auto sets = requests_for(sent, "Appliance.System.Time", Method::Set);
  BOOST_REQUIRE(sets.size() == 1u);
  const auto rules = protocol::build_time_rules("Australia/Sydney", h.now.wall);
  BOOST_REQUIRE(rules.ok());
  BOOST_TEST(protocol::to_json(sets[0]->message.payload()) ==
             protocol::time_set_payload("Australia/Sydney", *rules));
  BOOST_TEST(sets[0]->message.header.from == d.device.publish_topic());

  // The device accepts; the profile now carries the new zone; no new SET on later checks.
  h.deliver(d.device.publish_topic(), d.device.reply(sets[0]->message.header, "{}", h.now.wall));
  BOOST_TEST(s->profile()->timezone == "Australia/Sydney");
  BOOST_TEST(s->pending_requests() == 0u);
  h.advance(5s);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.Time", Method::Set).empty());
}

BOOST_AUTO_TEST_CASE(right_zone_is_left_alone_and_rechecked_daily) {
  Harness h("Europe/London", [](Config& c) { c.availability_timeout = 48h; });
  Mss310 d;
  // Describe the device with a correct table for now.
  rapidjson::Document all;
  all.Parse(d.trace.all_json.c_str());
  const auto rules = protocol::build_time_rules("Europe/London", kWall);
  rapidjson::Document time;
  time.Parse(protocol::time_set_payload("Europe/London", *rules).c_str());
  all["all"]["system"]["time"]["timeRule"].CopyFrom(time["time"]["timeRule"], all.GetAllocator());
  d.trace.all_json = protocol::to_json(all);
  bind_and_discover(h, d);
  BOOST_TEST(h.learned.size() == 1u);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.Time", Method::Set).empty());

  // A day later the bridge asks again (GET System.All) and checks the answer.
  h.device_messages.clear();
  h.advance(24h + 1s);
  const auto daily_sent = h.sent();
  const auto daily = requests_for(daily_sent, "Appliance.System.All");
  BOOST_REQUIRE(daily.size() == 1u);
  // The device lost its zone meanwhile (a reset): a SET follows.
  rapidjson::Document reset;
  reset.Parse(d.trace.all_json.c_str());
  reset["all"]["system"]["time"]["timezone"].SetString("");
  reset["all"]["system"]["time"]["timeRule"].SetArray();
  h.deliver(d.device.publish_topic(),
            d.device.reply(daily[0]->message.header, protocol::to_json(reset), h.now.wall));
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.Time", Method::Set).size() == 1u);
  BOOST_TEST(h.learned.size() == 1u);  // a refresh, not a new profile
}

BOOST_AUTO_TEST_CASE(clock_and_consumption_config_pushes_are_answered) {
  Harness h;
  Mss310 d;
  const std::string clock = d.device.message(Method::Push, "Appliance.System.Clock",
                                             R"({"clock":{"timestamp":12345}})", 12345, "c10c");
  h.deliver(d.device.publish_topic(), clock);
  auto sent = h.sent();
  const auto clocks = requests_for(sent, "Appliance.System.Clock", Method::Push);
  BOOST_REQUIRE(clocks.size() == 1u);
  BOOST_TEST(clocks[0]->publication.topic == d.device.subscribe_topic());
  BOOST_TEST(clocks[0]->message.header.message_id == "c10c");
  BOOST_TEST(*protocol::int_member(clocks[0]->message.payload()["clock"], "timestamp") == kWall);

  const std::string config =
      R"({"config":{"voltageRatio":188,"electricityRatio":102,"maxElectricityCurrent":11000,"powerRatio":0}})";
  h.deliver(
      d.device.publish_topic(),
      d.device.message(Method::Push, "Appliance.Control.ConsumptionConfig", config, kWall, "cc01"));
  sent = h.sent();
  const auto echoes = requests_for(sent, "Appliance.Control.ConsumptionConfig", Method::Push);
  BOOST_REQUIRE(echoes.size() == 1u);
  BOOST_TEST(echoes[0]->publication.topic == d.device.subscribe_topic());
  BOOST_TEST(echoes[0]->message.header.message_id == "cc01");
  rapidjson::Document expected;
  expected.Parse(config.c_str());
  BOOST_TEST((echoes[0]->message.payload() == expected));
  // Every message reached the issue-5 hook.
  BOOST_TEST(h.device_messages.size() == 2u);
}

BOOST_AUTO_TEST_CASE(replies_match_on_message_id_and_namespace) {
  Harness h;
  Mss310 d;
  h.bind(d.device, kWall);
  const auto sent = h.sent();
  const auto all = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(all.size() == 1u);
  // Right id, wrong namespace: not an answer.
  auto wrong = all[0]->message.header;
  wrong.ns = "Appliance.System.Ability";
  h.deliver(d.device.publish_topic(), d.device.reply(wrong, d.trace.ability_json, h.now.wall));
  BOOST_TEST(h.count().unmatched_replies == 1u);
  BOOST_TEST(h.registry->find(d.device.uuid)->pending_requests() == 2u);
}

BOOST_AUTO_TEST_CASE(unanswered_requests_are_retried_then_the_device_goes_offline) {
  Harness h;
  Mss310 d;
  h.bind(d.device, kWall);
  const auto first_sent = h.sent();
  const auto first = requests_for(first_sent, "Appliance.System.All");
  BOOST_REQUIRE(first.size() == 1u);
  const std::string id = first[0]->message.header.message_id;
  BOOST_TEST(h.registry->next_wakeup().has_value());

  h.advance(2s);
  const auto retry = h.sent();
  const auto again = requests_for(retry, "Appliance.System.All");
  BOOST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0]->message.header.message_id == id);  // same id, fresh signature
  BOOST_TEST(again[0]->message.header.timestamp == h.now.wall);
  BOOST_TEST(h.count().request_retries == 2u);  // Ability and All

  h.advance(2s);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").size() == 1u);
  h.advance(2s);
  const auto last = h.sent();
  const auto* offline = publication_on(last, "meross/" + d.device.uuid + "/availability");
  BOOST_REQUIRE(offline);
  // Never configured, never learned: Home Assistant never heard of it, so no retained "offline"
  // is left behind for good; the retained topic is removed (issue 16).
  BOOST_TEST(offline->publication.payload == "");
  BOOST_TEST(offline->publication.retain);
  BOOST_TEST(h.count().request_failures >= 1u);
  // A new device never discovered: dropped, its session with it (issue 16, Bind floods).
  BOOST_TEST(!h.registry->find(d.device.uuid));
  BOOST_TEST(h.registry->devices_online() == 0u);
  BOOST_REQUIRE(h.availability.size() == 2u);
  BOOST_TEST(!h.availability[1].second);

  // It comes back: let in again, online and discovered again.
  h.push(d.device, "Appliance.System.Online", R"({"online":{"status":1}})", h.now.wall);
  const auto back = h.sent();
  const auto* online = publication_on(back, "meross/" + d.device.uuid + "/availability");
  BOOST_REQUIRE(online);
  BOOST_TEST(online->publication.payload == "online");
  BOOST_TEST(requests_for(back, "Appliance.System.All").size() == 1u);
  BOOST_TEST(requests_for(back, "Appliance.System.Ability").size() == 1u);
}

// Issue 19: under load a broker drops requests while the device keeps pushing. Its discovery
// runs out of attempts, yet it is online: asked again after a back-off that doubles, never given
// up on for good, and discovered once an answer gets through.
BOOST_AUTO_TEST_CASE(a_device_whose_discovery_went_unanswered_is_asked_again_after_a_back_off) {
  Harness h;
  Mss310 d;
  h.bind(d.device, kWall);
  BOOST_REQUIRE(requests_for(h.sent(), "Appliance.System.All").size() == 1u);
  // The device speaks every second; none of our requests gets an answer.
  const auto speak_for = [&](int seconds) {
    std::vector<Sent> out;
    for (int i = 0; i < seconds; ++i) {
      h.advance(1s);
      h.push(d.device, "Appliance.Control.ToggleX", R"({"togglex":[{"channel":0,"onoff":1}]})",
             h.now.wall);
      for (auto& s : h.sent())
        out.push_back(std::move(s));
    }
    return out;
  };
  // Three attempts of 2 s each, then a first back-off of 3 × 2 s.
  auto sent = speak_for(6);
  BOOST_TEST(h.count().request_failures == 2u);  // Ability and All
  BOOST_TEST(h.count().rediscoveries == 1u);
  BOOST_TEST(h.registry->find(d.device.uuid)->online());
  sent = speak_for(5);
  BOOST_TEST(requests_for(sent, "Appliance.System.All").empty());
  sent = speak_for(1);
  BOOST_TEST(requests_for(sent, "Appliance.System.Ability").size() == 1u);
  BOOST_TEST(requests_for(sent, "Appliance.System.All").size() == 1u);

  // Unanswered again: the wait doubles (12 s).
  sent = speak_for(6 + 11);
  BOOST_TEST(h.count().rediscoveries == 2u);
  BOOST_TEST(requests_for(sent, "Appliance.System.All", Method::Get).size() == 2u);  // retries
  sent = speak_for(1);
  const auto all = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(all.size() == 1u);
  BOOST_TEST(h.learned.empty());

  // System.All gets through but System.Ability does not: not a profile yet (a device without
  // its abilities would appear with no entities); asked again.
  h.deliver(d.device.publish_topic(),
            d.device.reply(all.front()->message.header, d.trace.all_json, h.now.wall));
  sent = speak_for(6);
  BOOST_TEST(h.learned.empty());
  BOOST_TEST(h.count().rediscoveries == 3u);
  sent = speak_for(24);
  BOOST_REQUIRE(requests_for(sent, "Appliance.System.Ability").size() == 1u);
  h.answer_discovery(d.device, d.trace, sent, h.now.wall);
  BOOST_TEST(h.learned.size() == 1u);
  // Learned: nothing more is scheduled for discovery.
  sent = speak_for(60);
  BOOST_TEST(requests_for(sent, "Appliance.System.Ability").empty());
  BOOST_TEST(h.count().rediscoveries == 3u);
}

BOOST_FIXTURE_TEST_CASE(silence_leads_to_one_probe_then_offline, DiscoveredPlug) {
  h.sent();
  const auto* s = h.registry->find(d.device.uuid);
  // Answer the time SET so that nothing is pending.
  BOOST_TEST(s->online());

  h.advance(9s);
  auto sent = h.sent();
  for (const auto* set : requests_for(sent, "Appliance.System.Time", Method::Set))
    h.deliver(d.device.publish_topic(), d.device.reply(set->message.header, "{}", h.now.wall));
  BOOST_TEST(requests_for(sent, "Appliance.System.All").empty());

  h.advance(10s);  // silent for the availability timeout → one GET System.All
  sent = h.sent();
  const auto probes = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(probes.size() == 1u);
  BOOST_TEST(s->online());
  // The device answers: still online, no second probe right away.
  h.deliver(d.device.publish_topic(),
            d.device.reply(probes[0]->message.header, d.trace.all_json, h.now.wall));
  h.advance(1s);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").empty());
  BOOST_TEST(s->online());

  // Silent again: probe, no answer, offline.
  for (int i = 0; i < 20 && s->online(); ++i)
    h.advance(1s);
  BOOST_TEST(!s->online());
  BOOST_TEST(h.availability.back().second == false);
}

BOOST_AUTO_TEST_CASE(bad_signatures_are_dropped_counted_and_logged_once_a_minute) {
  meross::test::LogCapture logs;
  Harness h;
  Mss310 d;
  const std::string wrong = "another-key";
  // PUSHes: a Bind signed with another key tells a key mismatch (hostile_input_test.cpp).
  for (int i = 0; i < 3; ++i) {
    h.push(d.device, "Appliance.Control.ToggleX", R"({"togglex":[{"channel":0,"onoff":1}]})", kWall,
           &wrong);
  }
  BOOST_TEST(h.sent().empty());  // no SETACK, no session
  BOOST_TEST(h.registry->find(d.device.uuid) == nullptr);
  BOOST_TEST(h.count().signature_failures == 3u);
  BOOST_TEST(logs.count("bad signature") == 1u);
  BOOST_TEST(logs.text().find(d.device.uuid) != std::string::npos);

  h.advance(61s);
  h.push(d.device, "Appliance.Control.ToggleX", R"({"togglex":[{"channel":0,"onoff":1}]})", kWall,
         &wrong);
  BOOST_TEST(logs.count("bad signature") == 2u);
  BOOST_TEST(logs.count("2 more") == 1u);

  // A good message from the same device still works.
  h.bind(d.device, kWall);
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  for (const auto& secret : {kKey, wrong})
    BOOST_TEST(logs.text().find(secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(verification_can_be_turned_off) {
  Harness h("", [](Config& c) { c.verify_signatures = false; });
  Mss310 d;
  const std::string wrong = "another-key";
  h.bind(d.device, kWall, {}, &wrong);
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  BOOST_TEST(h.count().signature_failures == 0u);
}

BOOST_AUTO_TEST_CASE(per_device_keys_and_exclusions) {
  const test::FakeDeviceIdentity own{"2301234567890123456748e1e9c4b296", "its-own-key"};
  const test::FakeDeviceIdentity excluded{"2301234567890123456748e1e9c4b297", kKey};
  Harness h("", [&](Config& c) {
    c.devices.push_back(DeviceConfig{own.uuid, "Desk plug", own.key, "", {}, {}});
    c.exclude.push_back(excluded.uuid);
  });
  meross::test::LogCapture logs;
  h.bind(own, kWall);
  const auto sent = h.sent();
  const auto acks = requests_for(sent, "Appliance.Control.Bind", Method::SetAck);
  BOOST_REQUIRE(acks.size() == 1u);
  BOOST_TEST(protocol::verify_sign(acks[0]->message.header.message_id, own.key,
                                   acks[0]->message.header.timestamp,
                                   acks[0]->message.header.sign));
  BOOST_TEST(logs.text().find("Desk plug") != std::string::npos);  // logs name the device

  h.bind(excluded, kWall);
  BOOST_TEST(h.sent().empty());
  BOOST_TEST(h.registry->find(excluded.uuid) == nullptr);
  BOOST_TEST(h.count().ignored == 1u);
  BOOST_TEST(logs.text().find("its-own-key") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_is_dropped_without_harm) {
  meross::test::LogCapture logs;
  Harness h;
  Mss310 d;
  const std::string topic = d.device.publish_topic();
  const std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      R"({"header":{},"payload":{}})",
      R"({"header":{"messageId":1,"namespace":"x","method":"PUSH","timestamp":1},"payload":{}})",
      R"({"header":{"messageId":"m","namespace":"x","method":"FETCH","timestamp":1},"payload":{}})",
      R"({"header":{"messageId":"m","namespace":"x","method":"PUSH","timestamp":1},"payload":[]})",
      std::string(100 * 1024, ' '),
      std::string("{\"header\":\xff\xfe}"),
  };
  for (const auto& payload : bad)
    h.deliver(topic, payload);
  BOOST_TEST(h.count().malformed == bad.size());
  BOOST_TEST(h.sent().empty());
  BOOST_TEST(logs.count("dropped a malformed message") == 1u);  // rate limited per topic

  // No uuid at all, or a reply on the shared reply topic of earlier versions (no device's own).
  h.deliver("/appliance//publish", d.device.message(Method::Push, "x", "{}", kWall));
  h.deliver("/appliance/a/b/publish", d.device.message(Method::Push, "x", "{}", kWall));
  h.deliver(
      "/appliance/meross-bridge/0123abcd/subscribe",
      R"({"header":{"messageId":"m","namespace":"x","method":"GETACK","timestamp":1,"sign":"s"},"payload":{}})");
  // A GET or a non-Bind SET on a device topic is not a device message.
  h.deliver(topic, d.device.message(Method::Get, "Appliance.System.All", "{}", kWall));
  // Wrong types inside a payload the session reads.
  h.deliver(topic,
            d.device.message(Method::Push, "Appliance.System.Clock", R"({"clock":"x"})", kWall));
  h.deliver(topic,
            d.device.message(Method::Error, "Appliance.System.All", R"({"error":"x"})", kWall));
  h.deliver(topic, d.device.message(Method::GetAck, "Appliance.System.All", R"({"all":5})", kWall));

  // The device still works afterwards (what its first contact asked is sent again on Bind).
  h.sent();
  bind_and_discover(h, d);
  BOOST_TEST(h.learned.size() == 1u);
  BOOST_TEST(logs.text().find(kKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_replies_are_logged_with_their_code_and_5001_names_the_device) {
  meross::test::LogCapture logs;
  Harness h;
  Mss310 d;
  h.bind(d.device, kWall);
  const auto sent = h.sent();
  const auto ability = requests_for(sent, "Appliance.System.Ability");
  const auto all = requests_for(sent, "Appliance.System.All");
  BOOST_REQUIRE(ability.size() == 1u && all.size() == 1u);
  h.deliver(d.device.publish_topic(),
            d.device.reply(ability[0]->message.header,
                           R"({"error":{"code":5000,"detail":"unsupported"}})", h.now.wall, true));
  BOOST_TEST(logs.count("error 5000: unsupported") == 1u);
  h.deliver(d.device.publish_topic(),
            d.device.reply(all[0]->message.header,
                           R"({"error":{"code":5001,"detail":"sign error"}})", h.now.wall, true));
  BOOST_TEST(logs.count("5001") == 1u);
  BOOST_TEST(
      logs.text().find(d.device.uuid + ": refused GET Appliance.System.All with error 5001") !=
      std::string::npos);
  BOOST_TEST(logs.text().find(kKey) == std::string::npos);
  BOOST_TEST(h.count().device_errors == 2u);
  BOOST_TEST(h.registry->find(d.device.uuid)->pending_requests() == 0u);
}

BOOST_FIXTURE_TEST_CASE(requests_from_issue_5_go_through_the_session, DiscoveredPlug) {
  h.sent();
  const auto id = h.registry->request(d.device.uuid, Method::Get, "Appliance.Control.Electricity",
                                      R"({"electricity":{}})", h.now);
  BOOST_REQUIRE(id);
  const auto sent = h.sent();
  const auto gets = requests_for(sent, "Appliance.Control.Electricity");
  BOOST_REQUIRE(gets.size() == 1u);
  BOOST_TEST(gets[0]->message.header.message_id == *id);
  h.device_messages.clear();
  h.deliver(d.device.publish_topic(),
            d.device.reply(gets[0]->message.header, R"({"electricity":{"channel":0,"power":1000}})",
                           h.now.wall));
  BOOST_TEST(h.device_messages == std::vector<std::string>{"Appliance.Control.Electricity"});
  BOOST_TEST(
      !h.registry->request("ffffffffffffffffffffffffffffffff", Method::Get, "x", "{}", h.now));
}

BOOST_AUTO_TEST_CASE(every_trace_profile_is_learned) {
  // Each trace with System.All + Ability, replayed through a session: a profile, no crash.
  int learned = 0;
  for (const auto& path : meross::test::trace_files()) {
    auto trace = protocol::parse_trace(path.filename().string(), meross::test::read_file(path));
    BOOST_REQUIRE(trace.ok());
    if (trace->all_json.empty() || trace->ability_json.empty() || trace->uuid.size() != 32)
      continue;
    Harness h("Europe/Rome");
    const test::FakeDeviceIdentity dev{trace->uuid, kKey};
    h.push(dev, "Appliance.System.Online", R"({"online":{"status":1}})", kWall);
    const auto sent = h.sent();
    const auto ability = requests_for(sent, "Appliance.System.Ability");
    const auto all = requests_for(sent, "Appliance.System.All");
    BOOST_REQUIRE(ability.size() == 1u && all.size() == 1u);
    h.deliver(dev.publish_topic(), dev.reply(all[0]->message.header, trace->all_json, kWall));
    h.deliver(dev.publish_topic(),
              dev.reply(ability[0]->message.header, trace->ability_json, kWall));
    BOOST_TEST(h.learned.size() == 1u, path.filename().string());
    learned += static_cast<int>(h.learned.size());
  }
  BOOST_TEST(learned >= 10);
}

BOOST_AUTO_TEST_CASE(replay_window_remembers_a_bounded_number_of_messages) {
  ReplayWindow w;
  BOOST_TEST(w.remember("0123456789abcdef0123456789abcdef", kWall));
  BOOST_TEST(!w.remember("0123456789abcdef0123456789abcdef", kWall));
  // Signed afresh (a device's own retry): new.
  BOOST_TEST(w.remember("0123456789abcdef0123456789abcdef", kWall + 1));
  BOOST_TEST(w.remember("", 0));
  BOOST_TEST(!w.remember("", 0));
  BOOST_TEST(w.size() == 3u);  // what was sent, not kCapacity (issue 19: most devices are quiet)
  // The oldest entries make room for new ones.
  for (std::size_t i = 0; i < ReplayWindow::kCapacity; ++i)
    BOOST_TEST(w.remember(protocol::new_message_id(), kWall));
  BOOST_TEST(w.size() == ReplayWindow::kCapacity);
  BOOST_TEST(w.remember("0123456789abcdef0123456789abcdef", kWall));
  // Still a ring once full: the newest are remembered, over and over.
  for (std::size_t i = 0; i < 3 * ReplayWindow::kCapacity; ++i) {
    const auto id = protocol::new_message_id();
    BOOST_TEST(w.remember(id, kWall));
    BOOST_TEST(!w.remember(id, kWall));
  }
  BOOST_TEST(w.size() == ReplayWindow::kCapacity);
}

BOOST_AUTO_TEST_CASE(replayed_pushes_are_dropped_counted_and_logged_once_a_minute) {
  meross::test::LogCapture logs;
  // Replays within the timestamp window (beyond it they are stale: hostile_input_test.cpp).
  Harness h("Australia/Sydney", [](Config& c) { c.timestamp_window = 5min; });
  Mss310 d;
  bind_and_discover(h, d);
  h.sent();
  h.device_messages.clear();
  const auto handled = h.count().messages_handled;
  // A ToggleX PUSH as the mss100 trace recorded it, signed by the device.
  const std::string push =
      d.device.message(Method::Push, "Appliance.Control.ToggleX",
                       R"({"togglex":[{"lmTime":1719611072,"channel":0,"onoff":1}]})", kWall);
  h.deliver(d.device.publish_topic(), push);
  BOOST_TEST(h.device_messages.size() == 1u);
  for (int i = 0; i < 3; ++i)
    h.deliver(d.device.publish_topic(), push);
  BOOST_TEST(h.device_messages.size() == 1u);  // applied once
  BOOST_TEST(h.count().replays == 3u);
  BOOST_TEST(h.count().messages_handled == handled + 1);
  BOOST_TEST(logs.count("dropped a replayed PUSH Appliance.Control.ToggleX") == 1u);
  BOOST_TEST(logs.text().find(d.device.uuid) != std::string::npos);
  h.advance(61s);
  h.deliver(d.device.publish_topic(), push);
  BOOST_TEST(logs.count("dropped a replayed PUSH") == 2u);
  BOOST_TEST(logs.count("2 more") == 1u);

  // A new message from the device is handled; so is the same id signed afresh.
  const std::string id = protocol::new_message_id();
  h.deliver(
      d.device.publish_topic(),
      d.device.message(Method::Push, "Appliance.Control.ToggleX",
                       R"({"togglex":[{"lmTime":1719611073,"channel":0,"onoff":0}]})", kWall, id));
  h.deliver(d.device.publish_topic(),
            d.device.message(Method::Push, "Appliance.Control.ToggleX",
                             R"({"togglex":[{"lmTime":1719611073,"channel":0,"onoff":0}]})",
                             kWall + 1, id));
  BOOST_TEST(h.device_messages.size() == 3u);
  BOOST_TEST(h.count().replays == 4u);
  // The namespace and payload are not signed: a captured header carrying another body is caught
  // as a replay too.
  h.deliver(d.device.publish_topic(),
            d.device.message(Method::Push, "Appliance.Control.Electricity",
                             R"({"electricity":{"channel":0,"power":1}})", kWall + 1, id));
  BOOST_TEST(h.device_messages.size() == 3u);
  BOOST_TEST(h.count().replays == 5u);
  // A replay checked before the signature: a forged copy is a signature failure, not a replay.
  const std::string wrong = "another-key";
  h.deliver(d.device.publish_topic(),
            d.device.message(Method::Push, "Appliance.Control.ToggleX", "{}", kWall, id, &wrong));
  BOOST_TEST(h.count().signature_failures == 1u);
  BOOST_TEST(h.count().replays == 5u);
  BOOST_TEST(logs.text().find(kKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_handshake_sent_again_is_answered_again) {
  Harness h;
  Mss310 d;
  const std::string bind = d.device.message(Method::Set, "Appliance.Control.Bind",
                                            test::bind_payload(d.device.uuid, kWall), kWall);
  h.deliver(d.device.publish_topic(), bind);
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  // Our SETACK was lost: the device sends the very same Bind again.
  h.deliver(d.device.publish_topic(), bind);
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  const std::string clock = d.device.message(Method::Push, "Appliance.System.Clock",
                                             R"({"clock":{"timestamp":12345}})", 12345);
  h.deliver(d.device.publish_topic(), clock);
  h.deliver(d.device.publish_topic(), clock);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.Clock", Method::Push).size() == 2u);
  const std::string config = d.device.message(
      Method::Push, "Appliance.Control.ConsumptionConfig",
      R"({"config":{"voltageRatio":188,"electricityRatio":102,"maxElectricityCurrent":11000,"powerRatio":0}})",
      kWall);
  h.deliver(d.device.publish_topic(), config);
  h.deliver(d.device.publish_topic(), config);
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.ConsumptionConfig", Method::Push).size() ==
             2u);
  BOOST_TEST(h.count().replays == 3u);
}

BOOST_AUTO_TEST_CASE(pushes_of_namespaces_the_device_lacks_are_counted_and_logged) {
  meross::test::LogCapture logs;
  Harness h;
  Mss310 d;
  // Before a device's abilities are known nothing can be said.
  const test::FakeDeviceIdentity fresh{"2301234567890123456748e1e9c4b296", kKey};
  h.push(fresh, "Appliance.Control.Nonsense", "{}", kWall);
  BOOST_TEST(h.count().unknown_namespaces == 0u);
  h.sent();
  bind_and_discover(h, d);
  for (int i = 0; i < 2; ++i) {
    h.push(d.device, "Appliance.Control.Nonsense", "{}", kWall);
  }
  h.push(d.device, "Appliance.Control.ToggleX",
         R"({"togglex":[{"lmTime":1719611072,"channel":0,"onoff":1}]})", kWall);
  BOOST_TEST(h.count().unknown_namespaces == 2u);
  BOOST_TEST(logs.count("pushed Appliance.Control.Nonsense, a namespace its abilities") == 1u);
  // Many made-up namespaces: counted, logged a bounded number of times.
  for (int i = 0; i < 50; ++i) {
    h.push(d.device, "Appliance.X" + std::to_string(i), "{}", kWall);
  }
  BOOST_TEST(h.count().unknown_namespaces == 52u);
  BOOST_TEST(logs.count("a namespace its abilities do not list") <= 8u);
}

BOOST_FIXTURE_TEST_CASE(retries_go_out_in_the_order_of_the_first_attempts, DiscoveredPlug) {
  h.sent();
  // A command: SETs, then the GETs that read the result back. Lost (a broker outage); the
  // retries must keep that order or the read-back would see the state from before the SET.
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    const auto method = i % 2 == 0 ? Method::Set : Method::Get;
    ids.push_back(*h.registry->request(d.device.uuid, method, "Appliance.Control.ToggleX",
                                       R"({"togglex":{"channel":0,"onoff":1}})", h.now));
  }
  BOOST_REQUIRE(h.sent().size() == ids.size());
  h.advance(2s);
  std::vector<std::string> retried;
  for (const auto& s : h.sent()) {
    if (s.message.header.ns == "Appliance.Control.ToggleX")
      retried.push_back(s.message.header.message_id);
  }
  BOOST_TEST(retried == ids);
}

BOOST_AUTO_TEST_CASE(the_profile_is_named_by_the_topic_uuid) {
  // The trace's System.All names a masked uuid; every topic of the device uses the topic's, so
  // the profile (discovery, availability, state topics) must too.
  Harness h;
  Mss310 d;
  bind_and_discover(h, d);
  const auto* s = h.registry->find(d.device.uuid);
  BOOST_REQUIRE(s && s->profile());
  BOOST_TEST(s->profile_complete());
  BOOST_TEST(s->profile()->uuid == d.device.uuid);
}

BOOST_AUTO_TEST_CASE(untrusted_text_cannot_forge_log_lines) {
  meross::test::LogCapture logs;
  Harness h;
  Mss310 d;
  const std::string ns = "Appliance.X\nerror the bridge was hacked " + std::string(500, 'y');
  h.deliver("/appliance/not-a-uuid/publish", d.device.message(Method::Push, ns, "{}", kWall));
  bind_and_discover(h, d);
  h.push(d.device, ns, "{}", kWall);
  BOOST_TEST(logs.count("no valid device uuid") == 1u);
  BOOST_TEST(logs.count("a namespace its abilities do not list") == 1u);
  BOOST_TEST(logs.count("\nerror the bridge") == 0u);
  BOOST_TEST(logs.count(std::string(100, 'y')) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(routing)

BOOST_AUTO_TEST_CASE(device_topics_go_to_the_device_broker_and_nothing_else_does) {
  BOOST_TEST(is_device_topic("/appliance/2301234567890123456748e1e9c4b296/subscribe"));
  BOOST_TEST(is_device_topic("/appliance/+/publish"));
  BOOST_TEST(!is_device_topic("meross/2301234567890123456748e1e9c4b296/availability"));
  BOOST_TEST(!is_device_topic("meross/bridge/availability"));
  BOOST_TEST(!is_device_topic("homeassistant/status"));
  BOOST_TEST(!is_device_topic("appliance/x/publish"));
  BOOST_TEST(!is_device_topic("/appliance"));
}

BOOST_AUTO_TEST_SUITE_END()
