#include "engine/visits/visit_book.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::visits {

absl::string_view VisitOutcomeName(VisitOutcome outcome) {
  switch (outcome) {
    case VisitOutcome::kNotHome: return "not home";
    case VisitOutcome::kRefused: return "refused";
    case VisitOutcome::kMovedAway: return "moved away";
    case VisitOutcome::kInHospital: return "in hospital";
  }
  return "unknown";
}

absl::Status ValidateVisit(const Visit& visit) {
  const auto value = static_cast<uint8_t>(visit.outcome);
  if (value < 1 || value > kLastVisitOutcome) {
    return absl::InvalidArgumentError(absl::StrCat(
        "outcome ", value, " is not a visit outcome: not home, refused, moved away or in "
        "hospital (a resident sampled at the door is a check-in at the team's desk)"));
  }
  if (NeedsReason(visit.outcome) && visit.reason.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a visit with outcome ", VisitOutcomeName(visit.outcome),
        " needs a reason (what the resident or a neighbour said), so the command center can "
        "act on it"));
  }
  if (!NeedsReason(visit.outcome) && !visit.reason.empty()) {
    return absl::InvalidArgumentError(
        "a visit with outcome not home takes no reason; the resident is visited again");
  }
  if (visit.reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(absl::StrCat("reason is ", visit.reason.size(),
                                                   " bytes; at most ", kMaxReasonBytes));
  }
  for (const char c : visit.reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          "reason has a control character; write it on one line of plain text");
    }
  }
  return absl::OkStatus();
}

VisitBook::Recorded VisitBook::Record(Visit visit,
                                      const std::function<void(const Visit&)>& journal) {
  std::lock_guard lock(mu_);
  const auto [found, inserted] = by_request_.try_emplace(visit.request, visits_.size());
  if (!inserted) return Recorded{visits_[found->second], true};
  ResidentVisits& seen = residents_[visit.resident];
  // The latest by time: a late batch from a stairwell keeps its own time.
  if (seen.count == 0 || visit.at_unix_seconds >= seen.last_at_unix_seconds) {
    seen.last = visit.outcome;
    seen.last_at_unix_seconds = visit.at_unix_seconds;
  }
  ++seen.count;
  visits_.push_back(std::move(visit));
  if (journal) journal(visits_.back());
  return Recorded{visits_.back(), false};
}

std::optional<Visit> VisitBook::Find(uint64_t request) const {
  std::lock_guard lock(mu_);
  const auto found = by_request_.find(request);
  if (found == by_request_.end()) return std::nullopt;
  return visits_[found->second];
}

std::optional<ResidentVisits> VisitBook::Of(uint32_t resident) const {
  std::lock_guard lock(mu_);
  const auto found = residents_.find(resident);
  if (found == residents_.end()) return std::nullopt;
  return found->second;
}

std::vector<Visit> VisitBook::History() const {
  std::lock_guard lock(mu_);
  return visits_;
}

size_t VisitBook::size() const {
  std::lock_guard lock(mu_);
  return visits_.size();
}

}  // namespace swabwave::engine::visits
