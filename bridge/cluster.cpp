#include "bridge/cluster.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "bridge/config.hpp"

namespace meross::bridge {
namespace {

constexpr std::string_view kAvailability = "/availability";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// FNV-1a, then SplitMix64's finalizer: FNV alone mixes the last bytes poorly, and uuids of one
// model differ mostly there.
// `fold_case`: over the lower-case bytes, so a uuid weighs the same however it is spelled, with
// no copy.
std::uint64_t fnv1a(std::uint64_t hash, std::string_view text, bool fold_case) {
  for (const unsigned char c : text) {
    hash ^= fold_case ? static_cast<unsigned char>(std::tolower(c)) : c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::uint64_t finalize(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t ownership_weight(std::string_view instance, std::string_view uuid) {
  std::uint64_t hash = fnv1a(14695981039346656037ull, instance, false);
  hash = fnv1a(hash ^ 0xff, uuid, true);  // a separator: ("ab","c") and ("a","bc") differ
  return finalize(hash);
}

std::string owner_of(std::string_view uuid, const std::set<std::string, std::less<>>& members) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const auto& member : members) {
    const auto weight = ownership_weight(member, uuid);
    // Members are visited in order: on a tie the smaller id, seen first, stays.
    if (!best || weight > best_weight) {
      best = &member;
      best_weight = weight;
    }
  }
  return best ? *best : std::string();
}

Cluster::Cluster(ClusterSettings settings)
    : settings_(std::move(settings)), members_prefix_(settings_.base + "/bridge/") {
  view_.insert(settings_.instance);
}

std::vector<std::string> Cluster::subscriptions() const {
  return {members_prefix_ + "+" + std::string(kAvailability),
          settings_.base + "/+" + std::string(kAvailability)};
}

std::string_view Cluster::member_of(std::string_view topic) const {
  if (topic.size() <= members_prefix_.size() + kAvailability.size() ||
      !topic.starts_with(members_prefix_) || !topic.ends_with(kAvailability)) {
    return {};
  }
  topic.remove_prefix(members_prefix_.size());
  topic.remove_suffix(kAvailability.size());
  return topic.find('/') == std::string_view::npos ? topic : std::string_view{};
}

std::string_view Cluster::device_of(std::string_view topic) const {
  const std::string_view prefix = settings_.base;
  if (!topic.starts_with(prefix) || topic.size() <= prefix.size() || topic[prefix.size()] != '/' ||
      !topic.ends_with(kAvailability)) {
    return {};
  }
  topic.remove_prefix(prefix.size() + 1);
  if (topic.size() <= kAvailability.size()) return {};
  topic.remove_suffix(kAvailability.size());
  return valid_device_uuid(topic) ? topic : std::string_view{};
}

bool Cluster::on_message(std::string_view topic, std::string_view payload, Now now) {
  if (const auto member = member_of(topic); !member.empty()) {
    // This instance is live while it runs, whatever a retained leftover of an earlier run says.
    if (member == settings_.instance) return true;
    const bool online = payload == "online";
    const auto it = view_.find(member);
    if (online == (it != view_.end())) return true;
    if (online) {
      view_.emplace(member);
    } else {
      view_.erase(it);
    }
    view_changed(now);
    return true;
  }
  if (const auto uuid = device_of(topic); !uuid.empty()) {
    // An empty retained availability: the device was forgotten (never discovered).
    if (payload.empty()) {
      devices_.erase(lower(uuid));
    } else {
      add_device(uuid);
    }
    return true;
  }
  return false;
}

void Cluster::add_device(std::string_view uuid) {
  if (devices_.size() >= settings_.max_devices) return;
  const std::string id = lower(uuid);
  if (devices_.count(id) > 0) return;
  // Seen after the view settled and ours: its availability is our own, echoed (with agreeing
  // views no other instance publishes for a device of ours), so it has a session already.
  devices_.emplace(id, owns(id));
}

void Cluster::connected(Now now) {
  view_ = {settings_.instance};
  settled_.reset();
  view_changed(now);
}

void Cluster::disconnected(Now now) {
  settled_.reset();
  settle_at_.reset();
  recompute(now);
}

void Cluster::view_changed(Now now) {
  settle_at_ = now.mono + settings_.settle;
  // Losses take effect at once; gains wait for the view to settle (owns()).
  recompute(now);
}

bool Cluster::owns(std::string_view uuid) const {
  if (!settled_) return false;
  if (owner_of(uuid, view_) != settings_.instance) return false;
  // Most of the time the view is the settled one: one hash round is enough.
  return *settled_ == view_ || owner_of(uuid, *settled_) == settings_.instance;
}

void Cluster::tick(Now now) {
  if (!settle_at_ || now.mono < *settle_at_) return;
  settle_at_.reset();
  settled_ = view_;
  recompute(now);
}

std::optional<TimePoint> Cluster::next_wakeup() const {
  std::optional<TimePoint> next = settle_at_;
  if (!probes_.empty() && (!next || probes_.begin()->first < *next)) next = probes_.begin()->first;
  return next;
}

void Cluster::recompute(Now now) {
  std::vector<std::string> gained;
  for (auto& [id, owned] : devices_) {
    const bool owned_now = owns(id);
    if (owned_now == owned) continue;
    owned = owned_now;
    if (owned_now) {
      gained.push_back(id);
    } else {
      lost_.push_back(id);
    }
  }
  if (!lost_.empty()) {
    std::erase_if(probes_, [&](const auto& probe) {
      const auto it = devices_.find(probe.second);
      return it == devices_.end() || !it->second;
    });
  }
  if (gained.empty()) return;
  const Duration gap =
      std::min<Duration>(settings_.takeover_spread / static_cast<Duration::rep>(gained.size()),
                         std::chrono::milliseconds(50));
  for (std::size_t i = 0; i < gained.size(); ++i) {
    probes_.emplace(now.mono + gap * static_cast<Duration::rep>(i), std::move(gained[i]));
  }
}

std::vector<std::string> Cluster::take_lost() {
  return std::exchange(lost_, {});
}

std::vector<std::string> Cluster::due_probes(Now now) {
  std::vector<std::string> due;
  while (!probes_.empty() && probes_.begin()->first <= now.mono) {
    auto node = probes_.extract(probes_.begin());
    if (owns(node.mapped())) due.push_back(std::move(node.mapped()));
  }
  return due;
}

}  // namespace meross::bridge
