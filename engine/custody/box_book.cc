#include "engine/custody/box_book.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace swabwave::engine::custody {

absl::string_view BoxStateName(BoxState state) {
  switch (state) {
    case BoxState::kPacked: return "packed";
    case BoxState::kPickedUp: return "picked up";
    case BoxState::kReceived: return "received";
  }
  return "unknown";
}

absl::string_view BoxAgeName(BoxAge age) {
  switch (age) {
    case BoxAge::kFresh: return "fresh";
    case BoxAge::kWarning: return "warning";
    case BoxAge::kBreach: return "breach";
  }
  return "unknown";
}

std::optional<size_t> BoxBook::IndexOf(absl::string_view barcode) const {
  auto it = by_barcode_.find(barcode);
  if (it == by_barcode_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<BoxBook::Recorded> BoxBook::Pack(Box box,
                                                const std::function<void(const Box&)>& journal) {
  std::lock_guard lock(mu_);
  if (std::optional<size_t> at = IndexOf(box.barcode); at.has_value()) {
    const Box& first = boxes_[*at];
    if (first.desk == box.desk && first.tubes == box.tubes) return Recorded{first, true};
    return absl::AlreadyExistsError(absl::StrCat(
        "box ", box.barcode, " was packed already, with ", first.tubes.size(),
        " other tubes; label this box with a new barcode"));
  }
  for (TubeIndex tube : box.tubes) {
    if (auto it = by_tube_.find(tube); it != by_tube_.end()) {
      return absl::AlreadyExistsError(absl::StrCat("a tube of this box is in box ",
                                                   boxes_[it->second].barcode,
                                                   " already; a tube travels in one box"));
    }
  }
  box.state = BoxState::kPacked;
  const size_t index = boxes_.size();
  for (TubeIndex tube : box.tubes) by_tube_.emplace(tube, index);
  by_barcode_.emplace(box.barcode, index);
  boxes_.push_back(std::move(box));
  if (journal) journal(boxes_.back());
  return Recorded{boxes_.back(), false};
}

absl::StatusOr<BoxBook::Recorded> BoxBook::PickUp(
    absl::string_view barcode, Signature courier,
    const std::function<void(const Box&)>& journal) {
  std::lock_guard lock(mu_);
  std::optional<size_t> at = IndexOf(barcode);
  if (!at.has_value()) {
    return absl::NotFoundError(absl::StrCat("no box ", barcode, " was packed in this round"));
  }
  Box& box = boxes_[*at];
  if (box.state != BoxState::kPacked) return Recorded{box, true};
  box.state = BoxState::kPickedUp;
  box.picked_up = std::move(courier);
  if (journal) journal(box);
  return Recorded{box, false};
}

absl::StatusOr<BoxBook::Recorded> BoxBook::Receive(
    absl::string_view barcode, absl::string_view lab_id, Signature lab,
    const std::vector<std::string>& scanned, const std::vector<TubeIndex>& scanned_tubes,
    const std::function<void(const Box&)>& journal) {
  std::lock_guard lock(mu_);
  std::optional<size_t> at = IndexOf(barcode);
  if (!at.has_value()) {
    return absl::NotFoundError(absl::StrCat("no box ", barcode, " was packed in this round"));
  }
  Box& box = boxes_[*at];
  if (box.state == BoxState::kReceived) return Recorded{box, true};
  if (box.state != BoxState::kPickedUp) {
    return absl::FailedPreconditionError(absl::StrCat(
        "box ", barcode, " has not been picked up: the courier signs for it before the lab "
        "receives it (custody is packed, picked up, received)"));
  }
  const absl::flat_hash_set<TubeIndex> packed(box.tubes.begin(), box.tubes.end());
  absl::flat_hash_set<TubeIndex> seen;
  box.unexpected.clear();
  for (size_t i = 0; i < scanned.size(); ++i) {
    if (scanned_tubes[i] != kNoId && packed.contains(scanned_tubes[i])) {
      seen.insert(scanned_tubes[i]);
    } else {
      box.unexpected.push_back(scanned[i]);
    }
  }
  box.missing.clear();
  for (TubeIndex tube : box.tubes) {
    if (!seen.contains(tube)) box.missing.push_back(tube);
  }
  box.state = BoxState::kReceived;
  box.lab_id = std::string(lab_id);
  box.received = std::move(lab);
  if (journal) journal(box);
  return Recorded{box, false};
}

std::optional<Box> BoxBook::Find(absl::string_view barcode) const {
  std::lock_guard lock(mu_);
  std::optional<size_t> at = IndexOf(barcode);
  if (!at.has_value()) return std::nullopt;
  return boxes_[*at];
}

std::optional<Box> BoxBook::BoxOf(TubeIndex tube) const {
  std::lock_guard lock(mu_);
  auto it = by_tube_.find(tube);
  if (it == by_tube_.end()) return std::nullopt;
  return boxes_[it->second];
}

std::optional<TubeCustody> BoxBook::CustodyOf(TubeIndex tube) const {
  std::lock_guard lock(mu_);
  auto it = by_tube_.find(tube);
  if (it == by_tube_.end()) return std::nullopt;
  const Box& box = boxes_[it->second];
  return TubeCustody{static_cast<uint32_t>(it->second),
                     box.state,
                     box.lab_id,
                     std::find(box.missing.begin(), box.missing.end(), tube) != box.missing.end(),
                     box.oldest_swab_unix_seconds,
                     box.received.at_unix_seconds};
}

std::string BoxBook::BarcodeOf(uint32_t box) const {
  std::lock_guard lock(mu_);
  return box < boxes_.size() ? boxes_[box].barcode : std::string();
}

bool BoxBook::Holds(TubeIndex tube) const {
  std::lock_guard lock(mu_);
  return by_tube_.contains(tube);
}

std::vector<Box> BoxBook::All() const {
  std::lock_guard lock(mu_);
  return boxes_;
}

size_t BoxBook::size() const {
  std::lock_guard lock(mu_);
  return boxes_.size();
}

absl::Status BoxBook::Restore(const Box& box) {
  std::lock_guard lock(mu_);
  std::optional<size_t> at = IndexOf(box.barcode);
  if (!at.has_value()) {
    for (TubeIndex tube : box.tubes) {
      if (by_tube_.contains(tube)) {
        return absl::DataLossError(absl::StrCat("box ", box.barcode, " holds tube ", tube,
                                                ", which the journal put in another box"));
      }
    }
    const size_t index = boxes_.size();
    for (TubeIndex tube : box.tubes) by_tube_.emplace(tube, index);
    by_barcode_.emplace(box.barcode, index);
    boxes_.push_back(box);
    return absl::OkStatus();
  }
  Box& known = boxes_[*at];
  if (known.desk != box.desk || known.tubes != box.tubes) {
    return absl::DataLossError(
        absl::StrCat("the journal packs box ", box.barcode, " twice, with different tubes"));
  }
  // A later step replaces an earlier one; an earlier one (a snapshot
  // already held the later) changes nothing.
  if (box.state > known.state) known = box;
  return absl::OkStatus();
}

}  // namespace swabwave::engine::custody
