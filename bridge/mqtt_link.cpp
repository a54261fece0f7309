#include "bridge/mqtt_link.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <mosquitto.h>
#include <spdlog/spdlog.h>

namespace meross::bridge {
namespace {

int seconds_of(Duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

constexpr const char* kSystemCaPath = "/etc/ssl/certs";

const char* or_null(const std::string& text) {
  return text.empty() ? nullptr : text.c_str();
}

}  // namespace

MosquittoLibrary::MosquittoLibrary() {
  mosquitto_lib_init();
}
MosquittoLibrary::~MosquittoLibrary() {
  mosquitto_lib_cleanup();
}

LinkSettings LinkSettings::from_config(const MqttConfig& c, std::string will_topic,
                                       std::string name) {
  LinkSettings s;
  static_cast<MqttConfig&>(s) = c;
  s.will_topic = std::move(will_topic);
  s.name = std::move(name);
  return s;
}

MqttLink::MqttLink(LinkSettings settings, LinkCallbacks callbacks)
    : settings_(std::move(settings)),
      callbacks_(std::move(callbacks)),
      backoff_(settings_.min_backoff) {
  static MosquittoLibrary library;  // once per process, before the first client
  // A clean session: the broker keeps nothing for us while we are away, so nothing (a command
  // among it) arrives late; what we missed is read again after reconnecting (Daemon).
  mosq_ = mosquitto_new(settings_.client_id.c_str(), true, this);
}

MqttLink::~MqttLink() {
  if (mosq_) mosquitto_destroy(mosq_);
}

bool MqttLink::configure() {
  if (!mosq_) {
    spdlog::error("mqtt: cannot create the client");
    return false;
  }
  if (!apply_settings()) return false;
  if (settings_.broker.tls && settings_.insecure) {
    spdlog::warn("mqtt: insecure = true, the broker's certificate is not checked");
  }
  next_attempt_ = TimePoint{};  // connect on the first maintain()
  return true;
}

bool MqttLink::apply_settings() {
  mosquitto_connect_callback_set(mosq_, &MqttLink::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttLink::on_disconnect);
  mosquitto_message_callback_set(mosq_, &MqttLink::on_message);
  mosquitto_publish_callback_set(mosq_, &MqttLink::on_publish);
  // SUBACK and UNSUBACK: only counted, as packets read (on_readable).
  mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
    ++static_cast<MqttLink*>(self)->packets_heard_;
  });
  mosquitto_unsubscribe_callback_set(
      mosq_, [](mosquitto*, void* self, int) { ++static_cast<MqttLink*>(self)->packets_heard_; });
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // Our packets are small and answer each other (PUBACK, then the state): with Nagle's algorithm
  // each one waits for the broker's delayed ACK, about 40 ms a hop.
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  // libmosquitto keeps QoS 1 messages beyond its in-flight window (20 by default) in a list it
  // walks on every PUBACK: thousands of devices announcing themselves made that quadratic. The
  // broker acknowledges as fast as we send, so the window may as well be as wide as MQTT allows.
  mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, 65535);
  if (!settings_.username.empty() || !settings_.password.empty()) {
    const int rc =
        mosquitto_username_pw_set(mosq_, settings_.username.c_str(), or_null(settings_.password));
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::error("mqtt: cannot set the username: {}", mosquitto_strerror(rc));
      return false;
    }
  }
  if (settings_.broker.tls) {
    // Without a CA file: the system's CA store (libmosquitto 2.0.11 insists on a file or a path).
    const char* ca_path = nullptr;
    if (settings_.ca_file.empty()) {
      mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
      ca_path = kSystemCaPath;
    }
    const int rc =
        mosquitto_tls_set(mosq_, or_null(settings_.ca_file), ca_path, or_null(settings_.cert_file),
                          or_null(settings_.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::error("mqtt: TLS setup failed (ca_file/cert_file/key_file): {}",
                    mosquitto_strerror(rc));
      return false;
    }
    if (settings_.insecure) {
      // Any certificate, any host name: self-signed test setups only.
      mosquitto_tls_opts_set(mosq_, 0, nullptr, nullptr);
      mosquitto_tls_insecure_set(mosq_, true);
    }
  }
  if (!settings_.will_topic.empty()) {
    const std::string offline = "offline";
    const int rc = mosquitto_will_set(mosq_, settings_.will_topic.c_str(),
                                      static_cast<int>(offline.size()), offline.data(), 1, true);
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::error("mqtt: cannot set the last will: {}", mosquitto_strerror(rc));
      return false;
    }
  }
  return true;
}

void MqttLink::reset_client() {
  reset_pending_ = false;
  // What was in flight goes first, in the order it was sent, ahead of what waited behind it.
  for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
    backlog_bytes_ += it->second.topic.size() + it->second.payload.size();
    backlog_.push_front(std::move(it->second));
  }
  in_flight_.clear();
  in_flight_ids_.clear();
  const int rc = mosquitto_reinitialise(mosq_, settings_.client_id.c_str(), true, this);
  if (rc != MOSQ_ERR_SUCCESS || !apply_settings()) {
    spdlog::error("mqtt: cannot set up the client again for {}: {}", where(),
                  mosquitto_strerror(rc));
  }
}

void MqttLink::try_connect(TimePoint now) {
  next_attempt_.reset();
  if (reset_pending_) reset_client();
  spdlog::info("mqtt: connecting to {} as {}", where(), settings_.client_id);
  const int rc = mosquitto_connect(mosq_, settings_.broker.host.c_str(), settings_.broker.port,
                                   seconds_of(settings_.keepalive));
  if (rc != MOSQ_ERR_SUCCESS) {
    const std::string why = rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                                                 : std::string(mosquitto_strerror(rc));
    spdlog::warn("mqtt: cannot connect to {}: {}; retrying in {}", where(), why,
                 format_duration(backoff_));
    socket_open_ = false;
    next_attempt_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, settings_.max_backoff);
    return;
  }
  socket_open_ = true;  // CONNACK arrives through on_readable → on_connect
}

void MqttLink::maintain(TimePoint now) {
  last_now_ = now;
  if (next_attempt_ && *next_attempt_ <= now) try_connect(now);
  if (socket_open_) {
    const int rc = mosquitto_loop_misc(mosq_);  // keepalive PINGREQ, connection timeouts
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) connection_lost(now, rc);
  }
}

std::optional<TimePoint> MqttLink::next_wakeup() const {
  if (next_attempt_) return next_attempt_;
  if (socket_open_) return last_now_ + std::chrono::seconds(1);  // keepalive housekeeping
  return std::nullopt;
}

int MqttLink::socket() const {
  return socket_open_ ? mosquitto_socket(mosq_) : -1;
}

bool MqttLink::wants_write() const {
  return socket_open_ && mosquitto_want_write(mosq_);
}

void MqttLink::on_readable(TimePoint now) {
  last_now_ = now;
  // mosquitto_loop_read handles at most one packet per call: drain what the socket holds (up to a
  // bound, so timers and writes still get their turn) rather than one packet per poll(). A call
  // that completed no packet we hear of (nothing left, or only part of one) ends the turn; poll()
  // tells when there is more. Asking the socket after every packet instead (FIONREAD) was one
  // more system call per message.
  for (int packets = 0; packets < kMaxPacketsPerRead; ++packets) {
    const std::uint64_t before = packets_heard_;
    const int rc = mosquitto_loop_read(mosq_, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      connection_lost(now, rc);
      return;
    }
    if (!socket_open_ || packets_heard_ == before) return;
  }
}

std::string MqttLink::where() const {
  const std::string url = to_string(settings_.broker);
  return settings_.name.empty() ? url : url + " (" + settings_.name + ")";
}

void MqttLink::on_writable(TimePoint now) {
  last_now_ = now;
  const int rc = mosquitto_loop_write(mosq_, 1);
  if (rc != MOSQ_ERR_SUCCESS) connection_lost(now, rc);
}

void MqttLink::connection_lost(TimePoint now, int rc) {
  if (!socket_open_) return;
  const bool was_connected = connected_;
  connected_ = false;
  mosquitto_disconnect(mosq_);
  socket_open_ = false;
  reset_pending_ = true;
  spdlog::warn("mqtt: connection to {} lost ({}); retrying in {}", where(),
               rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc),
               format_duration(backoff_));
  next_attempt_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, settings_.max_backoff);
  if (was_connected && callbacks_.disconnected) callbacks_.disconnected();
}

bool MqttLink::publish(const Publication& p) {
  if (connected_ && backlog_.empty() && in_flight_.size() < kWindow) return send(p);
  if (backlog_bytes_ + p.topic.size() + p.payload.size() > kMaxBacklogBytes) {
    ++dropped_;
    if (!last_drop_warning_ || last_now_ - *last_drop_warning_ >= std::chrono::minutes(1)) {
      last_drop_warning_ = last_now_;
      spdlog::warn("mqtt: {} messages waiting for the broker; dropping ({} so far), now one for {}",
                   backlog_.size(), dropped_, p.topic);
    }
    return false;
  }
  backlog_bytes_ += p.topic.size() + p.payload.size();
  backlog_.push_back(p);
  return true;
}

bool MqttLink::send(const Publication& p) {
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, p.topic.c_str(), static_cast<int>(p.payload.size()),
                                   p.payload.data(), p.qos, p.retain);
  const bool connection_error =
      rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO;
  if (rc != MOSQ_ERR_SUCCESS && !(connection_error && p.qos > 0)) {
    spdlog::warn("mqtt: cannot publish on {}: {}", p.topic, mosquitto_strerror(rc));
    return false;
  }
  // A QoS 1 message is kept until its PUBACK: when the connection breaks first, it goes back to
  // our queue (reset_client) and out again after reconnecting, unless its deadline has passed.
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::debug("mqtt: connection gone while publishing on {}; sent after reconnecting", p.topic);
  }
  if (p.qos > 0) {
    const std::uint64_t order = sent_++;
    in_flight_.emplace(order, p);
    in_flight_ids_[mid] = order;
  }
  return true;
}

void MqttLink::drain_backlog() {
  const auto now = SteadyClock::now();
  while (connected_ && !backlog_.empty() && in_flight_.size() < kWindow) {
    Publication p = std::move(backlog_.front());
    backlog_.pop_front();
    backlog_bytes_ -= p.topic.size() + p.payload.size();
    if (p.expires && *p.expires < now) {
      ++expired_;
      spdlog::debug("mqtt: dropped a request for {} that waited past its deadline ({} so far)",
                    p.topic, expired_);
      continue;
    }
    send(p);
  }
}

void MqttLink::on_publish(mosquitto*, void* self, int mid) {
  auto* link = static_cast<MqttLink*>(self);
  ++link->packets_heard_;
  if (const auto it = link->in_flight_ids_.find(mid); it != link->in_flight_ids_.end()) {
    link->in_flight_.erase(it->second);
    link->in_flight_ids_.erase(it);
  }
  link->drain_backlog();
}

bool MqttLink::subscribe(const std::string& pattern, int qos) {
  const int rc = mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::warn("mqtt: cannot subscribe to {}: {}", pattern, mosquitto_strerror(rc));
    return false;
  }
  return true;
}

bool MqttLink::unsubscribe(const std::string& pattern) {
  if (!connected_) return false;
  const int rc = mosquitto_unsubscribe(mosq_, nullptr, pattern.c_str());
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::warn("mqtt: cannot unsubscribe from {}: {}", pattern, mosquitto_strerror(rc));
    return false;
  }
  return true;
}

void MqttLink::shutdown(std::string_view final_payload, std::chrono::milliseconds budget) {
  if (!connected_) return;
  if (!settings_.will_topic.empty()) {
    const std::string payload(final_payload);
    int mid = 0;
    mosquitto_publish(mosq_, &mid, settings_.will_topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), 1, true);
  }
  mosquitto_disconnect(mosq_);
  connected_ = false;
  // Flush what is queued; the broker closes the socket after DISCONNECT.
  const auto end = SteadyClock::now() + budget;
  while (SteadyClock::now() < end) {
    const int fd = mosquitto_socket(mosq_);
    if (fd < 0) break;
    pollfd pfd{fd, static_cast<short>(POLLIN | (mosquitto_want_write(mosq_) ? POLLOUT : 0)), 0};
    if (::poll(&pfd, 1, 50) < 0) break;
    if (pfd.revents & POLLOUT) {
      if (mosquitto_loop_write(mosq_, 1) != MOSQ_ERR_SUCCESS) break;
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
      if (mosquitto_loop_read(mosq_, 1) != MOSQ_ERR_SUCCESS) break;
    }
    if (!mosquitto_want_write(mosq_) && (pfd.revents & (POLLHUP | POLLERR))) break;
  }
  socket_open_ = false;
}

void MqttLink::on_connect(mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  ++link->packets_heard_;
  if (rc != 0) {
    spdlog::error("mqtt: {} refused the connection: {}", link->where(),
                  mosquitto_connack_string(rc));
    link->connection_lost(link->last_now_, MOSQ_ERR_CONN_REFUSED);
    return;
  }
  link->connected_ = true;
  link->backoff_ = link->settings_.min_backoff;
  spdlog::info("mqtt: connected to {}", link->where());
  // What was in flight when the last connection broke is at the front of our backlog (the client
  // was reset): it goes out after the subscriptions and announcements of `connected`, in order,
  // unless past its deadline.
  if (link->callbacks_.connected) link->callbacks_.connected();
  link->drain_backlog();
}

void MqttLink::on_disconnect(mosquitto*, void* self, int rc) {
  auto* link = static_cast<MqttLink*>(self);
  if (rc != 0) link->connection_lost(link->last_now_, MOSQ_ERR_CONN_LOST);
}

void MqttLink::on_message(mosquitto*, void* self, const mosquitto_message* m) {
  auto* link = static_cast<MqttLink*>(self);
  ++link->packets_heard_;
  if (!link->callbacks_.message || !m->topic) return;
  const std::string_view payload(static_cast<const char*>(m->payload),
                                 static_cast<std::size_t>(m->payloadlen));
  link->callbacks_.message(m->topic, payload, m->retain);
}

}  // namespace meross::bridge
