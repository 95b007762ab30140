#include "engine/history/history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::history {

absl::string_view RoundOutcomeName(RoundOutcome outcome) {
  switch (outcome) {
    case RoundOutcome::kNotPlanned: return "not planned";
    case RoundOutcome::kAwaiting: return "awaiting";
    case RoundOutcome::kSampled: return "sampled";
    case RoundOutcome::kMissed: return "missed";
    case RoundOutcome::kNotDue: return "not due";
  }
  return "unknown";
}

namespace {

// What `round` holds of round-wide resident `r`.
RoundEntry EntryOf(const Round& round, uint32_t r) {
  RoundEntry entry;
  entry.round = &round;
  entry.resident = r;
  const RoundPhase phase = round.phase();
  if (phase == RoundPhase::kDraft) return entry;
  if (phase == RoundPhase::kPlanned) {
    // A planned round may be re-planned, which replaces its words: read the
    // plan (a shared copy) instead. Nobody is sampled before it opens.
    const std::shared_ptr<const plan::Plan> plan = round.plan();
    entry.outcome = plan != nullptr && (plan->resident_standing[r] == Standing::kExempt ||
                                        plan->resident_standing[r] == Standing::kNotTargeted)
                        ? RoundOutcome::kNotDue
                        : RoundOutcome::kAwaiting;
    return entry;
  }
  entry.visits = round.VisitsOf(r);
  if (const std::optional<Round::SampledCheckIn> sampled = round.SampledAt(r)) {
    entry.outcome = RoundOutcome::kSampled;
    entry.desk = round.DeskName(round.live()->rack().DeskOf(sampled->tube));
    entry.scan_unix_seconds = sampled->scan_unix_seconds;
    entry.tube_barcode = std::string(round.TubeBarcode(sampled->tube));
    return entry;
  }
  const core::ResidentState state = round.live()->Read(r).state();
  const bool exempt =
      state == core::ResidentState::kExempt || state == core::ResidentState::kNotTargeted;
  const bool moved_away =
      entry.visits.has_value() && entry.visits->last == visits::VisitOutcome::kMovedAway;
  if (exempt || moved_away) {
    entry.outcome = RoundOutcome::kNotDue;
  } else {
    entry.outcome = phase == RoundPhase::kClosed ? RoundOutcome::kMissed : RoundOutcome::kAwaiting;
  }
  return entry;
}

}  // namespace

std::vector<RoundEntry> ResidentHistory(const std::vector<Round*>& rounds,
                                        absl::string_view code) {
  std::vector<RoundEntry> history;
  for (const Round* round : rounds) {
    absl::StatusOr<uint32_t> resident = round->FindResident(code);
    if (resident.ok()) {
      RoundEntry entry = EntryOf(*round, *resident);
      entry.community = round->layout().LocateResident(*resident).community;
      history.push_back(std::move(entry));
      continue;
    }
    if (const std::optional<roster::WalkInBook::Recorded> walk_in = round->FindWalkIn(code)) {
      RoundEntry entry;
      entry.round = round;
      entry.resident = round->walk_in_member(walk_in->index);
      entry.community = walk_in->walk_in.community;
      entry.walk_in = true;
      entry.outcome = RoundOutcome::kSampled;
      entry.desk = round->DeskName(walk_in->walk_in.desk);
      entry.scan_unix_seconds = walk_in->walk_in.scan_unix_seconds;
      entry.tube_barcode = std::string(round->TubeBarcode(walk_in->walk_in.tube));
      history.push_back(std::move(entry));
    }
  }
  return history;
}

absl::StatusOr<std::vector<MissedBuilding>> MissedLastRounds(const std::vector<Round*>& rounds,
                                                             const Community& community,
                                                             int last) {
  if (last < 1 || last > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("last ", last, " must be between 1 and 100 rounds"));
  }
  // The community's closed rounds, newest first, with where its residents
  // start in each.
  struct Closed {
    const Round* round;
    uint32_t base;
    // The round pinned this very version, so the community's resident r is
    // the round's base + r; otherwise residents are found by code (an
    // earlier roster version numbers them differently, and may lack some).
    bool same_version;
  };
  std::vector<Closed> closed;
  for (auto it = rounds.rbegin(); it != rounds.rend(); ++it) {
    const Round& round = **it;
    if (round.phase() != RoundPhase::kClosed) continue;
    absl::StatusOr<uint32_t> position = round.FindCommunity(community.id);
    if (position.ok()) {
      closed.push_back({&round, round.layout().resident_base(*position),
                        &round.layout().community(*position) == &community});
    }
  }
  std::vector<MissedBuilding> buildings(community.buildings.size());
  for (BuildingId b = 0; b < buildings.size(); ++b) buildings[b].building = b;
  for (ResidentId r = 0; r < community.residents.size(); ++r) {
    MissedResident missed{r, {}, std::nullopt};
    int due = 0;
    for (const Closed& c : closed) {
      if (due == last) break;
      uint32_t in_round = c.base + r;
      if (!c.same_version) {
        const absl::StatusOr<uint32_t> found = c.round->FindResident(community.resident_code(r));
        if (!found.ok()) continue;  // not on the roster that round: not due in it
        in_round = *found;
      }
      const core::ResidentState state = c.round->live()->Read(in_round).state();
      if (state == core::ResidentState::kExempt || state == core::ResidentState::kSampledExempt ||
          state == core::ResidentState::kNotTargeted) {
        continue;  // not due in that round
      }
      if (core::IsSampled(state)) break;  // sampled in one of the last rounds due
      const std::optional<visits::ResidentVisits> seen = c.round->VisitsOf(in_round);
      if (seen.has_value() && seen->last == visits::VisitOutcome::kMovedAway) continue;
      if (missed.rounds.empty()) missed.last_visit = seen;
      missed.rounds.push_back(c.round);
      ++due;
    }
    if (due == last) buildings[community.building_of(r)].residents.push_back(std::move(missed));
  }
  std::erase_if(buildings, [](const MissedBuilding& b) { return b.residents.empty(); });
  return buildings;
}

}  // namespace swabwave::engine::history
