// Roster versions (issue 18): what a re-import changes, the versions a
// round pins, the removals an open round refuses, codes across versions,
// and recovery of every version from the journal's records and images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/request_index.h"
#include "engine/journal/records.h"
#include "engine/journal/store.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "engine/roster/roster_diff.h"
#include "tests/engine/journal/record_sink.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Rebuilt;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::RosterEdits;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::HasSubstr;
using ::testing::Not;

// The test community has 24 residents, two per household, households
// "b{0,1}-u{0,1}-h{0,1,2}".
Community Tc() { return MakeCommunity(Shape{}); }

TEST(RosterDiffTest, CountsAndListsEachKindOfChange) {
  const Community before = Tc();
  RosterEdits edits;
  edits.remove_rows = {3, 24};
  edits.move_rows = {{5, "b1-u1-h2"}};
  edits.mobility_limited_rows = {5, 7};
  edits.add = {{"tc-new-1", "b0-u0-h0"}};
  const Community after = Rebuilt(before, edits);

  const roster::RosterDiff diff = roster::DiffRosters(before, after);
  EXPECT_EQ(diff.added, 1u);
  EXPECT_EQ(diff.removed, 2u);
  EXPECT_EQ(diff.moved, 1u);
  EXPECT_EQ(diff.flags_changed, 2u);
  EXPECT_EQ(diff.unchanged, 24u - 2 - 2);
  ASSERT_EQ(diff.changes.size(), 5u);
  // Row 5 was moved and changed: one entry with both; listed in the later
  // version's order (row 5 is its 4th resident, row 3 being gone).
  EXPECT_EQ(diff.changes[0].before, 4u);
  EXPECT_EQ(diff.changes[0].after, 3u);
  EXPECT_TRUE(diff.changes[0].moved);
  EXPECT_TRUE(diff.changes[0].flags_changed);
  EXPECT_FALSE(diff.changes[1].moved);
  EXPECT_TRUE(diff.changes[1].flags_changed);
  EXPECT_TRUE(diff.changes[2].added());
  EXPECT_EQ(after.resident_code(diff.changes[2].after), "tc-new-1");
  EXPECT_TRUE(diff.changes[3].removed());
  EXPECT_EQ(diff.changes[3].before, 2u);
  EXPECT_EQ(diff.changes[4].before, 23u);
  EXPECT_TRUE(diff.tables.empty());

  EXPECT_TRUE(roster::DiffRosters(before, Tc()).empty());
}

TEST(RosterDiffTest, OtherTablesAreMatchedById) {
  Community before = MakeCommunity(Shape{.sites = 2});
  Community after = MakeCommunity(Shape{.buildings = 3, .sites = 1});
  const roster::RosterDiff diff = roster::DiffRosters(before, after);
  ASSERT_EQ(diff.tables.size(), 4u);  // buildings, units, households, sites
  EXPECT_EQ(diff.tables[0].table, "buildings");
  EXPECT_THAT(diff.tables[0].added, ::testing::ElementsAre("b2"));
  EXPECT_EQ(diff.tables[3].table, "sites");
  EXPECT_THAT(diff.tables[3].removed, ::testing::ElementsAre("tc-s1"));
  EXPECT_EQ(diff.added, 12u);  // building b2's residents
}

TEST(RosterVersionTest, ARoundKeepsTheVersionItWasCreatedOn) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
  absl::StatusOr<Round*> first = registry.CreateRound(TestRound());
  ASSERT_TRUE(first.ok()) << first.status();

  RosterEdits edits;
  edits.remove_rows = {1};
  edits.add = {{"tc-new-1", "b0-u0-h0"}, {"tc-new-2", "b0-u0-h1"}};
  absl::StatusOr<const Community*> v2 = registry.ImportVersion(Rebuilt(Tc(), edits), 1);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ((*v2)->version, 2u);
  EXPECT_EQ(registry.FindCommunity("tc"), *v2);
  ASSERT_NE(registry.FindCommunityVersion("tc", 1), nullptr);
  EXPECT_EQ(registry.FindCommunityVersion("tc", 1)->residents.size(), 24u);

  EXPECT_EQ((*first)->layout().resident_count(), 24u);
  EXPECT_TRUE((*first)->FindResident(ResidentCode("tc", 1)).ok());
  EXPECT_FALSE((*first)->FindResident("tc-new-1").ok());
  RoundConfig later = TestRound();
  later.id = "later";
  absl::StatusOr<Round*> second = registry.CreateRound(later);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->layout().resident_count(), 25u);
  EXPECT_TRUE((*second)->FindResident("tc-new-1").ok());
  EXPECT_FALSE((*second)->FindResident(ResidentCode("tc", 1)).ok());
}

TEST(RosterVersionTest, APlainImportOfAKnownCommunityPointsToNewVersions) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
  absl::StatusOr<const Community*> again = registry.ImportCommunity(Tc());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("new version"));
}

TEST(RosterVersionTest, AVersionMadeAgainstAStaleBaseIsAborted) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
  ASSERT_TRUE(registry.ImportVersion(Rebuilt(Tc(), {.remove_rows = {2}}), 1).ok());
  absl::StatusOr<const Community*> stale = registry.ImportVersion(Tc(), 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("version 2, not 1"));
  EXPECT_TRUE(registry.ImportVersion(Tc(), 0).ok());  // 0: whatever is latest
  EXPECT_EQ(registry.FindCommunity("tc")->version, 3u);
}

TEST(RosterVersionTest, ARemovalOfSomeoneSampledInAnOpenRoundIsRefused) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
  Round* round = *registry.CreateRound(TestRound());
  ASSERT_TRUE(round->MakePlan(plan::GreedyPlanner(), {}).ok());
  ASSERT_TRUE(round->Open().ok());
  const DeskIndex desk = *round->ResolveDesk("tc-s0", 1);
  ASSERT_TRUE(round->RackTube(desk, "TB0001").ok());
  ASSERT_EQ(round->CheckIn(desk, ResidentCode("tc", 3), absl::ToUnixSeconds(testing::kRoundStart),
                           core::RequestFingerprint("req-1"))
                .verdict,
            core::CheckInVerdict::kSampled);

  const Community without_3 = Rebuilt(Tc(), {.remove_rows = {3}});
  const Registry::VersionPreview preview = registry.PreviewVersion(without_3);
  EXPECT_EQ(preview.diff.removed, 1u);
  EXPECT_EQ(preview.blocked.code(), absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<const Community*> refused = registry.ImportVersion(without_3, 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("resident #3 of version 1"));
  EXPECT_THAT(refused.status().message(), HasSubstr("round r"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr(ResidentCode("tc", 3))));
  EXPECT_EQ(registry.FindCommunity("tc")->version, 1u);

  // Someone not sampled may go, and the sampled one once the round closes.
  ASSERT_TRUE(registry.ImportVersion(Rebuilt(Tc(), {.remove_rows = {4}}), 1).ok());
  ASSERT_TRUE(round->Close().ok());
  absl::StatusOr<const Community*> after_close =
      registry.ImportVersion(Rebuilt(Tc(), {.remove_rows = {3, 4}}), 2);
  EXPECT_TRUE(after_close.ok()) << after_close.status();
}

TEST(RosterVersionTest, AVersionKeepsItsOwnCodesAndFreesTheOnesItDrops) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.id = "other"})).ok());
  // A new version may not take another community's code ...
  const Community taking =
      Rebuilt(Tc(), {.add = {{ResidentCode("other", 1), "b0-u0-h0"}}});
  EXPECT_EQ(registry.ImportVersion(taking, 1).status().code(), absl::StatusCode::kAlreadyExists);
  // ... nor a site of it.
  Community site_clash = Tc();
  site_clash.sites[0].id = "other-s0";
  EXPECT_EQ(registry.ImportVersion(std::move(site_clash), 1).status().code(),
            absl::StatusCode::kAlreadyExists);
  // The person who moved away from tc can join a community after tc drops them.
  ASSERT_TRUE(registry.ImportVersion(Rebuilt(Tc(), {.remove_rows = {1}}), 1).ok());
  Community third = MakeCommunity(Shape{.id = "third"});
  third = Rebuilt(third, {.add = {{ResidentCode("tc", 1), "b0-u0-h0"}}});
  EXPECT_TRUE(registry.ImportCommunity(std::move(third)).ok());
  // And tc cannot take them back now.
  EXPECT_EQ(registry.ImportVersion(Tc(), 2).status().code(), absl::StatusCode::kAlreadyExists);
}

using ::swabwave::engine::testing::RecordSink;

// Both snapshot styles restore every version, each round on its own.
TEST(RosterVersionTest, SnapshotsRestoreEveryVersionUnderTheRoundsThatPinnedThem) {
  for (SnapshotStyle style : {SnapshotStyle::kDense, SnapshotStyle::kRecords}) {
    Registry registry;
    ASSERT_TRUE(registry.ImportCommunity(Tc()).ok());
    ASSERT_TRUE(registry.CreateRound(TestRound()).ok());
    const Community v2 = Rebuilt(Tc(), {.remove_rows = {1, 2}});
    ASSERT_TRUE(registry.ImportVersion(v2, 1).ok());
    RoundConfig later = TestRound();
    later.id = "later";
    ASSERT_TRUE(registry.CreateRound(later).ok());
    ASSERT_TRUE(registry.ImportVersion(Rebuilt(v2, {.remove_rows = {1}}), 2).ok());

    RecordSink sink;
    ASSERT_TRUE(registry.WriteSnapshot(sink, style).ok());
    Registry restored;
    for (const std::string& record : sink.records) {
      ASSERT_TRUE(restored.ApplyRecord(record).ok());
    }
    // The snapshot's records again (a journal's tail after a snapshot
    // repeats some): nothing changes.
    for (const std::string& record : sink.records) {
      ASSERT_TRUE(restored.ApplyRecord(record).ok());
    }
    restored.FinishRecovery();
    ASSERT_NE(restored.FindCommunity("tc"), nullptr);
    EXPECT_EQ(restored.FindCommunity("tc")->version, 3u);
    EXPECT_EQ(restored.FindCommunity("tc")->residents.size(), 21u);
    EXPECT_EQ(restored.FindRound("r")->layout().resident_count(), 24u);
    EXPECT_EQ(restored.FindRound("r")->layout().community(0).version, 1u);
    EXPECT_EQ(restored.FindRound("later")->layout().resident_count(), 22u);
    EXPECT_EQ(restored.FindRound("later")->layout().community(0).version, 2u);
    // The restored server goes on: its next version is 4.
    absl::StatusOr<const Community*> v4 = restored.ImportVersion(Tc(), 3);
    ASSERT_TRUE(v4.ok()) << v4.status();
    EXPECT_EQ((*v4)->version, 4u);
  }
}

TEST(RosterVersionTest, AVersionThatSkipsOneIsDataLoss) {
  Registry registry;
  Community v1 = Tc();
  std::string record;
  journal::EncodeCommunity(v1, &record);
  ASSERT_TRUE(registry.ApplyRecord(record).ok());
  Community v3 = Tc();
  v3.version = 3;
  record.clear();
  journal::EncodeCommunity(v3, &record);
  const absl::Status status = registry.ApplyRecord(record);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("version 3 of community 'tc' after version 1"));
}

}  // namespace
}  // namespace swabwave::engine
