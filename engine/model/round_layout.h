// RoundLayout: a round's communities laid end to end, so every resident,
// building, unit, household, site and desk of the round has one dense
// round-wide index (community 0's residents first, then community 1's ...).
// The planner, the lock-free core and the progress queries all speak these
// indices; Locate* maps one back to its community and local id.
//
// Ownership: the layout borrows its communities, which must outlive it
// (the registry never frees an imported community); it owns one Housing per
// community. References it returns point into the layout or a community.
// REQUIRES: indices passed in are in range (not checked).
//
// A targeted round's layout also says which residents it covers
// (Target); a whole round's covers everyone.
//
// Thread-safety: immutable once the round is built (Target is set while it
// is, before the round is shared).
#ifndef SWABWAVE_ENGINE_MODEL_ROUND_LAYOUT_H_
#define SWABWAVE_ENGINE_MODEL_ROUND_LAYOUT_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/model/community.h"
#include "engine/model/housing.h"
#include "engine/model/ids.h"

namespace swabwave::engine {

class RoundLayout {
 public:
  struct Local {
    uint32_t community;  // position in the round's community list
    uint32_t id;         // id inside that community
  };

  explicit RoundLayout(std::vector<const Community*> communities);

  size_t community_count() const { return communities_.size(); }
  const Community& community(uint32_t c) const { return *communities_[c]; }
  const Housing& housing(uint32_t c) const { return housings_[c]; }

  uint32_t resident_count() const { return residents_.back(); }
  uint32_t building_count() const { return buildings_.back(); }
  uint32_t unit_count() const { return units_.back(); }
  uint32_t household_count() const { return households_.back(); }
  uint32_t site_count() const { return sites_.back(); }
  uint32_t desk_count() const { return static_cast<uint32_t>(desk_sites_.size()); }

  uint32_t resident_base(uint32_t c) const { return residents_[c]; }
  uint32_t building_base(uint32_t c) const { return buildings_[c]; }
  uint32_t unit_base(uint32_t c) const { return units_[c]; }
  uint32_t household_base(uint32_t c) const { return households_[c]; }
  uint32_t site_base(uint32_t c) const { return sites_[c]; }

  Local LocateResident(uint32_t resident) const { return Locate(residents_, resident); }
  Local LocateBuilding(uint32_t building) const { return Locate(buildings_, building); }
  Local LocateUnit(uint32_t unit) const { return Locate(units_, unit); }
  Local LocateHousehold(uint32_t household) const { return Locate(households_, household); }
  Local LocateSite(uint32_t site) const { return Locate(sites_, site); }

  const Site& site(uint32_t site) const {
    const Local local = LocateSite(site);
    return communities_[local.community]->sites[local.id];
  }
  // Desks are numbered site by site; a site's desks are consecutive.
  DeskIndex first_desk(uint32_t site) const { return first_desks_[site]; }
  uint32_t site_of_desk(DeskIndex desk) const { return desk_sites_[desk]; }
  const std::vector<uint32_t>& desk_sites() const { return desk_sites_; }

  // Whether the round covers `resident` (round-wide index).
  bool targeted(uint32_t resident) const {
    return targeted_.empty() || targeted_[resident];
  }
  bool whole() const { return targeted_.empty(); }
  // Restricts the round to the residents marked true (engine/model/
  // round_target.h); empty: everyone. Only while the round is built.
  // REQUIRES: empty or one entry per resident.
  void Target(std::vector<bool> targeted) {
    targeted_ = std::move(targeted);
    targeted_count_ = targeted_.empty()
                          ? resident_count()
                          : static_cast<uint32_t>(
                                std::count(targeted_.begin(), targeted_.end(), true));
  }
  // Residents the round covers.
  uint32_t targeted_count() const { return targeted_.empty() ? resident_count() : targeted_count_; }

 private:
  static Local Locate(const std::vector<uint32_t>& bases, uint32_t index);

  std::vector<const Community*> communities_;
  std::vector<Housing> housings_;
  // Prefix sums: bases[c] is community c's first index; bases.back() the total.
  std::vector<uint32_t> residents_, buildings_, units_, households_, sites_;
  std::vector<DeskIndex> first_desks_;  // per round site
  std::vector<uint32_t> desk_sites_;    // per desk
  std::vector<bool> targeted_;          // per resident; empty: every one
  uint32_t targeted_count_ = 0;
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_ROUND_LAYOUT_H_
