// Housing: who lives where in one community, as compact adjacency lists
// (building -> units -> households -> residents), built once from a
// Community's parent links. The planner walks it unit by unit; progress
// queries walk a building's residents.
//
// Ownership: a Housing copies what it needs and keeps no reference to the
// community; the spans it returns point into the Housing itself.
// REQUIRES: ids passed in are in range (not checked).
//
// Thread-safety: immutable after construction.
#ifndef SWABWAVE_ENGINE_MODEL_HOUSING_H_
#define SWABWAVE_ENGINE_MODEL_HOUSING_H_

#include <cstdint>
#include <span>
#include <vector>

#include "engine/model/community.h"

namespace swabwave::engine {

class Housing {
 public:
  explicit Housing(const Community& community);

  std::span<const UnitId> units_of(BuildingId building) const {
    return Children(building_units_, building);
  }
  std::span<const HouseholdId> households_of(UnitId unit) const {
    return Children(unit_households_, unit);
  }
  std::span<const ResidentId> residents_of(HouseholdId household) const {
    return Children(household_residents_, household);
  }

 private:
  // Children of parent p are items[offsets[p] .. offsets[p + 1]).
  struct Adjacency {
    std::vector<uint32_t> offsets;
    std::vector<uint32_t> items;
  };
  template <typename ParentOf>
  static Adjacency Group(size_t parents, size_t children, ParentOf parent_of);
  static std::span<const uint32_t> Children(const Adjacency& a, uint32_t parent) {
    return std::span<const uint32_t>(a.items.data() + a.offsets[parent],
                                     a.offsets[parent + 1] - a.offsets[parent]);
  }

  Adjacency building_units_;
  Adjacency unit_households_;
  Adjacency household_residents_;
};

template <typename ParentOf>
Housing::Adjacency Housing::Group(size_t parents, size_t children, ParentOf parent_of) {
  // Counting sort by parent keeps children in id order within a parent.
  Adjacency a;
  a.offsets.assign(parents + 1, 0);
  for (uint32_t child = 0; child < children; ++child) ++a.offsets[parent_of(child) + 1];
  for (size_t p = 0; p < parents; ++p) a.offsets[p + 1] += a.offsets[p];
  a.items.resize(children);
  std::vector<uint32_t> next(a.offsets.begin(), a.offsets.end() - 1);
  for (uint32_t child = 0; child < children; ++child) a.items[next[parent_of(child)]++] = child;
  return a;
}

inline Housing::Housing(const Community& c)
    : building_units_(Group(c.buildings.size(), c.units.size(),
                            [&](uint32_t u) { return c.units[u].building; })),
      unit_households_(Group(c.units.size(), c.households.size(),
                             [&](uint32_t h) { return c.households[h].unit; })),
      household_residents_(Group(c.households.size(), c.residents.size(),
                                 [&](uint32_t r) { return c.residents[r].household; })) {}

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_HOUSING_H_
