// `meross-bridge scan` and `move` (issue 14), the real binary against fake devices and hosts
// that are not Meross devices, on 127.0.0.0/8 only.
#define BOOST_TEST_MODULE pairing_lan_e2e
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include <rapidjson/document.h>

#include "pairing/bridge_run.hpp"
#include "pairing/fake_device.hpp"
#include "pairing/loopback_server.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"
#include "support/child_process.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"

using meross::test::ChildProcess;
using meross::test::FakeDevice;
using meross::test::run_bridge;
namespace protocol = meross::protocol;
namespace fs = std::filesystem;

namespace {

// Secrets that must never be printed.
constexpr const char* kKey = "Sup3rS3cretKey";
constexpr const char* kNewKey = "N3wS3cretKey99";
constexpr const char* kOtherKey = "an0ther-account-key";

// A TCP server on 127.0.0.1 that is not a Meross device.
class NotADevice {
  static constexpr std::string_view kHtml = "<html><body>router login</body></html>\n";

 public:
  enum class Kind { Html, Garbage, Silent };
  explicit NotADevice(Kind kind)
      : kind_(kind), server_("127.0.0.1", 0, [this](int fd) { return serve(fd); }) {}
  std::string host() const { return server_.host(); }

 private:
  meross::test::LoopbackServer::After serve(int fd) const {
    using After = meross::test::LoopbackServer::After;
    if (kind_ == Kind::Silent) return After::Hold;  // accepts, reads nothing, never answers
    char buffer[4096];
    pollfd r{fd, POLLIN, 0};
    if (::poll(&r, 1, 1000) > 0) (void)::recv(fd, buffer, sizeof(buffer), 0);
    const std::string reply =
        kind_ == Kind::Html
            ? "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " +
                  std::to_string(kHtml.size()) + "\r\nConnection: close\r\n\r\n" +
                  std::string(kHtml)
            : std::string("\x16\x03\x01\x02\x00\x01\xff\xfe garbage \x00\x01\x02", 22);
    (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    return After::Close;
  }

  Kind kind_;
  meross::test::LoopbackServer server_;  // last: its thread uses kind_
};

std::string closed_port_host() {
  return "127.0.0.1:" + std::to_string(meross::test::free_loopback_port());
}

// `move` of the device at `host` with our key towards `broker`, with further `options`; what it
// printed goes to the test log.
meross::test::BridgeRun move_device(const std::string& host, const std::string& broker,
                                    const std::vector<std::string>& options = {}) {
  std::vector<std::string> args{"move", "--host", host, "--key", kKey, "--broker", broker};
  args.insert(args.end(), options.begin(), options.end());
  auto result = run_bridge(args);
  BOOST_TEST_MESSAGE(result.output);
  return result;
}

void check_no_secret(const std::string& output) {
  for (const char* secret : {kKey, kNewKey, kOtherKey}) {
    BOOST_TEST(output.find(secret) == std::string::npos, "a key was printed: " << output);
  }
}

std::string line_with(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return "";
  const auto start = text.rfind('\n', at);
  const auto end = text.find('\n', at);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end == std::string::npos ? std::string::npos
                                              : end - (start == std::string::npos ? 0 : start + 1));
}

// What the trace's device reports: model, firmware and broker.
protocol::DeviceProfile profile_of(const std::string& trace) {
  rapidjson::Document all;
  all.Parse(meross::test::load_trace(trace).all_json.c_str());
  auto profile = protocol::profile_from_system_all(all);
  BOOST_REQUIRE(profile.ok());
  return *profile;
}

std::vector<FakeDevice::Request> config_keys(const FakeDevice& device) {
  std::vector<FakeDevice::Request> found;
  for (const auto& request : device.requests()) {
    if (request.ns == "Appliance.Config.Key") found.push_back(request);
  }
  return found;
}

void check_config_key(const FakeDevice::Request& request, const std::string& host, int port,
                      const std::string& key, const std::string& user_id) {
  BOOST_TEST(request.method == "SET");
  rapidjson::Document doc;
  doc.Parse(request.payload_json.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  const auto& k = doc["key"];
  BOOST_TEST(k["gateway"]["host"].GetString() == host);
  BOOST_TEST(k["gateway"]["port"].GetInt() == port);
  BOOST_TEST(k["gateway"]["secondHost"].GetString() == host);
  BOOST_TEST(k["gateway"]["secondPort"].GetInt() == port);
  BOOST_TEST(k["gateway"]["redirect"].GetInt() == 1);
  BOOST_TEST(k["key"].GetString() == key);
  BOOST_TEST(k["userId"].GetString() == user_id);
}

}  // namespace

BOOST_AUTO_TEST_CASE(scan_of_named_hosts_reports_exactly_the_meross_ones) {
  FakeDevice plain({"mss310.csv", std::string(kKey), "{}"});
  FakeDevice encrypted({"mss100.json.txt", std::string(kKey), "{}"});
  FakeDevice other({"mss210.json.txt", std::string(kOtherKey), "{}"});
  NotADevice html(NotADevice::Kind::Html);
  NotADevice garbage(NotADevice::Kind::Garbage);
  NotADevice silent(NotADevice::Kind::Silent);
  const std::string closed = closed_port_host();

  const auto result =
      run_bridge({"scan", "--key", kKey, "--timeout", "1", "--host", plain.host(), "--host",
                  encrypted.host(), "--host", other.host(), "--host", html.host(), "--host",
                  garbage.host(), "--host", silent.host(), "--host", closed});
  BOOST_TEST_MESSAGE(result.output);
  BOOST_TEST(result.code == 0);
  check_no_secret(result.output);

  const auto plain_profile = profile_of("mss310.csv");
  const std::string row = line_with(result.output, plain.host() + " ");
  for (const std::string& field :
       {plain.hardware_type(), plain_profile.firmware_version, plain.mac(), plain.uuid(),
        plain_profile.server +
            (plain_profile.port ? ":" + std::to_string(*plain_profile.port) : ""),
        std::string("ours"), std::string("plain")}) {
    BOOST_TEST(row.find(field) != std::string::npos, field << " in " << row);
  }
  BOOST_REQUIRE(encrypted.ecdhe());
  const std::string encrypted_row = line_with(result.output, encrypted.host() + " ");
  BOOST_TEST(encrypted_row.find(encrypted.uuid()) != std::string::npos);
  BOOST_TEST(encrypted_row.find("ours") != std::string::npos);
  BOOST_TEST(encrypted_row.find("ECDHE") != std::string::npos);
  const std::string other_row = line_with(result.output, other.host() + " ");
  BOOST_TEST(other_row.find("another account's key (ERROR 5001)") != std::string::npos);
  BOOST_TEST(other_row.find(other.uuid()) != std::string::npos);
  BOOST_TEST(other_row.find(other.mac()) != std::string::npos);

  BOOST_TEST(result.output.find("3 Meross devices among 7 addresses: 2 answer with this key, 1 "
                                "with another account's key") != std::string::npos);
  for (const auto& host : {html.host(), garbage.host(), silent.host(), closed}) {
    BOOST_TEST(line_with(result.output, host + ": not a Meross device") != "", host);
  }
  // Nothing but the probes: no device was changed.
  for (const auto* device : {&plain, &encrypted, &other}) {
    BOOST_TEST(config_keys(*device).empty());
  }
}

BOOST_AUTO_TEST_CASE(scan_of_a_loopback_range_is_quiet_about_other_hosts) {
  const int port = meross::test::free_loopback_port();
  FakeDevice first({"mss310.csv", std::string(kKey), "{}"}, "127.0.0.1", port);
  FakeDevice second({"mss210.json.txt", std::string(kOtherKey), "{}"}, "127.0.0.2", port);
  const auto found = run_bridge({"scan", "--cidr", "127.0.0.0/30", "--port", std::to_string(port),
                                 "--key", kKey, "--timeout", "1"});
  BOOST_TEST_MESSAGE(found.output);
  BOOST_TEST(found.code == 0);
  BOOST_TEST(line_with(found.output, first.host() + " ").find("ours") != std::string::npos);
  BOOST_TEST(line_with(found.output, second.host() + " ").find("ERROR 5001") != std::string::npos);
  BOOST_TEST(found.output.find("2 Meross devices among 2 addresses") != std::string::npos);
  check_no_secret(found.output);

  const auto empty = run_bridge({"scan", "--cidr", "127.0.0.4/30", "--port", std::to_string(port),
                                 "--key", kKey, "--timeout", "1"});
  BOOST_TEST(empty.code == 1);
  BOOST_TEST(empty.output.find("not a Meross device") == std::string::npos);
  BOOST_TEST(empty.output.find("0 Meross devices among 2 addresses") != std::string::npos);

  const auto wide = run_bridge({"scan", "--cidr", "127.0.0.0/20", "--key", kKey});
  BOOST_TEST(wide.code == 2);
  BOOST_TEST(wide.output.find("need --force") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(move_repoints_a_device_with_a_new_key) {
  FakeDevice device({"mss310.csv", std::string(kKey), "{}"});
  const auto result = move_device(device.host(), "mqtts://192.168.1.7:8883",
                                  {"--user-id", "42", "--new-key", kNewKey});
  BOOST_TEST_MESSAGE(result.output);
  BOOST_TEST(result.code == 0);
  BOOST_TEST(result.output.find("moved: " + device.host()) != std::string::npos);
  BOOST_TEST(result.output.find("acknowledged (SETACK)") != std::string::npos);
  BOOST_TEST(result.output.find("the Meross app loses it") != std::string::npos);
  check_no_secret(result.output);
  const auto keys = config_keys(device);
  BOOST_REQUIRE(keys.size() == 1u);
  check_config_key(keys.front(), "192.168.1.7", 8883, kNewKey, "42");
  BOOST_TEST(!keys.front().encrypted);
}

BOOST_AUTO_TEST_CASE(move_encrypts_config_key_for_ecdhe_firmware) {
  FakeDevice device({"mss100.json.txt", std::string(kKey), "{}"});
  BOOST_REQUIRE(device.ecdhe());
  const auto result = move_device(device.host(), "mqtts://broker.lan");
  BOOST_TEST(result.code == 0);
  check_no_secret(result.output);
  const auto keys = config_keys(device);
  BOOST_REQUIRE(keys.size() == 1u);
  BOOST_TEST(keys.front().encrypted);
  check_config_key(keys.front(), "broker.lan", 8883, kKey, "0");
}

BOOST_AUTO_TEST_CASE(move_refuses_plain_mqtt_unless_forced) {
  FakeDevice device({"mss310.csv", std::string(kKey), "{}"});
  const auto refused = move_device(device.host(), "mqtt://127.0.0.1:1883");
  BOOST_TEST(refused.code == 2);
  BOOST_TEST(refused.output.find("TLS") != std::string::npos);
  BOOST_TEST(device.requests().empty());

  const auto forced = move_device(device.host(), "mqtt://127.0.0.1:1883", {"--force-plain"});
  BOOST_TEST(forced.code == 0);
  BOOST_TEST(forced.output.find("warning: --force-plain") != std::string::npos);
  const auto keys = config_keys(device);
  BOOST_REQUIRE(keys.size() == 1u);
  check_config_key(keys.front(), "127.0.0.1", 1883, kKey, "0");
}

BOOST_AUTO_TEST_CASE(move_reports_refusals_and_leaves_the_device_unchanged) {
  FakeDevice other({"mss310.csv", std::string(kOtherKey), "{}"});
  const auto refused = move_device(other.host(), "mqtts://192.168.1.7");
  BOOST_TEST(refused.code == 1);
  BOOST_TEST(refused.output.find("ERROR 5001") != std::string::npos);
  BOOST_TEST(refused.output.find("device state: unchanged") != std::string::npos);
  BOOST_TEST(config_keys(other).empty());
  check_no_secret(refused.output);

  // A device that refuses the new broker settings themselves.
  FakeDevice stubborn({"mss310.csv", std::string(kKey), "{}"});
  stubborn.refuse_requests_for("Appliance.Config.Key");
  const auto rejected = move_device(stubborn.host(), "mqtts://192.168.1.7");
  BOOST_TEST(rejected.code == 1);
  BOOST_TEST(rejected.output.find("device state: unchanged") != std::string::npos);
  check_no_secret(rejected.output);

  NotADevice silent(NotADevice::Kind::Silent);
  const auto timeout = move_device(silent.host(), "mqtts://192.168.1.7", {"--timeout", "1"});
  BOOST_TEST(timeout.code == 1);
  BOOST_TEST(timeout.output.find("device state: unchanged (nothing was sent)") !=
             std::string::npos);

  const auto closed = move_device(closed_port_host(), "mqtts://192.168.1.7", {"--timeout", "1"});
  BOOST_TEST(closed.code == 1);
  BOOST_TEST(closed.output.find("device state: unchanged") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(move_dry_run_sends_nothing_and_masks_the_keys) {
  FakeDevice device({"mss310.csv", std::string(kKey), "{}"});
  const auto result =
      run_bridge({"move", "--host", device.host(), "--key", kKey, "--new-key", kNewKey, "--broker",
                  "mqtts://192.168.1.7:8883", "--user-id", "3", "--dry-run"});
  BOOST_TEST_MESSAGE(result.output);
  BOOST_TEST(result.code == 0);
  BOOST_TEST(result.output.find(R"("key":"***")") != std::string::npos);
  BOOST_TEST(result.output.find(R"("sign":"***")") != std::string::npos);
  BOOST_TEST(result.output.find(R"("userId":"3")") != std::string::npos);
  BOOST_TEST(result.output.find("POST http://" + device.host() + "/config") != std::string::npos);
  check_no_secret(result.output);
  BOOST_TEST(device.requests().empty());
}

BOOST_AUTO_TEST_CASE(move_all_moves_every_device_with_our_key) {
  FakeDevice first({"mss310.csv", std::string(kKey), "{}"});
  FakeDevice second({"mss100.json.txt", std::string(kKey), "{}"});
  FakeDevice other({"mss210.json.txt", std::string(kOtherKey), "{}"});
  NotADevice html(NotADevice::Kind::Html);
  const auto result = run_bridge({"move", "--all", "--host", first.host(), "--host", second.host(),
                                  "--host", other.host(), "--host", html.host(), "--key", kKey,
                                  "--broker", "mqtts://192.168.1.7:8883", "--user-id", "5"});
  BOOST_TEST_MESSAGE(result.output);
  BOOST_TEST(result.code == 0);
  BOOST_TEST(result.output.find("summary: 2 of 2 moved, 0 unchanged, 0 in an unknown state") !=
             std::string::npos);
  BOOST_TEST(result.output.find("skipped: " + other.host()) != std::string::npos);
  check_no_secret(result.output);
  for (const auto* device : {&first, &second}) {
    const auto keys = config_keys(*device);
    BOOST_REQUIRE(keys.size() == 1u);
    check_config_key(keys.front(), "192.168.1.7", 8883, kKey, "5");
  }
  BOOST_TEST(config_keys(other).empty());
}

BOOST_AUTO_TEST_CASE(move_watches_the_bridge_broker_for_the_bind) {
  meross::test::MosquittoBroker broker;
  FakeDevice device({"mss310.csv", std::string(kKey), "{}"});
  const fs::path dir = fs::temp_directory_path() / ("lan_e2e_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string config = (dir / "bridge.toml").string();
  std::ofstream(config) << "[meross]\nkey = \"" << kKey << "\"\n[mqtt]\nurl = \"" << broker.url()
                        << "\"\n";

  {
    ChildProcess move({MEROSS_BRIDGE_BIN, "move", "--host", device.host(), "--key", kKey,
                       "--broker", "mqtts://192.168.1.7:8883", "--watch-config", config,
                       "--watch-timeout", "30"});
    BOOST_REQUIRE_MESSAGE(move.wait_for_output("watching", std::chrono::seconds(20)),
                          move.output());
    // What the device sends once it is on the broker (meross-protocol.md §3.2).
    meross::test::MqttTestClient fake_firmware(broker.port());
    const auto header =
        protocol::make_request_header(protocol::Method::Set, "Appliance.Control.Bind",
                                      "/appliance/" + device.uuid() + "/publish", kKey, 1700000000);
    fake_firmware.publish("/appliance/" + device.uuid() + "/publish",
                          protocol::serialize(header, R"({"bind":{"bindTime":1700000000}})"));
    const auto code = move.wait_exit(std::chrono::seconds(40));
    BOOST_TEST_MESSAGE(move.output());
    BOOST_REQUIRE(code.has_value());
    BOOST_TEST(*code == 0);
    BOOST_TEST(move.output().find("bind: " + device.uuid() + " connected") != std::string::npos);
    check_no_secret(move.output());
  }
  {
    const auto silent = move_device(device.host(), "mqtts://192.168.1.7:8883",
                                    {"--watch-config", config, "--watch-timeout", "1"});
    BOOST_TEST(silent.code == 4);
    BOOST_TEST(silent.output.find("no bind: " + device.uuid()) != std::string::npos);
  }
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(scan_identifies_firmware_that_drops_plaintext_system_all) {
  // Like meross_lan's emulator: only System.Ability answers in plaintext.
  FakeDevice device({"mss100.json.txt", std::string(kKey), "{}"});
  BOOST_REQUIRE(device.ecdhe());
  device.drop_requests_for("Appliance.System.All");
  const auto result =
      run_bridge({"scan", "--key", kKey, "--timeout", "2", "--host", device.host()});
  BOOST_TEST_MESSAGE(result.output);
  BOOST_TEST(result.code == 0);
  const std::string row = line_with(result.output, device.host() + " ");
  BOOST_TEST(row.find(device.uuid()) != std::string::npos);
  BOOST_TEST(row.find(device.mac()) != std::string::npos);
  BOOST_TEST(row.find("ECDHE") != std::string::npos);
  BOOST_TEST(row.find("ours") != std::string::npos);
  BOOST_TEST(result.output.find("note: " + device.host()) != std::string::npos);
  // The exchange ran, and System.All was asked again after it.
  const auto namespaces = device.namespaces();
  const auto exchange = std::find(namespaces.begin(), namespaces.end(), "Appliance.Encrypt.ECDHE");
  BOOST_REQUIRE(exchange != namespaces.end());
  BOOST_TEST(std::count(exchange, namespaces.end(), "Appliance.System.All") == 1);
  check_no_secret(result.output);
}

BOOST_AUTO_TEST_CASE(move_says_the_state_is_unknown_when_the_answer_is_lost) {
  FakeDevice device({"mss310.csv", std::string(kKey), "{}"});
  device.drop_requests_for("Appliance.Config.Key");
  const auto result = move_device(device.host(), "mqtts://192.168.1.7");
  BOOST_TEST(result.code == 3);
  BOOST_TEST(result.output.find("device state: unknown: it may have applied the new broker") !=
             std::string::npos);
  BOOST_TEST(config_keys(device).size() == 1u);
  check_no_secret(result.output);
}
