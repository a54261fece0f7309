#include <boost/test/unit_test.hpp>

#include "bridge/config.hpp"
#include "bridge/duration.hpp"
#include "bridge/mqtt_url.hpp"
#include "support/fixtures.hpp"

using namespace meross::bridge;
using namespace std::chrono_literals;

namespace {

ConfigError error_of(const std::string& text) {
  const auto result = parse_config(text, "bridge.toml");
  BOOST_REQUIRE(!result.config);
  BOOST_REQUIRE(result.error);
  return *result.error;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

Config config_of(const std::string& text) {
  const auto result = parse_config(text, "bridge.toml");
  BOOST_REQUIRE_MESSAGE(result.config, (result.error ? result.error->describe() : ""));
  return *result.config;
}

const char* kFull = R"([meross]
key = "device-key-1234"
user_id = 42
timezone = "Europe/Rome"
verify_signatures = false
availability_timeout = "90s"
exclude = ["0123456789abcdef0123456789ABCDEF"]

[mqtt]
url = "mqtts://broker.lan"
username = "bridge"
password = "broker-password-5678"
client_id = "mb-test"
keepalive = "30s"
insecure = true

[device_broker]
url = "mqtt://127.0.0.1:1884"
username = "bridge-devices"
password = "device-broker-password-2468"
client_id = "mb-devices"
keepalive = "20s"

[homeassistant]
discovery_prefix = "ha"
base_topic = "mer"
per_component_discovery = true

[polling]
electricity = "10s"
consumption = "1h"

[log]
level = "debug"

[[devices]]
uuid = "2301234567890123456748e1e9c4b296"
name = "Desk plug"
key = "per-device-secret-9"
timezone = "America/New_York"
electricity = "15s"

[[devices]]
uuid = "2301234567890123456748e1e9c4b297"
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(parses_and_formats) {
  BOOST_TEST(parse_duration("500ms")->count() == 500);
  BOOST_TEST(parse_duration("30s")->count() == 30'000);
  BOOST_TEST(parse_duration("5m")->count() == 300'000);
  BOOST_TEST(parse_duration("1h")->count() == 3'600'000);
  BOOST_TEST(parse_duration("1m30s")->count() == 90'000);
  for (const char* bad : {"", "5", "s", "5x", "-5s", "5 s", "1.5s", "99999999999999999999s"}) {
    BOOST_TEST(!parse_duration(bad), bad);
  }
  BOOST_TEST(format_duration(5min) == "5m");
  BOOST_TEST(format_duration(90s) == "1m30s");
  BOOST_TEST(format_duration(1500ms) == "1500ms");
  BOOST_TEST(format_duration(0ms) == "0s");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mqtt_url)

BOOST_AUTO_TEST_CASE(parses_schemes_hosts_and_ports) {
  auto url = parse_mqtt_url("mqtt://127.0.0.1:1884");
  BOOST_REQUIRE(url);
  BOOST_TEST(!url->tls);
  BOOST_TEST(url->host == "127.0.0.1");
  BOOST_TEST(url->port == 1884);
  url = parse_mqtt_url("mqtts://broker.lan");
  BOOST_REQUIRE(url);
  BOOST_TEST(url->tls);
  BOOST_TEST(url->port == 8883);
  url = parse_mqtt_url("mqtt://[::1]:1883/");
  BOOST_REQUIRE(url);
  BOOST_TEST(url->host == "::1");
  BOOST_TEST(to_string(*url) == "mqtt://[::1]:1883");
  std::string why;
  for (const char* bad : {"http://x", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://h:1x",
                          "mqtt://user:pw@h", "mqtt://h/path"}) {
    BOOST_TEST(!parse_mqtt_url(bad, &why), bad);
    BOOST_TEST(!why.empty());
  }
  BOOST_TEST(!parse_mqtt_url("mqtt://user:pw@h", &why));
  BOOST_TEST(why.find("pw") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(the_example_file_parses_to_the_defaults) {
  const auto text = meross::test::read_file(std::filesystem::path(MEROSS_FIXTURES_DIR) / ".." /
                                            ".." / "config.toml.example");
  const Config c = config_of(text);
  const Config d;
  BOOST_TEST(c.key == d.key);
  BOOST_TEST(c.user_id == 0u);
  BOOST_TEST(c.timezone.empty());
  BOOST_TEST(c.verify_signatures);
  BOOST_TEST(c.availability_timeout.count() == 300'000);
  BOOST_TEST(c.mqtt.url == "mqtt://127.0.0.1:1883");
  BOOST_TEST(c.mqtt.broker.port == 1883);
  BOOST_TEST(c.mqtt.client_id == "meross-bridge");
  BOOST_TEST(c.mqtt.keepalive.count() == 60'000);
  BOOST_TEST(!c.mqtt.insecure);
  BOOST_TEST(c.discovery_prefix == "homeassistant");
  BOOST_TEST(c.base_topic == "meross");
  BOOST_TEST(!c.per_component_discovery);
  BOOST_TEST(c.electricity.count() == 30'000);
  BOOST_TEST(c.consumption.count() == 300'000);
  BOOST_TEST(c.log_level == "info");
  BOOST_TEST(c.devices.empty());
  BOOST_TEST(!c.device_broker);  // one broker unless [device_broker] is set
  // The example documents every option: an empty file gives the same effective settings.
  auto empty = config_of("");
  empty.file = c.file;
  BOOST_TEST(effective_settings(empty) == effective_settings(c));
}

BOOST_AUTO_TEST_CASE(reads_every_option) {
  const Config c = config_of(kFull);
  BOOST_TEST(c.key == "device-key-1234");
  BOOST_TEST(c.user_id == 42u);
  BOOST_TEST(c.timezone == "Europe/Rome");
  BOOST_TEST(!c.verify_signatures);
  BOOST_TEST(c.availability_timeout.count() == 90'000);
  BOOST_REQUIRE(c.exclude.size() == 1u);
  BOOST_TEST(c.excluded("0123456789abcdef0123456789abcdef"));
  BOOST_TEST(c.mqtt.broker.tls);
  BOOST_TEST(c.mqtt.broker.host == "broker.lan");
  BOOST_TEST(c.mqtt.username == "bridge");
  BOOST_TEST(c.mqtt.password == "broker-password-5678");
  BOOST_TEST(c.mqtt.client_id == "mb-test");
  BOOST_TEST(c.mqtt.keepalive.count() == 30'000);
  BOOST_TEST(c.mqtt.insecure);
  BOOST_REQUIRE(c.device_broker);
  BOOST_TEST(!c.device_broker->broker.tls);
  BOOST_TEST(c.device_broker->broker.port == 1884);
  BOOST_TEST(c.device_broker->username == "bridge-devices");
  BOOST_TEST(c.device_broker->password == "device-broker-password-2468");
  BOOST_TEST(c.device_broker->client_id == "mb-devices");
  BOOST_TEST(c.device_broker->keepalive.count() == 20'000);
  BOOST_TEST(!c.device_broker->insecure);
  BOOST_TEST(c.discovery_prefix == "ha");
  BOOST_TEST(c.base_topic == "mer");
  BOOST_TEST(c.per_component_discovery);
  BOOST_TEST(c.electricity.count() == 10'000);
  BOOST_TEST(c.consumption.count() == 3'600'000);
  BOOST_TEST(c.log_level == "debug");
  BOOST_REQUIRE(c.devices.size() == 2u);
  BOOST_TEST(c.devices[0].name == "Desk plug");
  BOOST_TEST(c.devices[0].electricity->count() == 15'000);
  BOOST_TEST(!c.devices[0].consumption);
  BOOST_TEST(c.key_for("2301234567890123456748e1e9c4b296") == "per-device-secret-9");
  BOOST_TEST(c.key_for("2301234567890123456748e1e9c4b297") == "device-key-1234");
  BOOST_TEST(c.key_for("ffffffffffffffffffffffffffffffff") == "device-key-1234");
  BOOST_TEST(c.timezone_for("2301234567890123456748e1e9c4b296") == "America/New_York");
  BOOST_TEST(c.timezone_for("2301234567890123456748e1e9c4b297") == "Europe/Rome");
}

BOOST_AUTO_TEST_CASE(effective_settings_mask_every_secret) {
  const Config c = config_of(kFull);
  const std::string out = effective_settings(c);
  BOOST_TEST(out.find("device-key-1234") == std::string::npos);
  BOOST_TEST(out.find("broker-password-5678") == std::string::npos);
  BOOST_TEST(out.find("device-broker-password-2468") == std::string::npos);
  BOOST_TEST(count_of(out, "password = \"***\"") == 2u);
  BOOST_TEST(out.find("[device_broker]\nurl = \"mqtt://127.0.0.1:1884\"") != std::string::npos);
  BOOST_TEST(out.find("per-device-secret-9") == std::string::npos);
  BOOST_TEST(out.find("key = \"***\"") != std::string::npos);
  BOOST_TEST(out.find("password = \"***\"") != std::string::npos);
  BOOST_TEST(out.find("name = \"Desk plug\"") != std::string::npos);
  BOOST_TEST(out.find("electricity = \"15s\"") != std::string::npos);
  // The printed settings are themselves a valid configuration (with the masks as values).
  const auto printed = parse_config(out, "printed.toml");
  BOOST_REQUIRE(printed.config.has_value());
  BOOST_REQUIRE(printed.config->device_broker);
  BOOST_TEST(printed.config->device_broker->client_id == "mb-devices");
}

BOOST_AUTO_TEST_CASE(device_broker_is_optional_and_has_the_keys_and_defaults_of_mqtt) {
  const Config none = config_of("[mqtt]\nurl = \"mqtt://ha.lan\"\n");
  BOOST_TEST(!none.device_broker);
  BOOST_TEST(effective_settings(none).find("# [device_broker] not set") != std::string::npos);

  const Config empty = config_of("[device_broker]\n");
  BOOST_REQUIRE(empty.device_broker);
  const MqttConfig& d = *empty.device_broker;
  BOOST_TEST(d.url == "mqtt://127.0.0.1:1883");
  BOOST_TEST(d.broker.host == "127.0.0.1");
  BOOST_TEST(d.broker.port == 1883);
  BOOST_TEST(d.client_id == "meross-bridge-devices");  // not [mqtt]'s: both may share a broker
  BOOST_TEST(d.keepalive.count() == 60'000);
  BOOST_TEST(d.username.empty());
  BOOST_TEST(d.password.empty());
  BOOST_TEST(d.ca_file.empty());
  BOOST_TEST(d.cert_file.empty());
  BOOST_TEST(d.key_file.empty());
  BOOST_TEST(!d.insecure);
  BOOST_TEST(empty.mqtt.client_id == "meross-bridge");

  const std::string ca = MEROSS_FIXTURES_DIR "/traces/README.md";
  const Config tls = config_of("[device_broker]\nurl = \"mqtts://[::1]\"\nca_file = \"" + ca +
                               "\"\ncert_file = \"" + ca + "\"\nkey_file = \"" + ca +
                               "\"\ninsecure = true\n[mqtt]\nurl = \"mqtt://ha.lan:1884\"\n");
  BOOST_REQUIRE(tls.device_broker);
  BOOST_TEST(tls.device_broker->broker.tls);
  BOOST_TEST(tls.device_broker->broker.port == 8883);
  BOOST_TEST(tls.device_broker->ca_file == ca);
  BOOST_TEST(tls.device_broker->cert_file == ca);
  BOOST_TEST(tls.device_broker->insecure);
  BOOST_TEST(tls.mqtt.broker.host == "ha.lan");
  BOOST_TEST(tls.mqtt.ca_file.empty());  // each section its own
  BOOST_TEST(!tls.mqtt.insecure);
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_key) {
  struct Case {
    std::string text;
    int line;
    std::string key;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"[meross]\nkey = \"k\"\nfoo = 1\n", 3, "meross.foo", "unknown key"},
      {"[nope]\nx = 1\n", 1, "nope", "unknown key"},
      {"top = 1\n", 1, "top", "unknown key"},
      {"[meross]\nuser_id = \"7\"\n", 2, "meross.user_id", "expected an integer"},
      {"[meross]\nuser_id = -1\n", 2, "meross.user_id", "negative"},
      {"[meross]\ntimezone = \"Mars/Base\"\n", 2, "meross.timezone", "unknown IANA time zone"},
      {"[meross]\n\navailability_timeout = \"5 minutes\"\n", 3, "meross.availability_timeout",
       "duration"},
      {"[meross]\navailability_timeout = 300\n", 2, "meross.availability_timeout", "duration"},
      {"[meross]\navailability_timeout = \"10ms\"\n", 2, "meross.availability_timeout", "at least"},
      {"[meross]\nverify_signatures = \"yes\"\n", 2, "meross.verify_signatures", "true or false"},
      {"[meross]\nexclude = [\"short\"]\n", 2, "meross.exclude", "uuid"},
      {"[mqtt]\nurl = \"http://x\"\n", 2, "mqtt.url", "mqtt://"},
      {"[mqtt]\nkeepalive = \"1s\"\n", 2, "mqtt.keepalive", "at least"},
      {"[mqtt]\nca_file = \"/nonexistent/ca.pem\"\n", 2, "mqtt.ca_file", "cannot read"},
      {"[mqtt]\nclient_id = \"\"\n", 2, "mqtt.client_id", "characters"},
      {"[device_broker]\nurl = \"http://x\"\n", 2, "device_broker.url", "mqtt://"},
      {"[device_broker]\nurl = 1883\n", 2, "device_broker.url", "expected a string"},
      {"[device_broker]\n\nkeepalive = \"1s\"\n", 3, "device_broker.keepalive", "at least"},
      {"[device_broker]\nkeepalive = \"19h\"\n", 2, "device_broker.keepalive", "at most"},
      {"[device_broker]\nca_file = \"/nonexistent/ca.pem\"\n", 2, "device_broker.ca_file",
       "cannot read"},
      {"[device_broker]\nclient_id = \"\"\n", 2, "device_broker.client_id", "characters"},
      {"[device_broker]\ninsecure = 1\n", 2, "device_broker.insecure", "true or false"},
      {"[device_broker]\nkey_file = \"" MEROSS_FIXTURES_DIR "/traces/README.md\"\n", 2,
       "device_broker.key_file", "go together"},
      {"[device_broker]\ndevices = []\n", 2, "device_broker.devices", "unknown key"},
      {"device_broker = \"mqtt://x\"\n", 1, "device_broker", "expected a table"},
      {"[mqtt]\nclient_id = \"mb\"\n[device_broker]\nclient_id = \"mb\"\n", 4,
       "device_broker.client_id", "same as [mqtt] client_id"},
      {"[device_broker]\nurl = \"mqtt://127.0.0.1\"\nclient_id = \"meross-bridge\"\n", 3,
       "device_broker.client_id", "throwing each other off"},
      {"[device_broker]\nclient_id = \"mb\"\n[mqtt]\nclient_id = \"mb\"\n", 2,
       "device_broker.client_id", "same as [mqtt] client_id"},
      {"[homeassistant]\nbase_topic = \"a/#\"\n", 2, "homeassistant.base_topic", "wildcards"},
      {"[polling]\nelectricity = \"500ms\"\n", 2, "polling.electricity", "at least"},
      {"[homeassistant]\nrepublish_delay = \"soon\"\n", 2, "homeassistant.republish_delay",
       "duration"},
      {"[log]\nlevel = \"loud\"\n", 2, "log.level", "expected one of"},
      {"[[devices]]\nname = \"x\"\n", 1, "devices[0].uuid", "missing"},
      {"[[devices]]\nuuid = \"2301234567890123456748e1e9c4b296\"\n[[devices]]\n"
       "uuid = \"2301234567890123456748e1e9c4b296\"\n",
       4, "devices[1].uuid", "already"},
      {"[[devices]]\nuuid = \"2301234567890123456748e1e9c4b296\"\ncolour = \"red\"\n", 3,
       "devices[0].colour", "unknown key"},
      {"devices = 3\n", 1, "devices", "[[devices]]"},
      {"[meross]\nkey = \"unterminated\n", 2, "", "TOML syntax error"},
  };
  for (const auto& c : cases) {
    const auto e = error_of(c.text);
    BOOST_TEST_CONTEXT(c.text) {
      BOOST_TEST(e.file == "bridge.toml");
      BOOST_TEST(e.line == c.line);
      BOOST_TEST(e.key == c.key);
      BOOST_TEST(e.message.find(c.words) != std::string::npos, e.describe());
      BOOST_TEST(e.describe().starts_with("bridge.toml:" + std::to_string(c.line) + ": "));
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_never_quote_secrets) {
  const auto e = error_of("[meross]\nkey = 12345678\n");
  BOOST_TEST(e.describe().find("12345678") == std::string::npos);
  const auto p = error_of("[mqtt]\npassword = [\"hunter2\"]\n");
  BOOST_TEST(p.describe().find("hunter2") == std::string::npos);
  BOOST_TEST(p.key == "mqtt.password");
  const auto d = error_of("[device_broker]\npassword = 31337\n");
  BOOST_TEST(d.describe().find("31337") == std::string::npos);
  BOOST_TEST(d.key == "device_broker.password");
}

BOOST_AUTO_TEST_CASE(cert_and_key_go_together) {
  const auto e = error_of("[mqtt]\ncert_file = \"" MEROSS_FIXTURES_DIR "/traces/README.md\"\n");
  BOOST_TEST(e.key == "mqtt.cert_file");
  BOOST_TEST(e.line == 2);
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_naming_it) {
  const auto result = load_config("/nonexistent/bridge.toml");
  BOOST_REQUIRE(result.error);
  BOOST_TEST(result.error->describe().find("/nonexistent/bridge.toml") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(limits_for_new_devices) {
  const Config d = config_of("");
  BOOST_TEST(d.new_devices_per_second == 500.0);
  BOOST_TEST(d.new_devices_burst == 2000u);
  BOOST_TEST(d.max_new_devices == 2000u);
  const Config c = config_of(
      "[meross]\nnew_devices_per_second = 0.5\nnew_devices_burst = 3\nmax_new_devices = 7\n");
  BOOST_TEST(c.new_devices_per_second == 0.5);
  BOOST_TEST(c.new_devices_burst == 3u);
  BOOST_TEST(c.max_new_devices == 7u);
  BOOST_TEST(config_of("[meross]\nnew_devices_per_second = 20\n").new_devices_per_second == 20.0);
  BOOST_TEST(effective_settings(c).find("new_devices_per_second = 0.5\n") != std::string::npos);
  for (const char* bad : {"new_devices_per_second = 0", "new_devices_per_second = \"fast\"",
                          "new_devices_burst = 0", "max_new_devices = -1"}) {
    const auto e = error_of(std::string("[meross]\n") + bad + "\n");
    BOOST_TEST(e.line == 2, bad);
  }
}
