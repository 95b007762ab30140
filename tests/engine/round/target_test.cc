// Targeted rounds (issue 18): a round over some compounds, buildings, units
// or residents covers only them: the plan, the counts and the check-ins,
// and it keeps its target through the journal and both snapshot styles.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/request_index.h"
#include "engine/journal/records.h"
#include "engine/model/round_target.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/journal/record_sink.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;
using ::testing::Not;

// 24 residents: buildings b0 and b1 (12 each), units b{0,1}-u{0,1} (6 each).
size_t Covered(const std::vector<bool>& mask) {
  return static_cast<size_t>(std::count(mask.begin(), mask.end(), true));
}

TEST(TargetMaskTest, CoversTheListedPlacesAndPeople) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  EXPECT_TRUE(TargetMask(layout, {})->empty());  // the whole round
  EXPECT_EQ(Covered(*TargetMask(layout, {.building_ids = {"b0"}})), 12u);
  EXPECT_EQ(Covered(*TargetMask(layout, {.unit_ids = {"b1-u0"}})), 6u);
  EXPECT_EQ(Covered(*TargetMask(layout, {.compound_ids = {"c1"}})), 24u);
  // A union, an id listed twice, and a resident already in a listed unit.
  absl::StatusOr<std::vector<bool>> mixed = TargetMask(
      layout, {.unit_ids = {"b1-u0", "b1-u0"},
               .resident_codes = {ResidentCode("tc", 1), ResidentCode("tc", 13)}});
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  EXPECT_EQ(Covered(*mixed), 7u);
  EXPECT_TRUE((*mixed)[0]);
  EXPECT_FALSE((*mixed)[1]);
}

TEST(TargetMaskTest, NamesWhatItCannotFind) {
  const Community community = MakeCommunity(Shape{});
  const RoundLayout layout({&community});
  absl::Status status = TargetMask(layout, {.building_ids = {"b0", "b9"}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("building 'b9' is in none of the round's communities"));
  status = TargetMask(layout, {.resident_codes = {ResidentCode("tc", 1), "nobody-here"}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("resident_codes[1]"));
  EXPECT_THAT(status.message(), Not(HasSubstr("nobody-here")));
}

class TargetedRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(Shape{.mobility_limited_every = 5})).ok());
    RoundConfig config = TestRound();
    config.target.building_ids = {"b1"};
    absl::StatusOr<Round*> round = registry_.CreateRound(config);
    ASSERT_TRUE(round.ok()) << round.status();
    round_ = *round;
    ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
    ASSERT_TRUE(round_->Open().ok());
    desk_ = *round_->ResolveDesk("tc-s0", 1);
    ASSERT_TRUE(round_->RackTube(desk_, "TB0001").ok());
  }

  core::CheckInVerdict CheckIn(int n) {
    return round_->CheckIn(desk_, ResidentCode("tc", n), absl::ToUnixSeconds(testing::kRoundStart),
                           core::RequestFingerprint(absl::StrCat("req-", n)))
        .verdict;
  }

  Registry registry_;
  Round* round_ = nullptr;
  DeskIndex desk_ = 0;
};

TEST_F(TargetedRoundTest, OnlyTheTargetIsDueAndCheckedIn) {
  // Building b1 holds residents 13..24; 15 and 20 are mobility-limited.
  const std::shared_ptr<const plan::Plan> plan = round_->plan();
  EXPECT_EQ(plan->due_at_sites, 10u);
  EXPECT_EQ(plan->door_to_door_count, 2u);
  EXPECT_EQ(plan->exempt, 0u);
  EXPECT_EQ(plan->resident_standing[0], Standing::kNotTargeted);
  EXPECT_EQ(plan->resident_cell[0], kNoId);

  EXPECT_EQ(CheckIn(1), core::CheckInVerdict::kNotTargeted);
  EXPECT_EQ(CheckIn(13), core::CheckInVerdict::kSampled);
  absl::StatusOr<ProgressCounts> totals = round_->Totals();
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_EQ(totals->due, 12);
  EXPECT_EQ(totals->sampled, 1);
  EXPECT_EQ(totals->exempt, 0);

  absl::StatusOr<std::vector<UntestedResident>> untested =
      round_->ListUntested({}, kNoId, 100);
  ASSERT_TRUE(untested.ok());
  EXPECT_EQ(untested->size(), 11u);
}

TEST_F(TargetedRoundTest, ItKeepsItsTargetThroughEverySnapshotStyle) {
  ASSERT_EQ(CheckIn(14), core::CheckInVerdict::kSampled);
  for (SnapshotStyle style : {SnapshotStyle::kDense, SnapshotStyle::kRecords}) {
    testing::RecordSink sink;
    ASSERT_TRUE(registry_.WriteSnapshot(sink, style).ok());
    Registry restored;
    for (const std::string& record : sink.records) ASSERT_TRUE(restored.ApplyRecord(record).ok());
    restored.FinishRecovery();
    Round* round = restored.FindRound("r");
    ASSERT_NE(round, nullptr);
    EXPECT_THAT(round->config().target.building_ids, ::testing::ElementsAre("b1"));
    EXPECT_FALSE(round->layout().targeted(0));
    EXPECT_TRUE(round->layout().targeted(12));
    EXPECT_EQ(round->Totals()->due, 12);
    EXPECT_EQ(round->Totals()->sampled, 1);
    const DeskIndex desk = *round->ResolveDesk("tc-s0", 1);
    EXPECT_EQ(round->CheckIn(desk, ResidentCode("tc", 2), absl::ToUnixSeconds(testing::kRoundStart),
                             core::RequestFingerprint("late"))
                  .verdict,
              core::CheckInVerdict::kNotTargeted);
  }
}

TEST(TargetedRoundRecordTest, TheTargetRoundTripsAndAWholeRoundWritesNone) {
  journal::RoundCreated event{TestRound(), testing::kRoundStart};
  std::string whole;
  journal::EncodeRoundCreated(event, &whole);
  event.config.target = {.compound_ids = {"c1"},
                         .building_ids = {"b0", "b1"},
                         .unit_ids = {"b0-u1"},
                         .resident_codes = {ResidentCode("tc", 3)}};
  std::string targeted;
  journal::EncodeRoundCreated(event, &targeted);
  EXPECT_GT(targeted.size(), whole.size());
  absl::StatusOr<journal::RoundCreated> decoded = journal::DecodeRoundCreated(targeted);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->config.target.building_ids, event.config.target.building_ids);
  EXPECT_EQ(decoded->config.target.resident_codes, event.config.target.resident_codes);
  EXPECT_TRUE(journal::DecodeRoundCreated(whole)->config.target.whole());
  for (size_t cut = whole.size() + 1; cut < targeted.size(); ++cut) {
    EXPECT_FALSE(journal::DecodeRoundCreated(absl::string_view(targeted).substr(0, cut)).ok())
        << cut;
  }
}

TEST(TargetedRoundRecordTest, ABadTargetIsRefusedAtCreation) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{})).ok());
  RoundConfig config = TestRound();
  config.target.unit_ids = {"b7-u0"};
  absl::Status status = registry.CreateRound(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("unit 'b7-u0'"));
  config.target.unit_ids = {"not an id"};
  EXPECT_EQ(registry.CreateRound(config).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry.ListRounds().empty());
}

}  // namespace
}  // namespace swabwave::engine
