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
#include "pairing/cli_command.hpp"
#include "pairing/device_commands.hpp"
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
    auto* sub = app.add_subcommand(kInfoCommand.name, kInfoCommand.summary);
    http_options(sub, options->target);
    sub->callback(run_command(&run_info, options));
  }
  {
    auto options = std::make_shared<WifiOptions>();
    auto* sub = app.add_subcommand(kWifiCommand.name, kWifiCommand.summary);
    http_options(sub, options->target);
    sub->callback(run_command(&run_wifi, options));
  }
  {
    auto options = std::make_shared<PairOptions>();
    auto* sub = app.add_subcommand(kPairCommand.name, kPairCommand.summary);
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
    auto options = std::make_shared<CallOptions>();
    auto* sub = app.add_subcommand(kCallCommand.name, kCallCommand.summary);
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
  add_lan_commands(app);
  add_account_command(app);
  add_broker_commands(app);
}

}  // namespace meross::pairing
