#include "pairing/addon_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <ostream>
#include <regex>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "pairing/broker_config.hpp"
#include "pairing/cli_command.hpp"
#include "pairing/private_file.hpp"
#include "pairing/unix_time.hpp"
#include "protocol/json.hpp"
#include "protocol/time_rules.hpp"

namespace meross::pairing {
namespace {

namespace fs = std::filesystem;
using protocol::Error;
using Json = rapidjson::Value;

// What stops the reading of the options: the option's path and what is wrong with it.
struct OptionProblem {
  std::string option;
  std::string message;
};

[[noreturn]] void problem(const std::string& option, std::string message) {
  throw OptionProblem{option, std::move(message)};
}

// The same patterns as the schema in addon/meross-bridge/config.yaml.
const std::regex& topic_pattern() {
  static const std::regex pattern("^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$");
  return pattern;
}
const std::regex& zone_pattern() {
  static const std::regex pattern("^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$");
  return pattern;
}
const std::regex& url_pattern() {
  static const std::regex pattern(
      R"(^mqtts?://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$)");
  return pattern;
}
// A host name or an IPv4/IPv6 address, as devices are given it (no brackets, no port).
const std::regex& host_pattern() {
  static const std::regex pattern("^[A-Za-z0-9]([A-Za-z0-9._:-]{0,252})$");
  return pattern;
}

bool valid_uuid(std::string_view uuid) {
  return uuid.size() == 32 && std::all_of(uuid.begin(), uuid.end(),
                                          [](unsigned char c) { return std::isalnum(c) != 0; });
}

// What the device broker's key file can hold: one key a line, printable ASCII without spaces,
// not starting with '#' (a comment there).
bool valid_key(std::string_view key) {
  return !key.empty() && key.front() != '#' && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) != 0;
  });
}

bool known_zone(const std::string& zone) {
  const auto now = unix_seconds();
  return protocol::build_time_rules(zone, now, 2).ok();
}

std::string joined_path(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

// Reads the members of one JSON object; an absent member or null takes the default.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  const Json* member(std::string_view name) const {
    const Json* value = protocol::find_member(object_, name);
    return value && !value->IsNull() ? value : nullptr;
  }
  std::string path(std::string_view name) const { return joined_path(path_, name); }

  std::string string(std::string_view name, std::string fallback = {}) const {
    const Json* value = member(name);
    if (!value) return fallback;
    if (!value->IsString()) wrong_type(name, "a string", *value);
    std::string text(value->GetString(), value->GetStringLength());
    if (std::any_of(text.begin(), text.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      problem(path(name), "must not contain control characters");
    }
    return text;
  }
  bool boolean(std::string_view name, bool fallback) const {
    const Json* value = member(name);
    if (!value) return fallback;
    if (!value->IsBool()) wrong_type(name, "true or false", *value);
    return value->GetBool();
  }
  int integer(std::string_view name, int fallback, int min, int max) const {
    const Json* value = member(name);
    if (!value) return fallback;
    if (!value->IsNumber()) wrong_type(name, "a whole number", *value);
    if (!value->IsInt64() || value->GetInt64() < min || value->GetInt64() > max) {
      problem(path(name),
              "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<int>(value->GetInt64());
  }
  const Json* array(std::string_view name) const {
    const Json* value = member(name);
    if (value && !value->IsArray()) wrong_type(name, "a list", *value);
    return value;
  }

  [[noreturn]] void wrong_type(std::string_view name, std::string_view expected,
                               const Json& value) const {
    const char* got = value.IsNumber()   ? "a number"
                      : value.IsString() ? "a string"
                      : value.IsBool()   ? "true or false"
                      : value.IsArray()  ? "a list"
                                         : "an object";
    problem(path(name), "must be " + std::string(expected) + ", not " + got);
  }

 private:
  const Json& object_;
  std::string path_;
};

std::string checked_key(const ObjectReader& reader, std::string_view name) {
  std::string key = reader.string(name);
  if (!key.empty() && !valid_key(key)) {
    problem(reader.path(name),
            "must be printable ASCII characters without spaces, not starting with '#' (the "
            "device broker keeps the keys one a line)");
  }
  return key;
}

std::string checked_zone(const ObjectReader& reader, std::string_view name) {
  std::string zone = reader.string(name);
  if (zone.empty()) return zone;
  if (!std::regex_match(zone, zone_pattern()) || !known_zone(zone)) {
    problem(reader.path(name), "must be an IANA time zone such as Europe/Rome");
  }
  return zone;
}

std::string checked_topic(const ObjectReader& reader, std::string_view name,
                          const std::string& fallback) {
  std::string topic = reader.string(name, fallback);
  if (!std::regex_match(topic, topic_pattern())) {
    problem(reader.path(name),
            "must be topic levels of letters, digits, '_' and '-' separated by '/'");
  }
  return topic;
}

std::string checked_file(const ObjectReader& reader, std::string_view name) {
  std::string path = reader.string(name);
  if (!path.empty() && path.front() != '/') problem(reader.path(name), "must be an absolute path");
  return path;
}

AddonOptions read_options(const Json& root) {
  if (!root.IsObject()) problem("(options)", "the file must hold a JSON object");
  const ObjectReader reader(root, "");
  AddonOptions o;

  o.key = checked_key(reader, "key");
  if (o.key.empty()) {
    problem("key", "is not set: enter the key your devices were paired with");
  }
  if (const Json* id = reader.member("user_id")) {
    if (!id->IsUint64() ||
        id->GetUint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      problem("user_id", "must be a whole number from 0");
    }
    o.user_id = id->GetUint64();
  }
  o.device_port = reader.integer("device_port", o.device_port, 1, 65535);
  o.certificate_host = reader.string("certificate_host");
  if (!o.certificate_host.empty() && !std::regex_match(o.certificate_host, host_pattern())) {
    problem("certificate_host", "must be a host name or an IP address, without scheme or port");
  }
  o.timezone = checked_zone(reader, "timezone");
  o.verify_signatures = reader.boolean("verify_signatures", o.verify_signatures);
  o.polling_electricity = reader.integer("polling_electricity", o.polling_electricity, 1, 86400);
  o.polling_consumption = reader.integer("polling_consumption", o.polling_consumption, 1, 86400);
  o.discovery_prefix = checked_topic(reader, "discovery_prefix", o.discovery_prefix);
  o.base_topic = checked_topic(reader, "base_topic", o.base_topic);
  o.per_component_discovery = reader.boolean("per_component_discovery", o.per_component_discovery);
  o.log_level = reader.string("log_level", o.log_level);
  static constexpr std::array<std::string_view, 5> kLevels{"trace", "debug", "info", "warning",
                                                           "error"};
  if (std::find(kLevels.begin(), kLevels.end(), o.log_level) == kLevels.end()) {
    problem("log_level", "must be one of trace, debug, info, warning, error");
  }

  if (const Json* devices = reader.array("devices")) {
    for (rapidjson::SizeType i = 0; i < devices->Size(); ++i) {
      const std::string path = "devices[" + std::to_string(i) + "]";
      const Json& item = (*devices)[i];
      if (!item.IsObject()) problem(path, "must be an object with a uuid");
      const ObjectReader device(item, path);
      AddonDevice d;
      d.uuid = device.string("uuid");
      if (!valid_uuid(d.uuid)) problem(path + ".uuid", "must be 32 letters and digits");
      for (const auto& earlier : o.devices) {
        if (std::equal(earlier.uuid.begin(), earlier.uuid.end(), d.uuid.begin(), d.uuid.end(),
                       [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
          problem(path + ".uuid", "repeats a device listed above");
        }
      }
      d.name = device.string("name");
      d.key = checked_key(device, "key");
      d.timezone = checked_zone(device, "timezone");
      o.devices.push_back(std::move(d));
    }
  }
  if (const Json* exclude = reader.array("exclude")) {
    for (rapidjson::SizeType i = 0; i < exclude->Size(); ++i) {
      const std::string path = "exclude[" + std::to_string(i) + "]";
      const Json& item = (*exclude)[i];
      if (!item.IsString() ||
          !valid_uuid(std::string_view(item.GetString(), item.GetStringLength()))) {
        problem(path, "must be a device uuid of 32 letters and digits");
      }
      o.exclude.emplace_back(item.GetString(), item.GetStringLength());
    }
  }

  auto& broker = o.external_broker;
  broker.url = reader.string("mqtt_url");
  if (!broker.url.empty() && !std::regex_match(broker.url, url_pattern())) {
    problem("mqtt_url", "must be mqtt://HOST:PORT or mqtts://HOST:PORT");
  }
  broker.username = reader.string("mqtt_username");
  broker.password = reader.string("mqtt_password");
  broker.ca_file = checked_file(reader, "mqtt_ca_file");
  broker.cert_file = checked_file(reader, "mqtt_cert_file");
  broker.key_file = checked_file(reader, "mqtt_key_file");
  broker.insecure = reader.boolean("mqtt_insecure", false);
  if (!broker.url.empty() && broker.cert_file.empty() != broker.key_file.empty()) {
    problem(broker.cert_file.empty() ? "mqtt_cert_file" : "mqtt_key_file",
            "mqtt_cert_file and mqtt_key_file go together: set both or neither");
  }
  return o;
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string this_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

toml::table broker_table(const AddonBroker& broker, std::string_view client_id) {
  return toml::table{
      {"url", broker.url},
      {"username", broker.username},
      {"password", broker.password},
      {"client_id", client_id},
      {"keepalive", "60s"},
      {"ca_file", broker.ca_file},
      {"cert_file", broker.cert_file},
      {"key_file", broker.key_file},
      {"insecure", broker.insecure},
  };
}

std::string bridge_toml(const AddonOptions& o, const std::string& timezone,
                        const AddonBroker& home_assistant, const AddonBroker& device_broker) {
  toml::array exclude;
  for (const auto& uuid : o.exclude)
    exclude.push_back(uuid);
  toml::table root{
      {"meross",
       toml::table{
           {"key", o.key},
           {"user_id", static_cast<std::int64_t>(o.user_id.value_or(0))},
           {"timezone", timezone},
           {"verify_signatures", o.verify_signatures},
           {"availability_timeout", "5m"},
           {"exclude", std::move(exclude)},
       }},
      {"device_broker", broker_table(device_broker, "meross-bridge-devices")},
      {"mqtt", broker_table(home_assistant, "meross-bridge")},
      {"homeassistant",
       toml::table{
           {"discovery_prefix", o.discovery_prefix},
           {"base_topic", o.base_topic},
           {"per_component_discovery", o.per_component_discovery},
       }},
      {"polling",
       toml::table{
           {"electricity", std::to_string(o.polling_electricity) + "s"},
           {"consumption", std::to_string(o.polling_consumption) + "s"},
       }},
      {"log", toml::table{{"level", o.log_level}}},
  };
  if (!o.devices.empty()) {
    toml::array devices;
    for (const auto& d : o.devices) {
      toml::table device{{"uuid", d.uuid}};
      if (!d.name.empty()) device.insert("name", d.name);
      if (!d.key.empty()) device.insert("key", d.key);
      if (!d.timezone.empty()) device.insert("timezone", d.timezone);
      devices.push_back(std::move(device));
    }
    root.insert("devices", std::move(devices));
  }
  std::ostringstream out;
  out << "# Written by the Meross Bridge add-on (meross-bridge addon-config) from its options at\n"
      << "# every start; edits here are lost. Secret: keys and passwords.\n\n"
      << toml::toml_formatter(root, toml::format_flags::allow_unicode_strings) << "\n";
  return out.str();
}

// Replaces `path` with `text` (0600) through a temporary file in the same folder.
std::optional<Error> write_private_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return Error{"", "cannot create " + path.parent_path().string() + ": " + ec.message()};
  const fs::path temporary = path.string() + ".new";
  if (auto e = write_new_file(temporary, 0600, true, text)) return e;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return Error{"", "cannot replace " + path.string()};
  }
  return std::nullopt;
}

}  // namespace

protocol::Result<AddonOptions> parse_addon_options(std::string_view json) {
  if (!protocol::json_nesting_at_most(json)) {
    return Error{"(options)", "not valid JSON: nested too deeply"};
  }
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (document.HasParseError()) {
    return Error{"(options)", std::string("not valid JSON: ") +
                                  rapidjson::GetParseError_En(document.GetParseError()) +
                                  " (at character " + std::to_string(document.GetErrorOffset()) +
                                  ")"};
  }
  try {
    return read_options(document);
  } catch (const OptionProblem& p) {
    return Error{p.option, p.message};
  }
}

int run_addon_config(const AddonConfigOptions& options, std::ostream& out, std::ostream& err) {
  const auto fail = [&err](const std::string& message) {
    err << "error: " << message << "\n";
    return 1;
  };

  // 1. Everything is checked before anything is written.
  std::ifstream in(options.options_file, std::ios::binary);
  if (!in) return fail("cannot read the add-on options " + options.options_file.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_addon_options(text.str());
  if (!parsed) {
    const auto& e = parsed.error();
    if (e.field == "(options)") {
      return fail("the add-on options " + options.options_file.string() + ": " + e.message);
    }
    return fail("add-on option '" + e.field + "' " + e.message);
  }
  const AddonOptions& o = *parsed;

  const bool external = !o.external_broker.url.empty();
  const AddonBroker& home_assistant = external ? o.external_broker : options.service_broker;
  if (home_assistant.url.empty()) {
    return fail(
        "No MQTT broker for Home Assistant: install and start the Mosquitto broker add-on, or "
        "set mqtt_url");
  }
  if (!std::regex_match(home_assistant.url, url_pattern())) {
    return fail("the Supervisor's MQTT service gave an address that is not mqtt://HOST:PORT");
  }

  std::string timezone = o.timezone;
  bool zone_from_host = false;
  if (timezone.empty() && std::regex_match(options.host_timezone, zone_pattern()) &&
      known_zone(options.host_timezone)) {
    timezone = options.host_timezone;
    zone_from_host = true;
  }

  if (options.local_port < 1 || options.local_port > 65535) {
    return fail("--local-port: expected a port from 1 to 65535");
  }
  if (o.device_port == options.local_port) {
    return fail("add-on option 'device_port' must differ from " +
                std::to_string(options.local_port) + ", the bridge's port on the device broker");
  }
  std::vector<std::string> hosts;
  if (!o.certificate_host.empty()) {
    hosts.push_back(o.certificate_host);
  } else {
    for (const auto& host : options.default_hosts) {
      if (!std::regex_match(host, host_pattern())) {
        return fail("--default-host: expected a host name or an IP address");
      }
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    }
  }

  // 2. The device broker: certificates (kept), keys, logins, mosquitto.conf.
  BrokerConfigOptions broker;
  broker.out_dir = options.data_dir / "broker";
  broker.keys.push_back(o.key);
  for (const auto& d : o.devices) {
    if (!d.key.empty() &&
        std::find(broker.keys.begin(), broker.keys.end(), d.key) == broker.keys.end()) {
      broker.keys.push_back(d.key);
    }
  }
  if (o.user_id) broker.user_ids.push_back(*o.user_id);
  broker.tls_port = o.device_port;
  broker.tls_bind = options.tls_bind;
  broker.local_port = options.local_port;
  broker.local_bind = "127.0.0.1";
  broker.certificate_hosts = hosts;
  broker.plugin_path = options.plugin_path;
  broker.homeassistant_login = false;
  broker.discovery_prefix = o.discovery_prefix;
  broker.base_topic = o.base_topic;
  auto files = write_broker_config(broker);
  if (!files) return fail("the device broker: " + files.error().describe());

  // 3. The bridge's configuration.
  AddonBroker device_broker;
  device_broker.url = files->local_url;
  device_broker.username = files->bridge_username;
  device_broker.password = files->bridge_password;
  const fs::path out_file =
      options.out_file.empty() ? options.data_dir / "meross-bridge.toml" : options.out_file;
  if (auto e =
          write_private_file(out_file, bridge_toml(o, timezone, home_assistant, device_broker))) {
    return fail(e->describe());
  }

  // 4. What the user needs from the log. Never a key or a password.
  const std::string pair_host = hosts.empty() ? this_host_name() : hosts.front();
  const int pair_port = options.advertised_port > 0 ? options.advertised_port : o.device_port;
  const auto cert_dir = files->ca_cert.parent_path().string();
  out << "Device broker: TLS listener for the devices on port " << o.device_port
      << "; the bridge logs in on " << files->local_url << "\n";
  if (files->certificates_created) {
    out << "TLS certificates: created in " << cert_dir << " for";
    for (const auto& host : hosts.empty() ? std::vector<std::string>{pair_host} : hosts)
      out << " " << host;
    out << "\n";
  } else {
    out << "TLS certificates: reused from " << cert_dir << " (made at an earlier start)\n";
  }
  out << "CA certificate SHA-256 fingerprint: " << files->ca_fingerprint << "\n";
  out << "Pair devices with: mqtts://" << url_host(pair_host) << ":" << pair_port << "\n";
  out << "Home Assistant's broker: " << home_assistant.url
      << (external ? " (option mqtt_url)" : " (the Supervisor's MQTT service)") << "\n";
  if (zone_from_host) out << "Device time zone: " << timezone << " (Home Assistant's)\n";
  out << "Bridge configuration written to " << out_file.string() << " (" << o.devices.size()
      << " device override(s), " << broker.keys.size() << " key(s))\n";
  return 0;
}

void add_addon_command(CLI::App& app) {
  auto options = std::make_shared<AddonConfigOptions>();
  auto* sub = app.add_subcommand(
      "addon-config",
      "Home Assistant add-on start-up: write the device broker and the bridge's configuration "
      "from the add-on options");
  sub->add_option("--options", options->options_file, "the add-on options (/data/options.json)")
      ->required();
  sub->add_option("--data", options->data_dir, "the add-on's data folder (/data)")->required();
  sub->add_option("--out", options->out_file,
                  "the bridge's configuration file (default DATA/meross-bridge.toml)");
  sub->add_option("--default-host", options->default_hosts,
                  "an address of this host for the certificate and the pairing URL when the "
                  "option certificate_host is empty (repeat for several)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* local_port = sub->add_option(
      "--local-port", options->local_port,
      "the device broker's port for the bridge, on 127.0.0.1 (default: $MEROSS_DEVICE_LOCAL_PORT "
      "or 18830)");
  auto* tls_bind =
      sub->add_option("--tls-bind", options->tls_bind,
                      "address of the devices' TLS listener (default: $MEROSS_DEVICE_TLS_BIND or "
                      "every interface)");
  sub->add_option("--advertised-port", options->advertised_port,
                  "the port devices dial when a port mapping differs from device_port");
  sub->add_option("--plugin", options->plugin_path, "path of meross-auth.so (default: found)");
  sub->callback([options, local_port, tls_bind] {
    AddonConfigOptions run = *options;
    const auto env = [](const char* name) {
      const char* value = std::getenv(name);
      return std::string(value ? value : "");
    };
    if (local_port->count() == 0 && !env("MEROSS_DEVICE_LOCAL_PORT").empty()) {
      const std::string text = env("MEROSS_DEVICE_LOCAL_PORT");
      const bool digits = text.size() <= 5 && std::all_of(text.begin(), text.end(), [](char c) {
                            return c >= '0' && c <= '9';
                          });
      run.local_port = digits ? std::stoi(text) : 0;
    }
    if (tls_bind->count() == 0) run.tls_bind = env("MEROSS_DEVICE_TLS_BIND");
    run.service_broker.url = env("MEROSS_HA_MQTT_URL");
    run.service_broker.username = env("MEROSS_HA_MQTT_USERNAME");
    run.service_broker.password = env("MEROSS_HA_MQTT_PASSWORD");
    run.service_broker.ca_file = env("MEROSS_HA_MQTT_CA_FILE");
    run.host_timezone = env("TZ");
    exit_with(run_addon_config(run, std::cout, std::cerr));
  });
}

}  // namespace meross::pairing
