#include "engine/registry/registry.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/code_hash.h"
#include "engine/journal/community_image.h"
#include "engine/journal/frame.h"
#include "engine/journal/records.h"
#include "engine/journal/round_image.h"
#include "engine/roster/sampled_removal.h"
#include "engine/roster/walk_in_roster.h"

namespace swabwave::engine {

absl::StatusOr<const Community*> Registry::ImportCommunity(Community community) {
  return Import(std::move(community), code_check_ == CodeCheck::kServerWide,
                /*as_version=*/false, nullptr);
}

absl::StatusOr<const Community*> Registry::ImportVersion(Community community,
                                                         uint32_t base_version,
                                                         roster::RosterDiff* diff_out) {
  const Community* latest = FindCommunity(community.id);
  const uint32_t latest_version = latest == nullptr ? 0 : latest->version;
  if (base_version != 0 && base_version != latest_version) {
    return absl::AbortedError(absl::StrCat(
        "community '", community.id, "' is at version ", latest_version, ", not ", base_version,
        ": another import changed it since; preview the changes again"));
  }
  if (latest != nullptr) {
    // Outside the lock: versions are immutable, and Import checks that
    // `latest` is still the latest before it stores anything.
    roster::RosterDiff diff = roster::DiffRosters(*latest, community);
    if (absl::Status s = roster::CheckNoSampledRemoved(*latest, diff, ListRounds()); !s.ok()) {
      return s;
    }
    if (diff_out != nullptr) *diff_out = std::move(diff);
  }
  return Import(std::move(community), code_check_ == CodeCheck::kServerWide,
                /*as_version=*/true, latest);
}

Registry::VersionPreview Registry::PreviewVersion(const Community& community) const {
  VersionPreview preview;
  preview.base = FindCommunity(community.id);
  if (preview.base == nullptr) return preview;
  preview.diff = roster::DiffRosters(*preview.base, community);
  preview.blocked = roster::CheckNoSampledRemoved(*preview.base, preview.diff, ListRounds());
  return preview;
}

absl::StatusOr<const Community*> Registry::Import(Community community, bool check_codes,
                                                  bool as_version,
                                                  const Community* expected_latest) {
  std::lock_guard lock(mu_);
  auto by_id = community_by_id_.find(community.id);
  const Community* previous = by_id == community_by_id_.end() ? nullptr : by_id->second;
  if (!as_version && previous != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat(
        "community '", community.id, "' is already imported (version ", previous->version,
        "); to change its roster, import it again as a new version (swabwave import shows the "
        "changes, --apply makes them)"));
  }
  if (as_version) {
    if (previous != expected_latest) {
      return absl::AbortedError(absl::StrCat("community '", community.id,
                                             "' changed while this import was checked; try again"));
    }
  }
  // (Recovery's record says the same: RestoreCommunity checked it.)
  community.version = previous == nullptr ? 1 : previous->version + 1;
  for (const Site& site : community.sites) {
    if (auto owner = site_owner_.find(site.id);
        owner != site_owner_.end() && owner->second->id != community.id) {
      return absl::AlreadyExistsError(
          absl::StrCat("site '", site.id, "' already belongs to community '", owner->second->id,
                       "'; site ids must be unique on the server"));
    }
  }
  // Encoded and checked before anything changes: a community too large for
  // the store is refused whole.
  std::string record;
  if (store_ != nullptr) {
    journal::EncodeCommunity(community, &record);
    if (absl::Status s = store_->CheckRecordSize(
            absl::StrCat("community '", community.id, "'"), record.size());
        !s.ok()) {
      return s;
    }
  }
  const auto ordinal = static_cast<uint32_t>(communities_.size());
  communities_.push_back(std::make_unique<Community>(std::move(community)));
  const Community* pointer = communities_.back().get();
  if (check_codes) {
    // Communities recovered since the last checked import are indexed now.
    for (uint32_t i = codes_.indexed(); i < ordinal; ++i) codes_.Add(i);
    // Last of the checks: the index reads the codes where they are stored.
    if (const std::optional<uint32_t> shared = codes_.AddUnlessShared(ordinal)) {
      const std::string id = pointer->id;
      communities_.pop_back();
      // The code itself is personal data, and the other community may be
      // outside the caller's scope: say which row only.
      return absl::AlreadyExistsError(absl::StrCat(
          "resident #", *shared + 1, " of community '", id,
          "': its code was already imported with another community; a resident code names one "
          "person on the server, so this community is not imported"));
    }
  }
  community_by_id_.insert_or_assign(pointer->id, pointer);
  walk_ins_taken_in_.insert(pointer->walk_ins_taken_in.begin(), pointer->walk_ins_taken_in.end());
  if (previous != nullptr) {
    for (const Site& site : previous->sites) site_owner_.erase(site.id);
  }
  for (const Site& site : pointer->sites) site_owner_.emplace(site.id, pointer);
  // Under mu_: a round created from this community is journaled after it.
  if (store_ != nullptr) store_->Append(record);
  return pointer;
}

absl::Status Registry::RestoreCommunity(Community community) {
  const Community* latest = FindCommunity(community.id);
  const uint32_t latest_version = latest == nullptr ? 0 : latest->version;
  if (community.version <= latest_version) return absl::OkStatus();  // in the snapshot
  if (community.version != latest_version + 1) {
    return absl::DataLossError(absl::StrCat("the journal holds version ", community.version,
                                            " of community '", community.id,
                                            "' after version ", latest_version));
  }
  return Import(std::move(community), /*check_codes=*/false, /*as_version=*/true, latest).status();
}

const Community* Registry::FindCommunity(absl::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = community_by_id_.find(id);
  return it == community_by_id_.end() ? nullptr : it->second;
}

const Community* Registry::FindCommunityVersion(absl::string_view id, uint32_t version) const {
  std::lock_guard lock(mu_);
  for (const auto& community : communities_) {
    if (community->id == id && community->version == version) return community.get();
  }
  return nullptr;
}

size_t Registry::community_count() const {
  std::lock_guard lock(mu_);
  return communities_.size();
}

absl::StatusOr<Round*> Registry::CreateRound(RoundConfig config) {
  for (const std::string& id : config.community_ids) {
    if (absl::Status s = TakeInWalkIns(id); !s.ok()) return s;
  }
  return CreateRoundAt(std::move(config), absl::Now());
}

absl::Status Registry::TakeInWalkIns(const std::string& id) {
  const Community* latest = FindCommunity(id);
  if (latest == nullptr) return absl::OkStatus();  // CreateRoundAt says NOT_FOUND
  std::vector<roster::KeyedWalkIn> walk_ins;
  const std::vector<Round*> rounds = ListRounds();
  for (uint32_t index = 0; index < rounds.size(); ++index) {
    const std::vector<std::string>& ids = rounds[index]->config().community_ids;
    for (roster::WalkIn& w : rounds[index]->WalkIns()) {
      if (ids[w.community] != id) continue;
      const uint64_t key = roster::WalkInKey(index, w.request);
      {
        std::lock_guard lock(mu_);
        if (walk_ins_taken_in_.contains(key)) continue;
      }
      walk_ins.push_back({std::move(w), key});
    }
  }
  if (walk_ins.empty()) return absl::OkStatus();
  absl::StatusOr<Community> with = roster::WithWalkIns(*latest, walk_ins);
  if (!with.ok()) return with.status();
  return ImportVersion(*std::move(with), latest->version).status();
}

absl::StatusOr<roster::WalkInBook::Recorded> Registry::RegisterWalkIn(
    Round& round, const Round::WalkInRequest& request) {
  auto code_taken = [&](absl::string_view code) {
    std::vector<Round*> rounds;
    {
      std::lock_guard lock(mu_);
      // Every community's codes, the ones recovery did not index included.
      for (uint32_t i = codes_.indexed(); i < communities_.size(); ++i) codes_.Add(i);
      if (codes_.Contains(code)) return true;
      for (const auto& r : rounds_) rounds.push_back(r.get());
    }
    for (const Round* other : rounds) {
      if (other != &round && other->FindWalkIn(code).has_value()) return true;
    }
    return false;
  };
  return round.RegisterWalkIn(request, code_taken);
}

absl::StatusOr<Round*> Registry::CreateRoundAt(RoundConfig config, absl::Time created) {
  if (absl::Status s = ValidateRoundConfig(config); !s.ok()) return s;
  std::vector<const Community*> communities;
  {
    std::lock_guard lock(mu_);
    if (FindRound(config.id) != nullptr) {
      return absl::AlreadyExistsError(
          absl::StrCat("round '", config.id, "' already exists; pick another round_id"));
    }
    if (rounds_.size() >= kMaxRounds) {
      return absl::ResourceExhaustedError(
          absl::StrCat("this server already holds ", kMaxRounds, " rounds, the most it can"));
    }
    for (const std::string& id : config.community_ids) {
      auto it = community_by_id_.find(id);
      if (it == community_by_id_.end()) {
        return absl::NotFoundError(
            absl::StrCat("community '", id, "' is not imported; import it first"));
      }
      communities.push_back(it->second);
    }
  }
  // Building the index of a large round takes a while: do it unlocked.
  absl::StatusOr<std::unique_ptr<Round>> round =
      Round::Create(config, std::move(communities), created);
  if (!round.ok()) return round.status();

  std::lock_guard lock(mu_);
  if (FindRound(config.id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("round '", config.id, "' already exists; pick another round_id"));
  }
  // The round pins the versions it was built on; a snapshot restores it
  // after exactly those (round_watermarks_), so none may have been replaced
  // while it was built.
  for (uint32_t c = 0; c < (*round)->layout().community_count(); ++c) {
    const Community& pinned = (*round)->layout().community(c);
    if (community_by_id_.at(pinned.id) != &pinned) {
      return absl::AbortedError(absl::StrCat("community '", pinned.id,
                                             "' got a new version while round ", config.id,
                                             " was created; create it again"));
    }
  }
  Round* pointer = round->get();
  pointer->AttachStore(store_, static_cast<uint32_t>(rounds_.size()));
  rounds_.push_back(*std::move(round));
  round_watermarks_.push_back(communities_.size());
  if (store_ != nullptr) {
    std::string record;
    journal::EncodeRoundCreated({config, created}, &record);
    store_->Append(record);
  }
  PublishRoundLocked(pointer);
  return pointer;
}

void Registry::PublishRoundLocked(Round* round) {
  for (uint64_t pos = core::HashCode(round->config().id);; ++pos) {
    std::atomic<Round*>& slot = round_table_[pos % kTableSize];
    if (slot.load(std::memory_order_relaxed) == nullptr) {
      // Release: FindRound's acquire load sees the whole round.
      slot.store(round, std::memory_order_release);
      break;
    }
  }
}

absl::Status Registry::RestoreRoundImage(absl::string_view record) {
  absl::StatusOr<journal::RoundImage> image = journal::DecodeRoundImage(record);
  if (!image.ok()) return image.status();
  const RoundConfig& config = image->round.config;
  if (FindRound(config.id) != nullptr) return absl::OkStatus();  // applied already
  std::vector<const Community*> communities;
  {
    std::lock_guard lock(mu_);
    if (rounds_.size() >= kMaxRounds) {
      return absl::DataLossError(absl::StrCat("the snapshot holds more than ", kMaxRounds,
                                              " rounds, the most a server can"));
    }
    for (const std::string& id : config.community_ids) {
      auto it = community_by_id_.find(id);
      if (it == community_by_id_.end()) {
        return absl::DataLossError(absl::StrCat("the snapshot's image of round ", config.id,
                                                " names community '", id,
                                                "', which the snapshot does not hold"));
      }
      communities.push_back(it->second);
    }
  }
  absl::StatusOr<std::unique_ptr<Round>> round =
      Round::FromImage(*std::move(image), std::move(communities));
  if (!round.ok()) return round.status();
  std::lock_guard lock(mu_);
  Round* pointer = round->get();
  pointer->AttachStore(store_, static_cast<uint32_t>(rounds_.size()));
  rounds_.push_back(*std::move(round));
  round_watermarks_.push_back(communities_.size());
  PublishRoundLocked(pointer);
  return absl::OkStatus();
}

Round* Registry::FindRound(absl::string_view id) const {
  for (uint64_t pos = core::HashCode(id);; ++pos) {
    Round* round = round_table_[pos % kTableSize].load(std::memory_order_acquire);
    if (round == nullptr) return nullptr;
    if (round->config().id == id) return round;
  }
}

std::vector<Round*> Registry::ListRounds() const {
  std::lock_guard lock(mu_);
  std::vector<Round*> rounds;
  for (const auto& round : rounds_) rounds.push_back(round.get());
  return rounds;
}

void Registry::AttachStore(journal::Store* store) {
  std::lock_guard lock(mu_);
  store_ = store;
  for (uint32_t i = 0; i < rounds_.size(); ++i) rounds_[i]->AttachStore(store, i);
}

Round* Registry::RoundAt(uint32_t index) const {
  std::lock_guard lock(mu_);
  return index < rounds_.size() ? rounds_[index].get() : nullptr;
}

absl::Status Registry::ApplyRecord(absl::string_view record) {
  absl::StatusOr<journal::RecordType> type = journal::TypeOf(record);
  if (!type.ok()) return type.status();
  // A record that names a round this journal never created.
  auto unknown_round = [&](absl::string_view id) {
    return absl::DataLossError(absl::StrCat("a ", journal::RecordTypeName(*type),
                                            " record names round '", id,
                                            "', which the journal never created"));
  };
  switch (*type) {
    case journal::RecordType::kCommunityImported: {
      absl::StatusOr<Community> community = journal::DecodeCommunity(record);
      if (!community.ok()) return community.status();
      return RestoreCommunity(*std::move(community));
    }
    case journal::RecordType::kRoundCreated: {
      absl::StatusOr<journal::RoundCreated> event = journal::DecodeRoundCreated(record);
      if (!event.ok()) return event.status();
      if (FindRound(event->config.id) != nullptr) return absl::OkStatus();
      return CreateRoundAt(std::move(event->config), event->created).status();
    }
    case journal::RecordType::kRoundPlanned: {
      absl::StatusOr<journal::RoundPlanned> event = journal::DecodeRoundPlanned(record);
      if (!event.ok()) return event.status();
      Round* round = FindRound(event->round_id);
      if (round == nullptr) return unknown_round(event->round_id);
      return round->RestorePlan(std::move(event->plan));
    }
    case journal::RecordType::kRoundReplanned: {
      absl::StatusOr<journal::RoundPlanned> event = journal::DecodeRoundPlanned(record);
      if (!event.ok()) return event.status();
      Round* round = FindRound(event->round_id);
      if (round == nullptr) return unknown_round(event->round_id);
      return round->RestoreReplan(std::move(event->plan));
    }
    case journal::RecordType::kRoundOpened:
    case journal::RecordType::kRoundClosed: {
      absl::StatusOr<std::string> id = journal::DecodeRoundPhase(record);
      if (!id.ok()) return id.status();
      Round* round = FindRound(*id);
      if (round == nullptr) return unknown_round(*id);
      return round->RestorePhase(*type == journal::RecordType::kRoundOpened ? RoundPhase::kOpen
                                                                             : RoundPhase::kClosed);
    }
    case journal::RecordType::kTubeRacked:
    case journal::RecordType::kTubeSealed: {
      absl::StatusOr<journal::TubeEvent> event = journal::DecodeTubeEvent(record);
      if (!event.ok()) return event.status();
      Round* round = FindRound(event->round_id);
      if (round == nullptr) return unknown_round(event->round_id);
      if (*type == journal::RecordType::kTubeRacked) {
        return round->RestoreRack(event->desk, event->tube, event->barcode);
      }
      return round->RestoreSeal(event->tube);
    }
    case journal::RecordType::kCommunityImage: {
      absl::StatusOr<Community> community = journal::DecodeCommunityImage(record);
      if (!community.ok()) return community.status();
      if (absl::Status s = RestoreCommunity(*std::move(community)); !s.ok()) {
        return absl::DataLossError(s.message());
      }
      return absl::OkStatus();
    }
    case journal::RecordType::kRoundImage:
      return RestoreRoundImage(record);
    case journal::RecordType::kCheckIn:
    case journal::RecordType::kCheckInBeforeRequestIndex: {
      absl::StatusOr<journal::CheckInRecord> event = journal::DecodeCheckIn(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreCheckIn(*event);
    }
    case journal::RecordType::kWalkIn: {
      absl::StatusOr<journal::WalkInRecord> event = journal::DecodeWalkIn(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreWalkIn(event->walk_in);
    }
    case journal::RecordType::kBoxPacked:
    case journal::RecordType::kBoxPickedUp:
    case journal::RecordType::kBoxReceived: {
      absl::StatusOr<journal::BoxRecord> event = journal::DecodeBox(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreBox(event->box);
    }
    case journal::RecordType::kTubeResult: {
      absl::StatusOr<journal::ResultRecord> event = journal::DecodeResult(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreResult(event->report);
    }
    case journal::RecordType::kFollowUp: {
      absl::StatusOr<journal::FollowUpRecord> event = journal::DecodeFollowUp(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreFollowUp(event->retest);
    }
    case journal::RecordType::kVisit: {
      absl::StatusOr<journal::VisitRecord> event = journal::DecodeVisit(record);
      if (!event.ok()) return event.status();
      Round* round = RoundAt(event->round);
      if (round == nullptr) return unknown_round(absl::StrCat("#", event->round));
      return round->RestoreVisit(event->visit);
    }
  }
  return absl::InvalidArgumentError("unknown journal record type");
}

void Registry::FinishRecovery() {
  for (Round* round : ListRounds()) round->FinishRestore();
}

absl::Status Registry::WriteSnapshot(journal::SnapshotSink& sink, SnapshotStyle style) const {
  std::vector<const Community*> communities;
  std::vector<const Round*> rounds;
  std::vector<size_t> watermarks;
  {
    std::lock_guard lock(mu_);
    for (const auto& community : communities_) communities.push_back(community.get());
    for (const auto& round : rounds_) rounds.push_back(round.get());
    watermarks = round_watermarks_;
  }
  std::string record;
  size_t written = 0;
  // Community versions in import order, each round after the versions that
  // were stored when it was created: recovery then finds, for each round,
  // the versions it pinned as the latest.
  auto write_communities_until = [&](size_t end) -> absl::Status {
    for (; written < end; ++written) {
      record.clear();
      if (style == SnapshotStyle::kDense) {
        journal::EncodeCommunityImage(*communities[written], &record);
      } else {
        journal::EncodeCommunity(*communities[written], &record);
      }
      if (absl::Status s = sink.Add(record); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
  for (size_t r = 0; r < rounds.size(); ++r) {
    if (absl::Status s = write_communities_until(watermarks[r]); !s.ok()) return s;
    if (absl::Status s = rounds[r]->WriteSnapshot(sink, style); !s.ok()) return s;
  }
  return write_communities_until(communities.size());
}

}  // namespace swabwave::engine
