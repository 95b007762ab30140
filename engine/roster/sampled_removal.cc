#include "engine/roster/sampled_removal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::roster {

absl::Status CheckNoSampledRemoved(const Community& before, const RosterDiff& diff,
                                   const std::vector<Round*>& rounds) {
  std::vector<const Round*> open;
  for (const Round* round : rounds) {
    const std::vector<std::string>& ids = round->config().community_ids;
    if (round->phase() == RoundPhase::kOpen &&
        std::find(ids.begin(), ids.end(), before.id) != ids.end()) {
      open.push_back(round);
    }
  }
  if (open.empty()) return absl::OkStatus();
  for (const ResidentChange& change : diff.changes) {
    if (!change.removed()) continue;
    const absl::string_view code = before.resident_code(change.before);
    for (const Round* round : open) {
      const absl::StatusOr<uint32_t> resident = round->FindResident(code);
      const bool sampled = resident.ok() ? round->SampledAt(*resident).has_value()
                                         : round->FindWalkIn(code).has_value();
      if (!sampled) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "this import removes resident #", change.before + 1, " of version ", before.version,
          " (household ", before.households[before.residents[change.before].household].id,
          "), who was sampled in round ", round->config().id,
          ", still open: their result and any recall need them on the roster. Keep them in the "
          "file (with exempt:away if they left) until the round closes, then import again"));
    }
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::roster
