// swabwave-replay's tablet fleet against a real server: the work comes from
// the server (everyone due at a site, spread over the site's desks), every
// desk streams at once, and each resident due at a site is sampled exactly
// once; only the door-to-door residents remain. Then the door-to-door
// teams (door_teams.h) until everyone is accounted for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "services/replay/day_trace.h"
#include "services/replay/door_teams.h"
#include "services/replay/journal_export.h"
#include "services/replay/lab_day.h"
#include "services/replay/pooling_figures.h"
#include "services/replay/report_json.h"
#include "services/replay/tablet_fleet.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::CommunitySpec;

using ReplayTest = testing::ServerTest;

// 72 residents (6 buildings), every 9th door-to-door: 64 due at two sites of
// two desks each, 5 swabs a tube.
const CommunitySpec kSpec{.buildings = 6, .mobility_limited_every = 9};

TEST_F(ReplayTest, WorkFromServerDealsEveryoneDueAtASiteToItsDesks) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  std::set<std::string> desks, codes;
  size_t total = 0;
  for (const DeskWork& desk : *work) {
    desks.insert(desk.desk);
    total += desk.scans.size();
    for (const Scan& scan : desk.scans) codes.insert(scan.code);
  }
  EXPECT_EQ(desks, (std::set<std::string>{"sites/tc-s0/desks/1", "sites/tc-s0/desks/2",
                                          "sites/tc-s1/desks/1", "sites/tc-s1/desks/2"}));
  EXPECT_EQ(total, 64u);
  EXPECT_EQ(codes.size(), 64u);  // nobody dealt twice
  for (int n = 9; n <= 72; n += 9) EXPECT_FALSE(codes.contains(testing::Code("tc", n))) << n;
}

TEST_F(ReplayTest, FleetSamplesEveryoneDueAtSitesExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  FleetOptions options;
  options.round = "rounds/r";
  options.batch = 4;   // several messages per desk
  options.window = 8;  // and several in flight
  options.timeout = absl::Seconds(30);
  absl::StatusOr<FleetReport> report = RunFleet(*client_, *work, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->desks, 4);
  EXPECT_EQ(report->sent, 64);
  EXPECT_EQ(report->sampled, 64);
  EXPECT_EQ(report->replayed, 0);
  EXPECT_EQ(report->already_sampled, 0);
  EXPECT_EQ(report->errors, 0);
  EXPECT_EQ(report->stream_failures, 0);

  const v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_SITE);
  EXPECT_EQ(progress.total().sampled(), 64);
  EXPECT_EQ(progress.total().remaining(), progress.total().door_to_door());
  EXPECT_EQ(progress.total().door_to_door(), 8);
  // Every tube was sealed: full ones by their last swab, the rest by hand.
  EXPECT_EQ(progress.tubes_sealed(), report->tubes_racked);

  // Playing the day again finds nobody left to sample at a site.
  absl::StatusOr<std::vector<DeskWork>> again = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(again.ok()) << again.status();
  size_t left = 0;
  for (const DeskWork& desk : *again) left += desk.scans.size();
  EXPECT_EQ(left, 0u);
}

// The capacity team's path: a generated day with tablet misbehaviour (retries
// with the same request id, double scans at another desk, a desk offline
// and uploading late with its real scan times), replayed paced against a
// real server, then verified: everyone in the trace sampled exactly once,
// every other answer a replay or ALREADY_EXISTS, tubes within their ratio.
TEST_F(ReplayTest, AGeneratedDayWithMisbehaviourReplaysToTheExpectedEndState) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  DayOptions day;
  day.misbehave = true;
  day.no_show = 0.1;
  day.retry = 0.2;  // plenty of each, even in a small day
  day.double_scan = 0.2;
  absl::StatusOr<std::vector<TraceRow>> rows = GenerateDay(*client_, "rounds/r", day);
  ASSERT_TRUE(rows.ok()) << rows.status();

  // Through the CSV file, as the tool does.
  const std::string path = ::testing::TempDir() + "/day.csv";
  ASSERT_TRUE(WriteTrace(path, *rows).ok());
  absl::StatusOr<std::vector<TraceRow>> read = ReadTrace(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), rows->size());

  std::set<std::string> request_ids, residents;
  size_t retries = 0, held = 0;
  for (const TraceRow& row : *read) {
    if (!request_ids.insert(row.request_id).second) ++retries;
    residents.insert(row.code);
    if (row.scanned_at < row.send_at) ++held;
  }
  EXPECT_GT(retries, 0u);
  EXPECT_GT(read->size() - retries, residents.size()) << "no double scans";
  EXPECT_GT(held, 0u) << "no offline batch";
  EXPECT_LT(residents.size(), 64u) << "no no-shows";

  const std::vector<DeskWork> work = DeskWorkOf(*read);
  FleetOptions options;
  options.round = "rounds/r";
  options.batch = 4;
  options.window = 8;
  options.timeout = absl::Seconds(60);
  // The day's waves (up to some hours) in about a second.
  absl::Duration last = absl::ZeroDuration();
  for (const TraceRow& row : *read) last = std::max(last, row.send_at);
  options.speed = std::max(1.0, absl::ToDoubleSeconds(last));
  absl::StatusOr<FleetReport> report = RunFleet(*client_, work, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->errors, 0);
  EXPECT_GT(report->replayed, 0);
  EXPECT_GT(report->already_sampled, 0);

  const int64_t after = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled();
  const DayCheck check = VerifyDay(work, *report, 5, 0, after);
  EXPECT_TRUE(check.mismatches.empty()) << check.mismatches.front();
  EXPECT_EQ(check.residents, static_cast<int64_t>(residents.size()));
  EXPECT_EQ(check.sampled_once, check.residents);
  EXPECT_EQ(after, check.residents);
}

// Households that arrive together (issue 17): one generated day, every
// household at one desk one after another under one group label, played
// onto two identical rounds — with the groups, and in plain scan order.
// With the groups no household of three is split over tubes (pools of 5),
// at the cost of tubes sealed early; in plain order some are split, and
// the same simulated infections recall more people per positive resident.
TEST_F(ReplayTest, HouseholdsArrivingTogetherShareTubesAndAreComparedWithPlainScanOrder) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "together", 5));
  ASSERT_TRUE(CreateRound("plain", "tc", 5).ok());
  ASSERT_TRUE(Plan("plain").ok());
  ASSERT_TRUE(Open("plain").ok());
  DayOptions day;
  day.no_show = 0;
  day.households_together = true;
  absl::StatusOr<std::vector<TraceRow>> rows = GenerateDay(*client_, "rounds/together", day);
  ASSERT_TRUE(rows.ok()) << rows.status();
  const std::string path = ::testing::TempDir() + "/households.csv";
  ASSERT_TRUE(WriteTrace(path, *rows).ok());
  absl::StatusOr<std::vector<TraceRow>> read = ReadTrace(path);
  ASSERT_TRUE(read.ok()) << read.status();
  // Every household's members come one after another, at one desk.
  std::map<std::string, std::set<std::string>> desks_of_group;
  std::set<std::string> groups_seen;
  for (size_t i = 0; i < read->size(); ++i) {
    const TraceRow& row = (*read)[i];
    ASSERT_FALSE(row.group.empty());
    desks_of_group[row.group].insert(row.desk);
    if (i > 0 && (*read)[i - 1].group != row.group) {
      EXPECT_TRUE(groups_seen.insert((*read)[i - 1].group).second) << "household interleaved";
    }
  }
  // 24 households of 3; in 8 of them one member is visited at home.
  EXPECT_EQ(desks_of_group.size(), 24u);
  for (const auto& [group, desks] : desks_of_group) EXPECT_EQ(desks.size(), 1u) << group;

  const std::vector<DeskWork> work = DeskWorkOf(*read);
  InfectionModel model;
  model.household_prevalence = 0.05;
  const auto play = [&](const std::string& round, bool send_groups) -> PoolingFigures {
    FleetOptions options;
    options.round = round;
    options.batch = 4;  // a household never straddles two messages
    options.window = 8;
    options.timeout = absl::Seconds(60);
    options.send_groups = send_groups;
    absl::StatusOr<FleetReport> report = RunFleet(*client_, work, options);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return {};
    EXPECT_EQ(report->errors, 0) << report->first_error;
    EXPECT_EQ(report->sampled, 64);
    const DayCheck check = VerifyDay(work, *report, 5, 0, 64);
    EXPECT_TRUE(check.mismatches.empty()) << check.mismatches.front();
    const PoolingFigures figures = MeasurePooling(work, *report, 5, model);
    // Every tube used was sealed: full, early, or the desk's last by hand.
    EXPECT_EQ(Progress(round.substr(7), v1::PROGRESS_LEVEL_SITE).tubes_sealed(), figures.tubes);
    return figures;
  };
  const PoolingFigures together = play("rounds/together", true);
  const PoolingFigures plain = play("rounds/plain", false);
  EXPECT_EQ(together.residents, 64);
  EXPECT_EQ(plain.residents, 64);
  EXPECT_EQ(together.households, plain.households);
  EXPECT_EQ(together.households_split, 0);
  EXPECT_GT(plain.households_split, 0);
  EXPECT_GE(together.tubes, plain.tubes);
  EXPECT_LT(together.households_per_tube, plain.households_per_tube);
  // The same infections (same seed, same households) in both.
  EXPECT_EQ(together.positives, plain.positives);
  EXPECT_GT(together.positives, 0);
  EXPECT_LT(together.positive_tubes, plain.positive_tubes);
  EXPECT_LT(together.recalled_per_positive(), plain.recalled_per_positive());
}

// A real past day: the check-ins a journaled server took, exported from
// its journal directory while it runs, in scan order at their desks; the
// export replays onto a fresh round to the same end state.
TEST_F(ReplayTest, AJournalExportsTheDayItTookAndTheExportReplays) {
  const std::string dir = ::testing::TempDir() + "/export-journal";
  std::filesystem::remove_all(dir);
  server_->Shutdown(absl::ZeroDuration());
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartServer(
      ServerOptions{.listen = "127.0.0.1:0", .http_listen = "127.0.0.1:0", .data_dir = dir}));
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  // A quarter of the day, a snapshot, another quarter: the export reads
  // the snapshot and the segments after it.
  std::vector<DeskWork> morning = *work, noon = *work;
  for (size_t d = 0; d < work->size(); ++d) {
    const size_t quarter = (*work)[d].scans.size() / 4;
    morning[d].scans.assign((*work)[d].scans.begin(), (*work)[d].scans.begin() + quarter);
    noon[d].scans.assign((*work)[d].scans.begin() + quarter,
                         (*work)[d].scans.begin() + 2 * quarter);
  }
  FleetOptions options;
  options.round = "rounds/r";
  options.timeout = absl::Seconds(30);
  ASSERT_TRUE(RunFleet(*client_, morning, options).ok());
  ASSERT_TRUE(server_->Snapshot().ok());
  options.tube_series = 1;
  ASSERT_TRUE(RunFleet(*client_, noon, options).ok());
  std::map<std::string, std::string> desk_of_code;
  for (const std::vector<DeskWork>* part : {&morning, &noon}) {
    for (const DeskWork& desk : *part) {
      for (const Scan& scan : desk.scans) desk_of_code[scan.code] = desk.desk;
    }
  }

  absl::StatusOr<std::vector<TraceRow>> rows = ExportDay(dir, "r");
  ASSERT_TRUE(rows.ok()) << rows.status();
  const int64_t sampled = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled();
  ASSERT_EQ(static_cast<int64_t>(rows->size()), sampled);
  ASSERT_EQ(rows->size(), desk_of_code.size());
  std::set<std::string> request_ids;
  for (const TraceRow& row : *rows) {
    EXPECT_EQ(row.desk, desk_of_code[row.code]) << "scan " << row.request_id;
    EXPECT_EQ(row.desk.rfind("sites/" + row.site_id + "/desks/", 0), 0u) << row.desk;
    EXPECT_TRUE(request_ids.insert(row.request_id).second);
  }
  EXPECT_EQ(ExportDay(dir, "no-such-round").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ExportDay(dir + "-missing", "r").status().code(), absl::StatusCode::kNotFound);

  // The exported day, played onto a fresh round over the same community.
  ASSERT_TRUE(CreateRound("r2", "tc", 5).ok());
  ASSERT_TRUE(Plan("r2").ok());
  ASSERT_TRUE(Open("r2").ok());
  const std::vector<DeskWork> replayed = DeskWorkOf(*rows);
  options.round = "rounds/r2";
  options.tube_series = 0;
  absl::StatusOr<FleetReport> report = RunFleet(*client_, replayed, options);
  ASSERT_TRUE(report.ok()) << report.status();
  const int64_t after = Progress("r2", v1::PROGRESS_LEVEL_COMMUNITY).total().sampled();
  const DayCheck check = VerifyDay(replayed, *report, 5, 0, after);
  EXPECT_TRUE(check.mismatches.empty()) << check.mismatches.front();
  EXPECT_EQ(after, sampled);
}

// VerifyDay finds what is wrong: a resident sampled twice, one never
// answered, a tube position given twice, a server count that disagrees.
// The door-to-door teams' path: each team walks its route, samples at the
// door through its own desk's stream or records the visit, meets
// neighbours on the way; the second call covers exactly the not-home; and
// once the sites are done every due resident is sampled or accounted for.
TEST_F(ReplayTest, TeamsWalkTheirRoutesUntilEveryoneIsSampledOrAccountedFor) {
  // 96 residents in 8 buildings, every 3rd door-to-door: 32 on the routes.
  const CommunitySpec spec{.buildings = 8, .mobility_limited_every = 3};
  ASSERT_NO_FATAL_FAILURE(OpenRound(spec, "r", 5));
  FleetOptions options;
  options.round = "rounds/r";
  options.timeout = absl::Seconds(30);
  options.tube_prefix = "D1";
  TeamDayOptions day;
  day.not_home = 0.4;  // plenty of each outcome, even on a small route
  day.refused = 0.1;
  day.in_hospital = 0.1;
  day.moved_away = 0.1;
  day.neighbours = 1.0;  // a neighbour met in every building on a route

  absl::StatusOr<std::vector<TeamWork>> first = TeamWorkFromServer(*client_, "rounds/r", day);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2u);  // the round's two teams
  EXPECT_EQ(first->front().desk, "communities/tc/teams/1");
  size_t on_routes = 0;
  for (const TeamWork& team : *first) {
    on_routes += team.samples.scans.size() + team.visits.size() - team.off_route;
  }
  EXPECT_EQ(on_routes, 32u);
  absl::StatusOr<TeamReport> report = RunTeams(*client_, *first, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->check_ins.errors, 0) << report->check_ins.first_error;
  EXPECT_EQ(report->visit_errors, 0) << report->first_visit_error;
  EXPECT_GT(report->off_route, 0);
  EXPECT_GT(report->by_outcome[v1::VISIT_OUTCOME_NOT_HOME], 0);
  EXPECT_EQ(report->check_ins.sampled + report->visits, 32 + report->off_route);

  // What the server counts is what the teams did.
  v1::GetProgressResponse progress = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
  const int64_t not_home = progress.total().not_home();
  EXPECT_EQ(not_home, report->by_outcome[v1::VISIT_OUTCOME_NOT_HOME]);
  EXPECT_EQ(progress.total().refused(), report->by_outcome[v1::VISIT_OUTCOME_REFUSED]);
  EXPECT_EQ(progress.total().in_hospital(), report->by_outcome[v1::VISIT_OUTCOME_IN_HOSPITAL]);
  EXPECT_EQ(progress.total().moved_away(), report->by_outcome[v1::VISIT_OUTCOME_MOVED_AWAY]);
  const v1::GetProgressResponse teams = Progress("r", v1::PROGRESS_LEVEL_TEAM);
  ASSERT_EQ(teams.rows_size(), 2);
  int64_t at_doors = 0, off_route = 0, visits = 0;
  for (const v1::ProgressRow& row : teams.rows()) {
    at_doors += row.check_ins_here();
    off_route += row.off_plan();
    visits += row.visits_here();
  }
  EXPECT_EQ(at_doors, report->check_ins.sampled);
  EXPECT_EQ(off_route, report->off_route);
  EXPECT_EQ(visits, report->visits);

  // The second call is sent to the not-home only, and finds everyone in.
  day.call = 2;
  day.not_home = 0;
  day.neighbours = 0;
  options.tube_prefix = "D2";
  absl::StatusOr<std::vector<TeamWork>> second = TeamWorkFromServer(*client_, "rounds/r", day);
  ASSERT_TRUE(second.ok()) << second.status();
  size_t again = 0;
  for (const TeamWork& team : *second) again += team.samples.scans.size() + team.visits.size();
  EXPECT_EQ(again, static_cast<size_t>(not_home));
  report = RunTeams(*client_, *second, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->check_ins.errors + report->visit_errors, 0);

  // The sites check everyone else in: nobody is left unaccounted for.
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  options.tube_prefix = "T";
  absl::StatusOr<FleetReport> sites = RunFleet(*client_, *work, options);
  ASSERT_TRUE(sites.ok()) << sites.status();
  EXPECT_EQ(sites->errors, 0);
  progress = Progress("r", v1::PROGRESS_LEVEL_COMMUNITY);
  EXPECT_EQ(progress.total().unaccounted(), 0);
  EXPECT_EQ(progress.total().not_home(), 0);
  EXPECT_EQ(progress.total().remaining(),
            progress.total().refused() + progress.total().in_hospital());
  EXPECT_GT(progress.total().remaining(), 0);
}

using LabDayTest = testing::JournaledServerTest;

// The day after the swab, played by swabwave-replay's lab day: everything
// sealed is packed, shipped and reported; everyone recalled or resampled
// gives one follow-up swab, itself shipped and reported; one tube goes
// missing at the lab; one box stays on the table and, five hours later,
// reaches the lab past the limit, so its members are resampled too. The
// day verifies its own end state; a rerun changes nothing.
TEST_F(LabDayTest, EveryoneCalledBackIsRetestedOnceAndALateBoxIsResampled) {
  // 288 residents in 24 buildings, all due at the two sites, 5 to a tube.
  ASSERT_NO_FATAL_FAILURE(OpenRound(CommunitySpec{.buildings = 24}, "r", 5));
  absl::StatusOr<std::vector<DeskWork>> work = WorkFromServer(*client_, "rounds/r");
  ASSERT_TRUE(work.ok()) << work.status();
  FleetOptions fleet;
  fleet.round = "rounds/r";
  fleet.timeout = absl::Seconds(30);
  absl::StatusOr<FleetReport> sampled = RunFleet(*client_, *work, fleet);
  ASSERT_TRUE(sampled.ok()) << sampled.status();
  ASSERT_EQ(sampled->sampled, 288);

  LabDayOptions day;
  day.round = "rounds/r";
  day.seed = 7;
  day.box_tubes = 6;
  day.positive = 0.15;
  day.invalid = 0.05;
  day.retest_positive = 0.3;
  day.hold_boxes = 1;
  day.missing_tubes = 1;
  absl::StatusOr<LabDayReport> first = RunLabDay(*client_, day);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->errors, 0) << first->first_error;
  EXPECT_THAT(first->mismatches, ::testing::IsEmpty());
  EXPECT_EQ(first->boxes_held, 1);
  EXPECT_EQ(first->tubes_missing, 1);
  EXPECT_EQ(first->late_boxes, 0);
  EXPECT_GT(first->recalled, 0);
  EXPECT_GT(first->resampled, 0);  // invalid pools and the lost tube
  EXPECT_GT(first->cases, 0);
  EXPECT_EQ(first->retested, first->recalled + first->resampled);
  EXPECT_EQ(first->follow_ups, first->retested);
  EXPECT_GT(first->counts.result_pending(), 0) << "the held box's residents wait";
  EXPECT_EQ(first->counts.recalled() + first->counts.resample_due(), 0);

  // Five hours on (a restart with the clock moved), the courier takes the
  // held box: it arrives past 4 h, so its members are resampled.
  options_.rehearsal_clock_shift += absl::Hours(5);
  RestartServer();
  day.hold_boxes = 0;
  day.missing_tubes = 0;
  absl::StatusOr<LabDayReport> second = RunLabDay(*client_, day);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->errors, 0) << second->first_error;
  EXPECT_THAT(second->mismatches, ::testing::IsEmpty());
  // The held box, and the boxes of the follow-up swabs this run took.
  EXPECT_EQ(second->boxes_picked_up, second->boxes_packed + 1);
  EXPECT_EQ(second->late_boxes, 1);
  EXPECT_GT(second->resampled, first->resampled);
  EXPECT_EQ(second->recalled, first->recalled);
  EXPECT_EQ(second->follow_ups, second->resampled - first->resampled);
  EXPECT_EQ(second->retested, second->recalled + second->resampled);
  EXPECT_EQ(second->counts.result_pending(), 0);
  EXPECT_EQ(second->counts.box_breaches(), 1);

  // The same run again: everything answers `replayed`, nothing is new.
  absl::StatusOr<LabDayReport> again = RunLabDay(*client_, day);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->errors, 0) << again->first_error;
  EXPECT_THAT(again->mismatches, ::testing::IsEmpty());
  EXPECT_EQ(again->boxes_packed + again->boxes_picked_up + again->boxes_received, 0);
  EXPECT_EQ(again->results_recorded, 0);
  EXPECT_EQ(again->results_replayed, again->results_sent);
  EXPECT_EQ(again->follow_ups, 0);
  EXPECT_EQ(again->retested, second->retested);
}

TEST(VerifyDay, ReportsEachKindOfMismatch) {
  std::vector<DeskWork> work(1);
  work[0].desk = "sites/s/desks/1";
  work[0].scans = {Scan{.code = "A", .request_id = "1"}, Scan{.code = "A", .request_id = "2"},
                   Scan{.code = "B", .request_id = "3"}, Scan{.code = "C", .request_id = "4"}};
  FleetReport report;
  report.outcomes = {{ScanOutcome{0, false, "T1", 1}, ScanOutcome{0, false, "T1", 2},
                      ScanOutcome{0, false, "T1", 2}, ScanOutcome{}}};
  const DayCheck check = VerifyDay(work, report, 5, 0, 3);
  EXPECT_EQ(check.residents, 3);
  EXPECT_EQ(check.sampled_once, 1);  // only B
  const std::string all = absl::StrJoin(check.mismatches, "\n");
  EXPECT_NE(all.find("given to two residents"), std::string::npos) << all;
  EXPECT_NE(all.find("status -1"), std::string::npos) << all;
  EXPECT_NE(all.find("1 residents of the trace were never sampled"), std::string::npos) << all;
  EXPECT_NE(all.find("1 residents were sampled more than once"), std::string::npos) << all;
  EXPECT_EQ(all.find("the server counts"), std::string::npos) << all;

  // A clean day, but the server counts a different number.
  report.outcomes = {{ScanOutcome{0, false, "T1", 1}, ScanOutcome{6, false, "", 0},
                      ScanOutcome{0, false, "T1", 2}, ScanOutcome{0, false, "T1", 3}}};
  const DayCheck off = VerifyDay(work, report, 5, 10, 12);
  ASSERT_EQ(off.mismatches.size(), 1u);
  EXPECT_NE(off.mismatches[0].find("the server counts 2"), std::string::npos);
}

TEST(ReadTrace, RefusesARowWithItsLineNumber) {
  const std::string path = ::testing::TempDir() + "/bad.csv";
  {
    std::ofstream out(path);
    out << "offset_ms,site,desk,resident_code,request_id,scan_offset_ms\n"
        << "100,s1,sites/s1/desks/1,A,r1,100\n"
        << "200,s1,sites/s2/desks/1,B,r2,200\n";
  }
  absl::StatusOr<std::vector<TraceRow>> rows = ReadTrace(path);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find(":3:"), std::string::npos) << rows.status();
  {
    std::ofstream out(path);
    out << "100,s1,sites/s1/desks/1,A,r1,150\n";  // scanned after it was sent
  }
  EXPECT_EQ(ReadTrace(path).status().code(), absl::StatusCode::kInvalidArgument);
}

// A trace saved by a spreadsheet: a byte-order mark, CRLF line ends and
// quoted fields read as the plain file does (the engine's CSV reader).
TEST(ReadTrace, ReadsWhatASpreadsheetSaves) {
  const std::string path = ::testing::TempDir() + "/excel.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xEF\xBB\xBFoffset_ms,site,desk,resident_code,request_id,scan_offset_ms\r\n"
        << "100,s1,\"sites/s1/desks/1\",\"A,1\",r1,90\r\n"
        << "200,\"s1\",sites/s1/desks/2,B,\"r \"\"2\"\"\",\r\n";
  }
  absl::StatusOr<std::vector<TraceRow>> rows = ReadTrace(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].send_at, absl::Milliseconds(100));
  EXPECT_EQ((*rows)[0].scanned_at, absl::Milliseconds(90));
  EXPECT_EQ((*rows)[0].code, "A,1");
  EXPECT_EQ((*rows)[1].site_id, "s1");
  EXPECT_EQ((*rows)[1].desk, "sites/s1/desks/2");
  EXPECT_EQ((*rows)[1].request_id, "r \"2\"");
  EXPECT_EQ((*rows)[1].scanned_at, absl::Milliseconds(200));  // left empty: when sent
}

// The same seed draws the same day (the engine's generator, the same with
// any standard library), and another seed another.
TEST_F(ReplayTest, TheSameSeedGeneratesTheSameDay) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "r", 5));
  DayOptions day;
  day.misbehave = true;
  day.seed = 7;
  absl::StatusOr<std::vector<TraceRow>> first = GenerateDay(*client_, "rounds/r", day);
  absl::StatusOr<std::vector<TraceRow>> again = GenerateDay(*client_, "rounds/r", day);
  day.seed = 8;
  absl::StatusOr<std::vector<TraceRow>> other = GenerateDay(*client_, "rounds/r", day);
  ASSERT_TRUE(first.ok() && again.ok() && other.ok());
  const auto text = [](const std::vector<TraceRow>& rows) {
    std::string out;
    for (const TraceRow& r : rows) {
      absl::StrAppend(&out, absl::ToInt64Milliseconds(r.send_at), ",", r.desk, ",", r.code, ",",
                      r.request_id, ",", absl::ToInt64Milliseconds(r.scanned_at), "\n");
    }
    return out;
  };
  EXPECT_EQ(text(*first), text(*again));
  EXPECT_NE(text(*first), text(*other));
}

// Issue 26: the report is written by a JSON library, so whatever a
// mismatch line quotes parses back as it was.
TEST(DayReportJson, ParsesBackWithEveryField) {
  FleetReport report;
  report.desks = 4;
  report.sent = 70;
  report.sampled = 60;
  report.replayed = 6;
  report.already_sampled = 4;
  report.by_code[0] = 66;
  report.by_code[6] = 4;
  report.elapsed = absl::Milliseconds(1500);
  report.latency.Record(absl::Milliseconds(2));
  DayCheck check;
  check.residents = 60;
  check.sampled_once = 59;
  check.mismatches = {"resident \"A,1\"\tsampled twice\n", "bad byte \xff here"};
  const std::string path = ::testing::TempDir() + "/report.json";
  ASSERT_TRUE(WriteReportJson(path, DayReportJson(report, check)).ok());
  std::ifstream in(path);
  const nlohmann::json parsed = nlohmann::json::parse(in);
  EXPECT_EQ(parsed["desks"], 4);
  EXPECT_EQ(parsed["sent"], 70);
  EXPECT_EQ(parsed["replayed"], 6);
  EXPECT_EQ(parsed["by_code"]["0"], 66);
  EXPECT_EQ(parsed["by_code"]["6"], 4);
  EXPECT_FALSE(parsed["by_code"].contains("5"));
  EXPECT_NEAR(parsed["check_ins_per_second"].get<double>(), 70 / 1.5, 1e-6);
  EXPECT_GT(parsed["latency_ms"]["p50"].get<double>(), 1.0);
  EXPECT_EQ(parsed["sampled_once"], 59);
  ASSERT_EQ(parsed["mismatches"].size(), 2u);
  EXPECT_EQ(parsed["mismatches"][0], "resident \"A,1\"\tsampled twice\n");
  EXPECT_EQ(parsed["mismatches"][1], "bad byte \ufffd here");
}

// The teams' call and the lab day as scripts read them (scripts/demo).
TEST(DayReportJson, TeamsAndTheLabDayToo) {
  TeamReport teams;
  teams.check_ins.sent = 5;
  teams.check_ins.errors = 1;
  teams.visit_errors = 2;
  teams.by_outcome[v1::VISIT_OUTCOME_NOT_HOME] = 3;
  const nlohmann::json call = nlohmann::json::parse(TeamReportJson(teams, 6, 2).dump());
  EXPECT_EQ(call["teams"], 6);
  EXPECT_EQ(call["call"], 2);
  EXPECT_EQ(call["at_the_door"]["sent"], 5);
  EXPECT_EQ(call["at_the_door"]["errors"], 1);
  EXPECT_EQ(call["visit_errors"], 2);
  EXPECT_EQ(call["by_outcome"]["not_home"], 3);
  LabDayReport lab;
  lab.recalled = 30;
  lab.resampled = 7;
  lab.retested = 37;
  lab.cases = 4;
  lab.mismatches = {"one"};
  const nlohmann::json day = nlohmann::json::parse(LabDayReportJson(lab).dump());
  EXPECT_EQ(day["recalled"], 30);
  EXPECT_EQ(day["resampled"], 7);
  EXPECT_EQ(day["retested"], 37);
  EXPECT_EQ(day["cases"], 4);
  EXPECT_EQ(day["mismatches"][0], "one");
}

// Issue 26: a trace played twice, onto two identical rounds, checks the
// same residents in at the same desks in the same order, with the same
// answers, tubes and positions. (Double scans at two desks are left out:
// which desk wins that race is the server's to decide, not the trace's.)
TEST_F(ReplayTest, TheSameTraceAndSeedReplayTheSameCheckInSequence) {
  ASSERT_NO_FATAL_FAILURE(OpenRound(kSpec, "first", 5));
  ASSERT_TRUE(CreateRound("second", "tc", 5).ok());
  ASSERT_TRUE(Plan("second").ok());
  ASSERT_TRUE(Open("second").ok());
  DayOptions day;
  day.misbehave = true;
  day.no_show = 0.1;
  day.retry = 0.2;
  day.double_scan = 0;
  day.seed = 11;
  absl::StatusOr<std::vector<TraceRow>> rows = GenerateDay(*client_, "rounds/first", day);
  ASSERT_TRUE(rows.ok()) << rows.status();
  const std::string path = ::testing::TempDir() + "/same-day.csv";
  ASSERT_TRUE(WriteTrace(path, *rows).ok());
  absl::StatusOr<std::vector<TraceRow>> read = ReadTrace(path);
  ASSERT_TRUE(read.ok()) << read.status();
  const std::vector<DeskWork> work = DeskWorkOf(*read);

  // Each desk's check-ins in the order sent, with what the server answered;
  // tube barcodes without the round id they carry.
  const auto play = [&](const std::string& round) -> std::string {
    FleetOptions options;
    options.round = "rounds/" + round;
    options.batch = 3;
    options.window = 6;
    options.timeout = absl::Seconds(60);
    options.speed = 1e6;
    absl::StatusOr<FleetReport> report = RunFleet(*client_, work, options);
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return "";
    EXPECT_EQ(report->errors, 0);
    std::string sequence;
    for (size_t d = 0; d < work.size(); ++d) {
      for (size_t i = 0; i < work[d].scans.size(); ++i) {
        const ScanOutcome& outcome = report->outcomes[d][i];
        std::string tube = outcome.tube_barcode;
        if (const size_t at = tube.find(round); at != std::string::npos) tube.erase(at, round.size());
        absl::StrAppend(&sequence, work[d].desk, " ", work[d].scans[i].code, " ",
                        work[d].scans[i].request_id, " -> ", outcome.code,
                        outcome.replayed ? " replayed " : " ", tube, "#", outcome.position, "\n");
      }
    }
    return sequence;
  };
  const std::string first = play("first");
  const std::string second = play("second");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  EXPECT_NE(first.find(" replayed "), std::string::npos) << "the trace has no retries";
}

}  // namespace
}  // namespace swabwave::services
