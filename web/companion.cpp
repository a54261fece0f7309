#include "web/companion.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bridge/config_edit.hpp"
#include "pairing/certs.hpp"
#include "web/collect.hpp"
#include "web/collect_device.hpp"

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
    // meross-pair beside us, else meross-bridge, which hands these subcommands to meross-pair.
    const auto beside = fs::path(self).parent_path() / "meross-pair";
    s.pair_command = ::access(beside.c_str(), X_OK) == 0 ? beside.string() : self;
  }
  const bridge::MqttConfig& devices = config.device_broker ? *config.device_broker : config.mqtt;
  s.device_broker = config.web.device_broker;
  if (s.device_broker.empty() && devices.broker.tls) s.device_broker = devices.url;
  s.bridge_key = config.key;
  s.user_id = config.user_id;
  const std::string& ca = config.web_ca_file();
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
  log_tail_ = LogTail::attach();
  server_->set_pages(page_routes());
  daemon.hooks().tap = [this](bool outgoing, std::string_view topic, std::string_view payload) {
    messages_.record(outgoing, topic, payload,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  };
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
  if (log_tail_) log_tail_->remove();
  // A running scan or move is killed: the daemon is going, and nobody would see its end.
  if (onboarding_) onboarding_->stop();
}

void WebCompanion::tick(bridge::Daemon& daemon, bridge::HomeAssistant& ha, bridge::Now now) {
  if (!server_) return;
  carry_out(daemon, now);
  // A page waiting to be built (just asked for, or renamed) does not wait for the interval.
  if (carry_out_pages(daemon, ha)) last_build_.reset();
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
  build_pages(daemon, ha, rows);
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

// --- The device pages, rename, the log tail ---------------------------------------------------

PageRoutes WebCompanion::page_routes() {
  PageRoutes pages;
  pages.device = [this](const std::string& uuid) { return device_page(uuid); };
  pages.rename = [this](const std::string& uuid, const std::string& name) {
    return queue_rename(uuid, name);
  };
  pages.log = [tail = log_tail_](int level) {
    return tail->json(static_cast<spdlog::level::level_enum>(level));
  };
  pages.ca_file = config_.web_ca_file();
  return pages;
}

std::optional<std::shared_ptr<const std::string>> WebCompanion::device_page(
    const std::string& uuid) {
  const std::string id = lower(uuid);
  std::shared_ptr<const std::string> page;
  {
    std::lock_guard lock(mutex_);
    if (known_.count(id) == 0) return std::nullopt;
    auto& watch = watches_[id];
    watch.asked = bridge::SteadyClock::now();
    page = watch.page;
    // The page asked longest ago stops being watched.
    while (watches_.size() > kMaxWatched) {
      watches_.erase(std::min_element(watches_.begin(), watches_.end(), [](auto& a, auto& b) {
        return a.second.asked < b.second.asked;
      }));
    }
  }
  if (!page) daemon_->wake();
  return page;
}

bool WebCompanion::queue_rename(const std::string& uuid, const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (known_.count(lower(uuid)) == 0 || renames_.size() >= kMaxQueued) return false;
    renames_.emplace_back(uuid, name);
  }
  daemon_->wake();
  return true;
}

bool WebCompanion::carry_out_pages(bridge::Daemon& daemon, bridge::HomeAssistant& ha) {
  std::deque<std::pair<std::string, std::string>> renames;
  std::vector<std::string> watched;
  bool waiting = false;
  {
    std::lock_guard lock(mutex_);
    renames.swap(renames_);
    const auto now = bridge::SteadyClock::now();
    std::erase_if(watches_, [now](const auto& w) { return now - w.second.asked > kWatchTime; });
    for (auto& [uuid, watch] : watches_) {
      watched.push_back(uuid);
      waiting = waiting || !watch.page;
    }
  }
  messages_.watch(watched);
  for (const auto& [uuid, name] : renames) {
    ha.rename(uuid, name);
    const auto saved = bridge::set_device_name(daemon.config().file, uuid, name);
    using Outcome = bridge::ConfigEditResult::Outcome;
    RenameNote note{name, saved.outcome == Outcome::Written, saved.message};
    if (saved.outcome == Outcome::Generated) {
      note.message = "renamed in Home Assistant until the add-on restarts: " + saved.message;
    } else if (saved.outcome == Outcome::Failed) {
      note.message = "renamed in Home Assistant for this run only; " + saved.message;
    }
    spdlog::info("{}: renamed on the web page ({})", uuid, note.message);
    renamed_[lower(uuid)] = std::move(note);
  }
  return waiting || !renames.empty();
}

void WebCompanion::build_pages(bridge::Daemon& daemon, const bridge::HomeAssistant& ha,
                               const std::vector<DeviceRow>& rows) {
  std::map<std::string, std::shared_ptr<const std::string>> pages;
  for (const auto& row : rows) {
    const std::string id = lower(row.uuid);
    if (!row.hub.empty() || !messages_.watched(id)) continue;
    const auto note = renamed_.find(id);
    pages[id] = std::make_shared<const std::string>(device_page_json(
        collect_device_page(daemon.registry(), ha, row, messages_,
                            note == renamed_.end() ? std::nullopt : std::optional(note->second))));
  }
  std::lock_guard lock(mutex_);
  for (auto& [uuid, page] : pages) {
    if (auto it = watches_.find(uuid); it != watches_.end()) it->second.page = std::move(page);
  }
}

std::unique_ptr<bridge::DaemonCompanion> make_web_companion(const bridge::Config& config) {
  return std::make_unique<WebCompanion>(config);
}

}  // namespace meross::web
