// Walk-ins (issue 18): someone on no roster, registered at a desk with a
// household and a unit, gets a code, is sampled into the desk's tube, is
// counted, survives recovery, and is on the roster from the next round on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/request_index.h"
#include "engine/history/history.h"
#include "engine/journal/store.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/journal/record_sink.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Rebuilt;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;
using ::testing::Not;

const int64_t kScan = absl::ToUnixSeconds(testing::kRoundStart) + 600;

using ::swabwave::engine::testing::RecordSink;

class WalkInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(Shape{})).ok());
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(Shape{.id = "other"})).ok());
    round_ = OpenRound("r");
  }

  Round* OpenRound(const std::string& id) {
    RoundConfig config = TestRound();
    config.id = id;
    absl::StatusOr<Round*> round = registry_.CreateRound(config);
    EXPECT_TRUE(round.ok()) << round.status();
    EXPECT_TRUE((*round)->MakePlan(plan::GreedyPlanner(), {}).ok());
    EXPECT_TRUE((*round)->Open().ok());
    desk_ = *(*round)->ResolveDesk("tc-s0", 1);
    EXPECT_TRUE((*round)->RackTube(desk_, absl::StrCat(id, "-TB1")).ok());
    return *round;
  }

  Round::WalkInRequest Request(const std::string& request_id, const std::string& unit = "b1-u0",
                               const std::string& household = "") {
    Round::WalkInRequest request;
    request.community_id = "tc";
    request.unit_id = unit;
    request.household_id = household;
    request.desk = desk_;
    request.scan_unix_seconds = kScan;
    request.request = core::RequestFingerprint(request_id);
    return request;
  }

  Registry registry_;
  Round* round_ = nullptr;
  DeskIndex desk_ = 0;
};

TEST_F(WalkInTest, AWalkInGetsACodeAHouseholdAndASwab) {
  absl::StatusOr<roster::WalkInBook::Recorded> first =
      registry_.RegisterWalkIn(*round_, Request("walk-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  EXPECT_THAT(first->walk_in.code, ::testing::StartsWith("SW"));
  EXPECT_EQ(first->walk_in.code.size(), 16u);
  EXPECT_EQ(first->walk_in.household_id, "b1-u0-w1");
  EXPECT_TRUE(first->walk_in.new_household);
  EXPECT_EQ(round_->Tube(first->walk_in.tube).swabs, 1u);
  EXPECT_EQ(round_->live()->rack().Member(first->walk_in.tube, first->walk_in.slot),
            round_->walk_in_member(0));

  // A second walk-in joins the first's household; the card's code is kept.
  Round::WalkInRequest second = Request("walk-2", "b1-u0", "b1-u0-w1");
  second.code = "CARD-0002";
  absl::StatusOr<roster::WalkInBook::Recorded> joined = registry_.RegisterWalkIn(*round_, second);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->walk_in.code, "CARD-0002");
  EXPECT_FALSE(joined->walk_in.new_household);
  EXPECT_EQ(joined->walk_in.slot, 1u);

  // A retry answers the first registration.
  absl::StatusOr<roster::WalkInBook::Recorded> again =
      registry_.RegisterWalkIn(*round_, Request("walk-1", "b0-u0"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->walk_in.code, first->walk_in.code);

  // Counted: due and sampled, at the desk and in their building.
  const ProgressCounts totals = *round_->Totals();
  EXPECT_EQ(totals.walk_ins, 2);
  EXPECT_EQ(totals.sampled, 2);
  EXPECT_EQ(totals.due, 24 + 2);
  const ProgressReport report = *round_->Progress(ProgressLevel::kBuilding, 0, 10);
  EXPECT_EQ(report.total.walk_ins, 2);
  EXPECT_EQ(report.total.sampled, totals.sampled);
  EXPECT_EQ(report.total.due, totals.due);
  EXPECT_EQ(report.rows[1].counts.walk_ins, 2);  // building b1

  // The history has them, sampled at the desk.
  const std::vector<history::RoundEntry> history =
      history::ResidentHistory(registry_.ListRounds(), "CARD-0002");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].walk_in);
  EXPECT_EQ(history[0].outcome, history::RoundOutcome::kSampled);
  EXPECT_EQ(history[0].desk, "sites/tc-s0/desks/1");
  EXPECT_EQ(history[0].tube_barcode, "r-TB1");
}

TEST_F(WalkInTest, EachBadRegistrationSaysWhatIsWrong) {
  absl::Status status = registry_.RegisterWalkIn(*round_, Request("a", "b9-u9")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("unit 'b9-u9' is not a unit of community 'tc'"));

  status = registry_.RegisterWalkIn(*round_, Request("b", "b1-u0", "b0-u0-h0")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("household 'b0-u0-h0' is in unit 'b0-u0'"));

  for (const std::string& taken : {ResidentCode("tc", 3), ResidentCode("other", 3)}) {
    Round::WalkInRequest request = Request(absl::StrCat("c-", taken));
    request.code = taken;
    status = registry_.RegisterWalkIn(*round_, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << taken;
    EXPECT_THAT(status.message(), Not(HasSubstr(taken)));
  }

  Round::WalkInRequest no_tube = Request("d");
  no_tube.desk = *round_->ResolveDesk("tc-s0", 2);
  status = registry_.RegisterWalkIn(*round_, no_tube).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("no open tube"));

  Round::WalkInRequest early = Request("e");
  early.scan_unix_seconds = 0;
  EXPECT_EQ(registry_.RegisterWalkIn(*round_, early).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(round_->Close().ok());
  EXPECT_EQ(registry_.RegisterWalkIn(*round_, Request("f")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(round_->walk_in_count(), 0u);
}

TEST_F(WalkInTest, TheNextRoundsRosterHasThemOnceAndForAll) {
  Round::WalkInRequest card = Request("walk-1");
  card.code = "CARD-0001";
  ASSERT_TRUE(registry_.RegisterWalkIn(*round_, card).ok());
  ASSERT_TRUE(round_->Close().ok());

  Round* next = OpenRound("next");
  const Community* v2 = registry_.FindCommunity("tc");
  EXPECT_EQ(v2->version, 2u);
  EXPECT_EQ(v2->residents.size(), 25u);
  EXPECT_EQ(v2->households.size(), 13u);  // b1-u0-w1 is new
  EXPECT_EQ(&next->layout().community(0), v2);
  EXPECT_TRUE(next->FindResident("CARD-0001").ok());
  ASSERT_TRUE(next->Close().ok());

  // Taken in once: a re-import that drops them is not undone.
  ASSERT_TRUE(registry_.ImportVersion(MakeCommunity(Shape{}), 2).ok());
  Round* third = OpenRound("third");
  EXPECT_EQ(registry_.FindCommunity("tc")->version, 3u);
  EXPECT_FALSE(third->FindResident("CARD-0001").ok());
}

TEST_F(WalkInTest, ARemovalOfAWalkInSampledInAnOpenRoundIsRefused) {
  Round::WalkInRequest card = Request("walk-1");
  card.code = "CARD-0001";
  ASSERT_TRUE(registry_.RegisterWalkIn(*round_, card).ok());
  OpenRound("next");  // takes them in as version 2, while "r" is open
  absl::StatusOr<const Community*> refused = registry_.ImportVersion(MakeCommunity(Shape{}), 2);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("sampled in round r"));
}

TEST_F(WalkInTest, WalkInsSurviveBothSnapshotStylesAndTheirReplay) {
  Round::WalkInRequest card = Request("walk-1");
  card.code = "CARD-0001";
  ASSERT_TRUE(registry_.RegisterWalkIn(*round_, card).ok());
  ASSERT_TRUE(registry_.RegisterWalkIn(*round_, Request("walk-2")).ok());
  ASSERT_EQ(round_->CheckIn(desk_, ResidentCode("tc", 1), kScan, core::RequestFingerprint("ci"))
                .verdict,
            core::CheckInVerdict::kSampled);
  std::string record;
  journal::EncodeWalkIn({0, round_->WalkIns()[0]}, &record);
  for (SnapshotStyle style : {SnapshotStyle::kDense, SnapshotStyle::kRecords}) {
    RecordSink sink;
    ASSERT_TRUE(registry_.WriteSnapshot(sink, style).ok());
    Registry restored;
    for (const std::string& r : sink.records) ASSERT_TRUE(restored.ApplyRecord(r).ok());
    ASSERT_TRUE(restored.ApplyRecord(record).ok());  // the journal's tail repeats it
    restored.FinishRecovery();
    Round* round = restored.FindRound("r");
    ASSERT_NE(round, nullptr);
    EXPECT_EQ(round->walk_in_count(), 2u);
    ASSERT_TRUE(round->FindWalkIn("CARD-0001").has_value());
    EXPECT_EQ(round->Tube(0).swabs, 3u);
    EXPECT_EQ(round->Totals()->walk_ins, 2);
    EXPECT_EQ(round->Totals()->sampled, 3);
    // The rack goes on after them.
    const DeskIndex desk = *round->ResolveDesk("tc-s0", 1);
    const core::CheckInResult next =
        round->CheckIn(desk, ResidentCode("tc", 2), kScan, core::RequestFingerprint("ci-2"));
    EXPECT_EQ(next.verdict, core::CheckInVerdict::kSampled);
    EXPECT_EQ(next.slot, 3u);
  }
}

}  // namespace
}  // namespace swabwave::engine
