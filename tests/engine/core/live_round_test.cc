#include "engine/core/live_round.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {
namespace {

constexpr int64_t kEpoch = 1'800'000'000;

// Six residents in two buildings; cells 0 and 1; one site with two desks.
// Resident 4 is door-to-door, resident 5 exempt.
class LiveRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 6; ++i) codes_.Append(absl::StrCat("CODE", i));
    index_ = std::make_unique<CodeIndex>(*CodeIndex::Build(&codes_));
    LiveRoundSpec spec;
    spec.pool_ratio = 2;
    spec.epoch_unix_seconds = kEpoch;
    spec.index = index_.get();
    spec.residents = {{ResidentState::kUntested, 0, 0},       {ResidentState::kUntested, 0, 0},
                      {ResidentState::kUntested, 1, 1},       {ResidentState::kUntested, 1, 1},
                      {ResidentState::kDoorToDoor, 1, kNoId}, {ResidentState::kExempt, 1, kNoId}};
    spec.building_count = 2;
    spec.cell_count = 2;
    spec.site_count = 1;
    spec.desk_sites = {0, 0};
    round_ = std::make_unique<LiveRound>(std::move(spec));
  }

  CheckInResult At(DeskIndex desk, int resident, uint32_t tag, int64_t when = kEpoch + 60) {
    return round_->CheckIn(desk, absl::StrCat("CODE", resident), when, tag);
  }

  CodeArena codes_;
  std::unique_ptr<CodeIndex> index_;
  std::unique_ptr<LiveRound> round_;
};

TEST_F(LiveRoundTest, SamplesIntoTheDesksOpenTube) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  const CheckInResult first = At(0, 0, 11);
  EXPECT_EQ(first.verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(first.resident, 0u);
  EXPECT_EQ(first.tube, 0u);
  EXPECT_EQ(first.slot, 0u);
  EXPECT_FALSE(first.tube_full);
  EXPECT_EQ(first.scan_unix_seconds, kEpoch + 60);
  const CheckInResult second = At(0, 1, 12);
  EXPECT_EQ(second.slot, 1u);
  EXPECT_TRUE(second.tube_full);
  EXPECT_EQ(round_->rack().Member(0, 0), 0u);
  EXPECT_EQ(round_->rack().Member(0, 1), 1u);
  const ResidentWord word = round_->Read(1);
  EXPECT_EQ(word.state(), ResidentState::kSampled);
  EXPECT_EQ(word.place(), 0u);
  EXPECT_EQ(word.slot(), 1u);
}

TEST_F(LiveRoundTest, RetryWithSameTagGetsTheOriginalAnswer) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  const CheckInResult original = At(0, 2, 77, kEpoch + 100);
  const CheckInResult retry = At(0, 2, 77, kEpoch + 500);
  EXPECT_EQ(retry.verdict, CheckInVerdict::kReplayed);
  EXPECT_EQ(retry.tube, original.tube);
  EXPECT_EQ(retry.slot, original.slot);
  EXPECT_EQ(retry.desk, 0u);
  EXPECT_EQ(retry.scan_unix_seconds, kEpoch + 100);  // the original scan time
  EXPECT_EQ(round_->building_tally(1).sampled.load(), 1);
}

TEST_F(LiveRoundTest, SecondAttemptLearnsWhereAndWhenTheFirstWas) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_TRUE(round_->rack().RackTube(1, "TB-1").ok());
  const CheckInResult first = At(0, 3, 1, kEpoch + 42);
  const CheckInResult second = At(1, 3, 2, kEpoch + 99);
  EXPECT_EQ(second.verdict, CheckInVerdict::kAlreadySampled);
  EXPECT_EQ(second.desk, 0u);
  EXPECT_EQ(second.tube, first.tube);
  EXPECT_EQ(second.slot, first.slot);
  EXPECT_EQ(second.scan_unix_seconds, kEpoch + 42);
  // The second desk's tube took nothing.
  EXPECT_EQ(round_->rack().Tube(1).swabs, 0u);
}

TEST_F(LiveRoundTest, RefusalsLeaveTheResidentUntested) {
  EXPECT_EQ(At(0, 0, 1).verdict, CheckInVerdict::kNoOpenTube);
  EXPECT_EQ(round_->Read(0).state(), ResidentState::kUntested);
  EXPECT_EQ(round_->CheckIn(0, "NOBODY", kEpoch, 1).verdict, CheckInVerdict::kUnknownResident);
  EXPECT_EQ(At(7, 0, 1).verdict, CheckInVerdict::kUnknownDesk);
  EXPECT_EQ(At(0, 0, 1, kEpoch - 1).verdict, CheckInVerdict::kScanTimeOutOfRange);
  EXPECT_EQ(At(0, 0, 1, kEpoch + ResidentWord::kMaxScanOffset + 1).verdict,
            CheckInVerdict::kScanTimeOutOfRange);
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  EXPECT_EQ(At(0, 0, 1).verdict, CheckInVerdict::kSampled);
}

TEST_F(LiveRoundTest, CountersFollowWhoWasSampled) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-1").ok());
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-2").ok());
  EXPECT_EQ(At(0, 2, 1).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 4, 2).verdict, CheckInVerdict::kSampled);  // door-to-door, came to the site
  EXPECT_EQ(At(0, 5, 3).verdict, CheckInVerdict::kSampled);  // exempt, came anyway
  const LiveRound::BuildingTally& b1 = round_->building_tally(1);
  EXPECT_EQ(b1.sampled.load(), 3);
  EXPECT_EQ(b1.door_to_door_sampled.load(), 1);
  EXPECT_EQ(b1.exempt_sampled.load(), 1);
  EXPECT_EQ(round_->building_tally(0).sampled.load(), 0);
  EXPECT_EQ(round_->cell_sampled(1), 1);  // only resident 2 had a cell
  EXPECT_EQ(round_->cell_sampled(0), 0);
  EXPECT_EQ(round_->site_check_ins(0), 3);
}

TEST(ResidentWordTest, PacksAndUnpacksEveryField) {
  const ResidentWord word = ResidentWord::Make(ResidentState::kSampled, ResidentWord::kMaxPlace, 19,
                                               ResidentWord::kMaxScanOffset);
  EXPECT_EQ(word.state(), ResidentState::kSampled);
  EXPECT_EQ(word.place(), ResidentWord::kMaxPlace);
  EXPECT_EQ(word.slot(), 19u);
  EXPECT_EQ(word.scan_offset(), ResidentWord::kMaxScanOffset);
  const ResidentWord claimed = ResidentWord::Make(ResidentState::kClaimed, 12345, 0, 777);
  EXPECT_EQ(claimed.state(), ResidentState::kClaimed);
  EXPECT_EQ(claimed.place(), 12345u);
  EXPECT_EQ(claimed.scan_offset(), 777);
}

}  // namespace
}  // namespace swabwave::engine::core
