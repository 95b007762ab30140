// Round's door-to-door visits: what a team found at a door when it did not
// sample (engine/visits/visit_book.h), checked against the live state and
// journaled.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/round/round.h"

namespace swabwave::engine {

absl::StatusOr<uint32_t> Round::FindResident(absl::string_view code) const {
  const uint32_t position = table_->Find(core::ResidentTable::MakeKey(code));
  if (position == kNoId) {
    return absl::NotFoundError(
        absl::StrCat("resident_code is not in round ", config_.id,
                     "; check the scan, or register the person (walk-ins)"));
  }
  return table_->at(position).resident;
}

absl::StatusOr<visits::VisitBook::Recorded> Round::RecordVisit(visits::Visit visit) {
  if (absl::Status s = CheckOpen("visits can be recorded"); !s.ok()) return s;
  if (!TeamOf(visit.desk).has_value()) {
    return absl::NotFoundError("visits are recorded by a door-to-door team's desk");
  }
  if (visit.resident >= layout_.resident_count()) {
    return absl::NotFoundError(absl::StrCat("round ", config_.id, " has no resident ",
                                            visit.resident));
  }
  if (!layout_.targeted(visit.resident)) {
    return absl::FailedPreconditionError(
        absl::StrCat("resident ", visit.resident, " is outside round ", config_.id,
                     "'s target; visits are recorded for the residents it covers"));
  }
  if (absl::Status s = visits::ValidateVisit(visit); !s.ok()) return s;
  // Open: the live state is never replaced now. A check-in racing this
  // visit may land after the test; counts then take the check-in, which
  // outranks every visit.
  if (std::optional<SampledCheckIn> sampled = SampledAt(visit.resident);
      sampled.has_value() && !visits_.Find(visit.request).has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "resident ", visit.resident, " was sampled at ",
        DeskName(live()->rack().DeskOf(sampled->tube)), "; a visit after the swab is not recorded"));
  }
  const uint32_t resident = visit.resident;
  visits::VisitBook::Recorded recorded =
      visits_.Record(std::move(visit), [&](const visits::Visit& added) {
        if (store_ == nullptr) return;
        std::string record;
        journal::EncodeVisit({index_, added}, &record);
        store_->Append(record);  // never waits for the disk
      });
  if (recorded.replayed && recorded.visit.resident != resident) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request_id was already used for the visit of resident ", recorded.visit.resident,
        " in round ", config_.id,
        "; a request_id names one visit: send this one with a new one (nothing was recorded)"));
  }
  return recorded;
}

bool Round::AwaitsVisit(uint32_t resident) const {
  const core::LiveRound* state = live();
  if (state == nullptr || resident >= layout_.resident_count()) return false;
  if (core::IsSampled(state->Read(resident).state())) return false;
  const std::optional<visits::ResidentVisits> seen = visits_.Of(resident);
  return !seen.has_value() || seen->last == visits::VisitOutcome::kNotHome;
}

absl::StatusOr<visits::VisitCounts> Round::VisitTotals() const {
  std::shared_lock lock(mu_);
  const core::LiveRound* state = live();
  if (state == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", config_.id, " has no plan yet; plan it first"));
  }
  return visits_.Count([&](uint32_t resident) { return !DueAndUnsampled(resident); });
}

absl::Status Round::RestoreVisit(const visits::Visit& visit) {
  if (visit.resident >= layout_.resident_count() || !TeamOf(visit.desk).has_value()) {
    return absl::DataLossError(absl::StrCat("a visit record of round ", config_.id,
                                            " names resident ", visit.resident, " at desk ",
                                            visit.desk, ", which the round does not have"));
  }
  visits_.Record(visit);
  return absl::OkStatus();
}

}  // namespace swabwave::engine
