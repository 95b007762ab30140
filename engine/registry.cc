#include "engine/registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/code_hash.h"

namespace swabwave::engine {

absl::StatusOr<const Community*> Registry::ImportCommunity(Community community) {
  std::lock_guard lock(mu_);
  if (community_by_id_.contains(community.id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("community '", community.id,
                     "' is already imported; communities cannot be changed "
                     "once imported, import it under a new id"));
  }
  for (const Site& site : community.sites) {
    if (auto owner = site_owner_.find(site.id); owner != site_owner_.end()) {
      return absl::AlreadyExistsError(
          absl::StrCat("site '", site.id, "' already belongs to community '", owner->second->id,
                       "'; site ids must be unique on the server"));
    }
  }
  auto stored = std::make_unique<Community>(std::move(community));
  const Community* pointer = stored.get();
  community_by_id_.emplace(pointer->id, pointer);
  for (const Site& site : pointer->sites) site_owner_.emplace(site.id, pointer);
  communities_.push_back(std::move(stored));
  return pointer;
}

const Community* Registry::FindCommunity(absl::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = community_by_id_.find(id);
  return it == community_by_id_.end() ? nullptr : it->second;
}

size_t Registry::community_count() const {
  std::lock_guard lock(mu_);
  return communities_.size();
}

absl::StatusOr<Round*> Registry::CreateRound(RoundConfig config) {
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
  absl::StatusOr<std::unique_ptr<Round>> round = Round::Create(config, std::move(communities));
  if (!round.ok()) return round.status();

  std::lock_guard lock(mu_);
  if (FindRound(config.id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("round '", config.id, "' already exists; pick another round_id"));
  }
  Round* pointer = round->get();
  rounds_.push_back(*std::move(round));
  for (uint64_t pos = core::HashCode(config.id);; ++pos) {
    std::atomic<Round*>& slot = round_table_[pos % kTableSize];
    if (slot.load(std::memory_order_relaxed) == nullptr) {
      // Release: FindRound's acquire load sees the whole round.
      slot.store(pointer, std::memory_order_release);
      break;
    }
  }
  return pointer;
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

}  // namespace swabwave::engine
