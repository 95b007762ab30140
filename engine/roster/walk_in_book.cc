#include "engine/roster/walk_in_book.h"

#include <utility>

namespace swabwave::engine::roster {

WalkInBook::Recorded WalkInBook::Record(
    WalkIn walk_in, const std::function<void(const WalkIn&, uint32_t)>& journal) {
  std::lock_guard lock(mu_);
  const auto index = static_cast<uint32_t>(walk_ins_.size());
  const auto [found, inserted] = by_request_.try_emplace(walk_in.request, index);
  if (!inserted) return Recorded{walk_ins_[found->second], found->second, true};
  by_code_.emplace(walk_in.code, index);
  walk_ins_.push_back(std::move(walk_in));
  if (journal) journal(walk_ins_.back(), index);
  return Recorded{walk_ins_.back(), index, false};
}

std::optional<WalkInBook::Recorded> WalkInBook::FindRequest(uint64_t request) const {
  std::lock_guard lock(mu_);
  const auto found = by_request_.find(request);
  if (found == by_request_.end()) return std::nullopt;
  return Recorded{walk_ins_[found->second], found->second, true};
}

std::optional<WalkInBook::Recorded> WalkInBook::FindCode(absl::string_view code) const {
  std::lock_guard lock(mu_);
  const auto found = by_code_.find(code);
  if (found == by_code_.end()) return std::nullopt;
  return Recorded{walk_ins_[found->second], found->second, true};
}

std::optional<std::string> WalkInBook::UnitOfNewHousehold(uint32_t community,
                                                          absl::string_view id) const {
  std::lock_guard lock(mu_);
  for (const WalkIn& w : walk_ins_) {
    if (w.new_household && w.community == community && w.household_id == id) return w.unit_id;
  }
  return std::nullopt;
}

std::vector<WalkIn> WalkInBook::All() const {
  std::lock_guard lock(mu_);
  return walk_ins_;
}

std::optional<WalkIn> WalkInBook::At(uint32_t index) const {
  std::lock_guard lock(mu_);
  if (index >= walk_ins_.size()) return std::nullopt;
  return walk_ins_[index];
}

size_t WalkInBook::size() const {
  std::lock_guard lock(mu_);
  return walk_ins_.size();
}

}  // namespace swabwave::engine::roster
