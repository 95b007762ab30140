#include "engine/lab/retest_book.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::lab {

absl::string_view FollowUpReasonName(FollowUpReason reason) {
  switch (reason) {
    case FollowUpReason::kRecall: return "recall";
    case FollowUpReason::kResample: return "resample";
  }
  return "unknown";
}

absl::StatusOr<RetestBook::Recorded> RetestBook::Record(
    Retest retest, const std::function<void(const Retest&)>& journal, Recorded* first) {
  std::lock_guard lock(mu_);
  if (auto it = by_request_.find(retest.request); it != by_request_.end()) {
    return Recorded{retests_[it->second], kFollowUpTubeBase + it->second, true};
  }
  if (auto it = by_member_.find(retest.member); it != by_member_.end()) {
    if (first != nullptr) *first = {retests_[it->second], kFollowUpTubeBase + it->second, false};
    return absl::AlreadyExistsError(absl::StrCat(
        "this resident gave their follow-up swab already, in tube ",
        retests_[it->second].tube_barcode, "; one follow-up swab per resident"));
  }
  if (by_barcode_.contains(retest.tube_barcode)) {
    return absl::AlreadyExistsError(absl::StrCat("tube ", retest.tube_barcode,
                                                 " holds another follow-up swab; use a new tube"));
  }
  const auto index = static_cast<uint32_t>(retests_.size());
  by_request_.emplace(retest.request, index);
  by_member_.emplace(retest.member, index);
  by_barcode_.emplace(retest.tube_barcode, index);
  retests_.push_back(std::move(retest));
  if (journal) journal(retests_.back());
  return Recorded{retests_.back(), kFollowUpTubeBase + index, false};
}

std::optional<RetestBook::Recorded> RetestBook::FindRequest(uint64_t request) const {
  std::lock_guard lock(mu_);
  auto it = by_request_.find(request);
  if (it == by_request_.end()) return std::nullopt;
  return Recorded{retests_[it->second], kFollowUpTubeBase + it->second, true};
}

std::optional<RetestBook::Recorded> RetestBook::OfMember(uint32_t member) const {
  std::lock_guard lock(mu_);
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return std::nullopt;
  return Recorded{retests_[it->second], kFollowUpTubeBase + it->second, false};
}

std::optional<TubeIndex> RetestBook::FindBarcode(absl::string_view barcode) const {
  std::lock_guard lock(mu_);
  auto it = by_barcode_.find(barcode);
  if (it == by_barcode_.end()) return std::nullopt;
  return kFollowUpTubeBase + it->second;
}

std::optional<Retest> RetestBook::At(TubeIndex tube) const {
  std::lock_guard lock(mu_);
  if (!IsFollowUpTube(tube) || tube - kFollowUpTubeBase >= retests_.size()) return std::nullopt;
  return retests_[tube - kFollowUpTubeBase];
}

std::vector<Retest> RetestBook::All() const {
  std::lock_guard lock(mu_);
  return retests_;
}

size_t RetestBook::size() const {
  std::lock_guard lock(mu_);
  return retests_.size();
}

absl::Status RetestBook::Restore(const Retest& retest) {
  absl::StatusOr<Recorded> recorded = Record(retest);
  if (!recorded.ok()) {
    return absl::DataLossError(absl::StrCat("the journal's follow-up swab of member ",
                                            retest.member, " contradicts an earlier one: ",
                                            recorded.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::lab
