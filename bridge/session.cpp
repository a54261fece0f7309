#include "bridge/session.hpp"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "bridge/logging.hpp"
#include "protocol/json.hpp"
#include "protocol/namespaces.hpp"
#include "protocol/signing.hpp"
#include "protocol/time_rules.hpp"

namespace meross::bridge {
namespace {

using protocol::Method;

namespace ns = meross::protocol::ns;

// Namespaces logged as unknown once each per device, up to this many.
constexpr std::size_t kUnknownNamespacesLogged = 8;

// Timestamps are clamped to this distance from ours (about 35,000 years): the arithmetic on
// offsets cannot overflow, whatever a message claims.
constexpr std::int64_t kMaxSkew = std::int64_t{1} << 40;

std::int64_t skew_of(std::int64_t timestamp, std::int64_t wall) {
  return std::clamp<std::int64_t>(timestamp - wall, -kMaxSkew, kMaxSkew);
}

bool is_reply(Method method) {
  return method == Method::GetAck || method == Method::SetAck || method == Method::Error;
}

}  // namespace

bool ReplayWindow::remember(std::string_view message_id, std::int64_t timestamp) {
  // FNV-1a over the id and the timestamp: a 64-bit fingerprint, ids are random hex.
  std::uint64_t hash = 1469598103934665603ull;
  const auto mix = [&](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  for (const char c : message_id)
    mix(static_cast<unsigned char>(c));
  mix('/');
  for (int shift = 0; shift < 64; shift += 8)
    mix(static_cast<unsigned char>(static_cast<std::uint64_t>(timestamp) >> shift));
  if (std::find(seen_.begin(), seen_.end(), hash) != seen_.end()) return false;
  if (seen_.size() < kCapacity) {
    seen_.push_back(hash);
  } else {
    seen_[next_] = hash;
    next_ = static_cast<std::uint8_t>((next_ + 1) % kCapacity);
  }
  return true;
}

DeviceSession::DeviceSession(SessionSettings settings, DeviceListener& listener, Outbox& outbox,
                             Counters& counters)
    : settings_(std::move(settings)), listener_(listener), outbox_(outbox), counters_(counters) {
  label_ = settings_.name.empty() ? settings_.uuid : settings_.name + " (" + settings_.uuid + ")";
  known_ = settings_.known;
}

void DeviceSession::handle(const protocol::Message& message, Now now) {
  const auto& h = message.header;
  if (is_reply(h.method)) {
    // Only an answer to a request of ours still pending is taken: anything else (a replayed or
    // made-up answer, a late one) neither shows the device alive nor reaches Home Assistant.
    if (!answers_pending(h)) {
      ++counters_.unmatched_replies;
      spdlog::debug("{}: {} {} answers no pending request of ours: dropped", label_,
                    protocol::to_string(h.method), printable(h.ns, 64));
      return;
    }
    // The answer to a fresh random messageId is as fresh as a message can be: its timestamp is
    // the device's clock now.
    clock_offset_ = skew_of(h.timestamp, now.wall);
    clock_read_at_ = now.mono;
  }
  // An answer shows the device bound; a Bind is answered below: no Bind to guess at.
  if (is_reply(h.method) || h.ns == ns::kControlBind) bind_check_at_.reset();
  // Answers first: a device that is not bound yet may ignore requests that arrive before them.
  switch (h.method) {
    case Method::Set:
      if (h.ns == ns::kControlBind) {
        // `from` is the device's word, and a signed message can be replayed under another header:
        // never let it point our publication at a topic that is not the device's own.
        const std::string topic = own_topic(h.from) ? h.from : device_subscribe_topic();
        const auto ack = protocol::make_ack_header(h, *settings_.key, now.wall, reply_topic());
        outbox_.publish(topic, protocol::serialize(ack, "{}"));
        spdlog::info("{}: Bind acknowledged", label_);
        bind_acknowledged_ = true;
        if (!profile_) {
          auto bound = protocol::profile_from_bind(message.payload());
          if (bound.ok()) {
            profile_ = std::make_shared<protocol::DeviceProfile>(std::move(bound).value());
            adopt_topic_uuid();
          } else {
            spdlog::debug("{}: Bind payload not usable as a profile: {}", label_,
                          bound.error().describe());
          }
        }
        // A device ignores requests until its Bind is acknowledged, and it usually speaks
        // (System.Report) before binding: what we asked so far went unheard.
        resend_pending(now);
        start_discovery(now);
      } else {
        ++counters_.ignored;
        spdlog::debug("{}: ignoring a SET {} from the device", label_, printable(h.ns, 64));
      }
      break;
    case Method::Push:
      if (h.ns == ns::kSystemClock) {
        const auto reply = protocol::make_push_reply_header(h);
        outbox_.publish(device_subscribe_topic(),
                        protocol::serialize(
                            reply, R"({"clock":{"timestamp":)" + std::to_string(now.wall) + "}}"));
        // Its clock is ours from now on: what was learned of the old one no longer holds.
        clock_offset_.reset();
        clock_read_at_.reset();
        spdlog::debug("{}: answered its clock push", label_);
      } else if (h.ns == ns::kControlConsumptionConfig) {
        const auto reply = protocol::make_push_reply_header(h);
        outbox_.publish(device_subscribe_topic(), protocol::serialize(reply, message.payload()));
        spdlog::debug("{}: echoed its consumption config", label_);
      } else if (abilities_ && abilities_->find(h.ns) == abilities_->end()) {
        // Still handed on: the mapping reads only what it knows, and firmware may push a
        // namespace under a name its ability list spells differently.
        ++counters_.unknown_namespaces;
        if (unknown_logged_.size() < kUnknownNamespacesLogged &&
            unknown_logged_.insert(h.ns).second) {
          spdlog::warn("{}: pushed {}, a namespace its abilities do not list ({} so far)", label_,
                       printable(h.ns, 64), counters_.unknown_namespaces);
        }
      }
      break;
    case Method::GetAck:
    case Method::SetAck:
    case Method::Error:
      handle_reply(message, now);
      break;
    case Method::Get:
      ++counters_.ignored;
      spdlog::debug("{}: ignoring a GET {} from the device", label_, printable(h.ns, 64));
      break;
  }
  heard(now);
  listener_.device_message(*this, message);
}

void DeviceSession::heard(Now now) {
  last_heard_ = now.mono;
  heartbeat_sent_ = false;
  unreachable_ = false;
  if (availability_ != Availability::Online) {
    const bool returning = availability_ == Availability::Offline;
    set_availability(Availability::Online);
    spdlog::info("{}: {}", label_, returning ? "back online" : "online (first contact)");
    start_discovery(now);
  }
}

void DeviceSession::set_availability(Availability availability) {
  if (availability == availability_) return;
  availability_ = availability;
  announce();
  listener_.availability_changed(*this, online());
}

void DeviceSession::announce() {
  if (availability_ == Availability::Unknown) return;
  if (!online() && !known_ && !profile_complete_) {
    // Home Assistant never heard of it (a made-up uuid, a device that never answered): no
    // retained "offline" left behind for good, the topic is removed.
    outbox_.publish(settings_.availability_topic, "", true);
    return;
  }
  outbox_.publish(settings_.availability_topic, online() ? "online" : "offline", true);
}

void DeviceSession::withdraw() {
  // Offline, it was removed already (announce()); a known device is never withdrawn.
  if (online() && !known_) outbox_.publish(settings_.availability_topic, "", true);
}

void DeviceSession::mark_known() {
  if (known_) return;
  known_ = true;
  if (availability_ == Availability::Offline) announce();  // "offline" rather than nothing
}

DeviceSession::ClockCheck DeviceSession::check_clock(const protocol::Header& header, Now now) {
  const std::int64_t window =
      std::chrono::duration_cast<std::chrono::seconds>(settings_.timestamp_window).count();
  const std::int64_t skew = skew_of(header.timestamp, now.wall);
  // A device whose clock was set (by us, or by NTP): within the window of ours.
  if (skew >= -window && skew <= window) return {true, skew};
  if (clock_offset_) {
    // A clock of its own (not synced, or another zone of time): within the window of the clock
    // its last answer showed. A device's clock only runs forward: follow it when it is ahead.
    const std::int64_t apart = skew - *clock_offset_;
    if (apart >= -window && apart <= window) {
      if (apart > 0) clock_offset_ = skew;
      return {true, apart};
    }
    return {false, apart};
  }
  return {false, skew};
}

void DeviceSession::stale_message(Now now) {
  // Asked at most once per window, and only of a device that is there: its answer re-reads the
  // clock, and the replays of an attacker cannot make it more.
  if (!online() || (clock_read_at_ && now.mono - *clock_read_at_ < settings_.timestamp_window) ||
      has_pending(ns::kSystemAll, Purpose::Heartbeat) ||
      has_pending(ns::kSystemAll, Purpose::Discovery)) {
    return;
  }
  spdlog::debug("{}: a stale message; reading its clock (GET System.All)", label_);
  send(Method::Get, ns::kSystemAll, R"({"all":{}})", Purpose::Heartbeat, now);
}

bool DeviceSession::answers_pending(const protocol::Header& reply) const {
  const auto it = pending_.find(reply.message_id);
  return it != pending_.end() && it->second.ns == reply.ns;
}

std::optional<std::string> DeviceSession::refused(const protocol::Header& reply, Now now) {
  const auto it = pending_.find(reply.message_id);
  if (it == pending_.end() || it->second.ns != reply.ns) return std::nullopt;
  const Pending p = std::move(it->second);
  pending_.erase(it);
  ++counters_.key_refusals;
  if (p.purpose == Purpose::Discovery) {
    if (p.ns == ns::kSystemAbility) got_ability_ = true;
    if (p.ns == ns::kSystemAll) discovering_ = false;
    maybe_profile_learned(now);
  }
  return std::string(protocol::to_string(p.method)) + " " + p.ns;
}

bool DeviceSession::own_topic(std::string_view topic) const {
  const std::string prefix = "/appliance/" + settings_.uuid + "/";
  if (!topic.starts_with(prefix)) return false;
  const std::string_view level = topic.substr(prefix.size());
  return !level.empty() && level.find_first_of("/+#") == std::string_view::npos;
}

void DeviceSession::unreachable() {
  if (!online()) return;
  unreachable_ = true;
  set_availability(Availability::Offline);
  spdlog::info("{}: offline (its broker is away)", label_);
}

void DeviceSession::reachable(Now now) {
  // Until the device is heard again: a probe lost to another outage is sent again next time.
  if (!unreachable_ || has_pending(ns::kSystemAll, Purpose::Heartbeat)) return;
  spdlog::debug("{}: its broker is back, probing", label_);
  send(Method::Get, ns::kSystemAll, R"({"all":{}})", Purpose::Heartbeat, now);
}

void DeviceSession::start_discovery(Now now) {
  const bool ability_pending = has_pending(ns::kSystemAbility, Purpose::Discovery);
  const bool all_pending = has_pending(ns::kSystemAll, Purpose::Discovery);
  if (ability_pending && all_pending) return;  // a round is already under way
  discovering_ = true;
  got_ability_ = ability_pending ? got_ability_ : false;
  got_all_ = all_pending ? got_all_ : false;
  if (!ability_pending)
    send(Method::Get, ns::kSystemAbility, R"({"ability":{}})", Purpose::Discovery, now);
  if (!all_pending) send(Method::Get, ns::kSystemAll, R"({"all":{}})", Purpose::Discovery, now);
}

void DeviceSession::resync(Now now) {
  spdlog::debug("{}: its broker link is back, reading it again", label_);
  start_discovery(now);
  bind_check_at_ = now.mono + settings_.request_timeout;
}

void DeviceSession::acknowledge_unheard_bind(Now now) {
  if (pending_.empty()) return;
  // Why a SETACK nobody asked for: a device that reconnected before the bridge sent its Bind
  // where nobody listened (the bridge's session is clean, see MqttLink), and it ignores requests
  // until that Bind is answered; firmware repeats it only every half minute or so, and some go
  // back to pairing mode instead (meross-protocol.md §3.2). Firmware takes a SETACK under a
  // messageId of ours (local-broker answers every Bind so); a bound device has nothing to take
  // it for. The due retries of the reading go right behind it.
  auto ack = protocol::make_request_header(Method::SetAck, ns::kControlBind, reply_topic(),
                                           *settings_.key, now.wall);
  ack.trigger_src = "CloudControl";
  outbox_.publish(device_subscribe_topic(), protocol::serialize(ack, "{}"));
  spdlog::debug("{}: no answer since its link came back: acknowledging a Bind it may have sent",
                label_);
}

std::string DeviceSession::request(protocol::Method method, std::string_view ns,
                                   std::string payload_json, Now now) {
  return send(method, ns, std::move(payload_json), Purpose::External, now);
}

std::string DeviceSession::send(Method method, std::string_view ns, std::string payload,
                                Purpose purpose, Now now) {
  std::string id = protocol::new_message_id();
  Pending p{method, std::string(ns), std::move(payload), purpose, 1, now.mono, {}, sent_++, {}};
  // A command is executed in time or not at all: never later than command_max_age after it was
  // asked for. Reads (GETs) may be retried as usual.
  if (method == Method::Set && purpose == Purpose::External) {
    p.expires = now.mono + settings_.command_max_age;
  }
  ++counters_.requests_sent;
  if (take_slot(p)) {
    transmit(id, p, now);
    p.deadline = now.mono + settings_.request_timeout;
    spdlog::debug("{}: {} {} sent", label_, protocol::to_string(method), ns);
  } else {
    p.waiting = true;
    p.deadline = TimePoint::max();
    settings_.request_window->wait(RequestWindow::Ticket{settings_.uuid, id});
    spdlog::debug("{}: {} {} waits for its turn", label_, protocol::to_string(method), ns);
  }
  pending_.emplace(id, std::move(p));
  return id;
}

bool DeviceSession::take_slot(Pending& p) {
  RequestWindow* window = settings_.request_window;
  if (window == nullptr) return true;
  if (p.expires) {  // a command: now or never
    p.slot = window->take();
    return true;
  }
  auto slot = window->try_take();
  if (!slot) return false;
  p.slot = std::move(*slot);
  return true;
}

bool DeviceSession::send_waiting(const std::string& message_id, RequestWindow::Slot slot, Now now) {
  const auto it = pending_.find(message_id);
  if (it == pending_.end() || !it->second.waiting) return false;
  Pending& p = it->second;
  p.waiting = false;
  p.slot = std::move(slot);
  p.first_sent = now.mono;
  p.deadline = now.mono + settings_.request_timeout;
  transmit(message_id, p, now);
  spdlog::debug("{}: {} {} sent after waiting its turn", label_, protocol::to_string(p.method),
                p.ns);
  return true;
}

void DeviceSession::transmit(const std::string& message_id, const Pending& pending, Now now) {
  // Every attempt is signed afresh (devices may refuse stale timestamps) but keeps its messageId,
  // so a late answer to an earlier attempt still matches.
  const auto header = protocol::make_request_header(pending.method, pending.ns, reply_topic(),
                                                    *settings_.key, now.wall, message_id);
  TimePoint until = now.mono + settings_.request_timeout;
  if (pending.expires) until = std::min(until, *pending.expires);
  outbox_.publish_until(device_subscribe_topic(), protocol::serialize(header, pending.payload),
                        until);
}

std::vector<std::string> DeviceSession::pending_in_order(TimePoint due_by) const {
  // pending_ is ordered by the random messageIds; `order` is the order of first attempts.
  std::vector<std::pair<std::uint64_t, std::string>> due;
  for (const auto& [id, p] : pending_) {
    if (!p.waiting && p.deadline <= due_by) due.emplace_back(p.order, id);
  }
  std::sort(due.begin(), due.end());
  std::vector<std::string> ids;
  ids.reserve(due.size());
  for (auto& entry : due)
    ids.push_back(std::move(entry.second));
  return ids;
}

void DeviceSession::resend_pending(Now now) {
  const auto ids = pending_in_order(TimePoint::max());
  for (const auto& id : ids) {
    auto& p = pending_.at(id);
    if (p.expires && *p.expires <= now.mono) continue;  // a command too old to execute now
    transmit(id, p, now);
    p.deadline = now.mono + settings_.request_timeout;
  }
  if (!ids.empty()) spdlog::debug("{}: {} pending requests sent again", label_, ids.size());
}

bool DeviceSession::has_pending(std::string_view ns, Purpose purpose) const {
  return std::any_of(pending_.begin(), pending_.end(), [&](const auto& entry) {
    return entry.second.ns == ns && entry.second.purpose == purpose;
  });
}

void DeviceSession::handle_reply(const protocol::Message& message, Now now) {
  const auto& h = message.header;
  const auto it = pending_.find(h.message_id);
  if (it == pending_.end() || it->second.ns != h.ns) return;  // handle() took care of those
  const Pending pending = std::move(it->second);
  pending_.erase(it);

  if (h.method == Method::Error) {
    handle_error(message, &pending, now);
    if (pending.purpose == Purpose::Discovery) {
      if (pending.ns == ns::kSystemAbility) got_ability_ = true;
      if (pending.ns == ns::kSystemAll) discovering_ = false;
      maybe_profile_learned(now);
    }
    return;
  }
  if (pending.ns == ns::kSystemAbility && pending.purpose == Purpose::Discovery) {
    on_ability(message);
    maybe_profile_learned(now);
  } else if (pending.ns == ns::kSystemAll && pending.purpose != Purpose::External) {
    on_system_all(message, pending.purpose, now);
  } else if (pending.ns == ns::kSystemTime && pending.purpose == Purpose::TimeSet) {
    if (profile_) {
      profile_->timezone = sent_timezone_;
      profile_->time_rules = sent_time_rules_;
    }
    spdlog::info("{}: time zone set to {} ({} DST rules)", label_, sent_timezone_,
                 sent_time_rules_.size());
  }
}

void DeviceSession::handle_error(const protocol::Message& message, const Pending* pending,
                                 Now now) {
  ++counters_.device_errors;
  const auto& h = message.header;
  const protocol::JsonValue* error = protocol::find_member(message.payload(), "error");
  std::optional<std::int64_t> code;
  std::optional<std::string_view> detail;
  if (error) {
    code = protocol::int_member(*error, "code");
    detail = protocol::string_member(*error, "detail");
  }
  const std::string what =
      pending ? std::string(protocol::to_string(pending->method)) + " " + printable(h.ns, 64)
              : "a request (" + printable(h.ns, 64) + ")";
  if (code && *code == 5001) {
    ++counters_.key_refusals;
    if (listener_.key_refused(*this, what, now)) {
      return;  // reported once, and shown in Home Assistant
    }
    spdlog::error(
        "{}: refused {} with error 5001 (sign error): the key configured for this device is not "
        "the one it was paired with; set its key in [[devices]] or [meross] key",
        label_, what);
    return;
  }
  spdlog::warn("{}: answered {} with error {}{}{}", label_, what,
               code ? std::to_string(*code) : std::string("(no code)"), detail ? ": " : "",
               detail ? printable(*detail) : std::string());
}

void DeviceSession::on_ability(const protocol::Message& message) {
  got_ability_ = true;
  protocol::DeviceProfile scratch;
  if (auto error = protocol::apply_abilities(scratch, message.payload())) {
    spdlog::warn("{}: System.Ability answer not understood: {}", label_, error->describe());
    return;
  }
  abilities_ = settings_.ability_pool ? settings_.ability_pool->intern(std::move(scratch.abilities))
                                      : std::move(scratch.abilities);
  if (profile_) profile_->abilities = *abilities_;
}

void DeviceSession::on_system_all(const protocol::Message& message, Purpose purpose, Now now) {
  auto parsed = protocol::profile_from_system_all(message.payload());
  if (!parsed.ok()) {
    spdlog::warn("{}: System.All answer not understood: {}", label_, parsed.error().describe());
    if (purpose == Purpose::Discovery) discovering_ = false;
    return;
  }
  if (purpose == Purpose::Discovery || !profile_complete_) {
    profile_ = std::make_shared<protocol::DeviceProfile>(std::move(parsed).value());
    adopt_topic_uuid();
    if (abilities_) profile_->abilities = *abilities_;
    if (settings_.digest_pool && profile_->digest)
      profile_->digest = settings_.digest_pool->intern(*profile_->digest);
    got_all_ = true;
    maybe_profile_learned(now);
    return;
  }
  // A heartbeat or the daily check: keep the profile, refresh what changes on its own.
  profile_->timezone = parsed->timezone;
  profile_->time_rules = parsed->time_rules;
  profile_->firmware_version = parsed->firmware_version;
  profile_->inner_ip = parsed->inner_ip;
  if (purpose == Purpose::TimeCheck) check_time(now);
}

void DeviceSession::adopt_topic_uuid() {
  // Every topic of the device (its own, availability, states, discovery) is named by the uuid it
  // publishes under; a payload that names another one (a masked trace, odd firmware) must not
  // split the device in two.
  if (profile_->uuid != settings_.uuid) {
    spdlog::debug("{}: its payload names uuid {}; using the topic's", label_,
                  printable(profile_->uuid, 64));
    profile_->uuid = settings_.uuid;
  }
}

void DeviceSession::maybe_profile_learned(Now now) {
  if (!discovering_ || !got_all_ || !got_ability_) return;
  discovering_ = false;
  profile_complete_ = true;
  rediscover_at_.reset();
  rediscovery_backoff_ = {};
  spdlog::info("{}: profile learned: {} hw {} fw {}, {} abilities", label_, profile_->type,
               profile_->hardware_version, profile_->firmware_version, profile_->abilities.size());
  listener_.profile_learned(*this);
  check_time(now);
}

void DeviceSession::check_time(Now now) {
  next_time_check_ = now.mono + settings_.time_check_interval;
  if (settings_.timezone.empty() || !profile_ || has_pending(ns::kSystemTime, Purpose::TimeSet))
    return;
  const auto& zone = settings_.timezone;
  auto agreement =
      protocol::check_time_rules(zone, profile_->timezone, profile_->time_rules, now.wall);
  if (!agreement.ok()) {
    spdlog::warn("{}: cannot check its time zone: {}", label_, agreement.error().describe());
    return;
  }
  if (agreement->agrees) {
    spdlog::debug("{}: time zone {} and DST rules are right", label_, zone);
    return;
  }
  auto rules = protocol::build_time_rules(zone, now.wall);
  if (!rules.ok()) {
    spdlog::warn("{}: cannot build DST rules: {}", label_, rules.error().describe());
    return;
  }
  spdlog::info("{}: time zone needs setting to {} ({})", label_, zone, agreement->reason);
  sent_timezone_ = zone;
  sent_time_rules_ = std::move(rules).value();
  send(Method::Set, ns::kSystemTime, protocol::time_set_payload(zone, sent_time_rules_),
       Purpose::TimeSet, now);
}

void DeviceSession::tick(Now now) {
  if (resync_at_ && *resync_at_ <= now.mono) {
    resync_at_.reset();
    resync(now);
  }
  if (rediscover_at_ && *rediscover_at_ <= now.mono) {
    rediscover_at_.reset();
    if (online() && !profile_complete_) start_discovery(now);
  }
  // Before the retries, which the device takes only once bound.
  if (bind_check_at_ && *bind_check_at_ <= now.mono) {
    bind_check_at_.reset();
    acknowledge_unheard_bind(now);
  }
  // Deadlines: retry, or give up. Retries go out in the order of the first attempts: a command's
  // SET must reach the device before the GET that reads its effect back (pending_ is ordered by
  // the random messageIds).
  std::vector<std::string> expired;
  for (const auto& id : pending_in_order(now.mono)) {
    auto& p = pending_.find(id)->second;
    const bool too_old = p.expires && *p.expires <= now.mono;
    if (p.attempts < settings_.max_attempts && !too_old) {
      ++p.attempts;
      ++counters_.request_retries;
      p.deadline = now.mono + settings_.request_timeout;
      // A retry holds no slot: a device that does not answer keeps one for a timeout at most.
      p.slot.release();
      spdlog::debug("{}: no answer to {} {}, attempt {}", label_, protocol::to_string(p.method),
                    p.ns, p.attempts);
      transmit(id, p, now);
    } else {
      expired.push_back(id);
    }
  }
  for (const auto& id : expired) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // cleared when the device went offline
    const Pending p = std::move(it->second);
    pending_.erase(it);
    on_request_failed(id, p, now);
  }

  // Silence: one GET System.All, then offline if that goes unanswered (on_request_failed).
  if (online() && !heartbeat_sent_ && now.mono - last_heard_ >= settings_.availability_timeout) {
    heartbeat_sent_ = true;
    spdlog::debug("{}: silent for {}, probing", label_,
                  format_duration(settings_.availability_timeout));
    send(Method::Get, ns::kSystemAll, R"({"all":{}})", Purpose::Heartbeat, now);
  }

  if (next_time_check_ && *next_time_check_ <= now.mono) {
    next_time_check_.reset();
    if (online() && !settings_.timezone.empty()) {
      send(Method::Get, ns::kSystemAll, R"({"all":{}})", Purpose::TimeCheck, now);
    } else {
      next_time_check_ = now.mono + settings_.time_check_interval;
    }
  }
}

void DeviceSession::on_request_failed(const std::string&, const Pending& p, Now now) {
  ++counters_.request_failures;
  ++unanswered_;
  if (p.expires && *p.expires <= now.mono && p.attempts < settings_.max_attempts) {
    spdlog::warn(
        "{}: no answer to {} {} after {} attempts; not sent again: a command is never executed "
        "later than {} after it was given (command_max_age)",
        label_, protocol::to_string(p.method), p.ns, p.attempts,
        format_duration(settings_.command_max_age));
  } else {
    spdlog::warn("{}: no answer to {} {} after {} attempts", label_, protocol::to_string(p.method),
                 p.ns, p.attempts);
  }
  if (p.purpose == Purpose::TimeSet) {
    // Try again sooner than the daily check.
    next_time_check_ =
        now.mono + std::min<Duration>(settings_.time_check_interval, std::chrono::hours(1));
  }
  // Silent since the request went out: the device is gone.
  if (last_heard_ <= p.first_sent && availability_ == Availability::Online) {
    set_availability(Availability::Offline);
    spdlog::warn(
        "{}: offline (silent since {})", label_,
        format_duration(std::chrono::duration_cast<Duration>(now.mono - last_heard_)) + " ago");
    // Nothing else to wait for from a device that is gone; it is read again when it is back.
    pending_.clear();
    discovering_ = false;
    rediscover_at_.reset();
    return;
  }
  if (p.purpose == Purpose::Discovery) discovery_unanswered(p.ns, now);
}

void DeviceSession::discovery_unanswered(std::string_view what, Now now) {
  if (profile_complete_) {
    // A re-read after a reconnect: the abilities learned before still stand.
    if (what == ns::kSystemAbility) {
      got_ability_ = true;
      maybe_profile_learned(now);
    } else {
      discovering_ = false;
    }
    return;
  }
  // The device speaks but its answers do not reach us (or our requests not it): a broker queue
  // that overflowed, a bridge that fell behind. Ask again later rather than never.
  discovering_ = false;
  if (rediscover_at_ && *rediscover_at_ > now.mono) return;  // the other request of the round
  const Duration first = settings_.request_timeout * settings_.max_attempts;
  rediscovery_backoff_ =
      rediscovery_backoff_ == Duration{}
          ? first
          : std::min(rediscovery_backoff_ * 2, settings_.rediscovery_backoff_max);
  rediscover_at_ = now.mono + rediscovery_backoff_;
  ++counters_.rediscoveries;
  spdlog::warn("{}: not discovered ({} unanswered); asking again in {}", label_,
               printable(what, 64), format_duration(rediscovery_backoff_));
}

std::optional<TimePoint> DeviceSession::next_wakeup() const {
  std::optional<TimePoint> next;
  const auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, p] : pending_) {
    if (!p.waiting) consider(p.deadline);
  }
  if (online() && !heartbeat_sent_) consider(last_heard_ + settings_.availability_timeout);
  if (next_time_check_) consider(*next_time_check_);
  if (resync_at_) consider(*resync_at_);
  if (rediscover_at_) consider(*rediscover_at_);
  if (bind_check_at_) consider(*bind_check_at_);
  return next;
}

}  // namespace meross::bridge
