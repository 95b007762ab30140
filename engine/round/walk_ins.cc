// Round's walk-ins: someone on no roster, registered at a desk and sampled
// there in one step (issue 18). Rare: one registration at a time, under
// walk_in_mu_; the check-in path never looks here.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/model/names.h"
#include "engine/round/round.h"

namespace swabwave::engine {

namespace {

// A code the round makes from the request, so a retry makes the same one:
// "SW" and 14 characters of an alphabet without 0/O and 1/I, as printed
// resident codes are.
std::string MadeCode(uint64_t request, uint32_t attempt) {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  uint64_t x = request + 0x9e3779b97f4a7c15ULL * (attempt + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  std::string code = "SW";
  for (int i = 0; i < 14; ++i) {
    code.push_back(kAlphabet[x & 31]);
    x = (x >> 5) | (x << 59);
  }
  return code;
}

}  // namespace

absl::StatusOr<roster::WalkInBook::Recorded> Round::RegisterWalkIn(
    const WalkInRequest& request, const std::function<bool(absl::string_view)>& code_taken) {
  if (absl::Status s = CheckOpen("walk-ins can be registered"); !s.ok()) return s;
  std::lock_guard lock(walk_in_mu_);
  if (std::optional<roster::WalkInBook::Recorded> seen = walk_ins_.FindRequest(request.request)) {
    return *seen;
  }
  if (request.desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  const absl::StatusOr<uint32_t> community = FindCommunity(request.community_id);
  if (!community.ok()) return community.status();
  const Community& c = layout_.community(*community);

  roster::WalkIn walk_in;
  walk_in.community = *community;
  walk_in.desk = request.desk;
  walk_in.request = request.request;
  walk_in.scan_unix_seconds = request.scan_unix_seconds;
  const int64_t epoch = absl::ToUnixSeconds(config_.start - kScanBeforeStartTolerance);
  if (request.scan_unix_seconds < epoch ||
      request.scan_unix_seconds - epoch > core::ResidentWord::kMaxScanOffset) {
    return absl::InvalidArgumentError("scan_time is outside the range this round can record");
  }

  // The unit, and the household: one of the unit's, or a new one.
  if (absl::Status s = CheckId("unit_id", request.unit_id); !s.ok()) return s;
  UnitId unit = kNoId;
  for (UnitId u = 0; u < c.units.size(); ++u) {
    if (c.units[u].id == request.unit_id) unit = u;
  }
  if (unit == kNoId) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unit '", request.unit_id, "' is not a unit of community '", c.id, "' (version ",
        c.version, ", as round ", config_.id, " has it); register the person in their unit"));
  }
  walk_in.unit_id = request.unit_id;
  auto household_exists = [&](absl::string_view id) {
    for (const Household& h : c.households) {
      if (h.id == id) return true;
    }
    return walk_ins_.UnitOfNewHousehold(*community, id).has_value();
  };
  if (request.household_id.empty()) {
    for (int n = 1;; ++n) {
      walk_in.household_id = absl::StrCat(request.unit_id, "-w", n);
      if (walk_in.household_id.size() > 64) {
        return absl::InvalidArgumentError("unit_id is too long to name a new household after it; "
                                          "give household_id");
      }
      if (!household_exists(walk_in.household_id)) break;
    }
    walk_in.new_household = true;
  } else {
    if (absl::Status s = CheckId("household_id", request.household_id); !s.ok()) return s;
    walk_in.household_id = request.household_id;
    std::optional<std::string> in_unit;
    for (const Household& h : c.households) {
      if (h.id == request.household_id) in_unit = c.units[h.unit].id;
    }
    if (!in_unit.has_value()) in_unit = walk_ins_.UnitOfNewHousehold(*community, request.household_id);
    walk_in.new_household = !in_unit.has_value();
    if (in_unit.has_value() && *in_unit != request.unit_id) {
      return absl::InvalidArgumentError(absl::StrCat("household '", request.household_id,
                                                     "' is in unit '", *in_unit, "', not '",
                                                     request.unit_id, "'"));
    }
  }

  // The code: the card's, or one the round makes.
  auto taken = [&](absl::string_view code) {
    return FindResident(code).ok() || walk_ins_.FindCode(code).has_value() ||
           (code_taken && code_taken(code));
  };
  if (!request.code.empty()) {
    if (absl::Status s = CheckCode("code", request.code); !s.ok()) return s;
    if (taken(request.code)) {
      return absl::AlreadyExistsError(
          "this code is already on a roster or registered; check the person in with it, or hand "
          "out another card");
    }
    walk_in.code = request.code;
  } else {
    for (uint32_t attempt = 0; walk_in.code.empty() || taken(walk_in.code); ++attempt) {
      walk_in.code = MadeCode(request.request, attempt);
    }
  }

  // The swab: a position in the desk's open tube, as a check-in takes.
  core::DeskRack& rack = live()->rack();
  core::TubePosition position;
  if (!rack.HasOpenTube(request.desk) || rack.TakePositions(request.desk, 1, &position) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(DeskName(request.desk),
                     " has no open tube; scan a new tube (OpenTube), then register again with "
                     "the same request_id"));
  }
  walk_in.tube = position.tube;
  walk_in.slot = position.slot;
  const auto index = static_cast<uint32_t>(walk_ins_.size());
  rack.SetMember(position.tube, position.slot, walk_in_member(index));
  return walk_ins_.Record(std::move(walk_in), [&](const roster::WalkIn& added, uint32_t) {
    if (store_ == nullptr) return;
    std::string record;
    journal::EncodeWalkIn({index_, added}, &record);
    store_->Append(record);  // never waits for the disk
  });
}

absl::Status Round::RestoreWalkIn(const roster::WalkIn& walk_in) {
  core::LiveRound* state = live();
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("a walk-in record of round ", config_.id, ": ", what));
  };
  if (state == nullptr) return damaged("the round has no plan");
  if (walk_ins_.FindRequest(walk_in.request).has_value()) return absl::OkStatus();  // replayed
  if (walk_in.community >= layout_.community_count() || walk_in.desk >= desk_total() ||
      walk_in.tube >= state->rack().tube_count() ||
      walk_in.slot >= static_cast<uint32_t>(config_.pool_ratio)) {
    return damaged("its community, desk, tube or position is not the round's");
  }
  if (state->rack().Member(walk_in.tube, walk_in.slot) != kNoId) {
    return damaged("its tube position holds another swab");
  }
  const auto index = static_cast<uint32_t>(walk_ins_.size());
  state->rack().SetMember(walk_in.tube, walk_in.slot, walk_in_member(index));
  walk_ins_.Record(walk_in);
  return absl::OkStatus();
}

std::vector<int64_t> Round::WalkInsByBuilding() const {
  std::vector<int64_t> counts(layout_.building_count(), 0);
  for (const roster::WalkIn& walk_in : walk_ins_.All()) {
    const Community& c = layout_.community(walk_in.community);
    for (const Unit& unit : c.units) {
      if (unit.id != walk_in.unit_id) continue;
      ++counts[layout_.building_base(walk_in.community) + unit.building];
      break;
    }
  }
  return counts;
}

absl::Status Round::WriteWalkIns(journal::SnapshotSink& sink, uint32_t tubes) const {
  std::string record;
  for (const roster::WalkIn& walk_in : walk_ins_.All()) {
    if (walk_in.tube >= tubes) continue;
    record.clear();
    journal::EncodeWalkIn({index_, walk_in}, &record);
    if (absl::Status s = sink.Add(record); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine
