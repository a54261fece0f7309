// meross-sim's local HTTP API end to end: real HTTP on loopback through pairing's DeviceClient (the
// client `meross-bridge scan`/`move` use), a real mosquitto, and a second mosquitto with a TLS
// listener that Appliance.Config.Key moves a device to.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "e2e_support.hpp"
#include "pairing/certs.hpp"
#include "pairing/http_client.hpp"
#include "pairing/lan_scan.hpp"
#include "pairing/move.hpp"
#include "pairing/requests.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"
#include "simulator/device.hpp"
#include "support/child_process.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"
#include "support/wait.hpp"

using namespace meross;
using namespace meross::test;
using namespace meross::sim_test::e2e;
using namespace std::chrono_literals;
using protocol::Method;

namespace {

struct SimDevice {
  std::string uuid, type, mac, http;  // http: "127.0.0.1:PORT"
};

// The `device <uuid> <type> <mac> http 127.0.0.1:<port>` lines, in order.
std::vector<SimDevice> devices_of(const ChildProcess& sim, std::size_t count) {
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  std::vector<SimDevice> devices;
  const std::regex line(R"(^device (\w+) (\S+) (\S+) http (127\.0\.0\.1:\d+)$)");
  std::istringstream in(sim.output());
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (std::regex_match(text, m, line)) devices.push_back({m[1], m[2], m[3], m[4]});
  }
  BOOST_REQUIRE_EQUAL(devices.size(), count);
  return devices;
}

std::size_t count_lines(const std::string& text, const std::string& line) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) ++n;
  }
  return n;
}

std::optional<protocol::Message> bind_set(const MqttTestClient::Message& m,
                                          const std::string& uuid) {
  if (m.topic != "/appliance/" + uuid + "/publish") return std::nullopt;
  auto p = protocol::parse_message(m.payload);
  if (!p || p->header.ns != "Appliance.Control.Bind" || p->header.method != Method::Set) {
    return std::nullopt;
  }
  return std::move(p).value();
}

// Acknowledges the device's first Bind as the bridge does; the device then answers over MQTT.
void ack_bind(MqttTestClient& bridge, const std::string& uuid, const std::string& key) {
  auto found = bridge.wait_for([&](const auto& m) { return bind_set(m, uuid).has_value(); });
  BOOST_REQUIRE(found);
  const auto bind = bind_set(*found, uuid);
  const auto h =
      protocol::make_ack_header(bind->header, key, now_s(), "/appliance/" + uuid + "/publish");
  bridge.publish(bind->header.from, protocol::serialize(h, "{}"));
}

// A mosquitto with a TLS listener (certificates for 127.0.0.1 from pairing's generator) besides
// its plain one, logging every connection to a file.
struct TlsBroker {
  std::filesystem::path dir;
  pairing::CertificateFiles certs;
  int tls_port = 0;
  std::unique_ptr<MosquittoBroker> broker;

  TlsBroker() {
    namespace fs = std::filesystem;
    static int serial = 0;
    dir = fs::temp_directory_path() /
          ("meross-sim-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
    fs::remove_all(dir);
    fs::create_directories(dir);
    pairing::CertificateOptions options;
    options.host = "127.0.0.1";
    options.out_dir = dir;
    auto files = pairing::generate_certificates(options);
    if (!files) throw std::runtime_error(files.error().describe());
    certs = *files;
    // mosquitto may run as its own user (when started as root): let it read the key (a test key)
    // and write its log.
    fs::permissions(certs.server_key, fs::perms::owner_read | fs::perms::owner_write |
                                          fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir, fs::perms::all);
    tls_port = free_loopback_port();
    MosquittoBroker::Options broker_options;
    broker_options.extra_config =
        "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " + certs.ca_cert.string() +
        "\ncertfile " + certs.server_cert.string() + "\nkeyfile " + certs.server_key.string() +
        "\nlog_dest file " + log().string() + "\nlog_type all\n";
    broker = std::make_unique<MosquittoBroker>(broker_options);
  }
  ~TlsBroker() {
    broker.reset();
    std::filesystem::remove_all(dir);
  }
  TlsBroker(const TlsBroker&) = delete;
  TlsBroker& operator=(const TlsBroker&) = delete;

  std::filesystem::path log() const { return dir / "broker.log"; }
};

// One device of `profile` with its local API, on a plain broker; a move may send it to a second,
// TLS broker (the simulator trusts its CA) where a bridge listens.
struct MoveScene {
  MosquittoBroker first;
  TlsBroker second;
  MqttTestClient bridge{second.broker->port()};
  std::optional<ChildProcess> sim;
  SimDevice device;

  explicit MoveScene(const std::string& profile, const std::vector<std::string>& extra = {}) {
    bridge.subscribe("#");
    std::vector<std::string> args{MEROSS_SIM_BINARY,
                                  "--broker",
                                  first.url(),
                                  "--key",
                                  kKey,
                                  "--profile",
                                  profile,
                                  "--http",
                                  "0",
                                  "--cafile",
                                  second.certs.ca_cert.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    sim.emplace(args);
    device = devices_of(*sim, 1)[0];
  }

  void expect_moved_to(int port) {
    BOOST_REQUIRE(sim->wait_for_output("device " + device.uuid +
                                       " moved to 127.0.0.1:" + std::to_string(port)));
  }

  // The header of the device's Bind SET that reaches the bridge.
  protocol::Header bind_header(std::chrono::milliseconds timeout) {
    const auto bind = bridge.wait_for(
        [&](const auto& m) { return bind_set(m, device.uuid).has_value(); }, timeout);
    BOOST_REQUIRE(bind);
    return bind_set(*bind, device.uuid)->header;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(local_api)

BOOST_AUTO_TEST_CASE(plain_other_account_and_encrypted_devices_answer_http_like_firmware) {
  MosquittoBroker broker;
  MqttTestClient bridge(broker.port());
  bridge.subscribe("#");
  ChildProcess sim({MEROSS_SIM_BINARY, "--broker", broker.url(), "--key", kKey, "--profile",
                    "mss310", "--profile", "mss310+key=another-account", "--profile",
                    "mss310+ecdhe", "--http", "0", "--bind-interval", "1s"});
  const auto devices = devices_of(sim, 3);
  const auto& plain = devices[0];
  const auto& other = devices[1];
  const auto& encrypted = devices[2];

  // A plain device answers System.All, signed with our key, with its own identity.
  pairing::DeviceClient client(plain.http, kKey);
  const auto all = client.request(Method::Get, "Appliance.System.All");
  BOOST_REQUIRE_MESSAGE(all, (all ? "" : all.error().describe()));
  const auto& hardware = all->payload()["all"]["system"]["hardware"];
  BOOST_TEST(*protocol::string_member(hardware, "uuid") == plain.uuid);
  BOOST_TEST(*protocol::string_member(hardware, "macAddress") == plain.mac);
  BOOST_TEST(
      protocol::verify_sign(all->header.message_id, kKey, all->header.timestamp, all->header.sign));

  // HTTP and MQTT are one device: a switch over HTTP is PUSHed to the broker once bound.
  ack_bind(bridge, plain.uuid, kKey);
  BOOST_REQUIRE(sim.wait_for_output("bound " + plain.uuid));
  bridge.clear();
  BOOST_REQUIRE(client.request(Method::Set, "Appliance.Control.ToggleX",
                               R"({"togglex":{"channel":0,"onoff":0}})"));
  const auto push = bridge.wait_for([&](const auto& m) {
    auto p = protocol::parse_message(m.payload);
    return m.topic == "/appliance/" + plain.uuid + "/publish" && p &&
           p->header.ns == "Appliance.Control.ToggleX" && p->header.method == Method::Push;
  });
  BOOST_REQUIRE(push);
  BOOST_TEST(push->payload.find(R"("onoff":0)") != std::string::npos);

  // Another account's device: 5001 to our key, answers to its own.
  pairing::DeviceClient stranger(other.http, kKey);
  const auto refused = stranger.request(Method::Get, "Appliance.System.All");
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().message.find("ERROR 5001") != std::string::npos,
             refused.error().message);
  pairing::DeviceClient owner(other.http, "another-account");
  BOOST_TEST(owner.request(Method::Get, "Appliance.System.All").ok());

  // ECDHE firmware: Ability in plaintext lists the exchange; anything else in plaintext is
  // dropped; after the exchange, AES both ways.
  pairing::DeviceClient secure(encrypted.http, kKey);
  const auto ability = secure.request(Method::Get, "Appliance.System.Ability");
  BOOST_REQUIRE(ability);
  BOOST_TEST(protocol::find_member(ability->payload()["ability"], "Appliance.Encrypt.ECDHE"));
  const auto dropped = secure.request(Method::Get, "Appliance.Control.ToggleX");
  BOOST_REQUIRE(!dropped);
  BOOST_TEST(dropped.error().message.find("closed the connection") != std::string::npos,
             dropped.error().message);
  const auto exchanged = secure.exchange_keys();
  BOOST_REQUIRE_MESSAGE(!exchanged, (exchanged ? exchanged->describe() : ""));
  BOOST_TEST(secure.encrypted());
  const auto toggle = secure.request(Method::Get, "Appliance.Control.ToggleX");
  BOOST_REQUIRE_MESSAGE(toggle, (toggle ? "" : toggle.error().describe()));
  BOOST_TEST(protocol::find_member(toggle->payload(), "togglex"));
  BOOST_TEST(secure.request(Method::Get, "Appliance.System.All").ok());
}

BOOST_AUTO_TEST_CASE(config_key_moves_a_device_to_a_tls_broker_with_the_new_key) {
  MoveScene scene("mss310", {"--bind-interval", "1s"});
  const int tls_port = scene.second.tls_port;
  const auto log = scene.second.log();
  auto& sim = *scene.sim;
  const auto& device = scene.device;
  BOOST_REQUIRE(sim.wait_for_output("connected " + device.uuid));

  // What `meross-bridge move` sends: both brokers the TLS listener, a new key and userId.
  pairing::DeviceClient client(device.http, kKey);
  const pairing::BrokerAddress target{"127.0.0.1", tls_port};
  const auto ack = client.request(Method::Set, "Appliance.Config.Key",
                                  pairing::config_key_payload(target, target, "moved-key", 99));
  BOOST_REQUIRE_MESSAGE(ack, (ack ? "" : ack.error().describe()));
  BOOST_TEST((ack->header.method == Method::SetAck));

  scene.expect_moved_to(tls_port);
  BOOST_REQUIRE(
      poll_until([&] { return count_lines(sim.output(), "connected " + device.uuid) >= 2; }, 15s));

  // On the new broker: Bind signed with the new key, not the old one.
  const auto header = scene.bind_header(10s);
  BOOST_TEST(protocol::verify_sign(header.message_id, "moved-key", header.timestamp, header.sign));
  BOOST_TEST(!protocol::verify_sign(header.message_id, kKey, header.timestamp, header.sign));
  ack_bind(scene.bridge, device.uuid, "moved-key");
  BOOST_REQUIRE(sim.wait_for_output("bound " + device.uuid));

  // It logged in as firmware does: MQTT 3.1 (p1), fmware:<uuid>_<16>, user = its MAC.
  BOOST_REQUIRE(poll_until(
      [&] {
        return read_file_or_empty(log).find("as fmware:" + device.uuid + "_") != std::string::npos;
      },
      5s));
  const std::regex login("New client connected from 127\\.0\\.0\\.1:\\d+ as fmware:" + device.uuid +
                         "_[A-Za-z0-9]{16} \\(p1, c1, k30, u'" + device.mac + "'\\)");
  BOOST_TEST(std::regex_search(read_file_or_empty(log), login), read_file_or_empty(log));

  // The HTTP side follows the new key.
  const auto old_key = client.request(Method::Get, "Appliance.System.All");
  BOOST_REQUIRE(!old_key);
  BOOST_TEST(old_key.error().message.find("ERROR 5001") != std::string::npos);
  pairing::DeviceClient moved(device.http, "moved-key");
  const auto all = moved.request(Method::Get, "Appliance.System.All");
  BOOST_REQUIRE(all);
  const auto& firmware = all->payload()["all"]["system"]["firmware"];
  BOOST_TEST(*protocol::int_member(firmware, "port") == tls_port);
  BOOST_TEST(*protocol::int_member(firmware, "userId") == 99);
}

BOOST_AUTO_TEST_CASE(scan_and_move_handle_firmware_that_refuses_the_ecdhe_exchange) {
  MoveScene scene("mss310+statickey", {"--bind-interval", "1s"});
  const auto& device = scene.device;

  // `scan`: plaintext System.All fails, Ability lists ECDHE, the exchange is refused; System.All
  // read with the static key tells everything.
  pairing::ScanOptions scan;
  scan.hosts = {device.http};
  scan.key = kKey;
  std::ostringstream out, err;
  const auto found = pairing::scan(scan, out, err);
  BOOST_TEST_MESSAGE(out.str() << err.str());
  BOOST_REQUIRE(found);
  BOOST_REQUIRE_EQUAL(found->size(), 1u);
  const auto& d = found->front();
  BOOST_TEST((d.key == pairing::KeyCheck::Accepted));
  BOOST_TEST(d.uuid == device.uuid);
  BOOST_TEST(d.mac == device.mac);
  BOOST_TEST(d.model == "mss310");
  BOOST_TEST(!d.firmware.empty());
  BOOST_TEST(d.broker == "127.0.0.1:" + std::to_string(scene.first.port()));
  BOOST_TEST(d.ecdhe);
  BOOST_TEST(d.static_key);
  BOOST_TEST(d.note.empty(), d.note);
  BOOST_TEST(out.str().find("static key") != std::string::npos, out.str());

  // `move`: Config.Key AES-encrypted with the static key; the device goes to the TLS broker.
  pairing::MoveOptions move;
  move.hosts = {device.http};
  move.key = kKey;
  move.new_key = "moved-key";
  move.user_id = 7;
  move.broker = "mqtts://127.0.0.1:" + std::to_string(scene.second.tls_port);
  std::ostringstream move_out, move_err;
  const int code = pairing::run_move(move, move_out, move_err);
  BOOST_TEST_MESSAGE(move_out.str() << move_err.str());
  BOOST_REQUIRE_EQUAL(code, 0);
  BOOST_TEST(move_out.str().find("sent AES-encrypted with the device's static key") !=
             std::string::npos);
  scene.expect_moved_to(scene.second.tls_port);
  const auto header = scene.bind_header(15s);
  BOOST_TEST(protocol::verify_sign(header.message_id, "moved-key", header.timestamp, header.sign));

  // Its HTTP side now wants the static key made from the new key.
  pairing::DeviceClient moved(device.http, "moved-key");
  moved.use_static_key(device.uuid, device.mac);
  const auto all = moved.request(Method::Get, "Appliance.System.All");
  BOOST_REQUIRE_MESSAGE(all, (all ? "" : all.error().describe()));
  const auto& firmware = all->payload()["all"]["system"]["firmware"];
  BOOST_TEST(*protocol::int_member(firmware, "port") == scene.second.tls_port);
  BOOST_TEST(*protocol::int_member(firmware, "userId") == 7);
}

BOOST_AUTO_TEST_CASE(a_moved_device_falls_back_to_the_second_broker) {
  MoveScene scene("msl120");
  pairing::DeviceClient client(scene.device.http, kKey);
  const pairing::BrokerAddress nowhere{"127.0.0.1", free_loopback_port()};
  const pairing::BrokerAddress target{"127.0.0.1", scene.second.tls_port};
  BOOST_REQUIRE(client.request(Method::Set, "Appliance.Config.Key",
                               pairing::config_key_payload(nowhere, target, "k2", 5)));
  scene.expect_moved_to(nowhere.port);
  const auto header = scene.bind_header(15s);
  BOOST_TEST(protocol::verify_sign(header.message_id, "k2", header.timestamp, header.sign));
}

BOOST_AUTO_TEST_CASE(an_mqtts_broker_is_reached_over_tls_trusting_only_the_given_ca) {
  TlsBroker broker;
  MqttTestClient bridge(broker.broker->port());
  bridge.subscribe("#");
  const std::string url = "mqtts://127.0.0.1:" + std::to_string(broker.tls_port);
  {
    // The system's CAs do not know the test CA: no connection.
    ChildProcess untrusting(
        {MEROSS_SIM_BINARY, "--broker", url, "--key", kKey, "--profile", "mss310"});
    BOOST_TEST(!untrusting.wait_for_output("connected ", 3s));
  }
  ChildProcess sim({MEROSS_SIM_BINARY, "--broker", url, "--key", kKey, "--profile", "mss310",
                    "--cafile", broker.certs.ca_cert.string()});
  BOOST_REQUIRE(sim.wait_for_output("ready"));
  const std::string uuid = sim::builtin_uuid("mss310", 0);
  BOOST_TEST(
      bridge.wait_for([&](const auto& m) { return bind_set(m, uuid).has_value(); }).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
