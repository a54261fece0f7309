// meross-sim end to end: a real mosquitto on a free loopback port, the meross-sim binary, and a
// test client subscribed to everything playing the bridge.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "simulator/device.hpp"
#include "support/child_process.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"

using namespace meross;
using namespace meross::test;
using namespace meross::sim_test::e2e;
using namespace std::chrono_literals;
using protocol::Method;

namespace {

constexpr const char* kReply = "/app/7-e2e/subscribe";

std::string trace_path(const std::string& fragment) {
  for (const auto& path : trace_files()) {
    if (path.filename().string().find(fragment) != std::string::npos) return path.string();
  }
  throw std::runtime_error("no trace " + fragment);
}

std::vector<std::string> sim_args(const MosquittoBroker& broker, std::vector<std::string> extra) {
  std::vector<std::string> args{MEROSS_SIM_BINARY, "--broker", broker.url(), "--key", kKey};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::optional<protocol::Message> parse(const MqttTestClient::Message& m) {
  auto parsed = protocol::parse_message(m.payload);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value();
}

bool is(const MqttTestClient::Message& m, const std::string& topic, std::string_view ns,
        Method method) {
  if (m.topic != topic) return false;
  auto p = parse(m);
  return p && p->header.ns == ns && p->header.method == method;
}

bool has_id(const MqttTestClient::Message& m, const std::string& id) {
  auto p = parse(m);
  return p && p->header.message_id == id;
}

// Sends a signed request to the device; returns its messageId.
std::string send(MqttTestClient& client, const std::string& uuid, Method method,
                 std::string_view ns, std::string_view payload, std::string_view key = kKey,
                 std::string_view from = kReply) {
  auto h = protocol::make_request_header(method, ns, from, key, now_s());
  client.publish("/appliance/" + uuid + "/subscribe", protocol::serialize(h, payload));
  return h.message_id;
}

// Acknowledges a device's Bind SET as the bridge does (same messageId, fresh signature).
void ack_bind(MqttTestClient& client, const std::string& uuid, const MqttTestClient::Message& m) {
  auto bind = parse(m);
  BOOST_REQUIRE(bind);
  auto h =
      protocol::make_ack_header(bind->header, kKey, now_s(), "/appliance/" + uuid + "/publish");
  client.publish(bind->header.from, protocol::serialize(h, "{}"));
}

std::size_t count_lines(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

// Polls `condition` until it holds or `timeout` passes (MqttTestClient::wait_for holds the
// client's lock while it matches, so conditions that call count() are polled here instead).
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

long vm_rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(trace_device_handshake_requests_and_state_pushes) {
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");
  const auto trace = load_trace("mss310.csv");
  const std::string uuid = trace.uuid;
  const std::string pub = "/appliance/" + uuid + "/publish";
  ChildProcess sim(sim_args(broker, {"--trace", trace_path("mss310.csv"), "--bind-interval", "1s",
                                     "--clock-interval", "1s", "--user-id", "7"}));
  BOOST_REQUIRE(sim.wait_for_output("device " + uuid + " mss310 " + sim::mac_from_uuid(uuid)));
  BOOST_REQUIRE(sim.wait_for_output("connected " + uuid));
  BOOST_REQUIRE(sim.wait_for_output("ready"));

  const auto bind_set = [&](const MqttTestClient::Message& m) {
    return is(m, pub, "Appliance.Control.Bind", Method::Set);
  };
  // Unbound: Report + Bind repeat (every second here), Clock repeats until answered.
  BOOST_REQUIRE(wait_until([&] { return bridge.count(bind_set) >= 2; }, 10s));
  BOOST_TEST(bridge.count([&](const auto& m) {
    return is(m, pub, "Appliance.System.Report", Method::Push);
  }) >= 2u);
  BOOST_TEST(bridge.count([&](const auto& m) {
    return is(m, pub, "Appliance.System.Clock", Method::Push);
  }) >= 2u);
  BOOST_TEST(bridge.count([&](const auto& m) {
    return is(m, pub, "Appliance.Control.ConsumptionConfig", Method::Push);
  }) >= 1u);

  // Commands are ignored until the Bind is acknowledged: still nothing after another Bind.
  const std::string early = send(bridge, uuid, Method::Get, "Appliance.System.All", "{}");
  const std::size_t binds = bridge.count(bind_set);
  BOOST_REQUIRE(wait_until([&] { return bridge.count(bind_set) > binds; }, 10s));
  BOOST_TEST(bridge.count([&](const auto& m) { return m.topic == kReply; }) == 0u);

  // A wrongly signed SETACK does not bind; a valid one does.
  {
    auto last = bridge.messages();
    const MqttTestClient::Message* bind_msg = nullptr;
    for (const auto& m : last) {
      if (bind_set(m)) bind_msg = &m;
    }
    BOOST_REQUIRE(bind_msg);
    auto parsed = parse(*bind_msg);
    auto bad = protocol::make_ack_header(parsed->header, "not-the-key", now_s(), pub);
    bridge.publish(parsed->header.from, protocol::serialize(bad, "{}"));
    ack_bind(bridge, uuid, *bind_msg);
    // Clock: answer the last Clock PUSH with a header replay (§3.4).
    const MqttTestClient::Message* clock_msg = nullptr;
    for (const auto& m : last) {
      if (is(m, pub, "Appliance.System.Clock", Method::Push)) clock_msg = &m;
    }
    BOOST_REQUIRE(clock_msg);
    auto clock = parse(*clock_msg);
    bridge.publish(
        "/appliance/" + uuid + "/subscribe",
        protocol::serialize(protocol::make_push_reply_header(clock->header),
                            R"({"clock":{"timestamp":)" + std::to_string(now_s()) + "}}"));
  }
  BOOST_REQUIRE(sim.wait_for_output("bound " + uuid));
  BOOST_TEST(count_lines(sim.output(), "bound ") == 1u);

  // GET System.All: the trace's payload, with the simulated identity and live time.
  bridge.clear();
  const std::string all_id = send(bridge, uuid, Method::Get, "Appliance.System.All", "{}");
  auto all = bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, all_id); });
  BOOST_REQUIRE(all);
  auto answer = parse(*all);
  BOOST_REQUIRE(answer);
  BOOST_TEST((answer->header.method == Method::GetAck));
  BOOST_TEST(answer->header.from == pub);
  BOOST_TEST(protocol::verify_sign(answer->header.message_id, kKey, answer->header.timestamp,
                                   answer->header.sign));
  rapidjson::Document expected;
  expected.Parse(trace.all_json);
  auto& system = expected["all"]["system"];
  system["hardware"]["uuid"].SetString(uuid.c_str(), expected.GetAllocator());
  const std::string mac = sim::mac_from_uuid(uuid);
  system["hardware"]["macAddress"].SetString(mac.c_str(), expected.GetAllocator());
  rapidjson::Document got;
  got.Parse(protocol::to_json(answer->payload()));
  BOOST_TEST(got["all"]["system"]["time"]["timestamp"].GetInt64() >= now_s() - 60);
  system["time"]["timestamp"] = got["all"]["system"]["time"]["timestamp"].GetInt64();
  BOOST_TEST(protocol::to_json(got) == protocol::to_json(expected));
  BOOST_TEST(!has_id(*all, early));

  // Sign error: ERROR 5001 to `from`.
  const std::string bad_id =
      send(bridge, uuid, Method::Get, "Appliance.System.All", "{}", "wrong-key");
  auto err = bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, bad_id); });
  BOOST_REQUIRE(err);
  BOOST_TEST((parse(*err)->header.method == Method::Error));
  BOOST_TEST(protocol::to_json(parse(*err)->payload()) ==
             R"({"error":{"code":5001,"detail":"sign error"}})");

  // Unknown namespace: 5000, to a different reply topic this time.
  const std::string other_reply = "/app/7-other/subscribe";
  const std::string unknown_id = send(bridge, uuid, Method::Get, "Appliance.Control.Light",
                                      R"({"light":{}})", kKey, other_reply);
  auto unknown = bridge.wait_for(
      [&](const auto& m) { return m.topic == other_reply && has_id(m, unknown_id); });
  BOOST_REQUIRE(unknown);
  BOOST_TEST(parse(*unknown)->payload()["error"]["code"].GetInt() == 5000);

  // No `from`: no answer. The device handles requests in order, so once the next request is
  // answered the first one has been handled.
  const std::string silent_id =
      send(bridge, uuid, Method::Get, "Appliance.System.All", "{}", kKey, "");
  const std::string marker_id =
      send(bridge, uuid, Method::Get, "Appliance.System.DNDMode", R"({"DNDMode":{}})");
  BOOST_REQUIRE(bridge.wait_for([&](const auto& m) { return has_id(m, marker_id); }));
  BOOST_TEST(bridge.count([&](const auto& m) { return has_id(m, silent_id); }) == 1u);  // ours

  // SET ToggleX: SETACK to `from`, PUSH on the publish topic.
  const std::string set_id = send(bridge, uuid, Method::Set, "Appliance.Control.ToggleX",
                                  R"({"togglex":{"channel":0,"onoff":1}})");
  auto setack =
      bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, set_id); });
  BOOST_REQUIRE(setack);
  BOOST_TEST((parse(*setack)->header.method == Method::SetAck));
  auto push_on = bridge.wait_for([&](const auto& m) {
    return is(m, pub, "Appliance.Control.ToggleX", Method::Push) &&
           parse(m)->payload()["togglex"][0]["onoff"].GetInt() == 1;
  });
  BOOST_REQUIRE(push_on);

  // The physical button: toggles and PUSHes.
  sim.write_stdin("press " + uuid + " 0\n");
  auto push_off = bridge.wait_for([&](const auto& m) {
    return is(m, pub, "Appliance.Control.ToggleX", Method::Push) &&
           parse(m)->payload()["togglex"][0]["onoff"].GetInt() == 0;
  });
  BOOST_REQUIRE(push_off);
  sim.write_stdin("state " + uuid + "\n");
  BOOST_REQUIRE(sim.wait_for_output("state " + uuid + " {"));
  BOOST_TEST(sim.output().find(R"("bound":true,"togglex":[{"channel":0,"onoff":0}])") !=
             std::string::npos);

  // Bound: no Bind and no Clock any more, for well over the repeat intervals.
  bridge.clear();
  BOOST_TEST(!bridge.wait_for(
      [&](const auto& m) {
        return bind_set(m) || is(m, pub, "Appliance.System.Clock", Method::Push);
      },
      3s));

  // The key never appears in the output.
  BOOST_TEST(sim.output().find(kKey) == std::string::npos);
  sim.signal(SIGTERM);
  auto code = sim.wait_exit(5s);
  BOOST_REQUIRE(code);
  BOOST_TEST(*code == 0);
}

BOOST_AUTO_TEST_CASE(devices_log_in_like_firmware) {
  // The broker logs each CONNECT: client id, protocol, clean session, keepalive and username.
  // (mosquitto's password file cannot hold a MAC username, which has colons; the password itself
  // is checked by the unit tests.)
  char dir_template[] = "/tmp/meross-sim-login-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(dir_template));
  const std::string dir = dir_template;
  std::filesystem::permissions(dir, std::filesystem::perms::all);
  const std::string log = dir + "/broker.log";
  MosquittoBroker::Options options;
  options.extra_config = "log_dest file " + log + "\nlog_type notice\n";
  MosquittoBroker broker(options);
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");

  const std::string uuid = sim::builtin_uuid("msl120", 0);
  const std::string mac = sim::mac_from_uuid(uuid);
  ChildProcess sim(sim_args(broker, {"--profile", "msl120", "--user-id", "9"}));
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  auto bind = bridge.wait_for([&](const auto& m) {
    return is(m, "/appliance/" + uuid + "/publish", "Appliance.Control.Bind", Method::Set);
  });
  BOOST_REQUIRE(bind);
  // msl120 has no System.Clock and does not meter: no Clock, no ConsumptionConfig.
  BOOST_TEST(bridge.count([&](const auto& m) {
    auto p = parse(m);
    return p && (p->header.ns == "Appliance.System.Clock" ||
                 p->header.ns == "Appliance.Control.ConsumptionConfig");
  }) == 0u);
  const std::regex connect_line("as fmware:" + uuid + "_[A-Za-z0-9]{16} \\(p1, c1, k30, u'" + mac +
                                "'\\)");
  BOOST_TEST(wait_until([&] { return std::regex_search(read_file(log), connect_line); }, 10s));
  // The device subscribed to its own topic: the Bind SETACK reaches it.
  ack_bind(bridge, uuid, *bind);
  BOOST_REQUIRE(sim.wait_for_output("bound " + uuid));
  sim.signal(SIGINT);
  BOOST_TEST(sim.wait_exit(5s).value_or(-1) == 0);
  // A clean DISCONNECT, not a dropped socket.
  BOOST_TEST(wait_until(
      [&] {
        return read_file(log).find("fmware:" + uuid) != std::string::npos &&
               read_file(log).find(" disconnected.") != std::string::npos;
      },
      10s));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(builtin_profiles_and_a_moving_garage_door) {
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");
  ChildProcess sim(sim_args(broker, {"--profile", "mss425f", "--profile", "msg100", "--count", "2",
                                     "--bind-interval", "1s"}));
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  const std::vector<std::string> uuids{
      sim::builtin_uuid("mss425f", 0), sim::builtin_uuid("mss425f", 1),
      sim::builtin_uuid("msg100", 0), sim::builtin_uuid("msg100", 1)};
  for (const auto& uuid : uuids) {
    const std::string type = uuid == uuids[0] || uuid == uuids[1] ? "mss425f" : "msg100";
    BOOST_TEST(sim.output().find("device " + uuid + " " + type + " " + sim::mac_from_uuid(uuid)) !=
               std::string::npos);
    auto bind = bridge.wait_for([&](const auto& m) {
      return is(m, "/appliance/" + uuid + "/publish", "Appliance.Control.Bind", Method::Set);
    });
    BOOST_REQUIRE(bind);
    ack_bind(bridge, uuid, *bind);
    BOOST_REQUIRE(sim.wait_for_output("bound " + uuid));
  }
  // The garage door: SETACK with the current state and execute; it moves for 3 s and says
  // nothing when it stops (meross_lan's emulator): a GET tells it is open.
  const std::string door = uuids[2];
  const std::string id = send(bridge, door, Method::Set, "Appliance.GarageDoor.State",
                              R"({"state":{"channel":0,"open":1}})");
  auto ack = bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, id); });
  BOOST_REQUIRE(ack);
  BOOST_TEST(protocol::to_json(parse(*ack)->payload()) ==
             R"({"state":{"channel":0,"open":0,"lmTime":0,"execute":1}})");
  const auto door_open = [&] {
    const std::string get =
        send(bridge, door, Method::Get, "Appliance.GarageDoor.State", R"({"state":{}})");
    auto state =
        bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, get); });
    return state && parse(*state)->payload()["state"]["open"].GetInt() == 1;
  };
  bool opened = door_open();
  for (int i = 0; i < 40 && !opened; ++i) {
    std::this_thread::sleep_for(250ms);
    opened = door_open();
  }
  BOOST_TEST(opened);
  BOOST_TEST(bridge.count([&](const auto& m) {
    return is(m, "/appliance/" + door + "/publish", "Appliance.GarageDoor.State", Method::Push);
  }) == 0u);
  // Garbage on the device's topic is logged and dropped; the device keeps answering.
  for (const char* bad : {"not json", "{}", R"({"header":5,"payload":{}})",
                          R"({"header":{"messageId":1},"payload":[]})"}) {
    bridge.publish("/appliance/" + door + "/subscribe", bad);
  }
  bridge.publish("/appliance/" + door + "/subscribe", std::string(200000, '['));
  const std::string after =
      send(bridge, door, Method::Get, "Appliance.GarageDoor.State", R"({"state":{}})");
  BOOST_REQUIRE(
      bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, after); }));
  // Strip outlet 4 by its button.
  sim.write_stdin("press " + uuids[1] + " 4\n");
  auto outlet = bridge.wait_for([&](const auto& m) {
    return is(m, "/appliance/" + uuids[1] + "/publish", "Appliance.Control.ToggleX", Method::Push);
  });
  BOOST_REQUIRE(outlet);
  BOOST_TEST(parse(*outlet)->payload()["togglex"][0]["channel"].GetInt() == 4);
  sim.write_stdin("quit\n");
  BOOST_TEST(sim.wait_exit(5s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(load_mode_publishes_at_the_given_rate_once_bound) {
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("/appliance/+/publish");
  ChildProcess sim(sim_args(broker, {"--profile", "mss310", "--count", "10", "--bind-interval",
                                     "1s", "--load-rate", "200", "--load-duration", "2s"}));
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  // Play the bridge: acknowledge every device's Bind.
  std::set<std::string> bound;
  for (int round = 0; round < 100 && bound.size() < 10; ++round) {
    for (const auto& m : bridge.messages()) {
      auto p = parse(m);
      if (!p || p->header.ns != "Appliance.Control.Bind" || p->header.method != Method::Set)
        continue;
      const std::string uuid = protocol::device_uuid_of(p->header);
      if (bound.insert(uuid).second) ack_bind(bridge, uuid, m);
    }
    if (bound.size() < 10) std::this_thread::sleep_for(100ms);
  }
  BOOST_REQUIRE_EQUAL(bound.size(), 10u);
  BOOST_REQUIRE(sim.wait_for_output("load sent=", 20s));
  auto code = sim.wait_exit(10s);
  BOOST_REQUIRE(code);
  BOOST_TEST(*code == 0);
  std::smatch match;
  const std::string out = sim.output();
  BOOST_REQUIRE(std::regex_search(out, match,
                                  std::regex(R"(load sent=(\d+) seconds=([\d.]+) rate=([\d.]+))")));
  BOOST_TEST(std::stoul(match[1]) == 400u);
  BOOST_TEST(std::stod(match[2]) == 2.0);
  // Every load PUSH reached the broker.
  const auto toggles = [&] {
    return bridge.count([](const auto& m) {
      auto p = parse(m);
      return p && p->header.ns == "Appliance.Control.ToggleX";
    });
  };
  wait_until([&] { return toggles() >= 400; }, 10s);
  BOOST_TEST(toggles() >= 400u);
}

// The scale check: 1,000 devices by default (MEROSS_SIM_SCALE_DEVICES=5000 for the by-hand run),
// all connected, bound by a test client playing the bridge, then a short load run.
BOOST_AUTO_TEST_CASE(a_thousand_devices_in_one_process) {
  int devices = 1000;
  if (const char* env = std::getenv("MEROSS_SIM_SCALE_DEVICES")) devices = std::atoi(env);
  BOOST_REQUIRE(devices >= 2);
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("/appliance/+/publish");
  int rate = 2000;  // PUSH/s; MEROSS_SIM_SCALE_RATE overrides
  if (const char* env = std::getenv("MEROSS_SIM_SCALE_RATE")) rate = std::atoi(env);
  ChildProcess sim(sim_args(
      broker,
      {"--profile", "mss310", "--count", std::to_string(devices / 2), "--profile", "mss425f",
       "--count", std::to_string(devices - devices / 2), "--bind-interval", "5s", "--load-rate",
       std::to_string(rate), "--load-duration", "2s", "--log-level", "warn"}));
  BOOST_REQUIRE(sim.wait_for_output("ready", 120s));
  const std::string out = sim.output();
  BOOST_TEST(count_lines(out, "device ") == static_cast<std::size_t>(devices));
  BOOST_TEST(count_lines(out, "connected ") == static_cast<std::size_t>(devices));
  const long rss_ready = vm_rss_kb(sim.pid());

  // Bind every device. Seen messages are cleared as we go; a Bind lost in between is repeated.
  std::set<std::string> bound;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (bound.size() < static_cast<std::size_t>(devices) &&
         std::chrono::steady_clock::now() < deadline) {
    const auto seen = bridge.messages();
    bridge.clear();
    for (const auto& m : seen) {
      if (m.payload.find("\"Appliance.Control.Bind\"") == std::string::npos) continue;
      auto p = parse(m);
      if (!p || p->header.method != Method::Set) continue;
      const std::string uuid = protocol::device_uuid_of(p->header);
      if (bound.insert(uuid).second) ack_bind(bridge, uuid, m);
    }
    std::this_thread::sleep_for(100ms);
  }
  BOOST_REQUIRE_EQUAL(bound.size(), static_cast<std::size_t>(devices));
  BOOST_REQUIRE(sim.wait_for_output("load sent=", 120s));
  BOOST_TEST(sim.wait_exit(10s).value_or(-1) == 0);
  BOOST_TEST(count_lines(sim.output(), "bound ") == static_cast<std::size_t>(devices));
  std::smatch match;
  const std::string final_out = sim.output();
  BOOST_REQUIRE(std::regex_search(final_out, match, std::regex(R"(load sent=(\d+) )")));
  BOOST_TEST(std::stoul(match[1]) == static_cast<unsigned long>(rate) * 2);
  std::printf("meross-sim with %d devices: VmRSS %ld kB once all connected; %s\n", devices,
              rss_ready, std::string(match[0]).c_str());
  BOOST_TEST_MESSAGE("meross-sim with " << devices << " devices: VmRSS " << rss_ready << " kB");
  BOOST_TEST(rss_ready > 0);
}

BOOST_AUTO_TEST_CASE(devices_reconnect_and_bind_again_after_a_broker_restart) {
  MosquittoBroker broker;
  const std::string uuid = sim::builtin_uuid("mss310", 0);
  ChildProcess sim(sim_args(broker, {"--profile", "mss310", "--bind-interval", "1s"}));
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  {
    MqttTestClient bridge(broker.port());
    bridge.subscribe("#");
    auto bind = bridge.wait_for([&](const auto& m) {
      return is(m, "/appliance/" + uuid + "/publish", "Appliance.Control.Bind", Method::Set);
    });
    BOOST_REQUIRE(bind);
    ack_bind(bridge, uuid, *bind);
    BOOST_REQUIRE(sim.wait_for_output("bound " + uuid));
  }
  broker.stop();
  broker.start();
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");
  // A new session: connected again, and the handshake starts over (firmware does the same).
  BOOST_REQUIRE(wait_until([&] { return count_lines(sim.output(), "connected ") >= 2; }, 30s));
  auto bind = bridge.wait_for(
      [&](const auto& m) {
        return is(m, "/appliance/" + uuid + "/publish", "Appliance.Control.Bind", Method::Set);
      },
      15s);
  BOOST_REQUIRE(bind);
  ack_bind(bridge, uuid, *bind);
  BOOST_REQUIRE(wait_until([&] { return count_lines(sim.output(), "bound ") >= 2; }, 10s));
  sim.signal(SIGTERM);
  BOOST_TEST(sim.wait_exit(5s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(thermostats_and_hub_subdevices_follow_stdin_commands) {
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");
  const std::string thermostat = load_trace("mts200b").uuid;
  const std::string hub = load_trace("msh300hk-ms200-gs559").uuid;
  const std::string hvac = sim::builtin_uuid("mts300", 0);
  ChildProcess sim(sim_args(
      broker, {"--trace", trace_path("mts200b"), "--trace", trace_path("msh300hk-ms200-gs559"),
               "--profile", "mts300", "--bind-interval", "1s"}));
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  for (const auto& uuid : {thermostat, hub, hvac}) {
    auto bind = bridge.wait_for([&](const auto& m) {
      return is(m, "/appliance/" + uuid + "/publish", "Appliance.Control.Bind", Method::Set);
    });
    BOOST_REQUIRE(bind);
    ack_bind(bridge, uuid, *bind);
    BOOST_REQUIRE(sim.wait_for_output("bound " + uuid));
  }
  // Waits for a PUSH of `ns` from `uuid` whose payload holds `part`.
  const auto pushed = [&](const std::string& uuid, std::string_view ns, const std::string& part) {
    return bridge
        .wait_for([&](const auto& m) {
          return is(m, "/appliance/" + uuid + "/publish", ns, Method::Push) &&
                 m.payload.find(part) != std::string::npos;
        })
        .has_value();
  };

  sim.write_stdin("subdevice " + hub + " 0300DF01 offline\n");
  BOOST_TEST(pushed(hub, "Appliance.Hub.Online", R"({"id":"0300DF01","status":2,)"));
  sim.write_stdin("door " + hub + " 160020100486 open\n");
  BOOST_TEST(pushed(hub, "Appliance.Hub.Sensor.DoorWindow", R"("status":1)"));
  sim.write_stdin("smoke " + hub + " 28004811B776 25\n");
  BOOST_TEST(pushed(hub, "Appliance.Hub.Sensor.Smoke", R"("status":25)"));
  sim.write_stdin("room " + thermostat + " 0 18.5\n");
  BOOST_TEST(pushed(thermostat, "Appliance.Control.Thermostat.Mode", R"("currentTemp":185)"));
  sim.write_stdin("window " + thermostat + " 0 open\n");
  BOOST_TEST(pushed(thermostat, "Appliance.Control.Thermostat.WindowOpened", R"("status":1)"));
  sim.write_stdin("room " + hvac + " 0 24\n");
  BOOST_TEST(pushed(hvac, "Appliance.Control.Thermostat.ModeC", R"("currentTemp":2400)"));

  // A SET over MQTT: the full channel in the SETACK, then the PUSH.
  const std::string id = send(bridge, thermostat, Method::Set, "Appliance.Control.Thermostat.Mode",
                              R"({"mode":[{"channel":0,"mode":4,"manualTemp":225}]})");
  auto ack = bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, id); });
  BOOST_REQUIRE(ack);
  BOOST_TEST(parse(*ack)->payload()["mode"][0]["targetTemp"].GetInt() == 225);
  BOOST_TEST(pushed(thermostat, "Appliance.Control.Thermostat.Mode", R"("targetTemp":225)"));

  // A GET firmware never answers is logged, not answered; bad commands are logged.
  const std::string lock =
      send(bridge, thermostat, Method::Get, "Appliance.Control.PhysicalLock", R"({"lock":[]})");
  BOOST_TEST(sim.wait_for_output("GET Appliance.Control.PhysicalLock is never answered"));
  BOOST_TEST(
      !bridge.wait_for([&](const auto& m) { return m.topic == kReply && has_id(m, lock); }, 500ms));
  sim.write_stdin("room " + thermostat + " 9 20\n");
  BOOST_TEST(sim.wait_for_output("room " + thermostat + ": no sub-device or channel '9'"));

  // The live state carries both.
  sim.write_stdin("state " + hub + "\n");
  BOOST_REQUIRE(sim.wait_for_output("state " + hub + " {"));
  BOOST_TEST(sim.output().find(R"("id":"0300DF01","type":"mts150","status":2)") !=
             std::string::npos);
  sim.write_stdin("quit\n");
  BOOST_TEST(sim.wait_exit(5s).value_or(-1) == 0);
  BOOST_TEST(sim.output().find(kKey) == std::string::npos);
}
