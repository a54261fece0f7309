#define BOOST_TEST_MODULE bridge_fault_e2e
// End-to-end faults (issue 8): one real bridge on a real mosquitto (its own listener with a
// password file, so the broker password is a real secret), a healthy meross-sim plug, a scripted
// plug with its own key, and a hostile client publishing on device topics. For each fault: the
// bridge is still running, a clear log line carries the counter, and the healthy plug is still
// served (a command from Home Assistant reaches the simulator and its state comes back). Then the
// broker is killed and restarted, Home Assistant goes offline and online, and finally the whole
// log of the run is searched for every secret.
#include <atomic>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/json.hpp"
#include "support/fixtures.hpp"

using namespace meross;
using namespace meross::test;
using protocol::Method;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kGlobalKey = "fault-global-key-8c1f0e";
const std::string kPlugKey = "fault-plug-key-77d2a4";
const std::string kPassword = "fault-broker-password-5e93b1";
// Electricity poll period of the bridge: "recovered within one poll period" is checked with it.
constexpr auto kPollPeriod = std::chrono::seconds(4);
// A real device PUSH (mss100 trace, namespace_pushes) with `onoff` filled in.
std::string togglex_push(int onoff) {
  return R"({"togglex":[{"lmTime":1719611072,"channel":0,"onoff":)" + std::to_string(onoff) + "}]}";
}

// Device uuids are lower-case hex; the trace's file name spells one with a capital.
std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The mss310 trace as a plug on the broker, answering in a thread of its own: discovery, polls
// and commands from the trace's recorded answers. hold(true) makes it an unreachable device
// (it hears requests, answers nothing); connect() again after a broker restart.
class ScriptedPlug {
 public:
  explicit ScriptedPlug(protocol::Trace trace)
      : trace_(std::move(trace)), identity_{lower(trace_.uuid), kPlugKey} {
    for (const auto& row : trace_.rows) {
      if (row.method == "GETACK") answers_[row.ns] = row.payload_json;
    }
    answers_["Appliance.System.Ability"] = trace_.ability_json;
    answers_["Appliance.System.All"] = trace_.all_json;
  }
  ~ScriptedPlug() { disconnect(); }

  const FakeDeviceIdentity& identity() const { return identity_; }
  const std::string& uuid() const { return identity_.uuid; }

  void connect(int port) {
    disconnect();
    client_ = std::make_unique<MqttTestClient>(port);
    subscribe_synced(*client_, identity_.subscribe_topic());
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }
  void disconnect() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    client_.reset();
  }
  void hold(bool on) { hold_ = on; }
  void bind() {
    client_->publish(identity_.publish_topic(),
                     identity_.message(Method::Set, "Appliance.Control.Bind",
                                       bind_payload(identity_.uuid, wall_now()), wall_now()));
  }
  // messageIds of every SET ToggleX heard, in order, held or not.
  std::vector<std::string> toggle_sets() const {
    std::lock_guard lock(mutex_);
    return toggle_sets_;
  }
  int onoff() const { return onoff_; }

 private:
  void run() {
    std::size_t done = 0;
    while (running_) {
      const auto messages = client_->messages();
      for (; done < messages.size(); ++done)
        handle(messages[done]);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void handle(const MqttTestClient::Message& m) {
    if (m.topic != identity_.subscribe_topic()) return;
    const auto request = parse(m);
    if (!request) return;
    const auto& h = request->header;
    if (h.method == Method::Set && h.ns == "Appliance.Control.ToggleX") {
      std::lock_guard lock(mutex_);
      toggle_sets_.push_back(h.message_id);
    }
    if (hold_ || (h.method != Method::Get && h.method != Method::Set)) return;
    std::string payload = "{}";
    if (h.method == Method::Get && h.ns == "Appliance.Control.ToggleX") {
      payload = R"({"togglex":[{"channel":0,"onoff":)" + std::to_string(onoff_.load()) +
                R"(,"lmTime":)" + std::to_string(wall_now()) + "}]}";
    } else if (h.method == Method::Get) {
      const auto it = answers_.find(h.ns);
      if (it == answers_.end()) {
        client_->publish(h.from,
                         identity_.reply(h, R"({"error":{"code":5000}})", wall_now(), true));
        return;
      }
      payload = it->second;
    } else if (h.ns == "Appliance.Control.ToggleX") {
      const auto* togglex = protocol::find_member(request->payload(), "togglex");
      if (togglex && togglex->IsObject()) {
        if (const auto onoff = protocol::int_member(*togglex, "onoff"))
          onoff_ = static_cast<int>(*onoff);
      }
    }
    client_->publish(h.from, identity_.reply(h, payload, wall_now()));
  }

  protocol::Trace trace_;
  FakeDeviceIdentity identity_;
  std::map<std::string, std::string> answers_;
  std::unique_ptr<MqttTestClient> client_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> hold_{false};
  std::atomic<int> onoff_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> toggle_sets_;
};

// A password file for the bridge's listener, written with mosquitto_passwd.
std::string write_password_file(const std::filesystem::path& dir) {
  const auto path = (dir / "passwd").string();
  ChildProcess passwd({"/usr/bin/mosquitto_passwd", "-b", "-c", path, "bridge", kPassword});
  const auto rc = passwd.wait_exit(kWait);
  if (!rc || *rc != 0) throw std::runtime_error("mosquitto_passwd failed: " + passwd.output());
  // mosquitto started as root reads it after dropping to its own user.
  namespace fs = std::filesystem;
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  return path;
}

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    char pattern[] = "/tmp/meross-fault-XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

MosquittoBroker::Options broker_options(const Scratch& scratch, int bridge_port) {
  MosquittoBroker::Options o;
  // Devices, Home Assistant and the test on the anonymous listener; the bridge on its own one,
  // which checks the password.
  o.head_config = "per_listener_settings true";
  o.extra_config = "listener " + std::to_string(bridge_port) +
                   " 127.0.0.1\nallow_anonymous false\npassword_file " +
                   write_password_file(scratch.dir) + "\n";
  return o;
}

struct Setup {
  Scratch scratch;
  int bridge_port = free_loopback_port();
  MosquittoBroker broker{broker_options(scratch, bridge_port)};
  ScriptedPlug plug{load_trace("Kpippo-mss310.csv")};
  std::unique_ptr<ChildProcess> bridge;
  std::unique_ptr<ChildProcess> sim;
  std::unique_ptr<MqttTestClient> ha;       // Home Assistant, and an observer of device topics
  std::unique_ptr<MqttTestClient> hostile;  // publishes whatever a broken or hostile device would
  std::string sim_uuid;

  Setup() {
    const auto config = scratch.dir / "bridge.toml";
    std::ofstream out(config);
    out << "[meross]\nkey = \"" << kGlobalKey
        << "\"\ntimezone = \"Australia/Sydney\"\navailability_timeout = \"12s\"\n"
        << "[mqtt]\nurl = \"mqtt://127.0.0.1:" << bridge_port
        << "\"\nusername = \"bridge\"\npassword = \"" << kPassword << "\"\nclient_id = \"bridge-"
        << unique_suffix() << "\"\nkeepalive = \"5s\"\n"
        << "[homeassistant]\nrepublish_delay = \"500ms\"\n"
        << "[polling]\nelectricity = \"" << kPollPeriod.count() << "s\"\nconsumption = \"1h\"\n"
        << "[log]\nlevel = \"debug\"\n"
        << "[[devices]]\nuuid = \"" << plug.uuid() << "\"\nname = \"Scripted plug\"\nkey = \""
        << kPlugKey << "\"\n";
    out.close();
    std::filesystem::permissions(
        config, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    connect_clients();
    bridge = std::make_unique<ChildProcess>(
        std::vector<std::string>{MEROSS_BRIDGE_BIN, "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(bridge->wait_for_output("mqtt: connected", kWait), bridge->output());
    BOOST_REQUIRE(ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  }
  ~Setup() {
    namespace utf = boost::unit_test;
    if (!utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
      BOOST_TEST_MESSAGE("meross-bridge output:\n" << bridge->output());
      if (sim) BOOST_TEST_MESSAGE("meross-sim output:\n" << sim->output());
    }
  }
  void connect_clients() {
    ha = std::make_unique<MqttTestClient>(broker.port());
    subscribe_synced(*ha, "homeassistant/#");
    subscribe_synced(*ha, "meross/#");
    subscribe_synced(*ha, "/appliance/#");
    hostile = std::make_unique<MqttTestClient>(broker.port());
  }

  void start_sim() {
    sim = std::make_unique<ChildProcess>(std::vector<std::string>{
        MEROSS_SIM_BIN, "--broker", broker.url(), "--key", kGlobalKey, "--profile", "mss310",
        "--bind-interval", "1s", "--clock-interval", "1s", "--log-level", "info"});
    BOOST_REQUIRE_MESSAGE(sim->wait_for_output("ready", kWait), sim->output());
    std::smatch m;
    const std::string text = sim->output();
    static const std::regex line("device ([0-9A-Za-z]{32}) ");
    BOOST_REQUIRE(std::regex_search(text, m, line));
    sim_uuid = m[1].str();
  }
  FakeDeviceIdentity sim_identity() const { return {sim_uuid, kGlobalKey}; }

  // The simulator's live state of the plug has `part` (polled through its stdin).
  bool sim_state_has(const std::string& part) {
    return wait_until([&] {
      const std::size_t before = sim->output().size();
      sim->write_stdin("state " + sim_uuid + "\n");
      std::string line;
      wait_until(
          [&] {
            const std::string out = sim->output();
            const auto at = out.find("state " + sim_uuid + " ", before);
            if (at == std::string::npos) return false;
            const auto end = out.find('\n', at);
            if (end == std::string::npos) return false;
            line = out.substr(at, end - at);
            return true;
          },
          std::chrono::seconds(5));
      return line.find(part) != std::string::npos;
    });
  }

  // The healthy plug is still served: a command from Home Assistant reaches the simulator and
  // the state the device reports comes back.
  void healthy_plug_is_served(bool on) {
    const std::string value = on ? "ON" : "OFF";
    ha->clear();
    ha->publish(command_topic(sim_uuid, "switch_0"), value);
    BOOST_TEST(
        ha->wait_for(payload_on(state_topic(sim_uuid, "switch_0"), value), kWait).has_value(),
        "no " << value << " state after the command");
    BOOST_TEST(sim_state_has(on ? R"({"channel":0,"onoff":1)" : R"({"channel":0,"onoff":0)"));
    BOOST_REQUIRE_MESSAGE(bridge->running(), "meross-bridge exited");
  }
  // Orders after everything the bridge handled before: a fresh signed PUSH of the plug's current
  // switch state, and the state it produces.
  void barrier(bool on) {
    const std::size_t before =
        ha->count(payload_on(state_topic(sim_uuid, "switch_0"), on ? "ON" : "OFF"));
    hostile->publish(sim_identity().publish_topic(),
                     sim_identity().message(Method::Push, "Appliance.Control.ToggleX",
                                            togglex_push(on ? 1 : 0), wall_now()));
    BOOST_REQUIRE(wait_until([&] {
      return ha->count(payload_on(state_topic(sim_uuid, "switch_0"), on ? "ON" : "OFF")) > before;
    }));
  }
  bool logged(const std::string& needle) { return bridge->wait_for_output(needle, kWait); }
};

// The faults, in order; each leaves the healthy plug in the state its name says.

void malformed_json(Setup& s) {
  const auto sim_id = s.sim_identity();
  s.hostile->publish(sim_id.publish_topic(), R"({"header":{"messageId":"0123","namespace":)");
  BOOST_TEST(s.logged("dropped a malformed message on " + sim_id.publish_topic() +
                      ": malformed JSON at offset"));
  BOOST_TEST(s.logged("(1 malformed so far)"));
  s.healthy_plug_is_served(false);
}

void one_mebibyte(Setup& s) {
  const FakeDeviceIdentity big{"fa17b16fa17b16fa17b16fa17b160001", kGlobalKey};
  std::string payload = big.message(Method::Push, "Appliance.Control.ToggleX",
                                    R"({"togglex":[{"channel":0,"onoff":1,"x":""}]})", wall_now());
  payload.insert(payload.find(R"("x":"")") + 5, (1u << 20) - payload.size(), 'x');
  BOOST_REQUIRE(payload.size() == (1u << 20));
  s.hostile->publish(big.publish_topic(), payload);
  BOOST_TEST(s.logged("message of 1048576 bytes exceeds the limit of 65536"));
  BOOST_TEST(s.logged("(2 malformed so far)"));
  s.healthy_plug_is_served(true);
}

void wrong_types(Setup& s) {
  const auto sim_id = s.sim_identity();
  // In the header: dropped before anything reads it.
  const std::string topic = "/appliance/fa17fa17fa17fa17fa17fa17fa170003/publish";
  s.hostile->publish(
      topic,
      R"({"header":{"messageId":12345,"namespace":"Appliance.Control.ToggleX","method":"PUSH",)"
      R"("payloadVersion":1,"from":")" +
          topic + R"(","timestamp":"yes","sign":7},"payload":)" + togglex_push(0) + "}");
  BOOST_TEST(s.logged("dropped a malformed message on " + topic + ": header.messageId"));
  BOOST_TEST(s.logged("(3 malformed so far)"));

  // In the payload of a signed ToggleX PUSH: not understood, no state published.
  s.ha->clear();
  s.hostile->publish(
      sim_id.publish_topic(),
      sim_id.message(Method::Push, "Appliance.Control.ToggleX",
                     R"({"togglex":[{"lmTime":1719611072,"channel":0,"onoff":"yes"}]})",
                     wall_now()));
  BOOST_TEST(s.logged(s.sim_uuid + ": PUSH Appliance.Control.ToggleX not understood: " +
                      "togglex[0].onoff: expected an integer"));
  s.barrier(true);
  // Only the plug's own state (ON) since: nothing made up from "yes".
  BOOST_TEST(s.ha->count([&](const MqttTestClient::Message& m) {
    return m.topic == state_topic(s.sim_uuid, "switch_0") && m.payload != "ON";
  }) == 0u);
  s.healthy_plug_is_served(false);
}

void forged_signature(Setup& s) {
  const auto sim_id = s.sim_identity();
  s.ha->clear();
  const std::string forger_key = "not-the-device-key";
  s.hostile->publish(sim_id.publish_topic(),
                     sim_id.message(Method::Push, "Appliance.Control.ToggleX", togglex_push(1),
                                    wall_now(), {}, &forger_key));
  BOOST_TEST(s.logged(s.sim_uuid +
                      ": dropped a message with a bad signature (Appliance.Control.ToggleX)"));
  BOOST_TEST(s.logged("forged it (1 so far)"));
  s.barrier(false);
  BOOST_TEST(s.ha->count(payload_on(state_topic(s.sim_uuid, "switch_0"), "ON")) == 0u);
  s.healthy_plug_is_served(true);
}

void unknown_namespace(Setup& s) {
  const auto sim_id = s.sim_identity();
  s.hostile->publish(sim_id.publish_topic(),
                     sim_id.message(Method::Push, "Appliance.Control.Fault8",
                                    R"({"fault8":{"channel":0}})", wall_now()));
  BOOST_TEST(s.logged(s.sim_uuid +
                      ": pushed Appliance.Control.Fault8, a namespace its abilities do not list "
                      "(1 so far)"));
  s.healthy_plug_is_served(false);
}

void replayed_message_id(Setup& s) {
  const auto sim_id = s.sim_identity();
  const std::string state = state_topic(s.sim_uuid, "switch_0");
  // A genuine PUSH (the plug switched on), then the plug switched off from Home Assistant, then
  // the PUSH again byte for byte, three times: dropped, the plug stays off.
  const std::string push =
      sim_id.message(Method::Push, "Appliance.Control.ToggleX", togglex_push(1), wall_now());
  s.ha->clear();
  s.hostile->publish(sim_id.publish_topic(), push);
  BOOST_TEST(s.ha->wait_for(payload_on(state, "ON"), kWait).has_value());
  s.healthy_plug_is_served(false);
  s.ha->clear();
  for (int i = 0; i < 3; ++i)
    s.hostile->publish(sim_id.publish_topic(), push);
  BOOST_TEST(s.logged(s.sim_uuid + ": dropped a replayed PUSH Appliance.Control.ToggleX"));
  BOOST_TEST(s.logged("seen before; 1 so far)"));
  s.barrier(false);
  BOOST_TEST(s.ha->count(payload_on(state, "ON")) == 0u);
  BOOST_TEST(count_in(s.bridge->output(), "dropped a replayed") == 1u);  // once a minute
  BOOST_TEST(s.sim_state_has(R"({"channel":0,"onoff":0)"));
  s.healthy_plug_is_served(true);
}

void unknown_uuids(Setup& s) {
  // Documented (registry.hpp, config.toml.example): a device not in the configuration is served
  // with the global key, up to a cap; a forged one is dropped; a topic without a uuid is ignored.
  const FakeDeviceIdentity stranger{"fa17fa17fa17fa17fa17fa17fa170007", kGlobalKey};
  const FakeDeviceIdentity forger{"fa17fa17fa17fa17fa17fa17fa170008", "guessed-key"};
  s.hostile->publish(
      "/appliance/not-a-device/publish",
      stranger.message(Method::Push, "Appliance.Control.ToggleX", togglex_push(1), wall_now()));
  s.hostile->publish(forger.publish_topic(),
                     forger.message(Method::Set, "Appliance.Control.Bind",
                                    bind_payload(forger.uuid, wall_now()), wall_now()));
  s.hostile->publish(stranger.publish_topic(),
                     stranger.message(Method::Set, "Appliance.Control.Bind",
                                      bind_payload(stranger.uuid, wall_now()), wall_now()));
  BOOST_TEST(
      s.logged("dropped a message on /appliance/not-a-device/publish with no valid device uuid"));
  BOOST_TEST(s.logged(forger.uuid + ": dropped a message with a bad signature"));
  BOOST_TEST(s.logged(stranger.uuid + ": new device, not in the configuration"));
  BOOST_TEST(s.ha->wait_for(meross_message(stranger.subscribe_topic(), "Appliance.Control.Bind",
                                           Method::SetAck),
                            kWait)
                 .has_value());
  BOOST_TEST(s.ha->wait_for(meross_message(stranger.subscribe_topic(), "Appliance.System.All",
                                           Method::Get),
                            kWait)
                 .has_value());
  BOOST_TEST(s.ha->count(on_topic(forger.subscribe_topic())) == 0u);
  s.healthy_plug_is_served(false);
}

void broker_killed_and_restarted(Setup& s) {
  const auto sim_id = s.sim_identity();
  const std::string plug_state = state_topic(s.plug.uuid(), "switch_0");
  // A command the bridge accepted and sent, which the device heard but could not answer before
  // the broker died: the bridge retries it (same messageId) after the restart, the device applies
  // it and Home Assistant sees the result.
  bool on = true;  // the command changes the state
  {
    MqttTestClient newcomer(s.broker.port());  // gets the retained state
    newcomer.subscribe(plug_state);
    const auto current = newcomer.wait_for(on_topic(plug_state), kWait);
    BOOST_REQUIRE(current);
    on = current->payload != "ON";
  }
  const std::string value = on ? "ON" : "OFF";
  s.plug.hold(true);
  const std::size_t sets_before = s.plug.toggle_sets().size();
  s.ha->publish(command_topic(s.plug.uuid(), "switch_0"), value);
  BOOST_REQUIRE(wait_until([&] { return s.plug.toggle_sets().size() > sets_before; }));
  const std::string accepted = s.plug.toggle_sets().back();

  s.broker.kill();
  s.plug.disconnect();
  s.ha.reset();
  s.hostile.reset();
  s.broker.start();
  s.plug.hold(false);
  s.plug.connect(s.broker.port());
  s.connect_clients();
  BOOST_TEST(s.logged("mqtt: connection to"));
  BOOST_REQUIRE(s.ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait));
  BOOST_REQUIRE(
      wait_until([&] { return count_in(s.sim->output(), "connected " + s.sim_uuid) >= 2; }));

  // Within one poll period of both being back, the bridge has polled the healthy plug and had
  // its answer; the electricity state follows.
  const auto back = Clock::now();
  const auto polled = s.ha->wait_for(
      [&](const MqttTestClient::Message& m) {
        const auto parsed = parse(m);
        return parsed && parsed->header.ns == "Appliance.Control.Electricity" &&
               parsed->header.method == Method::GetAck &&
               parsed->header.from == sim_id.publish_topic();
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(kPollPeriod + std::chrono::seconds(1)));
  BOOST_TEST(
      polled.has_value(),
      "no Electricity answer within one poll period (+1 s) of the restart: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count()
          << " ms");
  BOOST_TEST(s.ha->wait_for(on_topic(state_topic(s.sim_uuid, "power_0")), kWait).has_value());

  // Re-subscribed and re-announced on the new broker: availability, discovery, states.
  for (const auto& uuid : {s.sim_uuid, s.plug.uuid()}) {
    BOOST_TEST(s.ha->wait_for(payload_on("meross/" + uuid + "/availability", "online"), kWait)
                   .has_value());
    BOOST_TEST(s.ha->wait_for(
                       [&](const auto& m) {
                         return m.topic == device_config_topic(uuid) && !m.payload.empty();
                       },
                       kWait)
                   .has_value());
  }
  // The command accepted before the outage: retried with its messageId, applied.
  BOOST_TEST(s.ha->wait_for(payload_on(plug_state, value), kWait).has_value());
  const auto sets = s.plug.toggle_sets();
  BOOST_TEST(sets.size() > sets_before + 1);
  for (std::size_t i = sets_before; i < sets.size(); ++i)
    BOOST_TEST(sets[i] == accepted);
  BOOST_TEST(s.plug.onoff() == (on ? 1 : 0));
  s.healthy_plug_is_served(true);  // commands work through the new broker
}

void home_assistant_offline_and_online(Setup& s) {
  s.ha->publish("homeassistant/status", "offline");
  BOOST_TEST(s.logged("home assistant status: offline"));
  s.ha->clear();
  s.ha->publish("homeassistant/status", "online");
  BOOST_TEST(s.logged("home assistant is online: re-publishing discovery and states"));
  for (const auto& uuid : {s.sim_uuid, s.plug.uuid()}) {
    BOOST_TEST(s.ha->wait_for(
                       [&](const auto& m) {
                         return m.topic == device_config_topic(uuid) && !m.payload.empty();
                       },
                       kWait)
                   .has_value());
    BOOST_TEST(s.ha->wait_for(on_topic(state_topic(uuid, "switch_0")), kWait).has_value());
  }
  BOOST_TEST(s.ha->wait_for(payload_on(kBridgeAvailability, "online"), kWait).has_value());
  // The published diagnostics count both forged messages (faults 4 and 7).
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/signature_failures/state", "2"), kWait).has_value());
  // ...and the other kinds of bad input, each under its own diagnostic sensor (fault 6 replayed
  // one PUSH three times).
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/replayed_messages/state", "3"), kWait).has_value());
  BOOST_TEST(
      s.ha->wait_for(payload_on("meross/bridge/unknown_namespaces/state", "1"), kWait).has_value());
  BOOST_TEST(s.ha->wait_for(
                     [](const auto& m) {
                       return m.topic == "meross/bridge/malformed_messages/state" &&
                              !m.payload.empty() && std::stoll(m.payload) >= 3;  // faults 1-3
                     },
                     kWait)
                 .has_value());
  s.healthy_plug_is_served(false);
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_input_outages_and_restarts_never_stop_the_bridge) {
  Setup s;
  s.start_sim();
  BOOST_REQUIRE_MESSAGE(s.logged(s.sim_uuid + ": profile learned"), s.bridge->output());
  BOOST_REQUIRE(s.ha->wait_for(on_topic(state_topic(s.sim_uuid, "switch_0")), kWait));
  // The scripted plug, with its own key.
  s.plug.connect(s.broker.port());
  s.plug.bind();
  BOOST_REQUIRE_MESSAGE(s.logged("Scripted plug (" + s.plug.uuid() + "): profile learned"),
                        s.bridge->output());
  BOOST_REQUIRE(s.ha->wait_for(on_topic(state_topic(s.plug.uuid(), "switch_0")), kWait));
  s.healthy_plug_is_served(true);

  const std::vector<std::pair<const char*, void (*)(Setup&)>> faults = {
      {"1. malformed JSON on the healthy plug's own topic", malformed_json},
      {"2. a 1 MiB payload", one_mebibyte},
      {"3. wrong types in the header and in a signed payload", wrong_types},
      {"4. a forged signature", forged_signature},
      {"5. an unknown namespace, validly signed", unknown_namespace},
      {"6. a replayed messageId", replayed_message_id},
      {"7. unknown uuids", unknown_uuids},
      {"8. the broker killed and restarted", broker_killed_and_restarted},
      {"9. Home Assistant offline, then online", home_assistant_offline_and_online},
  };
  for (const auto& [name, fault] : faults) {
    BOOST_TEST_MESSAGE("fault " << name);
    const auto errors = boost::unit_test::results_collector
                            .results(boost::unit_test::framework::current_test_case().p_id)
                            .p_assertions_failed.get();
    fault(s);
    BOOST_TEST(boost::unit_test::results_collector
                       .results(boost::unit_test::framework::current_test_case().p_id)
                       .p_assertions_failed.get() == errors,
               "fault " << name << " failed");
    BOOST_REQUIRE_MESSAGE(s.bridge->running(), "meross-bridge exited during fault " << name);
  }

  // No secret in anything the bridge logged during the whole run (at debug level).
  s.bridge->signal(SIGTERM);
  BOOST_TEST((s.bridge->wait_exit(kWait) == 0));
  const std::string log = s.bridge->output();
  BOOST_TEST(log.size() > 1000u);
  for (const auto& secret : {kGlobalKey, kPlugKey, kPassword})
    BOOST_TEST(log.find(secret) == std::string::npos, "a secret is in the log");
}
