#include "bridge/home_assistant.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "bridge/logging.hpp"
#include "discovery/topics.hpp"
#include "protocol/json.hpp"
#include "protocol/namespaces.hpp"

namespace meross::bridge {
namespace {

using protocol::Method;

namespace ns = meross::protocol::ns;

// Entity states go out at QoS 0: a PUBACK for each would cost the bridge three more system calls
// per state (issue 19's profile: the kernel is half of its time per PUSH), and QoS 1 would save
// nothing: every state is published again after a reconnect (republish_all), and a state lost
// with the connection is stale by then anyway. Discovery documents and availability keep QoS 1.
constexpr int kStateQos = 0;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Publication to_bridge(const discovery::Publication& p) {
  return Publication{p.topic, p.payload, p.retain, p.qos};
}

}  // namespace

// The owner of one of our discovery topics: "" for the bridge, the lower-case uuid of a device,
// nullopt when the topic is not one we would publish.
std::optional<std::string> discovery_topic_owner(std::string_view topic,
                                                 const discovery::Options& options) {
  const std::string prefix = options.discovery_prefix + "/";
  if (!topic.starts_with(prefix) || !topic.ends_with("/config")) return std::nullopt;
  std::string_view rest = topic.substr(prefix.size());
  rest.remove_suffix(std::string_view("/config").size());
  std::vector<std::string_view> parts;
  while (true) {
    const auto slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string_view node;
  if (parts.size() == 2 && parts[0] == "device") {
    node = parts[1];
  } else if (parts.size() == 3) {
    node = parts[1];
  } else {
    return std::nullopt;
  }
  if (node == options.bridge_id) return std::string();
  constexpr std::string_view kNodePrefix = "meross_";
  if (!node.starts_with(kNodePrefix) || node.size() == kNodePrefix.size()) return std::nullopt;
  // meross_<uuid>_<sub id>: a hub's sub-device belongs to the hub (a uuid has no '_').
  node.remove_prefix(kNodePrefix.size());
  return std::string(node.substr(0, node.find('_')));
}

HomeAssistantSettings HomeAssistantSettings::from_config(const Config& config, std::uint64_t seed) {
  HomeAssistantSettings s;
  s.discovery.discovery_prefix = config.discovery_prefix;
  s.discovery.base_topic = config.base_topic;
  s.discovery.device_discovery = !config.per_component_discovery;
  if (!config.cluster.instance.empty()) {
    // Each instance of a cluster is a bridge device of its own, with its own diagnostics.
    s.discovery.instance = config.cluster.instance;
    s.discovery.bridge_id += "_" + discovery::sanitize_id(config.cluster.instance);
    s.discovery.bridge_name += " " + config.cluster.instance;
  }
  s.republish_delay = config.republish_delay;
  s.seed = seed;
  return s;
}

HomeAssistant::HomeAssistant(const Config& config, HomeAssistantSettings settings,
                             HomeAssistantIo& io)
    : config_(config), settings_(std::move(settings)), io_(io), random_(settings_.seed) {}

std::vector<std::string> HomeAssistant::subscriptions() const {
  return {settings_.discovery.base_topic + "/+/+/set",
          settings_.discovery.discovery_prefix + "/status"};
}

HomeAssistant::Device& HomeAssistant::device(const std::string& uuid) {
  auto& d = devices_[lower(uuid)];
  if (d.uuid.empty()) {
    d.uuid = uuid;
    if (const auto* configured = config_.device(lower(uuid))) d.name = configured->name;
  }
  return d;
}

HomeAssistant::Device* HomeAssistant::find(const std::string& uuid) {
  const auto it = devices_.find(lower(uuid));
  return it == devices_.end() ? nullptr : &it->second;
}

PollIntervals HomeAssistant::intervals_for(const std::string& uuid) const {
  PollIntervals intervals;
  intervals.electricity = config_.electricity;
  intervals.consumption = config_.consumption;
  if (const auto* d = config_.device(lower(uuid))) {
    if (d->electricity) intervals.electricity = *d->electricity;
    if (d->consumption) intervals.consumption = *d->consumption;
  }
  intervals.slow = std::chrono::seconds(mapping::default_interval_seconds(mapping::PollKind::Slow));
  return intervals;
}

// --- connection, read-back, re-publication -------------------------------------------------

void HomeAssistant::on_connected(Now now) {
  if (!readback_done_) {
    start_readback(now);
    return;
  }
  // The broker may have lost its retained messages (restarted without persistence).
  republish_all();
}

void HomeAssistant::start_readback(Now now) {
  readback_active_ = true;
  readback_deadline_ = now.mono + settings_.readback_timeout;
  readback_marker_ = settings_.discovery.base_topic + "/bridge/readback/" +
                     std::to_string(random_() % 1000000000000ull);
  for (const auto& filter : discovery::readback_filters(settings_.discovery))
    io_.subscribe(filter);
  io_.subscribe(readback_marker_);
  // Retained messages are delivered on subscribing, before anything published after it: when
  // the marker comes back, every retained document has arrived.
  io_.publish(Publication{readback_marker_, "done", false, 1});
  spdlog::debug("reading back our retained discovery documents");
}

void HomeAssistant::finish_readback(Now now) {
  readback_active_ = false;
  readback_done_ = true;
  for (const auto& filter : discovery::readback_filters(settings_.discovery))
    io_.unsubscribe(filter);
  io_.unsubscribe(readback_marker_);
  std::size_t documents = 0;
  for (const auto& [owner, topics] : retained_)
    documents += topics.size();
  spdlog::info("home assistant: {} retained discovery documents of ours found", documents);

  // Devices the configuration now excludes: remove them from Home Assistant.
  for (auto it = retained_.begin(); it != retained_.end();) {
    if (!it->first.empty() && config_.excluded(it->first)) {
      spdlog::info("{}: excluded by the configuration, removing it from Home Assistant", it->first);
      for (const auto& [topic, summary] : it->second)
        io_.publish(Publication{topic, "", true, 1});
      it = retained_.erase(it);
    } else {
      ++it;
    }
  }
  publish_bridge_discovery();
  for (auto& [id, d] : devices_) {
    if (d.profile) {
      publish_discovery(d, true);
      publish_states(d);
    }
  }
  publish_diagnostics();

  // Devices known from earlier runs or from the configuration: ask them to answer now rather
  // than waiting until they speak (a bound device may stay quiet for a long time).
  std::set<std::string> known;
  for (const auto& [id, uuid] : spelled_)
    if (retained_.count(id) > 0) known.insert(uuid);
  for (const auto& d : config_.devices)
    known.insert(d.uuid);
  // Spread by uuid like the polls, so a restart with many devices is no burst.
  for (const auto& uuid : known) {
    probes_.emplace_back(now.mono + poll_offset(uuid, "probe", settings_.probe_spread), uuid);
  }
}

void HomeAssistant::publish_documents(const std::string& owner,
                                      const std::vector<discovery::Publication>& docs) {
  auto& held = retained_[owner];
  discovery::Summaries previous;
  for (const auto& [topic, summary] : held)
    previous.emplace(topic, *summary);
  const auto removed = discovery::removals(previous, docs);
  for (const auto& r : removed) {
    spdlog::info("home assistant: removing {} ({})", r.topic,
                 r.payload.empty() ? "no longer announced" : "components dropped");
    io_.publish(to_bridge(r));
    if (r.payload.empty()) held.erase(r.topic);
  }
  for (const auto& doc : docs) {
    io_.publish(to_bridge(doc));
    // An empty document removes its topic: nothing left to remember.
    if (doc.payload.empty()) {
      held.erase(doc.topic);
    } else {
      hold(held, doc);
    }
  }
}

void HomeAssistant::hold(HeldDocuments& held, const discovery::Publication& doc) {
  held[doc.topic] = summaries_.intern(discovery::summarize(doc, settings_.discovery));
}

void HomeAssistant::publish_bridge_discovery() {
  publish_documents("", discovery::bridge_config(settings_.discovery));
}

void HomeAssistant::publish_discovery(Device& d, bool again) {
  if (!d.profile || !readback_done_) return;
  auto docs = discovery::device_config(*d.profile, entities_of(d), settings_.discovery, d.name,
                                       d.state().sub_devices);
  // A setting's range arriving with its first answer asks for new entities, which are most often
  // the same ones: Home Assistant is told only what changed (unless asked again, after its own
  // restart or the read-back).
  std::size_t digest = docs.size();
  for (const auto& doc : docs) {
    digest = digest * 1099511628211u ^ std::hash<std::string>{}(doc.topic);
    digest = digest * 1099511628211u ^ std::hash<std::string>{}(doc.payload);
  }
  if (!again && digest == d.discovery_digest) return;
  d.discovery_digest = digest;
  publish_documents(lower(d.uuid), docs);
}

void HomeAssistant::publish_states(const Device& d) {
  d.states.for_each([&](std::string_view key, std::string_view payload) {
    io_.publish(Publication{discovery::state_topic(settings_.discovery.base_topic, d.uuid, key),
                            std::string(payload), true, kStateQos});
  });
}

void HomeAssistant::publish_diagnostics() {
  const BridgeStats stats = io_.stats();
  const auto& base = settings_.discovery.base_topic;
  const auto& instance = settings_.discovery.instance;
  std::vector<std::pair<std::string_view, std::uint64_t>> values{
      {discovery::kBridgeDevicesOnline, stats.devices_online},
      {discovery::kBridgeMessagesHandled, stats.messages_handled},
      {discovery::kBridgeSignatureFailures, stats.signature_failures},
      {discovery::kBridgeMalformed, stats.malformed},
      {discovery::kBridgeReplays, stats.replays},
      {discovery::kBridgeUnknownNamespaces, stats.unknown_namespaces},
      {discovery::kBridgeIgnored, stats.ignored},
      {discovery::kBridgeRequestFailures, stats.request_failures},
      {discovery::kBridgeUnreadableStates, counters_.state_errors},
      {discovery::kBridgeRejectedCommands, counters_.commands_rejected + stats.late_commands},
      {discovery::kBridgeRefusedDevices, stats.refused_devices},
      {discovery::kBridgeDroppedPublications, stats.dropped_publications}};
  if (!instance.empty()) values.emplace_back(discovery::kBridgeNotOwned, stats.not_owned);
  for (const auto& [key, value] : values) {
    io_.publish(Publication{discovery::bridge_state_topic(base, key, instance),
                            std::to_string(value), true, 1});
  }
  last_stats_ = stats;
}

void HomeAssistant::republish_all() {
  ++counters_.republished;
  io_.announce_availability();
  publish_bridge_discovery();
  for (auto& [id, d] : devices_) {
    if (!d.profile) continue;
    publish_discovery(d, true);
    publish_states(d);
  }
  publish_diagnostics();
}

// --- MQTT messages ---------------------------------------------------------------------------

bool HomeAssistant::on_message(std::string_view topic, std::string_view payload, bool retained,
                               Now now) {
  if (readback_active_ && topic == readback_marker_) {
    finish_readback(now);
    return true;
  }
  if (const auto owner = discovery_topic_owner(topic, settings_.discovery)) {
    if (!readback_active_) return true;  // our own documents echoed back: nothing to do
    discovery::Publication doc{std::string(topic), std::string(payload), true, 1};
    if (discovery::is_ours(doc, settings_.discovery)) {
      hold(retained_[lower(*owner)], doc);
      if (!owner->empty()) spelled_[lower(*owner)] = *owner;
    }
    return true;
  }
  if (readback_active_ && topic.starts_with(settings_.discovery.discovery_prefix + "/") &&
      topic.ends_with("/config")) {
    return true;  // someone else's document, seen through the read-back filters
  }
  if (topic == settings_.discovery.discovery_prefix + "/status") {
    if (payload == "online") {
      const auto max = std::max<Duration>(settings_.republish_delay, Duration(0));
      const auto min = max / 5;
      std::uniform_int_distribution<Duration::rep> pick(min.count(), max.count());
      const Duration delay(pick(random_));
      republish_at_ = now.mono + delay;
      spdlog::info("home assistant is online: re-publishing discovery and states in {}",
                   format_duration(delay));
    } else {
      spdlog::info("home assistant status: {}", printable(payload));
    }
    return true;
  }
  const auto target = discovery::parse_command_topic(settings_.discovery.base_topic, topic);
  if (!target.uuid.empty()) {
    handle_command(target.uuid, target.key, payload, retained, now);
    return true;
  }
  return false;
}

void HomeAssistant::reject(const std::string& where, const std::string& what, Now now) {
  // Every rejection is counted (the bridge's "Rejected commands" sensor); lines are bounded per
  // entity and overall, for a client allowed on the broker may still send a flood.
  ++counters_.commands_rejected;
  // The user who just sent it sees the counter move now, not at the next diagnostics round.
  const auto soon = now.mono + std::chrono::seconds(1);
  if (!next_diagnostics_ || *next_diagnostics_ > soon) next_diagnostics_ = soon;
  const auto held = limiter_.allow("command:" + where, now.mono);
  if (!held) return;
  if (*held > 0) {
    spdlog::warn("{} ({} more rejected commands like this in the last {})", what, *held,
                 format_duration(limiter_.interval()));
  } else {
    spdlog::warn("{}", what);
  }
}

void HomeAssistant::handle_command(const std::string& uuid, const std::string& key,
                                   std::string_view payload, bool retained, Now now) {
  const std::string where = printable(uuid) + "/" + printable(key);
  if (retained) {
    reject(where,
           "command on " + where +
               " ignored: it is retained (commands are never retained; clear it with an empty "
               "retained message)",
           now);
    return;
  }
  if (payload.empty()) {
    spdlog::debug("empty command on {} ignored", where);
    return;
  }
  Device* d = find(uuid);
  if (!d || !d->profile) {
    reject(where, "command on " + where + " rejected: no such device known", now);
    return;
  }
  const auto plan = mapping::command_to_request(*d->profile, d->state(), key, payload);
  if (!plan.ok()) {
    reject(
        where,
        "command " + printable(payload) + " on " + where + " rejected: " + plan.error().describe(),
        now);
    return;
  }
  ++counters_.commands;
  spdlog::debug("command {} on {}: {} requests", printable(payload), where, plan->size());
  for (const auto& request : *plan) {
    if (!io_.request(d->uuid, request.method, request.ns, request.payload_json, now)) {
      reject(where, "command on " + where + " not sent: the device has no session", now);
      return;
    }
  }
  // Power follows a switch: read it soon rather than at the next poll.
  poller_.refresh(lower(d->uuid), mapping::PollKind::Electricity,
                  now.mono + settings_.refresh_after_command);
}

// --- device events ---------------------------------------------------------------------------

void HomeAssistant::on_profile(const std::string& uuid, const protocol::DeviceProfile& profile,
                               Now now) {
  on_profile(uuid, std::make_shared<const protocol::DeviceProfile>(profile), now);
}

void HomeAssistant::on_profile(const std::string& uuid,
                               std::shared_ptr<const protocol::DeviceProfile> shared, Now now) {
  if (!shared) return;
  Device& d = device(uuid);
  const bool first = !d.profile;
  d.profile = std::move(shared);
  const auto& profile = *d.profile;
  if (!d.unmapped_logged) {
    d.unmapped_logged = true;
    const auto unmapped = mapping::unmapped_abilities(profile);
    if (!unmapped.empty()) {
      std::string list;
      for (const auto& ns : unmapped)
        list += (list.empty() ? "" : ", ") + ns;
      spdlog::debug("{}: abilities not mapped to entities (ignored): {}", uuid, list);
    }
  }
  // System.All's digest comes first: it tells a hub's sub-devices, hence the entities.
  std::vector<mapping::StateUpdate> updates;
  if (d.early_all) {
    const std::string text = std::move(*d.early_all);
    d.early_all.reset();
    auto batch = states_from(d, ns::kSystemAll, Method::GetAck, text, now);
    if (understood(d, ns::kSystemAll, Method::GetAck, batch, now))
      updates = std::move(batch->updates);
  }
  if (first) {
    spdlog::info("{}: {} entities for Home Assistant", uuid, entities_of(d).size());
  }
  publish_discovery(d);
  for (const auto& u : updates) {
    d.states.set(u.entity_key, u.payload);
    io_.publish(
        Publication{discovery::state_topic(settings_.discovery.base_topic, d.uuid, u.entity_key),
                    u.payload, true, kStateQos});
  }
  poller_.start(lower(uuid), mapping::polls_for(profile, d.state()), intervals_for(uuid), now.mono);
}

bool HomeAssistant::understood(const Device& d, std::string_view ns, Method method,
                               const protocol::Result<mapping::StateBatch>& batch, Now now) {
  if (!batch.ok()) {
    ++counters_.state_errors;
    if (limiter_.allow("state:" + lower(d.uuid), now.mono)) {
      spdlog::warn("{}: {} {} not understood: {}", d.uuid, protocol::to_string(method),
                   printable(ns), batch.error().describe());
    }
    return false;
  }
  if (!batch->dropped.empty()) {
    // Part of the message was left out (a bad item of a hub's list); the rest is published.
    ++counters_.state_errors;
    if (limiter_.allow("state:" + lower(d.uuid), now.mono)) {
      spdlog::warn("{}: {} {}: left out {}", d.uuid, protocol::to_string(method), printable(ns),
                   batch->dropped.front().describe());
    }
  }
  return true;
}

void HomeAssistant::apply(Device& d, std::string_view ns, Method method,
                          const protocol::JsonValue& payload, Now now) {
  auto batch = states_from(d, ns, method, payload, now);
  if (!understood(d, ns, method, batch, now)) return;
  for (const auto& u : batch->updates) {
    d.states.set(u.entity_key, u.payload);
    io_.publish(
        Publication{discovery::state_topic(settings_.discovery.base_topic, d.uuid, u.entity_key),
                    u.payload, true, kStateQos});
  }
  if (batch->entities_changed) {
    publish_discovery(d);
    // A hub's polls name its sub-devices: restart them when those changed (not when only a
    // setting's range did, which would ask the first round again).
    auto polls = mapping::polls_for(*d.profile, d.state());
    if (!poller_.polls(lower(d.uuid), polls)) {
      poller_.start(lower(d.uuid), polls, intervals_for(d.uuid), now.mono);
    }
  } else if (batch->polls_changed) {
    // A cover started or stopped travelling: its fast polls start afresh or end.
    poller_.update(lower(d.uuid), mapping::polls_for(*d.profile, d.state()), intervals_for(d.uuid),
                   now.mono);
  }
}

void HomeAssistant::on_device_message(const std::string& uuid, const protocol::Message& message,
                                      Now now) {
  const auto& h = message.header;
  if (h.method == Method::Error || h.method == Method::Get || h.method == Method::Set) return;
  Device& d = device(uuid);
  if (!d.profile) {
    if (h.ns == ns::kSystemAll && h.method == Method::GetAck) {
      d.early_all = protocol::to_json(message.payload());
    }
    return;
  }
  apply(d, h.ns, h.method, message.payload(), now);
}

void HomeAssistant::profile_learned(const DeviceSession& s) {
  on_profile(s.uuid(), s.profile(), Now::current());
}

void HomeAssistant::device_message(const DeviceSession& s, const protocol::Message& m) {
  on_device_message(s.uuid(), m, Now::current());
}

void HomeAssistant::availability_changed(const DeviceSession& s, bool online) {
  on_availability(s.uuid(), online, Now::current());
}

void HomeAssistant::forgotten(const DeviceSession& s) {
  // A new device dropped before it was discovered, or one another instance of the cluster owns
  // now: nothing of it stays here either (its retained documents stay, for the owner).
  poller_.stop(lower(s.uuid()));
  devices_.erase(lower(s.uuid()));
}

void HomeAssistant::on_availability(const std::string& uuid, bool online, Now now) {
  (void)now;
  if (!online) poller_.stop(lower(uuid));
  publish_diagnostics();
}

void HomeAssistant::tick(Now now) {
  if (readback_active_ && now.mono >= readback_deadline_) {
    spdlog::warn("home assistant: the read-back of retained discovery documents timed out");
    finish_readback(now);
  }
  if (republish_at_ && now.mono >= *republish_at_) {
    republish_at_.reset();
    if (readback_done_) republish_all();
  }
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (it->first > now.mono) {
      ++it;
      continue;
    }
    const Device* d = find(it->second);
    if (!d || !d->profile) io_.probe(it->second, now);
    it = probes_.erase(it);
  }
  for (const auto& [id, poll] : poller_.due(now.mono)) {
    const Device* d = find(id);
    if (!d) continue;
    io_.request(d->uuid, Method::Get, poll.ns, poll.payload_json, now);
  }
  if (!next_diagnostics_ || now.mono >= *next_diagnostics_) {
    next_diagnostics_ = now.mono + settings_.diagnostics_interval;
    if (readback_done_) publish_diagnostics();
  }
}

std::string HomeAssistant::last_state(const std::string& uuid, const std::string& key) const {
  const auto it = devices_.find(lower(uuid));
  if (it == devices_.end()) return {};
  return std::string(it->second.states.get(key).value_or(std::string_view()));
}

std::vector<mapping::Entity> HomeAssistant::entities(const std::string& uuid) const {
  const auto it = devices_.find(lower(uuid));
  return it == devices_.end() ? std::vector<mapping::Entity>{} : entities_of(it->second);
}

std::vector<mapping::SubDevice> HomeAssistant::sub_devices(const std::string& uuid) const {
  const auto it = devices_.find(lower(uuid));
  return it == devices_.end() ? std::vector<mapping::SubDevice>{} : it->second.state().sub_devices;
}

std::shared_ptr<const protocol::DeviceProfile> HomeAssistant::profile(
    const std::string& uuid) const {
  const auto it = devices_.find(lower(uuid));
  return it == devices_.end() ? nullptr : it->second.profile;
}

bool HomeAssistant::has_memory(const std::string& uuid) const {
  const auto it = devices_.find(lower(uuid));
  return it != devices_.end() && it->second.memory != nullptr;
}

std::string HomeAssistant::name(const std::string& uuid) const {
  const auto it = devices_.find(lower(uuid));
  if (it != devices_.end()) return it->second.name;
  const auto* configured = config_.device(lower(uuid));
  return configured ? configured->name : std::string();
}

void HomeAssistant::rename(const std::string& uuid, const std::string& name) {
  Device& d = device(uuid);
  if (d.name == name) return;
  d.name = name;
  publish_discovery(d);
}

const mapping::DeviceState& HomeAssistant::Device::state() const {
  static const mapping::DeviceState kNothing;
  return memory ? *memory : kNothing;
}

std::vector<mapping::Entity> HomeAssistant::entities_of(const Device& d) {
  return d.profile ? mapping::entities_for(*d.profile, d.state()) : std::vector<mapping::Entity>{};
}

}  // namespace meross::bridge
