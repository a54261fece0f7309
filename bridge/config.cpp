#include "bridge/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "bridge/logging.hpp"
#include "protocol/time_rules.hpp"

namespace meross::bridge {
namespace {

constexpr std::string_view kDeviceBrokerClientId = "meross-bridge-devices";

// Thrown inside the parser, caught by parse_config.
struct Failure {
  ConfigError error;
};

int line_of(const toml::source_region& region) {
  return static_cast<int>(region.begin.line);
}

std::string type_of(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string quote(std::string_view text) {
  return toml_string(text);
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(int line, std::string key, std::string message) const {
    throw Failure{ConfigError{file_, line, std::move(key), std::move(message)}};
  }

  // Calls `handle(name, node, key_path)` for each key of `table`; a key not in `known` is an error.
  void each(const toml::table& table, const std::string& prefix,
            std::initializer_list<std::string_view> known,
            const std::function<void(std::string_view, const toml::node&, const std::string&)>&
                handle) const {
    for (auto&& [key, node] : table) {
      const std::string path =
          prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        fail(line_of(key.source()), path, "unknown key");
      }
      handle(key.str(), node, path);
    }
  }

  std::string string(const toml::node& node, const std::string& path) const {
    if (!node.is_string())
      fail(line_of(node.source()), path, "expected a string, got " + type_of(node));
    return std::string(node.as_string()->get());
  }
  bool boolean(const toml::node& node, const std::string& path) const {
    if (!node.is_boolean())
      fail(line_of(node.source()), path, "expected true or false, got " + type_of(node));
    return node.as_boolean()->get();
  }
  std::int64_t integer(const toml::node& node, const std::string& path) const {
    if (!node.is_integer())
      fail(line_of(node.source()), path, "expected an integer, got " + type_of(node));
    return node.as_integer()->get();
  }
  Duration duration(const toml::node& node, const std::string& path, Duration min) const {
    if (!node.is_string()) {
      fail(line_of(node.source()), path,
           "expected a duration string such as \"500ms\", \"30s\", \"5m\" or \"1h\", got " +
               type_of(node));
    }
    const auto d = parse_duration(node.as_string()->get());
    if (!d) {
      fail(line_of(node.source()), path,
           "expected a duration such as \"500ms\", \"30s\", \"5m\" or \"1h\"");
    }
    if (*d < min) fail(line_of(node.source()), path, "must be at least " + format_duration(min));
    return *d;
  }
  std::string timezone(const toml::node& node, const std::string& path) const {
    std::string zone = string(node, path);
    if (!zone.empty()) {
      auto rules =
          protocol::build_time_rules(zone, 0, 2);  // (count 1 reads out of bounds in protocol/)
      if (!rules.ok()) fail(line_of(node.source()), path, "unknown IANA time zone " + quote(zone));
    }
    return zone;
  }
  std::string uuid(const toml::node& node, const std::string& path) const {
    std::string value = string(node, path);
    if (!valid_device_uuid(value)) {
      fail(line_of(node.source()), path, "expected a device uuid of 32 letters and digits");
    }
    std::transform(value.begin(), value.end(), value.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return value;
  }
  std::string topic_part(const toml::node& node, const std::string& path) const {
    std::string value = string(node, path);
    if (value.empty()) fail(line_of(node.source()), path, "must not be empty");
    if (value.find_first_of("+#") != std::string::npos || value.front() == '/' ||
        value.back() == '/') {
      fail(line_of(node.source()), path,
           "must be an MQTT topic without wildcards and without leading or trailing /");
    }
    return value;
  }
  std::string file_path(const toml::node& node, const std::string& path) const {
    std::string value = string(node, path);
    if (!value.empty()) {
      std::ifstream in(value);
      if (!in) fail(line_of(node.source()), path, "cannot read the file " + quote(value));
    }
    return value;
  }
  const toml::table& table(const toml::node& node, const std::string& path) const {
    if (!node.is_table())
      fail(line_of(node.source()), path, "expected a table, got " + type_of(node));
    return *node.as_table();
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

void parse_meross(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "meross",
         {"key", "user_id", "timezone", "verify_signatures", "availability_timeout",
          "timestamp_window", "exclude", "new_devices_per_second", "new_devices_burst",
          "max_new_devices"},
         [&](std::string_view k, const toml::node& n, const std::string& path) {
           if (k == "key") {
             c.key = p.string(n, path);
           } else if (k == "user_id") {
             const auto v = p.integer(n, path);
             if (v < 0) p.fail(line_of(n.source()), path, "must not be negative");
             c.user_id = static_cast<std::uint64_t>(v);
           } else if (k == "timezone") {
             c.timezone = p.timezone(n, path);
           } else if (k == "verify_signatures") {
             c.verify_signatures = p.boolean(n, path);
           } else if (k == "availability_timeout") {
             c.availability_timeout = p.duration(n, path, std::chrono::seconds(1));
           } else if (k == "timestamp_window") {
             c.timestamp_window = p.duration(n, path, std::chrono::seconds(5));
           } else if (k == "new_devices_per_second") {
             if (!n.is_number()) {
               p.fail(line_of(n.source()), path, "expected a number, got " + type_of(n));
             }
             const double v = n.is_integer() ? static_cast<double>(n.as_integer()->get())
                                             : n.as_floating_point()->get();
             if (!(v >= 0.01 && v <= 1e6)) {
               p.fail(line_of(n.source()), path, "must be between 0.01 and 1000000");
             }
             c.new_devices_per_second = v;
           } else if (k == "new_devices_burst" || k == "max_new_devices") {
             const auto v = p.integer(n, path);
             if (v < 1 || v > 1000000) {
               p.fail(line_of(n.source()), path, "must be between 1 and 1000000");
             }
             (k == "new_devices_burst" ? c.new_devices_burst : c.max_new_devices) =
                 static_cast<std::size_t>(v);
           } else if (k == "exclude") {
             if (!n.is_array()) {
               p.fail(line_of(n.source()), path, "expected an array of uuids, got " + type_of(n));
             }
             for (const auto& item : *n.as_array())
               c.exclude.push_back(p.uuid(item, path));
           }
         });
}

// [mqtt] and [device_broker]: the same keys, checked the same way, into `m` (which holds the
// section's defaults).
void parse_broker(const Parser& p, const toml::table& t, const std::string& section,
                  MqttConfig& m) {
  p.each(t, section,
         {"url", "username", "password", "client_id", "keepalive", "ca_file", "cert_file",
          "key_file", "insecure"},
         [&](std::string_view k, const toml::node& n, const std::string& path) {
           if (k == "url") {
             m.url = p.string(n, path);
             std::string why;
             const auto url = parse_mqtt_url(m.url, &why);
             if (!url) p.fail(line_of(n.source()), path, why);
             m.broker = *url;
           } else if (k == "username") {
             m.username = p.string(n, path);
           } else if (k == "password") {
             m.password = p.string(n, path);
           } else if (k == "client_id") {
             m.client_id = p.string(n, path);
             if (m.client_id.empty() || m.client_id.size() > 128) {
               p.fail(line_of(n.source()), path, "must be 1 to 128 characters");
             }
           } else if (k == "keepalive") {
             m.keepalive = p.duration(n, path, std::chrono::seconds(5));
             if (m.keepalive > std::chrono::seconds(65535)) {
               p.fail(line_of(n.source()), path, "must be at most 65535s");
             }
           } else if (k == "ca_file") {
             m.ca_file = p.file_path(n, path);
           } else if (k == "cert_file") {
             m.cert_file = p.file_path(n, path);
           } else if (k == "key_file") {
             m.key_file = p.file_path(n, path);
           } else if (k == "insecure") {
             m.insecure = p.boolean(n, path);
           }
         });
  if (m.cert_file.empty() != m.key_file.empty()) {
    const char* missing_pair = m.cert_file.empty() ? "key_file" : "cert_file";
    const auto* node = t.get(missing_pair);
    p.fail(node ? line_of(node->source()) : line_of(t.source()), section + "." + missing_pair,
           "cert_file and key_file go together: set both or neither");
  }
}

// Two connections with one client id to one broker would throw each other off, forever.
void check_two_brokers(const Parser& p, const toml::table& section, const Config& c) {
  const MqttConfig& d = *c.device_broker;
  if (d.client_id != c.mqtt.client_id || to_string(d.broker) != to_string(c.mqtt.broker)) return;
  const auto* node = section.get("client_id");
  p.fail(node ? line_of(node->source()) : line_of(section.source()), "device_broker.client_id",
         "the same as [mqtt] client_id on the same broker: the two connections would keep "
         "throwing each other off; choose another");
}

void parse_homeassistant(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "homeassistant",
         {"discovery_prefix", "base_topic", "per_component_discovery", "republish_delay",
          "command_max_age"},
         [&](std::string_view k, const toml::node& n, const std::string& path) {
           if (k == "discovery_prefix") {
             c.discovery_prefix = p.topic_part(n, path);
           } else if (k == "base_topic") {
             c.base_topic = p.topic_part(n, path);
           } else if (k == "per_component_discovery") {
             c.per_component_discovery = p.boolean(n, path);
           } else if (k == "republish_delay") {
             c.republish_delay = p.duration(n, path, std::chrono::milliseconds(0));
           } else if (k == "command_max_age") {
             c.command_max_age = p.duration(n, path, std::chrono::seconds(1));
           }
         });
}

void parse_polling(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "polling", {"electricity", "consumption"},
         [&](std::string_view k, const toml::node& n, const std::string& path) {
           const auto d = p.duration(n, path, std::chrono::seconds(1));
           (k == "electricity" ? c.electricity : c.consumption) = d;
         });
}

void parse_log(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "log", {"level"}, [&](std::string_view, const toml::node& n, const std::string& path) {
    c.log_level = p.string(n, path);
    if (!parse_log_level(c.log_level)) {
      p.fail(line_of(n.source()), path,
             "expected one of trace, debug, info, warning, error, critical, off");
    }
  });
}

void parse_web(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "web",
         {"listen", "password", "ingress_only", "device_broker", "pair_command", "scan", "ca_file"},
         [&](std::string_view k, const toml::node& n, const std::string& path) {
           if (k == "listen") {
             c.web.listen = p.string(n, path);
             if (c.web.listen.empty()) return;
             std::string why;
             const auto address = parse_listen_address(c.web.listen, &why);
             if (!address) p.fail(line_of(n.source()), path, why);
             c.web.host = address->host;
             c.web.port = address->port;
           } else if (k == "password") {
             c.web.password = p.string(n, path);
           } else if (k == "ingress_only") {
             c.web.ingress_only = p.boolean(n, path);
           } else if (k == "device_broker") {
             c.web.device_broker = p.string(n, path);
             std::string why;
             const auto url = parse_mqtt_url(c.web.device_broker, &why);
             if (!c.web.device_broker.empty() && (!url || !url->tls)) {
               p.fail(line_of(n.source()), path,
                      url ? "devices only speak TLS: expected mqtts://HOST:PORT" : why);
             }
           } else if (k == "pair_command") {
             c.web.pair_command = p.string(n, path);
           } else if (k == "scan") {
             c.web.scan = p.string(n, path);
           } else if (k == "ca_file") {
             c.web.ca_file = p.string(n, path);
           }
         });
}

void parse_cluster(const Parser& p, const toml::table& t, Config& c) {
  p.each(t, "cluster", {"instance"},
         [&](std::string_view, const toml::node& n, const std::string& path) {
           c.cluster.instance = p.string(n, path);
           const auto& id = c.cluster.instance;
           const bool valid =
               id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char ch) {
                 return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
               });
           if (!valid) {
             p.fail(line_of(n.source()), path,
                    "expected at most 32 letters, digits, '_' or '-' (\"\" = no cluster)");
           }
         });
}

// Instances of a cluster share one broker: each needs client ids of its own, or they would
// keep taking each other's connection. Default ids get the instance appended.
void name_cluster_clients(Config& c) {
  if (c.cluster.instance.empty()) return;
  const std::string suffix = "-" + c.cluster.instance;
  if (c.mqtt.client_id == MqttConfig{}.client_id) c.mqtt.client_id += suffix;
  if (c.device_broker && c.device_broker->client_id == kDeviceBrokerClientId) {
    c.device_broker->client_id += suffix;
  }
}

void parse_devices(const Parser& p, const toml::node& node, Config& c) {
  if (!node.is_array()) {
    p.fail(line_of(node.source()), "devices", "expected [[devices]] tables, got " + type_of(node));
  }
  std::set<std::string> seen;
  std::size_t index = 0;
  for (const auto& item : *node.as_array()) {
    const std::string prefix = "devices[" + std::to_string(index++) + "]";
    const toml::table& t = p.table(item, prefix);
    DeviceConfig d;
    p.each(t, prefix, {"uuid", "name", "key", "timezone", "electricity", "consumption"},
           [&](std::string_view k, const toml::node& n, const std::string& path) {
             if (k == "uuid") {
               d.uuid = p.uuid(n, path);
               if (!seen.insert(d.uuid).second) {
                 p.fail(line_of(n.source()), path, "this uuid is already configured above");
               }
             } else if (k == "name") {
               d.name = p.string(n, path);
             } else if (k == "key") {
               d.key = p.string(n, path);
             } else if (k == "timezone") {
               d.timezone = p.timezone(n, path);
             } else if (k == "electricity") {
               d.electricity = p.duration(n, path, std::chrono::seconds(1));
             } else if (k == "consumption") {
               d.consumption = p.duration(n, path, std::chrono::seconds(1));
             }
           });
    if (d.uuid.empty())
      p.fail(line_of(t.source()), prefix + ".uuid", "missing: every device needs its uuid");
    c.devices.push_back(std::move(d));
  }
}

}  // namespace

std::string ConfigError::describe() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string* why) {
  const auto fail = [&](const char* message) -> std::optional<ListenAddress> {
    if (why) *why = message;
    return std::nullopt;
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail("expected HOST:PORT such as \"127.0.0.1:8099\" or \"[::1]:8099\"");
  }
  std::string host(text.substr(0, colon));
  const std::string_view port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return fail("not an IPv6 address");
  } else {
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) != 1) {
      return fail(
          "the host must be a numeric IPv4 address (127.0.0.1, 0.0.0.0) or an IPv6 address in "
          "brackets ([::1])");
    }
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return fail("the port must be a number from 1 to 65535");
  }
  const int number = std::stoi(std::string(port));
  if (number < 1 || number > 65535) return fail("the port must be a number from 1 to 65535");
  return ListenAddress{host, static_cast<std::uint16_t>(number)};
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string lower_uuid(std::string_view uuid) {
  std::string out(uuid);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_device_uuid(std::string_view uuid) {
  return uuid.size() == 32 && std::all_of(uuid.begin(), uuid.end(),
                                          [](unsigned char c) { return std::isalnum(c) != 0; });
}

const DeviceConfig* Config::device(std::string_view uuid) const {
  for (const auto& d : devices) {
    if (d.uuid == uuid) return &d;
  }
  return nullptr;
}

bool Config::excluded(std::string_view uuid) const {
  return std::find(exclude.begin(), exclude.end(), uuid) != exclude.end();
}

const std::string& Config::key_for(std::string_view uuid) const {
  const auto* d = device(uuid);
  return d && !d->key.empty() ? d->key : key;
}

const std::string& Config::timezone_for(std::string_view uuid) const {
  const auto* d = device(uuid);
  return d && !d->timezone.empty() ? d->timezone : timezone;
}

const std::string& Config::web_ca_file() const {
  if (!web.ca_file.empty()) return web.ca_file;
  return device_broker && !device_broker->ca_file.empty() ? device_broker->ca_file : mqtt.ca_file;
}

ConfigResult parse_config(std::string_view text, std::string file) {
  Parser p(file);
  Config c;
  c.file = file;
  const toml::table* device_broker_table = nullptr;
  try {
    toml::table root;
    try {
      root = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
      return {std::nullopt, ConfigError{file, line_of(e.source()), "",
                                        "TOML syntax error: " + std::string(e.description())}};
    }
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      if (name == "devices") {
        parse_devices(p, node, c);
        continue;
      }
      if (name != "meross" && name != "mqtt" && name != "device_broker" &&
          name != "homeassistant" && name != "polling" && name != "log" && name != "web" &&
          name != "cluster") {
        p.fail(line_of(key.source()), name, "unknown key");
      }
      const toml::table& t = p.table(node, name);
      if (name == "meross") parse_meross(p, t, c);
      if (name == "mqtt") parse_broker(p, t, name, c.mqtt);
      if (name == "device_broker") {
        c.device_broker.emplace();
        c.device_broker->client_id = std::string(kDeviceBrokerClientId);
        parse_broker(p, t, name, *c.device_broker);
        device_broker_table = &t;
      }
      if (name == "homeassistant") parse_homeassistant(p, t, c);
      if (name == "polling") parse_polling(p, t, c);
      if (name == "log") parse_log(p, t, c);
      if (name == "web") parse_web(p, t, c);
      if (name == "cluster") parse_cluster(p, t, c);
    }
    name_cluster_clients(c);
    if (device_broker_table) check_two_brokers(p, *device_broker_table, c);
  } catch (const Failure& f) {
    return {std::nullopt, f.error};
  }
  return {std::move(c), std::nullopt};
}

ConfigResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, ConfigError{path, 0, "", "cannot open the configuration file"}};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::string effective_settings(const Config& c) {
  const auto secret = [](const std::string& value) { return quote(value.empty() ? "" : "***"); };
  const auto boolean = [](bool b) { return std::string(b ? "true" : "false"); };
  const auto dur = [](Duration d) { return quote(format_duration(d)); };
  std::ostringstream out;
  out << "# effective settings of " << c.file << " (secrets masked)\n";
  out << "[meross]\n";
  out << "key = " << secret(c.key) << "\n";
  out << "user_id = " << c.user_id << "\n";
  out << "timezone = " << quote(c.timezone) << (c.timezone.empty() ? "  # the host's zone" : "")
      << "\n";
  out << "verify_signatures = " << boolean(c.verify_signatures) << "\n";
  out << "availability_timeout = " << dur(c.availability_timeout) << "\n";
  out << "timestamp_window = " << dur(c.timestamp_window) << "\n";
  out << "new_devices_per_second = " << c.new_devices_per_second << "\n";
  out << "new_devices_burst = " << c.new_devices_burst << "\n";
  out << "max_new_devices = " << c.max_new_devices << "\n";
  out << "exclude = [";
  for (std::size_t i = 0; i < c.exclude.size(); ++i)
    out << (i ? ", " : "") << quote(c.exclude[i]);
  out << "]\n\n";
  const auto broker = [&](const char* section, const MqttConfig& m) {
    out << "[" << section << "]\n";
    out << "url = " << quote(m.url) << "  # " << to_string(m.broker) << "\n";
    out << "username = " << quote(m.username) << "\n";
    out << "password = " << secret(m.password) << "\n";
    out << "client_id = " << quote(m.client_id) << "\n";
    out << "keepalive = " << dur(m.keepalive) << "\n";
    out << "ca_file = " << quote(m.ca_file) << "\n";
    out << "cert_file = " << quote(m.cert_file) << "\n";
    out << "key_file = " << quote(m.key_file) << "\n";
    out << "insecure = " << boolean(m.insecure) << "\n\n";
  };
  broker("mqtt", c.mqtt);
  if (c.device_broker) {
    broker("device_broker", *c.device_broker);
  } else {
    out << "# [device_broker] not set: the devices are on the [mqtt] broker\n\n";
  }
  out << "[homeassistant]\n";
  out << "discovery_prefix = " << quote(c.discovery_prefix) << "\n";
  out << "base_topic = " << quote(c.base_topic) << "\n";
  out << "per_component_discovery = " << boolean(c.per_component_discovery) << "\n";
  out << "republish_delay = " << dur(c.republish_delay) << "\n";
  out << "command_max_age = " << dur(c.command_max_age) << "\n\n";
  out << "[polling]\n";
  out << "electricity = " << dur(c.electricity) << "\n";
  out << "consumption = " << dur(c.consumption) << "\n\n";
  out << "[log]\nlevel = " << quote(c.log_level) << "\n\n";
  out << "[web]\n";
  out << "listen = " << quote(c.web.listen) << (c.web.listen.empty() ? "  # no web page" : "")
      << "\n";
  out << "password = " << secret(c.web.password) << "\n";
  out << "ingress_only = " << boolean(c.web.ingress_only) << "\n";
  out << "device_broker = " << quote(c.web.device_broker) << "\n";
  out << "pair_command = " << quote(c.web.pair_command) << "\n";
  out << "scan = " << quote(c.web.scan) << "\n";
  out << "ca_file = " << quote(c.web.ca_file) << "\n\n";
  out << "[cluster]\ninstance = " << quote(c.cluster.instance)
      << (c.cluster.instance.empty() ? "  # no cluster: this bridge owns every device" : "")
      << "\n";
  for (const auto& d : c.devices) {
    out << "\n[[devices]]\n";
    out << "uuid = " << quote(d.uuid) << "\n";
    out << "name = " << quote(d.name) << "\n";
    out << "key = " << secret(d.key) << (d.key.empty() ? "  # the global key" : "") << "\n";
    out << "timezone = " << quote(d.timezone) << (d.timezone.empty() ? "  # the global zone" : "")
        << "\n";
    out << "electricity = " << dur(d.electricity.value_or(c.electricity)) << "\n";
    out << "consumption = " << dur(d.consumption.value_or(c.consumption)) << "\n";
  }
  return out.str();
}

}  // namespace meross::bridge
