#include "engine/round/round.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1795762800);

// Two communities: "tc" (24 residents, 2 buildings, 1 site with 2 desks,
// resident 5 mobility-limited... every 5th, every 7th exempt) and "td".
class RoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shape tc;
    tc.mobility_limited_every = 5;
    tc.exempt_every = 7;
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(tc)).ok());
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(Shape{.id = "td", .buildings = 1})).ok());
    RoundConfig config;
    config.id = "r";
    config.community_ids = {"tc", "td"};
    config.start = kStart;
    config.pool_ratio = 5;
    absl::StatusOr<Round*> round = registry_.CreateRound(config);
    ASSERT_TRUE(round.ok()) << round.status();
    round_ = *round;
  }

  void PlanAndOpen() {
    ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
    ASSERT_TRUE(round_->Open().ok());
  }

  core::CheckInResult CheckIn(const std::string& code, uint32_t tag, DeskIndex desk = 0) {
    return round_->CheckIn(desk, code, absl::ToUnixSeconds(kStart) + 60, tag);
  }

  Registry registry_;
  Round* round_ = nullptr;
};

TEST_F(RoundTest, LifecycleGuardsEveryTransition) {
  EXPECT_EQ(round_->phase(), RoundPhase::kDraft);
  EXPECT_THAT(round_->Open().message(), HasSubstr("plan it"));
  EXPECT_EQ(round_->Close().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(round_->Totals().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckIn(ResidentCode("tc", 1), 1).verdict, core::CheckInVerdict::kRoundNotOpen);

  ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
  ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());  // re-plan before opening
  EXPECT_EQ(round_->phase(), RoundPhase::kPlanned);
  EXPECT_EQ(round_->RackTube(0, "TB-1").status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(round_->Open().ok());
  EXPECT_EQ(round_->MakePlan(plan::GreedyPlanner(), {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(round_->RackTube(0, "TB-1").ok());
  EXPECT_EQ(CheckIn(ResidentCode("tc", 1), 1).verdict, core::CheckInVerdict::kSampled);
  ASSERT_TRUE(round_->Close().ok());
  EXPECT_EQ(CheckIn(ResidentCode("tc", 2), 2).verdict, core::CheckInVerdict::kRoundNotOpen);
  EXPECT_EQ(round_->Open().code(), absl::StatusCode::kFailedPrecondition);
  // A closed round still answers progress.
  EXPECT_EQ(round_->Totals()->sampled, 1);
}

// Found by request_handler_fuzzer: WatchProgress read a planned round's
// live state without the round's lock while a re-plan freed it. Readers
// now go through the lock; under ThreadSanitizer (and ASan) a reader of
// freed live state fails this test.
TEST_F(RoundTest, ReadersOfAPlannedRoundSurviveReplans) {
  ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  std::atomic<uint64_t> reads{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        EXPECT_EQ(round_->SealedTubes(), 0u);
        EXPECT_EQ(round_->CheckInsPerSite().size(), round_->layout().site_count());
        EXPECT_TRUE(round_->Totals().ok());
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(2);
  // At least 200 re-plans, and until the readers have read (a loaded
  // machine may not schedule them before the re-plans are done).
  for (int plans = 0; (plans < 200 || reads.load() < 3) && absl::Now() < deadline; ++plans) {
    ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_GT(reads.load(), 0u);
}

TEST_F(RoundTest, ResolvesDesksByNameAcrossCommunities) {
  absl::StatusOr<DeskIndex> desk = round_->ResolveDesk("td-s0", 2);
  ASSERT_TRUE(desk.ok());
  EXPECT_EQ(*desk, 3u);  // tc-s0 has desks 0 and 1
  EXPECT_EQ(round_->DeskName(*desk), "sites/td-s0/desks/2");
  EXPECT_THAT(round_->ResolveDesk("td-s0", 3).status().message(), HasSubstr("desks 1..2"));
  EXPECT_EQ(round_->ResolveDesk("zz", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RoundTest, ProgressRollsUpConsistentlyAtEveryLevel) {
  PlanAndOpen();
  ASSERT_TRUE(round_->RackTube(0, "TB-1").ok());
  ASSERT_TRUE(round_->RackTube(0, "TB-2").ok());
  for (int r : {1, 2, 3, 5 /* door-to-door */, 7 /* exempt */}) {
    ASSERT_EQ(CheckIn(ResidentCode("tc", r), r).verdict, core::CheckInVerdict::kSampled);
  }
  const ProgressCounts totals = *round_->Totals();
  // tc: 24 residents, 4 door-to-door (5,10,15,20), 3 exempt (7,14,21); td: 12.
  EXPECT_EQ(totals.due, 24 - 3 + 12 + 1);  // the exempt resident who came is due now
  EXPECT_EQ(totals.sampled, 5);
  EXPECT_EQ(totals.remaining, totals.due - 5);
  EXPECT_EQ(totals.exempt, 2);
  EXPECT_EQ(totals.door_to_door, 3);
  for (ProgressLevel level :
       {ProgressLevel::kCommunity, ProgressLevel::kCompound, ProgressLevel::kBuilding}) {
    absl::StatusOr<ProgressReport> report = round_->Progress(level, 0, 1000);
    ASSERT_TRUE(report.ok());
    ProgressCounts sum;
    for (const ProgressRow& row : report->rows) sum += row.counts;
    EXPECT_EQ(sum.due, totals.due);
    EXPECT_EQ(sum.sampled, totals.sampled);
    EXPECT_EQ(sum.exempt, totals.exempt);
    EXPECT_EQ(sum.door_to_door, totals.door_to_door);
    EXPECT_EQ(report->total_rows, report->rows.size());
  }
  absl::StatusOr<ProgressReport> sites = round_->Progress(ProgressLevel::kSite, 0, 1000);
  ASSERT_TRUE(sites.ok());
  ASSERT_EQ(sites->rows.size(), 3u);  // two sites and the door-to-door row
  EXPECT_EQ(sites->rows[0].key, "sites/tc-s0");
  EXPECT_EQ(sites->rows[0].check_ins_here, 5);
  EXPECT_EQ(sites->rows[0].counts.sampled, 3);  // those due there
  EXPECT_EQ(sites->rows[2].key, "door-to-door");
  EXPECT_EQ(sites->rows[2].counts.sampled, 1);
  absl::StatusOr<ProgressReport> page = round_->Progress(ProgressLevel::kBuilding, 1, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].key, "communities/tc/buildings/b1");
  EXPECT_EQ(page->total_rows, 3u);
}

TEST_F(RoundTest, UntestedListPagesInIdOrderAndFilters) {
  PlanAndOpen();
  ASSERT_TRUE(round_->RackTube(0, "TB-1").ok());
  ASSERT_EQ(CheckIn(ResidentCode("tc", 2), 2).verdict, core::CheckInVerdict::kSampled);
  std::vector<uint32_t> all;
  uint32_t after = kNoId;
  for (int pages = 0; pages < 100; ++pages) {
    absl::StatusOr<std::vector<UntestedResident>> page = round_->ListUntested({}, after, 4);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const UntestedResident& u : *page) all.push_back(u.resident);
    after = page->back().resident;
  }
  // 36 residents, 3 exempt, 1 sampled.
  EXPECT_EQ(all.size(), 32u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::count(all.begin(), all.end(), 1u), 0);  // resident "tc-R2"

  absl::StatusOr<std::vector<UntestedResident>> td =
      round_->ListUntested({.community = 1}, kNoId, 100);
  ASSERT_TRUE(td.ok());
  EXPECT_EQ(td->size(), 12u);
  EXPECT_EQ((*td)[0].community_id, "td");
  EXPECT_EQ((*td)[0].site_id, "td-s0");
  const uint32_t b1 = *round_->FindBuilding(0, "b1");
  absl::StatusOr<std::vector<UntestedResident>> building =
      round_->ListUntested({.building = b1}, kNoId, 100);
  ASSERT_TRUE(building.ok());
  for (const UntestedResident& u : *building) EXPECT_EQ(u.building_id, "b1");
  EXPECT_EQ(building->size(), 12u - 2 /* d2d 15, 20 are listed */ + 2 - 2 /* exempt 14, 21 */);
  EXPECT_EQ(round_->FindBuilding(0, "b9").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RoundTest, DoorToDoorIsGroupedByBuildingAndPaged) {
  PlanAndOpen();
  size_t total = 0;
  absl::StatusOr<std::vector<DoorToDoorBuilding>> first = round_->DoorToDoor(0, 1, &total);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(total, 2u);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].residents, (std::vector<uint32_t>{4, 9}));
  absl::StatusOr<std::vector<DoorToDoorBuilding>> second = round_->DoorToDoor(1, 1, &total);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].residents, (std::vector<uint32_t>{14, 19}));
  EXPECT_TRUE(round_->DoorToDoor(2, 1, &total)->empty());
}

// A community of 96 residents in households of two, two sites of two
// desks; at 20 people an hour a desk, 17 places a wave a site.
TEST(RoundReplanTest, AnOpenRoundKeepsItsCheckInsAndMovesOnlyTheDisplaced) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.buildings = 8, .sites = 2})).ok());
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = kStart;
  absl::StatusOr<Round*> created = registry.CreateRound(config);
  ASSERT_TRUE(created.ok()) << created.status();
  Round& round = **created;
  const plan::PlanOptions options{20, 0.85};
  EXPECT_EQ(round.Replan({0, {{1, 0}}}, options).status().code(),
            absl::StatusCode::kFailedPrecondition);  // nothing to re-plan yet
  ASSERT_TRUE(round.MakePlan(plan::GreedyPlanner(), options).ok());
  ASSERT_TRUE(round.Open().ok());
  const std::shared_ptr<const plan::Plan> before = round.plan();

  // Everyone planned at site 1 in wave 1 turns up early (both of each
  // household), at a desk of site 1.
  const DeskIndex site1_desk = *round.ResolveDesk("tc-s1", 1);
  ASSERT_TRUE(round.RackTube(site1_desk, "TB-1").ok());
  std::vector<uint32_t> early;
  for (uint32_t r = 0; r < 96; ++r) {
    if (before->resident_cell[r] == before->cell(1, 1)) early.push_back(r);
  }
  ASSERT_FALSE(early.empty());
  for (size_t i = 0; i < early.size(); ++i) {
    if (i % 10 == 0 && i > 0) {
      ASSERT_TRUE(round.RackTube(site1_desk, absl::StrCat("TB-", i)).ok());
    }
    ASSERT_EQ(round.CheckIn(site1_desk, round.resident_code(early[i]),
                            absl::ToUnixSeconds(kStart) + 60, 100 + static_cast<uint32_t>(i))
                  .verdict,
              core::CheckInVerdict::kSampled);
  }
  const ProgressCounts totals_before = *round.Totals();

  // Site 1 closes from wave 1.
  absl::StatusOr<Round::Replanned> replanned = round.Replan({1, {{1, 0}}}, options);
  ASSERT_TRUE(replanned.ok()) << replanned.status();
  const plan::Plan& after = *round.plan();
  EXPECT_EQ(replanned->plan.get(), round.plan().get());
  EXPECT_TRUE(plan::VerifyPlan(round.layout(), after).ok());
  size_t displaced = 0;
  for (uint32_t r = 0; r < 96; ++r) {
    const CellIndex cell = before->resident_cell[r];
    const bool tested = std::find(early.begin(), early.end(), r) != early.end();
    if (before->site_of_cell(cell) == 1 && before->wave_of_cell(cell) >= 1 && !tested) {
      ++displaced;
      EXPECT_EQ(after.site_of_cell(after.resident_cell[r]), 0u) << r;
    } else {
      EXPECT_EQ(after.resident_cell[r], cell) << r;
    }
  }
  EXPECT_EQ(replanned->moved.size(), displaced);
  EXPECT_EQ(replanned->moved_households * 2, static_cast<int64_t>(displaced));
  // Check-ins are untouched; progress by wave follows the new plan.
  EXPECT_EQ(round.Totals()->sampled, totals_before.sampled);
  absl::StatusOr<ProgressReport> sites = round.Progress(ProgressLevel::kSite, 0, 10);
  ASSERT_TRUE(sites.ok()) << sites.status();
  ASSERT_EQ(sites->rows.size(), 3u);  // two sites and the door-to-door row
  EXPECT_EQ(sites->rows[1].key, "sites/tc-s1");
  int64_t site1_due = 0;
  for (uint32_t r = 0; r < 96; ++r) site1_due += after.site_of_cell(after.resident_cell[r]) == 1;
  EXPECT_EQ(sites->rows[1].counts.due, site1_due);
  EXPECT_EQ(sites->rows[0].counts.due + sites->rows[1].counts.due, 96);
  EXPECT_EQ(sites->rows[1].counts.sampled, static_cast<int64_t>(early.size()));
  // Those moved can still check in, anywhere.
  const uint32_t mover = replanned->moved.front().resident;
  ASSERT_TRUE(round.RackTube(0, "TB-0").ok());
  EXPECT_EQ(round.CheckIn(0, round.resident_code(mover), absl::ToUnixSeconds(kStart) + 90, 7)
                .verdict,
            core::CheckInVerdict::kSampled);
  ASSERT_TRUE(round.Close().ok());
  EXPECT_THAT(round.Replan({2, {{0, 1}}}, options).status().message(),
              HasSubstr("a closed round cannot be re-planned"));
}

}  // namespace
}  // namespace swabwave::engine
