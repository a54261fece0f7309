#pragma once

// The last state published for each entity of a device (what a re-publication after Home
// Assistant's restart sends again), in one string: entries sorted by key, each a key and a
// payload, both length-prefixed, so any bytes fit. A plug's eight states take about a hundred
// bytes in one allocation, against eight map nodes of about a hundred bytes each (issue 19).
// Setting a state rewrites its entry in place: a device has tens of entities, a hub a few hundred.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace meross::bridge {

class StateTable {
 public:
  void set(std::string_view key, std::string_view payload);
  std::optional<std::string_view> get(std::string_view key) const;
  std::size_t size() const;
  bool empty() const { return text_.empty(); }

  // Calls fn(key, payload) for every entry, in key order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t at = 0; at < text_.size();) {
      const Entry e = entry_at(at);
      fn(e.key, e.payload);
      at = e.end;
    }
  }

 private:
  struct Entry {
    std::string_view key;
    std::string_view payload;
    std::size_t payload_at = 0;  // where the payload's length starts
    std::size_t end = 0;         // where the next entry starts
  };
  Entry entry_at(std::size_t at) const;
  void trim();
  std::string text_;
};

}  // namespace meross::bridge
