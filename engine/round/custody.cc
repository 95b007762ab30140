// Round's boxes: sealed tubes packed at their site, carried by a courier,
// received by a lab tube by tube (engine/custody/box_book.h), checked
// against the rack and journaled.
#include <algorithm>
#include <limits>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/journal/records.h"
#include "engine/model/names.h"
#include "engine/round/round.h"

namespace swabwave::engine {

absl::Status Round::CheckOpened(absl::string_view what) const {
  const RoundPhase current = phase();
  if (current == RoundPhase::kOpen || current == RoundPhase::kClosed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "round ", config_.id, " is ", PhaseName(current), "; ", what, " once it has opened"));
}

void Round::Journal(absl::string_view record) const {
  if (store_ != nullptr) store_->Append(record);  // never waits for the disk
}

std::vector<uint32_t> Round::TubeMembers(TubeIndex tube) const {
  if (lab::IsFollowUpTube(tube)) {
    std::optional<lab::Retest> retest = follow_ups_.At(tube);
    if (!retest.has_value()) return {};
    return {retest->member};
  }
  const core::DeskRack& rack = live()->rack();
  std::vector<uint32_t> members;
  members.reserve(static_cast<size_t>(rack.pool_ratio()));
  for (uint32_t slot = 0; slot < static_cast<uint32_t>(rack.pool_ratio()); ++slot) {
    const uint32_t member = rack.Member(tube, slot);
    if (member != kNoId) members.push_back(member);
  }
  return members;
}

std::optional<TubeIndex> Round::FindAnyTube(absl::string_view barcode) const {
  if (std::optional<TubeIndex> tube = live()->rack().FindTube(barcode)) return tube;
  return follow_ups_.FindBarcode(barcode);
}

std::string Round::AnyTubeBarcode(TubeIndex tube) const {
  if (!lab::IsFollowUpTube(tube)) return std::string(TubeBarcode(tube));
  std::optional<lab::Retest> retest = follow_ups_.At(tube);
  return retest.has_value() ? retest->tube_barcode : std::string();
}

std::optional<int64_t> Round::SwabTime(uint32_t member) const {
  if (member < layout_.resident_count()) {
    std::optional<SampledCheckIn> sampled = SampledAt(member);
    if (!sampled.has_value()) return std::nullopt;
    return sampled->scan_unix_seconds;
  }
  std::optional<roster::WalkIn> walk_in = walk_ins_.At(member - layout_.resident_count());
  if (!walk_in.has_value()) return std::nullopt;
  return walk_in->scan_unix_seconds;
}

bool Round::PacksAtSamePlace(DeskIndex filled_at, DeskIndex packer) const {
  if (TeamOf(packer).has_value()) return filled_at == packer;
  return filled_at < layout_.desk_count() &&
         layout_.site_of_desk(filled_at) == layout_.site_of_desk(packer);
}

int64_t Round::OldestSwabIn(TubeIndex tube, const std::optional<lab::Retest>& follow_up) const {
  if (follow_up.has_value()) return follow_up->at_unix_seconds;
  int64_t oldest = std::numeric_limits<int64_t>::max();
  for (uint32_t member : TubeMembers(tube)) {
    std::optional<int64_t> at = SwabTime(member);
    if (at.has_value()) oldest = std::min(oldest, *at);
  }
  return oldest;
}

absl::StatusOr<Round::TubesToPackPage> Round::TubesToPack(DeskIndex desk, TubeIndex from,
                                                          size_t limit) const {
  if (absl::Status s = CheckOpened("tubes can be packed"); !s.ok()) return s;
  if (desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  TubesToPackPage page;
  const auto take = [&](TubeIndex tube, const std::optional<lab::Retest>& follow_up) {
    if (page.tubes.size() == limit) {
      page.next = tube;
      return false;
    }
    TubeToPack& out = page.tubes.emplace_back();
    out.tube = tube;
    out.barcode = AnyTubeBarcode(tube);
    out.desk = follow_up.has_value() ? follow_up->desk : live()->rack().DeskOf(tube);
    out.swabs = follow_up.has_value() ? 1 : live()->rack().Tube(tube).swabs;
    out.oldest_swab_unix_seconds = OldestSwabIn(tube, follow_up);
    return true;
  };
  const core::DeskRack& rack = live()->rack();
  // PacksAtSamePlace for this desk, worked out once: the pass below looks
  // at every tube of the round.
  const bool team = TeamOf(desk).has_value();
  const uint32_t site = team ? 0 : layout_.site_of_desk(desk);
  const auto packs_here = [&](DeskIndex filled_at) {
    if (team) return filled_at == desk;
    return filled_at < layout_.desk_count() && layout_.site_of_desk(filled_at) == site;
  };
  if (!lab::IsFollowUpTube(from)) {
    const TubeIndex racked = rack.tube_count();
    for (TubeIndex tube = from; tube < racked; ++tube) {
      if (!packs_here(rack.DeskOf(tube)) || boxes_.Holds(tube) ||
          rack.Tube(tube).state != core::TubeState::kSealed) {
        continue;
      }
      if (!take(tube, std::nullopt)) return page;
    }
    from = lab::kFollowUpTubeBase;
  }
  const std::vector<lab::Retest> retests = follow_ups_.All();  // in tube order
  for (size_t i = from - lab::kFollowUpTubeBase; i < retests.size(); ++i) {
    const TubeIndex tube = lab::kFollowUpTubeBase + static_cast<TubeIndex>(i);
    if (!packs_here(retests[i].desk) || boxes_.Holds(tube)) continue;
    if (!take(tube, retests[i])) return page;
  }
  return page;
}

absl::StatusOr<custody::BoxBook::Recorded> Round::PackBox(const PackRequest& request) {
  if (absl::Status s = CheckOpened("boxes can be packed"); !s.ok()) return s;
  if (request.desk >= desk_total()) return absl::NotFoundError("no such desk in this round");
  if (absl::Status s = CheckCode("box_barcode", request.box_barcode); !s.ok()) return s;
  if (request.tube_barcodes.empty()) {
    return absl::InvalidArgumentError("tube_barcodes: a box holds at least one tube");
  }
  if (request.tube_barcodes.size() > static_cast<size_t>(config_.box_capacity)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tube_barcodes: ", request.tube_barcodes.size(), " tubes, but a box of round ",
        config_.id, " holds at most ", config_.box_capacity, "; pack them into more boxes"));
  }
  const core::DeskRack& rack = live()->rack();
  const bool team = TeamOf(request.desk).has_value();
  custody::Box box;
  box.barcode = request.box_barcode;
  box.desk = request.desk;
  box.packed = request.signature;
  box.oldest_swab_unix_seconds = std::numeric_limits<int64_t>::max();
  absl::flat_hash_set<TubeIndex> listed;
  for (size_t i = 0; i < request.tube_barcodes.size(); ++i) {
    const std::string& barcode = request.tube_barcodes[i];
    const std::string what = absl::StrCat("tube_barcodes[", i, "]");
    if (absl::Status s = CheckCode(what, barcode); !s.ok()) return s;
    std::optional<TubeIndex> tube = FindAnyTube(barcode);
    if (!tube.has_value()) {
      return absl::NotFoundError(
          absl::StrCat(what, ": no tube ", barcode, " was scanned in round ", config_.id));
    }
    if (!listed.insert(*tube).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": tube ", barcode, " is listed twice"));
    }
    // A follow-up tube is sealed with its one swab; a pooled one by the rack.
    std::optional<lab::Retest> follow_up;
    if (lab::IsFollowUpTube(*tube)) follow_up = follow_ups_.At(*tube);
    const DeskIndex filled_at = follow_up.has_value() ? follow_up->desk : rack.DeskOf(*tube);
    if (!PacksAtSamePlace(filled_at, request.desk)) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": tube ", barcode, " was filled at ", DeskName(filled_at),
          "; a box is packed with its own ", team ? "team's" : "site's", " tubes"));
    }
    if (!follow_up.has_value() && rack.Tube(*tube).state != core::TubeState::kSealed) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": tube ", barcode, " is not sealed; seal it before packing it"));
    }
    box.oldest_swab_unix_seconds =
        std::min(box.oldest_swab_unix_seconds, OldestSwabIn(*tube, follow_up));
    box.tubes.push_back(*tube);
  }
  if (box.oldest_swab_unix_seconds == std::numeric_limits<int64_t>::max()) {
    box.oldest_swab_unix_seconds = box.packed.at_unix_seconds;
  }
  return boxes_.Pack(std::move(box), [&](const custody::Box& added) {
    std::string record;
    journal::EncodeBox({index_, added}, &record);
    Journal(record);
  });
}

absl::StatusOr<custody::BoxBook::Recorded> Round::PickUpBox(absl::string_view box_barcode,
                                                            custody::Signature courier) {
  if (absl::Status s = CheckOpened("boxes can be picked up"); !s.ok()) return s;
  return boxes_.PickUp(box_barcode, std::move(courier), [&](const custody::Box& box) {
    std::string record;
    journal::EncodeBox({index_, box}, &record);
    Journal(record);
  });
}

absl::StatusOr<custody::BoxBook::Recorded> Round::ReceiveBox(
    absl::string_view box_barcode, absl::string_view lab_id, custody::Signature lab,
    const std::vector<std::string>& scanned) {
  if (absl::Status s = CheckOpened("boxes can be received"); !s.ok()) return s;
  if (absl::Status s = CheckId("lab_id", lab_id); !s.ok()) return s;
  const size_t most = static_cast<size_t>(config_.box_capacity) + kMaxUnexpectedScans;
  if (scanned.size() > most) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tube_barcodes: ", scanned.size(), " scans, but a box holds at most ",
        config_.box_capacity, " tubes; scan each tube of this box once"));
  }
  std::vector<TubeIndex> tubes;
  tubes.reserve(scanned.size());
  for (size_t i = 0; i < scanned.size(); ++i) {
    if (absl::Status s = CheckCode(absl::StrCat("tube_barcodes[", i, "]"), scanned[i]); !s.ok()) {
      return s;
    }
    tubes.push_back(FindAnyTube(scanned[i]).value_or(kNoId));
  }
  return boxes_.Receive(box_barcode, lab_id, std::move(lab), scanned, tubes,
                        [&](const custody::Box& box) {
                          std::string record;
                          journal::EncodeBox({index_, box}, &record);
                          Journal(record);
                        });
}

absl::Status Round::RestoreBox(const custody::Box& box) {
  const core::LiveRound* state = live();
  auto damaged = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("box ", box.barcode, " of round ", config_.id, " ",
                                            what));
  };
  if (state == nullptr) return damaged("was packed before the round had a plan");
  if (box.desk >= desk_total()) return damaged("names a desk the round does not have");
  const TubeMarks known = MarkTubes(state->rack().tube_count());
  for (const std::vector<TubeIndex>* tubes : {&box.tubes, &box.missing}) {
    for (TubeIndex tube : *tubes) {
      if (!known.Covers(tube)) return damaged("names a tube never racked");
    }
  }
  return boxes_.Restore(box);
}

}  // namespace swabwave::engine
