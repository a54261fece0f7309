#pragma once

// Flow control of the requests the bridge sends to devices (docs/architecture.md, "Flow
// control"). Every answer a device gives travels back through the broker's queue for the bridge,
// which is bounded (mosquitto's max_queued_messages) and drops what overflows: asking thousands
// of devices at once (a start-up, a broker's return) lost most answers, and the retries made it
// worse. So at most `capacity` requests are out at once; the others wait their turn here, first
// come first served, and go out as answers come back (or as the ones before time out). While the
// link to the broker holds a backlog (the broker acknowledges slower than we publish) nothing
// waiting is released either: the publications each answer leads to (discovery, states) would
// only pile up in memory.
//
// Commands are not made to wait (a command is executed in time or not at all), nor are retries:
// they take a slot beyond the capacity.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace meross::bridge {

class RequestWindow {
 public:
  // A request's place in the window, given back when it is destroyed (the request was answered,
  // timed out or dropped). Move-only.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : window_(std::exchange(other.window_, nullptr)) {}
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    void release();

   private:
    friend class RequestWindow;
    explicit Slot(RequestWindow* window) : window_(window) {}
    RequestWindow* window_ = nullptr;
  };

  // A request waiting for a slot: the device's lower-case uuid and the request's messageId.
  struct Ticket {
    std::string device;
    std::string message_id;
  };

  // 0: no limit (every request goes out at once).
  explicit RequestWindow(std::size_t capacity) : capacity_(capacity) {}
  RequestWindow(const RequestWindow&) = delete;
  RequestWindow& operator=(const RequestWindow&) = delete;

  // A slot if the request may go now: one is free, nothing waits before it and the link is not
  // congested. Otherwise nullopt, and the caller waits in line (wait()).
  std::optional<Slot> try_take();
  // A slot whatever the window holds: commands and retries.
  Slot take();
  void wait(Ticket ticket);
  // The next waiting request that may go now, taken out of the line; the caller gives it a slot
  // (take()). A ticket whose request is gone meanwhile is simply dropped by the caller.
  std::optional<Ticket> next_ready();

  // The broker link holds more than it should: release nothing until it is cleared.
  void set_congested(bool congested) { congested_ = congested; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t waiting() const { return line_.size(); }
  // Requests that had to wait their turn, in this run.
  std::uint64_t waited() const { return waited_; }

 private:
  bool has_room() const { return capacity_ == 0 || in_flight_ < capacity_; }

  std::size_t capacity_;
  std::size_t in_flight_ = 0;
  bool congested_ = false;
  std::deque<Ticket> line_;
  std::uint64_t waited_ = 0;
};

}  // namespace meross::bridge
