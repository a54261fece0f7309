#include "web/collect.hpp"

#include <algorithm>
#include <charconv>

#include "bridge/mqtt_link.hpp"
#include "mapping/mapping.hpp"

namespace meross::web {
namespace {

// Unmapped abilities named on the page; the rest are counted.
constexpr std::size_t kUnmappedShown = 4;

std::optional<int> signal_of(const std::string& state) {
  int value = 0;
  const auto [end, ec] = std::from_chars(state.data(), state.data() + state.size(), value);
  if (ec != std::errc() || end != state.data() + state.size()) return std::nullopt;
  return value;
}

std::vector<std::string> problems_of(const bridge::DeviceSession& s,
                                     const bridge::DeviceRegistry& registry) {
  std::vector<std::string> out;
  std::string id = s.uuid();
  std::transform(id.begin(), id.end(), id.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (const auto it = registry.key_mismatches().find(id); it != registry.key_mismatches().end()) {
    out.push_back("signs with another key than the configured one (" + it->second.source + ")");
  }
  if (const auto n = s.unanswered_requests()) {
    out.push_back(std::to_string(n) + (n == 1 ? " request" : " requests") + " went unanswered");
  }
  if (s.profile() && s.profile_complete()) {
    const auto unmapped = mapping::unmapped_abilities(*s.profile());
    if (!unmapped.empty()) {
      std::string text = "not mapped: ";
      for (std::size_t i = 0; i < unmapped.size() && i < kUnmappedShown; ++i)
        text += (i ? ", " : "") + unmapped[i];
      if (unmapped.size() > kUnmappedShown) {
        text += " and " + std::to_string(unmapped.size() - kUnmappedShown) + " more";
      }
      out.push_back(std::move(text));
    }
  }
  return out;
}

}  // namespace

std::vector<DeviceRow> collect_devices(const bridge::DeviceRegistry& registry,
                                       const bridge::HomeAssistant& ha, bridge::Now now) {
  std::vector<DeviceRow> rows;
  for (const bridge::DeviceSession* s : registry.sessions()) {
    DeviceRow row;
    row.uuid = s->uuid();
    row.name = ha.name(s->uuid());
    if (const auto& profile = s->profile()) {
      row.model = profile->type;
      row.firmware = profile->firmware_version;
      row.ip = profile->inner_ip;
    }
    row.online = s->online();
    if (s->availability() != bridge::DeviceSession::Availability::Unknown) {
      row.last_seen =
          now.wall -
          std::chrono::duration_cast<std::chrono::seconds>(now.mono - s->last_heard()).count();
    }
    row.signal = signal_of(ha.last_state(s->uuid(), "signal"));
    row.bind_acknowledged = s->bind_acknowledged();
    row.problems = problems_of(*s, registry);
    const auto entities = ha.entities(s->uuid());
    for (const auto& e : entities) {
      if (!e.sub_device.empty()) continue;
      ++row.entities;
      // The device's own switches (relays), not its settings (a DND light is a config switch).
      if (e.component == mapping::Component::Switch && e.category == mapping::Category::None) {
        row.switches.push_back(SwitchState{e.key, ha.last_state(s->uuid(), e.key)});
      }
    }
    const auto subs = ha.sub_devices(s->uuid());
    rows.push_back(std::move(row));
    for (const auto& sub : subs) {
      DeviceRow child;
      child.uuid = sub.id;
      child.hub = s->uuid();
      child.model = sub.model;
      child.online =
          s->online() &&
          ha.last_state(s->uuid(), mapping::sub_device_availability_key(sub.id)) == "online";
      child.last_seen = rows.back().last_seen;
      child.entities = static_cast<std::size_t>(std::count_if(
          entities.begin(), entities.end(), [&](const auto& e) { return e.sub_device == sub.id; }));
      rows.push_back(std::move(child));
    }
  }
  return rows;
}

BridgeRow collect_bridge(bridge::Daemon& daemon, const bridge::HomeAssistant& ha,
                         std::int64_t started, std::uint64_t web_rejected) {
  BridgeRow b;
  b.version = MEROSS_VERSION;
  b.started = started;
  const auto& config = daemon.config();
  const bool two = config.device_broker.has_value();
  b.links.push_back(LinkRow{two ? "Home Assistant" : "Home Assistant and devices",
                            bridge::to_string(config.mqtt.broker), daemon.ha_link().connected()});
  if (const auto* devices = daemon.device_link()) {
    b.links.push_back(
        LinkRow{"devices", bridge::to_string(config.device_broker->broker), devices->connected()});
  }
  const auto& registry = daemon.registry();
  const auto& c = registry.counters();
  b.devices = registry.sessions().size();
  b.devices_online = registry.devices_online();
  b.counters = {
      {"messages", c.messages_handled},
      {"malformed", c.malformed},
      {"signature_failures", c.signature_failures},
      {"dropped", c.replays + c.stale + c.misaddressed + c.ignored},
      {"unanswered", c.request_failures},
      {"waited", registry.request_window().waited()},
      {"publications_dropped", daemon.dropped_publications()},
      {"rediscoveries", c.rediscoveries},
      {"refused", c.admissions_refused},
      {"rejected", ha.counters().commands_rejected + daemon.late_commands()},
      {"web_rejected", web_rejected},
  };
  return b;
}

}  // namespace meross::web
