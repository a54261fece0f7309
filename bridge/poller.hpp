#pragma once

// Poll schedules (issue 5, meross-protocol.md §7): what mapping::polls_for asks for, per device,
// at the configured intervals. Pure: fed `now`, returns what is due; the caller sends the GETs.
//
// Spreading: a device's first poll of each kind comes after an offset derived from its uuid and
// the namespace (stable across restarts, different between devices), at most min(interval,
// max_first_delay). Later polls keep that phase, so a restart of the bridge — or many devices
// coming back at once — does not make every device answer in the same second.
//
// Bounded polls (mapping::Poll::for_ms, a cover travelling) run at their own interval from when
// they are applied, with a last poll at the end of their window; then they stay listed but idle
// until the family drops them (its state says the travel is over) or applies them again.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/duration.hpp"
#include "bridge/shared_pool.hpp"
#include "bridge/types.hpp"
#include "mapping/mapping.hpp"

namespace meross::bridge {

struct PollIntervals {
  Duration electricity = std::chrono::seconds(30);
  Duration consumption = std::chrono::minutes(5);
  Duration slow = std::chrono::minutes(5);
  Duration of(mapping::PollKind kind) const;
};

// The offset of the first poll: a hash of uuid and namespace, in [0, cap) (0 when cap ≤ 0).
Duration poll_offset(std::string_view uuid, std::string_view ns, Duration cap);

class Poller {
 public:
  explicit Poller(Duration max_first_delay = std::chrono::seconds(10))
      : max_first_delay_(max_first_delay) {}

  // (Re)starts the schedule of a device that came online or was (re)learned.
  void start(const std::string& uuid, const std::vector<mapping::Poll>& polls,
             const PollIntervals& intervals, TimePoint now);
  // The device's polls changed while it is online (a cover started or stopped travelling): polls
  // it had already keep their schedule, new ones start as in start(), bounded ones start afresh.
  void update(const std::string& uuid, const std::vector<mapping::Poll>& polls,
              const PollIntervals& intervals, TimePoint now);
  // The device went offline: nothing to poll until start() again.
  // Whether `uuid` is polled for exactly `polls` (in that order).
  bool polls(const std::string& uuid, const std::vector<mapping::Poll>& polls) const;
  void stop(const std::string& uuid);
  // Polls of `kind` for `uuid` become due at `when` (if sooner), e.g. just after a command.
  void refresh(const std::string& uuid, mapping::PollKind kind, TimePoint when);

  // The polls due at `now`, each rescheduled one interval later (no catch-up bursts).
  std::vector<std::pair<std::string, mapping::Poll>> due(TimePoint now);
  std::optional<TimePoint> next_wakeup() const;
  bool has(const std::string& uuid) const { return devices_.count(uuid) > 0; }
  // Whether two devices hold one shared list of polls (devices of one model do), not just equal
  // ones.
  bool shares_polls(const std::string& a, const std::string& b) const;

 private:
  // When one poll of a device is due next.
  struct Timing {
    Duration interval{};
    TimePoint next{};                  // TimePoint::max() once a bounded poll is over
    std::optional<TimePoint> until{};  // bounded polls: the last one
  };
  // A device's polls, shared with every device that has the same ones, and their timings.
  struct Schedule {
    std::shared_ptr<const std::vector<mapping::Poll>> polls;
    std::vector<Timing> timings;  // one per poll, in the same order
  };
  Timing timing_for(const std::string& uuid, const mapping::Poll& poll,
                    const PollIntervals& intervals, TimePoint now) const;
  void set(const std::string& uuid, const std::vector<mapping::Poll>& polls,
           std::vector<Timing> timings);
  // The soonest `next` of a device's polls (TimePoint::max() when none is pending).
  static TimePoint soonest(const Schedule& schedule);
  // Puts the device's soonest poll on the timer heap.
  void schedule(const std::string& uuid, const Schedule& schedule);
  Duration max_first_delay_;
  SharedPool<std::vector<mapping::Poll>> poll_lists_;
  std::map<std::string, Schedule> devices_;
  // Each device's soonest poll, soonest first: due() looks at the devices whose time has come, not
  // at the whole fleet on every loop turn. A timer that is no longer its device's soonest
  // (rescheduled, stopped) is skipped when it comes up.
  using Timer = std::pair<TimePoint, std::string>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

}  // namespace meross::bridge
