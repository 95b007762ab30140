#include "engine/core/live_round.h"

#include <string>
#include <vector>

#include "engine/core/resident_table.h"

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
    for (int i = 0; i < 6; ++i) codes_.push_back(absl::StrCat("CODE", i));
    table_ = *ResidentTable::Build(
        6, [&](uint32_t i) { return absl::string_view(codes_[i]); },
        [](uint32_t i) { return i < 2 ? 0u : 1u; });
    LiveRoundSpec spec;
    spec.pool_ratio = 2;
    spec.epoch_unix_seconds = kEpoch;
    spec.table = table_.get();
    spec.initial = {ResidentState::kUntested,   ResidentState::kUntested,
                    ResidentState::kUntested,   ResidentState::kUntested,
                    ResidentState::kDoorToDoor, ResidentState::kExempt};
    spec.cells = {0, 0, 1, 1, kNoId, kNoId};
    spec.site_count = 1;
    spec.desk_sites = {0, 0};
    round_ = std::make_unique<LiveRound>(std::move(spec));
  }

  CheckInResult At(DeskIndex desk, int resident, uint64_t request, int64_t when = kEpoch + 60) {
    return round_->CheckIn(desk, absl::StrCat("CODE", resident), when, request);
  }

  std::vector<std::string> codes_;
  std::unique_ptr<ResidentTable> table_;
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
  EXPECT_EQ(round_->TotalCheckIns(), 1u);
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

TEST_F(LiveRoundTest, CountsAndScanFollowWhoWasSampled) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-1").ok());
  ASSERT_TRUE(round_->rack().RackTube(1, "TB-2").ok());
  EXPECT_EQ(At(0, 2, 1).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 4, 2).verdict, CheckInVerdict::kSampled);  // door-to-door, came to the site
  EXPECT_EQ(At(1, 5, 3).verdict, CheckInVerdict::kSampled);  // exempt, came anyway
  EXPECT_EQ(round_->exempt_sampled(), 1u);
  EXPECT_EQ(round_->door_to_door_sampled(), 1u);
  EXPECT_EQ(round_->TotalCheckIns(), 3u);
  EXPECT_EQ(round_->CheckInsPerSite(), std::vector<uint64_t>{3});
  EXPECT_EQ(round_->rack().SwabsPerDesk(), (std::vector<uint64_t>{2, 1}));
  // The scan sees the standing each sampled resident had, and their cell.
  int visited = 0;
  round_->Scan([&](uint32_t resident, ResidentWord word, uint32_t building, CellIndex cell) {
    ++visited;
    EXPECT_EQ(building, resident < 2 ? 0u : 1u);
    switch (resident) {
      case 2:
        EXPECT_EQ(word.state(), ResidentState::kSampled);
        EXPECT_EQ(cell, 1u);
        break;
      case 4: EXPECT_EQ(word.state(), ResidentState::kSampledDoorToDoor); break;
      case 5: EXPECT_EQ(word.state(), ResidentState::kSampledExempt); break;
      default: EXPECT_FALSE(IsSampled(word.state())) << resident;
    }
  });
  EXPECT_EQ(visited, 6);
}

TEST_F(LiveRoundTest, BatchAnswersEachAttemptInPlace) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-1").ok());
  const std::vector<CheckInAttempt> attempts = {
      {0, "CODE0", kEpoch + 1, 1}, {0, "NOBODY", kEpoch + 1, 2}, {0, "CODE0", kEpoch + 1, 3},
      {0, "CODE1", kEpoch + 1, 4}, {9, "CODE2", kEpoch + 1, 5},  {0, "CODE0", kEpoch + 1, 1}};
  std::vector<CheckInResult> results(attempts.size());
  round_->CheckInBatch(attempts, absl::MakeSpan(results));
  EXPECT_EQ(results[0].verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(results[1].verdict, CheckInVerdict::kUnknownResident);
  EXPECT_EQ(results[2].verdict, CheckInVerdict::kAlreadySampled);
  EXPECT_EQ(results[3].verdict, CheckInVerdict::kSampled);
  EXPECT_TRUE(results[3].tube_full);
  EXPECT_EQ(results[4].verdict, CheckInVerdict::kUnknownDesk);
  EXPECT_EQ(results[5].verdict, CheckInVerdict::kReplayed);
}

// A request id names one attempt: sent again for another resident it is
// refused, naming the resident it sampled, and leaves no trace; the
// resident is sampled with a new one, and the first resident's retry still
// gets its original answer.
TEST_F(LiveRoundTest, ARequestIdReusedForAnotherResidentIsRefused) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  const uint64_t request = RequestFingerprint("tablet-7-0001");
  ASSERT_EQ(At(0, 0, request).verdict, CheckInVerdict::kSampled);
  const CheckInResult reused = At(0, 1, request);
  EXPECT_EQ(reused.verdict, CheckInVerdict::kRequestReused);
  EXPECT_EQ(reused.resident, 0u);  // the resident the id sampled
  EXPECT_EQ(round_->Read(1).state(), ResidentState::kUntested);
  EXPECT_EQ(round_->TotalCheckIns(), 1u);
  EXPECT_EQ(At(1, 0, request).verdict, CheckInVerdict::kReplayed);
  const CheckInResult renewed = At(0, 1, RequestFingerprint("tablet-7-0002"));
  EXPECT_EQ(renewed.verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(renewed.slot, 1u);  // the refusal took no tube position
  EXPECT_EQ(round_->RequestOf(0).fingerprint, request);
  EXPECT_TRUE(round_->RequestOf(0).whole);
}

// Only all 64 bits make two requests one: ids that share either half are
// different attempts (the index keys on the low half and compares the high
// half, then the slot's tag).
TEST_F(LiveRoundTest, RequestIdsSharingHalfTheirFingerprintAreDifferentAttempts) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-1").ok());
  constexpr uint64_t kHigh = uint64_t{0xABCD0123} << 32;
  EXPECT_EQ(At(0, 0, kHigh | 5).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 1, kHigh | 6).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 2, (uint64_t{7} << 32) | 99).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 3, (uint64_t{8} << 32) | 99).verdict, CheckInVerdict::kSampled);
  ASSERT_TRUE(round_->rack().RackTube(1, "TB-2").ok());
  EXPECT_EQ(At(1, 4, kHigh | 6).verdict, CheckInVerdict::kRequestReused);
  EXPECT_EQ(round_->TotalCheckIns(), 4u);
}

// In one batch, the second use of an id is refused; a claim undone because
// its desk ran out of room gives its id back, so another resident may use it.
TEST_F(LiveRoundTest, BatchRefusesAReusedIdAndAnUndoneClaimGivesItsIdBack) {
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-0").ok());
  ASSERT_EQ(At(0, 2, 100).verdict, CheckInVerdict::kSampled);  // one place left at desk 0
  const std::vector<CheckInAttempt> attempts = {{0, "CODE0", kEpoch + 1, 200},
                                                {0, "CODE1", kEpoch + 1, 300},
                                                {0, "CODE3", kEpoch + 1, 200}};
  std::vector<CheckInResult> results(attempts.size());
  round_->CheckInBatch(attempts, absl::MakeSpan(results));
  EXPECT_EQ(results[0].verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(results[1].verdict, CheckInVerdict::kNoOpenTube);  // claimed, then undone
  EXPECT_EQ(results[2].verdict, CheckInVerdict::kRequestReused);
  EXPECT_EQ(results[2].resident, 0u);
  EXPECT_EQ(round_->Read(1).state(), ResidentState::kUntested);
  ASSERT_TRUE(round_->rack().RackTube(0, "TB-1").ok());
  EXPECT_EQ(At(0, 3, 300).verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(At(0, 1, 300).verdict, CheckInVerdict::kRequestReused);
  EXPECT_EQ(At(0, 1, 301).verdict, CheckInVerdict::kSampled);
}

// A household scanned together (with_previous) shares a tube, even where
// it straddles the end of the batch's prefetch window: 30 people alone fill
// seven tubes of 4 and half the eighth; the household of three that follows
// (attempts 30 to 32, across the window's end at 32) does not fit in the
// two positions left, so the eighth tube is sealed early, logged, and the
// household starts the ninth.
TEST(LiveRoundHouseholdTest, AHouseholdAcrossThePrefetchWindowSharesOneTube) {
  constexpr int kResidents = 33;
  static_assert(LiveRound::kPrefetchWindow == 32);
  std::vector<std::string> codes;
  for (int i = 0; i < kResidents; ++i) codes.push_back(absl::StrCat("HH", i));
  std::unique_ptr<ResidentTable> table = *ResidentTable::Build(
      kResidents, [&](uint32_t i) { return absl::string_view(codes[i]); },
      [](uint32_t) { return 0u; });
  LiveRoundSpec spec;
  spec.pool_ratio = 4;
  spec.epoch_unix_seconds = kEpoch;
  spec.table = table.get();
  spec.initial.assign(kResidents, ResidentState::kUntested);
  spec.cells.assign(kResidents, 0);
  spec.site_count = 1;
  spec.desk_sites = {0};
  LiveRound round(std::move(spec));
  for (int t = 0; t < 10; ++t) ASSERT_TRUE(round.rack().RackTube(0, absl::StrCat("HT-", t)).ok());

  struct SealLog final : CheckInLog {
    void Record(absl::Span<const CheckInResult> sampled) override { logged += sampled.size(); }
    void RecordEarlySeal(DeskIndex desk, TubeIndex tube) override {
      sealed.emplace_back(desk, tube);
      sealed_before = logged;
    }
    size_t logged = 0;
    size_t sealed_before = 0;
    std::vector<std::pair<DeskIndex, TubeIndex>> sealed;
  } log;
  std::vector<CheckInAttempt> attempts;
  for (int i = 0; i < kResidents; ++i) {
    attempts.push_back({0, codes[i], kEpoch + 1, static_cast<uint64_t>(i + 1)});
    attempts.back().with_previous = i > 30;
  }
  std::vector<CheckInResult> results(attempts.size());
  round.CheckInBatch(attempts, absl::MakeSpan(results), &log);
  for (const CheckInResult& result : results) ASSERT_EQ(result.verdict, CheckInVerdict::kSampled);
  EXPECT_EQ(results[29].tube, 7u);
  EXPECT_EQ(results[29].slot, 1u);
  for (int i = 30; i < kResidents; ++i) {
    EXPECT_EQ(results[i].tube, 8u) << "attempt " << i;
    EXPECT_EQ(results[i].slot, static_cast<uint32_t>(i - 30));
  }
  EXPECT_EQ(round.rack().Tube(7).state, TubeState::kSealed);
  EXPECT_EQ(round.rack().Tube(7).swabs, 2u);
  ASSERT_EQ(log.sealed.size(), 1u);
  EXPECT_EQ(log.sealed[0], std::make_pair(DeskIndex{0}, TubeIndex{7}));
  // The seal reached the log before the household's check-ins.
  EXPECT_EQ(log.sealed_before, 30u);
  EXPECT_EQ(log.logged, static_cast<size_t>(kResidents));
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
