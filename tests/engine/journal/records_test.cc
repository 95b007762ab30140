#include "engine/journal/records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "engine/journal/byte_codec.h"
#include "engine/model/round_layout.h"
#include "engine/plan/flow_planner.h"
#include "engine/plan/greedy_planner.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine::journal {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;

Community TestCommunity() {
  Shape shape;
  shape.mobility_limited_every = 5;
  shape.exempt_every = 7;
  shape.sites = 2;
  Community community = MakeCommunity(shape);
  community.time_zone = "Asia/Shanghai";
  return community;
}

TEST(RecordsTest, ACommunityRoundTripsThroughItsRecord) {
  const Community community = TestCommunity();
  std::string record;
  EncodeCommunity(community, &record);
  ASSERT_EQ(*TypeOf(record), RecordType::kCommunityImported);
  absl::StatusOr<Community> decoded = DecodeCommunity(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  std::string again;
  EncodeCommunity(*decoded, &again);
  EXPECT_EQ(again, record);
  EXPECT_EQ(decoded->time_zone, "Asia/Shanghai");
  EXPECT_EQ(decoded->residents.size(), community.residents.size());
  EXPECT_EQ(decoded->resident_code(3), community.resident_code(3));
  EXPECT_EQ(decoded->residents[4].mobility_limited, community.residents[4].mobility_limited);
  EXPECT_EQ(decoded->residents[6].exemption, community.residents[6].exemption);
}

TEST(RecordsTest, RoundEventsRoundTrip) {
  RoundCreated created;
  created.config.id = "r1";
  created.config.community_ids = {"tc", "td"};
  created.config.start = absl::FromUnixSeconds(1795762800);
  created.config.pool_ratio = 5;
  created.created = absl::FromUnixNanos(1795762800123456789);
  std::string record;
  EncodeRoundCreated(created, &record);
  absl::StatusOr<RoundCreated> decoded = DecodeRoundCreated(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->config.id, "r1");
  EXPECT_EQ(decoded->config.community_ids, created.config.community_ids);
  EXPECT_EQ(decoded->config.start, created.config.start);
  EXPECT_EQ(decoded->config.pool_ratio, 5);
  EXPECT_EQ(decoded->config.wave_length, created.config.wave_length);
  EXPECT_EQ(decoded->created, created.created);

  record.clear();
  EncodeRoundPhase(RecordType::kRoundClosed, "r1", &record);
  EXPECT_EQ(*TypeOf(record), RecordType::kRoundClosed);
  EXPECT_EQ(*DecodeRoundPhase(record), "r1");

  record.clear();
  EncodeTubeEvent(RecordType::kTubeSealed, {"r1", 3, 17, "TB-000017"}, &record);
  absl::StatusOr<TubeEvent> tube = DecodeTubeEvent(record);
  ASSERT_TRUE(tube.ok());
  EXPECT_EQ(tube->desk, 3u);
  EXPECT_EQ(tube->tube, 17u);
  EXPECT_EQ(tube->barcode, "TB-000017");

  record.clear();
  const CheckInRecord check_in{2, 123456, 789, 9, 1795762801, 0x0123456789ABCDEF, true};
  EncodeCheckIn(check_in, &record);
  absl::StatusOr<CheckInRecord> back = DecodeCheckIn(record);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->round, 2u);
  EXPECT_EQ(back->resident, 123456u);
  EXPECT_EQ(back->tube, 789u);
  EXPECT_EQ(back->slot, 9u);
  EXPECT_EQ(back->scan_unix_seconds, 1795762801);
  EXPECT_EQ(back->request, 0x0123456789ABCDEFu);
  EXPECT_TRUE(back->request_whole);
  // Short: a check-in is the journal's bulk (8 of these bytes are the
  // request fingerprint that catches a request id reused for another
  // resident).
  EXPECT_LE(record.size(), 24u);
}

TEST(RecordsTest, ABoxCapacityRoundTripsWithAndWithoutATarget) {
  RoundCreated created;
  created.config = RoundConfig{.id = "r", .community_ids = {"tc"},
                               .start = absl::FromUnixSeconds(1795762800)};
  created.config.box_capacity = 150;
  for (bool targeted : {false, true}) {
    if (targeted) created.config.target.building_ids = {"b1"};
    std::string record;
    EncodeRoundCreated(created, &record);
    absl::StatusOr<RoundCreated> decoded = DecodeRoundCreated(record);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->config.box_capacity, 150);
    EXPECT_EQ(decoded->config.target.building_ids, created.config.target.building_ids);
  }
  // The default leaves the record as it was before boxes.
  created.config.box_capacity = kDefaultBoxCapacity;
  created.config.target = {};
  std::string plain;
  EncodeRoundCreated(created, &plain);
  EXPECT_EQ(DecodeRoundCreated(plain)->config.box_capacity, kDefaultBoxCapacity);
}

TEST(RecordsTest, BoxesAtEachHandOverAndResultsRoundTrip) {
  custody::Box box;
  box.barcode = "BOX-0001";
  box.desk = 4;
  box.tubes = {7, 9, 300};
  box.oldest_swab_unix_seconds = 1795762801;
  box.packed = {"tablet 0a0b0c0d (site s1)", 1795766400};
  for (custody::BoxState state : {custody::BoxState::kPacked, custody::BoxState::kPickedUp,
                                  custody::BoxState::kReceived}) {
    box.state = state;
    if (state >= custody::BoxState::kPickedUp) box.picked_up = {"courier 01020304", 1795767000};
    if (state == custody::BoxState::kReceived) {
      box.received = {"lab 0f0e0d0c (lab lab-1)", 1795770000};
      box.lab_id = "lab-1";
      box.missing = {9};
      box.unexpected = {"STRAY-01"};
    }
    std::string record;
    EncodeBox({3, box}, &record);
    absl::StatusOr<BoxRecord> back = DecodeBox(record);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->round, 3u);
    EXPECT_EQ(back->box.state, state);
    EXPECT_EQ(back->box.tubes, box.tubes);
    EXPECT_EQ(back->box.oldest_swab_unix_seconds, box.oldest_swab_unix_seconds);
    EXPECT_EQ(back->box.packed.by, box.packed.by);
    EXPECT_EQ(back->box.picked_up.at_unix_seconds, box.picked_up.at_unix_seconds);
    EXPECT_EQ(back->box.received.by, box.received.by);
    EXPECT_EQ(back->box.missing, box.missing);
    EXPECT_EQ(back->box.unexpected, box.unexpected);
  }
  lab::Report report;
  report.tube = 300;
  report.result = lab::TubeResult::kPositive;
  report.ct = 28.25;
  report.run_id = "RUN-2026-12-05-A";
  report.lab_id = "lab-1";
  report.by = "lab 0f0e0d0c (lab lab-1)";
  report.at_unix_seconds = 1795771000;
  report.correction_reason = "plate row swapped";
  report.request = 0xFEEDFACECAFEBEEF;
  std::string record;
  EncodeResult({3, report}, &record);
  absl::StatusOr<ResultRecord> back = DecodeResult(record);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->report.tube, 300u);
  EXPECT_EQ(back->report.result, lab::TubeResult::kPositive);
  EXPECT_EQ(back->report.ct, 28.25);
  EXPECT_EQ(back->report.run_id, report.run_id);
  EXPECT_EQ(back->report.correction_reason, report.correction_reason);
  EXPECT_EQ(back->report.request, report.request);
  report.ct.reset();
  record.clear();
  EncodeResult({3, report}, &record);
  EXPECT_FALSE(DecodeResult(record)->report.ct.has_value());

  const lab::Retest retest{1234, lab::FollowUpReason::kResample, "RETEST-0001", 77, 1795772000,
                           0x0102030405060708};
  record.clear();
  EncodeFollowUp({3, retest}, &record);
  absl::StatusOr<FollowUpRecord> follow_up = DecodeFollowUp(record);
  ASSERT_TRUE(follow_up.ok()) << follow_up.status();
  EXPECT_EQ(follow_up->retest.member, 1234u);
  EXPECT_EQ(follow_up->retest.reason, lab::FollowUpReason::kResample);
  EXPECT_EQ(follow_up->retest.tube_barcode, "RETEST-0001");
  EXPECT_EQ(follow_up->retest.desk, 77u);
  EXPECT_EQ(follow_up->retest.request, retest.request);
  record[4] = 9;  // the reason (after the type, round and two-byte member): no such reason
  EXPECT_FALSE(DecodeFollowUp(record).ok());
}

// A journal written before the request index holds check-ins with only a
// 32-bit tag: they are still read, as requests that are not whole, and a
// check-in restored from one is written back in the same form.
TEST(RecordsTest, ACheckInWrittenBeforeTheRequestIndexIsStillRead) {
  std::string record;
  EncodeCheckIn({2, 123456, 789, 9, 1795762801, 0xDEADBEEF, false}, &record);
  ASSERT_EQ(TypeOf(record).value(), RecordType::kCheckInBeforeRequestIndex);
  absl::StatusOr<CheckInRecord> back = DecodeCheckIn(record);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->request, 0xDEADBEEFu);
  EXPECT_FALSE(back->request_whole);
  EXPECT_EQ(back->resident, 123456u);
  EXPECT_EQ(back->scan_unix_seconds, 1795762801);
  // The bytes an old server wrote, byte for byte.
  EXPECT_EQ(record, std::string("\x08\x02\xc0\xc4\x07\x95\x06\x09", 8) +
                        record.substr(8, record.size() - 12) + std::string("\xef\xbe\xad\xde", 4));
}

TEST(RecordsTest, APlanRoundTripsThroughItsRecord) {
  const Community community = TestCommunity();
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = absl::FromUnixSeconds(1795762800);
  const RoundLayout layout({&community});
  absl::StatusOr<plan::Plan> made = plan::GreedyPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(made.ok()) << made.status();
  std::string record;
  EncodeRoundPlanned("r", *made, &record);
  absl::StatusOr<RoundPlanned> decoded = DecodeRoundPlanned(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->round_id, "r");
  std::string again;
  EncodeRoundPlanned("r", decoded->plan, &again);
  EXPECT_EQ(again, record);
  EXPECT_TRUE(plan::VerifyPlan(layout, decoded->plan).ok());
}

// The optimal planner's gaps travel with the plan, a re-plan carries the
// same payload under its own type, and a record written before those
// fields existed still reads (they are 0).
TEST(RecordsTest, OptimalPlansAndReplansRoundTripAndOldPlanRecordsStillRead) {
  const Community community = TestCommunity();
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = absl::FromUnixSeconds(1795762800);
  const RoundLayout layout({&community});
  absl::StatusOr<plan::Plan> made = plan::FlowPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_GT(made->waves_optimum, 0);
  ASSERT_GT(made->flow_walking_m, 0);
  for (RecordType type : {RecordType::kRoundPlanned, RecordType::kRoundReplanned}) {
    std::string record;
    EncodeRoundPlanned("r", *made, &record, type);
    ASSERT_EQ(*TypeOf(record), type);
    absl::StatusOr<RoundPlanned> decoded = DecodeRoundPlanned(record);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->plan.waves_optimum, made->waves_optimum);
    EXPECT_EQ(decoded->plan.flow_walking_m, made->flow_walking_m);
    EXPECT_EQ(decoded->plan.scattered_buildings, made->scattered_buildings);
    EXPECT_EQ(decoded->plan.resident_cell, made->resident_cell);
  }
  // The older forms: the same record without the staffing fields (written
  // before planning within staff), and also without the optimal planner's
  // three (written before it).
  std::string record;
  EncodeRoundPlanned("r", *made, &record);
  std::string staffing_suffix;
  {
    ByteWriter tail(&staffing_suffix);
    tail.Varint(0);  // no cell desks
    tail.U8(0);      // not within staff
    tail.SignedVarint(0);
    tail.SignedVarint(absl::ToInt64Seconds(made->staffing.max_in_gear));
    tail.SignedVarint(absl::ToInt64Seconds(made->staffing.rest));
    tail.SignedVarint(absl::ToInt64Seconds(made->staffing.gear_change));
    tail.Varint(0);  // no availability
  }
  ASSERT_TRUE(absl::EndsWith(record, staffing_suffix));
  const std::string before_staffing = record.substr(0, record.size() - staffing_suffix.size());
  std::string optimal_suffix;
  {
    ByteWriter tail(&optimal_suffix);
    tail.SignedVarint(made->waves_optimum);
    tail.Double(made->flow_walking_m);
    tail.SignedVarint(made->scattered_buildings);
  }
  ASSERT_TRUE(absl::EndsWith(before_staffing, optimal_suffix));
  absl::StatusOr<RoundPlanned> middle = DecodeRoundPlanned(before_staffing);
  ASSERT_TRUE(middle.ok()) << middle.status();
  EXPECT_EQ(middle->plan.waves_optimum, made->waves_optimum);
  EXPECT_TRUE(middle->plan.cell_desks.empty());
  EXPECT_FALSE(middle->plan.within_staff);
  absl::StatusOr<RoundPlanned> old = DecodeRoundPlanned(
      absl::string_view(before_staffing).substr(0, before_staffing.size() - optimal_suffix.size()));
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->plan.waves_optimum, 0);
  EXPECT_EQ(old->plan.flow_walking_m, 0);
  EXPECT_EQ(old->plan.resident_cell, made->resident_cell);
  // Part of the new fields is refused, and so is anything after them.
  EXPECT_FALSE(DecodeRoundPlanned(absl::string_view(record).substr(0, record.size() - 2)).ok());
  EXPECT_FALSE(
      DecodeRoundPlanned(absl::string_view(before_staffing).substr(0, before_staffing.size() - 2))
          .ok());
  EXPECT_FALSE(DecodeRoundPlanned(record + "x").ok());
}

// A plan made within the staff on hand keeps its desks per cell, its gear
// rules and its staff's availability (unbounded ends included) through the
// journal; values out of range are refused.
TEST(RecordsTest, StaffedPlansRoundTrip) {
  const Community community = TestCommunity();
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = absl::FromUnixSeconds(1795762800);
  const RoundLayout layout({&community});
  absl::StatusOr<plan::Plan> made = plan::FlowPlanner().MakePlan(layout, config, {});
  ASSERT_TRUE(made.ok()) << made.status();
  made->cell_desks.assign(made->cell_count(), 1);
  made->cell_desks[0] = 0;
  made->within_staff = true;
  made->waves_with_every_desk = made->waves_used;
  made->staffing = {absl::Hours(1), absl::Minutes(45), absl::Minutes(10)};
  made->availability = {{absl::InfinitePast(), absl::InfiniteFuture()},
                        {config.start + absl::Hours(2), config.start + absl::Hours(9)},
                        {absl::InfinitePast(), config.start + absl::Hours(4)}};
  std::string record;
  EncodeRoundPlanned("r", *made, &record);
  absl::StatusOr<RoundPlanned> decoded = DecodeRoundPlanned(record);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const plan::Plan& p = decoded->plan;
  EXPECT_EQ(p.cell_desks, made->cell_desks);
  EXPECT_TRUE(p.within_staff);
  EXPECT_EQ(p.waves_with_every_desk, made->waves_with_every_desk);
  EXPECT_EQ(p.staffing.max_in_gear, absl::Hours(1));
  EXPECT_EQ(p.staffing.rest, absl::Minutes(45));
  EXPECT_EQ(p.staffing.gear_change, absl::Minutes(10));
  ASSERT_EQ(p.availability.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.availability[i].from, made->availability[i].from) << i;
    EXPECT_EQ(p.availability[i].until, made->availability[i].until) << i;
  }

  plan::Plan too_many_desks = *made;
  too_many_desks.cell_desks[1] = kMaxDesksPerSite + 1;
  record.clear();
  EncodeRoundPlanned("r", too_many_desks, &record);
  EXPECT_FALSE(DecodeRoundPlanned(record).ok());
  plan::Plan wrong_cells = *made;
  wrong_cells.cell_desks.pop_back();
  record.clear();
  EncodeRoundPlanned("r", wrong_cells, &record);
  EXPECT_FALSE(DecodeRoundPlanned(record).ok());
  plan::Plan negative_rest = *made;
  negative_rest.staffing.rest = absl::Minutes(-5);
  record.clear();
  EncodeRoundPlanned("r", negative_rest, &record);
  EXPECT_FALSE(DecodeRoundPlanned(record).ok());
}

// Every prefix of every kind of record is refused with a message, never a
// crash or an out-of-range read (ASan checks the latter). One prefix is a
// whole record: RoundCreated without its last field (door-to-door teams,
// one byte here) is the record as written before the field existed.
TEST(RecordsTest, EveryTruncationIsRefused) {
  const Community community = TestCommunity();
  std::vector<std::string> records(8);
  EncodeCommunity(community, &records[0]);
  EncodeRoundCreated({RoundConfig{.id = "r", .community_ids = {"tc"},
                                  .start = absl::FromUnixSeconds(1795762800)},
                      absl::Now()},
                     &records[1]);
  EncodeTubeEvent(RecordType::kTubeRacked, {"r", 1, 2, "TB-1"}, &records[2]);
  EncodeCheckIn({0, 1, 2, 3, 1795762801, 4}, &records[3]);
  EncodeVisit({0, visits::Visit{1, 2, visits::VisitOutcome::kRefused, 1795762801, "no", 5}},
              &records[4]);
  EncodeBox({0, custody::Box{.barcode = "BOX-1", .desk = 1, .tubes = {2, 3},
                             .oldest_swab_unix_seconds = 1795762801,
                             .state = custody::BoxState::kReceived,
                             .packed = {"t", 1}, .picked_up = {"c", 2}, .received = {"l", 3},
                             .lab_id = "lab-1", .missing = {3}, .unexpected = {"TB-9"}}},
            &records[5]);
  lab::Report report;
  report.ct = 30;
  report.lab_id = "lab-1";
  EncodeResult({0, report}, &records[6]);
  EncodeFollowUp({0, lab::Retest{1, lab::FollowUpReason::kRecall, "RT-0001", 2, 3, 4}},
                 &records[7]);
  for (const std::string& record : records) {
    for (size_t cut = 0; cut < record.size(); ++cut) {
      const absl::string_view prefix = absl::string_view(record).substr(0, cut);
      absl::Status status;
      const auto type = static_cast<RecordType>(record[0]);
      switch (type) {
        case RecordType::kCommunityImported: status = DecodeCommunity(prefix).status(); break;
        case RecordType::kRoundCreated: status = DecodeRoundCreated(prefix).status(); break;
        case RecordType::kTubeRacked: status = DecodeTubeEvent(prefix).status(); break;
        case RecordType::kVisit: status = DecodeVisit(prefix).status(); break;
        case RecordType::kBoxReceived: status = DecodeBox(prefix).status(); break;
        case RecordType::kTubeResult: status = DecodeResult(prefix).status(); break;
        case RecordType::kFollowUp: status = DecodeFollowUp(prefix).status(); break;
        default: status = DecodeCheckIn(prefix).status(); break;
      }
      if (type == RecordType::kRoundCreated && cut + 1 == record.size()) {
        EXPECT_TRUE(status.ok()) << "the record before door-to-door teams: " << status;
        continue;
      }
      // The community's last fields are its time zone (a length byte and
      // the name), its roster version (one byte for version 1) and the
      // walk-ins it took in (a zero count): without them, the record as
      // written before zones, or before versions.
      if (type == RecordType::kCommunityImported &&
          (cut + 2 == record.size() || cut + 3 + community.time_zone.size() == record.size())) {
        EXPECT_TRUE(status.ok()) << "the record before time zones or versions: " << status;
        continue;
      }
      EXPECT_FALSE(status.ok()) << RecordTypeName(type) << " " << cut;
    }
  }
  EXPECT_FALSE(TypeOf("").ok());
  EXPECT_FALSE(TypeOf("\x63").ok());
}

// Found by journal_record_fuzzer: a 22-byte RoundPlanned record announcing
// two billion cell capacities made the decoder reserve 8 GB. A count larger
// than the bytes left is refused before anything is allocated.
TEST(RecordsTest, ACountLargerThanTheRecordIsRefusedBeforeAllocating) {
  const std::string record("\003\000\003\010\000\001V\363\000\253\006\260\004\260\253\311\260"
                           "\004&\011\000\000",
                           22);
  const absl::StatusOr<RoundPlanned> decoded = DecodeRoundPlanned(record);
  EXPECT_FALSE(decoded.ok());
  EXPECT_THAT(std::string(decoded.status().message()), ::testing::HasSubstr("RoundPlanned"));
}

}  // namespace
}  // namespace swabwave::engine::journal
