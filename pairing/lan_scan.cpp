#include "pairing/lan_scan.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include "pairing/machine_output.hpp"
#include "pairing/requests.hpp"
#include "pairing/unix_time.hpp"
#include "protocol/device_profile.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/text.hpp"

namespace meross::pairing {
namespace {

using protocol::Error;
using protocol::Method;

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const auto used = static_cast<std::size_t>(end - text.data());
    // "010" would mean octal to inet_aton and decimal to us: refuse the ambiguity.
    if (ec != std::errc{} || used == 0 || used > 3 || value > 255 || (used > 1 && text[0] == '0')) {
      return std::nullopt;
    }
    address = (address << 8) | value;
    text.remove_prefix(used);
  }
  if (!text.empty()) return std::nullopt;
  return address;
}

std::string format_ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

// One plaintext GET, signed with `key`: the raw answer and the request it answers. DeviceClient
// turns an ERROR into text; the scan needs the ERROR itself (its code, and the uuid in `from`).
struct RawReply {
  protocol::Header request;
  protocol::Result<std::string> body;
};

RawReply plain_get(const std::string& host, const std::string& key, std::string_view ns,
                   const HttpTimeouts& timeouts) {
  auto header = protocol::make_request_header(Method::Get, ns, "http://" + host + "/config", key,
                                              unix_seconds());
  auto body = post_config(host, protocol::serialize(header, "{}"), "application/json", timeouts);
  return {std::move(header), std::move(body)};
}

// Firmware that wants AES answers plaintext requests with base64 ciphertext.
bool looks_encrypted(std::string_view body) {
  body = protocol::trim(body);
  return body.size() >= 24 && body.size() % 4 == 0 &&
         std::all_of(body.begin(), body.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' ||
                  c == '=';
         });
}

// A transport failure after which the host may still be a Meross device that wants another
// kind of request (firmware drops what it does not accept).
bool worth_asking_ability(const Error& error) {
  return error.message.find("closed the connection") != std::string::npos;
}

// post_config's messages are written for `pair`; a scan needs only their first clause.
std::string short_reason(const Error& error) {
  std::string text = error.describe();
  for (const std::string_view hint : {". In pairing mode", "; firmware does this"}) {
    const auto at = text.find(hint);
    if (at != std::string::npos) text.resize(at);
  }
  return text;
}

std::optional<std::int64_t> error_code(const protocol::Message& message) {
  const auto* error = protocol::find_member(message.payload(), "error");
  return error ? protocol::int_member(*error, "code") : std::nullopt;
}

void identify_from_header(FoundDevice& device, const protocol::Header& header) {
  device.uuid = protocol::device_uuid_of(header);
  if (auto mac = mac_from_uuid(device.uuid)) device.mac = *mac;
}

void fill_from_profile(FoundDevice& device, const protocol::DeviceProfile& profile) {
  device.uuid = profile.uuid;
  device.model = profile.type;
  device.firmware = profile.firmware_version;
  device.mac = profile.mac;
  if (!profile.server.empty()) {
    device.broker = profile.server + (profile.port ? ":" + std::to_string(*profile.port) : "");
  }
}

bool lists_ecdhe(const protocol::Message& ability_reply) {
  const auto* ability = protocol::find_member(ability_reply.payload(), "ability");
  return ability && protocol::find_member(*ability, "Appliance.Encrypt.ECDHE") != nullptr;
}

ProbeOutcome other_account(const std::string& host, const protocol::Header& header) {
  FoundDevice device;
  device.host = host;
  device.key = KeyCheck::OtherAccount;
  identify_from_header(device, header);
  return {std::move(device), ""};
}

// System.All was not readable in plaintext; System.Ability always is (meross_lan asks it first).
ProbeOutcome probe_with_ability(const std::string& host, const std::string& key,
                                const HttpTimeouts& timeouts, const std::string& all_failure) {
  auto raw = plain_get(host, key, "Appliance.System.Ability", timeouts);
  if (!raw.body) return {std::nullopt, all_failure};
  const auto body = protocol::trim(*raw.body);
  if (body.empty() || body.front() != '{') return {std::nullopt, all_failure};
  auto message = protocol::parse_message(body);
  if (!message) return {std::nullopt, all_failure};
  if (message->header.method == Method::Error && error_code(*message) == 5001) {
    return other_account(host, message->header);
  }
  auto checked = check_reply(body, raw.request);
  if (!checked) return {std::nullopt, "System.Ability: " + checked.error().describe()};

  FoundDevice device;
  device.host = host;
  identify_from_header(device, checked->header);
  device.ecdhe = lists_ecdhe(*checked);
  if (!device.ecdhe) {
    device.note = "System.All unreadable (" + all_failure + ")";
    return {std::move(device), ""};
  }
  DeviceClient client(host, key, timeouts);
  if (auto error = client.start_encryption(device.uuid, device.mac)) {
    if (error->message.find("ERROR 5001") != std::string::npos) {
      device.key = KeyCheck::OtherAccount;
      return {std::move(device), ""};
    }
    device.note = "ECDHE key exchange failed: " + short_reason(*error);
    return {std::move(device), ""};
  }
  device.static_key = client.encryption() == HttpEncryption::StaticKey;
  auto all = client.request(Method::Get, "Appliance.System.All");
  if (!all) {
    device.note = std::string("System.All unreadable ") +
                  (device.static_key ? "with the static key (the device refused the ECDHE "
                                       "exchange): "
                                     : "after the ECDHE exchange: ") +
                  short_reason(all.error());
    return {std::move(device), ""};
  }
  auto profile = protocol::profile_from_system_all(all->payload());
  if (!profile) {
    device.note = "System.All: " + profile.error().describe();
    return {std::move(device), ""};
  }
  fill_from_profile(device, *profile);
  return {std::move(device), ""};
}

HttpTimeouts clamp_timeouts(const HttpTimeouts& timeouts) {
  HttpTimeouts t = timeouts;
  t.total_ms = std::max(t.total_ms, 100L);
  t.connect_ms = std::clamp(t.connect_ms, 100L, t.total_ms);
  return t;
}

std::string show(const std::string& text) {
  return text.empty() ? "-" : text;
}

}  // namespace

protocol::Result<std::vector<std::string>> expand_cidr(std::string_view cidr, int port,
                                                       bool force) {
  cidr = protocol::trim(cidr);
  const auto slash = cidr.find('/');
  const auto address = parse_ipv4(cidr.substr(0, slash));
  if (!address) return Error{"cidr", "expected an IPv4 range like 192.168.1.0/24"};
  int prefix = 32;
  if (slash != std::string_view::npos) {
    const auto text = cidr.substr(slash + 1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), prefix);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || prefix < 0 ||
        prefix > 32) {
      return Error{"cidr", "the prefix length after '/' must be a number from 0 to 32"};
    }
  }
  if (port < 1 || port > 65535) return Error{"port", "must be a number from 1 to 65535"};
  if (prefix < kWidestForcedPrefix) {
    return Error{"cidr", "/" + std::to_string(prefix) + " is wider than a LAN; the widest range " +
                             "scanned is /" + std::to_string(kWidestForcedPrefix) +
                             " (with --force)"};
  }
  if (prefix < kWidestPrefix && !force) {
    return Error{"cidr", "/" + std::to_string(prefix) + " is " +
                             std::to_string(1UL << (32 - prefix)) +
                             " addresses; ranges wider than /" + std::to_string(kWidestPrefix) +
                             " need --force"};
  }
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  std::uint32_t first = *address & mask;
  std::uint32_t last = first | ~mask;
  if (prefix < 31) {
    ++first;  // the network address
    --last;   // the broadcast address
  }
  const std::string suffix = port == 80 ? "" : ":" + std::to_string(port);
  std::vector<std::string> hosts;
  hosts.reserve(last - first + 1);
  for (std::uint64_t a = first; a <= last; ++a)
    hosts.push_back(format_ipv4(static_cast<std::uint32_t>(a)) + suffix);
  return hosts;
}

ProbeOutcome probe_device(const std::string& host, const std::string& key,
                          const HttpTimeouts& timeouts_in) {
  const HttpTimeouts timeouts = clamp_timeouts(timeouts_in);
  if (auto error = check_host(host)) return {std::nullopt, error->describe()};
  auto raw = plain_get(host, key, "Appliance.System.All", timeouts);
  if (!raw.body) {
    if (worth_asking_ability(raw.body.error())) {
      return probe_with_ability(host, key, timeouts, short_reason(raw.body.error()));
    }
    return {std::nullopt, short_reason(raw.body.error())};
  }
  const auto body = protocol::trim(*raw.body);
  if (looks_encrypted(body)) {
    return probe_with_ability(host, key, timeouts, "the answer was encrypted");
  }
  if (body.empty() || body.front() != '{') {
    return {std::nullopt, "it answered HTTP, but not with a Meross message"};
  }
  auto message = protocol::parse_message(body);
  if (!message) {
    return {std::nullopt,
            "it answered JSON, but not a Meross message (" + message.error().describe() + ")"};
  }
  if (message->header.method == Method::Error) {
    if (error_code(*message) == 5001) return other_account(host, message->header);
    return probe_with_ability(host, key, timeouts, check_reply(body, raw.request).error().message);
  }
  auto checked = check_reply(body, raw.request);
  if (!checked) return {std::nullopt, checked.error().describe()};
  auto profile = protocol::profile_from_system_all(checked->payload());
  FoundDevice device;
  device.host = host;
  if (profile) {
    fill_from_profile(device, *profile);
  } else {
    identify_from_header(device, checked->header);
    device.note = "System.All: " + profile.error().describe();
  }
  // The encryption `move` will need; old firmware may not answer Ability, which is fine.
  auto ability = plain_get(host, key, "Appliance.System.Ability", timeouts);
  if (ability.body) {
    if (auto reply = check_reply(protocol::trim(*ability.body), ability.request)) {
      device.ecdhe = lists_ecdhe(*reply);
    }
  }
  return {std::move(device), ""};
}

std::vector<ProbeOutcome> scan_hosts(const std::vector<std::string>& hosts, const std::string& key,
                                     int parallel, const HttpTimeouts& timeouts,
                                     const ScanProgress& progress) {
  std::vector<ProbeOutcome> results(hosts.size());
  const std::size_t workers =
      std::min<std::size_t>(hosts.size(), static_cast<std::size_t>(std::clamp(parallel, 1, 256)));
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t done = 0;
  std::size_t found = 0;
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < hosts.size(); i = next++) {
        auto outcome = probe_device(hosts[i], key, timeouts);
        std::lock_guard lock(mutex);
        if (outcome.device) ++found;
        results[i] = std::move(outcome);
        ++done;
        changed.notify_all();
      }
    });
  }
  {
    std::unique_lock lock(mutex);
    auto last = std::chrono::steady_clock::now();
    while (done < hosts.size()) {
      changed.wait_for(lock, std::chrono::seconds(1));
      const auto now = std::chrono::steady_clock::now();
      if (progress && done < hosts.size() && now - last >= std::chrono::seconds(1)) {
        last = now;
        progress(done, hosts.size(), found);
      }
    }
  }
  for (auto& thread : threads)
    thread.join();
  return results;
}

std::string key_check_text(KeyCheck key) {
  return key == KeyCheck::Accepted ? "ours" : "another account's key (ERROR 5001)";
}

std::string format_devices(const std::vector<FoundDevice>& devices) {
  if (devices.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"IP", "MODEL", "FIRMWARE", "MAC", "UUID", "BROKER", "KEY", "HTTP"});
  for (const auto& d : devices) {
    const std::string http = d.key == KeyCheck::OtherAccount && !d.ecdhe ? "-"
                             : d.static_key                              ? "static key"
                             : d.ecdhe                                   ? "ECDHE"
                                                                         : "plain";
    rows.push_back({d.host, show(d.model), show(d.firmware), show(d.mac), show(d.uuid),
                    show(d.broker), key_check_text(d.key), http});
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c)
      widths[c] = std::max(widths[c], row[c].size());
  }
  std::ostringstream out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
  for (const auto& d : devices) {
    if (!d.note.empty()) out << "note: " << d.host << ": " << d.note << "\n";
  }
  return out.str();
}

std::string format_summary(const std::vector<FoundDevice>& devices, std::size_t probed) {
  const auto ours = static_cast<std::size_t>(std::count_if(
      devices.begin(), devices.end(), [](const auto& d) { return d.key == KeyCheck::Accepted; }));
  std::ostringstream out;
  out << devices.size() << " Meross device" << (devices.size() == 1 ? "" : "s") << " among "
      << probed << " address" << (probed == 1 ? "" : "es") << ": " << ours
      << " answer with this key, " << devices.size() - ours << " with another account's key";
  return out.str();
}

std::optional<std::vector<std::string>> scan_targets(const ScanOptions& options,
                                                     std::ostream& err) {
  if (options.cidr.empty() == options.hosts.empty()) {
    err << "error: give either --cidr RANGE or one or more --host IP[:PORT]\n";
    return std::nullopt;
  }
  if (!options.cidr.empty()) {
    auto hosts = expand_cidr(options.cidr, options.port, options.force);
    if (!hosts) {
      err << "error: --cidr " << options.cidr << ": " << hosts.error().message << "\n";
      return std::nullopt;
    }
    return std::move(*hosts);
  }
  for (const auto& host : options.hosts) {
    if (auto error = check_host(host)) {
      err << "error: --host " << host << ": " << error->message << "\n";
      return std::nullopt;
    }
  }
  return options.hosts;
}

std::optional<std::vector<FoundDevice>> scan(const ScanOptions& options, std::ostream& out,
                                             std::ostream& err) {
  auto hosts = scan_targets(options, err);
  if (!hosts) return std::nullopt;
  const double seconds = std::isfinite(options.timeout_s) ? options.timeout_s : 2.0;
  const long total_ms = static_cast<long>(std::clamp(seconds, 0.2, 60.0) * 1000);
  const HttpTimeouts timeouts{std::min(total_ms, 1000L), total_ms};
  const bool named = options.cidr.empty();
  const auto started = std::chrono::steady_clock::now();
  const ScanProgress progress = [&](std::size_t done, std::size_t total, std::size_t found) {
    if (std::chrono::steady_clock::now() - started < std::chrono::seconds(2)) return;
    err << "scanning: " << done << "/" << total << " addresses, " << found << " Meross device"
        << (found == 1 ? "" : "s") << " so far\n";
  };
  const auto outcomes = scan_hosts(*hosts, options.key, options.parallel, timeouts, progress);
  std::vector<FoundDevice> devices;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].device) {
      devices.push_back(*outcomes[i].device);
    } else if (named) {
      err << (*hosts)[i] << ": not a Meross device: " << outcomes[i].why_not << "\n";
    }
  }
  out << format_devices(devices) << format_summary(devices, hosts->size()) << "\n";
  return devices;
}

int run_scan(const ScanOptions& options, std::ostream& out, std::ostream& err) {
  if (options.key.empty()) {
    err << "error: --key or --key-stdin: the key to sign with is needed\n";
    return 2;
  }
  auto devices = scan(options, options.json ? err : out, err);
  if (!devices) return 2;
  if (options.json) {
    const auto targets = scan_targets(options, err);
    out << found_devices_json(*devices, targets ? targets->size() : 0) << "\n";
  }
  return devices->empty() ? 1 : 0;
}

}  // namespace meross::pairing
