// Hostile input contained (issue 16), at the registry with a clock the test moves: a device that
// signs with another key, stale and future messages, devices without a set clock, reply topics,
// answers nobody asked for, commands past their age, availability of devices Home Assistant
// never knew, the log bounded under a flood, and the admission of new devices (Bind floods).
#include <algorithm>
#include <array>
#include <cstdio>

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "bridge/admission.hpp"
#include "bridge/registry.hpp"
#include "device_messages.hpp"
#include "log_capture.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"
#include "registry_harness.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::bridge;
using namespace std::chrono_literals;
using protocol::Method;

namespace {

constexpr std::int64_t kWall = 1750000000;  // 2025-06-15
const std::string kKey = "hostile-test-key";
const std::string kOtherKey = "another-accounts-key";

using test::requests_for;
using test::Sent;

struct Harness : test::RegistryHarness {
  explicit Harness(const std::function<void(Config&)>& tweak = {})
      : RegistryHarness(kKey, kWall, "Australia/Sydney", tweak) {}
};

const Sent* last_on(const std::vector<Sent>& sent, const std::string& topic) {
  const Sent* found = nullptr;
  for (const auto& s : sent) {
    if (s.publication.topic == topic) found = &s;
  }
  return found;
}

struct Mss310 {
  protocol::Trace trace = meross::test::load_trace("Kpippo-mss310.csv");
  test::FakeDeviceIdentity device{trace.uuid, kKey};
};

// Bind, then answer the discovery GETs (and anything else asked) with the trace payloads, the
// device's clock at `wall + clock_offset`.
void bind_and_discover(Harness& h, const Mss310& d, std::int64_t clock_offset = 0) {
  const auto clock = h.now.wall + clock_offset;
  h.bind_and_discover(d.device, d.trace, clock);
  const auto sent = h.sent();  // kept alive while its messages are read
  for (const auto* set : requests_for(sent, "Appliance.System.Time", Method::Set))
    h.deliver(d.device.publish_topic(), d.device.reply(set->message.header, "{}", clock));
  BOOST_REQUIRE(h.registry->find(d.device.uuid)->profile_complete());
  h.device_messages_from.clear();
}

// How most cases begin: one mss310 bound and discovered.
using DiscoveredPlug = test::Discovered<Harness, Mss310>;

std::string togglex(int onoff) {
  return R"({"togglex":[{"channel":0,"onoff":)" + std::to_string(onoff) + "}]}";
}

std::string attributes_of(const std::vector<Sent>& sent) {
  const auto* a = last_on(sent, "meross/bridge/key_mismatch/attributes");
  return a ? a->publication.payload : std::string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_mismatch)

BOOST_AUTO_TEST_CASE(a_bind_signed_with_another_key_is_reported_once_and_shown) {
  meross::test::LogCapture logs;
  const test::FakeDeviceIdentity dev{"2301234567890123456748e1e9c4b296", kKey};
  Harness h([&](Config& c) {
    c.devices.push_back(DeviceConfig{dev.uuid, "Desk plug", "", "", {}, {}});
  });
  h.registry->announce_all();
  auto sent = h.sent();
  BOOST_REQUIRE(last_on(sent, "meross/bridge/key_mismatch/state"));
  BOOST_TEST(last_on(sent, "meross/bridge/key_mismatch/state")->publication.payload == "OFF");

  // The device repeats its Bind (unanswered: we cannot sign for its key).
  for (int i = 0; i < 5; ++i) {
    h.bind(dev, h.now.wall, {}, &kOtherKey);
    h.advance(30s);
  }
  sent = h.sent();
  BOOST_TEST(requests_for(sent, "Appliance.Control.Bind", Method::SetAck).empty());
  const auto* state = last_on(sent, "meross/bridge/key_mismatch/state");
  BOOST_REQUIRE(state);
  BOOST_TEST(state->publication.payload == "ON");
  BOOST_TEST(state->publication.retain);
  rapidjson::Document attributes;
  attributes.Parse(attributes_of(sent).c_str());
  BOOST_REQUIRE(attributes.IsObject());
  BOOST_TEST(attributes["count"].GetInt() == 1);
  BOOST_TEST(std::string(attributes["devices"][0]["uuid"].GetString()) == dev.uuid);
  BOOST_TEST(std::string(attributes["devices"][0]["name"].GetString()) == "Desk plug");
  BOOST_TEST(std::string(attributes["devices"][0]["learned_from"].GetString()) == "its Bind");
  BOOST_TEST(h.registry->key_mismatches().count(dev.uuid) == 1u);
  BOOST_TEST(h.count().signature_failures == 5u);
  // Once, clearly: which device, that its key differs, how to fix it.
  BOOST_TEST(logs.count("its key differs") == 1u);
  BOOST_TEST(logs.count("Desk plug (" + dev.uuid +
                        "): dropped a message with a bad signature (Appliance.Control.Bind): its "
                        "key differs from the one configured for it") == 1u);
  BOOST_TEST(logs.count("meross-bridge account --write-config") == 1u);
  BOOST_TEST(logs.count("bad signature") == 1u);  // that line, not one per Bind
  BOOST_TEST(logs.text().find(kOtherKey) == std::string::npos);
  BOOST_TEST(logs.text().find(kKey) == std::string::npos);

  // Re-paired with our key: it binds, and the problem is gone.
  h.bind(dev, h.now.wall);
  sent = h.sent();
  BOOST_TEST(requests_for(sent, "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  BOOST_REQUIRE(last_on(sent, "meross/bridge/key_mismatch/state"));
  BOOST_TEST(last_on(sent, "meross/bridge/key_mismatch/state")->publication.payload == "OFF");
  BOOST_TEST(h.registry->key_mismatches().empty());
}

BOOST_AUTO_TEST_CASE(an_error_5001_signed_with_the_devices_own_key_or_unsigned_is_a_key_mismatch) {
  for (const bool unsigned_error : {false, true}) {
    BOOST_TEST_CONTEXT((unsigned_error ? "unsigned" : "signed with its own key")) {
      meross::test::LogCapture logs;
      Harness h;
      // A device known from an earlier run, bound long ago (to a bridge with its key): probed.
      const test::FakeDeviceIdentity dev{"2301234567890123456748e1e9c4b296", kOtherKey};
      h.registry->probe(dev.uuid, h.now);
      auto sent = h.sent();
      const auto probes = requests_for(sent, "Appliance.System.All");
      BOOST_REQUIRE(probes.size() == 1u);
      const protocol::Header probe = probes[0]->message.header;  // `sent` is reused below
      auto error =
          dev.reply(probe, R"({"error":{"code":5001,"detail":"sign error"}})", h.now.wall, true);
      if (unsigned_error) {
        auto parsed = protocol::parse_message(error);
        BOOST_REQUIRE(parsed.ok());
        auto header = parsed->header;
        header.sign.clear();
        error = protocol::serialize(header, R"({"error":{"code":5001,"detail":"sign error"}})");
      }
      h.deliver(dev.publish_topic(), error);
      sent = h.sent();
      BOOST_REQUIRE(last_on(sent, "meross/bridge/key_mismatch/state"));
      BOOST_TEST(last_on(sent, "meross/bridge/key_mismatch/state")->publication.payload == "ON");
      BOOST_TEST(attributes_of(sent).find("ERROR 5001 (sign error) to GET Appliance.System.All") !=
                 std::string::npos);
      BOOST_TEST(logs.count(dev.uuid + ": refused GET Appliance.System.All with error 5001 (sign "
                                       "error): its key differs") == 1u);
      BOOST_TEST(logs.count("account --write-config") == 1u);
      BOOST_TEST(h.count().key_refusals == 1u);
      // Not asked again (the same key cannot do better), no "no answer after 3 attempts", and
      // not online: nothing it sent could be verified.
      BOOST_TEST(h.registry->find(dev.uuid)->pending_requests() == 0u);
      for (int i = 0; i < 5; ++i)
        h.advance(2s);
      BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").empty());
      BOOST_TEST(logs.count("no answer") == 0u);
      BOOST_TEST(!h.registry->find(dev.uuid)->online());
      // A made-up ERROR 5001 answering nothing of ours is only a bad signature.
      h.deliver(dev.publish_topic(),
                dev.reply(probe, R"({"error":{"code":5001}})", h.now.wall, true));
      BOOST_TEST(h.count().key_refusals == 1u);
      BOOST_TEST(logs.text().find(kOtherKey) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(made_up_uuids_cannot_fill_the_list_for_good) {
  meross::test::LogCapture logs(spdlog::level::info);
  Harness h;
  for (int i = 0; i < 2000; ++i) {
    char uuid[33];
    std::snprintf(uuid, sizeof uuid, "fa17%028d", i);
    const test::FakeDeviceIdentity forged{uuid, kOtherKey};
    h.bind(forged, kWall);
  }
  BOOST_TEST(h.registry->key_mismatches().size() <= 256u);
  BOOST_TEST(h.count().signature_failures == 2000u);
  // The log: bounded overall.
  std::size_t lines = 0;
  for (const char c : logs.text())
    lines += c == '\n' ? 1 : 0;
  BOOST_TEST(lines <= RateLimitedLog::kDefaultBudget + 2);
  // The attributes list a bounded number.
  rapidjson::Document attributes;
  attributes.Parse(attributes_of(h.sent()).c_str());
  BOOST_REQUIRE(attributes.IsObject());
  BOOST_TEST(attributes["devices"].Size() <= 20u);
  // Forgotten after ten minutes without news.
  h.advance(11min);
  h.advance(1min);
  BOOST_TEST(h.registry->key_mismatches().empty());
  const auto sent = h.sent();
  BOOST_REQUIRE(last_on(sent, "meross/bridge/key_mismatch/state"));
  BOOST_TEST(last_on(sent, "meross/bridge/key_mismatch/state")->publication.payload == "OFF");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(freshness)

BOOST_FIXTURE_TEST_CASE(messages_dated_far_from_the_devices_clock_are_dropped_and_counted,
                        DiscoveredPlug) {
  const std::int64_t year = 365 * 86400;
  for (const std::int64_t when :
       {h.now.wall - year, h.now.wall + 10 * year, h.now.wall - 61, h.now.wall + 61,
        std::int64_t{0}, std::numeric_limits<std::int64_t>::max()}) {
    h.push(dev, "Appliance.Control.ToggleX", togglex(1), when);
  }
  BOOST_TEST(h.device_messages_from.empty());
  BOOST_TEST(h.count().stale == 6u);
  BOOST_TEST(logs.count("dropped a stale PUSH Appliance.Control.ToggleX") == 1u);  // a minute
  // Within the window: taken.
  h.push(dev, "Appliance.Control.ToggleX", togglex(1), h.now.wall - 30);
  BOOST_TEST(h.device_messages_from.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_replay_outside_the_window_cannot_pass_even_after_64_newer_messages,
                        DiscoveredPlug) {
  const std::string captured =
      dev.message(Method::Push, "Appliance.Control.ToggleX", togglex(1), h.now.wall);
  h.deliver(dev.publish_topic(), captured);
  BOOST_TEST(h.device_messages_from.size() == 1u);
  // 70 newer messages push it out of the 64-entry replay window.
  for (int i = 0; i < 70; ++i) {
    h.advance(1s);
    h.push(dev, "Appliance.Control.ToggleX", togglex(0), h.now.wall);
  }
  BOOST_TEST(h.device_messages_from.size() == 71u);
  h.deliver(dev.publish_topic(), captured);
  BOOST_TEST(h.device_messages_from.size() == 71u);
  BOOST_TEST(h.count().stale == 1u);
  // A duplicate within the window is still a replay.
  const std::string recent =
      dev.message(Method::Push, "Appliance.Control.ToggleX", togglex(1), h.now.wall);
  h.deliver(dev.publish_topic(), recent);
  h.deliver(dev.publish_topic(), recent);
  BOOST_TEST(h.device_messages_from.size() == 72u);
  BOOST_TEST(h.count().replays == 1u);
}

BOOST_AUTO_TEST_CASE(the_window_is_configurable) {
  Harness h([](Config& c) { c.timestamp_window = 5min; });
  Mss310 d;
  bind_and_discover(h, d);
  h.push(d.device, "Appliance.Control.ToggleX", togglex(1), h.now.wall - 240);
  BOOST_TEST(h.device_messages_from.size() == 1u);
  BOOST_TEST(h.count().stale == 0u);
}

BOOST_AUTO_TEST_CASE(a_device_whose_clock_was_never_set_is_served_and_still_protected) {
  // Before its first time sync a device counts from about 0 (a trace shows one at timestamp 9). Its
  // handshake is answered, its clock is read from its answers.
  Harness h;
  Mss310 d;
  const std::int64_t offset = 100 - h.now.wall;  // its clock says 100 now
  bind_and_discover(h, d, offset);
  const auto& dev = d.device;
  BOOST_TEST(h.registry->find(dev.uuid)->online());
  BOOST_TEST(h.count().stale == 1u);  // its Bind, answered all the same
  // Its pushes, dated by its own clock, are taken.
  h.advance(5s);
  const std::string push =
      dev.message(Method::Push, "Appliance.Control.ToggleX", togglex(1), h.now.wall + offset);
  h.deliver(dev.publish_topic(), push);
  BOOST_TEST(h.device_messages_from.size() == 1u);
  BOOST_TEST(h.count().stale == 1u);
  // Its clock runs on: still taken a while later.
  h.advance(40s);
  h.push(dev, "Appliance.Control.ToggleX", togglex(0), h.now.wall + offset);
  BOOST_TEST(h.device_messages_from.size() == 2u);
  // A replay of the first, older than the window by its own clock: stale.
  h.advance(30s);
  h.deliver(dev.publish_topic(), push);
  BOOST_TEST(h.device_messages_from.size() == 2u);
  BOOST_TEST(h.count().stale == 2u);
  // A message dated by our clock (a year ahead of its own) right now is fine too: devices whose
  // clock gets set jump to ours.
  h.push(dev, "Appliance.Control.ToggleX", togglex(1), h.now.wall);
  BOOST_TEST(h.device_messages_from.size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(a_device_rebooted_without_a_clock_is_answered_and_its_clock_read_again,
                        DiscoveredPlug) {
  h.advance(5s);
  // It reboots: clock at about 0. Its Bind is answered all the same; the discovery that follows
  // reads its clock.
  const std::int64_t offset = 3 - h.now.wall;
  h.bind(dev, h.now.wall + offset);
  auto sent = h.sent();
  BOOST_TEST(requests_for(sent, "Appliance.Control.Bind", Method::SetAck).size() == 1u);
  BOOST_TEST(h.count().stale == 1u);
  h.device_messages_from.clear();
  // A push before any answer: stale (the Bind's discovery is on its way to read its clock).
  h.push(dev, "Appliance.Control.ToggleX", togglex(1), h.now.wall + offset);
  BOOST_TEST(h.device_messages_from.empty());
  BOOST_TEST(h.count().stale == 2u);
  for (const auto& s : sent) {
    if (s.message.header.method == Method::Get)
      h.deliver(dev.publish_topic(),
                dev.reply(s.message.header,
                          s.message.header.ns == "Appliance.System.Ability" ? d.trace.ability_json
                                                                            : d.trace.all_json,
                          h.now.wall + offset + 1));
  }
  h.device_messages_from.clear();
  h.push(dev, "Appliance.Control.ToggleX", togglex(1), h.now.wall + offset + 2);
  BOOST_TEST(h.device_messages_from.size() == 1u);
  // Its Clock PUSH is answered; its clock is ours from then on.
  h.push(dev, "Appliance.System.Clock", R"({"clock":{"timestamp":5}})", h.now.wall + offset + 2);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.Clock", Method::Push).size() == 1u);
  h.push(dev, "Appliance.Control.ToggleX", togglex(0), h.now.wall);
  BOOST_TEST(h.device_messages_from.size() == 3u);  // the Clock push and this one
}

BOOST_AUTO_TEST_CASE(stale_replays_cannot_make_the_bridge_ask_more_than_once_a_window) {
  Harness h([](Config& c) { c.availability_timeout = 1h; });  // no silence probes meanwhile
  Mss310 d;
  bind_and_discover(h, d);
  const auto old =
      d.device.message(Method::Push, "Appliance.Control.ToggleX", togglex(1), h.now.wall - 3600);
  std::size_t asked = 0;
  for (int i = 0; i < 300; ++i) {
    h.deliver(d.device.publish_topic(), old);
    const auto sent = h.sent();
    for (const auto* get : requests_for(sent, "Appliance.System.All")) {
      ++asked;
      h.deliver(d.device.publish_topic(),
                d.device.reply(get->message.header, d.trace.all_json, h.now.wall));
    }
    h.advance(1s);
  }
  BOOST_TEST(asked <= 300u / 60u + 1u);
  BOOST_TEST(h.count().stale == 300u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reply_topics)

BOOST_FIXTURE_TEST_CASE(a_message_whose_header_names_another_device_is_dropped_and_counted,
                        DiscoveredPlug) {
  const std::string other = "2301234567890123456748e1e9c4b297";
  // Signed by the key (the same account), on dev's topic, naming another device.
  auto header = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                              dev.publish_topic(), kKey, h.now.wall);
  header.uuid = other;
  h.deliver(dev.publish_topic(), protocol::serialize(header, togglex(1)));
  header = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                         "/appliance/" + other + "/publish", kKey, h.now.wall);
  h.deliver(dev.publish_topic(), protocol::serialize(header, togglex(1)));
  BOOST_TEST(h.device_messages_from.empty());
  BOOST_TEST(h.count().misaddressed == 2u);
  BOOST_TEST(logs.count("whose header names another device") == 1u);
  // Its own uuid, in any case, is fine.
  header = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                         dev.publish_topic(), kKey, h.now.wall);
  header.uuid = dev.uuid;
  for (auto& c : header.uuid)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  h.deliver(dev.publish_topic(), protocol::serialize(header, togglex(1)));
  BOOST_TEST(h.device_messages_from.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(answers_are_taken_only_for_a_pending_request_of_that_device,
                        DiscoveredPlug) {
  const auto handled = h.count().messages_handled;
  // A GETACK nobody asked for (a made-up messageId), signed by the device's key.
  auto request = protocol::make_request_header(Method::Get, "Appliance.Control.ToggleX",
                                               dev.publish_topic(), kKey, h.now.wall);
  h.deliver(dev.publish_topic(), dev.reply(request, togglex(1), h.now.wall));
  BOOST_TEST(h.device_messages_from.empty());
  BOOST_TEST(h.count().unmatched_replies == 1u);
  BOOST_TEST(h.count().messages_handled == handled);
  // The answer to a request of ours: taken, once.
  const auto id =
      h.registry->request(dev.uuid, Method::Get, "Appliance.Control.ToggleX", "{}", h.now);
  BOOST_REQUIRE(id);
  const auto sent = h.sent();
  const auto gets = requests_for(sent, "Appliance.Control.ToggleX");
  BOOST_REQUIRE(gets.size() == 1u);
  const auto answer = dev.reply(gets[0]->message.header, togglex(1), h.now.wall);
  h.deliver(dev.publish_topic(), answer);
  BOOST_TEST(h.device_messages_from.size() == 1u);
  h.deliver(dev.publish_topic(), answer);  // again: no longer pending
  BOOST_TEST(h.device_messages_from.size() == 1u);
  BOOST_TEST(h.count().unmatched_replies == 2u);
  // Another device's pending request answered on this device's topic: not its answer.
  const test::FakeDeviceIdentity b{"2301234567890123456748e1e9c4b297", kKey};
  h.push(b, "Appliance.System.Online", R"({"online":{"status":1}})", h.now.wall);
  const auto b_sent = h.sent();
  const auto b_gets = requests_for(b_sent, "Appliance.System.All");
  BOOST_REQUIRE(b_gets.size() == 1u);
  auto forged = b_gets[0]->message.header;
  h.device_messages_from.clear();
  h.deliver(dev.publish_topic(), dev.reply(forged, d.trace.all_json, h.now.wall));
  BOOST_TEST(h.registry->find(b.uuid)->pending_requests() == 2u);
  BOOST_TEST(h.device_messages_from.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commands_and_availability)

BOOST_AUTO_TEST_CASE(a_command_is_never_sent_after_its_max_age) {
  meross::test::LogCapture logs;
  Harness h([](Config& c) { c.command_max_age = 3s; });
  Mss310 d;
  bind_and_discover(h, d);
  h.sent();
  h.registry->request(d.device.uuid, Method::Set, "Appliance.Control.ToggleX",
                      R"({"togglex":{"channel":0,"onoff":1}})", h.now);
  h.registry->request(d.device.uuid, Method::Get, "Appliance.Control.ToggleX", "{}", h.now);
  auto sent = h.sent();
  const auto set = requests_for(sent, "Appliance.Control.ToggleX", Method::Set);
  BOOST_REQUIRE(set.size() == 1u);
  // The link drops it if it cannot send it within the command's age.
  BOOST_REQUIRE(set[0]->publication.expires);
  BOOST_TEST((*set[0]->publication.expires <= h.now.mono + 3s));
  // Unanswered: retried once (at 2 s, within 3 s), then never again; the GET is retried as usual.
  h.advance(2s);
  sent = h.sent();
  BOOST_TEST(requests_for(sent, "Appliance.Control.ToggleX", Method::Set).size() == 1u);
  BOOST_TEST(
      (*requests_for(sent, "Appliance.Control.ToggleX", Method::Set)[0]->publication.expires <=
       h.now.mono + 1s));
  h.advance(2s);
  sent = h.sent();
  BOOST_TEST(requests_for(sent, "Appliance.Control.ToggleX", Method::Set).empty());
  BOOST_TEST(requests_for(sent, "Appliance.Control.ToggleX", Method::Get).size() == 1u);
  BOOST_TEST(logs.count("not sent again: a command is never executed later than 3s") == 1u);
}

BOOST_AUTO_TEST_CASE(pending_requests_go_out_again_when_the_link_is_back_but_not_old_commands) {
  // The link drops requests that waited past their deadline, and no longer lets the MQTT library
  // send again what was on its way when the connection broke: the sessions ask again themselves.
  Harness h([](Config& c) {
    c.command_max_age = 3s;
    c.availability_timeout = 1h;
  });
  Mss310 d;
  bind_and_discover(h, d);
  h.sent();
  const auto old_set = h.registry->request(d.device.uuid, Method::Set, "Appliance.Control.ToggleX",
                                           R"({"togglex":{"channel":0,"onoff":1}})", h.now);
  h.advance(1s);
  const auto get =
      h.registry->request(d.device.uuid, Method::Get, "Appliance.Control.ToggleX", "{}", h.now);
  h.advance(1500ms);  // the SET is sent again (within its 3 s)
  h.advance(1s);      // and is 3.5 s old now
  BOOST_REQUIRE(old_set);
  const auto new_set = h.registry->request(d.device.uuid, Method::Set, "Appliance.Control.ToggleX",
                                           R"({"togglex":{"channel":0,"onoff":0}})", h.now);
  h.sent();
  h.registry->link_back(h.now);
  std::vector<std::string> again;
  for (const auto& s : h.sent())
    again.push_back(s.message.header.message_id);
  BOOST_TEST((again == std::vector<std::string>{*get, *new_set}));
}

BOOST_AUTO_TEST_CASE(a_device_home_assistant_never_knew_leaves_no_retained_offline) {
  Harness h([](Config& c) {
    c.devices.push_back(DeviceConfig{"2301234567890123456748e1e9c4b298", "", "", "", {}, {}});
  });
  // A signed message from an unknown uuid that never answers: online for a moment, then gone.
  const test::FakeDeviceIdentity stranger{"fa17fa17fa17fa17fa17fa17fa170007", kKey};
  // One Home Assistant knows (configured), and one from an earlier run (probed), likewise silent.
  const test::FakeDeviceIdentity configured{"2301234567890123456748e1e9c4b298", kKey};
  const test::FakeDeviceIdentity earlier{"2301234567890123456748e1e9c4b299", kKey};
  h.registry->probe(earlier.uuid, h.now);
  for (const auto* dev : {&stranger, &configured, &earlier}) {
    h.push(*dev, "Appliance.System.Online", R"({"online":{"status":1}})", h.now.wall);
  }
  std::vector<Sent> all;
  for (int i = 0; i < 10; ++i) {
    h.advance(1s);
    for (auto& s : h.sent())
      all.push_back(std::move(s));
  }
  BOOST_TEST(h.registry->devices_online() == 0u);
  const auto* gone = last_on(all, "meross/" + stranger.uuid + "/availability");
  BOOST_REQUIRE(gone);
  BOOST_TEST(gone->publication.payload == "");  // the retained topic is removed
  BOOST_TEST(gone->publication.retain);
  for (const auto* dev : {&configured, &earlier}) {
    const auto* offline = last_on(all, "meross/" + dev->uuid + "/availability");
    BOOST_REQUIRE(offline);
    BOOST_TEST(offline->publication.payload == "offline");
  }
  // Never discovered, it was dropped. Known to Home Assistant after all (its probe comes after
  // it went: it spoke first): probed anew, as a known device, which is never dropped.
  BOOST_TEST(!h.registry->find(stranger.uuid));
  h.registry->probe(stranger.uuid, h.now);
  BOOST_TEST(requests_for(h.sent(), "Appliance.System.All").size() == 1u);
  for (int i = 0; i < 70; ++i)
    h.advance(1s);
  h.sent();
  BOOST_TEST(h.registry->find(stranger.uuid));
  const test::FakeDeviceIdentity another{"fa17fa17fa17fa17fa17fa17fa170009", kKey};
  h.push(another, "Appliance.System.Online", R"({"online":{"status":1}})", h.now.wall);
  for (int i = 0; i < 10; ++i)
    h.advance(1s);
  h.sent();
  // After a reconnect too.
  const auto& stranger_again = another;
  h.registry->announce_all();
  const auto again = h.sent();
  const auto* announced = last_on(again, "meross/" + stranger_again.uuid + "/availability");
  BOOST_TEST((!announced || announced->publication.payload.empty()));
}

BOOST_AUTO_TEST_SUITE_END()

// Bind floods (issue 16, item 4): new devices are let in at a bounded rate and number, those
// never discovered are dropped with everything they left, and the devices the bridge serves
// are never refused.
BOOST_AUTO_TEST_SUITE(admission)

// A made-up uuid: 32 hex digits from `n`.
test::FakeDeviceIdentity made_up(int n) {
  char uuid[33];
  std::snprintf(uuid, sizeof uuid, "fa17%028x", n);
  return {uuid, kKey};
}

std::string bind_from(const test::FakeDeviceIdentity& d, std::int64_t wall) {
  return d.message(Method::Set, "Appliance.Control.Bind", test::bind_payload(d.uuid, wall), wall);
}

bool acknowledged(const std::vector<Sent>& sent, const test::FakeDeviceIdentity& d) {
  return std::any_of(sent.begin(), sent.end(), [&](const Sent& s) {
    return s.publication.topic == d.subscribe_topic() &&
           s.message.header.ns == "Appliance.Control.Bind" &&
           s.message.header.method == Method::SetAck;
  });
}

void limits(Config& c) {
  c.new_devices_per_second = 2;
  c.new_devices_burst = 5;
  c.max_new_devices = 8;
  c.availability_timeout = 1h;  // no silence probes meanwhile
}

BOOST_AUTO_TEST_CASE(the_token_bucket_lets_a_burst_in_then_the_rate) {
  Admission a(AdmissionLimits{2, 3, 100});
  const TimePoint t0{};
  using V = Admission::Verdict;
  for (int i = 0; i < 3; ++i)
    BOOST_TEST((a.admit(t0, 0) == V::admitted));
  BOOST_TEST((a.admit(t0, 0) == V::too_fast));
  BOOST_TEST((a.admit(t0 + 400ms, 0) == V::too_fast));  // 0.8 of a token
  BOOST_TEST((a.admit(t0 + 500ms, 0) == V::admitted));  // one token in half a second
  BOOST_TEST((a.admit(t0 + 500ms, 0) == V::too_fast));
  // Refilled up to the burst, not beyond.
  for (int i = 0; i < 3; ++i)
    BOOST_TEST((a.admit(t0 + 1h, 0) == V::admitted));
  BOOST_TEST((a.admit(t0 + 1h, 0) == V::too_fast));
}

BOOST_AUTO_TEST_CASE(the_cap_on_undiscovered_devices_takes_no_token) {
  Admission a(AdmissionLimits{1, 2, 4});
  const TimePoint t0{};
  using V = Admission::Verdict;
  BOOST_TEST((a.admit(t0, 4) == V::too_many));
  BOOST_TEST((a.admit(t0, 9) == V::too_many));
  BOOST_TEST((a.admit(t0, 3) == V::admitted));
  BOOST_TEST((a.admit(t0, 3) == V::admitted));
  BOOST_TEST((a.admit(t0, 3) == V::too_fast));
}

BOOST_AUTO_TEST_CASE(a_bind_flood_is_refused_with_a_counter_and_one_line) {
  meross::test::LogCapture logs;
  Harness h(limits);
  std::size_t acked = 0;
  for (int i = 0; i < 200; ++i) {
    const auto d = made_up(i);
    h.deliver(d.publish_topic(), bind_from(d, h.now.wall));
    if (acknowledged(h.sent(), d)) ++acked;
  }
  // The burst, nothing more: the others get no session, no SETACK, no request.
  BOOST_TEST(acked == 5u);
  BOOST_TEST(h.registry->sessions().size() == 5u);
  BOOST_TEST(h.registry->undiscovered() == 5u);
  BOOST_TEST(h.count().admissions_refused == 195u);
  BOOST_TEST(logs.count("a new device, not let in for now") == 1u, logs.text());
  BOOST_TEST(logs.count("new_devices_per_second (2/s, new_devices_burst 5)") == 1u);
  // Two more tokens a second, up to the cap of devices being discovered (8).
  for (int second = 0; second < 10; ++second) {
    h.advance(1s);
    for (int i = 200 + second * 10; i < 210 + second * 10; ++i) {
      const auto d = made_up(i);
      h.deliver(d.publish_topic(), bind_from(d, h.now.wall));
    }
  }
  BOOST_TEST(h.registry->undiscovered() <= 8u);
  BOOST_TEST(h.registry->sessions().size() <= 8u);
}

BOOST_AUTO_TEST_CASE(configured_known_and_discovered_devices_are_never_refused) {
  const test::FakeDeviceIdentity configured{"2301234567890123456748e1e9c4b298", kKey};
  const test::FakeDeviceIdentity earlier{"2301234567890123456748e1e9c4b299", kKey};
  Harness h([&](Config& c) {
    limits(c);
    c.devices.push_back(DeviceConfig{configured.uuid, "", "", "", {}, {}});
  });
  Mss310 discovered;
  bind_and_discover(h, discovered);
  h.sent();
  // Home Assistant knows this one from an earlier run (its retained discovery): probed.
  h.registry->probe(earlier.uuid, h.now);
  for (int i = 0; i < 100; ++i) {
    const auto d = made_up(i);
    h.deliver(d.publish_topic(), bind_from(d, h.now.wall));
  }
  BOOST_REQUIRE(h.count().admissions_refused > 0u);
  h.sent();
  for (const auto* d :
       std::array<const test::FakeDeviceIdentity*, 3>{&configured, &earlier, &discovered.device}) {
    h.deliver(d->publish_topic(), bind_from(*d, h.now.wall));
    BOOST_TEST(acknowledged(h.sent(), *d), d->uuid);
  }
  // A command to the discovered device still goes out.
  BOOST_TEST(h.registry
                 ->request(discovered.device.uuid, Method::Set, "Appliance.Control.ToggleX",
                           R"({"togglex":{"channel":0,"onoff":1}})", h.now)
                 .has_value());
  BOOST_TEST(requests_for(h.sent(), "Appliance.Control.ToggleX", Method::Set).size() == 1u);
}

BOOST_AUTO_TEST_CASE(made_up_uuids_are_dropped_with_their_retained_availability) {
  Harness h(limits);
  Mss310 real;
  bind_and_discover(h, real);
  h.advance(1s);  // the token it took is back
  std::vector<test::FakeDeviceIdentity> strangers;
  for (int i = 0; i < 5; ++i) {
    strangers.push_back(made_up(i));
    h.deliver(strangers.back().publish_topic(), bind_from(strangers.back(), h.now.wall));
  }
  std::vector<Sent> all = h.sent();
  BOOST_TEST(h.registry->devices_online() == 6u);
  // They never answer discovery: three attempts of 2 s each, then gone.
  for (int i = 0; i < 8; ++i) {
    h.advance(1s);
    for (auto& s : h.sent())
      all.push_back(std::move(s));
  }
  BOOST_TEST(h.registry->undiscovered() == 0u);
  BOOST_TEST(h.registry->sessions().size() == 1u);
  BOOST_TEST(h.registry->devices_online() == 1u);
  for (const auto& d : strangers) {
    BOOST_TEST(!h.registry->find(d.uuid));
    const auto* last = last_on(all, "meross/" + d.uuid + "/availability");
    BOOST_REQUIRE(last);
    BOOST_TEST(last->publication.payload == "");
    BOOST_TEST(last->publication.retain);
  }
  BOOST_TEST(h.registry->find(real.device.uuid));
  // Their places are free again: new devices are let in.
  const auto next = made_up(1000);
  h.deliver(next.publish_topic(), bind_from(next, h.now.wall));
  BOOST_TEST(acknowledged(h.sent(), next));
}

BOOST_AUTO_TEST_CASE(a_made_up_uuid_that_keeps_binding_is_dropped_after_the_timeout) {
  Harness h(limits);
  const auto stranger = made_up(7);
  std::vector<Sent> all;
  // It repeats its Bind every second and never answers: online all along.
  for (int i = 0; i < 59; ++i) {
    h.deliver(stranger.publish_topic(), bind_from(stranger, h.now.wall));
    h.advance(1s);
    for (auto& s : h.sent())
      all.push_back(std::move(s));
  }
  BOOST_TEST(h.registry->find(stranger.uuid));
  h.advance(2s);  // a minute after it was let in
  for (auto& s : h.sent())
    all.push_back(std::move(s));
  BOOST_TEST(!h.registry->find(stranger.uuid));
  BOOST_TEST(h.registry->devices_online() == 0u);
  const auto* last = last_on(all, "meross/" + stranger.uuid + "/availability");
  BOOST_REQUIRE(last);
  BOOST_TEST(last->publication.payload == "");
  // Its next Bind finds room again: let in anew.
  h.deliver(stranger.publish_topic(), bind_from(stranger, h.now.wall));
  BOOST_TEST(acknowledged(h.sent(), stranger));
}

BOOST_AUTO_TEST_CASE(a_discovered_device_is_never_dropped) {
  Harness h(limits);
  Mss310 real;
  bind_and_discover(h, real);
  BOOST_TEST(h.registry->undiscovered() == 0u);
  for (int i = 0; i < 180; ++i)
    h.advance(1s);
  BOOST_TEST(h.registry->find(real.device.uuid));
}

BOOST_AUTO_TEST_CASE(an_answer_from_a_uuid_without_a_session_takes_no_place) {
  Harness h(limits);
  for (int i = 0; i < 50; ++i) {
    const auto d = made_up(i);
    protocol::Header asked = protocol::make_request_header(Method::Get, "Appliance.System.All",
                                                           d.publish_topic(), kKey, h.now.wall);
    h.deliver(d.publish_topic(), d.reply(asked, "{}", h.now.wall));
  }
  BOOST_TEST(h.registry->sessions().empty());
  BOOST_TEST(h.count().unmatched_replies == 50u);
  BOOST_TEST(h.count().admissions_refused == 0u);
  const auto d = made_up(99);
  h.deliver(d.publish_topic(), bind_from(d, h.now.wall));
  BOOST_TEST(acknowledged(h.sent(), d));
}

BOOST_AUTO_TEST_SUITE_END()
