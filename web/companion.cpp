#include "web/companion.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "pairing/certs.hpp"
#include "web/collect.hpp"

namespace meross::web {
namespace {

constexpr auto kWatchedInterval = std::chrono::milliseconds(250);
constexpr auto kIdleInterval = std::chrono::seconds(2);
// A snapshot waits at least this many times what the last one took to build: a fleet of
// thousands never spends more than a tenth of the loop's time on its page.
constexpr int kCostFactor = 10;
// A page cannot queue more than this before the daemon's next tick.
constexpr std::size_t kMaxQueued = 64;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string this_program() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("meross-bridge") : path.string();
}

}  // namespace

OnboardingSettings onboarding_settings(const bridge::Config& config, const std::string& self) {
  namespace fs = std::filesystem;
  OnboardingSettings s;
  s.pair_command = config.web.pair_command;
  if (s.pair_command.empty()) {
    // meross-bridge has the same subcommands: the add-on installs only it.
    const auto beside = fs::path(self).parent_path() / "meross-pair";
    s.pair_command = ::access(beside.c_str(), X_OK) == 0 ? beside.string() : self;
  }
  const bridge::MqttConfig& devices = config.device_broker ? *config.device_broker : config.mqtt;
  s.device_broker = config.web.device_broker;
  if (s.device_broker.empty() && devices.broker.tls) s.device_broker = devices.url;
  s.bridge_key = config.key;
  s.user_id = config.user_id;
  const std::string ca = config.web.ca_file.empty() ? devices.ca_file : config.web.ca_file;
  if (!ca.empty()) {
    if (auto fingerprint = pairing::certificate_fingerprint(ca)) s.ca_fingerprint = *fingerprint;
  }
  s.scan_default = config.web.scan;
  return s;
}

WebCompanion::WebCompanion(const bridge::Config& config) : config_(config) {}

WebCompanion::~WebCompanion() {
  stop();
}

bool WebCompanion::start(bridge::Daemon& daemon, const bridge::HomeAssistant& ha) {
  daemon_ = &daemon;
  started_ = bridge::Now::current().wall;
  ServerOptions options;
  options.host = config_.web.host;
  options.port = config_.web.port;
  options.access = Access{config_.web.password, config_.web.ingress_only};
  onboarding_ = std::make_unique<Onboarding>(onboarding_settings(config_, this_program()));
  options.add_devices = [o = onboarding_.get()](const Request& request, std::string_view path) {
    return route_onboarding(request, path, *o);
  };
  server_ = std::make_unique<Server>(
      options, [this](const std::string& uuid) { return queue_reread(uuid); });
  // A first snapshot before anyone can ask.
  snapshot(daemon, ha, bridge::Now::current());
  if (const auto error = server_->start()) {
    spdlog::critical("web page: {} ([web] listen)", *error);
    server_.reset();
    return false;
  }
  spdlog::info("web page on http://{}/{}{}", config_.web.listen,
               config_.web.password.empty() ? "" : " (password required)",
               config_.web.ingress_only ? " for Home Assistant's ingress only" : "");
  return true;
}

void WebCompanion::stop() {
  if (server_) server_->stop();
  // A running scan or move is killed: the daemon is going, and nobody would see its end.
  if (onboarding_) onboarding_->stop();
}

void WebCompanion::tick(bridge::Daemon& daemon, const bridge::HomeAssistant& ha, bridge::Now now) {
  if (!server_) return;
  carry_out(daemon, now);
  const bridge::Duration base = server_->watchers() > 0 ? bridge::Duration(kWatchedInterval)
                                                        : bridge::Duration(kIdleInterval);
  const auto interval =
      std::max(base, std::chrono::duration_cast<bridge::Duration>(last_cost_ * kCostFactor));
  if (!last_build_ || now.mono - *last_build_ >= interval) {
    const auto began = bridge::SteadyClock::now();
    snapshot(daemon, ha, now);
    last_cost_ =
        std::chrono::duration_cast<std::chrono::microseconds>(bridge::SteadyClock::now() - began);
  }
}

bool WebCompanion::queue_reread(const std::string& uuid) {
  {
    std::lock_guard lock(mutex_);
    if (known_.count(lower(uuid)) == 0 || rereads_.size() >= kMaxQueued) return false;
    rereads_.push_back(uuid);
  }
  daemon_->wake();
  return true;
}

void WebCompanion::carry_out(bridge::Daemon& daemon, bridge::Now now) {
  std::deque<std::string> rereads;
  {
    std::lock_guard lock(mutex_);
    rereads.swap(rereads_);
  }
  for (const auto& uuid : rereads) {
    if (daemon.registry().resync(uuid, now)) {
      spdlog::info("{}: read again, as asked on the web page", uuid);
    }
  }
}

void WebCompanion::snapshot(bridge::Daemon& daemon, const bridge::HomeAssistant& ha,
                            bridge::Now now) {
  last_build_ = now.mono;
  const auto rows = collect_devices(daemon.registry(), ha, now);
  std::string devices = devices_json(rows);
  std::string bridge =
      bridge_json(collect_bridge(daemon, ha, started_, server_ ? server_->rejected() : 0));
  if (devices == last_devices_ && bridge == last_bridge_) return;
  {
    std::lock_guard lock(mutex_);
    known_.clear();
    for (const auto& row : rows) {
      if (row.hub.empty()) known_.insert(lower(row.uuid));
    }
  }
  auto event = std::make_shared<const std::string>(event_json(devices, bridge, now.wall));
  last_devices_ = devices;
  last_bridge_ = bridge;
  if (server_) {
    server_->publish(std::make_shared<const std::string>(std::move(devices)),
                     std::make_shared<const std::string>(std::move(bridge)), std::move(event));
  }
}

std::unique_ptr<bridge::DaemonCompanion> make_web_companion(const bridge::Config& config) {
  return std::make_unique<WebCompanion>(config);
}

}  // namespace meross::web
