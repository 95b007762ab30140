#include "engine/model/round_layout.h"

#include <algorithm>

namespace swabwave::engine {

RoundLayout::RoundLayout(std::vector<const Community*> communities)
    : communities_(std::move(communities)) {
  auto push = [](std::vector<uint32_t>& bases, size_t count) {
    if (bases.empty()) bases.push_back(0);
    bases.push_back(bases.back() + static_cast<uint32_t>(count));
  };
  for (const Community* c : communities_) {
    housings_.emplace_back(*c);
    push(residents_, c->residents.size());
    push(buildings_, c->buildings.size());
    push(units_, c->units.size());
    push(households_, c->households.size());
    push(sites_, c->sites.size());
    for (const Site& site : c->sites) {
      first_desks_.push_back(static_cast<DeskIndex>(desk_sites_.size()));
      const uint32_t round_site = static_cast<uint32_t>(first_desks_.size() - 1);
      desk_sites_.insert(desk_sites_.end(), site.desks, round_site);
    }
  }
  if (communities_.empty()) {
    residents_ = buildings_ = units_ = households_ = sites_ = {0};
  }
}

RoundLayout::Local RoundLayout::Locate(const std::vector<uint32_t>& bases, uint32_t index) {
  // The last base <= index; bases are non-decreasing (empty communities repeat).
  auto it = std::upper_bound(bases.begin(), bases.end() - 1, index);
  const uint32_t community = static_cast<uint32_t>(it - bases.begin() - 1);
  return Local{community, index - bases[community]};
}

}  // namespace swabwave::engine
