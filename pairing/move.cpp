#include "pairing/move.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>

#include <mosquitto.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "pairing/cli_command.hpp"
#include "pairing/device_commands.hpp"
#include "pairing/http_client.hpp"
#include "pairing/lan_scan.hpp"
#include "pairing/machine_output.hpp"
#include "pairing/unix_time.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;
using protocol::Method;

constexpr std::string_view kMask = "***";

HttpTimeouts timeouts_of(double seconds) {
  const double clamped = std::isfinite(seconds) ? std::clamp(seconds, 0.5, 120.0) : 5.0;
  const long ms = static_cast<long>(clamped * 1000);
  return HttpTimeouts{std::min(ms, 3000L), ms};
}

std::string address_text(const BrokerAddress& broker) {
  return broker.host + ":" + std::to_string(broker.port);
}

// Watches /appliance/<uuid>/publish for the devices' SET Appliance.Control.Bind, the first thing
// a device sends once it is on its new broker. Subscribed before Config.Key goes out, so that a
// fast device cannot bind before we listen.
class BindWatcher {
 public:
  static protocol::Result<std::unique_ptr<BindWatcher>> start(
      const WatchBroker& broker, const std::vector<std::string>& uuids);
  ~BindWatcher() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  BindWatcher(const BindWatcher&) = delete;
  BindWatcher& operator=(const BindWatcher&) = delete;

  // The uuids of `wanted` that bound before the deadline.
  std::set<std::string> wait(const std::set<std::string>& wanted,
                             std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] {
      return std::all_of(wanted.begin(), wanted.end(),
                         [&](const std::string& uuid) { return bound_.count(uuid) != 0; });
    });
    std::set<std::string> seen;
    for (const auto& uuid : wanted) {
      if (bound_.count(uuid)) seen.insert(uuid);
    }
    return seen;
  }

 private:
  BindWatcher() = default;

  static void on_connect(mosquitto* mosq, void* user, int rc) {
    auto* self = static_cast<BindWatcher*>(user);
    std::lock_guard lock(self->mutex_);
    if (rc != 0) {
      self->failure_ = std::string("the broker refused the login: ") + mosquitto_connack_string(rc);
    } else {
      for (const auto& topic : self->topics_) {
        int mid = 0;
        if (mosquitto_subscribe(mosq, &mid, topic.c_str(), 1) != MOSQ_ERR_SUCCESS) {
          self->failure_ = "cannot subscribe to " + topic;
          break;
        }
        self->pending_.insert(mid);
      }
    }
    self->changed_.notify_all();
  }

  static void on_subscribe(mosquitto*, void* user, int mid, int count, const int* granted) {
    auto* self = static_cast<BindWatcher*>(user);
    std::lock_guard lock(self->mutex_);
    if (count < 1 || granted[0] > 2) {
      self->failure_ = "the broker refused the subscription (check this login's ACL)";
    }
    self->pending_.erase(mid);
    if (self->pending_.empty()) self->subscribed_ = true;
    self->changed_.notify_all();
  }

  static void on_message(mosquitto*, void* user, const mosquitto_message* message) {
    auto* self = static_cast<BindWatcher*>(user);
    if (message->payloadlen <= 0) return;
    const std::string text(static_cast<const char*>(message->payload),
                           static_cast<std::size_t>(message->payloadlen));
    auto parsed = protocol::parse_message(text);
    if (!parsed || parsed->header.method != Method::Set ||
        parsed->header.ns != "Appliance.Control.Bind") {
      return;
    }
    // The topic names the device; the broker's ACL vouches for it, the payload does not.
    std::string_view topic = message->topic;
    constexpr std::string_view kPrefix = "/appliance/";
    if (!topic.starts_with(kPrefix)) return;
    topic.remove_prefix(kPrefix.size());
    const std::string uuid(topic.substr(0, topic.find('/')));
    std::lock_guard lock(self->mutex_);
    self->bound_.insert(uuid);
    self->changed_.notify_all();
  }

  mosquitto* mosq_ = nullptr;
  std::vector<std::string> topics_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<int> pending_;
  bool subscribed_ = false;
  std::optional<std::string> failure_;
  std::set<std::string> bound_;
};

protocol::Result<std::unique_ptr<BindWatcher>> BindWatcher::start(
    const WatchBroker& broker, const std::vector<std::string>& uuids) {
  std::string_view url = broker.url;
  bool tls = false;
  int port = 1883;
  if (url.starts_with("mqtts://")) {
    tls = true;
    port = 8883;
    url.remove_prefix(8);
  } else if (url.starts_with("mqtt://")) {
    url.remove_prefix(7);
  } else {
    return Error{broker.section + ".url", "expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"};
  }
  while (!url.empty() && url.back() == '/')
    url.remove_suffix(1);
  std::string host(url);
  const auto colon = url.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(url.substr(0, colon));
    try {
      std::size_t used = 0;
      const std::string text(url.substr(colon + 1));
      port = std::stoi(text, &used);
      if (used != text.size() || port < 1 || port > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
      return Error{broker.section + ".url", "the port must be a number from 1 to 65535"};
    }
  }
  if (host.empty()) return Error{broker.section + ".url", "no host"};

  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  std::unique_ptr<BindWatcher> watcher(new BindWatcher());
  for (const auto& uuid : uuids)
    watcher->topics_.push_back("/appliance/" + uuid + "/publish");
  const std::string client_id = "meross-move-" + protocol::new_message_id().substr(0, 12);
  watcher->mosq_ = mosquitto_new(client_id.c_str(), true, watcher.get());
  if (!watcher->mosq_) return Error{"", "libmosquitto could not start"};
  mosquitto_connect_callback_set(watcher->mosq_, &BindWatcher::on_connect);
  mosquitto_subscribe_callback_set(watcher->mosq_, &BindWatcher::on_subscribe);
  mosquitto_message_callback_set(watcher->mosq_, &BindWatcher::on_message);
  if (!broker.username.empty() &&
      mosquitto_username_pw_set(watcher->mosq_, broker.username.c_str(),
                                broker.password.empty() ? nullptr : broker.password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    return Error{"", "libmosquitto rejected the credentials"};
  }
  if (tls) {
    const char* cafile = broker.ca_file.empty() ? nullptr : broker.ca_file.c_str();
    if (mosquitto_tls_set(watcher->mosq_, cafile, cafile ? nullptr : "/etc/ssl/certs", nullptr,
                          nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
      return Error{broker.section + ".ca_file", "cannot use the CA file " + broker.ca_file};
    }
    if (broker.insecure) mosquitto_tls_insecure_set(watcher->mosq_, true);
  }
  const int rc = mosquitto_connect(watcher->mosq_, host.c_str(), port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    return Error{"", "cannot connect to " + host + ":" + std::to_string(port) + ": " +
                         mosquitto_strerror(rc)};
  }
  if (mosquitto_loop_start(watcher->mosq_) != MOSQ_ERR_SUCCESS) {
    return Error{"", "libmosquitto could not start its thread"};
  }
  std::unique_lock lock(watcher->mutex_);
  const bool ready = watcher->changed_.wait_for(lock, std::chrono::seconds(10), [&] {
    return watcher->subscribed_ || watcher->failure_.has_value();
  });
  if (watcher->failure_) return Error{"", *watcher->failure_};
  if (!ready) return Error{"", "the broker did not confirm the subscription within 10 s"};
  lock.unlock();
  return watcher;
}

struct Counts {
  int moved = 0;
  int unchanged = 0;
  int unknown = 0;
};

// Sends Config.Key to one device that answered with our key; reports and counts the outcome.
void move_one(const FoundDevice& device, const MoveOptions& options, const BrokerAddress& broker,
              std::ostream& out, std::ostream& err, Counts& counts) {
  const std::string name = device.host + (device.uuid.empty() ? "" : " (" + device.uuid + ")");
  DeviceClient client(device.host, options.key, timeouts_of(options.timeout_s));
  if (device.static_key) {
    // The probe's DeviceClient::start_encryption saw the exchange refused; asking again would
    // cost a request that firmware may leave to time out.
    client.use_static_key(device.uuid, device.mac);
  } else if (device.ecdhe) {
    if (auto error = client.exchange_keys()) {
      err << "error: " << name << ": ECDHE key exchange: " << error->describe()
          << "\n  device state: unchanged (Appliance.Config.Key was not sent)\n";
      ++counts.unchanged;
      return;
    }
  }
  const std::string payload =
      config_key_payload(broker, broker, options.new_key.value_or(options.key), options.user_id);
  auto reply = client.request(Method::Set, "Appliance.Config.Key", payload);
  if (!reply) {
    const auto state = state_after_failure(reply.error());
    err << "error: " << name << ": SET Appliance.Config.Key: " << reply.error().describe()
        << "\n  device state: " << describe_state(state) << "\n";
    ++(state == DeviceState::Unchanged ? counts.unchanged : counts.unknown);
    return;
  }
  out << "moved: " << name << " acknowledged (SETACK): broker " << address_text(broker)
      << " in both slots, userId " << options.user_id << ", "
      << (options.new_key ? "the new key" : "the same key")
      << (client.encryption() == HttpEncryption::StaticKey
              ? " (sent AES-encrypted with the device's static key)"
          : client.encryption() == HttpEncryption::Ecdhe
              ? " (sent AES-encrypted after the ECDHE exchange)"
              : "")
      << "\n";
  ++counts.moved;
}

// --key-stdin (and --new-key-stdin): the keys from stdin's first lines.
bool read_keys_from_stdin(std::string& key, std::optional<std::string>* new_key) {
  auto first = read_secret_line(std::cin, "--key-stdin", std::cerr);
  if (!first) return false;
  key = std::move(*first);
  if (!new_key) return true;
  *new_key = read_secret_line(std::cin, "--new-key-stdin", std::cerr);
  return new_key->has_value();
}

std::string string_of(const toml::table& table, std::string_view key) {
  if (const auto value = table[key].value<std::string>()) return *value;
  return "";
}

}  // namespace

protocol::Result<BrokerAddress> parse_move_broker(std::string_view url, bool force_plain) {
  if (url.starts_with("mqtt://") || url.starts_with("tcp://")) {
    if (!force_plain) {
      return Error{"broker",
                   "devices connect to their broker over TLS only; give the broker's TLS listener "
                   "(mqtts://HOST:8883), or --force-plain if you know better"};
    }
    url.remove_prefix(url.find("://") + 3);
  }
  return parse_broker(url);
}

std::string masked_config_key_request(std::string_view host, const BrokerAddress& broker,
                                      std::uint64_t user_id) {
  const auto now = unix_seconds();
  auto header = protocol::make_request_header(Method::Set, "Appliance.Config.Key",
                                              "http://" + std::string(host) + "/config", "", now);
  header.sign = std::string(kMask);
  return protocol::serialize(header, config_key_payload(broker, broker, kMask, user_id));
}

DeviceState state_after_failure(const Error& error) {
  const std::string& m = error.message;
  // The device answered and said no, or the request never reached it.
  if (m.starts_with("the device answered ERROR") || m.starts_with("cannot reach") ||
      m.find(" answered HTTP ") != std::string::npos) {
    return DeviceState::Unchanged;
  }
  return DeviceState::Unknown;
}

std::string describe_state(DeviceState state) {
  return state == DeviceState::Unchanged
             ? "unchanged (it refused the request or never received it)"
             : "unknown: it may have applied the new broker (the request was sent, the answer "
               "was lost); check with `meross-bridge scan --host` or watch your broker";
}

protocol::Result<WatchBroker> read_watch_broker(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error{"", path + ": not a TOML file (line " + std::to_string(e.source().begin.line) +
                         ": " + std::string(e.description()) + ")"};
  }
  WatchBroker broker;
  const toml::table* section = root["device_broker"].as_table();
  broker.section = "device_broker";
  if (!section) {
    section = root["mqtt"].as_table();
    broker.section = "mqtt";
  }
  if (!section) return Error{"", path + ": has neither [device_broker] nor [mqtt]"};
  broker.url = string_of(*section, "url");
  if (broker.url.empty()) broker.url = "mqtt://127.0.0.1:1883";  // the bridge's default
  broker.username = string_of(*section, "username");
  broker.password = string_of(*section, "password");
  broker.ca_file = string_of(*section, "ca_file");
  broker.insecure = (*section)["insecure"].value<bool>().value_or(false);
  return broker;
}

int run_move(const MoveOptions& options, std::ostream& out, std::ostream& err) {
  // With --json the text goes to stderr and stdout carries only the JSON document.
  std::ostream& text = options.json ? err : out;
  if (!options.all && (options.hosts.size() != 1 || !options.cidr.empty())) {
    err << "error: give one --host IP[:PORT] (or --all with --cidr or --host to move every "
           "device a scan finds)\n";
    return 2;
  }
  if (options.key.empty()) {
    err << "error: --key: the device's current key is needed to sign the request\n";
    return 2;
  }
  if (options.new_key && options.new_key->empty()) {
    err << "error: --new-key must not be empty\n";
    return 2;
  }
  auto broker = parse_move_broker(options.broker, options.force_plain);
  if (!broker) {
    err << "error: --broker " << options.broker << ": " << broker.error().message << "\n";
    return 2;
  }
  if (options.force_plain && !options.broker.starts_with("mqtts://")) {
    err << "warning: --force-plain: the device will try TLS to " << address_text(*broker)
        << "; a plain MQTT listener there will never let it in\n";
  }
  std::optional<WatchBroker> watch;
  if (!options.watch_config.empty()) {
    auto read = read_watch_broker(options.watch_config);
    if (!read) {
      err << "error: --watch-config: " << read.error().describe() << "\n";
      return 2;
    }
    watch = std::move(*read);
  }

  if (options.dry_run) {
    const std::vector<std::string> hosts = options.all && !options.cidr.empty()
                                               ? std::vector<std::string>{"<each device found>"}
                                               : options.hosts;
    text << "dry run: nothing is sent. The request (key and signature masked):\n";
    for (const auto& host : hosts) {
      text << "POST http://" << host << "/config\n"
           << masked_config_key_request(host, *broker, options.user_id) << "\n";
    }
    text << "Sent as is on plain-HTTP firmware; AES-encrypted on firmware listing "
            "Appliance.Encrypt.ECDHE (after the ECDHE key exchange, or with the device's static "
            "key when it refuses the exchange). The key written is "
         << (options.new_key ? "the --new-key" : "the current --key") << ".\n";
    return 0;
  }

  std::vector<FoundDevice> devices;
  std::vector<MoveOutcome> outcomes;
  if (options.all) {
    ScanOptions scan_options;
    scan_options.cidr = options.cidr;
    scan_options.hosts = options.hosts;
    scan_options.port = options.port;
    scan_options.key = options.key;
    scan_options.parallel = options.parallel;
    scan_options.timeout_s = std::min(options.timeout_s, 5.0);
    scan_options.force = options.force;
    auto found = scan(scan_options, text, err);
    if (!found) return 2;
    for (auto& device : *found) {
      if (device.key == KeyCheck::Accepted) {
        devices.push_back(std::move(device));
      } else {
        text << "skipped: " << device.host << " (" << (device.uuid.empty() ? "-" : device.uuid)
             << "): another account's key, device unchanged\n";
        outcomes.push_back(
            {device.host, device.uuid, "skipped", "another account's key: device unchanged"});
      }
    }
    if (devices.empty()) {
      err << "error: no device answered with this key; nothing moved\n";
      return 1;
    }
  } else {
    const auto& host = options.hosts.front();
    if (auto error = check_host(host)) {
      err << "error: --host: " << error->message << "\n";
      return 2;
    }
    auto probe = probe_device(host, options.key, timeouts_of(options.timeout_s));
    if (!probe.device) {
      err << "error: " << host << " is not a Meross device, or does not answer: " << probe.why_not
          << "\n  device state: unchanged (nothing was sent)\n";
      return 1;
    }
    if (probe.device->key == KeyCheck::OtherAccount) {
      err << "error: " << host << " (" << (probe.device->uuid.empty() ? "-" : probe.device->uuid)
          << ") answered ERROR 5001: it is paired with another key (for an app-paired device, "
             "the Meross account's key: `meross-bridge account --write-config FILE` stores it)\n"
             "  device state: unchanged\n";
      return 1;
    }
    text << format_devices({*probe.device});
    devices.push_back(std::move(*probe.device));
  }

  err << "warning: a moved device leaves the Meross cloud: the Meross app loses it (and its "
         "schedules, timers and voice assistants). To go back, factory-reset it and set it up "
         "with the app again.\n";

  std::unique_ptr<BindWatcher> watcher;
  std::vector<std::string> uuids;
  for (const auto& device : devices) {
    if (!device.uuid.empty()) uuids.push_back(device.uuid);
  }
  if (watch) {
    auto started = BindWatcher::start(*watch, uuids);
    if (!started) {
      err << "error: --watch-config: the broker of [" << watch->section
          << "]: " << started.error().describe() << "\n  device state: unchanged (nothing sent)\n";
      return 1;
    }
    watcher = std::move(*started);
  }

  Counts counts;
  std::set<std::string> moved;
  for (const auto& device : devices) {
    const Counts before = counts;
    std::ostringstream said;
    move_one(device, options, *broker, options.json ? said : out, options.json ? said : err,
             counts);
    if (counts.moved > before.moved && !device.uuid.empty()) moved.insert(device.uuid);
    if (options.json) {
      const std::string result = counts.moved > before.moved           ? "moved"
                                 : counts.unchanged > before.unchanged ? "unchanged"
                                                                       : "unknown";
      std::string message = said.str();
      while (!message.empty() && message.back() == '\n')
        message.pop_back();
      err << message << "\n";
      outcomes.push_back({device.host, device.uuid, result, std::move(message)});
    }
  }
  if (options.json) out << move_outcomes_json(outcomes) << "\n" << std::flush;
  if (options.all) {
    text << "summary: " << counts.moved << " of " << devices.size() << " moved, "
         << counts.unchanged << " unchanged, " << counts.unknown << " in an unknown state\n";
  }

  bool all_bound = true;
  if (watcher && !moved.empty()) {
    const double seconds =
        std::isfinite(options.watch_s) ? std::clamp(options.watch_s, 1.0, 600.0) : 90.0;
    text << "watching " << watch->url << " for Appliance.Control.Bind (up to "
         << static_cast<int>(seconds) << " s)...\n"
         << std::flush;
    const auto seen =
        watcher->wait(moved, std::chrono::steady_clock::now() +
                                 std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
    for (const auto& uuid : moved) {
      if (seen.count(uuid)) {
        text << "bind: " << uuid << " connected to the broker and sent its Bind\n";
      } else {
        all_bound = false;
        text << "no bind: " << uuid << " sent no Bind within " << static_cast<int>(seconds)
             << " s; it may still be restarting, or cannot reach " << address_text(*broker)
             << " (TLS, certificate for that host, its login: `meross-bridge password`)\n";
      }
    }
  }
  if (counts.unknown > 0) return 3;
  if (counts.unchanged > 0) return 1;
  return all_bound ? 0 : 4;
}

void add_lan_commands(CLI::App& app) {
  {
    auto options = std::make_shared<ScanOptions>();
    auto* sub = app.add_subcommand(kScanCommand.name, kScanCommand.summary);
    auto* cidr = sub->add_option("--cidr", options->cidr, "addresses to scan, e.g. 192.168.1.0/24");
    auto* host = sub->add_option("--host", options->hosts, "a device's IP[:PORT] (repeatable)")
                     ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cidr->excludes(host);
    sub->add_option("--port", options->port, "HTTP port with --cidr")->capture_default_str();
    auto* key = sub->add_option("--key", options->key, "the key to sign with (never printed)");
    auto key_stdin = std::make_shared<bool>(false);
    sub->add_flag("--key-stdin", *key_stdin,
                  "read the key from the first line of stdin instead (kept off the command line)")
        ->excludes(key);
    sub->add_option("--parallel", options->parallel, "requests in flight")->capture_default_str();
    sub->add_option("--timeout", options->timeout_s, "seconds per address")->capture_default_str();
    sub->add_flag("--force", options->force, "allow ranges wider than /22 (up to /16)");
    sub->add_flag("--json", options->json, "the devices as JSON on stdout, the text on stderr");
    sub->callback([options, key_stdin] {
      if (*key_stdin && !read_keys_from_stdin(options->key, nullptr)) exit_with(2);
      exit_with(run_scan(*options, std::cout, std::cerr));
    });
  }
  {
    auto options = std::make_shared<MoveOptions>();
    auto* sub = app.add_subcommand(kMoveCommand.name, kMoveCommand.summary);
    sub->add_option("--host", options->hosts, "the device's IP[:PORT] (repeatable with --all)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    auto* key = sub->add_option("--key", options->key, "its current key (never printed)");
    auto key_stdin = std::make_shared<bool>(false);
    sub->add_flag("--key-stdin", *key_stdin,
                  "read the current key from the first line of stdin, and with --new-key-stdin "
                  "the new key from the second (kept off the command line)")
        ->excludes(key);
    sub->add_option("--broker", options->broker, "mqtts://HOST:PORT, in both broker slots")
        ->required();
    sub->add_option("--user-id", options->user_id, "userId in the device's MQTT password")
        ->capture_default_str();
    sub->add_option_function<std::string>(
        "--new-key", [options](const std::string& v) { options->new_key = v; },
        "write this key instead of the current one (never printed)");
    auto new_key_stdin = std::make_shared<bool>(false);
    sub->add_flag("--new-key-stdin", *new_key_stdin,
                  "with --key-stdin: the key to write is the second line of stdin");
    sub->add_flag("--dry-run", options->dry_run, "print the request (key masked), send nothing");
    sub->add_flag("--force-plain", options->force_plain, "accept an mqtt:// broker");
    sub->add_option("--watch-config", options->watch_config,
                    "bridge TOML: watch its broker for the device's Bind");
    sub->add_option("--watch-timeout", options->watch_s, "seconds to watch")->capture_default_str();
    sub->add_flag("--all", options->all, "move every device a scan finds that answers our key");
    sub->add_option("--cidr", options->cidr, "with --all: addresses to scan");
    sub->add_option("--port", options->port, "HTTP port with --cidr")->capture_default_str();
    sub->add_option("--parallel", options->parallel, "with --all: scan requests in flight")
        ->capture_default_str();
    sub->add_flag("--force", options->force, "with --all: allow a --cidr wider than /22");
    sub->add_option("--timeout", options->timeout_s, "seconds to wait for each device")
        ->capture_default_str();
    sub->add_flag("--json", options->json,
                  "each device's outcome as JSON on stdout, the text on stderr");
    sub->callback([options, key_stdin, new_key_stdin] {
      if (*new_key_stdin && !*key_stdin) {
        std::cerr << "error: --new-key-stdin goes with --key-stdin\n";
        exit_with(2);
      }
      if (*key_stdin) {
        std::optional<std::string> new_key;
        if (!read_keys_from_stdin(options->key, *new_key_stdin ? &new_key : nullptr)) {
          exit_with(2);
        }
        if (new_key) options->new_key = std::move(*new_key);
      }
      exit_with(run_move(*options, std::cout, std::cerr));
    });
  }
}

}  // namespace meross::pairing
