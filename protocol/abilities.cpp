#include "protocol/abilities.hpp"

#include <utility>

namespace meross::protocol {

Abilities::Abilities(AbilityMap map)
    : map_(map.empty() ? nullptr : std::make_shared<const AbilityMap>(std::move(map))) {}

const AbilityMap& Abilities::map() const {
  static const AbilityMap kNone;
  return map_ ? *map_ : kNone;
}

void Abilities::set(std::string ns, std::string params) {
  AbilityMap copy = map();
  copy[std::move(ns)] = std::move(params);
  map_ = std::make_shared<const AbilityMap>(std::move(copy));
}

Abilities AbilityPool::intern(Abilities abilities) {
  if (!abilities.map_) return abilities;
  const auto found = lists_.find(*abilities.map_);
  if (found != lists_.end()) {
    if (auto shared = found->second.lock()) {
      abilities.map_ = std::move(shared);
      return abilities;
    }
    found->second = abilities.map_;
    return abilities;
  }
  std::erase_if(lists_, [](const auto& entry) { return entry.second.expired(); });
  lists_.emplace(*abilities.map_, abilities.map_);
  return abilities;
}

}  // namespace meross::protocol
