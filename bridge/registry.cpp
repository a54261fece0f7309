#include "bridge/registry.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "bridge/logging.hpp"
#include "discovery/discovery.hpp"
#include "discovery/topics.hpp"
#include "protocol/envelope.hpp"
#include "protocol/json.hpp"
#include "protocol/json_writer.hpp"
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

bool same_uuid(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

// Whether a header names another device than `uuid` (the topic's): its `uuid` field, or a `from`
// that is some /appliance/<uuid>/… topic.
bool names_another_device(const protocol::Header& h, std::string_view uuid) {
  if (!h.uuid.empty() && !same_uuid(h.uuid, uuid)) return true;
  constexpr std::string_view kPrefix = "/appliance/";
  if (!h.from.starts_with(kPrefix)) return false;
  const std::string_view rest = std::string_view(h.from).substr(kPrefix.size());
  return !same_uuid(rest.substr(0, rest.find('/')), uuid);
}

// /appliance/<uuid>/<one level>: the only topics a Bind may name in `from` (DeviceSession).
bool own_device_topic(std::string_view uuid, std::string_view topic) {
  constexpr std::string_view kPrefix = "/appliance/";
  if (!topic.starts_with(kPrefix)) return false;
  topic.remove_prefix(kPrefix.size());
  if (!topic.starts_with(uuid) || topic.size() <= uuid.size() + 1 || topic[uuid.size()] != '/') {
    return false;
  }
  const std::string_view level = topic.substr(uuid.size() + 1);
  return level.find_first_of("/+#") == std::string_view::npos;
}

bool is_reply(protocol::Method m) {
  return m == protocol::Method::GetAck || m == protocol::Method::SetAck ||
         m == protocol::Method::Error;
}

bool is_handshake(std::string_view ns) {
  return ns == "Appliance.Control.Bind" || ns == "Appliance.System.Clock" ||
         ns == "Appliance.Control.ConsumptionConfig";
}

std::optional<std::int64_t> error_code(const protocol::Message& m) {
  const protocol::JsonValue* error = protocol::find_member(m.payload(), "error");
  return error ? protocol::int_member(*error, "code") : std::nullopt;
}

// Key mismatches of devices not in the configuration are forgotten after this much time without
// new evidence (a device repeats its unanswered Bind every half minute or so); at most this many
// are remembered, so made-up uuids cannot grow the list.
constexpr auto kKeyMismatchExpiry = std::chrono::minutes(10);
constexpr std::size_t kMaxKeyMismatches = 256;
// How many of them the sensor's attributes list.
constexpr std::size_t kKeyMismatchesListed = 20;

const char* kKeyFix =
    "run `meross-bridge account --write-config FILE` to store your Meross account's key (the key "
    "every device paired through the Meross app signs with), or set `key` of this device in a "
    "[[devices]] entry (or [meross] key) to the key it was paired with";

}  // namespace

Topics Topics::from_config(const Config& config) {
  Topics t;
  t.base = config.base_topic;
  t.instance = config.cluster.instance;
  t.bridge_availability = discovery::bridge_availability_topic(t.base, t.instance);
  return t;
}

Duration default_request_timeout(Duration availability_timeout) {
  return std::clamp<Duration>(availability_timeout / 4, Duration(500), std::chrono::seconds(5));
}

DeviceRegistry::DeviceRegistry(const Config& config, Topics topics, RegistryOptions options,
                               DeviceListener* listener)
    : config_(config),
      topics_(std::move(topics)),
      options_(std::move(options)),
      listener_(listener),
      limiter_(options_.warning_interval, options_.warning_budget),
      window_(options_.request_window),
      admission_(AdmissionLimits{config.new_devices_per_second, config.new_devices_burst,
                                 config.max_new_devices}) {}

void DeviceRegistry::profile_learned(const DeviceSession& s) {
  // Discovered: a device the bridge knows from now on, never dropped or refused.
  undiscovered_.erase(lower(s.uuid()));
  if (listener_) listener_->profile_learned(s);
}

void DeviceRegistry::device_message(const DeviceSession& s, const protocol::Message& m) {
  if (listener_) listener_->device_message(s, m);
}

void DeviceRegistry::availability_changed(const DeviceSession& s, bool online) {
  // The registry keeps its own books first.
  if (online) {
    ++online_;
  } else if (online_ > 0) {
    --online_;
  }
  if (listener_) listener_->availability_changed(s, online);
}

bool DeviceRegistry::key_refused(const DeviceSession& s, const std::string& what, Now now) {
  key_mismatch(s.uuid(), "ERROR 5001 (sign error) to " + what, now);
  return true;
}

bool DeviceRegistry::log_allowed(spdlog::level::level_enum level) {
  return spdlog::default_logger_raw()->should_log(level);
}

void DeviceRegistry::emit(spdlog::level::level_enum level, const std::string& text,
                          std::uint64_t suppressed) {
  if (suppressed > 0) {
    spdlog::log(level, "{} ({} more like this in the last {})", text, suppressed,
                format_duration(limiter_.interval()));
  } else {
    spdlog::log(level, "{}", text);
  }
}

void DeviceRegistry::flush_log_summary(Now now) {
  if (const auto held = limiter_.take_summary(now.mono)) {
    spdlog::warn("{} more warnings held back in the last {} (at most {} lines per {})", *held,
                 format_duration(limiter_.interval()), limiter_.budget(),
                 format_duration(limiter_.interval()));
  }
}

void DeviceRegistry::note_budget_exhausted() {
  if (limiter_.take_budget_exhausted()) {
    spdlog::warn(
        "too many warnings: holding further ones back for up to {} (a count of them follows)",
        format_duration(limiter_.interval()));
  }
}

void DeviceRegistry::warn_limited(const std::string& key, Now now, const std::string& text) {
  log_limited(spdlog::level::warn, key, now, [&] { return text; });
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
    log_limited(spdlog::level::warn, "malformed:" + std::string(topic), now, [&] {
      return "dropped a malformed message on " + printable(topic) + ": " +
             parsed.error().describe() + " (" + std::to_string(counters_.malformed) +
             " malformed so far)";
    });
    return;
  }
  const protocol::Message& message = *parsed;
  const auto& h = message.header;

  // Who sent it: the topic says so, whatever the header claims; a confining broker lets only
  // that device publish there.
  const std::string uuid(topic_uuid);
  if (!valid_device_uuid(uuid)) {
    ++counters_.ignored;
    log_limited(spdlog::level::warn, "uuid:" + std::string(topic), now, [&] {
      return "dropped a message on " + printable(topic) + " with no valid device uuid (" +
             printable(h.ns) + ")";
    });
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

  if (config_.verify_signatures &&
      !protocol::verify_sign(h.message_id, config_.key_for(id), h.timestamp, h.sign)) {
    bad_signature(uuid, id, message, now);
    return;
  }
  if (!key_mismatches_.empty()) key_matches(id);

  // The topic names the sender; a header that names another device is not its message (a
  // captured message of one device replayed on another's topic, or a confused client).
  if (names_another_device(h, uuid)) {
    const bool reply = is_reply(h.method);
    ++(reply ? counters_.unmatched_replies : counters_.misaddressed);
    log_limited(spdlog::level::warn,
                "misaddressed:" + std::string(protocol::to_string(h.method)) + ":" + id, now, [&] {
                  return uuid + ": dropped a " + std::string(protocol::to_string(h.method)) + " " +
                         printable(h.ns) + " whose header names another device (" +
                         printable(h.uuid.empty() ? h.from : h.uuid, 64) + ") than its topic (" +
                         std::to_string(counters_.misaddressed + counters_.unmatched_replies) +
                         " misaddressed or unmatched so far)";
                });
    return;
  }
  // A Bind is answered on its `from`: only ever one of the device's own topics.
  if (h.method == protocol::Method::Set && !own_device_topic(uuid, h.from)) {
    ++counters_.misaddressed;
    log_limited(spdlog::level::warn, "bind-from:" + id, now, [&] {
      return uuid + ": ignored a Bind whose reply topic (`from`: " + printable(h.from, 64) +
             ") is not one of the device's own /appliance/" + uuid + "/… topics (" +
             std::to_string(counters_.misaddressed) + " misaddressed so far)";
    });
    return;
  }

  // An answer from a uuid without a session answers nothing of ours (a probe makes the session
  // before it asks): it must not take a new device's place.
  if (is_reply(h.method) && sessions_.count(id) == 0) {
    ++counters_.unmatched_replies;
    log_limited(spdlog::level::info, "unmatched:" + id, now, [&] {
      return uuid + ": dropped a " + std::string(protocol::to_string(h.method)) + " " +
             printable(h.ns) + " that answers no pending request of ours (" +
             std::to_string(counters_.unmatched_replies) + " so far)";
    });
    return;
  }
  DeviceSession* session = session_for(uuid, now);
  if (!session) return;
  if (is_reply(h.method)) {
    // Taken only as the answer to a request of ours still pending (DeviceSession::handle).
    if (!session->answers_pending(h)) {
      ++counters_.unmatched_replies;
      // Info, not a warning: a slow device answering a request and its retry (one messageId)
      // gives one of these in the normal course of things.
      log_limited(spdlog::level::info, "unmatched:" + id, now, [&] {
        return session->label() + ": dropped a " + std::string(protocol::to_string(h.method)) +
               " " + printable(h.ns) + " that answers no pending request of ours (" +
               std::to_string(counters_.unmatched_replies) + " so far)";
      });
      return;
    }
  } else {
    // A device's own message: dated near the device's clock, or stale (a replay of a message
    // older than the window, or one dated in the future). The handshake is still answered (a
    // device rebooted without a clock sends it dated about 0, and answering is harmless);
    // anything else would apply an old state: dropped.
    const auto clock = session->check_clock(h, now);
    if (!clock.fresh) {
      ++counters_.stale;
      if (!is_handshake(h.ns)) {
        log_limited(spdlog::level::warn, "stale:" + id, now, [&] {
          return session->label() + ": dropped a stale " +
                 std::string(protocol::to_string(h.method)) + " " + printable(h.ns) + " dated " +
                 std::to_string(clock.skew) + " s from the device's clock (window " +
                 format_duration(config_.timestamp_window) + "; " +
                 std::to_string(counters_.stale) + " stale so far)";
        });
        session->stale_message(now);
        schedule(*session);
        return;
      }
      spdlog::debug("{}: {} dated {} s from its clock: answered all the same", session->label(),
                    printable(h.ns), clock.skew);
    }
    // Seen before: a replay (the signature never expires) or a duplicate delivery. The
    // handshake (Bind, Clock, ConsumptionConfig) is answered again: a device repeats it until
    // answered, and answering is harmless. Any other message would apply an old state: dropped.
    if (!session->remember(h)) {
      ++counters_.replays;
      if (!is_handshake(h.ns)) {
        log_limited(spdlog::level::warn, "replay:" + id, now, [&] {
          return session->label() + ": dropped a replayed " +
                 std::string(protocol::to_string(h.method)) + " " + printable(h.ns) +
                 " (its messageId and timestamp were seen before; " +
                 std::to_string(counters_.replays) + " so far)";
        });
        return;
      }
      spdlog::debug("{}: {} sent again, answering again", session->label(), printable(h.ns));
    }
  }
  ++counters_.messages_handled;
  session->handle(message, now);
  schedule(*session);
}

void DeviceRegistry::bad_signature(const std::string& uuid, const std::string& id,
                                   const protocol::Message& message, Now now) {
  const auto& h = message.header;
  ++counters_.signature_failures;
  // A Bind signed with another key, on the device's own topic and naming its own topics: the
  // device was paired with another key (or someone forged it, which the line says too).
  if (h.method == protocol::Method::Set && own_device_topic(uuid, h.from) &&
      !names_another_device(h, uuid) && key_mismatch(uuid, "its Bind", now)) {
    return;
  }
  // The device's answer to a request of ours, refusing it with 5001 (sign error): signed with
  // its own key, or not at all. Its messageId is one we just made up, so it is the device.
  if (h.method == protocol::Method::Error && error_code(message) == 5001 &&
      !names_another_device(h, uuid)) {
    if (const auto it = sessions_.find(id); it != sessions_.end()) {
      if (const auto what = it->second->refused(h, now)) {
        key_mismatch(uuid, "ERROR 5001 (sign error) to " + *what, now);
        schedule(*it->second);
        return;
      }
    }
  }
  const auto* device = config_.device(id);
  if (key_mismatches_.count(id) > 0) {
    spdlog::debug("{}: another message signed with another key ({})", uuid, printable(h.ns));
    return;
  }
  log_limited(spdlog::level::warn, "sign:" + id, now, [&] {
    const std::string label =
        device && !device->name.empty() ? device->name + " (" + uuid + ")" : uuid;
    return label + ": dropped a message with a bad signature (" + printable(h.ns) +
           "): the device uses another key than the one configured, or someone forged it (" +
           std::to_string(counters_.signature_failures) + " so far)";
  });
}

bool DeviceRegistry::key_mismatch(const std::string& uuid, const std::string& source, Now now) {
  const std::string id = lower(uuid);
  const auto* device = config_.device(id);
  auto it = key_mismatches_.find(id);
  if (it == key_mismatches_.end()) {
    // Made-up uuids must not grow the list: devices of the configuration (and those the bridge
    // has talked to) always have a place.
    const bool configured = device != nullptr || sessions_.count(id) > 0;
    if (!configured && unconfigured_mismatches_ >= kMaxKeyMismatches) return false;
    KeyMismatch m;
    m.uuid = uuid;
    m.name = device ? device->name : "";
    m.configured = configured;
    if (!configured) ++unconfigured_mismatches_;
    it = key_mismatches_.emplace(id, std::move(m)).first;
  }
  KeyMismatch& m = it->second;
  m.last = now.mono;
  if (m.source != source) {
    m.source = source;
    publish_key_mismatches();
  }
  if (m.reported) return true;
  // Once per device, clearly: which device, what happened, how to fix it. Held back only when
  // the log is flooded; then the next piece of evidence tries again.
  log_limited(spdlog::level::err, "key:" + id, now, [&] {
    m.reported = true;
    const std::string label = m.name.empty() ? uuid : m.name + " (" + uuid + ")";
    if (source.starts_with("ERROR 5001")) {
      return label + ": refused " + source.substr(source.find(" to ") + 4) +
             " with error 5001 (sign error): its key differs from the one configured for it "
             "(it was paired with another key). To fix it, " +
             kKeyFix + ". Until then the bridge cannot talk to it.";
    }
    return label +
           ": dropped a message with a bad signature (Appliance.Control.Bind): its key differs "
           "from the one configured for it (it was paired with another key, or someone forged "
           "its Bind). To fix it, " +
           std::string(kKeyFix) + ". Until then the bridge cannot talk to it.";
  });
  return true;
}

void DeviceRegistry::key_matches(const std::string& id) {
  const auto it = key_mismatches_.find(id);
  if (it == key_mismatches_.end()) return;
  spdlog::info("{}: signs with the configured key now", it->second.uuid);
  if (!it->second.configured) --unconfigured_mismatches_;
  key_mismatches_.erase(it);
  publish_key_mismatches();
}

void DeviceRegistry::expire_key_mismatches(Now now) {
  if (next_mismatch_expiry_ && now.mono < *next_mismatch_expiry_) return;
  next_mismatch_expiry_ = now.mono + std::chrono::minutes(1);
  const auto before = key_mismatches_.size();
  std::erase_if(key_mismatches_, [&](const auto& entry) {
    const bool expired =
        !entry.second.configured && now.mono - entry.second.last >= kKeyMismatchExpiry;
    if (expired) --unconfigured_mismatches_;
    return expired;
  });
  if (key_mismatches_.size() != before) publish_key_mismatches();
}

void DeviceRegistry::publish_key_mismatches() {
  // Home Assistant: the bridge's `key_mismatch` problem sensor, and which devices, as attributes.
  const std::string state =
      discovery::bridge_state_topic(topics_.base, discovery::kBridgeKeyMismatch, topics_.instance);
  const std::string attributes = discovery::bridge_attributes_topic(
      topics_.base, discovery::kBridgeKeyMismatch, topics_.instance);
  protocol::JsonStringWriter w(256);
  w.StartObject();
  w.key("count");
  w.Uint64(key_mismatches_.size());
  w.key("devices");
  w.StartArray();
  std::size_t listed = 0;
  for (const auto& [id, m] : key_mismatches_) {
    if (listed++ == kKeyMismatchesListed) break;
    w.StartObject();
    w.key("uuid");
    w.string(m.uuid);
    if (!m.name.empty()) {
      w.key("name");
      w.string(m.name);
    }
    w.key("learned_from");
    w.string(m.source);
    w.EndObject();
  }
  w.EndArray();
  if (!key_mismatches_.empty()) {
    w.key("fix");
    w.string(std::string("set the key each device was paired with: ") + kKeyFix);
  }
  w.EndObject();
  outbox_.publish(attributes, w.take(), true);
  outbox_.publish(state, key_mismatches_.empty() ? "OFF" : "ON", true);
}

DeviceSession* DeviceRegistry::session_for(const std::string& uuid, Now now, bool trusted) {
  const std::string id = lower(uuid);
  if (const auto it = sessions_.find(id); it != sessions_.end()) return it->second.get();
  const auto* device = config_.device(id);
  if (sessions_.size() >= options_.max_devices && device == nullptr) {
    ++counters_.ignored;
    warn_limited("max-devices", now,
                 uuid + ": ignored, the bridge already serves " + std::to_string(sessions_.size()) +
                     " devices");
    return nullptr;
  }
  const bool on_trial = device == nullptr && !trusted;
  if (on_trial && !admit(uuid, now)) return nullptr;
  SessionSettings s;
  s.uuid = uuid;
  s.name = device ? device->name : "";
  const std::string& key = config_.key_for(id);
  if (&key == &config_.key) {
    // The account key ([meross] key), which most devices sign with: one copy for all of them.
    if (!account_key_) account_key_ = std::make_shared<const std::string>(key);
    s.key = account_key_;
  } else {
    s.key = std::make_shared<const std::string>(key);
  }
  s.timezone = config_.timezone_for(id);
  if (s.timezone.empty()) s.timezone = options_.host_timezone;
  s.availability_topic = topics_.device_availability(uuid);
  s.availability_timeout = config_.availability_timeout;
  s.request_timeout = options_.request_timeout;
  s.max_attempts = options_.max_attempts;
  s.time_check_interval = options_.time_check_interval;
  s.timestamp_window = config_.timestamp_window;
  s.command_max_age = config_.command_max_age;
  s.known = device != nullptr;
  s.ability_pool = &abilities_;
  s.request_window = &window_;
  s.digest_pool = &digests_;
  if (!device)
    spdlog::info("{}: new device, not in the configuration (using the global key)", uuid);
  auto session = std::make_unique<DeviceSession>(std::move(s), static_cast<DeviceListener&>(*this),
                                                 outbox_, counters_);
  auto* raw = session.get();
  sessions_.emplace(id, std::move(session));
  if (on_trial) {
    undiscovered_[id] = now.mono;
    admissions_.emplace_back(now.mono, id);
  }
  return raw;
}

bool DeviceRegistry::admit(const std::string& uuid, Now now) {
  const auto verdict = admission_.admit(now.mono, undiscovered_.size());
  if (verdict == Admission::Verdict::admitted) return true;
  ++counters_.admissions_refused;
  // One key for every refusal: a flood of made-up uuids gives one line per interval.
  log_limited(spdlog::level::warn, "admission", now, [&] {
    const auto& limits = admission_.limits();
    const std::string why =
        verdict == Admission::Verdict::too_many
            ? std::to_string(undiscovered_.size()) +
                  " new devices are being discovered already (max_new_devices " +
                  std::to_string(limits.max_undiscovered) + ")"
            : fmt::format(
                  "new devices come faster than new_devices_per_second ({:g}/s, "
                  "new_devices_burst {})",
                  limits.per_second, limits.burst);
    return uuid + ": a new device, not let in for now: " + why +
           ". It is let in when it speaks again and there is room; configured and discovered "
           "devices are always served (" +
           std::to_string(counters_.admissions_refused) + " new devices refused so far)";
  });
  return false;
}

void DeviceRegistry::forget(const std::string& id, bool withdraw) {
  undiscovered_.erase(id);
  scheduled_.erase(id);  // its timers in the heap are skipped from now on
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  DeviceSession& session = *it->second;
  if (session.online() && online_ > 0) --online_;
  if (withdraw) session.withdraw();
  spdlog::debug("{}: dropped, {}", session.label(),
                withdraw ? "never discovered" : "another instance owns it now");
  if (listener_) listener_->forgotten(session);
  sessions_.erase(it);
}

void DeviceRegistry::expire_undiscovered(Now now) {
  while (!admissions_.empty() &&
         admissions_.front().first + options_.new_device_timeout <= now.mono) {
    const auto [admitted, id] = std::move(admissions_.front());
    admissions_.pop_front();
    const auto it = undiscovered_.find(id);
    if (it == undiscovered_.end() || it->second != admitted) continue;
    forget(id);
  }
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
  flush_log_summary(now);
  if (!key_mismatches_.empty()) expire_key_mismatches(now);
  if (!admissions_.empty()) expire_undiscovered(now);
  while (!timers_.empty() && timers_.top().first <= now.mono) {
    auto [when, id] = timers_.top();
    timers_.pop();
    const auto it = scheduled_.find(id);
    if (it == scheduled_.end() || it->second != when) continue;  // superseded
    scheduled_.erase(it);
    const auto session = sessions_.find(id);
    if (session == sessions_.end()) continue;
    session->second->tick(now);
    // A new device that never answered discovery and went offline: nothing is left to wait for.
    if (!session->second->online() && session->second->pending_requests() == 0 &&
        undiscovered_.count(id) > 0) {
      forget(id);
      continue;
    }
    schedule(*session->second);
  }
  release_waiting(now);
}

void DeviceRegistry::release_waiting(Now now) {
  while (auto ticket = window_.next_ready()) {
    const auto it = sessions_.find(lower(ticket->device));
    // A ticket of a request dropped meanwhile gives its slot straight back.
    if (it != sessions_.end() &&
        it->second->send_waiting(ticket->message_id, window_.take(), now)) {
      schedule(*it->second);
    }
  }
}

std::optional<TimePoint> DeviceRegistry::next_wakeup() const {
  std::optional<TimePoint> next;
  if (!timers_.empty()) next = timers_.top().first;
  if (!admissions_.empty()) {
    const TimePoint expiry = admissions_.front().first + options_.new_device_timeout;
    if (!next || expiry < *next) next = expiry;
  }
  return next;
}

void DeviceRegistry::announce_all() {
  for (auto& [id, session] : sessions_)
    session->announce();
  publish_key_mismatches();
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

void DeviceRegistry::link_back(Now now) {
  for (auto& [id, session] : sessions_) {
    if (session->pending_requests() == 0) continue;
    session->link_back(now);
    schedule(*session);
  }
}

void DeviceRegistry::resync_all(Now now) {
  // Devices never heard from in this run are left to the probes that made their sessions.
  std::vector<DeviceSession*> heard;
  for (auto& [id, session] : sessions_) {
    if (session->availability() != DeviceSession::Availability::Unknown) {
      heard.push_back(session.get());
    }
  }
  if (heard.empty()) return;
  // Evenly spaced in uuid order, at most 50 ms apart: a few devices are read at once, a fleet of
  // thousands over resync_spread, a few ms apart.
  const Duration gap =
      std::min<Duration>(options_.resync_spread / static_cast<Duration::rep>(heard.size()),
                         std::chrono::milliseconds(50));
  for (std::size_t i = 0; i < heard.size(); ++i) {
    heard[i]->schedule_resync(now.mono + gap * static_cast<Duration::rep>(i));
    schedule(*heard[i]);
  }
  spdlog::info("reading {} devices again over {} after the broker link's return", heard.size(),
               format_duration(gap * static_cast<Duration::rep>(heard.size() - 1)));
}

bool DeviceRegistry::resync(std::string_view uuid, Now now) {
  const auto it = sessions_.find(lower(uuid));
  if (it == sessions_.end()) return false;
  it->second->schedule_resync(now.mono);
  schedule(*it->second);
  return true;
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

void DeviceRegistry::release(std::string_view uuid) {
  forget(lower(uuid), false);
}

void DeviceRegistry::probe(std::string_view uuid, Now now) {
  if (!valid_device_uuid(uuid) || config_.excluded(lower(uuid))) return;
  if (const auto it = sessions_.find(lower(uuid)); it != sessions_.end()) {
    it->second->mark_known();  // it spoke first; Home Assistant knows it all the same
    undiscovered_.erase(it->first);
    return;
  }
  // Known from an earlier run: never refused, never dropped.
  DeviceSession* session = session_for(std::string(uuid), now, true);
  if (!session) return;
  session->mark_known();  // Home Assistant has its discovery: its availability stays retained
  spdlog::debug("{}: probing a device known from an earlier run", session->label());
  session->request(protocol::Method::Get, "Appliance.System.All", R"({"all":{}})", now);
  schedule(*session);
}

std::size_t DeviceRegistry::devices_online() const {
  return online_;
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
