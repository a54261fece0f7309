#include "bridge/request_window.hpp"

namespace meross::bridge {

RequestWindow::Slot& RequestWindow::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    window_ = std::exchange(other.window_, nullptr);
  }
  return *this;
}

void RequestWindow::Slot::release() {
  if (window_ != nullptr) --window_->in_flight_;
  window_ = nullptr;
}

std::optional<RequestWindow::Slot> RequestWindow::try_take() {
  if (!line_.empty() || congested_ || !has_room()) return std::nullopt;
  return take();
}

RequestWindow::Slot RequestWindow::take() {
  ++in_flight_;
  return Slot(this);
}

void RequestWindow::wait(Ticket ticket) {
  ++waited_;
  line_.push_back(std::move(ticket));
}

std::optional<RequestWindow::Ticket> RequestWindow::next_ready() {
  if (line_.empty() || congested_ || !has_room()) return std::nullopt;
  Ticket ticket = std::move(line_.front());
  line_.pop_front();
  return ticket;
}

}  // namespace meross::bridge
