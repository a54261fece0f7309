// meross-sim: a fleet of simulated Meross devices on an MQTT broker (see simulator/fleet.hpp).

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "protocol/trace.hpp"
#include "simulator/fleet.hpp"
#include "simulator/profiles.hpp"

namespace {

void emit(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Each device takes three descriptors (its socket and libmosquitto's socket pair): raise the
// open-file limit to fit.
void raise_fd_limit(std::size_t devices) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(devices * 3 + 64);
  if (limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = wanted;
  if (raised.rlim_max < wanted) raised.rlim_max = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    raised.rlim_cur = limit.rlim_max;
    raised.rlim_max = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &raised);
    spdlog::warn("could not raise the open-file limit to {} (now {}): some devices may not connect",
                 wanted, raised.rlim_cur);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open trace " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meross;
  auto logger = spdlog::stderr_logger_st("meross-sim");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"meross-sim: simulated Meross devices on an MQTT broker", "meross-sim"};
  std::string broker_url;
  std::string key;
  std::uint64_t user_id = 0;
  std::vector<std::string> traces;
  std::vector<std::string> profiles;
  std::vector<int> counts;
  std::string bind_interval = "30s";
  int first_index = 0;
  std::string clock_interval = "10s";
  std::optional<std::string> travel;
  double load_rate = 0;
  std::string load_duration = "10s";
  std::string log_level = "info";
  std::optional<int> http_base_port;
  std::string cafile;
  app.add_option("--broker", broker_url, "mqtt://host:port or mqtts://host:port of the broker")
      ->required();
  app.add_option("--key", key, "the device key (signs every message)")->required();
  app.add_option("--user-id", user_id, "userId in the MQTT password (default 0)");
  app.add_option("--trace", traces, "a meross_lan trace file: one device per trace");
  app.add_option(
      "--profile", profiles,
      "built-in profile: mss310, mss425f, msl120, msg100, mts300, mfc100, msxh0, hp110a; "
      "append +ecdhe for "
      "encrypted HTTP firmware with the ECDHE exchange, +statickey for encrypted HTTP firmware "
      "that refuses it (static AES key), +key=KEY for a device of another account "
      "(its own key)");
  app.add_option("--count", counts,
                 "devices per --profile (default 1); one --count applies to every --profile, "
                 "or give one per --profile, in order")
      ->check(CLI::Range(1, 100000));
  app.add_option("--bind-interval", bind_interval, "Report+Bind repeat while unbound (30s)");
  app.add_option("--first-index", first_index,
                 "number the devices of each --profile from this index (default 0): several "
                 "processes simulating one fleet give each a range, so no two share a uuid")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--clock-interval", clock_interval, "Clock PUSH repeat while unanswered (10s)");
  app.add_option("--travel", travel,
                 "how long garage doors and a shutter's full travel take (3s and 10s)");
  auto* rate_opt =
      app.add_option("--load-rate", load_rate, "load mode: PUSHes per second across the fleet");
  auto* duration_opt = app.add_option("--load-duration", load_duration, "load mode duration");
  rate_opt->needs(duration_opt);
  duration_opt->needs(rate_opt);
  app.add_option("--http", http_base_port,
                 "serve each device's local API (POST /config) on 127.0.0.1:BASE_PORT+index; "
                 "0 takes a free port per device")
      ->check(CLI::Range(0, 65535));
  app.add_option("--cafile", cafile,
                 "CA certificate (PEM) to trust on mqtts:// and on brokers devices are moved to "
                 "(default: the system's CAs)")
      ->check(CLI::ExistingFile);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off (info)");
  CLI11_PARSE(app, argc, argv);

  const auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") {
    spdlog::error("unknown --log-level '{}'", log_level);
    return 2;
  }
  spdlog::set_level(level);

  auto broker = sim::parse_broker_url(broker_url);
  if (!broker) {
    spdlog::error("--broker: {}", broker.error().message);
    return 2;
  }
  const auto bind_ms = sim::parse_duration_ms(bind_interval);
  const auto clock_ms = sim::parse_duration_ms(clock_interval);
  const auto load_ms = sim::parse_duration_ms(load_duration);
  const auto travel_ms = travel ? sim::parse_duration_ms(*travel) : std::optional<std::int64_t>(1);
  if (!bind_ms || *bind_ms <= 0 || !clock_ms || *clock_ms <= 0 || !load_ms || !travel_ms ||
      *travel_ms <= 0) {
    spdlog::error("durations look like 500ms, 1s, 30s, 5m");
    return 2;
  }
  if (load_rate < 0) {
    spdlog::error("--load-rate must be positive");
    return 2;
  }
  if (counts.size() > 1 && counts.size() != profiles.size()) {
    spdlog::error("give one --count, or one per --profile");
    return 2;
  }
  if (traces.empty() && profiles.empty()) {
    spdlog::error("no devices: give --trace FILE and/or --profile NAME");
    return 2;
  }

  sim::DeviceSettings settings;
  settings.key = key;
  settings.user_id = user_id;
  settings.bind_interval_ms = *bind_ms;
  settings.clock_interval_ms = *clock_ms;
  settings.broker_host = broker->host;
  settings.broker_port = broker->port;

  std::vector<std::unique_ptr<sim::Device>> devices;
  const std::int64_t now = now_ms();
  try {
    for (const auto& path : traces) {
      const std::string name = std::filesystem::path(path).filename().string();
      auto trace = protocol::parse_trace(name, read_text(path));
      if (!trace) throw std::runtime_error(path + ": " + trace.error().describe());
      if (trace->uuid.size() != 32) {
        throw std::runtime_error(path + ": no U<uuid> of 32 characters in the file name");
      }
      auto tmpl = sim::trace_template(*trace, name);
      if (!tmpl) throw std::runtime_error(path + ": " + tmpl.error().describe());
      if (travel) (*tmpl)->garage_travel_ms = (*tmpl)->roller_travel_ms = *travel_ms;
      if (http_base_port && (*tmpl)->abilities.count("Appliance.Encrypt.ECDHE")) {
        spdlog::info("{}: ECDHE firmware, HTTP requests must be encrypted", name);
      }
      devices.push_back(std::make_unique<sim::Device>(
          *tmpl, trace->uuid, sim::trace_mac(*trace, trace->uuid), settings, now));
    }
    std::map<std::string, int> next_index;
    for (std::size_t p = 0; p < profiles.size(); ++p) {
      const auto spec = sim::parse_profile_spec(profiles[p]);
      if (!spec) throw std::runtime_error("--profile: " + spec.error().message);
      const int count = counts.empty() ? 1 : counts.size() == 1 ? counts[0] : counts[p];
      auto tmpl = sim::builtin_template(spec->name);
      if (!tmpl) throw std::runtime_error("--profile: " + tmpl.error().message);
      if (travel) (*tmpl)->garage_travel_ms = (*tmpl)->roller_travel_ms = *travel_ms;
      if (spec->ecdhe || spec->static_key) {
        tmpl = spec->static_key ? sim::with_static_key(**tmpl) : sim::with_ecdhe(**tmpl);
        if (!tmpl) throw std::runtime_error("--profile: " + tmpl.error().message);
      }
      sim::DeviceSettings own = settings;
      if (spec->key) own.key = *spec->key;
      // Variants share the profile's numbering, so every device keeps a uuid of its own.
      auto slot = next_index.try_emplace(spec->name, first_index).first;
      int& index = slot->second;
      for (int i = 0; i < count; ++i, ++index) {
        const std::string uuid = sim::builtin_uuid(spec->name, index);
        devices.push_back(
            std::make_unique<sim::Device>(*tmpl, uuid, sim::mac_from_uuid(uuid), own, now));
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 2;
  }

  if (http_base_port && *http_base_port > 0 &&
      *http_base_port + static_cast<long long>(devices.size()) - 1 > 65535) {
    spdlog::error("--http {}: {} devices need ports up to {}, beyond 65535", *http_base_port,
                  devices.size(), *http_base_port + static_cast<long long>(devices.size()) - 1);
    return 2;
  }
  std::vector<std::string> device_lines;
  for (const auto& d : devices)
    device_lines.push_back("device " + d->uuid() + " " + d->type() + " " + d->mac());
  // Each HTTP server holds one more descriptor per device.
  raise_fd_limit(devices.size() + (http_base_port ? devices.size() : 0));
  spdlog::info("{} device(s) on {}:{}{}", devices.size(), broker->host, broker->port,
               broker->tls ? " (TLS)" : "");

  try {
    sim::FleetOptions options;
    options.broker = *broker;
    options.cafile = cafile;
    options.http_base_port = http_base_port.value_or(-1);
    options.load_rate = load_rate;
    options.load_duration_ms = *load_ms;
    sim::Fleet fleet(std::move(devices), options, emit);
    for (std::size_t i = 0; i < device_lines.size(); ++i) {
      const int port = fleet.http_port(i);
      emit(port < 0 ? device_lines[i]
                    : device_lines[i] + " http 127.0.0.1:" + std::to_string(port));
    }
    return fleet.run();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
