#include "engine/roster/roster_diff.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace swabwave::engine::roster {

namespace {

// Ids in `later` and not in `earlier`, in `later`'s order.
template <typename Entity>
std::vector<std::string> IdsMissingFrom(const std::vector<Entity>& earlier,
                                        const std::vector<Entity>& later) {
  absl::flat_hash_set<absl::string_view> known;
  known.reserve(earlier.size());
  for (const Entity& e : earlier) known.insert(e.id);
  std::vector<std::string> missing;
  for (const Entity& e : later) {
    if (!known.contains(e.id)) missing.push_back(e.id);
  }
  return missing;
}

template <typename Entity>
void DiffTable(const char* table, const std::vector<Entity>& before,
               const std::vector<Entity>& after, std::vector<TableChange>& out) {
  TableChange change{table, IdsMissingFrom(before, after), IdsMissingFrom(after, before)};
  if (!change.added.empty() || !change.removed.empty()) out.push_back(std::move(change));
}

// Where a resident lives, by the ids a roster file names.
struct Address {
  absl::string_view household;
  absl::string_view unit;
};
Address AddressOf(const Community& c, ResidentId r) {
  const Household& household = c.households[c.residents[r].household];
  return {household.id, c.units[household.unit].id};
}

}  // namespace

RosterDiff DiffRosters(const Community& before, const Community& after) {
  RosterDiff diff;
  absl::flat_hash_map<absl::string_view, ResidentId> earlier;
  earlier.reserve(before.residents.size());
  for (ResidentId r = 0; r < before.residents.size(); ++r) earlier.emplace(before.resident_code(r), r);

  std::vector<bool> kept(before.residents.size(), false);
  for (ResidentId r = 0; r < after.residents.size(); ++r) {
    auto it = earlier.find(after.resident_code(r));
    if (it == earlier.end()) {
      ++diff.added;
      diff.changes.push_back({kNoId, r});
      continue;
    }
    const ResidentId b = it->second;
    kept[b] = true;
    const Address was = AddressOf(before, b);
    const Address is = AddressOf(after, r);
    ResidentChange change{b, r};
    change.moved = was.household != is.household || was.unit != is.unit;
    change.flags_changed =
        before.residents[b].mobility_limited != after.residents[r].mobility_limited ||
        before.residents[b].exemption != after.residents[r].exemption;
    if (!change.moved && !change.flags_changed) {
      ++diff.unchanged;
      continue;
    }
    diff.moved += change.moved;
    diff.flags_changed += change.flags_changed;
    diff.changes.push_back(change);
  }
  for (ResidentId b = 0; b < before.residents.size(); ++b) {
    if (kept[b]) continue;
    ++diff.removed;
    diff.changes.push_back({b, kNoId});
  }

  DiffTable("buildings", before.buildings, after.buildings, diff.tables);
  DiffTable("units", before.units, after.units, diff.tables);
  DiffTable("households", before.households, after.households, diff.tables);
  DiffTable("sites", before.sites, after.sites, diff.tables);
  DiffTable("staff", before.staff, after.staff, diff.tables);
  return diff;
}

}  // namespace swabwave::engine::roster
