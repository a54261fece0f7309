#include "bridge/registry.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "bridge/logging.hpp"
#include "protocol/envelope.hpp"
#include "protocol/signing.hpp"

namespace meross::bridge {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// `<uuid>` of `/appliance/<uuid>/publish`, or "".
std::string_view publish_topic_uuid(std::string_view topic) {
  constexpr std::string_view kPrefix = "/appliance/";
  constexpr std::string_view kSuffix = "/publish";
  if (!topic.starts_with(kPrefix) || !topic.ends_with(kSuffix)) return {};
  const auto uuid = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  return uuid.find('/') == std::string_view::npos ? uuid : std::string_view{};
}

}  // namespace

Topics Topics::from_config(const Config& config) {
  Topics t;
  t.base = config.base_topic;
  t.bridge_availability = config.base_topic + "/bridge/availability";
  return t;
}

Duration default_request_timeout(Duration availability_timeout) {
  return std::clamp<Duration>(availability_timeout / 4, Duration(500), std::chrono::seconds(5));
}

DeviceRegistry::DeviceRegistry(const Config& config, Topics topics, RegistryOptions options,
                               SessionEvents events)
    : config_(config),
      topics_(std::move(topics)),
      options_(std::move(options)),
      events_(std::move(events)),
      limiter_(options_.warning_interval) {}

void DeviceRegistry::warn_limited(const std::string& key, Now now, const std::string& text) {
  if (const auto suppressed = limiter_.allow(key, now.mono)) {
    if (*suppressed > 0) {
      spdlog::warn("{} ({} more like this in the last minute)", text, *suppressed);
    } else {
      spdlog::warn("{}", text);
    }
  }
}

void DeviceRegistry::on_message(std::string_view topic, std::string_view payload, Now now) {
  ++counters_.messages_received;
  const std::string_view topic_uuid = publish_topic_uuid(topic);
  if (topic_uuid.empty()) {
    ++counters_.ignored;
    spdlog::debug("ignoring a message on {}", printable(topic));
    return;
  }
  auto parsed = protocol::parse_message(payload, options_.max_message_bytes);
  if (!parsed.ok()) {
    ++counters_.malformed;
    warn_limited("malformed:" + std::string(topic), now,
                 "dropped a malformed message on " + printable(topic) + ": " +
                     parsed.error().describe() + " (" + std::to_string(counters_.malformed) +
                     " malformed so far)");
    return;
  }
  const protocol::Message& message = *parsed;
  const auto& h = message.header;

  // Who sent it: the topic says so, whatever the header claims; a confining broker lets only
  // that device publish there.
  const std::string uuid(topic_uuid);
  if (!valid_device_uuid(uuid)) {
    ++counters_.ignored;
    warn_limited("uuid:" + std::string(topic), now,
                 "dropped a message on " + printable(topic) + " with no valid device uuid (" +
                     printable(h.ns) + ")");
    return;
  }
  const std::string id = lower(uuid);
  if (config_.excluded(id)) {
    ++counters_.ignored;
    spdlog::trace("{}: excluded by the configuration", uuid);
    return;
  }
  // Our own requests and ACKs never come back here (we publish on .../subscribe), but a request
  // from another client (an app, a second bridge) might: only devices' messages count.
  if ((h.method == protocol::Method::Get) ||
      (h.method == protocol::Method::Set && h.ns != "Appliance.Control.Bind")) {
    ++counters_.ignored;
    spdlog::debug("{}: ignoring {} {} (not a device message)", uuid, protocol::to_string(h.method),
                  printable(h.ns));
    return;
  }

  const auto* device = config_.device(id);
  const std::string& name = device ? device->name : std::string();
  if (config_.verify_signatures &&
      !protocol::verify_sign(h.message_id, config_.key_for(id), h.timestamp, h.sign)) {
    ++counters_.signature_failures;
    const std::string label = name.empty() ? uuid : name + " (" + uuid + ")";
    warn_limited("sign:" + id, now,
                 label + ": dropped a message with a bad signature (" + printable(h.ns) +
                     "): the device uses another key than the one configured, or someone "
                     "forged it (" +
                     std::to_string(counters_.signature_failures) + " so far)");
    return;
  }

  DeviceSession* session = session_for(uuid, now);
  if (!session) return;
  // Seen before: a replay (the signature never expires) or a duplicate delivery. The handshake
  // (Bind, Clock, ConsumptionConfig) is answered again: a device repeats it until answered, and
  // answering is harmless. Any other message would apply an old state again: dropped.
  if ((h.method == protocol::Method::Push || h.method == protocol::Method::Set) &&
      !session->remember(h)) {
    ++counters_.replays;
    const bool answer_again = h.ns == "Appliance.Control.Bind" ||
                              h.ns == "Appliance.System.Clock" ||
                              h.ns == "Appliance.Control.ConsumptionConfig";
    if (!answer_again) {
      warn_limited("replay:" + id, now,
                   session->label() + ": dropped a replayed " +
                       std::string(protocol::to_string(h.method)) + " " + printable(h.ns) +
                       " (its messageId and timestamp were seen before; " +
                       std::to_string(counters_.replays) + " so far)");
      return;
    }
    spdlog::debug("{}: {} sent again, answering again", session->label(), printable(h.ns));
  }
  ++counters_.messages_handled;
  session->handle(message, now);
  schedule(*session);
}

DeviceSession* DeviceRegistry::session_for(const std::string& uuid, Now now) {
  const std::string id = lower(uuid);
  if (const auto it = sessions_.find(id); it != sessions_.end()) return it->second.get();
  if (sessions_.size() >= options_.max_devices && config_.device(id) == nullptr) {
    ++counters_.ignored;
    warn_limited("max-devices", now,
                 uuid + ": ignored, the bridge already serves " + std::to_string(sessions_.size()) +
                     " devices");
    return nullptr;
  }
  const auto* device = config_.device(id);
  SessionSettings s;
  s.uuid = uuid;
  s.name = device ? device->name : "";
  s.key = config_.key_for(id);
  s.timezone = config_.timezone_for(id);
  if (s.timezone.empty()) s.timezone = options_.host_timezone;
  // The device's own publish topic: 48 characters, under the 60 some firmware keeps of a `from`
  // (meross-protocol.md §2.2), and a topic the device may publish on under any broker ACL.
  s.reply_topic = "/appliance/" + uuid + "/publish";
  s.availability_topic = topics_.device_availability(uuid);
  s.availability_timeout = config_.availability_timeout;
  s.request_timeout = options_.request_timeout;
  s.max_attempts = options_.max_attempts;
  s.time_check_interval = options_.time_check_interval;
  s.ability_pool = &abilities_;
  if (!device)
    spdlog::info("{}: new device, not in the configuration (using the global key)", uuid);
  auto session = std::make_unique<DeviceSession>(std::move(s), events_, outbox_, counters_);
  auto* raw = session.get();
  sessions_.emplace(id, std::move(session));
  return raw;
}

void DeviceRegistry::schedule(const DeviceSession& session) {
  const auto next = session.next_wakeup();
  if (!next) return;
  const std::string id = lower(session.uuid());
  const auto it = scheduled_.find(id);
  if (it != scheduled_.end() && it->second <= *next) return;
  scheduled_[id] = *next;
  timers_.emplace(*next, id);
}

void DeviceRegistry::tick(Now now) {
  while (!timers_.empty() && timers_.top().first <= now.mono) {
    auto [when, id] = timers_.top();
    timers_.pop();
    const auto it = scheduled_.find(id);
    if (it == scheduled_.end() || it->second != when) continue;  // superseded
    scheduled_.erase(it);
    const auto session = sessions_.find(id);
    if (session == sessions_.end()) continue;
    session->second->tick(now);
    schedule(*session->second);
  }
}

std::optional<TimePoint> DeviceRegistry::next_wakeup() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.top().first;
}

void DeviceRegistry::announce_all() {
  for (auto& [id, session] : sessions_)
    session->announce();
}

void DeviceRegistry::devices_unreachable() {
  std::size_t count = 0;
  for (auto& [id, session] : sessions_) {
    if (session->online()) ++count;
    session->unreachable();
  }
  if (count > 0) spdlog::warn("devices offline until their broker is back: {}", count);
}

void DeviceRegistry::devices_reachable(Now now) {
  for (auto& [id, session] : sessions_) {
    session->reachable(now);
    schedule(*session);
  }
}

std::optional<std::string> DeviceRegistry::request(std::string_view uuid, protocol::Method method,
                                                   std::string_view ns, std::string payload_json,
                                                   Now now) {
  const auto it = sessions_.find(lower(uuid));
  if (it == sessions_.end()) return std::nullopt;
  auto id = it->second->request(method, ns, std::move(payload_json), now);
  schedule(*it->second);
  return id;
}

void DeviceRegistry::probe(std::string_view uuid, Now now) {
  if (!valid_device_uuid(uuid) || config_.excluded(lower(uuid))) return;
  if (sessions_.count(lower(uuid)) > 0) return;
  DeviceSession* session = session_for(std::string(uuid), now);
  if (!session) return;
  spdlog::debug("{}: probing a device known from an earlier run", session->label());
  session->request(protocol::Method::Get, "Appliance.System.All", R"({"all":{}})", now);
  schedule(*session);
}

std::size_t DeviceRegistry::devices_online() const {
  return static_cast<std::size_t>(
      std::count_if(sessions_.begin(), sessions_.end(),
                    [](const auto& entry) { return entry.second->online(); }));
}

const DeviceSession* DeviceRegistry::find(std::string_view uuid) const {
  const auto it = sessions_.find(lower(uuid));
  return it == sessions_.end() ? nullptr : it->second.get();
}

std::vector<const DeviceSession*> DeviceRegistry::sessions() const {
  std::vector<const DeviceSession*> out;
  for (const auto& [id, session] : sessions_)
    out.push_back(session.get());
  return out;
}

}  // namespace meross::bridge
