#include "simulator/fleet.hpp"

#include <mosquitto.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <spdlog/spdlog.h>

namespace meross::sim {
namespace {

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t mono_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

constexpr std::uint64_t kControlTag = ~0ull;
constexpr std::uint64_t kSignalTag = ~0ull - 1;
constexpr std::uint64_t kHttpTag = ~0ull - 2;
// Without --cafile, TLS links trust the system's CAs.
constexpr const char* kSystemCaPath = "/etc/ssl/certs";
constexpr std::int64_t kTickMs = 200;
constexpr std::int64_t kMiscMs = 1000;
constexpr std::size_t kConnectsPerRound = 64;

std::string random_suffix(std::mt19937_64& rng) {
  static constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(16, 'x');
  for (char& c : out)
    c = kChars[rng() % kChars.size()];
  return out;
}

}  // namespace

struct Fleet::Connection {
  Fleet* fleet = nullptr;
  std::unique_ptr<Device> device;
  mosquitto* mosq = nullptr;
  int fd = -1;
  std::uint32_t events = 0;
  std::size_t index = 0;
  BrokerAddress broker;  // where it connects now
  // --broker, or the host and secondHost of the last Config.Key: an attempt that fails before
  // the session is up moves on to the next, as firmware falls back to its second broker.
  std::vector<BrokerAddress> brokers;
  std::size_t broker_index = 0;
  enum class State { Idle, Connecting, Connected, Ready } state = State::Idle;
  std::int64_t retry_at_ms = 0;  // monotonic
  std::int64_t backoff_ms = 1000;
  bool initialised = false;  // mosquitto_connect done once; later attempts reconnect
};

Fleet::Fleet(std::vector<std::unique_ptr<Device>> devices, FleetOptions options,
             std::function<void(const std::string&)> emit)
    : options_(std::move(options)), emit_(std::move(emit)) {
  mosquitto_lib_init();
  for (auto& device : devices) {
    auto c = std::make_unique<Connection>();
    c->fleet = this;
    c->index = connections_.size();
    c->broker = options_.broker;
    c->brokers = {options_.broker};
    c->device = std::move(device);
    connections_.push_back(std::move(c));
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kSignalTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd_, &ev);
  if (options_.http_base_port >= 0) {
    std::vector<int> ports;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      ports.push_back(options_.http_base_port == 0 ? 0
                                                   : options_.http_base_port + static_cast<int>(i));
    }
    http_ = std::make_unique<HttpServer>(ports);
    ev.data.u64 = kHttpTag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, http_->wake_fd(), &ev);
  }
  if (options_.control_fd >= 0) {
    ev.data.u64 = kControlTag;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, options_.control_fd, &ev) != 0) {
      options_.control_fd = -1;  // e.g. /dev/null cannot be polled: no control channel
    }
  }
}

Fleet::~Fleet() {
  http_.reset();  // its thread first: nothing may queue requests for devices being destroyed
  for (auto& c : connections_) {
    if (c->mosq) mosquitto_destroy(c->mosq);
  }
  if (signal_fd_ >= 0) ::close(signal_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  mosquitto_lib_cleanup();
}

// --- connections ------------------------------------------------------------------------------

void Fleet::connect(Connection& c, std::int64_t now_ms) {
  static std::mt19937_64 rng{std::random_device{}()};
  Device& d = *c.device;
  if (!c.mosq) {
    const std::string client_id = "fmware:" + d.uuid() + "_" + random_suffix(rng);
    c.mosq = mosquitto_new(client_id.c_str(), true, &c);
    if (!c.mosq) throw std::runtime_error("mosquitto_new failed");
    mosquitto_int_option(c.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V31);
    // Without it every small reply waits for a delayed ACK (~40 ms): the latency we measure
    // through the simulator would be the kernel's, not the bridge's.
    mosquitto_int_option(c.mosq, MOSQ_OPT_TCP_NODELAY, 1);
    const std::string password = d.mqtt_password();
    mosquitto_username_pw_set(c.mosq, d.mac().c_str(), password.c_str());
    mosquitto_connect_callback_set(c.mosq, &Fleet::on_connect);
    mosquitto_disconnect_callback_set(c.mosq, &Fleet::on_disconnect);
    mosquitto_subscribe_callback_set(c.mosq, &Fleet::on_subscribe);
    mosquitto_message_callback_set(c.mosq, &Fleet::on_message);
    if (c.broker.tls) {
      const char* cafile = options_.cafile.empty() ? nullptr : options_.cafile.c_str();
      const int tls = mosquitto_tls_set(c.mosq, cafile, cafile ? nullptr : kSystemCaPath, nullptr,
                                        nullptr, nullptr);
      if (tls != MOSQ_ERR_SUCCESS) {
        throw std::runtime_error(std::string("TLS setup failed: ") + mosquitto_strerror(tls));
      }
    }
  }
  const int rc = c.initialised ? mosquitto_reconnect(c.mosq)
                               : mosquitto_connect(c.mosq, c.broker.host.c_str(), c.broker.port,
                                                   options_.keepalive_s);
  c.initialised = true;
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::debug("{}: connect failed: {}", d.uuid(), mosquitto_strerror(rc));
    next_broker(c);
    c.retry_at_ms = now_ms + c.backoff_ms;
    c.backoff_ms = std::min<std::int64_t>(c.backoff_ms * 2, 10000);
    return;
  }
  c.state = Connection::State::Connecting;
  c.fd = mosquitto_socket(c.mosq);
  c.events = 0;
  if (c.fd >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.index;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
    c.events = EPOLLIN;
  }
  sync(c, now_ms);
}

void Fleet::next_broker(Connection& c) {
  if (c.brokers.size() < 2) return;
  c.broker_index = (c.broker_index + 1) % c.brokers.size();
  c.broker = c.brokers[c.broker_index];
  c.initialised = false;  // mosquitto_connect to the other host, not a reconnect
  spdlog::info("{}: trying {}:{}", c.device->uuid(), c.broker.host, c.broker.port);
}

void Fleet::lost(Connection& c, std::int64_t now_ms, const char* why) {
  if (c.state == Connection::State::Idle) return;
  spdlog::debug("{}: connection lost ({})", c.device->uuid(), why);
  if (c.state != Connection::State::Ready) next_broker(c);
  if (c.fd >= 0 && mosquitto_socket(c.mosq) == c.fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  }
  c.fd = -1;
  c.events = 0;
  if (c.state == Connection::State::Ready) --ready_count_;
  if (c.device->bound()) --bound_count_;
  c.state = Connection::State::Idle;
  c.device->disconnect();
  c.retry_at_ms = now_ms + c.backoff_ms;
  c.backoff_ms = std::min<std::int64_t>(c.backoff_ms * 2, 10000);
}

// Keeps the epoll registration in line with libmosquitto: notices a closed socket, and asks for
// writability while output is queued.
void Fleet::sync(Connection& c, std::int64_t now_ms) {
  if (c.state == Connection::State::Idle) return;
  const int fd = mosquitto_socket(c.mosq);
  if (fd < 0 || fd != c.fd) {
    if (c.fd >= 0 && fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
    c.fd = -1;  // a closed fd left epoll by itself
    lost(c, now_ms, "socket closed");
    return;
  }
  const std::uint32_t wanted = EPOLLIN | (mosquitto_want_write(c.mosq) ? EPOLLOUT : 0u);
  if (wanted != c.events) {
    epoll_event ev{};
    ev.events = wanted;
    ev.data.u64 = c.index;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = wanted;
  }
}

bool Fleet::publish_one(Connection& c, const Outgoing& m) {
  const int rc = mosquitto_publish(c.mosq, nullptr, m.topic.c_str(),
                                   static_cast<int>(m.payload.size()), m.payload.data(), 1, false);
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::debug("{}: publish failed: {}", c.device->uuid(), mosquitto_strerror(rc));
    return false;
  }
  return true;
}

void Fleet::publish(Connection& c, const std::vector<Outgoing>& messages) {
  if (c.state != Connection::State::Ready) return;
  for (const auto& m : messages)
    publish_one(c, m);
}

// A Config.Key SET was accepted: leave the current broker and log in to the new one over TLS, as
// a new client (fresh client id, the new key's password), then bind again.
void Fleet::move(Connection& c, const Gateway& gateway, std::int64_t now_ms) {
  if (c.mosq) {
    if (c.state != Connection::State::Idle) {
      mosquitto_disconnect(c.mosq);
      mosquitto_loop_write(c.mosq, 1);  // best effort: the DISCONNECT before the socket closes
      lost(c, now_ms, "moving to another broker");
    }
    mosquitto_destroy(c.mosq);
    c.mosq = nullptr;
  }
  c.initialised = false;
  c.brokers = {BrokerAddress{gateway.host, gateway.port, true}};
  if (gateway.second_host != gateway.host || gateway.second_port != gateway.port) {
    c.brokers.push_back(BrokerAddress{gateway.second_host, gateway.second_port, true});
  }
  c.broker_index = 0;
  c.broker = c.brokers[0];
  c.retry_at_ms = now_ms;
  c.backoff_ms = 1000;
  spdlog::info("{}: moving to {}:{} (TLS)", c.device->uuid(), gateway.host, gateway.port);
  emit_("device " + c.device->uuid() + " moved to " + gateway.host + ":" +
        std::to_string(gateway.port));
}

void Fleet::handle_http(std::int64_t now_ms) {
  for (auto& request : http_->take()) {
    if (request.device >= connections_.size()) {
      request.respond(std::nullopt);
      continue;
    }
    Connection& c = *connections_[request.device];
    HttpReaction r = c.device->http_request(request.body, wall_ms());
    if (!r.problem.empty()) spdlog::debug("{}: HTTP: {}", c.device->uuid(), r.problem);
    if (!r.warning.empty()) spdlog::warn("{}: HTTP: {}", c.device->uuid(), r.warning);
    request.respond(std::move(r.body));
    if (!r.messages.empty() && c.state == Connection::State::Ready) {
      publish(c, r.messages);
      sync(c, now_ms);
    }
  }
}

int Fleet::http_port(std::size_t index) const {
  return http_ ? http_->port(index) : -1;
}

// --- libmosquitto callbacks (run inside mosquitto_loop_read on our thread) -----------------------

void Fleet::on_connect(mosquitto* mosq, void* self, int rc) {
  auto& c = *static_cast<Connection*>(self);
  if (rc != 0) {
    spdlog::warn("{}: broker refused the connection: {}", c.device->uuid(),
                 mosquitto_connack_string(rc));
    return;  // the broker closes the socket; sync() notices
  }
  c.state = Connection::State::Connected;
  c.backoff_ms = 1000;
  c.fleet->emit_("connected " + c.device->uuid());
  mosquitto_subscribe(mosq, nullptr, c.device->subscribe_topic().c_str(), 1);
}

void Fleet::on_disconnect(mosquitto*, void* self, int) {
  auto& c = *static_cast<Connection*>(self);
  c.fleet->lost(c, mono_ms(), "disconnected");
}

void Fleet::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto& c = *static_cast<Connection*>(self);
  if (c.state != Connection::State::Connected) return;
  Fleet& f = *c.fleet;
  c.state = Connection::State::Ready;
  ++f.ready_count_;
  f.publish(c, c.device->connect(wall_ms()));
  if (!f.ready_emitted_ && f.ready_count_ == f.connections_.size()) {
    f.ready_emitted_ = true;
    f.emit_("ready");
  }
}

void Fleet::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto& c = *static_cast<Connection*>(self);
  if (c.state != Connection::State::Ready || !message->topic) return;
  if (c.device->subscribe_topic() != message->topic) return;
  const std::string_view payload(
      static_cast<const char*>(message->payload),
      message->payload ? static_cast<std::size_t>(message->payloadlen) : 0);
  Reaction r = c.device->receive(payload, wall_ms());
  if (!r.problem.empty()) spdlog::debug("{}: {}", c.device->uuid(), r.problem);
  if (!r.warning.empty()) spdlog::warn("{}: {}", c.device->uuid(), r.warning);
  c.fleet->publish(c, r.messages);
  if (r.became_bound) {
    ++c.fleet->bound_count_;
    c.fleet->emit_("bound " + c.device->uuid());
  }
}

// --- control -------------------------------------------------------------------------------

void Fleet::handle_control(std::int64_t now_ms) {
  std::array<char, 4096> buffer{};
  // One read per readiness event: the fd may be blocking (level-triggered epoll calls again).
  const ssize_t n = ::read(options_.control_fd, buffer.data(), buffer.size());
  if (n > 0) {
    control_buffer_.append(buffer.data(), static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    // EOF: keep running without a control channel.
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, options_.control_fd, nullptr);
    options_.control_fd = -1;
  }
  if (control_buffer_.size() > 65536 && control_buffer_.find('\n') == std::string::npos) {
    spdlog::warn("control input: a line of more than 64 KiB, dropped");
    control_buffer_.clear();
    return;
  }
  std::size_t newline;
  while ((newline = control_buffer_.find('\n')) != std::string::npos) {
    std::string line = control_buffer_.substr(0, newline);
    control_buffer_.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    control_line(line, now_ms);
    if (stop_) return;
  }
}

void Fleet::control_line(const std::string& line, std::int64_t now_ms) {
  std::istringstream in(line);
  std::string command, uuid;
  in >> command >> uuid;
  if (command.empty()) return;
  if (command == "quit") {
    stop_ = true;
    return;
  }
  Connection* target = nullptr;
  for (auto& c : connections_) {
    if (c->device->uuid() == uuid) target = c.get();
  }
  static const std::set<std::string, std::less<>> kDeviceCommands = {
      "press", "state", "subdevice", "room", "window", "door", "smoke", "presence", "lux"};
  if (!kDeviceCommands.count(command)) {
    spdlog::warn(
        "unknown command '{}' (press, state, subdevice, room, window, door, smoke, quit: see "
        "simulator/README.md)",
        command);
    return;
  }
  if (!target) {
    spdlog::warn("{}: no device with uuid '{}'", command, uuid);
    return;
  }
  if (command == "state") {
    emit_("state " + uuid + " " + target->device->state_json(wall_ms()));
    return;
  }
  if (command != "press") {
    std::vector<std::string> words{command};
    for (std::string word; in >> word;)
      words.push_back(word);
    CommandResult result = target->device->command(words, wall_ms());
    if (!result.error.empty()) spdlog::warn("{} {}: {}", command, uuid, result.error);
    publish(*target, result.messages);
    sync(*target, now_ms);
    return;
  }
  std::optional<int> channel;
  int value = 0;
  if (in >> value) channel = value;
  auto pushes = target->device->press(channel, wall_ms());
  if (!pushes) {
    spdlog::warn("press: {} has no channel {}", uuid, channel.value_or(0));
    return;
  }
  publish(*target, *pushes);
  sync(*target, now_ms);
}

// --- load mode -----------------------------------------------------------------------------

void Fleet::load_step(std::int64_t now_ms) {
  if (load_done_ || options_.load_rate <= 0) return;
  if (!load_started_) {
    if (bound_count_ < connections_.size()) return;
    load_started_ = true;
    load_start_ms_ = now_ms;
    spdlog::info("load: every device bound; {} PUSH/s for {} ms", options_.load_rate,
                 options_.load_duration_ms);
  }
  const std::int64_t end_ms = load_start_ms_ + options_.load_duration_ms;
  const std::int64_t until = std::min(now_ms, end_ms);
  const auto due = static_cast<std::uint64_t>(
      std::floor(options_.load_rate * static_cast<double>(until - load_start_ms_) / 1000.0));
  const std::int64_t wall = wall_ms();
  std::size_t misses = 0;
  while (load_sent_ < due && misses < connections_.size()) {
    Connection& c = *connections_[load_cursor_];
    load_cursor_ = (load_cursor_ + 1) % connections_.size();
    if (c.state != Connection::State::Ready || !c.device->bound()) {
      ++misses;
      continue;
    }
    misses = 0;
    if (publish_one(c, c.device->load_push(wall))) ++load_sent_;
    sync(c, now_ms);
  }
  if (now_ms >= end_ms) {
    load_done_ = true;
    const double seconds = static_cast<double>(end_ms - load_start_ms_) / 1000.0;
    char line[128];
    std::snprintf(line, sizeof line, "load sent=%llu seconds=%.3f rate=%.1f",
                  static_cast<unsigned long long>(load_sent_), seconds,
                  seconds > 0 ? static_cast<double>(load_sent_) / seconds : 0.0);
    emit_(line);
    stop_ = true;
  }
}

// --- the loop ------------------------------------------------------------------------------

void Fleet::shutdown() {
  const std::int64_t deadline = mono_ms() + 1000;
  for (auto& c : connections_) {
    if (c->state != Connection::State::Idle) mosquitto_disconnect(c->mosq);
  }
  // Let queued output (the DISCONNECTs, the last PUSHes) drain, briefly.
  bool pending = true;
  while (pending && mono_ms() < deadline) {
    pending = false;
    for (auto& c : connections_) {
      if (c->mosq && mosquitto_socket(c->mosq) >= 0 && mosquitto_want_write(c->mosq)) {
        mosquitto_loop_write(c->mosq, 100);
        pending = pending || mosquitto_want_write(c->mosq);
      }
    }
  }
}

int Fleet::run() {
  std::vector<epoll_event> events(1024);
  std::int64_t last_tick = 0;
  std::int64_t last_misc = 0;
  while (!stop_) {
    std::int64_t now = mono_ms();
    // Connect (or reconnect) a bounded number of devices per round, so the loop stays live.
    std::size_t started = 0;
    for (auto& c : connections_) {
      if (started >= kConnectsPerRound) break;
      if (c->state == Connection::State::Idle && now >= c->retry_at_ms) {
        connect(*c, now);
        ++started;
      }
    }
    const bool loading = options_.load_rate > 0 && load_started_ && !load_done_;
    const int timeout = started > 0 ? 0 : loading ? 1 : 50;
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
    now = mono_ms();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      if (tag == kSignalTag) {
        signalfd_siginfo info{};
        while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
        }
        spdlog::info("signal received: disconnecting");
        stop_ = true;
        continue;
      }
      if (tag == kControlTag) {
        handle_control(now);
        continue;
      }
      if (tag == kHttpTag) {
        handle_http(now);
        continue;
      }
      if (tag >= connections_.size()) continue;
      Connection& c = *connections_[tag];
      if (c.state == Connection::State::Idle) continue;
      if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        const int rc = mosquitto_loop_read(c.mosq, 16);
        if (rc != MOSQ_ERR_SUCCESS) {
          lost(c, now, mosquitto_strerror(rc));
          continue;
        }
      }
      if (c.state != Connection::State::Idle && mosquitto_want_write(c.mosq)) {
        const int rc = mosquitto_loop_write(c.mosq, 16);
        if (rc != MOSQ_ERR_SUCCESS) {
          lost(c, now, mosquitto_strerror(rc));
          continue;
        }
      }
      sync(c, now);
    }
    if (stop_) break;
    if (now - last_tick >= kTickMs) {
      last_tick = now;
      const std::int64_t wall = wall_ms();
      for (auto& c : connections_) {
        auto out = c->device->tick(wall);
        if (!out.empty() && c->state == Connection::State::Ready) {
          publish(*c, out);
          sync(*c, now);
        }
        if (auto gateway = c->device->take_move(wall)) move(*c, *gateway, now);
      }
    }
    if (now - last_misc >= kMiscMs) {
      last_misc = now;
      for (auto& c : connections_) {
        if (c->state == Connection::State::Idle) continue;
        if (mosquitto_loop_misc(c->mosq) != MOSQ_ERR_SUCCESS) {
          lost(*c, now, "keepalive");
          continue;
        }
        sync(*c, now);
      }
    }
    load_step(now);
  }
  shutdown();
  return 0;
}

}  // namespace meross::sim
