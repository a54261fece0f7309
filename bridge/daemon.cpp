#include "bridge/daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <random>

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include "bridge/home_assistant.hpp"
#include "bridge/logging.hpp"
#include "bridge/mqtt_link.hpp"
#include "bridge/registry.hpp"

namespace meross::bridge {
namespace {

int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

bool install_signal_pipe() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}

int poll_timeout_ms(std::optional<TimePoint> a, std::optional<TimePoint> b, TimePoint now) {
  auto next = now + std::chrono::seconds(1);
  if (a && *a < next) next = *a;
  if (b && *b < next) next = *b;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
}

}  // namespace

Now Now::current() {
  return Now{SteadyClock::now(), static_cast<std::int64_t>(std::time(nullptr))};
}

std::string host_timezone() {
  try {
    return std::string(date::current_zone()->name());
  } catch (const std::exception&) {
    return {};
  }
}

Daemon::Daemon(const Config& config, DaemonHooks hooks)
    : config_(config), hooks_(std::move(hooks)), topics_(Topics::from_config(config)) {
  RegistryOptions options;
  options.host_timezone = host_timezone();
  options.request_timeout = default_request_timeout(config.availability_timeout);
  if (config.timezone.empty()) {
    if (options.host_timezone.empty()) {
      spdlog::warn(
          "no [meross] timezone and the host's zone is unknown: device clocks are left "
          "alone unless a device has its own timezone");
    } else {
      spdlog::info("devices get the host's time zone {} unless configured otherwise",
                   options.host_timezone);
    }
  }
  // Forward to hooks_.sessions as it is when the event happens, so hooks can be set later.
  SessionEvents events;
  events.profile_learned = [this](const DeviceSession& s) {
    if (hooks_.sessions.profile_learned) hooks_.sessions.profile_learned(s);
  };
  events.device_message = [this](const DeviceSession& s, const protocol::Message& m) {
    if (hooks_.sessions.device_message) hooks_.sessions.device_message(s, m);
  };
  events.availability_changed = [this](const DeviceSession& s, bool online) {
    if (hooks_.sessions.availability_changed) hooks_.sessions.availability_changed(s, online);
  };
  registry_ = std::make_unique<DeviceRegistry>(config, topics_, options, std::move(events));

  LinkCallbacks callbacks;
  callbacks.connected = [this] { on_connected(); };
  callbacks.message = [this](std::string_view topic, std::string_view payload, bool retained) {
    on_message(topic, payload, retained);
  };
  link_ = std::make_unique<MqttLink>(LinkSettings::from_config(config, topics_.bridge_availability),
                                     std::move(callbacks));
}

Daemon::~Daemon() = default;

void Daemon::publish(const Publication& publication) {
  link_->publish(publication);
}

void Daemon::subscribe(const std::string& filter) {
  link_->subscribe(filter);
}

void Daemon::unsubscribe(const std::string& filter) {
  link_->unsubscribe(filter);
}

void Daemon::flush() {
  for (const auto& p : registry_->take_outgoing())
    link_->publish(p);
}

void Daemon::on_connected() {
  link_->subscribe(std::string(Topics::kDevicePublish));
  link_->subscribe(topics_.reply);
  for (const auto& topic : hooks_.subscriptions)
    link_->subscribe(topic);
  link_->publish(Publication{topics_.bridge_availability, "online", true, 1});
  registry_->announce_all();
  flush();
  if (hooks_.connected) hooks_.connected(*this);
}

void Daemon::on_message(std::string_view topic, std::string_view payload, bool retained) {
  // Nothing a message carries may stop the loop: the last line of defence for the unforeseen.
  try {
    const bool device_topic =
        topic == topics_.reply || (topic.starts_with("/appliance/") && topic.ends_with("/publish"));
    if (device_topic || !hooks_.message) {
      registry_->on_message(topic, payload, Now::current());
      flush();
    } else {
      hooks_.message(*this, topic, payload, retained);
      flush();
    }
  } catch (const std::exception& e) {
    spdlog::error("a message on {} could not be handled: {}", printable(topic, 128), e.what());
  }
}

int Daemon::run() {
  if (!install_signal_pipe()) {
    spdlog::critical("cannot create the signal pipe: {}", std::strerror(errno));
    return 1;
  }
  if (!link_->configure()) return 1;
  spdlog::info("meross-bridge {} started: {} configured devices, replies on {}", MEROSS_VERSION,
               config_.devices.size(), topics_.reply);
  while (true) {
    const Now now = Now::current();
    registry_->tick(now);
    link_->maintain(now.mono);
    if (hooks_.tick) hooks_.tick(*this, now);
    flush();

    std::array<pollfd, 2> fds{};
    fds[0] = pollfd{g_signal_pipe[0], POLLIN, 0};
    nfds_t count = 1;
    const int sock = link_->socket();
    if (sock >= 0) {
      fds[1] = pollfd{sock, static_cast<short>(POLLIN | (link_->wants_write() ? POLLOUT : 0)), 0};
      count = 2;
    }
    const int timeout = poll_timeout_ms(registry_->next_wakeup(), link_->next_wakeup(), now.mono);
    if (::poll(fds.data(), count, timeout) < 0 && errno != EINTR) {
      spdlog::critical("poll failed: {}", std::strerror(errno));
      return 1;
    }
    if (fds[0].revents & POLLIN) break;
    if (count == 2) {
      const auto mono = SteadyClock::now();
      if (fds[1].revents & POLLOUT) link_->on_writable(mono);
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) link_->on_readable(mono);
      flush();
    }
  }
  spdlog::info("stopping: publishing offline and disconnecting");
  link_->shutdown("offline", std::chrono::milliseconds(1000));
  spdlog::info("stopped");
  return 0;
}

namespace {

// HomeAssistantIo on the daemon.
class DaemonIo final : public HomeAssistantIo {
 public:
  explicit DaemonIo(Daemon& daemon) : daemon_(daemon) {}
  void publish(const Publication& publication) override { daemon_.publish(publication); }
  void subscribe(const std::string& filter) override { daemon_.subscribe(filter); }
  void unsubscribe(const std::string& filter) override { daemon_.unsubscribe(filter); }
  bool request(const std::string& uuid, protocol::Method method, const std::string& ns,
               const std::string& payload_json, Now now) override {
    return daemon_.registry().request(uuid, method, ns, payload_json, now).has_value();
  }
  void probe(const std::string& uuid, Now now) override { daemon_.registry().probe(uuid, now); }
  void announce_availability() override {
    daemon_.publish(Publication{daemon_.topics().bridge_availability, "online", true, 1});
    daemon_.registry().announce_all();
  }
  BridgeStats stats() const override {
    const auto& registry = daemon_.registry();
    const auto& c = registry.counters();
    return BridgeStats{
        registry.devices_online(), c.messages_handled, c.signature_failures, c.malformed, c.replays,
        c.unknown_namespaces,      c.ignored,          c.request_failures};
  }

 private:
  Daemon& daemon_;
};

}  // namespace

int run_daemon(const Config& config) {
  Daemon daemon(config);
  DaemonIo io(daemon);
  HomeAssistant ha(config, HomeAssistantSettings::from_config(config, std::random_device{}()), io);
  auto& hooks = daemon.hooks();
  hooks.subscriptions = ha.subscriptions();
  hooks.sessions.profile_learned = [&](const DeviceSession& s) {
    if (s.profile()) ha.on_profile(s.uuid(), *s.profile(), Now::current());
  };
  hooks.sessions.device_message = [&](const DeviceSession& s, const protocol::Message& m) {
    ha.on_device_message(s.uuid(), m, Now::current());
  };
  hooks.sessions.availability_changed = [&](const DeviceSession& s, bool online) {
    ha.on_availability(s.uuid(), online, Now::current());
  };
  hooks.message = [&](Daemon&, std::string_view topic, std::string_view payload, bool retained) {
    if (!ha.on_message(topic, payload, retained, Now::current())) {
      spdlog::debug("ignoring a message on {}", printable(topic, 128));
    }
  };
  hooks.connected = [&](Daemon&) { ha.on_connected(Now::current()); };
  hooks.tick = [&](Daemon&, Now now) { ha.tick(now); };
  return daemon.run();
}

}  // namespace meross::bridge
