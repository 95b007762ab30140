#include "engine/roster/walk_in_roster.h"

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace swabwave::engine::roster {

absl::StatusOr<Community> WithWalkIns(const Community& latest,
                                      const std::vector<KeyedWalkIn>& walk_ins,
                                      size_t* left_out) {
  const Community& c = latest;
  absl::flat_hash_set<absl::string_view> codes;
  codes.reserve(c.residents.size());
  for (ResidentId r = 0; r < c.residents.size(); ++r) codes.insert(c.resident_code(r));
  absl::flat_hash_map<absl::string_view, UnitId> units;
  for (UnitId u = 0; u < c.units.size(); ++u) units.emplace(c.units[u].id, u);
  absl::flat_hash_set<absl::string_view> households;
  for (const Household& h : c.households) households.insert(h.id);

  // CommunityBuilder neither moves nor copies (it points into itself).
  auto b = std::make_unique<CommunityBuilder>(c.id, c.name, c.utc_offset_minutes);
  if (absl::Status s = b->SetTimeZone(c.time_zone); !s.ok()) return s;
  for (const Compound& x : c.compounds) {
    if (absl::Status s = b->AddCompound(x.id, x.name, x.kind); !s.ok()) return s;
  }
  for (const Building& x : c.buildings) {
    if (absl::Status s = b->AddBuilding(x.id, c.compounds[x.compound].id, x.name, x.location);
        !s.ok()) {
      return s;
    }
  }
  for (const Unit& x : c.units) {
    if (absl::Status s = b->AddUnit(x.id, c.buildings[x.building].id, x.name); !s.ok()) return s;
  }
  for (const Household& x : c.households) {
    if (absl::Status s = b->AddHousehold(x.id, c.units[x.unit].id); !s.ok()) return s;
  }
  // New households first: a household comes before its residents.
  std::vector<const WalkIn*> joining;
  size_t dropped = 0;
  for (const KeyedWalkIn& keyed : walk_ins) {
    const WalkIn& w = keyed.walk_in;
    if (codes.contains(w.code)) continue;  // on the roster already
    if (!units.contains(w.unit_id)) {
      ++dropped;
      continue;
    }
    if (!households.contains(w.household_id)) {
      if (absl::Status s = b->AddHousehold(w.household_id, w.unit_id); !s.ok()) return s;
      households.insert(w.household_id);
    }
    codes.insert(w.code);
    joining.push_back(&w);
  }
  for (ResidentId r = 0; r < c.residents.size(); ++r) {
    const Resident& x = c.residents[r];
    if (absl::Status s = b->AddResident(c.resident_code(r), c.households[x.household].id,
                                        x.mobility_limited, x.exemption);
        !s.ok()) {
      return s;
    }
  }
  for (const WalkIn* w : joining) {
    if (absl::Status s = b->AddResident(w->code, w->household_id, false, ExemptionReason::kNone);
        !s.ok()) {
      return s;
    }
  }
  for (const Site& site : c.sites) {
    if (absl::Status s = b->AddSite(site); !s.ok()) return s;
  }
  for (const StaffMember& x : c.staff) {
    if (absl::Status s =
            b->AddStaff(x.id, x.roles, x.home_site == kNoId ? "" : c.sites[x.home_site].id);
        !s.ok()) {
      return s;
    }
  }
  if (left_out != nullptr) *left_out = dropped;
  absl::StatusOr<Community> built = std::move(*b).Finish();
  if (built.ok()) {
    built->version = c.version;
    for (const KeyedWalkIn& keyed : walk_ins) built->walk_ins_taken_in.push_back(keyed.key);
  }
  return built;
}

}  // namespace swabwave::engine::roster
