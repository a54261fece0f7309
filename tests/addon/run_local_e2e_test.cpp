#define BOOST_TEST_MODULE addon_run_local_e2e
// End-to-end through addon/ci/run-local.sh, the add-on's own start-up scripts on this machine:
// a plain mosquitto plays Home Assistant's broker; run-local.sh generates the device broker from
// the options, starts it (mosquitto with our auth plugin, TLS on device_port) and the bridge; a
// device that logs in like firmware (MAC user, TLS, a uuid never registered anywhere) appears in
// Home Assistant, obeys a switch command and reports its new state; a device with a wrong key is
// refused. SIGTERM stops everything; a second start reuses the certificates byte for byte. Broken
// options stop run-local.sh with a message that names the problem, shows no secret and leaves
// nothing running.
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "support/child_process.hpp"
#include "support/firmware_device.hpp"
#include "support/fixtures.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/mqtt_test_client.hpp"
#include "support/wait.hpp"

using namespace meross::test;
namespace fs = std::filesystem;

namespace {

constexpr auto kStart = std::chrono::seconds(90);  // RSA key generation on a busy machine
constexpr auto kWait = std::chrono::seconds(30);
const std::string kKey = "Add0n-e2e-k3y-7f1c";
const std::string kWrongKey = "not-the-add0n-key";

template <class F>
bool wait_until(F condition, std::chrono::milliseconds timeout = kWait) {
  return poll_until(condition, timeout);
}

// A device identity nobody configured: 20 random hex digits, then the MAC's 12.
struct Identity {
  std::string uuid;
  std::string mac;
};
Identity new_identity() {
  std::mt19937_64 engine{std::random_device{}()};
  const auto hex = [&](int n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < n; ++i)
      out += kDigits[engine() % 16];
    return out;
  };
  Identity id;
  const std::string mac_hex = "48e1e9" + hex(6);
  id.uuid = hex(20) + mac_hex;
  for (std::size_t i = 0; i < mac_hex.size(); i += 2)
    id.mac += (i ? ":" : "") + mac_hex.substr(i, 2);
  return id;
}

// Whether any process runs mosquitto with a configuration under `dir`.
bool mosquitto_running_under(const std::string& dir) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file_or_empty("/proc/" + name + "/cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    const std::string stat = read_file_or_empty("/proc/" + name + "/stat");
    const bool zombie = stat.find(") Z ") != std::string::npos;
    if (!zombie && cmdline.find("mosquitto") != std::string::npos &&
        cmdline.find(dir) != std::string::npos) {
      found = true;
    }
  }
  ::closedir(proc);
  return found;
}

// Holds a TCP port on 127.0.0.1 open (a port "in use").
class PortHolder {
 public:
  explicit PortHolder(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    BOOST_REQUIRE(::listen(fd_, 4) == 0);
  }
  ~PortHolder() { ::close(fd_); }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;

 private:
  int fd_ = -1;
};

// One scratch folder per test: the options file and DATA_DIR. World-traversable, because
// mosquitto started as root becomes user `mosquitto` before it reads its certificates and keys.
struct Scratch {
  fs::path dir;
  fs::path options;
  fs::path data;
  int device_port = free_loopback_port();
  int local_port = free_loopback_port();

  Scratch() {
    char pattern[] = "/tmp/meross-addon-e2e-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    ::chmod(dir.c_str(), 0755);
    options = dir / "options.json";
    data = dir / "data";
    while (local_port == device_port)
      local_port = free_loopback_port();
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void write_options(const std::string& json) const { std::ofstream(options) << json; }
  std::string good_options() const {
    return R"({"key": ")" + kKey + R"(", "device_port": )" + std::to_string(device_port) +
           R"(, "certificate_host": "127.0.0.1", "timezone": "Europe/Rome",)"
           R"( "polling_electricity": 30, "log_level": "debug", "devices": [], "exclude": []})";
  }
};

// addon/ci/run-local.sh OPTIONS DATA with the build tree of this test and Home Assistant's broker.
// `extra_env` (NAME=VALUE) comes last, so it overrides.
std::unique_ptr<ChildProcess> start_run_local(const Scratch& s, const std::string& mqtt_url,
                                              const std::string& extra_env = "") {
  std::vector<std::string> argv{"/usr/bin/env", "BUILD_DIR=" MEROSS_BUILD_DIR,
                                "MQTT_URL=" + mqtt_url,
                                "MEROSS_DEVICE_LOCAL_PORT=" + std::to_string(s.local_port),
                                "MEROSS_DEVICE_TLS_BIND=127.0.0.1"};
  if (!extra_env.empty()) argv.push_back(extra_env);
  argv.insert(argv.end(),
              {MEROSS_REPO_ROOT "/addon/ci/run-local.sh", s.options.string(), s.data.string()});
  return std::make_unique<ChildProcess>(argv);
}

// Waits until run-local.sh says it runs; false as soon as it exits instead.
bool wait_running(ChildProcess& run_local) {
  return wait_until(
             [&] {
               return run_local.output().find("run-local: running") != std::string::npos ||
                      !run_local.running();
             },
             kStart) &&
         run_local.output().find("run-local: running") != std::string::npos;
}

std::string line_starting(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

void check_no_secret(const std::string& output) {
  BOOST_TEST(output.find(kKey) == std::string::npos, "the key appears in run-local's output");
  BOOST_TEST(output.find(kWrongKey) == std::string::npos);
}

// The switch of a device's discovery document: its command and state topics.
struct SwitchTopics {
  std::string command;
  std::string state;
};
std::optional<SwitchTopics> switch_topics(const std::string& document) {
  rapidjson::Document doc;
  doc.Parse(document.c_str(), document.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto cmps = doc.FindMember("components");
  if (cmps == doc.MemberEnd()) cmps = doc.FindMember("cmps");
  if (cmps == doc.MemberEnd() || !cmps->value.IsObject()) return std::nullopt;
  for (const auto& c : cmps->value.GetObject()) {
    if (!c.value.IsObject()) continue;
    auto platform = c.value.FindMember("platform");
    if (platform == c.value.MemberEnd()) platform = c.value.FindMember("p");
    const auto command = c.value.FindMember("command_topic");
    const auto state = c.value.FindMember("state_topic");
    if (platform != c.value.MemberEnd() && platform->value.IsString() &&
        std::string(platform->value.GetString()) == "switch" && command != c.value.MemberEnd() &&
        command->value.IsString() && state != c.value.MemberEnd() && state->value.IsString()) {
      return SwitchTopics{command->value.GetString(), state->value.GetString()};
    }
  }
  return std::nullopt;
}

// Stops run-local.sh with SIGTERM: exit 0, nothing left listening or running.
void stop_and_check(ChildProcess& run_local, const Scratch& s) {
  run_local.signal(SIGTERM);
  const auto code = run_local.wait_exit(std::chrono::seconds(30));
  BOOST_REQUIRE_MESSAGE(code.has_value(), "run-local.sh did not stop on SIGTERM");
  BOOST_TEST(*code == 0, "run-local.sh exit code after SIGTERM");
  BOOST_TEST(wait_until([&] { return !loopback_port_open(s.device_port); }),
             "the device port is still open");
  BOOST_TEST(wait_until([&] { return !loopback_port_open(s.local_port); }),
             "the bridge's port is still open");
  BOOST_TEST(wait_until([&] { return !mosquitto_running_under(s.data.string()); }),
             "a mosquitto of run-local.sh is still running");
}

void show_output_on_failure(const ChildProcess* run_local) {
  namespace utf = boost::unit_test;
  if (run_local &&
      !utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
    BOOST_TEST_MESSAGE("run-local.sh output:\n" << run_local->output());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_device_reaches_home_assistant_through_the_addon_and_restarts_keep_certs) {
  MosquittoBroker home_assistant;
  Scratch s;
  s.write_options(s.good_options());
  auto run_local = start_run_local(s, home_assistant.url());
  struct Show {
    std::unique_ptr<ChildProcess>& p;
    ~Show() { show_output_on_failure(p.get()); }
  } show{run_local};

  BOOST_REQUIRE_MESSAGE(wait_running(*run_local), "run-local.sh did not start");
  const std::string first_output = run_local->output();
  const std::string fingerprint = line_starting(first_output, "CA certificate SHA-256 fingerprint");
  BOOST_TEST(std::regex_search(fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}$")));
  BOOST_TEST(first_output.find("Pair devices with: mqtts://127.0.0.1:" +
                               std::to_string(s.device_port)) != std::string::npos);
  BOOST_TEST(first_output.find("TLS certificates: created") != std::string::npos);

  MqttTestClient ha(home_assistant.port());
  ha.subscribe("homeassistant/#");
  ha.subscribe("meross/#");

  // A device paired with the key, never registered: it logs in over TLS, binds, is discovered.
  const Identity id = new_identity();
  FirmwareDevice::Options device_options;
  device_options.uuid = id.uuid;
  device_options.mac = id.mac;
  device_options.key = kKey;
  device_options.host = "127.0.0.1";
  device_options.port = s.device_port;
  device_options.ca_file = (s.data / "broker" / "certs" / "ca.crt").string();
  FirmwareDevice device(device_options);
  BOOST_REQUIRE_EQUAL(device.connack(kWait), 0);
  BOOST_REQUIRE_MESSAGE(device.wait_bound(kWait), "the bridge did not answer the device's Bind");

  const std::string config_topic = "homeassistant/device/meross_" + id.uuid + "/config";
  const auto discovery = ha.wait_for_topic(config_topic, kWait);
  BOOST_REQUIRE_MESSAGE(discovery, "no discovery document on Home Assistant's broker");
  const auto topics = switch_topics(discovery->payload);
  BOOST_REQUIRE_MESSAGE(topics, "no switch in the discovery document: " << discovery->payload);

  // Home Assistant switches it on: a signed ToggleX SET reaches the device, the state comes back.
  ha.publish(topics->command, "ON");
  const auto set = device.wait_request(
      [](const FirmwareDevice::Request& r) {
        return r.method == "SET" && r.ns == "Appliance.Control.ToggleX";
      },
      kWait);
  BOOST_REQUIRE_MESSAGE(set, "the switch command did not reach the device");
  BOOST_TEST(set->signature_ok);
  BOOST_TEST(device.wait_relay(true, kWait));
  const auto state = ha.wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic == topics->state && m.payload.find("ON") != std::string::npos;
      },
      kWait);
  BOOST_TEST(state.has_value(), "the new state did not reach Home Assistant's broker");

  // A device paired with another key is refused by the broker.
  const Identity stranger = new_identity();
  device_options.uuid = stranger.uuid;
  device_options.mac = stranger.mac;
  device_options.key = kWrongKey;
  FirmwareDevice wrong(device_options);
  const int refused = wrong.connack(kWait);
  BOOST_TEST((refused != 0 && refused != -2), "a device with a wrong key got connack " << refused);

  // Stop: everything goes. Then the same DATA_DIR again: the same certificates.
  const fs::path certs = s.data / "broker" / "certs";
  std::vector<std::string> before;
  for (const char* name : {"ca.crt", "ca.key", "server.crt", "server.key"})
    before.push_back(read_file_or_empty(certs / name));
  const std::size_t requests_before_restart = device.requests().size();
  stop_and_check(*run_local, s);
  check_no_secret(run_local->output());

  run_local = start_run_local(s, home_assistant.url());
  BOOST_REQUIRE_MESSAGE(wait_running(*run_local), "run-local.sh did not start");
  const std::string second_output = run_local->output();
  BOOST_TEST(line_starting(second_output, "CA certificate SHA-256 fingerprint") == fingerprint);
  BOOST_TEST(second_output.find("TLS certificates: reused") != std::string::npos);
  std::size_t i = 0;
  for (const char* name : {"ca.crt", "ca.key", "server.crt", "server.key"})
    BOOST_TEST(read_file_or_empty(certs / name) == before[i++], name << " changed across restarts");
  // The device comes back through the restarted broker and bridge (which ask it what it is
  // again), and obeys Home Assistant as before.
  BOOST_REQUIRE_MESSAGE(
      wait_until([&] { return device.requests().size() > requests_before_restart; }),
      "the restarted bridge never reached the device");
  // (The new bridge may still be learning the device: a command it cannot place yet is dropped,
  // so Home Assistant's user presses again.)
  const bool switched_off = wait_until([&] {
    ha.publish(topics->command, "OFF");
    return device.wait_relay(false, std::chrono::seconds(2));
  });
  BOOST_TEST(switched_off, "no switch command reached the device after the restart");
  const auto off = ha.wait_for(
      [&](const MqttTestClient::Message& m) {
        return m.topic == topics->state && m.payload.find("OFF") != std::string::npos;
      },
      kWait);
  BOOST_TEST(off.has_value(), "the state after the restart did not reach Home Assistant");
  stop_and_check(*run_local, s);
  check_no_secret(run_local->output());
}

// Start-up failures: non-zero exit, a message naming the problem, no secret, nothing running.
struct Failure {
  std::string what;
  std::string options;  // "" = the good options
  std::string expected;
  std::string env = "";  // NAME=VALUE for run-local.sh
};

BOOST_AUTO_TEST_CASE(broken_starts_exit_non_zero_and_leave_nothing_running) {
  MosquittoBroker home_assistant;
  const std::vector<Failure> failures = {
      {"malformed options", "{\"key\": \"" + kKey + "\", \"device_port\": ", "not valid JSON"},
      {"no key", "{\"device_port\": 8883, \"certificate_host\": \"127.0.0.1\"}",
       "'key' is not set"},
      {"wrong type", "{\"key\": \"" + kKey + "\", \"device_port\": \"8883\"}",
       "'device_port' must be a whole number"},
      {"key file that cannot be written", "", "keys"},
      {"device port in use", "", "already in use"},
      // mosquitto itself fails: its TLS listener on an address this host does not have.
      {"device broker that cannot start", "", "the device broker (mosquitto) stopped at start",
       "MEROSS_DEVICE_TLS_BIND=203.0.113.77"},
  };
  for (const auto& f : failures) {
    BOOST_TEST_CONTEXT(f.what) {
      Scratch s;
      s.write_options(f.options.empty() ? s.good_options() : f.options);
      std::unique_ptr<PortHolder> busy;
      if (f.what == "key file that cannot be written") {
        fs::create_directories(s.data / "broker" / "keys");  // a folder where the file goes
      }
      if (f.what == "device port in use") busy = std::make_unique<PortHolder>(s.device_port);
      auto run_local = start_run_local(s, home_assistant.url(), f.env);
      const auto code = run_local->wait_exit(kStart);
      BOOST_REQUIRE_MESSAGE(code.has_value(), "run-local.sh kept running:\n"
                                                  << run_local->output());
      BOOST_TEST(*code != 0);
      const std::string output = run_local->output();
      BOOST_TEST(output.find(f.expected) != std::string::npos, "output:\n" << output);
      check_no_secret(output);
      BOOST_TEST(output.find("run-local: running") == std::string::npos);
      BOOST_TEST(!mosquitto_running_under(s.data.string()));
      if (!busy) BOOST_TEST(!loopback_port_open(s.device_port));
      BOOST_TEST(!loopback_port_open(s.local_port));
    }
  }
}
