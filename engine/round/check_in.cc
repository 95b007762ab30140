// Round's check-in path: desks, check-ins and tubes while the round is
// open, each sampled check-in handed to the store as it happens.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/round/round.h"

namespace swabwave::engine {

absl::StatusOr<DeskIndex> Round::ResolveDesk(absl::string_view site_id, int number) const {
  const absl::StatusOr<uint32_t> site = FindSite(site_id);
  if (!site.ok()) return site.status();
  const int desks = layout_.site(*site).desks;
  if (number < 1 || number > desks) {
    return absl::NotFoundError(
        absl::StrCat("site '", site_id, "' has desks 1..", desks, "; there is no desk ", number));
  }
  return layout_.first_desk(*site) + static_cast<DeskIndex>(number - 1);
}

absl::StatusOr<DeskIndex> Round::ResolveTeam(absl::string_view community_id, int number) const {
  const absl::StatusOr<uint32_t> community = FindCommunity(community_id);
  if (!community.ok()) return community.status();
  if (number < 1 || number > config_.door_to_door_teams) {
    return absl::NotFoundError(absl::StrCat("round ", config_.id, " has door-to-door teams 1..",
                                            config_.door_to_door_teams, " in community '",
                                            community_id, "'; there is no team ", number));
  }
  return layout_.desk_count() +
         *community * static_cast<uint32_t>(config_.door_to_door_teams) +
         static_cast<DeskIndex>(number - 1);
}

std::optional<Round::Team> Round::TeamOf(DeskIndex desk) const {
  if (desk < layout_.desk_count() || desk >= desk_total()) return std::nullopt;
  const uint32_t offset = desk - layout_.desk_count();
  const auto teams = static_cast<uint32_t>(config_.door_to_door_teams);
  return Team{offset / teams, static_cast<int>(offset % teams) + 1};
}

std::vector<uint32_t> Round::DeskSites() const {
  std::vector<uint32_t> sites = layout_.desk_sites();
  sites.resize(desk_total(), layout_.site_count());
  return sites;
}

std::string Round::DeskName(DeskIndex desk) const {
  if (const std::optional<Team> team = TeamOf(desk)) {
    return absl::StrCat("communities/", config_.community_ids[team->community], "/teams/",
                        team->number);
  }
  const uint32_t site = layout_.site_of_desk(desk);
  return absl::StrCat("sites/", layout_.site(site).id, "/desks/",
                      desk - layout_.first_desk(site) + 1);
}

core::CheckInResult Round::CheckIn(DeskIndex desk, absl::string_view code,
                                   int64_t scan_unix_seconds, uint64_t request) {
  // Acquire pairs with Open's release: the live state is fully visible.
  if (phase() != RoundPhase::kOpen) {
    core::CheckInResult result;
    result.verdict = core::CheckInVerdict::kRoundNotOpen;
    return result;
  }
  return live()->CheckIn(desk, code, scan_unix_seconds, request, log());
}

void Round::CheckInBatch(absl::Span<const core::CheckInAttempt> attempts,
                         absl::Span<core::CheckInResult> results) {
  if (phase() != RoundPhase::kOpen) {
    for (core::CheckInResult& result : results) {
      result = core::CheckInResult();
      result.verdict = core::CheckInVerdict::kRoundNotOpen;
    }
    return;
  }
  live()->CheckInBatch(attempts, results, log());
}

absl::Status Round::CheckOpen(absl::string_view what) const {
  const RoundPhase current = phase();
  if (current == RoundPhase::kOpen) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "round ", config_.id, " is ", PhaseName(current), "; ", what, " only while it is open"));
}

absl::StatusOr<core::TubeView> Round::RackTube(DeskIndex desk, absl::string_view barcode) {
  if (absl::Status s = CheckOpen("tubes can be scanned in"); !s.ok()) return s;
  if (desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  // A barcode names one tube of the round: a follow-up swab's tube is not
  // racked (engine/lab/retest_book.h), so the two are checked together.
  std::lock_guard names(tube_names_mu_);
  if (follow_ups_.FindBarcode(barcode).has_value()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "tube ", barcode, " holds a follow-up swab in round ", config_.id, "; use a new tube"));
  }
  // Journaled under the rack's lock, so tube records are in index order.
  return live()->rack().RackTube(desk, barcode, [&](TubeIndex tube) {
    if (store_ == nullptr) return;
    std::string record;
    journal::EncodeTubeEvent(journal::RecordType::kTubeRacked,
                             {config_.id, desk, tube, std::string(barcode)}, &record);
    store_->Append(record);
  });
}

absl::StatusOr<core::TubeView> Round::SealTube(DeskIndex desk, absl::string_view barcode) {
  if (absl::Status s = CheckOpen("tubes can be sealed"); !s.ok()) return s;
  if (desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  absl::StatusOr<core::TubeView> sealed = live()->rack().SealTube(desk, barcode);
  if (sealed.ok() && store_ != nullptr) JournalSeal(desk, sealed->index, sealed->barcode);
  return sealed;
}

void Round::JournalSeal(DeskIndex desk, TubeIndex tube, absl::string_view barcode) {
  std::string record;
  journal::EncodeTubeEvent(journal::RecordType::kTubeSealed,
                           {config_.id, desk, tube, std::string(barcode)}, &record);
  store_->Append(record);
}

void Round::JournalLog::RecordEarlySeal(DeskIndex desk, TubeIndex tube) {
  // The same record as a seal by hand: recovery closes the tube as it was.
  round_->JournalSeal(desk, tube, round_->live()->rack().BarcodeOf(tube));
}

void Round::JournalLog::Record(absl::Span<const core::CheckInResult> sampled) {
  // One buffer per thread: no allocation once it has grown.
  thread_local std::string buffer;
  thread_local std::vector<size_t> ends;
  buffer.clear();
  ends.clear();
  for (const core::CheckInResult& r : sampled) {
    journal::EncodeCheckIn({round_->index_, r.resident, r.tube, r.slot, r.scan_unix_seconds,
                            r.request, true},
                           &buffer);
    ends.push_back(buffer.size());
  }
  absl::string_view records[core::LiveRound::kPrefetchWindow];
  size_t begin = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    records[i] = absl::string_view(buffer).substr(begin, ends[i] - begin);
    begin = ends[i];
  }
  round_->store_->Append(absl::MakeConstSpan(records, ends.size()));
}

}  // namespace swabwave::engine
