#pragma once

// One shared, immutable copy per distinct value: what every device of one model has alike (its
// poll list, its discovery summary) is kept once, not once per device (issue 19: 10,000 devices
// of a handful of models). Like protocol::AbilityPool, for values whose distinct count is small:
// lookup is a scan of the live values. Not thread-safe: one per daemon loop.

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace meross::bridge {

template <typename T>
class SharedPool {
 public:
  // The pool's copy of `value`, shared with every other holder of an equal value.
  std::shared_ptr<const T> intern(T value) {
    for (const auto& held : values_) {
      if (auto shared = held.lock(); shared && *shared == value) return shared;
    }
    // A value nobody holds any more is dropped before a new one is added: the scan stays as
    // short as the number of distinct values in use.
    std::erase_if(values_, [](const auto& held) { return held.expired(); });
    auto shared = std::make_shared<const T>(std::move(value));
    values_.push_back(shared);
    return shared;
  }
  std::size_t distinct() const {
    return static_cast<std::size_t>(std::count_if(
        values_.begin(), values_.end(), [](const auto& held) { return !held.expired(); }));
  }

 private:
  std::vector<std::weak_ptr<const T>> values_;
};

}  // namespace meross::bridge
