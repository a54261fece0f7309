#define BOOST_TEST_MODULE bridge_hostile_e2e
// Hostile input contained (issue 16), end to end: the real meross-bridge on a real mosquitto,
// firmware-like devices (tests/support/firmware_device: they log in as firmware does, repeat
// their Bind until it is acknowledged, answer ERROR 5001 to a request signed with another key),
// a hostile client publishing signed messages on device topics, and an observer in the place of
// Home Assistant.
//  3. a device paired with another key is reported once, clearly, and shown in Home Assistant;
//  5. stale, future and replayed messages are dropped, also for a device without a set clock;
//  6. the bridge answers only on a device's own topics and takes answers only to its requests;
//  7. a flood of bad messages gives a bounded number of log lines;
//  8. a made-up uuid leaves no retained availability behind.
#include <csignal>

#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/signing.hpp"
#include "support/firmware_device.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;

namespace {

const std::string kKey = "hostile-e2e-key-2f81c0";
const std::string kOtherKey = "another-account-key-9d03e7";
const std::string kKeyMismatchState = "meross/bridge/key_mismatch/state";
const std::string kKeyMismatchAttributes = "meross/bridge/key_mismatch/attributes";

// A device of our own: its uuid ends with its MAC's digits, as on real devices.
FirmwareDevice::Options device_options(const MosquittoBroker& broker, const std::string& tail,
                                       const std::string& key = kKey) {
  FirmwareDevice::Options o;
  o.uuid = "23012345678901234567" + tail;
  for (std::size_t i = 0; i < 12; i += 2)
    o.mac += (i ? ":" : "") + tail.substr(i, 2);
  o.key = key;
  o.port = broker.port();
  return o;
}

std::string togglex_push(int onoff, std::int64_t lm_time) {
  return R"({"togglex":[{"channel":0,"onoff":)" + std::to_string(onoff) + R"(,"lmTime":)" +
         std::to_string(lm_time) + "}]}";
}

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A broker, the bridge, and Home Assistant's view (an observer of everything).
struct Setup {
  MosquittoBroker broker;
  BridgeConfig settings;
  std::string config_file;
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<MqttTestClient> ha;
  std::unique_ptr<MqttTestClient> hostile;

  explicit Setup(const std::string& meross_extra = {}, const std::string& devices = {},
                 const std::string& log_level = "debug") {
    settings.key = kKey;
    settings.meross_extra = meross_extra;
    settings.extra = "[homeassistant]\nrepublish_delay = \"200ms\"\n" + devices;
    config_file = write_bridge_config(broker, settings);
    ha = std::make_unique<MqttTestClient>(broker.port());
    subscribe_synced(*ha, "#");
    hostile = std::make_unique<MqttTestClient>(broker.port());
    start(log_level);
  }
  void start(const std::string& log_level = "debug") {
    bridge = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_BRIDGE_BIN, "--config", config_file, "--log-level", log_level});
    BOOST_REQUIRE_MESSAGE(ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait),
                          bridge->output());
  }
  ~Setup() {
    if (!bridge) return;
    const std::string out = bridge->output();
    show_output_if_failed("meross-bridge", out, 20000);
    check_no_secret_in(out, {kKey, kOtherKey, settings.password});
  }
  // The last retained payload on `topic`, as a client subscribing now gets it ("" if none).
  std::string retained(const std::string& topic) {
    MqttTestClient late(broker.port());
    subscribe_synced(late, topic);
    for (const auto& m : late.messages()) {
      if (m.topic == topic && m.retained) return m.payload;
    }
    return {};
  }
  // Waits until a signed, fresh PUSH sent now by the hostile client (behind everything it sent
  // before) has been handled: the switch state `on` of `device` arrives.
  void barrier(const FakeDeviceIdentity& device, bool on) {
    const std::string value = on ? "ON" : "OFF";
    const auto topic = state_topic(device.uuid, "switch_0");
    const std::size_t before = ha->count(payload_on(topic, value));
    hostile->publish(device.publish_topic(),
                     device.message(Method::Push, "Appliance.Control.ToggleX",
                                    togglex_push(on ? 1 : 0, wall_now()), wall_now()));
    BOOST_REQUIRE(wait_until([&] { return ha->count(payload_on(topic, value)) > before; }));
  }
};

// Binds `device` and waits until Home Assistant has its switch state.
void bound_and_announced(Setup& s, FirmwareDevice& device) {
  BOOST_REQUIRE_MESSAGE(device.wait_bound(), s.bridge->output());
  BOOST_REQUIRE_MESSAGE(
      s.ha->wait_for(on_topic(state_topic(device.options().uuid, "switch_0")), kWait),
      s.bridge->output());
}

// The PUSH of `device`'s button (ToggleX), as anyone who can read its topic sees it go by.
auto button_push_of(const FirmwareDevice& device) {
  return [topic = device.publish_topic()](const MqttTestClient::Message& m) {
    const auto parsed = parse(m);
    return m.topic == topic && parsed && parsed->header.ns == "Appliance.Control.ToggleX" &&
           parsed->header.method == Method::Push;
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_device_paired_with_another_key_is_reported_once_and_shown) {
  Setup s;
  // Home Assistant has the problem sensor, with its attributes topic.
  const auto document = s.ha->wait_for(
      [](const MqttTestClient::Message& m) {
        return m.topic == "homeassistant/device/meross_bridge/config" &&
               m.payload.find("\"key_mismatch\"") != std::string::npos;
      },
      kWait);
  BOOST_REQUIRE_MESSAGE(document, s.bridge->output());
  BOOST_TEST(document->payload.find(R"("device_class":"problem")") != std::string::npos);
  BOOST_TEST(document->payload.find(kKeyMismatchAttributes) != std::string::npos);
  BOOST_REQUIRE(s.ha->wait_for(payload_on(kKeyMismatchState, "OFF"), kWait));

  // A plug of another Meross account: its Bind, repeated every 2 s, is signed with its key.
  FirmwareDevice other(device_options(s.broker, "48e1e9a0b001", kOtherKey));
  BOOST_REQUIRE(other.connack() == 0);
  BOOST_TEST(s.ha->wait_for(payload_on(kKeyMismatchState, "ON"), kWait).has_value());
  const auto attributes = s.ha->wait_for(on_topic(kKeyMismatchAttributes), kWait);
  BOOST_REQUIRE(attributes);
  BOOST_TEST(s.ha->wait_for(
                     [&](const MqttTestClient::Message& m) {
                       return m.topic == kKeyMismatchAttributes &&
                              m.payload.find(other.options().uuid) != std::string::npos &&
                              m.payload.find("its Bind") != std::string::npos;
                     },
                     kWait)
                 .has_value());
  BOOST_TEST(s.retained(kKeyMismatchState) == "ON");
  // Once, clearly: which device, that its key differs, how to fix it; not every Bind.
  const std::string line = other.options().uuid +
                           ": dropped a message with a bad signature (Appliance.Control.Bind): "
                           "its key differs from the one configured for it";
  BOOST_REQUIRE(s.bridge->wait_for_output(line, kWait));
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));  // two more Binds
  const std::string out = s.bridge->output();
  BOOST_TEST(count_in(out, line) == 1u);
  BOOST_TEST(count_in(out, "meross-bridge account --write-config") == 1u);
  BOOST_TEST(count_in(out, "bad signature") == 1u);  // that line, not one per Bind
  BOOST_TEST(!other.wait_bound(std::chrono::milliseconds(10)));
}

BOOST_AUTO_TEST_CASE(an_error_5001_answer_tells_the_key_differs_not_silence) {
  // A plug bound by a bridge with its key; the bridge restarts with another key configured.
  const std::string tail = "48e1e9a0b002";
  Setup s({}, "[[devices]]\nuuid = \"23012345678901234567" + tail + "\"\nname = \"Hall plug\"\n");
  FirmwareDevice plug(device_options(s.broker, tail));
  bound_and_announced(s, plug);
  s.bridge->signal(SIGTERM);
  BOOST_REQUIRE(s.bridge->wait_exit(kWait) == 0);
  const std::string first_run = s.bridge->output();
  BOOST_TEST(first_run.find(kKey) == std::string::npos);

  BridgeConfig wrong = s.settings;
  wrong.key = "a-wrongly-configured-key-6620";
  s.config_file = write_bridge_config(s.broker, wrong);
  s.ha->clear();
  s.start();
  // It probes the configured plug; the plug (still bound) refuses with ERROR 5001, signed with
  // its own key.
  const std::string line =
      "Hall plug (" + plug.options().uuid +
      "): refused GET Appliance.System.All with error 5001 (sign error): its key differs";
  BOOST_TEST(s.bridge->wait_for_output(line, kWait), s.bridge->output());
  BOOST_TEST(s.ha->wait_for(payload_on(kKeyMismatchState, "ON"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(
                     [&](const MqttTestClient::Message& m) {
                       return m.topic == kKeyMismatchAttributes &&
                              m.payload.find(plug.options().uuid) != std::string::npos &&
                              m.payload.find("ERROR 5001") != std::string::npos &&
                              m.payload.find("Hall plug") != std::string::npos;
                     },
                     kWait)
                 .has_value());
  const auto refused = plug.wait_request([](const FirmwareDevice::Request& r) {
    return r.ns == "Appliance.System.All" && !r.signature_ok;
  });
  BOOST_TEST(refused.has_value());
  // Not "no answer after 3 attempts": the request is not sent again.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::string out = s.bridge->output();
  BOOST_TEST(out.find("no answer to GET Appliance.System.All") == std::string::npos);
  BOOST_TEST(count_in(out, "its key differs") == 1u);
  BOOST_TEST(out.find("a-wrongly-configured-key-6620") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(stale_future_and_replayed_messages_are_dropped) {
  Setup s("timestamp_window = \"5s\"\n");
  FirmwareDevice plug(device_options(s.broker, "48e1e9a0b003"));
  bound_and_announced(s, plug);
  const FakeDeviceIdentity id{plug.options().uuid, kKey};
  const std::string state = state_topic(id.uuid, "switch_0");

  // A genuine PUSH (the button: ON), captured by anyone who can read the topic.
  s.ha->clear();
  plug.press(true);
  const auto captured = s.ha->wait_for(button_push_of(plug), kWait);
  BOOST_REQUIRE(captured);
  BOOST_REQUIRE(s.ha->wait_for(payload_on(state, "ON"), kWait));
  // Switched off from Home Assistant; then 70 newer messages of the device, more than the
  // 64-entry replay window holds.
  s.ha->publish(command_topic(id.uuid, "switch_0"), "OFF");
  BOOST_REQUIRE(plug.wait_relay(false));
  BOOST_REQUIRE(s.ha->wait_for(payload_on(state, "OFF"), kWait));
  for (int i = 0; i < 70; ++i) {
    s.hostile->publish(id.publish_topic(), id.message(Method::Push, "Appliance.Control.ToggleX",
                                                      togglex_push(0, wall_now()), wall_now()));
  }
  s.barrier(id, false);
  // The capture becomes older than the window (5 s), by more than the whole seconds of the
  // timestamps and of the device clock the bridge learned can blur (±1 s each).
  std::this_thread::sleep_for(std::chrono::seconds(8));

  s.ha->clear();
  const std::int64_t year = 365 * 86400;
  s.hostile->publish(id.publish_topic(), captured->payload);
  s.hostile->publish(id.publish_topic(),
                     id.message(Method::Push, "Appliance.Control.ToggleX",
                                togglex_push(1, wall_now() - year), wall_now() - year));
  s.hostile->publish(id.publish_topic(),
                     id.message(Method::Push, "Appliance.Control.ToggleX",
                                togglex_push(1, wall_now() + 10 * year), wall_now() + 10 * year));
  s.barrier(id, false);
  BOOST_TEST(s.ha->count(payload_on(state, "ON")) == 0u);
  BOOST_TEST(s.bridge->wait_for_output(id.uuid + ": dropped a stale PUSH Appliance.Control.ToggleX",
                                       kWait));
  BOOST_TEST(!plug.relay());

  // A device whose clock was never set (it counts from about 1000): bound, discovered, its
  // button works; a replay of its PUSH older than the window by its own clock is dropped.
  auto clockless_options = device_options(s.broker, "48e1e9a0b004");
  clockless_options.clock_offset = 1000 - wall_now();
  FirmwareDevice clockless(clockless_options);
  bound_and_announced(s, clockless);
  const std::string clockless_state = state_topic(clockless_options.uuid, "switch_0");
  s.ha->clear();
  clockless.press(true);
  const auto its_push = s.ha->wait_for(button_push_of(clockless), kWait);
  BOOST_REQUIRE(its_push);
  BOOST_TEST(parse(*its_push)->header.timestamp < 2000);
  BOOST_TEST(s.ha->wait_for(payload_on(clockless_state, "ON"), kWait).has_value());
  s.ha->publish(command_topic(clockless_options.uuid, "switch_0"), "OFF");
  BOOST_REQUIRE(clockless.wait_relay(false));
  BOOST_REQUIRE(s.ha->wait_for(payload_on(clockless_state, "OFF"), kWait));
  std::this_thread::sleep_for(std::chrono::seconds(8));
  s.ha->clear();
  s.hostile->publish(clockless.publish_topic(), its_push->payload);
  const FakeDeviceIdentity clockless_id{clockless_options.uuid, kKey};
  s.hostile->publish(
      clockless_id.publish_topic(),
      clockless_id.message(Method::Push, "Appliance.Control.ToggleX",
                           togglex_push(0, clockless.clock_now()), clockless.clock_now()));
  BOOST_REQUIRE(s.ha->wait_for(payload_on(clockless_state, "OFF"), kWait));
  BOOST_TEST(s.ha->count(payload_on(clockless_state, "ON")) == 0u);
  BOOST_TEST(s.bridge->wait_for_output(clockless_options.uuid + ": dropped a stale PUSH", kWait));
}

BOOST_AUTO_TEST_CASE(the_bridge_answers_only_on_a_devices_own_topics_and_only_its_requests) {
  Setup s;
  FirmwareDevice a(device_options(s.broker, "48e1e9a0b005"));
  FirmwareDevice b(device_options(s.broker, "48e1e9a0b006"));
  bound_and_announced(s, a);
  bound_and_announced(s, b);
  const FakeDeviceIdentity id_a{a.options().uuid, kKey};
  const FakeDeviceIdentity id_b{b.options().uuid, kKey};
  const std::string state_a = state_topic(id_a.uuid, "switch_0");
  s.ha->clear();

  // Signed Binds of A naming a Home Assistant command topic, our discovery topic and B's topic
  // as the place to answer: ignored, no answer anywhere.
  std::vector<std::string> ids;
  for (const std::string& from : {command_topic(id_a.uuid, "switch_0"),
                                  device_config_topic(id_a.uuid), id_b.subscribe_topic()}) {
    auto header = protocol::make_request_header(Method::Set, "Appliance.Control.Bind", from, kKey,
                                                wall_now());
    ids.push_back(header.message_id);
    s.hostile->publish(id_a.publish_topic(),
                       protocol::serialize(header, bind_payload(id_a.uuid, wall_now())));
  }
  // On A's topic, a PUSH whose header names B: not A's, and not B's either.
  auto naming_b = protocol::make_request_header(Method::Push, "Appliance.Control.ToggleX",
                                                id_b.publish_topic(), kKey, wall_now());
  naming_b.uuid = id_b.uuid;
  s.hostile->publish(id_a.publish_topic(),
                     protocol::serialize(naming_b, togglex_push(1, wall_now())));
  // A GETACK answering no request of ours (a made-up messageId), validly signed.
  const auto nobody_asked = protocol::make_request_header(Method::Get, "Appliance.Control.ToggleX",
                                                          id_a.publish_topic(), kKey, wall_now());
  s.hostile->publish(id_a.publish_topic(),
                     id_a.reply(nobody_asked, togglex_push(1, wall_now()), wall_now()));
  s.barrier(id_a, false);

  BOOST_TEST(s.ha->count(payload_on(state_a, "ON")) == 0u);
  BOOST_TEST(s.ha->count(payload_on(state_topic(id_b.uuid, "switch_0"), "ON")) == 0u);
  for (const auto& m : s.ha->messages()) {
    const auto parsed = parse(m);
    if (!parsed) continue;
    if (parsed->header.method != Method::SetAck) continue;
    for (const auto& id : ids)
      BOOST_TEST(parsed->header.message_id != id, "answered a Bind on " << m.topic);
  }
  const std::string out = s.bridge->output();
  BOOST_TEST(count_in(out, id_a.uuid + ": ignored a Bind whose reply topic") +
                 count_in(out, id_a.uuid + ": dropped a SET Appliance.Control.Bind whose header "
                                           "names another device") >=
             1u);
  BOOST_TEST(out.find(id_a.uuid + ": dropped a PUSH Appliance.Control.ToggleX whose header names "
                                  "another device") != std::string::npos);
  BOOST_TEST(!a.relay());
  BOOST_TEST(!b.relay());
}

BOOST_AUTO_TEST_CASE(a_flood_of_bad_messages_gives_a_bounded_number_of_log_lines) {
  Setup s({}, {}, "info");
  FirmwareDevice plug(device_options(s.broker, "48e1e9a0b007"));
  bound_and_announced(s, plug);
  const FakeDeviceIdentity id{plug.options().uuid, kKey};
  const std::size_t before = s.bridge->output().size();
  // 25,000 messages with a bad signature, from 25,000 made-up uuids.
  for (int i = 0; i < 25000; ++i) {
    char uuid[33];
    std::snprintf(uuid, sizeof uuid, "f100d%027d", i);
    const FakeDeviceIdentity forger{uuid, kOtherKey};
    s.hostile->publish(forger.publish_topic(),
                       forger.message(Method::Push, "Appliance.Control.ToggleX",
                                      togglex_push(1, wall_now()), wall_now()));
  }
  // Behind them on the same connection: handled once they all are.
  s.barrier(id, true);
  const std::string flood = s.bridge->output().substr(before);
  BOOST_TEST(lines_in(flood) <= 60u, lines_in(flood) << " lines");
  BOOST_TEST(count_in(flood, "dropped a message with a bad signature") >= 10u);
  BOOST_TEST(count_in(flood, "too many warnings: holding further ones back") == 1u);
  BOOST_REQUIRE(s.bridge->running());
}

BOOST_AUTO_TEST_CASE(a_made_up_uuid_leaves_no_retained_availability) {
  Setup s;
  const FakeDeviceIdentity stranger{"fa17fa17fa17fa17fa17fa17fa17b008", kKey};
  s.hostile->publish(stranger.publish_topic(),
                     stranger.message(Method::Push, "Appliance.System.Online",
                                      R"({"online":{"status":1}})", wall_now()));
  BOOST_REQUIRE(s.bridge->wait_for_output(stranger.uuid + ": new device", kWait));
  BOOST_REQUIRE(s.ha->wait_for(payload_on(availability_topic(stranger.uuid), "online"), kWait));
  // It never answers: offline after the request timeouts, and its retained topic removed.
  BOOST_REQUIRE(s.ha->wait_for(payload_on(availability_topic(stranger.uuid), ""), kWait));
  BOOST_TEST(s.retained(availability_topic(stranger.uuid)).empty());
  BOOST_TEST(s.ha->count(payload_on(availability_topic(stranger.uuid), "offline")) == 0u);
}
