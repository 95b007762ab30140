#include "engine/core/desk_rack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {
namespace {

using ::testing::HasSubstr;

// One position at `desk`, or nullopt when the desk has no open tube.
std::optional<TubePosition> TakePosition(DeskRack& rack, DeskIndex desk) {
  TubePosition position;
  if (rack.TakePositions(desk, 1, &position) == 0) return std::nullopt;
  return position;
}

TEST(DeskRackTest, DeskWithoutTubeGivesNoPosition) {
  DeskRack rack(2, 10);
  EXPECT_FALSE(rack.HasOpenTube(0));
  EXPECT_FALSE(TakePosition(rack, 0).has_value());
}

TEST(DeskRackTest, FillsTubeThenRotatesToNextRacked) {
  DeskRack rack(1, 5);
  ASSERT_TRUE(rack.RackTube(0, "TUBE-A").ok());
  ASSERT_TRUE(rack.RackTube(0, "TUBE-B").ok());
  EXPECT_EQ(rack.Tube(0).state, TubeState::kOpen);
  EXPECT_EQ(rack.Tube(1).state, TubeState::kRacked);
  for (uint32_t slot = 0; slot < 5; ++slot) {
    std::optional<TubePosition> p = TakePosition(rack, 0);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->tube, 0u);
    EXPECT_EQ(p->slot, slot);
    EXPECT_EQ(p->filled, slot == 4);
    rack.SetMember(p->tube, p->slot, 100 + slot);
  }
  EXPECT_EQ(rack.Tube(0).state, TubeState::kSealed);
  EXPECT_EQ(rack.Tube(0).swabs, 5u);
  EXPECT_EQ(rack.Member(0, 3), 103u);
  EXPECT_EQ(rack.sealed_tubes(), 1u);
  std::optional<TubePosition> next = TakePosition(rack, 0);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->tube, 1u);
  EXPECT_EQ(next->slot, 0u);
}

TEST(DeskRackTest, RackingAfterTheLastTubeFilledReopensTheDesk) {
  DeskRack rack(1, 1);
  ASSERT_TRUE(rack.RackTube(0, "ONLY-1").ok());
  ASSERT_TRUE(TakePosition(rack, 0).has_value());
  EXPECT_FALSE(rack.HasOpenTube(0));
  EXPECT_FALSE(TakePosition(rack, 0).has_value());
  absl::StatusOr<TubeView> second = rack.RackTube(0, "ONLY-2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->state, TubeState::kOpen);
  std::optional<TubePosition> p = TakePosition(rack, 0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->tube, second->index);
}

TEST(DeskRackTest, SameBarcodeTwiceIsAlreadyExists) {
  DeskRack rack(2, 10);
  ASSERT_TRUE(rack.RackTube(0, "TB-1").ok());
  absl::StatusOr<TubeView> again = rack.RackTube(1, "TB-1");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("TB-1"));
}

// The journal append runs once tube_count() shows the tube: a dense
// snapshot that covers the tube's record (and so skips it on replay) reads
// a rack that has the tube. The other order lost the tube, and a later
// check-in into it failed recovery as "out of range for its round" (a
// ThreadSanitizer run of RecoveryTest.DenseSnapshotsWrittenDuringCheckIns…
// caught it); and no desk takes swabs in the tube before it is journaled.
TEST(DeskRackTest, ATubeIsInTheRackBeforeItsRecordIsJournaled) {
  DeskRack rack(2, 10);
  for (uint32_t n = 0; n < 3; ++n) {
    bool called = false;
    ASSERT_TRUE(rack.RackTube(n % 2, absl::StrCat("TB-", n), [&](TubeIndex tube) {
                      called = true;
                      EXPECT_EQ(tube, n);
                      EXPECT_EQ(rack.tube_count(), n + 1);
                      EXPECT_EQ(rack.BarcodeOf(tube), absl::StrCat("TB-", n));
                      if (n < 2) {
                        EXPECT_FALSE(rack.HasOpenTube(n % 2));  // not yet open
                      }
                    })
                    .ok());
    EXPECT_TRUE(called);
  }
}

TEST(DeskRackTest, SealByHandRulesAndCounts) {
  DeskRack rack(2, 10);
  ASSERT_TRUE(rack.RackTube(0, "OPEN-1").ok());
  ASSERT_TRUE(rack.RackTube(0, "NEXT-2").ok());
  EXPECT_EQ(rack.SealTube(0, "NOPE").status().code(), absl::StatusCode::kNotFound);
  absl::Status empty = rack.SealTube(0, "OPEN-1").status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(empty.message(), HasSubstr("empty"));
  absl::Status racked = rack.SealTube(0, "NEXT-2").status();
  EXPECT_EQ(racked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(racked.message(), HasSubstr("racked"));
  EXPECT_EQ(rack.SealTube(1, "OPEN-1").status().code(), absl::StatusCode::kFailedPrecondition);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(TakePosition(rack, 0).has_value());
  absl::StatusOr<TubeView> sealed = rack.SealTube(0, "OPEN-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->state, TubeState::kSealed);
  EXPECT_EQ(sealed->swabs, 3u);
  absl::Status twice = rack.SealTube(0, "OPEN-1").status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(twice.message(), HasSubstr("already sealed"));
  // The next racked tube took over at position 0.
  std::optional<TubePosition> p = TakePosition(rack, 0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->tube, 1u);
  EXPECT_EQ(p->slot, 0u);
}

TEST(DeskRackTest, OneTakeOfManyRunsIntoTheNextTube) {
  DeskRack rack(1, 5);
  ASSERT_TRUE(rack.RackTube(0, "TUBE-A").ok());
  ASSERT_TRUE(rack.RackTube(0, "TUBE-B").ok());
  TubePosition positions[8];
  ASSERT_EQ(rack.TakePositions(0, 3, positions), 3u);
  for (uint32_t j = 0; j < 3; ++j) {
    EXPECT_EQ(positions[j].tube, 0u);
    EXPECT_EQ(positions[j].slot, j);
    EXPECT_FALSE(positions[j].filled);
  }
  // Two fit in tube A (the second fills it), two go to tube B.
  ASSERT_EQ(rack.TakePositions(0, 4, positions), 4u);
  const std::pair<TubeIndex, uint32_t> expected[] = {{0, 3}, {0, 4}, {1, 0}, {1, 1}};
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(positions[j].tube, expected[j].first) << j;
    EXPECT_EQ(positions[j].slot, expected[j].second) << j;
    EXPECT_EQ(positions[j].filled, j == 1) << j;
  }
  EXPECT_EQ(rack.Tube(0).state, TubeState::kSealed);
  EXPECT_EQ(rack.Tube(0).swabs, 5u);
  EXPECT_EQ(rack.Tube(1).state, TubeState::kOpen);
  EXPECT_EQ(rack.SwabsPerDesk()[0], 7u);
  // The surplus of a take past the last tube is handed to no one.
  ASSERT_EQ(rack.TakePositions(0, 8, positions), 3u);
  EXPECT_EQ(positions[2].slot, 4u);
  EXPECT_TRUE(positions[2].filled);
  EXPECT_FALSE(rack.HasOpenTube(0));
  EXPECT_EQ(rack.SwabsPerDesk()[0], 10u);
  EXPECT_EQ(rack.sealed_tubes(), 2u);
  ASSERT_TRUE(rack.RackTube(0, "TUBE-C").ok());
  ASSERT_EQ(rack.TakePositions(0, 2, positions), 2u);
  EXPECT_EQ(positions[0].tube, 2u);
  EXPECT_EQ(positions[0].slot, 0u);
}

TEST(DeskRackTest, ATakeAfterASealByHandStartsTheNextTube) {
  DeskRack rack(1, 10);
  ASSERT_TRUE(rack.RackTube(0, "HAND-1").ok());
  ASSERT_TRUE(rack.RackTube(0, "HAND-2").ok());
  TubePosition positions[4];
  ASSERT_EQ(rack.TakePositions(0, 4, positions), 4u);
  absl::StatusOr<TubeView> sealed = rack.SealTube(0, "HAND-1");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->swabs, 4u);
  ASSERT_EQ(rack.TakePositions(0, 4, positions), 4u);
  EXPECT_EQ(positions[0].tube, 1u);
  EXPECT_EQ(positions[0].slot, 0u);
  EXPECT_EQ(positions[3].slot, 3u);
}

TEST(DeskRackTest, AHouseholdThatFitsTakesTheOpenTube) {
  DeskRack rack(1, 10);
  ASSERT_TRUE(rack.RackTube(0, "HOME-1").ok());
  TubePosition positions[10];
  std::vector<TubeIndex> early;
  const auto seal = [&](TubeIndex tube) { early.push_back(tube); };
  ASSERT_EQ(rack.TakePositions(0, 6, positions), 6u);
  // Four free positions, a household of four: it fills the tube, which
  // seals as a full tube does.
  ASSERT_EQ(rack.TakeGroup(0, 4, positions, seal), 4u);
  EXPECT_EQ(positions[0].tube, 0u);
  EXPECT_EQ(positions[0].slot, 6u);
  EXPECT_EQ(positions[3].slot, 9u);
  EXPECT_TRUE(positions[3].filled);
  EXPECT_TRUE(early.empty());
  EXPECT_EQ(rack.Tube(0).state, TubeState::kSealed);
}

TEST(DeskRackTest, AHouseholdThatDoesNotFitStartsTheNextTube) {
  DeskRack rack(1, 10);
  ASSERT_TRUE(rack.RackTube(0, "HOME-1").ok());
  ASSERT_TRUE(rack.RackTube(0, "HOME-2").ok());
  TubePosition positions[10];
  std::vector<TubeIndex> early;
  const auto seal = [&](TubeIndex tube) { early.push_back(tube); };
  ASSERT_EQ(rack.TakePositions(0, 7, positions), 7u);
  ASSERT_EQ(rack.TakeGroup(0, 4, positions, seal), 4u);
  EXPECT_EQ(early, std::vector<TubeIndex>{0});
  EXPECT_EQ(rack.Tube(0).state, TubeState::kSealed);
  EXPECT_EQ(rack.Tube(0).swabs, 7u);
  for (uint32_t j = 0; j < 4; ++j) {
    EXPECT_EQ(positions[j].tube, 1u);
    EXPECT_EQ(positions[j].slot, j);
    EXPECT_FALSE(positions[j].filled);
  }
  // One who came alone joins the household's tube.
  ASSERT_EQ(rack.TakePositions(0, 1, positions), 1u);
  EXPECT_EQ(positions[0].tube, 1u);
  EXPECT_EQ(positions[0].slot, 4u);
}

TEST(DeskRackTest, AHouseholdWithNoTubeBehindIsRefusedWholeAndTheRetryStartsAFreshTube) {
  DeskRack rack(1, 5);
  ASSERT_TRUE(rack.RackTube(0, "HOME-1").ok());
  TubePosition positions[5];
  std::vector<TubeIndex> early;
  const auto seal = [&](TubeIndex tube) { early.push_back(tube); };
  ASSERT_EQ(rack.TakePositions(0, 3, positions), 3u);
  // Three do not fit in the two positions left, and no tube is racked: the
  // tube is sealed with its three swabs and the household gets nothing.
  EXPECT_EQ(rack.TakeGroup(0, 3, positions, seal), 0u);
  EXPECT_EQ(early, std::vector<TubeIndex>{0});
  EXPECT_EQ(rack.Tube(0).state, TubeState::kSealed);
  EXPECT_EQ(rack.Tube(0).swabs, 3u);
  EXPECT_FALSE(rack.HasOpenTube(0));
  ASSERT_TRUE(rack.RackTube(0, "HOME-2").ok());
  ASSERT_EQ(rack.TakeGroup(0, 3, positions, seal), 3u);
  EXPECT_EQ(positions[0].tube, 1u);
  EXPECT_EQ(positions[0].slot, 0u);
  EXPECT_EQ(early.size(), 1u);
}

TEST(DeskRackTest, AHouseholdLargerThanATubeIsTakenInOrder) {
  DeskRack rack(1, 5);
  ASSERT_TRUE(rack.RackTube(0, "HOME-1").ok());
  ASSERT_TRUE(rack.RackTube(0, "HOME-2").ok());
  TubePosition positions[7];
  std::vector<TubeIndex> early;
  const auto seal = [&](TubeIndex tube) { early.push_back(tube); };
  ASSERT_EQ(rack.TakePositions(0, 1, positions), 1u);
  ASSERT_EQ(rack.TakeGroup(0, 7, positions, seal), 7u);
  EXPECT_TRUE(early.empty());
  EXPECT_EQ(positions[0].tube, 0u);
  EXPECT_EQ(positions[0].slot, 1u);
  EXPECT_EQ(positions[4].tube, 1u);
  EXPECT_EQ(positions[6].slot, 2u);
}

// Recovery sees an early seal as a seal by hand: without it, a desk whose
// last event was the early seal would reopen the tube.
TEST(DeskRackTest, RecoveryKeepsATubeSealedEarlyClosed) {
  DeskRack rack(1, 5);
  ASSERT_TRUE(rack.RackTube(0, "HOME-1").ok());
  TubePosition positions[5];
  ASSERT_EQ(rack.TakePositions(0, 3, positions), 3u);
  for (uint32_t j = 0; j < 3; ++j) rack.SetMember(0, j, 10 + j);
  std::vector<TubeIndex> early;
  EXPECT_EQ(rack.TakeGroup(0, 3, positions, [&](TubeIndex tube) { early.push_back(tube); }), 0u);
  ASSERT_EQ(early, std::vector<TubeIndex>{0});

  const auto restore = [](const std::vector<bool>& sealed) {
    auto restored = std::make_unique<DeskRack>(1, 5);
    EXPECT_TRUE(restored->RackTube(0, "HOME-1").ok());
    for (uint32_t j = 0; j < 3; ++j) restored->SetMember(0, j, 10 + j);
    restored->RebuildAfterRestore(sealed);
    return restored;
  };
  std::unique_ptr<DeskRack> with_seal = restore({true});
  EXPECT_EQ(with_seal->Tube(0).state, TubeState::kSealed);
  EXPECT_EQ(with_seal->Tube(0).swabs, 3u);
  EXPECT_FALSE(with_seal->HasOpenTube(0));
  std::unique_ptr<DeskRack> without = restore({false});
  EXPECT_EQ(without->Tube(0).state, TubeState::kOpen);
}

// Many threads take positions at one desk, one or several at a time, while
// another racks tubes: every (tube, slot) is handed out exactly once, and no
// tube exceeds the ratio.
TEST(DeskRackTest, ConcurrentTakersAndRackerNeverShareOrOverfill) {
  constexpr int kRatio = 5;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  constexpr int kTubes = kThreads * kPerThread / kRatio;
  DeskRack rack(1, kRatio);
  std::atomic<bool> go{false};
  std::vector<std::vector<TubePosition>> taken(kThreads);
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    while (!go.load()) std::this_thread::yield();
    for (int t = 0; t < kTubes; ++t) ASSERT_TRUE(rack.RackTube(0, absl::StrCat("T", t)).ok());
  });
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (static_cast<int>(taken[i].size()) < kPerThread &&
             std::chrono::steady_clock::now() < deadline) {
        // Takes of 1 to 7 positions: single check-ins and batches mixed.
        const uint32_t want = std::min<uint32_t>(1 + (i + taken[i].size()) % 7,
                                                 kPerThread - taken[i].size());
        TubePosition positions[7];
        const uint32_t got = rack.TakePositions(0, want, positions);
        taken[i].insert(taken[i].end(), positions, positions + got);
        if (got < want) std::this_thread::yield();  // the racker has not caught up yet
      }
    });
  }
  go.store(true);
  for (std::thread& t : threads) t.join();
  std::set<std::pair<TubeIndex, uint32_t>> seen;
  for (const auto& positions : taken) {
    ASSERT_EQ(positions.size(), static_cast<size_t>(kPerThread));
    for (const TubePosition& p : positions) {
      EXPECT_LT(p.slot, static_cast<uint32_t>(kRatio));
      EXPECT_TRUE(seen.insert({p.tube, p.slot}).second) << "tube " << p.tube << " slot " << p.slot;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(rack.sealed_tubes(), static_cast<uint64_t>(kTubes));
  for (TubeIndex t = 0; t < static_cast<TubeIndex>(kTubes); ++t) {
    EXPECT_EQ(rack.Tube(t).swabs, static_cast<uint32_t>(kRatio));
  }
}

}  // namespace
}  // namespace swabwave::engine::core
