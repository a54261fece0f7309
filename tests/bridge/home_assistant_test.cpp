// The Home Assistant side of the bridge without a broker: HomeAssistant fed with real trace
// payloads through a recording HomeAssistantIo; the poll schedules.
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "bridge/home_assistant.hpp"
#include "bridge/poller.hpp"
#include "device_messages.hpp"
#include "discovery/topics.hpp"
#include "mapping/support.hpp"

using namespace meross;
using namespace meross::bridge;
using protocol::Method;

namespace {

struct Request {
  std::string uuid;
  Method method;
  std::string ns;
  std::string payload;
};

struct FakeIo : HomeAssistantIo {
  std::vector<Publication> published;
  std::vector<std::string> subscribed, unsubscribed, probed;
  std::vector<Request> requests;
  int announced = 0;
  BridgeStats current{2, 40, 1};

  void publish(const Publication& p) override { published.push_back(p); }
  void subscribe(const std::string& f) override { subscribed.push_back(f); }
  void unsubscribe(const std::string& f) override { unsubscribed.push_back(f); }
  bool request(const std::string& uuid, Method method, const std::string& ns,
               const std::string& payload, Now) override {
    requests.push_back({uuid, method, ns, payload});
    return true;
  }
  void probe(const std::string& uuid, Now) override { probed.push_back(uuid); }
  void announce_availability() override { ++announced; }
  BridgeStats stats() const override { return current; }

  std::vector<Publication> on(const std::string& topic) const {
    std::vector<Publication> out;
    std::copy_if(published.begin(), published.end(), std::back_inserter(out),
                 [&](const Publication& p) { return p.topic == topic; });
    return out;
  }
  std::string last(const std::string& topic) const {
    const auto all = on(topic);
    return all.empty() ? "<none>" : all.back().payload;
  }
};

Now at(int seconds) {
  return Now{TimePoint{} + std::chrono::seconds(seconds), 1700000000 + seconds};
}

protocol::Message device_message(const std::string& uuid, Method method, const std::string& ns,
                                 const std::string& payload) {
  test::FakeDeviceIdentity device{uuid, "k"};
  auto parsed = protocol::parse_message(device.message(method, ns, payload, 1700000000));
  BOOST_REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// Connects `ha` and delivers `retained` documents (an earlier run's) before the read-back marker.
void read_back(HomeAssistant& ha, const FakeIo& io, const std::vector<Publication>& retained) {
  ha.on_connected(at(0));
  const std::string marker = io.published.back().topic;
  for (const auto& p : retained)
    ha.on_message(p.topic, p.payload, true, at(0));
  ha.on_message(marker, "done", false, at(0));
}

struct Fixture {
  Config config;
  FakeIo io;
  std::unique_ptr<HomeAssistant> ha;
  protocol::DeviceProfile plug = test::trace_profile("mss310.csv");
  std::string marker;

  explicit Fixture(std::vector<std::string> exclude = {}) {
    config.exclude = std::move(exclude);
    config.electricity = std::chrono::seconds(30);
    auto settings = HomeAssistantSettings::from_config(config, 42);
    ha = std::make_unique<HomeAssistant>(config, settings, io);
  }
  // Connects and delivers `retained` documents before the read-back marker.
  void connect(const std::vector<Publication>& retained = {}) {
    ha->on_connected(at(0));
    BOOST_REQUIRE(!io.published.empty());
    marker = io.published.back().topic;
    BOOST_TEST(io.published.back().retain == false);
    for (const auto& p : retained)
      BOOST_TEST(ha->on_message(p.topic, p.payload, true, at(0)));
    BOOST_TEST(!ha->readback_done());
    BOOST_TEST(ha->on_message(marker, "done", false, at(0)));
    BOOST_TEST(ha->readback_done());
  }
  // The plug answers a GET of `ns` at `seconds` with its answer in the trace.
  void recorded_answer(const std::string& ns, int seconds) {
    const auto answer = test::recorded("mss310.csv", ns, "GETACK");
    ha->on_device_message(plug.uuid, device_message(plug.uuid, Method::GetAck, ns, answer),
                          at(seconds));
  }
  std::string doc_topic() const { return "homeassistant/device/meross_" + plug.uuid + "/config"; }
  std::string state(const std::string& key) const {
    return discovery::state_topic("meross", plug.uuid, key);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(home_assistant)

BOOST_AUTO_TEST_CASE(discovery_topic_owners) {
  discovery::Options o;
  BOOST_TEST(*discovery_topic_owner("homeassistant/device/meross_bridge/config", o) == "");
  BOOST_TEST(*discovery_topic_owner("homeassistant/device/meross_ABC123/config", o) == "ABC123");
  BOOST_TEST(*discovery_topic_owner("homeassistant/switch/meross_abc/switch_0/config", o) == "abc");
  // A hub's sub-device belongs to the hub.
  BOOST_TEST(*discovery_topic_owner("homeassistant/device/meross_abc_0300DF01/config", o) == "abc");
  BOOST_TEST(!discovery_topic_owner("homeassistant/device/other_abc/config", o));
  BOOST_TEST(!discovery_topic_owner("homeassistant/status", o));
  BOOST_TEST(!discovery_topic_owner("homeassistant/device/meross_/config", o));
  BOOST_TEST(!discovery_topic_owner("homeassistant/a/b/c/d/config", o));
}

BOOST_AUTO_TEST_CASE(nothing_announced_before_the_read_back_then_everything) {
  Fixture f;
  f.ha->on_connected(at(0));
  const auto filters = discovery::readback_filters(discovery::Options{});
  for (const auto& filter : filters)
    BOOST_TEST((std::count(f.io.subscribed.begin(), f.io.subscribed.end(), filter) == 1));
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  BOOST_TEST(f.io.on(f.doc_topic()).empty());
  f.marker = f.io.published.front().topic;
  f.ha->on_message(f.marker, "done", false, at(0));
  BOOST_TEST(f.io.on(f.doc_topic()).size() == 1u);
  BOOST_TEST(f.io.on(f.doc_topic())[0].retain);
  BOOST_TEST(f.io.on("homeassistant/device/meross_bridge/config").size() == 1u);
  BOOST_TEST(f.io.last("meross/bridge/devices_online/state") == "2");
  BOOST_TEST(f.io.last("meross/bridge/signature_failures/state") == "1");
  for (const auto& filter : filters)
    BOOST_TEST((std::count(f.io.unsubscribed.begin(), f.io.unsubscribed.end(), filter) == 1));
}

BOOST_AUTO_TEST_CASE(first_states_from_system_all_before_or_after_the_profile) {
  const std::string all = test::recorded("mss310.csv", "Appliance.System.All", "GETACK");
  for (const bool early : {true, false}) {
    Fixture f;
    f.connect();
    const auto message = device_message(f.plug.uuid, Method::GetAck, "Appliance.System.All", all);
    if (early) f.ha->on_device_message(f.plug.uuid, message, at(1));
    f.ha->on_profile(f.plug.uuid, f.plug, at(1));
    if (!early) f.ha->on_device_message(f.plug.uuid, message, at(1));
    BOOST_TEST(f.io.last(f.state("switch_0")) == "ON");  // on while the trace was recorded
    BOOST_TEST(f.io.on(f.state("switch_0")).back().retain);
    BOOST_TEST(f.ha->last_state(f.plug.uuid, "switch_0") == "ON");
  }
}

BOOST_AUTO_TEST_CASE(polled_electricity_and_energy_become_states) {
  Fixture f;
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  f.recorded_answer("Appliance.Control.Electricity", 1);
  BOOST_TEST(f.io.last(f.state("power_0")) != "<none>");
  BOOST_TEST(f.io.last(f.state("voltage_0")) != "<none>");
  f.recorded_answer("Appliance.Control.ConsumptionX", 1);
  BOOST_TEST(f.io.last(f.state("energy_0")) != "<none>");
  // Garbage of the right namespace: counted, no state, no crash.
  f.ha->on_device_message(
      f.plug.uuid,
      device_message(f.plug.uuid, Method::Push, "Appliance.Control.ToggleX", R"({"togglex":"on"})"),
      at(2));
  BOOST_TEST(f.ha->counters().state_errors == 1u);
}

BOOST_AUTO_TEST_CASE(commands_become_requests_and_bad_ones_are_rejected) {
  Fixture f;
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  const std::string set = discovery::command_topic("meross", f.plug.uuid, "switch_0");
  BOOST_TEST(f.ha->on_message(set, "OFF", false, at(1)));
  BOOST_REQUIRE(f.io.requests.size() >= 2u);
  BOOST_TEST((f.io.requests[0].method == Method::Set));
  BOOST_TEST(f.io.requests[0].ns == "Appliance.Control.ToggleX");
  BOOST_TEST(f.io.requests[0].payload.find("\"onoff\":0") != std::string::npos);
  BOOST_TEST((f.io.requests.back().method == Method::Get));
  BOOST_TEST(f.ha->counters().commands == 1u);
  // Not optimistic: no state published for the command itself.
  BOOST_TEST(f.io.on(f.state("switch_0")).empty());

  const auto sent = f.io.requests.size();
  f.ha->on_message(set, "{garbage", false, at(2));
  f.ha->on_message(set, "ON", /*retained=*/true, at(2));
  f.ha->on_message(discovery::command_topic("meross", f.plug.uuid, "nope"), "ON", false, at(2));
  f.ha->on_message(discovery::command_topic("meross", "0123456789abcdef0123456789abcdef", "x"),
                   "ON", false, at(2));
  BOOST_TEST(f.io.requests.size() == sent);
  BOOST_TEST(f.ha->counters().commands_rejected == 4u);
  BOOST_TEST(!f.ha->on_message("meross/not/a/command/topic", "x", false, at(2)));
}

BOOST_AUTO_TEST_CASE(polls_start_spread_and_follow_commands) {
  Fixture f;
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  f.ha->tick(at(11));  // every first poll is within 10 s
  const auto count = [&](const std::string& ns) {
    return std::count_if(f.io.requests.begin(), f.io.requests.end(),
                         [&](const Request& r) { return r.ns == ns && r.method == Method::Get; });
  };
  BOOST_TEST(count("Appliance.Control.Electricity") == 1);
  BOOST_TEST(count("Appliance.Control.ConsumptionX") == 1);
  f.ha->tick(at(12));
  BOOST_TEST(count("Appliance.Control.Electricity") == 1);
  // A command: electricity again about a second later, not 30 s later.
  f.ha->on_message(discovery::command_topic("meross", f.plug.uuid, "switch_0"), "ON", false,
                   at(13));
  f.ha->tick(at(15));
  BOOST_TEST(count("Appliance.Control.Electricity") == 2);
  // Offline: no polls.
  f.ha->on_availability(f.plug.uuid, false, at(16));
  f.ha->tick(at(400));
  BOOST_TEST(count("Appliance.Control.Electricity") == 2);
}

BOOST_AUTO_TEST_CASE(birth_message_republishes_after_a_random_short_delay) {
  Fixture f;
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  f.ha->on_device_message(f.plug.uuid,
                          device_message(f.plug.uuid, Method::Push, "Appliance.Control.ToggleX",
                                         R"({"togglex":[{"channel":0,"onoff":1}]})"),
                          at(0));
  const auto docs = f.io.on(f.doc_topic()).size();
  const auto states = f.io.on(f.state("switch_0")).size();
  BOOST_TEST(f.ha->on_message("homeassistant/status", "online", false, Now{TimePoint{}, 0}));
  f.ha->tick(Now{TimePoint{} + std::chrono::milliseconds(900), 0});  // before 5s / 5
  BOOST_TEST(f.io.on(f.doc_topic()).size() == docs);
  f.ha->tick(Now{TimePoint{} + std::chrono::milliseconds(5001), 0});
  BOOST_TEST(f.io.on(f.doc_topic()).size() == docs + 1);
  BOOST_TEST(f.io.on(f.state("switch_0")).size() == states + 1);
  BOOST_TEST(f.io.announced == 1);
  BOOST_TEST(f.ha->counters().republished == 1u);
  f.ha->on_message("homeassistant/status", "offline", false, at(6));
  f.ha->tick(at(20));
  BOOST_TEST(f.ha->counters().republished == 1u);
}

BOOST_AUTO_TEST_CASE(removals_across_restarts) {
  const std::string gone = "0123456789abcdef0123456789abcdef";
  const std::string waiting = "fedcba9876543210fedcba9876543210";
  // What a previous run announced: the plug with one more component, an excluded device and a
  // device that has not come back yet.
  Fixture before;
  before.connect();
  auto profile = before.plug;
  const auto entities = mapping::entities_for(profile);
  auto extra = entities;
  mapping::Entity ghost = entities.front();
  ghost.key = "switch_7";
  extra.push_back(ghost);
  discovery::Options options;
  std::vector<Publication> retained;
  for (const auto& p : discovery::device_config(profile, extra, options))
    retained.push_back({p.topic, p.payload, true, 1});
  for (const auto& uuid : {gone, waiting}) {
    auto other = profile;
    other.uuid = uuid;
    for (const auto& p : discovery::device_config(other, entities, options))
      retained.push_back({p.topic, p.payload, true, 1});
  }
  retained.push_back({"homeassistant/device/not_ours/config", R"({"x":1})", true, 1});

  Fixture f({gone});
  f.connect(retained);
  const std::string gone_topic = "homeassistant/device/meross_" + gone + "/config";
  const std::string waiting_topic = "homeassistant/device/meross_" + waiting + "/config";
  BOOST_TEST(f.io.last(gone_topic) == "");
  BOOST_TEST(f.io.on(waiting_topic).empty());  // kept: it may come back
  BOOST_TEST(f.io.on("homeassistant/device/not_ours/config").empty());
  // Devices known from the documents are asked to answer, within the probe spread.
  BOOST_TEST(f.io.probed.empty());
  f.ha->tick(at(5));
  BOOST_TEST((std::count(f.io.probed.begin(), f.io.probed.end(), waiting) == 1));
  BOOST_TEST((std::count(f.io.probed.begin(), f.io.probed.end(), profile.uuid) == 1));
  BOOST_TEST((std::count(f.io.probed.begin(), f.io.probed.end(), gone) == 0));

  f.ha->on_profile(profile.uuid, profile, at(1));
  const auto docs = f.io.on(f.doc_topic());
  BOOST_REQUIRE(docs.size() == 2u);
  BOOST_TEST(docs[0].payload.find(R"("switch_7":{"platform":"switch"})") != std::string::npos);
  BOOST_TEST(docs[1].payload.find("switch_7") == std::string::npos);
  // The stub is the current document with the dropped component appended, nothing else.
  BOOST_TEST(docs[0].payload == docs[1].payload.substr(0, docs[1].payload.size() - 2) +
                                    R"(,"switch_7":{"platform":"switch"}}})");
  BOOST_TEST(docs[0].retain);
  // Learned again later with the same entities: no more removals, and the same document is not
  // sent again (Home Assistant holds it retained).
  f.ha->on_profile(profile.uuid, profile, at(2));
  BOOST_TEST(f.io.on(f.doc_topic()).size() == 2u);
  // Home Assistant restarted: everything again.
  f.ha->on_message("homeassistant/status", "online", false, at(3));
  f.ha->tick(at(100));
  BOOST_TEST(f.io.on(f.doc_topic()).size() == 3u);
  BOOST_TEST(f.io.on(f.doc_topic()).back().payload == docs[1].payload);
}

BOOST_AUTO_TEST_CASE(per_component_mode_removes_the_device_document_of_an_earlier_run) {
  Fixture before;
  discovery::Options device_mode;
  const auto entities = mapping::entities_for(before.plug);
  std::vector<Publication> retained;
  for (const auto& p : discovery::device_config(before.plug, entities, device_mode))
    retained.push_back({p.topic, p.payload, true, 1});

  Config config;
  config.per_component_discovery = true;
  FakeIo io;
  HomeAssistant ha(config, HomeAssistantSettings::from_config(config, 1), io);
  read_back(ha, io, retained);
  ha.on_profile(before.plug.uuid, before.plug, at(0));
  BOOST_TEST(io.last(before.doc_topic()) == "");
  BOOST_TEST(io.on("homeassistant/switch/meross_" + before.plug.uuid + "/switch_0/config").size() ==
             1u);
}

BOOST_AUTO_TEST_CASE(per_component_mode_removals_across_restarts) {
  const std::string gone = "0123456789abcdef0123456789abcdef";
  Fixture before;
  const auto profile = before.plug;
  const auto entities = mapping::entities_for(profile);
  auto extra = entities;
  mapping::Entity ghost = entities.front();
  ghost.key = "switch_7";
  extra.push_back(ghost);
  discovery::Options pc;
  pc.device_discovery = false;
  // What a previous run announced: the plug with one more entity, and an excluded device.
  std::vector<Publication> retained;
  for (const auto& p : discovery::device_config(profile, extra, pc))
    retained.push_back({p.topic, p.payload, true, 1});
  auto excluded = profile;
  excluded.uuid = gone;
  std::vector<std::string> excluded_topics;
  for (const auto& p : discovery::device_config(excluded, entities, pc)) {
    retained.push_back({p.topic, p.payload, true, 1});
    excluded_topics.push_back(p.topic);
  }
  BOOST_REQUIRE(excluded_topics.size() > 1u);

  Config config;
  config.per_component_discovery = true;
  config.exclude = {gone};
  FakeIo io;
  HomeAssistant ha(config, HomeAssistantSettings::from_config(config, 1), io);
  read_back(ha, io, retained);
  // Every document of the excluded device is removed, once, at the end of the read-back.
  for (const auto& topic : excluded_topics) {
    BOOST_TEST(io.on(topic).size() == 1u);
    BOOST_TEST(io.last(topic) == "");
  }
  const std::string node = "meross_" + profile.uuid;
  const std::string ghost_topic = "homeassistant/switch/" + node + "/switch_7/config";
  const std::string kept_topic = "homeassistant/switch/" + node + "/switch_0/config";
  BOOST_TEST(io.on(ghost_topic).empty());  // kept until the device is back

  ha.on_profile(profile.uuid, profile, at(1));
  BOOST_TEST(io.on(ghost_topic).size() == 1u);
  BOOST_TEST(io.last(ghost_topic) == "");
  BOOST_TEST(io.on(kept_topic).size() == 1u);
  BOOST_TEST(io.last(kept_topic) != "");
  BOOST_TEST(io.on(before.doc_topic()).empty());  // never a device document in this mode
  // Learned again: nothing more to remove, nothing changed to announce.
  ha.on_profile(profile.uuid, profile, at(2));
  BOOST_TEST(io.on(ghost_topic).size() == 1u);
  BOOST_TEST(io.on(kept_topic).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_component_dropped_within_a_run_is_stubbed_then_omitted) {
  // No read-back documents: what the bridge published itself is what it compares with.
  Fixture f;
  f.connect();
  auto strip = test::mss425f_profile();
  f.ha->on_profile(strip.uuid, strip, at(1));
  const std::string topic = "homeassistant/device/meross_" + strip.uuid + "/config";
  BOOST_REQUIRE(f.io.on(topic).size() == 1u);
  auto smaller = strip;
  smaller.set_channels("togglex", {0, 1, 2, 3});
  f.ha->on_profile(strip.uuid, smaller, at(2));
  const auto docs = f.io.on(topic);
  BOOST_REQUIRE(docs.size() == 3u);
  BOOST_TEST(docs[1].payload == docs[2].payload.substr(0, docs[2].payload.size() - 2) +
                                    R"(,"switch_4":{"platform":"switch"}}})");
  BOOST_TEST(docs[2].payload.find("switch_4") == std::string::npos);
  // Back to the full strip: nothing to remove, the component is announced again.
  f.ha->on_profile(strip.uuid, strip, at(3));
  BOOST_TEST(f.io.on(topic).size() == 4u);
  BOOST_TEST(f.io.on(topic).back().payload == docs[0].payload);
}

BOOST_AUTO_TEST_CASE(poll_offsets_are_stable_bounded_and_spread) {
  using std::chrono::seconds;
  const auto a =
      poll_offset("0123456789abcdef0123456789abcdef", "Appliance.Control.Electricity", seconds(10));
  BOOST_TEST((a == poll_offset("0123456789abcdef0123456789abcdef", "Appliance.Control.Electricity",
                               seconds(10))));
  BOOST_TEST((a >= Duration(0) && a < seconds(10)));
  std::set<Duration::rep> offsets;
  for (int i = 0; i < 20; ++i) {
    offsets.insert(
        poll_offset("device" + std::to_string(i), "Appliance.Control.Electricity", seconds(10))
            .count());
  }
  BOOST_TEST(offsets.size() > 15u);
  BOOST_TEST((poll_offset("x", "y", Duration(0)) == Duration(0)));
}

BOOST_AUTO_TEST_CASE(poller_keeps_its_phase_and_skips_missed_rounds) {
  Poller poller(std::chrono::seconds(10));
  PollIntervals intervals;
  intervals.electricity = std::chrono::seconds(30);
  const mapping::Poll poll{mapping::PollKind::Electricity, "Appliance.Control.Electricity", "{}"};
  const TimePoint t0{};
  poller.start("u", {poll}, intervals, t0);
  const auto first = *poller.next_wakeup();
  BOOST_TEST((first >= t0 && first < t0 + std::chrono::seconds(10)));
  BOOST_TEST(poller.due(first - std::chrono::milliseconds(1)).empty());
  BOOST_TEST(poller.due(first).size() == 1u);
  BOOST_TEST((*poller.next_wakeup() == first + std::chrono::seconds(30)));
  // Asleep for five minutes: one poll, not ten.
  BOOST_TEST(poller.due(first + std::chrono::minutes(5)).size() == 1u);
  BOOST_TEST((*poller.next_wakeup() > first + std::chrono::minutes(5)));
  poller.stop("u");
  BOOST_TEST(!poller.next_wakeup());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(home_assistant_config)

BOOST_AUTO_TEST_CASE(device_name_and_poll_overrides_from_the_configuration) {
  Fixture f;
  DeviceConfig d;
  d.uuid = "0123456789012345678901234567891a";  // the mss310.csv trace, lower case
  BOOST_REQUIRE(f.plug.uuid == "0123456789012345678901234567891A");
  d.name = "Desk plug";
  d.electricity = std::chrono::seconds(5);
  f.config.devices.push_back(d);
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  BOOST_TEST(f.io.last(f.doc_topic()).find(R"("name":"Desk plug")") != std::string::npos);
  for (int t = 1; t <= 40; ++t)
    f.ha->tick(at(t));
  const auto polls = std::count_if(f.io.requests.begin(), f.io.requests.end(), [](const auto& r) {
    return r.ns == "Appliance.Control.Electricity";
  });
  BOOST_TEST(polls >= 7);  // every 5 s, not every 30 s
  BOOST_TEST(polls <= 9);
}

BOOST_AUTO_TEST_CASE(a_rename_republishes_the_discovery_with_the_new_name) {
  Fixture f;
  DeviceConfig d;
  d.uuid = "0123456789012345678901234567891a";
  d.name = "Desk plug";
  f.config.devices.push_back(d);
  BOOST_TEST(f.ha->name(f.plug.uuid) == "Desk plug");
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  f.ha->rename(f.plug.uuid, "Kettle");
  BOOST_TEST(f.io.last(f.doc_topic()).find(R"("name":"Kettle")") != std::string::npos);
  BOOST_TEST(f.ha->name(f.plug.uuid) == "Kettle");
  // Before its profile is known, the name waits for it.
  const std::string other = "1111111111111111111111111111111a";
  f.ha->rename(other, "Lamp");
  BOOST_TEST(f.ha->name(other) == "Lamp");
}

BOOST_AUTO_TEST_CASE(hub_sub_devices_appear_go_and_a_bad_item_is_counted_not_fatal) {
  Fixture f;
  f.connect();
  const auto hub = test::trace_profile("msh300hk-ms200-gs559");
  const std::string valve_doc = "homeassistant/device/meross_" + hub.uuid + "_0300DF01/config";
  const std::string door_doc = "homeassistant/device/meross_" + hub.uuid + "_160020100486/config";
  f.ha->on_profile(hub.uuid, hub, at(1));
  const auto digest = [&](const std::string& subdevices) {
    return R"({"all":{"system":{"hardware":{"type":"msh300hk"}},"digest":{"hub":{"hubId":1,)"
           R"("mode":0,"subdevice":[)" +
           subdevices + "]}}}}";
  };
  const std::string door =
      R"({"id":"160020100486","status":1,"doorWindow":{"status":1,"lmTime":1}})";
  const std::string valve =
      R"({"id":"0300DF01","status":1,"onoff":1,"mts150":{"mode":1,"currentSet":150}})";
  // The door twice (first kept, the copy left out and counted), a valve, and a sub-device of a
  // type nobody knows: every other sub-device still appears with its state.
  f.ha->on_device_message(
      hub.uuid,
      device_message(hub.uuid, Method::GetAck, "Appliance.System.All",
                     digest(door + "," + valve + "," + door +
                            R"(,{"id":"9900AA01","status":1,"teapot":{"t":1}})")),
      at(2));
  BOOST_TEST(!f.io.on(valve_doc).empty());
  BOOST_TEST(!f.io.on(door_doc).empty());
  BOOST_TEST(f.io.last(discovery::state_topic("meross", hub.uuid, "160020100486_window")) == "ON");
  BOOST_TEST(f.io.last(discovery::state_topic("meross", hub.uuid, "0300DF01_availability")) ==
             "online");
  BOOST_TEST(f.ha->counters().state_errors >= 1u);
  f.ha->tick(at(120));  // the diagnostics carry the count
  BOOST_TEST(
      f.io.last(discovery::bridge_state_topic("meross", discovery::kBridgeUnreadableStates)) ==
      std::to_string(f.ha->counters().state_errors));

  // The door leaves the hub: its device is removed from Home Assistant, the valve stays.
  f.ha->on_device_message(
      hub.uuid, device_message(hub.uuid, Method::GetAck, "Appliance.System.All", digest(valve)),
      at(130));
  BOOST_TEST(f.io.last(door_doc) == "");
  BOOST_TEST(f.io.last(valve_doc) != "");
  BOOST_TEST(f.ha->has_memory(hub.uuid));  // its sub-devices
}

// Issue 19: per-device state is what differs between devices; the rest is shared.
BOOST_AUTO_TEST_CASE(a_device_keeps_the_sessions_profile_and_a_plug_no_mapping_memory) {
  Fixture f;
  f.connect();
  const auto shared = std::make_shared<const protocol::DeviceProfile>(f.plug);
  f.ha->on_profile(f.plug.uuid, shared, at(0));
  BOOST_TEST(f.ha->profile(f.plug.uuid) == shared);  // the same object, not a copy
  f.recorded_answer("Appliance.Control.Electricity", 1);
  f.recorded_answer("Appliance.System.All", 1);
  BOOST_TEST(f.ha->last_state(f.plug.uuid, "switch_0") == "ON");
  BOOST_TEST(!f.ha->has_memory(f.plug.uuid));
  BOOST_TEST(!f.ha->profile("0123456789abcdef0123456789abcdef"));
}

BOOST_AUTO_TEST_CASE(states_are_published_again_in_key_order_with_their_last_payload) {
  Fixture f;
  f.connect();
  f.ha->on_profile(f.plug.uuid, f.plug, at(0));
  f.recorded_answer("Appliance.Control.Electricity", 1);
  f.recorded_answer("Appliance.System.All", 1);
  f.ha->on_device_message(f.plug.uuid,
                          device_message(f.plug.uuid, Method::Push, "Appliance.Control.ToggleX",
                                         R"({"togglex":[{"channel":0,"onoff":0}]})"),
                          at(2));
  f.io.published.clear();
  f.ha->on_message("homeassistant/status", "online", false, at(3));
  f.ha->tick(at(60));
  std::vector<std::string> keys;
  const std::string prefix = "meross/" + f.plug.uuid + "/";
  for (const auto& p : f.io.published) {
    if (p.topic.starts_with(prefix) && p.topic.ends_with("/state"))
      keys.push_back(p.topic.substr(prefix.size(), p.topic.size() - prefix.size() - 6));
  }
  BOOST_TEST(keys.size() >= 4u);
  BOOST_TEST(std::is_sorted(keys.begin(), keys.end()));
  BOOST_TEST(f.io.last(f.state("switch_0")) == "OFF");  // the last payload, not the first
}

BOOST_AUTO_TEST_SUITE_END()
