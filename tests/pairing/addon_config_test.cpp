#define BOOST_TEST_MODULE addon_config
// `meross-bridge addon-config` (pairing/addon_config.cpp), socket-free: Home Assistant's add-on
// options in, the device broker's folder and the bridge's TOML out. Good options give a TOML the
// bridge's own loader (load_config) accepts with the expected values; broken options (malformed
// JSON, no key, wrong types) give an error naming the option, never a secret, and write nothing.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "bridge/config.hpp"
#include "pairing/addon_config.hpp"
#include "support/fixtures.hpp"

using namespace meross;
namespace fs = std::filesystem;

using meross::test::read_file_or_empty;

namespace {

const std::string kKey = "gl0bal-k3y-\"quoted\"\\slash";  // printable, no spaces: a valid key
const std::string kDeviceKey = "dev1ce-k3y-002";
const std::string kServicePassword = "s3rv1ce pa55 003";
const std::string kExternalPassword = "3xt3rnal-pa55-004";
const std::string kUuid1 = "2304253613440052050a48e1e9c4b296";
const std::string kUuid2 = "19011804581223251h0434298f1a4b07";
const std::string kExcluded = "0123456789abcdef0123456789abcdef";

// JSON string literal of `text` (the test's own values: quotes and backslashes only).
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Scratch {
  fs::path dir;
  fs::path data;     // not created: addon-config creates it
  fs::path options;  // options.json, outside data
  fs::path plugin;   // a readable stand-in for meross-auth.so (mosquitto is not started here)

  Scratch() {
    char pattern[] = "/tmp/meross-addon-config-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    data = dir / "data";
    options = dir / "options.json";
    plugin = dir / "meross-auth.so";
    std::ofstream(plugin) << "not a real plugin\n";
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void write_options(const std::string& json) const { std::ofstream(options) << json; }

  pairing::AddonConfigOptions config() const {
    pairing::AddonConfigOptions o;
    o.options_file = options;
    o.data_dir = data;
    o.plugin_path = plugin.string();
    o.local_port = 18830;
    o.default_hosts = {"192.168.1.7", "10.0.0.2"};
    o.service_broker.url = "mqtt://core-mosquitto:1883";
    o.service_broker.username = "addons";
    o.service_broker.password = kServicePassword;
    return o;
  }
};

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run run(const pairing::AddonConfigOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = pairing::run_addon_config(options, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

void check_no_secret(const std::string& text) {
  for (const auto& secret : {kKey, kDeviceKey, kServicePassword, kExternalPassword}) {
    BOOST_TEST(text.find(secret) == std::string::npos, "a secret appears in the output");
  }
}

// The options Home Assistant writes for a typical configuration.
std::string good_options(const std::string& extra = "") {
  return R"({
    "key": )" +
         json_string(kKey) +
         R"(,
    "user_id": 1234,
    "device_port": 8883,
    "certificate_host": "192.168.1.50",
    "timezone": "Europe/Rome",
    "verify_signatures": true,
    "polling_electricity": 15,
    "polling_consumption": 600,
    "discovery_prefix": "homeassistant",
    "base_topic": "home/meross",
    "per_component_discovery": true,
    "devices": [
      {"uuid": ")" +
         kUuid1 + R"(", "name": "Desk \"plug\" \\ café", "key": )" + json_string(kDeviceKey) +
         R"(, "timezone": "America/New_York"},
      {"uuid": ")" +
         kUuid2 + R"(", "name": "Kitchen strip"}
    ],
    "exclude": [")" +
         kExcluded + R"("],
    "log_level": "debug")" +
         extra + "\n}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(good_options_give_a_configuration_the_bridge_accepts) {
  Scratch s;
  s.write_options(good_options());
  const Run r = run(s.config());
  BOOST_TEST_INFO(r.err);
  BOOST_REQUIRE_EQUAL(r.code, 0);
  check_no_secret(r.out + r.err);

  const fs::path toml = s.data / "meross-bridge.toml";
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(toml.c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);

  const auto loaded = bridge::load_config(toml.string());
  BOOST_REQUIRE_MESSAGE(loaded.config, (loaded.error ? loaded.error->describe() : ""));
  const bridge::Config& c = *loaded.config;
  BOOST_TEST(c.key == kKey);
  BOOST_TEST(c.user_id == 1234u);
  BOOST_TEST(c.timezone == "Europe/Rome");
  BOOST_TEST(c.verify_signatures);
  BOOST_TEST(c.exclude == std::vector<std::string>{kExcluded});
  // Home Assistant on the Supervisor's broker, the devices on the add-on's own.
  BOOST_TEST(c.mqtt.url == "mqtt://core-mosquitto:1883");
  BOOST_TEST(c.mqtt.username == "addons");
  BOOST_TEST(c.mqtt.password == kServicePassword);
  BOOST_REQUIRE(c.device_broker.has_value());
  BOOST_TEST(c.device_broker->url == "mqtt://127.0.0.1:18830");
  BOOST_TEST(c.device_broker->username == "meross-bridge");
  const std::string bridge_password = read_file_or_empty(s.data / "broker" / "bridge-password");
  BOOST_TEST(c.device_broker->password + "\n" == bridge_password);
  BOOST_TEST(c.device_broker->client_id != c.mqtt.client_id);
  BOOST_TEST(c.discovery_prefix == "homeassistant");
  BOOST_TEST(c.base_topic == "home/meross");
  BOOST_TEST(c.per_component_discovery);
  BOOST_TEST((c.electricity == std::chrono::seconds(15)));
  BOOST_TEST((c.consumption == std::chrono::seconds(600)));
  BOOST_TEST(c.log_level == "debug");
  BOOST_REQUIRE_EQUAL(c.devices.size(), 2u);
  BOOST_TEST(c.devices[0].uuid == kUuid1);
  BOOST_TEST(c.devices[0].name == "Desk \"plug\" \\ café");
  BOOST_TEST(c.devices[0].key == kDeviceKey);
  BOOST_TEST(c.devices[0].timezone == "America/New_York");
  BOOST_TEST(c.devices[1].uuid == kUuid2);
  BOOST_TEST(c.devices[1].name == "Kitchen strip");
  BOOST_TEST(c.devices[1].key.empty());

  // The device broker: TLS on device_port, the bridge's listener on loopback, both keys, the
  // userId, our plugin; certificates for certificate_host.
  const std::string conf = read_file_or_empty(s.data / "broker" / "mosquitto.conf");
  BOOST_TEST(conf.find("listener 8883") != std::string::npos);
  BOOST_TEST(conf.find("listener 18830 127.0.0.1") != std::string::npos);
  BOOST_TEST(conf.find("plugin " + s.plugin.string()) != std::string::npos);
  BOOST_TEST(conf.find("plugin_opt_user_ids 1234") != std::string::npos);
  const std::string keys = read_file_or_empty(s.data / "broker" / "keys");
  BOOST_TEST(keys.find(kKey + "\n") != std::string::npos);
  BOOST_TEST(keys.find(kDeviceKey + "\n") != std::string::npos);
  BOOST_TEST(fs::exists(s.data / "broker" / "certs" / "ca.crt"));

  // What the log shows.
  BOOST_TEST(r.out.find("CA certificate SHA-256 fingerprint: ") != std::string::npos);
  BOOST_TEST(r.out.find("Pair devices with: mqtts://192.168.1.50:8883\n") != std::string::npos);
  BOOST_TEST(r.out.find("TLS certificates: created") != std::string::npos);
  BOOST_TEST(r.out.find(bridge_password.substr(0, bridge_password.size() - 1)) ==
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_second_start_keeps_the_certificates_and_the_bridge_password) {
  Scratch s;
  s.write_options(good_options());
  const Run first = run(s.config());
  BOOST_REQUIRE_EQUAL(first.code, 0);
  const fs::path certs = s.data / "broker" / "certs";
  std::vector<std::string> before;
  for (const char* name : {"ca.crt", "ca.key", "server.crt", "server.key"})
    before.push_back(read_file_or_empty(certs / name));
  const std::string password = read_file_or_empty(s.data / "broker" / "bridge-password");

  const Run second = run(s.config());
  BOOST_REQUIRE_EQUAL(second.code, 0);
  std::size_t i = 0;
  for (const char* name : {"ca.crt", "ca.key", "server.crt", "server.key"})
    BOOST_TEST(read_file_or_empty(certs / name) == before[i++], name << " changed");
  BOOST_TEST(read_file_or_empty(s.data / "broker" / "bridge-password") == password);
  BOOST_TEST(second.out.find("TLS certificates: reused") != std::string::npos);
  const auto fingerprint = [](const std::string& out) {
    const auto at = out.find("fingerprint: ");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
  };
  BOOST_TEST(!fingerprint(first.out).empty());
  BOOST_TEST(fingerprint(first.out) == fingerprint(second.out));
}

BOOST_AUTO_TEST_CASE(minimal_options_take_the_defaults_and_home_assistants_zone) {
  Scratch s;
  s.write_options("{\"key\": " + json_string(kKey) + "}");
  auto options = s.config();
  options.host_timezone = "Australia/Sydney";
  options.advertised_port = 18883;  // the Network section maps another host port
  const Run r = run(options);
  BOOST_TEST_INFO(r.err);
  BOOST_REQUIRE_EQUAL(r.code, 0);
  const auto loaded = bridge::load_config((s.data / "meross-bridge.toml").string());
  BOOST_REQUIRE_MESSAGE(loaded.config, (loaded.error ? loaded.error->describe() : ""));
  const bridge::Config& c = *loaded.config;
  BOOST_TEST(c.user_id == 0u);
  BOOST_TEST(c.timezone == "Australia/Sydney");
  BOOST_TEST(c.base_topic == "meross");
  BOOST_TEST(c.log_level == "info");
  BOOST_TEST(c.devices.empty());
  // No user_id: any userId may log in (the key still has to match).
  BOOST_TEST(read_file_or_empty(s.data / "broker" / "mosquitto.conf").find("plugin_opt_user_ids") ==
             std::string::npos);
  // No certificate_host: the host's first address, and the published port.
  BOOST_TEST(r.out.find("Pair devices with: mqtts://192.168.1.7:18883\n") != std::string::npos);
  BOOST_TEST(r.out.find("created in " + (s.data / "broker" / "certs").string() +
                        " for 192.168.1.7 10.0.0.2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_external_broker_in_the_options_wins_over_the_service) {
  Scratch s;
  s.write_options(good_options(R"(,
    "mqtt_url": "mqtts://broker.lan:8883",
    "mqtt_username": "bridge",
    "mqtt_password": )" + json_string(kExternalPassword) +
                               R"(,
    "mqtt_insecure": true)"));
  const Run r = run(s.config());
  BOOST_TEST_INFO(r.err);
  BOOST_REQUIRE_EQUAL(r.code, 0);
  check_no_secret(r.out + r.err);
  const auto loaded = bridge::load_config((s.data / "meross-bridge.toml").string());
  BOOST_REQUIRE(loaded.config);
  BOOST_TEST(loaded.config->mqtt.url == "mqtts://broker.lan:8883");
  BOOST_TEST(loaded.config->mqtt.username == "bridge");
  BOOST_TEST(loaded.config->mqtt.password == kExternalPassword);
  BOOST_TEST(loaded.config->mqtt.insecure);
}

BOOST_AUTO_TEST_CASE(the_out_option_names_the_file) {
  Scratch s;
  s.write_options(good_options());
  auto options = s.config();
  options.out_file = s.dir / "elsewhere" / "bridge.toml";
  BOOST_REQUIRE_EQUAL(run(options).code, 0);
  BOOST_TEST(fs::exists(options.out_file));
  BOOST_TEST(!fs::exists(s.data / "meross-bridge.toml"));
}

// Every broken input: exit 1, a message naming the problem (and never a secret), nothing written.
struct Broken {
  std::string what;
  std::string json;
  std::string expected;  // part of the message
};

BOOST_AUTO_TEST_CASE(broken_options_name_the_option_and_write_nothing) {
  const std::string key = "\"key\": " + json_string(kKey);
  const std::vector<Broken> cases = {
      {"malformed JSON", "{" + key + ", \"user_id\": }", "not valid JSON"},
      {"trailing garbage", "{" + key + "} x", "not valid JSON"},
      {"not an object", "[" + json_string(kKey) + "]", "must hold a JSON object"},
      {"no key", "{\"user_id\": 0}", "'key' is not set"},
      {"empty key", "{\"key\": \"\"}", "'key' is not set"},
      {"key of the wrong type", "{\"key\": 12345}", "'key' must be a string"},
      {"key with a space", "{\"key\": \"two words-" + kDeviceKey + "\"}",
       "'key' must be printable"},
      {"key with a control character", "{\"key\": \"bad\\u0001" + kDeviceKey + "\"}",
       "'key' must not contain control characters"},
      {"user_id as a string", "{" + key + ", \"user_id\": \"1234\"}", "'user_id' must be"},
      {"negative user_id", "{" + key + ", \"user_id\": -1}", "'user_id' must be"},
      {"device_port as a string", "{" + key + ", \"device_port\": \"8883\"}",
       "'device_port' must be a whole number"},
      {"device_port out of range", "{" + key + ", \"device_port\": 70000}",
       "'device_port' must be a whole number from 1 to 65535"},
      {"verify_signatures as a string", "{" + key + ", \"verify_signatures\": \"yes\"}",
       "'verify_signatures' must be true or false"},
      {"unknown log level", "{" + key + ", \"log_level\": \"verbose\"}", "'log_level' must be"},
      {"unknown time zone", "{" + key + ", \"timezone\": \"Mars/Olympus\"}",
       "'timezone' must be an IANA time zone"},
      {"certificate_host with a scheme", "{" + key + ", \"certificate_host\": \"https://x\"}",
       "'certificate_host' must be a host name"},
      {"devices not a list", "{" + key + ", \"devices\": {}}", "'devices' must be a list"},
      {"device without uuid", "{" + key + ", \"devices\": [{\"name\": \"x\"}]}",
       "'devices[0].uuid' must be 32 letters and digits"},
      {"device key with a space",
       "{" + key + ", \"devices\": [{\"uuid\": \"" + kUuid1 + "\"}, {\"uuid\": \"" + kUuid2 +
           "\", \"key\": \"x " + kDeviceKey + "\"}]}",
       "'devices[1].key' must be printable"},
      {"device listed twice",
       "{" + key + ", \"devices\": [{\"uuid\": \"" + kUuid1 + "\"}, {\"uuid\": \"" + kUuid1 +
           "\"}]}",
       "'devices[1].uuid' repeats"},
      {"exclude entry not a uuid", "{" + key + ", \"exclude\": [\"abc\"]}",
       "'exclude[0]' must be a device uuid"},
      {"bad mqtt_url", "{" + key + ", \"mqtt_url\": \"http://broker\"}", "'mqtt_url' must be"},
      {"mqtt_password of the wrong type",
       "{" + key + ", \"mqtt_url\": \"mqtt://b:1883\", \"mqtt_password\": 5}",
       "'mqtt_password' must be a string"},
      {"device_port equal to the bridge's port", "{" + key + ", \"device_port\": 18830}",
       "'device_port' must differ"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      Scratch s;
      s.write_options(c.json);
      const Run r = run(s.config());
      BOOST_TEST(r.code == 1);
      BOOST_TEST(r.out.empty());
      BOOST_TEST(r.err.find(c.expected) != std::string::npos, "message: " << r.err);
      check_no_secret(r.err);
      BOOST_TEST(!fs::exists(s.data), "something was written");
    }
  }
}

BOOST_AUTO_TEST_CASE(no_broker_for_home_assistant_is_an_error_that_writes_nothing) {
  Scratch s;
  s.write_options(good_options());
  auto options = s.config();
  options.service_broker = {};
  const Run r = run(options);
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("No MQTT broker") != std::string::npos);
  BOOST_TEST(!fs::exists(s.data));
}

BOOST_AUTO_TEST_CASE(a_missing_options_file_is_an_error) {
  Scratch s;
  const Run r = run(s.config());
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("cannot read the add-on options") != std::string::npos);
  BOOST_TEST(!fs::exists(s.data));
}

BOOST_AUTO_TEST_CASE(parse_reports_the_first_problem_by_option_path) {
  const auto parsed = pairing::parse_addon_options(R"({"key": "k", "devices": [{"uuid": ")" +
                                                   kUuid1 + R"(", "timezone": 3}]})");
  BOOST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().field == "devices[0].timezone");
  BOOST_TEST(parsed.error().message == "must be a string, not a number");
}
