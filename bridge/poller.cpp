#include "bridge/poller.hpp"

#include <algorithm>
#include <cstdint>

namespace meross::bridge {

Duration PollIntervals::of(mapping::PollKind kind) const {
  switch (kind) {
    case mapping::PollKind::Electricity:
      return electricity;
    case mapping::PollKind::Consumption:
      return consumption;
    case mapping::PollKind::Slow:
      break;
  }
  return slow;
}

Duration poll_offset(std::string_view uuid, std::string_view ns, Duration cap) {
  if (cap.count() <= 0) return Duration(0);
  // FNV-1a 64: stable across runs and platforms (std::hash is not).
  std::uint64_t h = 14695981039346656037ull;
  const auto mix = [&](std::string_view text) {
    for (char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  };
  mix(uuid);
  mix("/");
  mix(ns);
  return Duration(static_cast<Duration::rep>(h % static_cast<std::uint64_t>(cap.count())));
}

Poller::Timing Poller::timing_for(const std::string& uuid, const mapping::Poll& poll,
                                  const PollIntervals& intervals, TimePoint now) const {
  if (poll.for_ms > 0) {
    // A bounded poll answers an event (a command, a travel seen starting): no spreading, the
    // first one interval from now.
    const Duration interval = std::max<Duration>(
        std::chrono::milliseconds(poll.interval_ms > 0 ? poll.interval_ms : 1000),
        std::chrono::milliseconds(100));
    return Timing{interval, now + interval, now + std::chrono::milliseconds(poll.for_ms)};
  }
  const Duration interval =
      poll.interval_ms > 0 ? std::max<Duration>(std::chrono::milliseconds(poll.interval_ms),
                                                std::chrono::milliseconds(100))
                           : std::max<Duration>(intervals.of(poll.kind), std::chrono::seconds(1));
  const Duration offset = poll_offset(uuid, poll.ns, std::min(interval, max_first_delay_));
  return Timing{interval, now + offset, std::nullopt};
}

void Poller::set(const std::string& uuid, const std::vector<mapping::Poll>& polls,
                 std::vector<Timing> timings) {
  if (polls.empty()) {
    devices_.erase(uuid);
    return;
  }
  auto& entry = devices_[uuid] = Schedule{poll_lists_.intern(polls), std::move(timings)};
  schedule(uuid, entry);
}

TimePoint Poller::soonest(const Schedule& schedule) {
  TimePoint next = TimePoint::max();
  for (const auto& timing : schedule.timings)
    next = std::min(next, timing.next);
  return next;
}

void Poller::schedule(const std::string& uuid, const Schedule& schedule) {
  const TimePoint next = soonest(schedule);
  if (next != TimePoint::max()) timers_.emplace(next, uuid);
}

void Poller::start(const std::string& uuid, const std::vector<mapping::Poll>& polls,
                   const PollIntervals& intervals, TimePoint now) {
  std::vector<Timing> timings;
  timings.reserve(polls.size());
  for (const auto& poll : polls)
    timings.push_back(timing_for(uuid, poll, intervals, now));
  set(uuid, polls, std::move(timings));
}

void Poller::update(const std::string& uuid, const std::vector<mapping::Poll>& polls,
                    const PollIntervals& intervals, TimePoint now) {
  const auto it = devices_.find(uuid);
  std::vector<Timing> timings;
  timings.reserve(polls.size());
  for (const auto& poll : polls) {
    const Timing* kept = nullptr;
    if (it != devices_.end() && poll.for_ms <= 0) {
      const auto& had = *it->second.polls;
      for (std::size_t i = 0; i < had.size(); ++i) {
        if (had[i] == poll) kept = &it->second.timings[i];
      }
    }
    timings.push_back(kept ? *kept : timing_for(uuid, poll, intervals, now));
  }
  set(uuid, polls, std::move(timings));
}

bool Poller::polls(const std::string& uuid, const std::vector<mapping::Poll>& polls) const {
  const auto it = devices_.find(uuid);
  if (it == devices_.end()) return polls.empty();
  return *it->second.polls == polls;
}

bool Poller::shares_polls(const std::string& a, const std::string& b) const {
  const auto first = devices_.find(a);
  const auto second = devices_.find(b);
  return first != devices_.end() && second != devices_.end() &&
         first->second.polls == second->second.polls;
}

void Poller::stop(const std::string& uuid) {
  devices_.erase(uuid);
  if (devices_.empty()) timers_ = {};  // nothing left to wake for
}

void Poller::refresh(const std::string& uuid, mapping::PollKind kind, TimePoint when) {
  const auto it = devices_.find(uuid);
  if (it == devices_.end()) return;
  const auto& polls = *it->second.polls;
  for (std::size_t i = 0; i < polls.size(); ++i) {
    auto& timing = it->second.timings[i];
    if (polls[i].kind == kind && when < timing.next) timing.next = when;
  }
  schedule(uuid, it->second);
}

std::vector<std::pair<std::string, mapping::Poll>> Poller::due(TimePoint now) {
  std::vector<std::pair<std::string, mapping::Poll>> out;
  while (!timers_.empty() && timers_.top().first <= now) {
    const auto [when, uuid] = timers_.top();
    timers_.pop();
    const auto it = devices_.find(uuid);
    if (it == devices_.end() || soonest(it->second) != when) continue;  // superseded
    auto& device = it->second;
    const auto& polls = *device.polls;
    for (std::size_t i = 0; i < polls.size(); ++i) {
      auto& timing = device.timings[i];
      if (timing.next > now) continue;
      out.emplace_back(uuid, polls[i]);
      if (timing.until) {
        // The window's end gets a poll of its own; after it, nothing until applied again.
        timing.next = now >= *timing.until ? TimePoint::max()
                                           : std::min(now + timing.interval, *timing.until);
        continue;
      }
      // Keep the phase; skip what was missed rather than catching up.
      timing.next += timing.interval;
      if (timing.next <= now) {
        const auto behind = (now - timing.next) / timing.interval + 1;
        timing.next += timing.interval * behind;
      }
    }
    schedule(uuid, device);
  }
  return out;
}

std::optional<TimePoint> Poller::next_wakeup() const {
  // A superseded timer may wake the loop early; due() drops it then.
  if (timers_.empty()) return std::nullopt;
  return timers_.top().first;
}

}  // namespace meross::bridge
