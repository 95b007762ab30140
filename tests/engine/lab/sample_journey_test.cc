// After the swab (issue 17): sealed tubes packed into a box, picked up by a
// courier, received by a lab tube by tube; results per tube with their
// corrections; a positive tube's recall list is exactly its members
// (DESIGN.md invariants 5 and 7); all of it rebuilt from the journal and
// from both snapshot styles.
#include <algorithm>
#include <functional>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/core/request_index.h"
#include "engine/journal/records.h"
#include "engine/journal/store.h"
#include "engine/plan/door_to_door.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "tests/engine/journal/record_sink.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::RecordSink;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::swabwave::engine::testing::TestRound;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

const int64_t kScan = absl::ToUnixSeconds(testing::kRoundStart) + 600;

// Keeps every record appended, in order (the journal a restart replays).
class CapturingStore final : public journal::Store {
 public:
  uint64_t Append(absl::Span<const absl::string_view> payloads) override {
    std::lock_guard lock(mu_);
    for (absl::string_view p : payloads) records_.emplace_back(p);
    return records_.size();
  }
  using Store::Append;
  bool Accepting(uint64_t) const override { return true; }
  uint64_t last_appended() const override {
    std::lock_guard lock(mu_);
    return records_.size();
  }
  uint64_t durable() const override { return last_appended(); }
  void WhenDurable(uint64_t, DurableCallback done) override { done(absl::OkStatus()); }
  absl::Status health() const override { return absl::OkStatus(); }
  std::vector<std::string> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> records_;
};

custody::Signature Signed(const std::string& by, int64_t at) { return {by, at}; }

class SampleJourneyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AttachStore(&store_);
    ASSERT_TRUE(registry_.ImportCommunity(MakeCommunity(Shape{})).ok());
    RoundConfig config = TestRound();
    config.box_capacity = 3;
    round_ = *registry_.CreateRound(config);
    ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
    ASSERT_TRUE(round_->Open().ok());
    desk_ = *round_->ResolveDesk("tc-s0", 1);
    // 24 residents at one desk: TUBE-1 and TUBE-2 fill (10 each), TUBE-3 takes 4
    // and is sealed by hand; TUBE-4 stays open at desk 2.
    for (const char* barcode : {"TUBE-1", "TUBE-2", "TUBE-3"}) {
      ASSERT_TRUE(round_->RackTube(desk_, barcode).ok());
    }
    for (int n = 1; n <= 24; ++n) {
      const core::CheckInResult r =
          round_->CheckIn(desk_, ResidentCode("tc", n), kScan + 60 * (n - 1),
                          core::RequestFingerprint(absl::StrCat("ci-", n)));
      ASSERT_EQ(r.verdict, core::CheckInVerdict::kSampled) << n;
    }
    ASSERT_TRUE(round_->SealTube(desk_, "TUBE-3").ok());
    ASSERT_TRUE(round_->RackTube(*round_->ResolveDesk("tc-s0", 2), "TUBE-4").ok());
  }

  Round::PackRequest Pack(const std::string& box, std::vector<std::string> tubes) {
    return {box, desk_, std::move(tubes), Signed("tablet 00000001 (site tc-s0)", kScan + 3600)};
  }
  // Packs, ships and receives `box` with every tube scanned, `hours`
  // after the first swab of the round.
  void Ship(const std::string& box, std::vector<std::string> tubes, double hours = 2) {
    absl::Status packed = round_->PackBox(Pack(box, tubes)).status();
    ASSERT_TRUE(packed.ok()) << packed;
    ASSERT_TRUE(round_->PickUpBox(box, Signed("courier 00000002", kScan + 3700)).ok());
    const int64_t at = kScan + static_cast<int64_t>(hours * 3600);
    absl::StatusOr<custody::BoxBook::Recorded> received =
        round_->ReceiveBox(box, "lab-1", Signed("lab 00000003 (lab lab-1)", at), tubes);
    ASSERT_TRUE(received.ok()) << received.status();
  }
  lab::Report Result(const std::string& request, lab::TubeResult result,
                     const std::string& lab_id = "lab-1") {
    lab::Report report;
    report.result = result;
    report.run_id = "run-7";
    report.lab_id = lab_id;
    report.by = "lab 00000003 (lab lab-1)";
    report.at_unix_seconds = kScan + 3 * 3600;
    report.request = core::RequestFingerprint(request);
    return report;
  }
  // The residents the live state says went into `barcode`, found from the
  // residents' side (every resident's word), not from the tube's.
  std::vector<uint32_t> SampledInto(const std::string& barcode) const {
    const TubeIndex tube = *round_->live()->rack().FindTube(barcode);
    std::vector<uint32_t> residents;
    for (uint32_t r = 0; r < round_->layout().resident_count(); ++r) {
      std::optional<Round::SampledCheckIn> at = round_->SampledAt(r);
      if (at.has_value() && at->tube == tube) residents.push_back(r);
    }
    return residents;
  }

  // Rebuilds the registry three ways and hands each to `expect_same`: from
  // the journal alone, and from each snapshot style followed by the
  // journal's tail, which repeats every box step, result and follow-up the
  // snapshot holds (earlier box steps after later ones).
  void ExpectEveryRestore(
      const std::function<void(const Registry&, const std::string&)>& expect_same) {
    const std::vector<std::string> journal = store_.records();
    {
      Registry restored;
      for (const std::string& r : journal) ASSERT_TRUE(restored.ApplyRecord(r).ok());
      restored.FinishRecovery();
      expect_same(restored, "journal");
    }
    for (SnapshotStyle style : {SnapshotStyle::kDense, SnapshotStyle::kRecords}) {
      RecordSink sink;
      ASSERT_TRUE(registry_.WriteSnapshot(sink, style).ok());
      Registry restored;
      for (const std::string& r : sink.records) ASSERT_TRUE(restored.ApplyRecord(r).ok());
      for (const std::string& r : journal) {
        if (*journal::TypeOf(r) >= journal::RecordType::kBoxPacked) {
          ASSERT_TRUE(restored.ApplyRecord(r).ok());
        }
      }
      restored.FinishRecovery();
      expect_same(restored, style == SnapshotStyle::kDense ? "dense" : "records");
    }
  }

  CapturingStore store_;
  Registry registry_;
  Round* round_ = nullptr;
  DeskIndex desk_ = 0;
};

TEST_F(SampleJourneyTest, APositiveTubeRecallsExactlyItsMembers) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2", "TUBE-3"});
  const custody::Box box = *round_->FindBox("BOX-1");
  EXPECT_EQ(box.state, custody::BoxState::kReceived);
  EXPECT_EQ(box.oldest_swab_unix_seconds, kScan);
  EXPECT_EQ(box.AgeSeconds(0), 2 * 3600);
  EXPECT_EQ(custody::AgeOf(box.AgeSeconds(0)), custody::BoxAge::kFresh);
  EXPECT_TRUE(box.missing.empty());
  EXPECT_TRUE(box.unexpected.empty());
  EXPECT_EQ(box.picked_up.by, "courier 00000002");

  ASSERT_TRUE(round_->ReportResult("TUBE-1", Result("res-1", lab::TubeResult::kNegative)).ok());
  lab::Report positive = Result("res-2", lab::TubeResult::kPositive);
  positive.ct = 31.5;
  ASSERT_TRUE(round_->ReportResult("TUBE-2", positive).ok());
  ASSERT_TRUE(round_->ReportResult("TUBE-3", Result("res-3", lab::TubeResult::kInvalid)).ok());

  const std::vector<Round::Recall> recalls = *round_->Recalls();
  ASSERT_EQ(recalls.size(), 1u);
  EXPECT_EQ(round_->TubeBarcode(recalls[0].tube), "TUBE-2");
  EXPECT_EQ(recalls[0].result->ct, 31.5);
  EXPECT_THAT(recalls[0].members, UnorderedElementsAreArray(SampledInto("TUBE-2")));
  EXPECT_EQ(recalls[0].members.size(), 10u);
  // Each member with their household, unit and building.
  const Round::MemberPlace place = round_->PlaceOf(recalls[0].members[0]);
  EXPECT_EQ(place.community_id, "tc");
  EXPECT_EQ(place.code, std::string(round_->resident_code(recalls[0].members[0])));
  EXPECT_THAT(place.household_id, ::testing::StartsWith(place.unit_id));
  EXPECT_THAT(place.unit_id, ::testing::StartsWith(place.building_id));
}

TEST_F(SampleJourneyTest, CustodyIsOneOrderedChainOfSignedHandOvers) {
  absl::Status status = round_->ReceiveBox("BOX-1", "lab-1", Signed("lab", kScan), {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(round_->PackBox(Pack("BOX-1", {"TUBE-1"})).ok());
  status = round_->ReceiveBox("BOX-1", "lab-1", Signed("lab", kScan), {"TUBE-1"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("has not been picked up"));

  // The same packing again is a retry; other tubes under the barcode are not.
  absl::StatusOr<custody::BoxBook::Recorded> again = round_->PackBox(Pack("BOX-1", {"TUBE-1"}));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  status = round_->PackBox(Pack("BOX-1", {"TUBE-2"})).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  // A tube travels in one box.
  status = round_->PackBox(Pack("BOX-2", {"TUBE-2", "TUBE-1"})).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("in box BOX-1"));

  ASSERT_TRUE(round_->PickUpBox("BOX-1", Signed("courier 00000002", kScan + 10)).ok());
  absl::StatusOr<custody::BoxBook::Recorded> picked =
      round_->PickUpBox("BOX-1", Signed("courier 99999999", kScan + 20));
  ASSERT_TRUE(picked.ok());
  EXPECT_TRUE(picked->replayed);
  EXPECT_EQ(picked->box.picked_up.by, "courier 00000002");  // the first signature stands
}

TEST_F(SampleJourneyTest, EachBadPackingSaysWhatIsWrong) {
  struct Case {
    std::vector<std::string> tubes;
    absl::StatusCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{}, absl::StatusCode::kInvalidArgument, "at least one tube"},
      {{"TUBE-1", "TUBE-2", "TUBE-3", "TUBE-4"}, absl::StatusCode::kInvalidArgument, "at most 3"},
      {{"TUBE-1", "TUBE-1"}, absl::StatusCode::kInvalidArgument, "listed twice"},
      {{"NOPE-1"}, absl::StatusCode::kNotFound, "no tube NOPE-1"},
      {{"TUBE-4"}, absl::StatusCode::kFailedPrecondition, "not sealed"},
      {{"bad barcode"}, absl::StatusCode::kInvalidArgument, "tube_barcodes[0]"},
  };
  for (const Case& c : cases) {
    const absl::Status status = round_->PackBox(Pack("BOX-9", c.tubes)).status();
    EXPECT_EQ(status.code(), c.code) << c.says;
    EXPECT_THAT(status.message(), HasSubstr(c.says));
  }
  // A team packs its own tubes only.
  Round::PackRequest by_team = Pack("BOX-9", {"TUBE-1"});
  by_team.desk = *round_->ResolveTeam("tc", 1);
  const absl::Status status = round_->PackBox(by_team).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("was filled at sites/tc-s0/desks/1"));
  EXPECT_EQ(round_->Boxes().size(), 0u);
}

TEST_F(SampleJourneyTest, TheLabsScanShowsMissingAndUnexpectedTubes) {
  ASSERT_TRUE(round_->PackBox(Pack("BOX-1", {"TUBE-1", "TUBE-2"})).ok());
  ASSERT_TRUE(round_->PickUpBox("BOX-1", Signed("courier", kScan + 3600)).ok());
  absl::StatusOr<custody::BoxBook::Recorded> received = round_->ReceiveBox(
      "BOX-1", "lab-1", Signed("lab", kScan + 7200), {"TUBE-1", "TUBE-3", "STRAY-9"});
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_THAT(received->box.missing, ElementsAre(*round_->live()->rack().FindTube("TUBE-2")));
  EXPECT_THAT(received->box.unexpected, ElementsAre("TUBE-3", "STRAY-9"));

  // No result for a tube the lab did not receive, whichever way.
  for (const char* tube : {"TUBE-2", "TUBE-3"}) {
    const absl::Status status =
        round_->ReportResult(tube, Result(tube, lab::TubeResult::kNegative)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << tube;
  }
  EXPECT_TRUE(round_->ReportResult("TUBE-1", Result("ok", lab::TubeResult::kNegative)).ok());

  // A tube lost on the way is never tested: its members are resampled.
  const uint32_t lost = SampledInto("TUBE-2")[0];
  EXPECT_EQ(round_->CalledBack(lost, kScan + 7200), lab::FollowUpReason::kResample);
  EXPECT_EQ(round_->LabStateOf(lost, kScan + 7200), Round::LabState::kResampleDue);
  absl::StatusOr<std::vector<Round::Recall>> resample =
      round_->CallBacks(lab::FollowUpReason::kResample, kScan + 7200);
  ASSERT_TRUE(resample.ok()) << resample.status();
  ASSERT_EQ(resample->size(), 1u);
  EXPECT_EQ(resample->at(0).tube, *round_->live()->rack().FindTube("TUBE-2"));
  EXPECT_EQ(resample->at(0).members, SampledInto("TUBE-2"));
}

TEST_F(SampleJourneyTest, TheTabletListsItsSitesSealedTubesNotYetBoxed) {
  auto barcodes = [](const Round::TubesToPackPage& page) {
    std::vector<std::string> out;
    for (const Round::TubeToPack& tube : page.tubes) out.push_back(tube.barcode);
    return out;
  };
  // Any desk of the site sees them; TUBE-4 at desk 2 is still open.
  const DeskIndex other_desk = *round_->ResolveDesk("tc-s0", 2);
  absl::StatusOr<Round::TubesToPackPage> page = round_->TubesToPack(other_desk, 0, 10);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(barcodes(*page), ElementsAre("TUBE-1", "TUBE-2", "TUBE-3"));
  EXPECT_EQ(page->next, kNoId);
  EXPECT_EQ(page->tubes[0].swabs, 10u);
  EXPECT_EQ(page->tubes[2].swabs, 4u);
  EXPECT_EQ(page->tubes[1].oldest_swab_unix_seconds, kScan + 60 * 10);
  EXPECT_EQ(page->tubes[0].desk, desk_);

  // Pages follow each other; a packed tube leaves the list.
  page = round_->TubesToPack(desk_, 0, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(barcodes(*page), ElementsAre("TUBE-1", "TUBE-2"));
  page = round_->TubesToPack(desk_, page->next, 2);
  EXPECT_THAT(barcodes(*page), ElementsAre("TUBE-3"));
  ASSERT_TRUE(round_->PackBox(Pack("BOX-1", {"TUBE-2"})).ok());
  EXPECT_THAT(barcodes(*round_->TubesToPack(desk_, 0, 10)), ElementsAre("TUBE-1", "TUBE-3"));

  // A team sees none of them (the site's tubes are the site's to pack).
  EXPECT_TRUE(round_->TubesToPack(*round_->ResolveTeam("tc", 1), 0, 10)->tubes.empty());
  EXPECT_EQ(round_->TubesToPack(round_->desk_total(), 0, 10).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SampleJourneyTest, AResultIsOncePerTubeUnlessCorrectedWithAReason) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2"});
  absl::StatusOr<lab::ResultBook::Recorded> first =
      round_->ReportResult("TUBE-1", Result("res-1", lab::TubeResult::kPositive));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->replayed);
  // A retry, and the same result under a new request, change nothing.
  EXPECT_TRUE(round_->ReportResult("TUBE-1", Result("res-1", lab::TubeResult::kPositive))->replayed);
  EXPECT_TRUE(round_->ReportResult("TUBE-1", Result("res-1b", lab::TubeResult::kPositive))->replayed);
  // A different one carries the first back.
  lab::Report conflict;
  absl::Status status =
      round_->ReportResult("TUBE-1", Result("res-2", lab::TubeResult::kNegative), &conflict).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("positive already"));
  EXPECT_EQ(conflict.result, lab::TubeResult::kPositive);
  // A correction with its reason replaces it; the trail keeps both.
  lab::Report correction = Result("res-3", lab::TubeResult::kNegative);
  correction.correction_reason = "plate row swapped";
  ASSERT_TRUE(round_->ReportResult("TUBE-1", correction).ok());
  EXPECT_EQ(round_->ResultOf(*round_->live()->rack().FindTube("TUBE-1"))->result,
            lab::TubeResult::kNegative);
  EXPECT_EQ(round_->ResultTrail().size(), 2u);
  EXPECT_TRUE(round_->Recalls()->empty());

  status = round_->ReportResult("NOPE-1", Result("x1", lab::TubeResult::kNegative)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  status = round_->ReportResult("TUBE-3", Result("x2", lab::TubeResult::kNegative)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("in no box"));
  status =
      round_->ReportResult("TUBE-2", Result("x3", lab::TubeResult::kNegative, "lab-2")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("received by lab lab-1"));
  lab::Report bad_ct = Result("x4", lab::TubeResult::kPositive);
  bad_ct.ct = 75;
  status = round_->ReportResult("TUBE-2", bad_ct).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SampleJourneyTest, ABoxPastFourHoursIsResampledNeverReported) {
  EXPECT_EQ(custody::AgeOf(3 * 3600 - 1), custody::BoxAge::kFresh);
  EXPECT_EQ(custody::AgeOf(3 * 3600), custody::BoxAge::kWarning);
  EXPECT_EQ(custody::AgeOf(4 * 3600), custody::BoxAge::kBreach);
  Ship("BOX-LATE", {"TUBE-1"}, 4.25);
  EXPECT_TRUE(round_->FindBox("BOX-LATE")->ArrivedBreached());
  const absl::Status status =
      round_->ReportResult("TUBE-1", Result("late", lab::TubeResult::kPositive)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("resampled"));
  EXPECT_TRUE(round_->Recalls()->empty());
}

TEST_F(SampleJourneyTest, BoxesAndResultsComeBackFromTheJournalAndBothSnapshots) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2"});
  ASSERT_TRUE(round_->PackBox(Pack("BOX-2", {"TUBE-3"})).ok());
  ASSERT_TRUE(round_->ReportResult("TUBE-1", Result("res-1", lab::TubeResult::kPositive)).ok());
  lab::Report correction = Result("res-2", lab::TubeResult::kNegative);
  correction.correction_reason = "rerun";
  ASSERT_TRUE(round_->ReportResult("TUBE-1", correction).ok());
  ASSERT_TRUE(round_->ReportResult("TUBE-2", Result("res-3", lab::TubeResult::kPositive)).ok());

  auto expect_same = [&](const Registry& restored, const std::string& how) {
    const Round* round = restored.FindRound("r");
    ASSERT_NE(round, nullptr) << how;
    ASSERT_EQ(round->Boxes().size(), 2u) << how;
    const custody::Box box = *round->FindBox("BOX-1");
    EXPECT_EQ(box.state, custody::BoxState::kReceived) << how;
    EXPECT_EQ(box.received.by, "lab 00000003 (lab lab-1)") << how;
    EXPECT_EQ(round->FindBox("BOX-2")->state, custody::BoxState::kPacked) << how;
    EXPECT_EQ(round->ResultTrail().size(), 3u) << how;
    const std::vector<Round::Recall> recalls = *round->Recalls();
    ASSERT_EQ(recalls.size(), 1u) << how;
    EXPECT_EQ(round->TubeBarcode(recalls[0].tube), "TUBE-2") << how;
    EXPECT_THAT(recalls[0].members, UnorderedElementsAreArray(SampledInto("TUBE-2"))) << how;
  };

  ExpectEveryRestore(expect_same);
}

TEST_F(SampleJourneyTest, RecordsThatContradictTheRoundAreDataLoss) {
  Ship("BOX-1", {"TUBE-1"});
  std::string record;
  custody::Box other = *round_->FindBox("BOX-1");
  other.barcode = "BOX-OTHER";  // the same tube in a second box
  journal::EncodeBox({0, other}, &record);
  EXPECT_EQ(registry_.ApplyRecord(record).code(), absl::StatusCode::kDataLoss);
  custody::Box far = other;
  far.barcode = "BOX-FAR";
  far.tubes = {4000};
  record.clear();
  journal::EncodeBox({0, far}, &record);
  EXPECT_EQ(registry_.ApplyRecord(record).code(), absl::StatusCode::kDataLoss);
  lab::Report report = Result("r", lab::TubeResult::kPositive);
  report.tube = 4000;
  record.clear();
  journal::EncodeResult({0, report}, &record);
  EXPECT_EQ(registry_.ApplyRecord(record).code(), absl::StatusCode::kDataLoss);
}

// ---- follow-up swabs (invariant 5: every recalled resident is retested
// one swab per tube exactly once)

class FollowUpTest : public SampleJourneyTest {
 protected:
  Round::FollowUpRequest FollowUp(uint32_t member, const std::string& barcode,
                                  const std::string& request) {
    return {std::string(round_->PlaceOf(member).code), barcode, team_desk(),
            kScan + 5 * 3600, core::RequestFingerprint(request)};
  }
  DeskIndex team_desk() const { return *round_->ResolveTeam("tc", 1); }
  int64_t Later() const { return kScan + 5 * 3600; }
};

TEST_F(FollowUpTest, EveryRecalledResidentIsRetestedOncePerTube) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2", "TUBE-3"});
  ASSERT_TRUE(round_->ReportResult("TUBE-1", Result("r1", lab::TubeResult::kNegative)).ok());
  ASSERT_TRUE(round_->ReportResult("TUBE-2", Result("r2", lab::TubeResult::kPositive)).ok());
  ASSERT_TRUE(round_->ReportResult("TUBE-3", Result("r3", lab::TubeResult::kInvalid)).ok());
  const std::vector<uint32_t> recalled = round_->Recalls()->at(0).members;
  const std::vector<uint32_t> negative = SampledInto("TUBE-1");
  const std::vector<uint32_t> invalid = SampledInto("TUBE-3");
  EXPECT_EQ(round_->LabStateOf(recalled[0], Later()), Round::LabState::kRecalled);
  EXPECT_EQ(round_->LabStateOf(negative[0], Later()), Round::LabState::kNegative);
  EXPECT_EQ(round_->LabStateOf(invalid[0], Later()), Round::LabState::kResampleDue);
  EXPECT_EQ(round_->CalledBack(invalid[0], Later()), lab::FollowUpReason::kResample);

  // The retest walk: everyone called back, routed by building.
  std::vector<uint32_t> awaiting = recalled;
  awaiting.insert(awaiting.end(), invalid.begin(), invalid.end());
  std::sort(awaiting.begin(), awaiting.end());
  EXPECT_EQ(*round_->AwaitingFollowUp(Later()), awaiting);
  absl::StatusOr<plan::DoorToDoorPlan> walk =
      plan::PlanRoutes(round_->layout(), round_->config(), awaiting, plan::DoorToDoorOptions{});
  ASSERT_TRUE(walk.ok()) << walk.status();
  EXPECT_EQ(walk->residents, static_cast<int64_t>(awaiting.size()));
  size_t routed = 0;
  for (const plan::DoorToDoorRoute& route : walk->routes) {
    for (const plan::DoorToDoorStop& stop : route.stops) routed += stop.residents.size();
  }
  EXPECT_EQ(routed, awaiting.size());

  std::vector<std::string> barcodes;
  for (size_t i = 0; i < recalled.size(); ++i) {
    barcodes.push_back(absl::StrCat("RETEST-", i));
    absl::StatusOr<lab::RetestBook::Recorded> taken = round_->RecordFollowUp(
        FollowUp(recalled[i], barcodes.back(), absl::StrCat("retest-", i)));
    ASSERT_TRUE(taken.ok()) << taken.status();
    EXPECT_EQ(taken->retest.reason, lab::FollowUpReason::kRecall);
    EXPECT_TRUE(lab::IsFollowUpTube(taken->tube));
    EXPECT_THAT(round_->TubeMembers(taken->tube), ElementsAre(recalled[i]));  // 1-in-1
  }
  EXPECT_EQ(round_->LabStateOf(recalled[0], Later()), Round::LabState::kRetestPending);
  EXPECT_EQ(*round_->AwaitingFollowUp(Later()), invalid) << "the recalled gave theirs";
  // Exactly once: a retry answers the first; a second swab is refused.
  EXPECT_TRUE(round_->RecordFollowUp(FollowUp(recalled[0], "RETEST-0", "retest-0"))->replayed);
  lab::RetestBook::Recorded first;
  absl::Status status =
      round_->RecordFollowUp(FollowUp(recalled[0], "RETEST-X", "retest-x"), &first).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(first.retest.tube_barcode, "RETEST-0");
  // Nobody else is called back; a tube's barcode names one tube.
  status = round_->RecordFollowUp(FollowUp(negative[0], "RETEST-Y", "retest-y")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("not called back"));
  status = round_->RecordFollowUp(FollowUp(invalid[0], "TUBE-1", "retest-z")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(round_->RackTube(desk_, "RETEST-1").status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(round_->RecordFollowUp(FollowUp(invalid[0], "RESAMPLE-0", "resample-0")).ok());

  // The team packs its follow-up tubes (three to a box here); the lab
  // reports each on its own.
  barcodes.push_back("RESAMPLE-0");
  std::vector<std::string> to_pack;
  absl::StatusOr<Round::TubesToPackPage> table = round_->TubesToPack(team_desk(), 0, 100);
  ASSERT_TRUE(table.ok()) << table.status();
  for (const Round::TubeToPack& tube : table->tubes) {
    EXPECT_EQ(tube.swabs, 1u);
    to_pack.push_back(tube.barcode);
  }
  EXPECT_EQ(to_pack, barcodes) << "the team's follow-up tubes, in the order taken";
  for (size_t first_tube = 0; first_tube < barcodes.size(); first_tube += 3) {
    const std::vector<std::string> tubes(
        barcodes.begin() + first_tube,
        barcodes.begin() + std::min(barcodes.size(), first_tube + 3));
    const std::string box = absl::StrCat("BOX-RT-", first_tube);
    ASSERT_TRUE(round_->PackBox({box, team_desk(), tubes, Signed("team", Later())}).ok());
    EXPECT_EQ(round_->FindBox(box)->oldest_swab_unix_seconds, Later());
    ASSERT_TRUE(round_->PickUpBox(box, Signed("courier", Later() + 60)).ok());
    ASSERT_TRUE(round_->ReceiveBox(box, "lab-1", Signed("lab", Later() + 3600), tubes).ok());
  }
  for (size_t i = 0; i < barcodes.size(); ++i) {
    const lab::TubeResult result = i == 3 ? lab::TubeResult::kPositive : lab::TubeResult::kNegative;
    ASSERT_TRUE(round_->ReportResult(barcodes[i], Result(absl::StrCat("rt-", i), result)).ok());
  }
  EXPECT_EQ(round_->LabStateOf(recalled[3], Later()), Round::LabState::kCase);
  EXPECT_EQ(round_->LabStateOf(recalled[4], Later()), Round::LabState::kRetestNegative);
  EXPECT_EQ(round_->Recalls()->size(), 1u) << "a positive follow-up is a case, not a new recall";

  const Round::LabTotals totals = *round_->CountLab(Later() + 3600);
  auto count = [&](Round::LabState state) { return totals.members[static_cast<int>(state)]; };
  EXPECT_EQ(count(Round::LabState::kNegative), 10);
  EXPECT_EQ(count(Round::LabState::kCase), 1);
  EXPECT_EQ(count(Round::LabState::kRetestNegative), 9 + 1);  // the recalled and the resampled
  EXPECT_EQ(count(Round::LabState::kResampleDue), 3);
  EXPECT_EQ(count(Round::LabState::kRecalled), 0);
  EXPECT_EQ(count(Round::LabState::kNotSampled), 0);
  EXPECT_EQ(totals.follow_ups, 11);
  EXPECT_EQ(totals.boxes_packed, 1 + 4);
  EXPECT_EQ(totals.tubes_with_result, 3);
}

TEST_F(FollowUpTest, ABoxStillTravellingPastFourHoursCallsItsMembersBack) {
  ASSERT_TRUE(round_->PackBox(Pack("BOX-1", {"TUBE-1"})).ok());
  const uint32_t member = SampledInto("TUBE-1")[0];
  EXPECT_EQ(round_->LabStateOf(member, kScan + 3600), Round::LabState::kResultPending);
  EXPECT_FALSE(round_->CalledBack(member, kScan + 3600).has_value());
  EXPECT_EQ(round_->CalledBack(member, kScan + 4 * 3600), lab::FollowUpReason::kResample);
  EXPECT_EQ(round_->CountLab(kScan + 3 * 3600)->box_warnings, 1);
  EXPECT_EQ(round_->CountLab(kScan + 4 * 3600)->box_breaches, 1);
}

// Results arrive while teams take follow-up swabs, two teams racing for
// the same residents: each recalled resident gets exactly one follow-up
// swab, in a tube of its own, and the books agree (run under
// ThreadSanitizer in CI).
TEST_F(FollowUpTest, ResultsAndRacingRetestsKeepOneSwabPerRecalledResident) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2", "TUBE-3"});
  ASSERT_TRUE(round_->ReportResult("TUBE-2", Result("p2", lab::TubeResult::kPositive)).ok());
  const std::vector<uint32_t> recalled = round_->Recalls()->at(0).members;
  std::atomic<int> taken{0};
  auto team = [&](int number) {
    for (size_t i = 0; i < recalled.size(); ++i) {
      absl::StatusOr<lab::RetestBook::Recorded> r = round_->RecordFollowUp(FollowUp(
          recalled[i], absl::StrCat("RT-", number, "-", i), absl::StrCat("t", number, "-", i)));
      if (r.ok() && !r->replayed) taken.fetch_add(1);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists) << r.status();
      }
    }
  };
  std::thread lab_thread([&] {
    for (int round_trip = 0; round_trip < 200; ++round_trip) {
      (void)round_->ReportResult("TUBE-1", Result(absl::StrCat("n", round_trip),
                                                  lab::TubeResult::kNegative));
      (void)round_->CountLab(Later());
      (void)round_->Recalls();
    }
  });
  std::thread first(team, 1);
  std::thread second(team, 2);
  first.join();
  second.join();
  lab_thread.join();
  EXPECT_EQ(taken.load(), static_cast<int>(recalled.size()));
  for (uint32_t member : recalled) {
    std::optional<lab::RetestBook::Recorded> follow_up = round_->FollowUpOf(member);
    ASSERT_TRUE(follow_up.has_value()) << member;
    EXPECT_THAT(round_->TubeMembers(follow_up->tube), ElementsAre(member));
  }
  EXPECT_EQ(round_->CountLab(Later())->follow_ups, static_cast<int64_t>(recalled.size()));
}

TEST_F(FollowUpTest, FollowUpsAndTheirBoxesComeBackFromTheJournalAndBothSnapshots) {
  Ship("BOX-1", {"TUBE-1", "TUBE-2"});
  ASSERT_TRUE(round_->ReportResult("TUBE-2", Result("p2", lab::TubeResult::kPositive)).ok());
  const std::vector<uint32_t> recalled = round_->Recalls()->at(0).members;
  ASSERT_TRUE(round_->RecordFollowUp(FollowUp(recalled[0], "RT-0", "rt-0")).ok());
  ASSERT_TRUE(round_->RecordFollowUp(FollowUp(recalled[1], "RT-1", "rt-1")).ok());
  ASSERT_TRUE(
      round_->PackBox({"BOX-RT", team_desk(), {"RT-0", "RT-1"}, Signed("team", Later())}).ok());
  ASSERT_TRUE(round_->PickUpBox("BOX-RT", Signed("courier", Later())).ok());
  ASSERT_TRUE(round_->ReceiveBox("BOX-RT", "lab-1", Signed("lab", Later() + 60), {"RT-0", "RT-1"})
                  .ok());
  ASSERT_TRUE(round_->ReportResult("RT-0", Result("c0", lab::TubeResult::kPositive)).ok());

  auto expect_same = [&](const Registry& restored, const std::string& how) {
    const Round* round = restored.FindRound("r");
    ASSERT_NE(round, nullptr) << how;
    EXPECT_EQ(round->LabStateOf(recalled[0], Later()), Round::LabState::kCase) << how;
    EXPECT_EQ(round->LabStateOf(recalled[1], Later()), Round::LabState::kRetestPending) << how;
    EXPECT_EQ(round->LabStateOf(recalled[2], Later()), Round::LabState::kRecalled) << how;
    EXPECT_EQ(round->FindBox("BOX-RT")->state, custody::BoxState::kReceived) << how;
    EXPECT_EQ(round->FindAnyTube("RT-1"), round_->FindAnyTube("RT-1")) << how;
  };
  ExpectEveryRestore(expect_same);
}

}  // namespace
}  // namespace swabwave::engine
