#include "pairing/broker_commands.hpp"

#include <filesystem>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>

#include "pairing/addon_config.hpp"
#include "pairing/broker_config.hpp"
#include "pairing/certs.hpp"
#include "pairing/cli_command.hpp"
#include "pairing/requests.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {

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

int run_password(const PasswordOptions& options, std::ostream& out, std::ostream& err) {
  const auto mac = normalize_mac(options.mac);
  if (!mac) {
    err << "error: --mac: expected a MAC like 48:e1:e9:c4:b2:96\n";
    return 1;
  }
  out << protocol::device_mqtt_password(*mac, options.key, options.user_id) << "\n";
  return 0;
}

void add_broker_commands(CLI::App& app) {
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
    auto options = std::make_shared<PasswordOptions>();
    auto* sub = app.add_subcommand("password", "print a device's MQTT password");
    sub->add_option("--mac", options->mac, "the device's MAC (its MQTT user)")->required();
    sub->add_option("--key", options->key, "the key it was paired with")->required();
    sub->add_option("--user-id", options->user_id, "the userId it was paired with")
        ->capture_default_str();
    sub->callback(run_command(&run_password, options));
  }
  add_addon_command(app);
}

}  // namespace meross::pairing
