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

Poller::Entry Poller::entry_for(const std::string& uuid, const mapping::Poll& poll,
                                const PollIntervals& intervals, TimePoint now) const {
  if (poll.for_ms > 0) {
    // A bounded poll answers an event (a command, a travel seen starting): no spreading, the
    // first one interval from now.
    const Duration interval = std::max<Duration>(
        std::chrono::milliseconds(poll.interval_ms > 0 ? poll.interval_ms : 1000),
        std::chrono::milliseconds(100));
    return Entry{poll, interval, now + interval, now + std::chrono::milliseconds(poll.for_ms)};
  }
  const Duration interval =
      poll.interval_ms > 0 ? std::max<Duration>(std::chrono::milliseconds(poll.interval_ms),
                                                std::chrono::milliseconds(100))
                           : std::max<Duration>(intervals.of(poll.kind), std::chrono::seconds(1));
  const Duration offset = poll_offset(uuid, poll.ns, std::min(interval, max_first_delay_));
  return Entry{poll, interval, now + offset, std::nullopt};
}

void Poller::start(const std::string& uuid, const std::vector<mapping::Poll>& polls,
                   const PollIntervals& intervals, TimePoint now) {
  std::vector<Entry> entries;
  for (const auto& poll : polls)
    entries.push_back(entry_for(uuid, poll, intervals, now));
  if (entries.empty()) {
    devices_.erase(uuid);
  } else {
    schedule(uuid, entries);
    devices_[uuid] = std::move(entries);
  }
}

void Poller::update(const std::string& uuid, const std::vector<mapping::Poll>& polls,
                    const PollIntervals& intervals, TimePoint now) {
  const auto it = devices_.find(uuid);
  std::vector<Entry> entries;
  for (const auto& poll : polls) {
    const Entry* kept = nullptr;
    if (it != devices_.end() && poll.for_ms <= 0) {
      for (const auto& entry : it->second) {
        if (entry.poll == poll) kept = &entry;
      }
    }
    entries.push_back(kept ? *kept : entry_for(uuid, poll, intervals, now));
  }
  if (entries.empty()) {
    devices_.erase(uuid);
  } else {
    schedule(uuid, entries);
    devices_[uuid] = std::move(entries);
  }
}

bool Poller::polls(const std::string& uuid, const std::vector<mapping::Poll>& polls) const {
  const auto it = devices_.find(uuid);
  if (it == devices_.end()) return polls.empty();
  return std::equal(it->second.begin(), it->second.end(), polls.begin(), polls.end(),
                    [](const Entry& e, const mapping::Poll& p) { return e.poll == p; });
}

void Poller::stop(const std::string& uuid) {
  devices_.erase(uuid);
  if (devices_.empty()) timers_ = {};  // nothing left to wake for
}

void Poller::refresh(const std::string& uuid, mapping::PollKind kind, TimePoint when) {
  const auto it = devices_.find(uuid);
  if (it == devices_.end()) return;
  for (auto& entry : it->second) {
    if (entry.poll.kind == kind && when < entry.next) entry.next = when;
  }
  schedule(uuid, it->second);
}

TimePoint Poller::soonest(const std::vector<Entry>& entries) {
  TimePoint next = TimePoint::max();
  for (const auto& entry : entries)
    next = std::min(next, entry.next);
  return next;
}

void Poller::schedule(const std::string& uuid, const std::vector<Entry>& entries) {
  const TimePoint next = soonest(entries);
  if (next != TimePoint::max()) timers_.emplace(next, uuid);
}

std::vector<std::pair<std::string, mapping::Poll>> Poller::due(TimePoint now) {
  std::vector<std::pair<std::string, mapping::Poll>> out;
  while (!timers_.empty() && timers_.top().first <= now) {
    const auto [when, uuid] = timers_.top();
    timers_.pop();
    const auto it = devices_.find(uuid);
    if (it == devices_.end() || soonest(it->second) != when) continue;  // superseded
    auto& entries = it->second;
    for (auto& entry : entries) {
      if (entry.next > now) continue;
      out.emplace_back(uuid, entry.poll);
      if (entry.until) {
        // The window's end gets a poll of its own; after it, nothing until applied again.
        entry.next =
            now >= *entry.until ? TimePoint::max() : std::min(now + entry.interval, *entry.until);
        continue;
      }
      // Keep the phase; skip what was missed rather than catching up.
      entry.next += entry.interval;
      if (entry.next <= now) {
        const auto behind = (now - entry.next) / entry.interval + 1;
        entry.next += entry.interval * behind;
      }
    }
    schedule(uuid, entries);
  }
  return out;
}

std::optional<TimePoint> Poller::next_wakeup() const {
  // A superseded timer may wake the loop early; due() drops it then.
  if (timers_.empty()) return std::nullopt;
  return timers_.top().first;
}

}  // namespace meross::bridge
