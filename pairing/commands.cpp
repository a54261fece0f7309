#include "pairing/commands.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include "pairing/account_command.hpp"
#include "pairing/addon_config.hpp"
#include "pairing/broker_config.hpp"
#include "pairing/certs.hpp"
#include "pairing/cli_command.hpp"
#include "pairing/http_client.hpp"
#include "pairing/move.hpp"
#include "pairing/mqtt_call.hpp"
#include "pairing/requests.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/json.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Method;

HttpTimeouts timeouts_of(double seconds) {
  const double clamped = std::isfinite(seconds) ? std::clamp(seconds, 0.5, 600.0) : 10.0;
  const long ms = static_cast<long>(clamped * 1000);
  return HttpTimeouts{std::min(ms, 5000L), ms};
}

int fail(std::ostream& err, std::string_view what, const protocol::Error& error) {
  err << "error: " << what << ": " << error.describe() << "\n";
  return 1;
}

// System.All then System.Ability; abilities are optional (old firmware may refuse them).
struct Discovered {
  protocol::DeviceProfile profile;
  bool abilities_known = false;
};

std::optional<Discovered> discover(DeviceClient& client, std::ostream& err) {
  auto all = client.request(Method::Get, "Appliance.System.All");
  if (!all && all.error().message.find("ERROR 5001") == std::string::npos) {
    // Some encrypted firmware reads only System.Ability in plaintext (meross_lan asks it first);
    // its header names the uuid the static key is made from.
    auto ability = client.request(Method::Get, "Appliance.System.Ability");
    const auto* abilities =
        ability ? protocol::find_member(ability->payload(), "ability") : nullptr;
    if (!ability && ability.error().message.find("ERROR 5001") != std::string::npos) {
      all = ability.error();  // the wrong key says more than a dropped System.All
    } else if (abilities && protocol::find_member(*abilities, "Appliance.Encrypt.ECDHE") &&
               !client.start_encryption(protocol::device_uuid_of(ability->header), "")) {
      if (auto encrypted = client.request(Method::Get, "Appliance.System.All")) {
        all = std::move(encrypted);
      }
    }
  }
  if (!all) {
    fail(err, "GET Appliance.System.All", all.error());
    return std::nullopt;
  }
  auto profile = protocol::profile_from_system_all(all->payload());
  if (!profile) {
    fail(err, "the System.All answer", profile.error());
    return std::nullopt;
  }
  Discovered found{std::move(*profile), false};
  auto ability = client.request(Method::Get, "Appliance.System.Ability");
  if (ability && !protocol::apply_abilities(found.profile, ability->payload())) {
    found.abilities_known = true;
  } else if (!ability) {
    err << "warning: GET Appliance.System.Ability: " << ability.error().describe() << "\n";
  }
  return found;
}

std::optional<std::vector<WifiNetwork>> wifi_list(DeviceClient& client, std::ostream& err) {
  auto reply = client.request(Method::Get, "Appliance.Config.WifiList");
  if (!reply) {
    fail(err, "GET Appliance.Config.WifiList", reply.error());
    return std::nullopt;
  }
  auto networks = parse_wifi_list(reply->payload());
  if (!networks) {
    fail(err, "the WifiList answer", networks.error());
    return std::nullopt;
  }
  return std::move(*networks);
}

bool start_encryption(DeviceClient& client, const protocol::DeviceProfile& profile,
                      std::ostream& out, std::ostream& err) {
  // discover() may have had to encrypt already to read System.All.
  if (!profile.has_ability("Appliance.Encrypt.ECDHE") || client.encrypted()) return true;
  if (auto error = client.exchange_keys()) {
    fail(err, "ECDHE key exchange (SET Appliance.Encrypt.ECDHE)", *error);
    return false;
  }
  out << "encryption:  ECDHE key exchange done, requests are AES-256-CBC encrypted\n";
  return true;
}

std::string quoted_ssid(const std::string& ssid) {
  std::string shown;
  for (const char c : ssid) {
    shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  return "\"" + shown + "\"";
}

std::optional<std::string> read_secret_file(const std::string& path, std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "error: cannot read " << path << "\n";
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

// The device at --host, signing with --key.
DeviceClient client_for(const HttpTarget& target) {
  return DeviceClient(target.host, target.key, timeouts_of(target.timeout_s));
}

// discover() on the client's host once it is one we may ask; nullopt once said on err.
std::optional<Discovered> discover_target(DeviceClient& client, std::ostream& err) {
  if (auto error = check_host(client.host())) {
    fail(err, "--host", *error);
    return std::nullopt;
  }
  return discover(client, err);
}

}  // namespace

int run_info(const InfoOptions& options, std::ostream& out, std::ostream& err) {
  DeviceClient client = client_for(options.target);
  auto found = discover_target(client, err);
  if (!found) return 1;
  out << describe_device(found->profile);
  return 0;
}

int run_wifi(const WifiOptions& options, std::ostream& out, std::ostream& err) {
  DeviceClient client = client_for(options.target);
  auto found = discover_target(client, err);
  if (!found) return 1;
  if (!start_encryption(client, found->profile, out, err)) return 1;
  auto networks = wifi_list(client, err);
  if (!networks) return 1;
  std::sort(networks->begin(), networks->end(),
            [](const WifiNetwork& a, const WifiNetwork& b) { return a.signal > b.signal; });
  out << networks->size() << " networks seen by the device:\n";
  for (const auto& n : *networks) {
    out << "  " << quoted_ssid(n.ssid) << "  signal " << n.signal << "%  channel " << n.channel
        << "  " << encryption_name(n.encryption) << "/" << cipher_name(n.cipher) << "  bssid "
        << (n.bssid.empty() ? "-" : n.bssid) << "\n";
  }
  return 0;
}

int run_pair(const PairOptions& options, std::ostream& out, std::ostream& err) {
  if (auto error = check_host(options.target.host)) return fail(err, "--host", *error);
  if (auto error = check_wifi_credentials(options.ssid, options.wifi_password)) {
    return fail(err, "Wi-Fi", *error);
  }
  if (options.brokers.empty() || options.brokers.size() > 2) {
    err << "error: give one --broker (used for both slots) or two\n";
    return 1;
  }
  std::vector<BrokerAddress> brokers;
  for (const auto& text : options.brokers) {
    auto broker = parse_broker(text);
    if (!broker) return fail(err, "--broker " + text, broker.error());
    brokers.push_back(*broker);
  }
  if (brokers.size() == 1) brokers.push_back(brokers.front());

  // The device does not check signatures in pairing mode; sign with the key being set.
  DeviceClient client(options.target.host, options.key, timeouts_of(options.target.timeout_s));
  auto found = discover(client, err);
  if (!found) return 1;
  const auto& profile = found->profile;
  out << "device:      " << profile.type << " firmware " << profile.firmware_version << ", uuid "
      << profile.uuid << ", mac " << profile.mac << "\n";
  if (!start_encryption(client, profile, out, err)) return 1;

  auto networks = wifi_list(client, err);
  if (!networks) return 1;
  const WifiNetwork* network = find_network(*networks, options.ssid);
  if (!network) {
    err << "error: the device does not see the network " << quoted_ssid(options.ssid)
        << " (2.4 GHz only; move closer or retry). It sees:";
    for (const auto& n : *networks)
      err << " " << quoted_ssid(n.ssid);
    err << "\n";
    return 1;
  }
  out << "wifi:        " << quoted_ssid(network->ssid) << " bssid " << network->bssid << " channel "
      << network->channel << " " << encryption_name(network->encryption) << "/"
      << cipher_name(network->cipher) << " signal " << network->signal << "%\n";

  auto key_reply =
      client.request(Method::Set, "Appliance.Config.Key",
                     config_key_payload(brokers[0], brokers[1], options.key, options.user_id));
  if (!key_reply) return fail(err, "SET Appliance.Config.Key", key_reply.error());
  out << "broker:      " << brokers[0].host << ":" << brokers[0].port << " and " << brokers[1].host
      << ":" << brokers[1].port << ", userId " << options.user_id
      << " (Appliance.Config.Key accepted)\n";

  const bool wifix = profile.has_ability("Appliance.Config.WifiX");
  std::optional<WifiXIdentity> identity;
  if (wifix) identity = WifiXIdentity{profile.type, profile.uuid, profile.mac};
  const std::string ns = wifix ? "Appliance.Config.WifiX" : "Appliance.Config.Wifi";
  auto wifi_reply =
      client.request(Method::Set, ns, wifi_payload(*network, options.wifi_password, identity));
  if (!wifi_reply) {
    fail(err, "SET " + ns, wifi_reply.error());
    err << "If the device's access point has disappeared, it may have accepted the settings and "
           "restarted before answering.\n";
    return 1;
  }
  out << "wifi:        " << ns << " accepted"
      << (wifix ? " (password encrypted for this device)" : "") << "\n\n";

  const auto& b = brokers[0];
  out << "Next:\n"
      << "  1. The device restarts, joins " << quoted_ssid(network->ssid)
      << " and connects to mqtts://" << b.host << ":" << b.port
      << " (TLS; its LED stops blinking once the broker answers its Bind).\n"
      << "  2. It logs in as user " << profile.mac << " with userId " << options.user_id
      << " and the key; a broker written by `meross-bridge broker-config --key <the key>`\n"
      << "     accepts it with no per-device step. Its password, to check by hand:\n"
      << "       meross-bridge password --mac " << profile.mac << " --user-id " << options.user_id
      << " --key <the key>\n"
      << "  3. Check: the mosquitto log shows 'New client connected ... as fmware:" << profile.uuid
      << "_...', and\n"
      << "       mosquitto_sub -h " << b.host
      << " -u meross-bridge -P \"$(cat DIR/bridge-password)\" -t '/appliance/" << profile.uuid
      << "/publish' -v\n"
      << "     prints its Bind and Report; `meross-bridge call --uuid " << profile.uuid
      << " GET Appliance.System.All` answers.\n"
      << "  If it never connects, it is back in pairing mode after a minute or so: check that port "
      << b.port << " is a TLS listener with an RSA certificate for " << b.host << ".\n";
  return 0;
}

int run_certs(const CertsOptions& options, std::ostream& out, std::ostream& err) {
  CertificateOptions certificate;
  certificate.host = options.host;
  certificate.out_dir = options.out_dir;
  certificate.days = options.days;
  certificate.overwrite = options.force;
  auto files = generate_certificates(certificate);
  if (!files) return fail(err, "certs", files.error());
  out << "CA certificate:     " << files->ca_cert.string() << "\n"
      << "CA key (0600):      " << files->ca_key.string() << "\n"
      << "server certificate: " << files->server_cert.string() << " (RSA 2048, CN and SAN "
      << options.host << ")\n"
      << "server key (0600):  " << files->server_key.string() << "\n"
      << "Give the devices exactly this host: --broker mqtts://" << options.host << ":8883\n";
  return 0;
}

int run_broker_config(const BrokerConfigCommandOptions& options, std::ostream& out,
                      std::ostream& err) {
  BrokerConfigOptions config;
  config.out_dir = options.out_dir;
  config.cert_dir = options.cert_dir;
  config.keys = options.keys;
  config.user_ids = options.user_ids;
  if (config.keys.empty()) {
    // The key `account --write-config` stored in OUT/bridge.toml, so that it is never typed.
    auto stored = stored_account(std::filesystem::path(options.out_dir) / "bridge.toml");
    if (!stored) return fail(err, "broker-config", stored.error());
    config.keys = {stored->key};
    if (config.user_ids.empty()) config.user_ids = {stored->user_id};
  }
  config.tls_port = options.tls_port;
  config.tls_bind = options.tls_bind;
  config.local_port = options.local_port;
  config.local_bind = options.local_bind;
  config.certificate_hosts = options.hosts;
  config.plugin_path = options.plugin;
  config.homeassistant_login = !options.no_homeassistant;
  config.discovery_prefix = options.discovery_prefix;
  config.base_topic = options.base_topic;
  auto files = write_broker_config(config);
  if (!files) return fail(err, "broker-config", files.error());
  const std::string host = options.hosts.empty() ? "<this host>" : options.hosts.front();
  out << "mosquitto configuration: " << files->mosquitto_conf.string() << "\n"
      << "Meross keys (0600):      " << files->keys.string() << " (" << options.keys.size()
      << " key(s); any device paired with one of them logs in, no per-device step)\n"
      << "broker logins (0600):    " << files->clients.string() << "\n"
      << "CA certificate:          " << files->ca_cert.string()
      << (files->certificates_created ? " (new)" : " (kept)") << "\n"
      << "CA SHA-256 fingerprint:  " << files->ca_fingerprint << "\n"
      << "bridge configuration:    " << files->bridge_toml.string() << " (0600, user "
      << files->bridge_username << " on " << files->local_url << ")\n";
  if (!files->homeassistant_password.empty()) {
    out << "Home Assistant login:    user homeassistant, password in "
        << files->homeassistant_password.string() << " (0600), broker " << files->local_url << "\n";
  }
  if (!files->broker_user.empty()) {
    out << "keys, clients and certs/server.key belong to the user " << files->broker_user
        << ", which mosquitto switches to when started as root.\n";
  }
  out << "Pair devices with:       --broker mqtts://" << host << ":" << options.tls_port << "\n"
      << "Run: mosquitto -c " << files->mosquitto_conf.string() << "\n     meross-bridge --config "
      << files->bridge_toml.string() << "\n";
  return 0;
}

int run_call(const CallOptions& options, std::ostream& out, std::ostream& err) {
  const auto method = protocol::method_from_string(options.method);
  if (!method) {
    err << "error: METHOD must be GET, SET or PUSH\n";
    return 1;
  }
  rapidjson::Document payload;
  payload.Parse(options.payload.c_str(), options.payload.size());
  if (payload.HasParseError() || !payload.IsObject()) {
    err << "error: PAYLOAD must be a JSON object, e.g. "
           "'{\"togglex\":{\"channel\":0,\"onoff\":1}}'\n";
    return 1;
  }
  const std::string payload_json = protocol::to_json(payload);
  if (options.host.has_value() == options.uuid.has_value()) {
    err << "error: give either --host (HTTP) or --uuid (through the broker)\n";
    return 1;
  }
  if (options.host) {
    if (auto error = check_host(*options.host)) return fail(err, "--host", *error);
    DeviceClient client(*options.host, options.key, timeouts_of(options.timeout_s));
    if (options.ecdhe) {
      if (auto error = client.exchange_keys()) return fail(err, "ECDHE key exchange", *error);
    }
    auto reply = client.request(*method, options.ns, payload_json);
    if (!reply) return fail(err, options.method + " " + options.ns, reply.error());
    out << protocol::serialize(reply->header, reply->payload()) << "\n";
    return 0;
  }
  MqttCallOptions call;
  call.broker = options.broker;
  call.username = options.user;
  if (!options.password_file.empty()) {
    auto password = read_secret_file(options.password_file, err);
    if (!password) return 1;
    call.password = *password;
  }
  call.cafile = options.cafile;
  call.uuid = *options.uuid;
  call.key = options.key;
  call.method = *method;
  call.ns = options.ns;
  call.payload = payload_json;
  call.timeout_s = static_cast<int>(
      std::clamp(std::isfinite(options.timeout_s) ? options.timeout_s : 10.0, 1.0, 600.0));
  auto reply = mqtt_call(call);
  if (!reply) return fail(err, options.method + " " + options.ns, reply.error());
  out << *reply << "\n";
  // An ERROR reply is printed, then explained.
  protocol::Header request;
  request.ns = options.ns;
  request.method = *method;
  auto parsed = protocol::parse_message(*reply);
  if (parsed) {
    request.message_id = parsed->header.message_id;
    auto checked = check_reply(*reply, request);
    if (!checked) return fail(err, options.method + " " + options.ns, checked.error());
  }
  return 0;
}

int run_password(const PasswordOptions& options, std::ostream& out, std::ostream& err) {
  const auto mac = normalize_mac(options.mac);
  if (!mac) {
    err << "error: --mac: expected a MAC like 48:e1:e9:c4:b2:96\n";
    return 1;
  }
  out << protocol::device_mqtt_password(*mac, options.key, options.user_id) << "\n";
  return 0;
}

void add_commands(CLI::App& app) {
  const auto http_options = [](CLI::App* sub, HttpTarget& target) {
    sub->add_option("--host", target.host,
                    "the device's HTTP API: 10.10.10.1 in pairing mode, or its LAN IP[:PORT]")
        ->capture_default_str();
    sub->add_option("--key", target.key, "signing key of a paired device (not printed)");
    sub->add_option("--timeout", target.timeout_s, "seconds to wait for the device")
        ->capture_default_str();
  };

  {
    auto options = std::make_shared<InfoOptions>();
    auto* sub = app.add_subcommand(
        "info", "show a device's type, firmware, MAC, uuid, broker and setup encryption");
    http_options(sub, options->target);
    sub->callback(run_command(&run_info, options));
  }
  {
    auto options = std::make_shared<WifiOptions>();
    auto* sub = app.add_subcommand("wifi", "list the Wi-Fi networks the device sees");
    http_options(sub, options->target);
    sub->callback(run_command(&run_wifi, options));
  }
  {
    auto options = std::make_shared<PairOptions>();
    auto* sub = app.add_subcommand(
        "pair", "point a device in pairing mode at your broker and Wi-Fi (Config.Key, Wifi/WifiX)");
    sub->add_option("--host", options->target.host, "the device in pairing mode")
        ->capture_default_str();
    sub->add_option("--timeout", options->target.timeout_s, "seconds to wait for the device")
        ->capture_default_str();
    sub->add_option("--ssid", options->ssid, "your 2.4 GHz Wi-Fi network")->required();
    sub->add_option("--password", options->wifi_password, "its password (never printed)")
        ->required();
    sub->add_option("--broker", options->brokers,
                    "mqtts://IP:8883; once for both slots or twice (primary, secondary)")
        ->required()
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--key", options->key, "the key devices sign with (never printed)")->required();
    sub->add_option("--user-id", options->user_id, "userId in the device's MQTT password")
        ->capture_default_str();
    sub->callback(run_command(&run_pair, options));
  }
  {
    auto options = std::make_shared<CertsOptions>();
    auto* sub = app.add_subcommand(
        "certs", "write a CA and an RSA 2048 server certificate for the broker's TLS listener");
    sub->add_option("--host", options->host,
                    "the broker's IP or name, exactly as given to pair --broker")
        ->required();
    sub->add_option("--out", options->out_dir,
                    "directory for ca.crt, ca.key, server.crt, server.key")
        ->required();
    sub->add_option("--days", options->days, "validity")->capture_default_str();
    sub->add_flag("--force", options->force, "replace existing files");
    sub->callback(run_command(&run_certs, options));
  }
  {
    auto options = std::make_shared<BrokerConfigCommandOptions>();
    auto* sub = app.add_subcommand(
        "broker-config",
        "write a local Meross cloud for mosquitto: TLS listener for devices, our auth plugin "
        "(any device paired with the key logs in, confined to its own topics), certificates, "
        "and a ready bridge configuration");
    sub->add_option("--out", options->out_dir, "output directory")->required();
    sub->add_option("--key", options->keys,
                    "the key devices are paired with (repeat for several; never printed; "
                    "default: [meross] key and user_id of OUT/bridge.toml, e.g. from `account`)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--user-id", options->user_ids,
                    "userIds devices may log in with (repeat; default: any)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--host", options->hosts,
                    "IP or name devices reach the broker by, for new certificates (repeat; "
                    "default: this host's name)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sub->add_option("--certs", options->cert_dir,
                    "certificate directory (default: OUT/certs; reused when it holds a set)");
    sub->add_option("--tls-port", options->tls_port, "devices' TLS port")->capture_default_str();
    sub->add_option("--tls-bind", options->tls_bind, "address of the TLS listener (default: all)");
    sub->add_option("--local-port", options->local_port,
                    "port for meross-bridge and Home Assistant")
        ->capture_default_str();
    sub->add_option("--local-bind", options->local_bind, "address of that listener")
        ->capture_default_str();
    sub->add_option("--plugin", options->plugin,
                    "path of meross-auth.so (default: found next to this program)");
    sub->add_flag("--no-homeassistant", options->no_homeassistant,
                  "no Home Assistant login (its broker is another one)");
    sub->add_option("--discovery-prefix", options->discovery_prefix,
                    "Home Assistant's discovery prefix")
        ->capture_default_str();
    sub->add_option("--base-topic", options->base_topic, "the bridge's base topic")
        ->capture_default_str();
    sub->callback(run_command(&run_broker_config, options));
  }
  {
    auto options = std::make_shared<CallOptions>();
    auto* sub = app.add_subcommand("call", "send one signed request and print the reply");
    auto* host = sub->add_option_function<std::string>(
        "--host", [options](const std::string& v) { options->host = v; },
        "the device's HTTP API (IP[:PORT])");
    auto* uuid = sub->add_option_function<std::string>(
        "--uuid", [options](const std::string& v) { options->uuid = v; },
        "the device's uuid, through the broker");
    host->excludes(uuid);
    sub->add_option("--key", options->key, "signing key (never printed)");
    sub->add_flag("--ecdhe", options->ecdhe, "HTTP: run the ECDHE key exchange first");
    sub->add_option("--timeout", options->timeout_s, "seconds to wait")->capture_default_str();
    sub->add_option("--broker", options->broker, "MQTT: mqtt://HOST:PORT or mqtts://HOST:PORT")
        ->capture_default_str();
    sub->add_option("--user", options->user, "MQTT user (e.g. meross-bridge)");
    sub->add_option("--password-file", options->password_file,
                    "file holding the MQTT password (e.g. broker-config's DIR/bridge-password)");
    sub->add_option("--cafile", options->cafile, "CA for mqtts://");
    sub->add_option("METHOD", options->method, "GET, SET or PUSH")->required();
    sub->add_option("NAMESPACE", options->ns, "e.g. Appliance.System.All")->required();
    sub->add_option("PAYLOAD", options->payload, "JSON object (default {})");
    sub->callback(run_command(&run_call, options));
  }
  {
    auto options = std::make_shared<PasswordOptions>();
    auto* sub = app.add_subcommand("password", "print a device's MQTT password");
    sub->add_option("--mac", options->mac, "the device's MAC (its MQTT user)")->required();
    sub->add_option("--key", options->key, "the key it was paired with")->required();
    sub->add_option("--user-id", options->user_id, "the userId it was paired with")
        ->capture_default_str();
    sub->callback(run_command(&run_password, options));
  }
  add_addon_command(app);
  add_lan_commands(app);
  add_account_command(app);
}

}  // namespace meross::pairing
