#include "engine/model/round_target.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine {

namespace {

// Position of each listed id, to mark which were found.
absl::flat_hash_map<absl::string_view, size_t> Listed(const std::vector<std::string>& ids) {
  absl::flat_hash_map<absl::string_view, size_t> listed;
  for (size_t i = 0; i < ids.size(); ++i) listed.emplace(ids[i], i);
  return listed;
}

// `found` must hold a true for every id of `ids` (at its first position in
// `ids`, which `listed` gives: an id listed twice is found once).
absl::Status AllFound(const char* what, const std::vector<std::string>& ids,
                      const absl::flat_hash_map<absl::string_view, size_t>& listed,
                      const std::vector<bool>& found, bool personal) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (found[listed.at(ids[i])]) continue;
    return absl::InvalidArgumentError(
        personal ? absl::StrCat("target.", what, "[", i,
                                "] is not a resident of the round's communities")
                 : absl::StrCat("target: ", what, " '", ids[i],
                                "' is in none of the round's communities"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<bool>> TargetMask(const RoundLayout& layout, const RoundTarget& target) {
  if (target.whole()) return std::vector<bool>();
  const auto compounds = Listed(target.compound_ids);
  const auto buildings = Listed(target.building_ids);
  const auto units = Listed(target.unit_ids);
  const auto codes = Listed(target.resident_codes);
  std::vector<bool> compound_found(target.compound_ids.size()),
      building_found(target.building_ids.size()), unit_found(target.unit_ids.size()),
      code_found(target.resident_codes.size());
  std::vector<bool> mask(layout.resident_count(), false);
  uint32_t covered = 0;
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const Community& community = layout.community(c);
    // Per unit: whether its compound, building or itself is listed.
    std::vector<bool> unit_listed(community.units.size(), false);
    for (UnitId u = 0; u < community.units.size(); ++u) {
      const Unit& unit = community.units[u];
      const Building& building = community.buildings[unit.building];
      const Compound& compound = community.compounds[building.compound];
      if (auto it = compounds.find(compound.id); it != compounds.end()) {
        compound_found[it->second] = unit_listed[u] = true;
      }
      if (auto it = buildings.find(building.id); it != buildings.end()) {
        building_found[it->second] = unit_listed[u] = true;
      }
      if (auto it = units.find(unit.id); it != units.end()) {
        unit_found[it->second] = unit_listed[u] = true;
      }
    }
    for (ResidentId r = 0; r < community.residents.size(); ++r) {
      bool in = unit_listed[community.households[community.residents[r].household].unit];
      if (!codes.empty()) {
        if (auto it = codes.find(community.resident_code(r)); it != codes.end()) {
          code_found[it->second] = in = true;
        }
      }
      if (in) {
        mask[layout.resident_base(c) + r] = true;
        ++covered;
      }
    }
  }
  if (absl::Status s = AllFound("compound", target.compound_ids, compounds, compound_found, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = AllFound("building", target.building_ids, buildings, building_found, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = AllFound("unit", target.unit_ids, units, unit_found, false); !s.ok()) return s;
  if (absl::Status s = AllFound("resident_codes", target.resident_codes, codes, code_found, true);
      !s.ok()) {
    return s;
  }
  if (covered == 0) {
    return absl::InvalidArgumentError("target: it covers no resident");
  }
  return mask;
}

}  // namespace swabwave::engine
