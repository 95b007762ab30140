#include "services/api/roster_convert.h"

#include <algorithm>

#include "services/api/proto_convert.h"

namespace swabwave::services {

namespace {

void Describe(const engine::Community& c, engine::ResidentId r, std::string* household,
              bool* mobility_limited, v1::ExemptionReason* exemption) {
  const engine::Resident& resident = c.residents[r];
  *household = c.households[resident.household].id;
  *mobility_limited = resident.mobility_limited;
  *exemption = ExemptionToProto(resident.exemption);
}

}  // namespace

void RosterDiffToProto(const engine::Community* base, const engine::Community& after,
                       const engine::roster::RosterDiff& diff, v1::RosterDiff* out) {
  if (base == nullptr) {
    out->set_added(static_cast<int64_t>(after.residents.size()));
    return;
  }
  out->set_base_version(static_cast<int32_t>(base->version));
  out->set_added(static_cast<int64_t>(diff.added));
  out->set_removed(static_cast<int64_t>(diff.removed));
  out->set_moved(static_cast<int64_t>(diff.moved));
  out->set_flags_changed(static_cast<int64_t>(diff.flags_changed));
  out->set_unchanged(static_cast<int64_t>(diff.unchanged));
  const size_t listed = std::min(diff.changes.size(), kMaxListedChanges);
  out->set_changes_truncated(listed < diff.changes.size());
  for (size_t i = 0; i < listed; ++i) {
    const engine::roster::ResidentChange& change = diff.changes[i];
    v1::ResidentChange* row = out->add_changes();
    row->set_added(change.added());
    row->set_removed(change.removed());
    row->set_moved(change.moved);
    row->set_flags_changed(change.flags_changed);
    v1::ExemptionReason exemption;
    bool mobility_limited;
    if (!change.removed()) {
      row->set_code(std::string(after.resident_code(change.after)));
      row->set_row(int64_t{change.after} + 1);
      Describe(after, change.after, row->mutable_household_id(), &mobility_limited, &exemption);
      row->set_mobility_limited(mobility_limited);
      row->set_exemption(exemption);
    }
    if (!change.added()) {
      row->set_base_row(int64_t{change.before} + 1);
      Describe(*base, change.before, row->mutable_base_household_id(), &mobility_limited,
               &exemption);
      row->set_base_mobility_limited(mobility_limited);
      row->set_base_exemption(exemption);
      if (change.removed()) {
        row->set_code(std::string(base->resident_code(change.before)));
        row->set_household_id(row->base_household_id());
      }
    }
  }
  for (const engine::roster::TableChange& table : diff.tables) {
    v1::TableChange* t = out->add_tables();
    t->set_table(table.table);
    for (const std::string& id : table.added) {
      if (static_cast<size_t>(t->added_size()) == kMaxListedChanges) break;
      t->add_added(id);
    }
    for (const std::string& id : table.removed) {
      if (static_cast<size_t>(t->removed_size()) == kMaxListedChanges) break;
      t->add_removed(id);
    }
    if (table.added.size() > kMaxListedChanges || table.removed.size() > kMaxListedChanges) {
      out->set_changes_truncated(true);
    }
  }
}

}  // namespace swabwave::services
