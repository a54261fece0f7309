#pragma once

// A device's abilities (System.Ability): namespace → its parameters as JSON text ("{}" when it
// has none). The list is a few kB and identical for every device of one model and firmware, so
// it is immutable once read and shared: copies of a profile share it, and an AbilityPool makes
// devices with the same list share one copy (5,000 plugs, a handful of lists).

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace meross::protocol {

using AbilityMap = std::map<std::string, std::string, std::less<>>;

class Abilities {
 public:
  using const_iterator = AbilityMap::const_iterator;

  Abilities() = default;
  explicit Abilities(AbilityMap map);

  const AbilityMap& map() const;
  std::size_t size() const { return map().size(); }
  bool empty() const { return map().empty(); }
  std::size_t count(std::string_view ns) const { return map().count(ns); }
  const_iterator find(std::string_view ns) const { return map().find(ns); }
  const_iterator begin() const { return map().begin(); }
  const_iterator end() const { return map().end(); }

  // Adds or replaces one ability: copies the list first when it is shared.
  void set(std::string ns, std::string params);
  // Whether two values share one list (what the pool achieves), not just equal content.
  bool shares_with(const Abilities& other) const { return map_ && map_ == other.map_; }

  friend bool operator==(const Abilities& a, const Abilities& b) { return a.map() == b.map(); }

 private:
  friend class AbilityPool;
  std::shared_ptr<const AbilityMap> map_;  // null = no abilities
};

// Hands out one shared list per distinct content. Not thread-safe: one per daemon loop.
class AbilityPool {
 public:
  Abilities intern(Abilities abilities);
  std::size_t distinct() const { return lists_.size(); }

 private:
  // Keyed by content; a list no device holds any more is dropped on the next new list.
  std::map<AbilityMap, std::weak_ptr<const AbilityMap>> lists_;
};

}  // namespace meross::protocol
