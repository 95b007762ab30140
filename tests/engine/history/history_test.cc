// History across rounds (engine/history/history.h): a resident's rounds,
// and who missed the last rounds they were due in.
#include "engine/history/history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::history {
namespace {

using ::swabwave::engine::testing::kRoundStart;
using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;

// "tc": residents 1-24, every 5th door-to-door, every 7th exempt. Rounds
// r1-r3 closed (r1 sampled 1-10, r2 1-5 and 11, r3 1-5, with 12 found moved
// away), r4 open and untouched.
class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shape shape;
    shape.mobility_limited_every = 5;
    shape.exempt_every = 7;
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(shape)).ok());
    const std::vector<std::vector<int>> sampled = {{1, 2, 3, 4, 5, 6, 8, 9, 10},
                                                   {1, 2, 3, 4, 5, 11},
                                                   {1, 2, 3, 4, 5}};
    for (int n = 1; n <= 4; ++n) {
      RoundConfig config = TestRound();
      config.id = absl::StrCat("r", n);
      config.start = kRoundStart + (n - 1) * absl::Hours(24 * 7);
      Round* round = registry_.CreateRound(config).value();
      ASSERT_TRUE(round->MakePlan(plan::GreedyPlanner(), {}).ok());
      ASSERT_TRUE(round->Open().ok());
      if (n == 4) break;
      ASSERT_TRUE(round->RackTube(0, absl::StrCat("T", n)).ok());
      const int64_t at = absl::ToUnixSeconds(config.start) + 600;
      for (int resident : sampled[n - 1]) {
        ASSERT_EQ(round->CheckIn(0, ResidentCode("tc", resident), at, resident).verdict,
                  core::CheckInVerdict::kSampled);
      }
      if (n == 3) {
        const DeskIndex team = round->ResolveTeam("tc", 1).value();
        visits::Visit moved{round->FindResident(ResidentCode("tc", 12)).value(), team,
                            visits::VisitOutcome::kMovedAway, at, "moved out", 99};
        ASSERT_TRUE(round->RecordVisit(moved).ok());
      }
      ASSERT_TRUE(round->Close().ok());
    }
  }

  std::set<int> Listed(int last) {
    absl::StatusOr<std::vector<MissedBuilding>> missed =
        MissedLastRounds(registry_.ListRounds(), *registry_.FindCommunity("tc"), last);
    EXPECT_TRUE(missed.ok()) << missed.status();
    std::set<int> listed;
    for (const MissedBuilding& building : missed.value_or(std::vector<MissedBuilding>{})) {
      for (const MissedResident& r : building.residents) {
        EXPECT_EQ(r.rounds.size(), static_cast<size_t>(last));
        listed.insert(static_cast<int>(r.resident) + 1);  // codes count from 1
      }
    }
    return listed;
  }

  Registry registry_;
};

TEST_F(HistoryTest, AResidentsRoundsSaySampledWhereAndWhenMissedOrNotDue) {
  const std::vector<RoundEntry> eleven =
      ResidentHistory(registry_.ListRounds(), ResidentCode("tc", 11));
  ASSERT_EQ(eleven.size(), 4u);
  EXPECT_EQ(eleven[0].outcome, RoundOutcome::kMissed);
  EXPECT_EQ(eleven[1].outcome, RoundOutcome::kSampled);
  EXPECT_EQ(eleven[1].desk, "sites/tc-s0/desks/1");
  EXPECT_EQ(eleven[1].tube_barcode, "T2");
  EXPECT_EQ(eleven[1].scan_unix_seconds,
            absl::ToUnixSeconds(kRoundStart + absl::Hours(24 * 7)) + 600);
  EXPECT_EQ(eleven[2].outcome, RoundOutcome::kMissed);
  EXPECT_EQ(eleven[3].outcome, RoundOutcome::kAwaiting);  // r4 is open

  const std::vector<RoundEntry> twelve =
      ResidentHistory(registry_.ListRounds(), ResidentCode("tc", 12));
  ASSERT_EQ(twelve.size(), 4u);
  EXPECT_EQ(twelve[2].outcome, RoundOutcome::kNotDue);  // moved away
  ASSERT_TRUE(twelve[2].visits.has_value());
  EXPECT_EQ(twelve[2].visits->last, visits::VisitOutcome::kMovedAway);

  for (const RoundEntry& entry : ResidentHistory(registry_.ListRounds(), ResidentCode("tc", 7))) {
    EXPECT_EQ(entry.outcome, RoundOutcome::kNotDue) << entry.round->config().id;  // exempt
  }
  EXPECT_TRUE(ResidentHistory(registry_.ListRounds(), "nobody").empty());
}

TEST_F(HistoryTest, MissedTheLastRoundsTheyWereDueIn) {
  // The newest two closed rounds each resident was due in, r3 and r2, or
  // for 12 (moved away in r3) r2 and r1; sampled in either: not listed.
  EXPECT_EQ(Listed(2), (std::set<int>{6, 8, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20, 22, 23, 24}));
  // Three: r1 sampled 1-10; 12 was due in only two.
  EXPECT_EQ(Listed(3), (std::set<int>{13, 15, 16, 17, 18, 19, 20, 22, 23, 24}));
  EXPECT_EQ(Listed(4), std::set<int>{});  // only three closed rounds
  EXPECT_EQ(MissedLastRounds(registry_.ListRounds(), *registry_.FindCommunity("tc"), 0)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace swabwave::engine::history
