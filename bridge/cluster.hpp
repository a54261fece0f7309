#pragma once

// Several bridge instances sharing one device fleet on one broker ([cluster] instance,
// docs/scaling.md). Each device is owned by exactly one live instance: rendezvous (highest
// random weight) hashing of its lower-case uuid over the live instance ids, so when an instance
// dies only its own devices move, and when one joins it takes only its share.
//
// Membership is each instance's retained availability, <base>/bridge/<instance>/availability:
// "online" when it connects, "offline" as its last will; the live set is the instances whose
// last word is "online", plus this one. The fleet is learned from the devices' retained
// availability (<base>/<uuid>/availability) and the configuration, so an instance that gains
// devices can ask them to answer without waiting for them to speak.
//
// No command is executed twice during a change: a device lost (another instance joined) is
// dropped at once; a device gained is served only once the view has been settled (unchanged)
// for `settle`, long enough for every instance to have heard the same membership messages.
// Until its first view is settled after a (re)connect, an instance owns nothing.
//
// Pure: no I/O and no clock of its own; the daemon feeds it messages and time and carries out
// what it reports (take_lost, due_probes).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/duration.hpp"
#include "bridge/types.hpp"

namespace meross::bridge {

// The weight of `instance` for `uuid` (whose case does not matter): a stable 64-bit hash of
// both, the same in every process and build.
std::uint64_t ownership_weight(std::string_view instance, std::string_view uuid);

// The member of highest weight for `uuid` (compared lower-case); "" when `members` is empty.
// Ties (never seen with 64-bit weights) go to the smaller id.
std::string owner_of(std::string_view uuid, const std::set<std::string, std::less<>>& members);

struct ClusterSettings {
  std::string instance;  // this instance's id
  std::string base;      // [homeassistant] base_topic
  // How long the membership view must stay unchanged before gained devices are served.
  Duration settle = std::chrono::seconds(3);
  // Gained devices are asked to answer over at most this time, at most 50 ms apart.
  Duration takeover_spread = std::chrono::seconds(5);
  std::size_t max_devices = 16384;  // devices remembered from the broker, at most
};

class Cluster {
 public:
  explicit Cluster(ClusterSettings settings);

  // Filters to subscribe to on every (re)connect: the members' and the devices' availability.
  std::vector<std::string> subscriptions() const;
  // A message on one of those; false when the topic is none of the cluster's.
  bool on_message(std::string_view topic, std::string_view payload, Now now);
  // The link that carries membership (re)connected: the view starts again from what the broker
  // holds, and nothing is owned until it has settled.
  void connected(Now now);
  // That link went away: the others take this instance's devices, so it owns none from now on.
  void disconnected(Now now);
  // A device of the configuration: part of the fleet even before it is seen on the broker.
  void add_device(std::string_view uuid);

  // Whether this instance serves `uuid` now.
  bool owns(std::string_view uuid) const;
  // Settles the view when its time has come.
  void tick(Now now);
  std::optional<TimePoint> next_wakeup() const;
  // Devices this instance stopped owning since the last call (lower-case): drop them now.
  std::vector<std::string> take_lost();
  // Gained devices whose turn to be asked has come (lower-case), each once.
  std::vector<std::string> due_probes(Now now);

  const std::set<std::string, std::less<>>& members() const { return view_; }
  // Whether a view has settled since the last (re)connect: before, nothing is owned.
  bool settled() const { return settled_.has_value(); }
  const std::string& instance() const { return settings_.instance; }

 private:
  // The instance id of <base>/bridge/<id>/availability, or "".
  std::string_view member_of(std::string_view topic) const;
  // The uuid of <base>/<uuid>/availability, or "".
  std::string_view device_of(std::string_view topic) const;
  void view_changed(Now now);
  // Compares every known device's ownership with what it was and reports the differences.
  void recompute(Now now);

  ClusterSettings settings_;
  std::string members_prefix_;               // <base>/bridge/
  std::set<std::string, std::less<>> view_;  // live members as last heard, this one included
  std::optional<std::set<std::string, std::less<>>> settled_;  // what gains are judged by
  std::optional<TimePoint> settle_at_;                         // the view settles then
  std::map<std::string, bool, std::less<>> devices_;           // lower-case uuid → owned
  std::vector<std::string> lost_;
  std::multimap<TimePoint, std::string> probes_;
};

}  // namespace meross::bridge
