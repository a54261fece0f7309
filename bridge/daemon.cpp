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

#include "bridge/cluster.hpp"
#include "bridge/home_assistant.hpp"
#include "bridge/logging.hpp"
#include "bridge/mqtt_link.hpp"
#include "bridge/registry.hpp"
#include "discovery/topics.hpp"

namespace meross::bridge {
namespace {

// After an outage, commands of unknown age are dropped until Home Assistant's birth message, at
// most this long: Home Assistant reconnects within about 10 s of its broker's return and sends
// what it queued before its birth message.
constexpr auto kCommandHold = std::chrono::seconds(30);

// The device topics are read at QoS 0. With a clean session QoS 1 saves nothing across a lost
// connection (what was under way is read again, Daemon::on_ha_connected), but mosquitto lets
// only max_inflight_messages (20) unacknowledged QoS 1 messages out to a client and queues the
// rest, up to max_queued_messages, dropping beyond: a burst of answers overflowed it while the
// bridge was busy. At QoS 0 the broker writes them straight to the socket, whose buffer (hundreds
// of kilobytes on loopback) takes the burst before its queue does.
constexpr int kDeviceTopicQos = 0;

// Publications waiting for the broker beyond the link's in-flight window: past this, requests
// waiting for the request window stay waiting (Daemon::flush). About a second of start-up
// publications at the broker's pace on a small machine, far below the link's own cap.
constexpr std::size_t kCongestedBacklogBytes = 512 * 1024;

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

int poll_timeout_ms(std::initializer_list<std::optional<TimePoint>> wakeups, TimePoint now) {
  auto next = now + std::chrono::seconds(1);
  for (const auto& w : wakeups) {
    if (w && *w < next) next = *w;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
}

}  // namespace

bool is_device_topic(std::string_view topic) {
  return topic.starts_with("/appliance/");
}

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
  // Made here, not in run(): another thread may wake() the loop before it starts.
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
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
  registry_ = std::make_unique<DeviceRegistry>(config, topics_, options);
  if (!config.cluster.instance.empty()) {
    ClusterSettings settings;
    settings.instance = config.cluster.instance;
    settings.base = config.base_topic;
    settings.max_devices = options.max_devices;
    cluster_ = std::make_unique<Cluster>(std::move(settings));
    for (const auto& device : config.devices)
      cluster_->add_device(device.uuid);
  }

  // Each link calls back into this daemon, its messages tagged with the side it serves.
  const auto callbacks = [this](Side side, void (Daemon::*connected)(), void (Daemon::*lost)()) {
    LinkCallbacks c;
    c.connected = [this, connected] { (this->*connected)(); };
    c.disconnected = [this, lost] { (this->*lost)(); };
    c.message = [this, side](std::string_view topic, std::string_view payload, bool retained) {
      on_message(side, topic, payload, retained);
    };
    return c;
  };
  ha_link_ = std::make_unique<MqttLink>(
      LinkSettings::from_config(config.mqtt, topics_.bridge_availability,
                                config.device_broker ? "Home Assistant's broker" : ""),
      callbacks(Side::HomeAssistant, &Daemon::on_ha_connected, &Daemon::on_ha_lost));
  if (config.device_broker) {
    // No last will: Home Assistant cannot see this broker, and a broker that confines its
    // clients may refuse a will on a topic outside /appliance/. Home Assistant learns of the
    // outage from the devices' availability instead (on_devices_lost).
    device_link_ = std::make_unique<MqttLink>(
        LinkSettings::from_config(*config.device_broker, "", "device broker"),
        callbacks(Side::Devices, &Daemon::on_devices_connected, &Daemon::on_devices_lost));
  }
}

Daemon::~Daemon() {
  for (const int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

void Daemon::wake() {
  const char byte = 1;
  // A full pipe means a wakeup is pending already.
  [[maybe_unused]] const auto n = ::write(wake_pipe_[1], &byte, 1);
}

MqttLink& Daemon::link_for(std::string_view topic) {
  return device_link_ && is_device_topic(topic) ? *device_link_ : *ha_link_;
}

void Daemon::publish(const Publication& publication) {
  registry_->outbox().items.push_back(publication);
}

void Daemon::subscribe(const std::string& filter) {
  link_for(filter).subscribe(filter);
}

void Daemon::unsubscribe(const std::string& filter) {
  link_for(filter).unsubscribe(filter);
}

// The one way out: what the sessions, Home Assistant's side and the daemon itself publish waits
// in one outbox, in the order it was produced, until the event that produced it is over.
void Daemon::flush() {
  registry_->release_waiting(Now::current());
  for (const auto& p : registry_->take_outgoing()) {
    if (hooks_.tap && is_device_topic(p.topic)) hooks_.tap(true, p.topic, p.payload);
    link_for(p.topic).publish(p);
  }
  // Back-pressure: while the broker acknowledges slower than we publish, no waiting request is
  // sent (each answer brings more to publish); commands still go.
  const std::size_t backlog =
      ha_link_->backlog_bytes() + (device_link_ ? device_link_->backlog_bytes() : 0);
  registry_->set_congested(backlog > kCongestedBacklogBytes);
}

std::uint64_t Daemon::dropped_publications() const {
  return ha_link_->dropped() + (device_link_ ? device_link_->dropped() : 0);
}

void Daemon::on_ha_lost() {
  if (!ha_lost_at_) ha_lost_at_ = SteadyClock::now();
  if (cluster_) {
    // Our last will tells the others: they take our devices now.
    cluster_->disconnected(Now::current());
    apply_cluster(Now::current());
  }
}

bool Daemon::owns(std::string_view uuid) const {
  return !cluster_ || cluster_->owns(uuid);
}

void Daemon::apply_cluster(Now now) {
  const auto lost = cluster_->take_lost();
  for (const auto& uuid : lost)
    registry_->release(uuid);
  if (!lost.empty())
    spdlog::info("cluster: {} devices handed over to other instances", lost.size());
  // Gained devices come due a few at a time over the takeover spread: no line per batch.
  const auto gained = cluster_->due_probes(now);
  for (const auto& uuid : gained)
    registry_->probe(uuid, now);
  if (!gained.empty()) spdlog::debug("cluster: {} gained devices asked to answer", gained.size());
}

bool Daemon::cluster_filter(bool device_topic, std::string_view topic, std::string_view payload,
                            Now now) {
  if (!device_topic) {
    const auto before = cluster_->members();
    if (cluster_->on_message(topic, payload, now)) {
      if (cluster_->members() != before) {
        std::string live;
        for (const auto& member : cluster_->members())
          live += (live.empty() ? "" : ", ") + member;
        spdlog::info("cluster: live instances {}; devices gained are served once this view holds",
                     live);
      }
      apply_cluster(now);
      return true;
    }
  }
  std::string_view uuid;
  if (device_topic) {
    // /appliance/<uuid>/…: the uuid, unparsed payload and all.
    uuid = topic.substr(std::string_view("/appliance/").size());
    uuid = uuid.substr(0, uuid.find('/'));
  } else if (topic.ends_with("/set")) {
    // Only the owner executes a command, so it is executed once.
    const auto target = discovery::parse_command_topic(config_.base_topic, topic);
    if (target.uuid.empty() || cluster_->owns(target.uuid)) return false;
    ++not_owned_;
    return true;
  }
  if (uuid.empty() || cluster_->owns(uuid)) return false;
  ++not_owned_;
  return true;
}

// After any outage of the link that carries the devices' topics, subscribing comes first, and
// then every device is read again (DeviceRegistry::resync_all): whatever a device said while the
// bridge was away went to nobody, and firmware says nothing again by itself (a device that
// reconnected before the bridge sent its Bind then, and waits for the answer). The alternative, a
// persistent session (clean_session false, a stable client id) on a broker with persistence,
// keeps the subscription and queues those messages, but only for a broker that stopped cleanly
// or saved its database shortly before a crash, and it would queue Home Assistant's commands as
// well and deliver them late. So the session stays clean (MqttLink) and the bridge asks.
void Daemon::on_ha_connected() {
  if (ha_lost_at_) {
    const auto now = SteadyClock::now();
    last_outage_ = std::chrono::duration_cast<Duration>(now - *ha_lost_at_);
    ha_lost_at_.reset();
    ha_back_at_ = now;
    if (last_outage_ > config_.command_max_age) {
      // Clients (Home Assistant among them) keep what they publish while their broker is away
      // and send it when they are back: a command given a while ago may arrive now. Its age is
      // unknown, so it is not executed.
      hold_commands_ = now + kCommandHold;
      spdlog::info(
          "commands arriving before Home Assistant says it is online (at most {}) are dropped: "
          "after an outage of {} they may be older than command_max_age ({})",
          format_duration(kCommandHold), format_duration(last_outage_),
          format_duration(config_.command_max_age));
    }
  }
  if (cluster_) {
    // Before "online": every member's retained word and the fleet's availability come first.
    for (const auto& topic : cluster_->subscriptions())
      ha_link_->subscribe(topic);
    cluster_->connected(Now::current());
    apply_cluster(Now::current());
  }
  if (!device_link_) ha_link_->subscribe(std::string(Topics::kDevicePublish), kDeviceTopicQos);
  for (const auto& topic : hooks_.subscriptions)
    ha_link_->subscribe(topic);
  publish(Publication{topics_.bridge_availability, "online", true, 1});
  registry_->announce_all();
  if (!device_link_) {
    registry_->link_back(Now::current());
    registry_->resync_all(Now::current());
  }
  if (hooks_.connected) hooks_.connected(*this);
  flush();
}

void Daemon::on_devices_connected() {
  device_link_->subscribe(std::string(Topics::kDevicePublish), kDeviceTopicQos);
  registry_->link_back(Now::current());
  // Every device, not only those made unreachable (devices_reachable): a device may have come
  // back, changed or sent its Bind while no one listened.
  registry_->resync_all(Now::current());
  flush();
}

void Daemon::on_devices_lost() {
  // With one broker its loss takes Home Assistant's view away too (the bridge's last will says
  // offline for everything); here Home Assistant is still listening and must be told.
  registry_->devices_unreachable();
  flush();
}

void Daemon::on_message(Side side, std::string_view topic, std::string_view payload,
                        bool retained) {
  // Nothing a message carries may stop the loop: the last line of defence for the unforeseen.
  try {
    const bool device_topic = is_device_topic(topic);
    // With two brokers each is believed only about its own side: nothing on Home Assistant's
    // broker speaks for a device (we never subscribe there, but a retained leftover could come).
    if (device_link_ && device_topic != (side == Side::Devices)) {
      spdlog::debug("ignoring a message on {} from the other broker", printable(topic, 128));
      return;
    }
    if (cluster_ && cluster_filter(device_topic, topic, payload, Now::current())) {
      flush();
      return;
    }
    if (device_topic || !hooks_.message) {
      if (hooks_.tap && device_topic) hooks_.tap(false, topic, payload);
      registry_->on_message(topic, payload, Now::current());
    } else if (!late_command(topic, payload, Now::current())) {
      hooks_.message(*this, topic, payload, retained);
    }
    flush();
  } catch (const std::exception& e) {
    spdlog::error("a message on {} could not be handled: {}", printable(topic, 128), e.what());
  }
}

bool Daemon::late_command(std::string_view topic, std::string_view payload, Now now) {
  if (!hold_commands_) return false;
  if (now.mono >= *hold_commands_) {
    hold_commands_.reset();
    return false;
  }
  if (topic == config_.discovery_prefix + "/status" && payload == "online") {
    // Home Assistant sends what it queued before its birth message: what follows is fresh.
    hold_commands_.reset();
    spdlog::info("home assistant is online again: commands are executed again");
    return false;
  }
  if (payload.empty() || discovery::parse_command_topic(config_.base_topic, topic).uuid.empty()) {
    return false;
  }
  ++late_commands_;
  registry_->log_limited(spdlog::level::warn, "late-command:" + std::string(topic), now, [&] {
    return "command " + printable(payload, 64) + " on " + printable(topic, 128) +
           " dropped: it came " +
           format_duration(std::chrono::duration_cast<Duration>(now.mono - ha_back_at_)) +
           " after the link to Home Assistant's broker returned from an outage of " +
           format_duration(last_outage_) +
           " and may have waited that long in a queue; commands older than command_max_age (" +
           format_duration(config_.command_max_age) + ") are never executed. Send it again (" +
           std::to_string(late_commands_) + " dropped so far)";
  });
  return true;
}

int Daemon::run() {
  if (!install_signal_pipe() || wake_pipe_[0] < 0) {
    spdlog::critical("cannot create the signal pipe: {}", std::strerror(errno));
    return 1;
  }
  if (!ha_link_->configure()) return 1;
  if (device_link_ && !device_link_->configure()) return 1;
  if (device_link_) {
    spdlog::info(
        "meross-bridge {} started: {} configured devices; devices on {}, Home Assistant on {}",
        MEROSS_VERSION, config_.devices.size(), to_string(config_.device_broker->broker),
        to_string(config_.mqtt.broker));
  } else {
    spdlog::info("meross-bridge {} started: {} configured devices", MEROSS_VERSION,
                 config_.devices.size());
  }
  std::array<MqttLink*, 2> links{ha_link_.get(), device_link_.get()};
  while (true) {
    const Now now = Now::current();
    registry_->tick(now);
    if (cluster_) {
      cluster_->tick(now);
      apply_cluster(now);
    }
    for (MqttLink* link : links) {
      if (link) link->maintain(now.mono);
    }
    if (hooks_.tick) hooks_.tick(*this, now);
    flush();

    std::array<pollfd, 4> fds{};
    std::array<MqttLink*, 4> owners{};
    fds[0] = pollfd{g_signal_pipe[0], POLLIN, 0};
    fds[1] = pollfd{wake_pipe_[0], POLLIN, 0};
    nfds_t count = 2;
    for (MqttLink* link : links) {
      const int sock = link ? link->socket() : -1;
      if (sock < 0) continue;
      fds[count] =
          pollfd{sock, static_cast<short>(POLLIN | (link->wants_write() ? POLLOUT : 0)), 0};
      owners[count] = link;
      ++count;
    }
    const int timeout = poll_timeout_ms({registry_->next_wakeup(), ha_link_->next_wakeup(),
                                         device_link_ ? device_link_->next_wakeup() : std::nullopt,
                                         cluster_ ? cluster_->next_wakeup() : std::nullopt},
                                        now.mono);
    if (::poll(fds.data(), count, timeout) < 0 && errno != EINTR) {
      spdlog::critical("poll failed: {}", std::strerror(errno));
      return 1;
    }
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      std::array<char, 64> drain{};
      while (::read(wake_pipe_[0], drain.data(), drain.size()) > 0) {
      }
    }
    for (nfds_t i = 2; i < count; ++i) {
      MqttLink& link = *owners[i];
      // Handling one link may have closed or replaced the other's socket (a failed write).
      if (link.socket() != fds[i].fd) continue;
      const auto mono = SteadyClock::now();
      if (fds[i].revents & POLLOUT) link.on_writable(mono);
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) link.on_readable(mono);
      flush();
    }
  }
  spdlog::info("stopping: publishing offline and disconnecting");
  if (device_link_) device_link_->shutdown("", std::chrono::milliseconds(1000));
  ha_link_->shutdown("offline", std::chrono::milliseconds(1000));
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
  void probe(const std::string& uuid, Now now) override {
    if (daemon_.owns(uuid)) daemon_.registry().probe(uuid, now);
  }
  void announce_availability() override {
    daemon_.publish(Publication{daemon_.topics().bridge_availability, "online", true, 1});
    daemon_.registry().announce_all();
  }
  BridgeStats stats() const override {
    const auto& registry = daemon_.registry();
    const auto& c = registry.counters();
    // Stale messages are, most likely, replays of old ones; messages naming another device than
    // their topic are ignored. Both have counters of their own too (Counters).
    return BridgeStats{registry.devices_online(),  c.messages_handled,
                       c.signature_failures,       c.malformed,
                       c.replays + c.stale,        c.unknown_namespaces,
                       c.ignored + c.misaddressed, c.request_failures,
                       daemon_.late_commands(),    c.admissions_refused,
                       daemon_.not_owned(),        daemon_.dropped_publications()};
  }

 private:
  Daemon& daemon_;
};

}  // namespace

int run_daemon(const Config& config, DaemonCompanion* companion) {
  Daemon daemon(config);
  DaemonIo io(daemon);
  HomeAssistant ha(config, HomeAssistantSettings::from_config(config, std::random_device{}()), io);
  daemon.registry().set_listener(&ha);
  auto& hooks = daemon.hooks();
  hooks.subscriptions = ha.subscriptions();
  hooks.message = [&](Daemon&, std::string_view topic, std::string_view payload, bool retained) {
    if (!ha.on_message(topic, payload, retained, Now::current())) {
      spdlog::debug("ignoring a message on {}", printable(topic, 128));
    }
  };
  hooks.connected = [&](Daemon&) { ha.on_connected(Now::current()); };
  hooks.tick = [&](Daemon& d, Now now) {
    ha.tick(now);
    if (companion) companion->tick(d, ha, now);
  };
  if (companion && !companion->start(daemon, ha)) return 1;
  const int code = daemon.run();
  if (companion) companion->stop();
  return code;
}

}  // namespace meross::bridge
