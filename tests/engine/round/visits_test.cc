// Door-to-door teams at the round: their desks, and the visits that did
// not sample (engine/round/visits.cc, engine/visits/visit_book.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "engine/journal/records.h"
#include "engine/plan/door_to_door.h"
#include "engine/plan/greedy_planner.h"
#include "engine/registry/registry.h"
#include "engine/round/round.h"
#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::ResidentCode;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;
using visits::Visit;
using visits::VisitOutcome;

const absl::Time kStart = absl::FromUnixSeconds(1795762800);
const int64_t kAt = 1795762800 + 600;

// "tc" (residents 1-24, every 5th mobility-limited: 5, 10, 15, 20; every
// 7th exempt: 7, 14, 21; one site of two desks) and "td"; round "r" with
// three teams per community.
class TeamsTest : public ::testing::Test {
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
    config.door_to_door_teams = 3;
    absl::StatusOr<Round*> round = registry_.CreateRound(config);
    ASSERT_TRUE(round.ok()) << round.status();
    round_ = *round;
    ASSERT_TRUE(round_->MakePlan(plan::GreedyPlanner(), {}).ok());
    ASSERT_TRUE(round_->Open().ok());
  }

  uint32_t Resident(int n) { return round_->FindResident(ResidentCode("tc", n)).value(); }
  Visit NotHome(int n, DeskIndex team, uint64_t request) {
    return Visit{Resident(n), team, VisitOutcome::kNotHome, kAt, "", request};
  }

  Registry registry_;
  Round* round_ = nullptr;
};

TEST_F(TeamsTest, TeamsAreDesksAfterEverySitesAndNamedByTheirCommunity) {
  const uint32_t site_desks = round_->layout().desk_count();
  EXPECT_EQ(round_->desk_total(), site_desks + 2 * 3);
  EXPECT_EQ(round_->ResolveTeam("tc", 1).value(), site_desks);
  EXPECT_EQ(round_->ResolveTeam("td", 3).value(), site_desks + 5);
  EXPECT_EQ(round_->DeskName(site_desks + 4), "communities/td/teams/2");
  EXPECT_FALSE(round_->TeamOf(0).has_value());
  EXPECT_EQ(round_->TeamOf(site_desks + 4)->community, 1u);
  EXPECT_EQ(round_->TeamOf(site_desks + 4)->number, 2);
  EXPECT_THAT(round_->ResolveTeam("tc", 4).status().message(),
              HasSubstr("has door-to-door teams 1..3 in community 'tc'; there is no team 4"));
  EXPECT_EQ(round_->ResolveTeam("tc", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(round_->ResolveTeam("nope", 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TeamsTest, ATeamRacksTubesAndSamplesAtTheDoorLikeADesk) {
  const DeskIndex team = round_->ResolveTeam("tc", 2).value();
  ASSERT_TRUE(round_->RackTube(team, "TEAM-1").ok());
  const core::CheckInResult r =
      round_->CheckIn(team, ResidentCode("tc", 5), kAt, core::RequestFingerprint("v1"));
  ASSERT_EQ(r.verdict, core::CheckInVerdict::kSampled);
  EXPECT_EQ(r.desk, team);
  EXPECT_EQ(round_->live()->door_to_door_sampled(), 1u);
  // The site's counts are the site's desks' only; the total has the team's.
  EXPECT_EQ(round_->CheckInsPerSite()[0], 0u);
  EXPECT_EQ(round_->live()->TotalCheckIns(), 1u);
  EXPECT_EQ(round_->Totals()->sampled, 1);
  // A resident sampled at the door cannot be sampled again at a desk.
  ASSERT_TRUE(round_->RackTube(0, "DESK-1").ok());
  const core::CheckInResult again =
      round_->CheckIn(0, ResidentCode("tc", 5), kAt + 60, core::RequestFingerprint("d1"));
  EXPECT_EQ(again.verdict, core::CheckInVerdict::kAlreadySampled);
  EXPECT_EQ(round_->DeskName(again.desk), "communities/tc/teams/2");
}

TEST_F(TeamsTest, TheLatestVisitCountsAndAnySwabOutranksIt) {
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  ASSERT_TRUE(round_->RecordVisit(NotHome(10, team, 1)).ok());
  ASSERT_TRUE(round_->RecordVisit(NotHome(15, team, 2)).ok());
  ASSERT_TRUE(round_->RecordVisit(
                        {Resident(20), team, VisitOutcome::kInHospital, kAt, "ward 3", 3})
                  .ok());
  visits::VisitCounts counts = round_->VisitTotals().value();
  EXPECT_EQ(counts.not_home, 2);
  EXPECT_EQ(counts.in_hospital, 1);
  EXPECT_EQ(counts.visits, 3);

  // The second visit finds 10 refusing: the latest counts.
  ASSERT_TRUE(round_->RecordVisit(
                        {Resident(10), team, VisitOutcome::kRefused, kAt + 3600, "said no", 4})
                  .ok());
  EXPECT_EQ(round_->VisitsOf(Resident(10))->count, 2u);
  EXPECT_EQ(round_->VisitsOf(Resident(10))->last, VisitOutcome::kRefused);
  // 15 came to the site after all: the swab outranks the visit.
  ASSERT_TRUE(round_->RackTube(0, "DESK-1").ok());
  ASSERT_EQ(round_->CheckIn(0, ResidentCode("tc", 15), kAt + 60, 99).verdict,
            core::CheckInVerdict::kSampled);
  counts = round_->VisitTotals().value();
  EXPECT_EQ(counts.not_home, 0);
  EXPECT_EQ(counts.refused, 1);
  EXPECT_EQ(counts.in_hospital, 1);
  EXPECT_EQ(counts.visits, 4);
  EXPECT_FALSE(round_->VisitsOf(Resident(1)).has_value());
}

// Progress tells the untested apart: moved away is off the due count and
// the list; not home, refused and in hospital stay due, counted, and the
// untested list says who was visited and what the team found.
TEST_F(TeamsTest, ProgressCountsEveryOutcomeAndTheListSaysWhoWasVisited) {
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  const ProgressCounts before = round_->Totals().value();
  ASSERT_TRUE(round_->RecordVisit(NotHome(5, team, 1)).ok());
  ASSERT_TRUE(round_->RecordVisit(
                        {Resident(10), team, VisitOutcome::kMovedAway, kAt, "moved out", 2})
                  .ok());
  ASSERT_TRUE(round_->RecordVisit({Resident(15), team, VisitOutcome::kRefused, kAt, "no", 3}).ok());
  const ProgressCounts after = round_->Totals().value();
  EXPECT_EQ(after.due, before.due - 1);
  EXPECT_EQ(after.remaining, before.remaining - 1);
  EXPECT_EQ(after.moved_away, 1);
  EXPECT_EQ(after.not_home, 1);
  EXPECT_EQ(after.refused, 1);
  EXPECT_EQ(after.unaccounted(), before.remaining - 3);
  // An exempt resident found moved away was never due: nothing changes.
  ASSERT_TRUE(round_->RecordVisit(
                        {Resident(7), team, VisitOutcome::kMovedAway, kAt, "moved out", 4})
                  .ok());
  EXPECT_EQ(round_->Totals()->due, after.due);
  EXPECT_EQ(round_->Totals()->moved_away, 1);

  // Per building, the same totals (the scan and the counters agree).
  absl::StatusOr<ProgressReport> buildings = round_->Progress(ProgressLevel::kBuilding, 0, 100);
  ASSERT_TRUE(buildings.ok());
  ProgressCounts summed;
  for (const ProgressRow& row : buildings->rows) summed += row.counts;
  EXPECT_EQ(summed.due, after.due);
  EXPECT_EQ(summed.remaining, after.remaining);
  EXPECT_EQ(summed.moved_away, 1);
  EXPECT_EQ(summed.not_home, 1);
  EXPECT_EQ(summed.refused, 1);
  EXPECT_EQ(buildings->total.due, after.due);

  absl::StatusOr<std::vector<UntestedResident>> untested =
      round_->ListUntested({.community = 0u}, kNoId, 100);
  ASSERT_TRUE(untested.ok());
  bool saw_5 = false, saw_15 = false;
  for (const UntestedResident& u : *untested) {
    EXPECT_NE(u.resident, Resident(10)) << "moved away is not due";
    if (u.resident == Resident(5)) {
      saw_5 = true;
      EXPECT_EQ(u.visits, 1u);
      EXPECT_EQ(u.last_visit, static_cast<uint8_t>(VisitOutcome::kNotHome));
    }
    if (u.resident == Resident(15)) {
      saw_15 = true;
      EXPECT_EQ(u.last_visit, static_cast<uint8_t>(VisitOutcome::kRefused));
    }
    if (u.resident == Resident(20)) {
      EXPECT_EQ(u.visits, 0u) << "not yet visited";
    }
  }
  EXPECT_TRUE(saw_5 && saw_15);
}

// The next routes: whoever was sampled or accounted for drops out, the
// not-home stay, and the routes leave when asked.
// The plan is advice, not a gate: whoever turns up is sampled, and each
// check-in somewhere the plan did not put its resident is counted where it
// happened — a walk-in at a site, a neighbour met on a team's way.
TEST_F(TeamsTest, CheckInsWhereThePlanDidNotPutTheResidentAreCountedWhereTheyHappened) {
  // Residents 1 and 2 share a household, so a site: the plan's; the
  // other site is where 2 walks in.
  const std::shared_ptr<const plan::Plan> plan = round_->plan();
  const uint32_t tc_site = plan->site_of_cell(plan->resident_cell[Resident(1)]);
  ASSERT_EQ(plan->site_of_cell(plan->resident_cell[Resident(2)]), tc_site);
  const uint32_t td_site = 1 - tc_site;
  const DeskIndex tc_desk = round_->layout().first_desk(tc_site);
  const DeskIndex td_desk = round_->layout().first_desk(td_site);
  const DeskIndex team = round_->ResolveTeam("tc", 2).value();
  ASSERT_TRUE(round_->RackTube(tc_desk, "TC-1").ok());
  ASSERT_TRUE(round_->RackTube(td_desk, "TD-1").ok());
  ASSERT_TRUE(round_->RackTube(team, "TEAM-1").ok());
  auto sample = [&](DeskIndex desk, int n, uint64_t request) {
    ASSERT_EQ(round_->CheckIn(desk, ResidentCode("tc", n), kAt, request).verdict,
              core::CheckInVerdict::kSampled)
        << n;
  };
  sample(tc_desk, 1, 1);   // where planned
  sample(tc_desk, 5, 2);   // door-to-door, came to the site: off plan
  sample(tc_desk, 7, 3);   // exempt, came anyway: off plan
  sample(td_desk, 2, 4);   // walked into the other site: off plan there
  sample(team, 10, 5);     // door-to-door, at the door: on route
  sample(team, 3, 6);      // a neighbour met on the way: off route
  sample(team, 14, 7);     // exempt, met on the way: off route
  ASSERT_TRUE(round_->RecordVisit(NotHome(15, team, 8)).ok());
  ASSERT_TRUE(round_->RecordVisit(NotHome(15, team, 9)).ok());

  const ProgressReport sites = round_->Progress(ProgressLevel::kSite, 0, 100).value();
  ASSERT_EQ(sites.rows.size(), 3u);  // two sites, then door-to-door
  EXPECT_EQ(sites.rows[tc_site].check_ins_here, 3);
  EXPECT_EQ(sites.rows[tc_site].off_plan, 2);
  EXPECT_EQ(sites.rows[td_site].check_ins_here, 1);
  EXPECT_EQ(sites.rows[td_site].off_plan, 1);
  EXPECT_EQ(sites.rows[2].key, "door-to-door");
  EXPECT_EQ(sites.rows[2].check_ins_here, 3);
  EXPECT_EQ(sites.rows[2].off_plan, 2);

  const ProgressReport teams = round_->Progress(ProgressLevel::kTeam, 0, 100).value();
  ASSERT_EQ(teams.total_rows, 6u);  // three teams in each of two communities
  ASSERT_EQ(teams.rows.size(), 6u);
  const ProgressRow& second = teams.rows[1];
  EXPECT_EQ(second.key, "communities/tc/teams/2");
  EXPECT_THAT(second.label, HasSubstr("team 2"));
  EXPECT_EQ(second.check_ins_here, 3);
  EXPECT_EQ(second.off_plan, 2);
  EXPECT_EQ(second.visits_here, 2);
  for (size_t t = 0; t < teams.rows.size(); ++t) {
    if (t == 1) continue;
    EXPECT_EQ(teams.rows[t].check_ins_here + teams.rows[t].off_plan + teams.rows[t].visits_here,
              0)
        << teams.rows[t].key;
  }
  // Pages of teams, as of every level.
  const ProgressReport page = round_->Progress(ProgressLevel::kTeam, 4, 10).value();
  ASSERT_EQ(page.rows.size(), 2u);
  EXPECT_EQ(page.rows[0].key, "communities/td/teams/2");
  EXPECT_EQ(page.total.sampled, 7);
}

TEST_F(TeamsTest, TheNextRoutesKeepTheNotHomeAndDropTheAccountedFor) {
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  auto visited = [&] {
    absl::StatusOr<plan::DoorToDoorPlan> routes = plan::PlanDoorToDoor(
        round_->layout(), round_->config(), *round_->plan(), {},
        [&](uint32_t r) { return round_->AwaitsVisit(r); });
    EXPECT_TRUE(routes.ok()) << routes.status();
    std::set<uint32_t> residents;
    for (const plan::DoorToDoorRoute& route : routes.value().routes) {
      for (const plan::DoorToDoorStop& stop : route.stops) {
        residents.insert(stop.residents.begin(), stop.residents.end());
      }
    }
    return residents;
  };
  EXPECT_EQ(visited(), (std::set<uint32_t>{Resident(5), Resident(10), Resident(15), Resident(20)}));
  ASSERT_TRUE(round_->RecordVisit(NotHome(5, team, 1)).ok());
  ASSERT_TRUE(round_->RecordVisit({Resident(10), team, VisitOutcome::kRefused, kAt, "no", 2}).ok());
  ASSERT_TRUE(round_->RackTube(team, "TEAM-1").ok());
  ASSERT_EQ(round_->CheckIn(team, ResidentCode("tc", 15), kAt, 3).verdict,
            core::CheckInVerdict::kSampled);
  EXPECT_EQ(visited(), (std::set<uint32_t>{Resident(5), Resident(20)}));
  EXPECT_TRUE(round_->AwaitsVisit(Resident(5)));
  EXPECT_FALSE(round_->AwaitsVisit(Resident(10)));
  EXPECT_FALSE(round_->AwaitsVisit(Resident(15)));

  plan::DoorToDoorOptions later;
  later.leave_at = kStart + absl::Hours(3);
  absl::StatusOr<plan::DoorToDoorPlan> routes =
      plan::PlanDoorToDoor(round_->layout(), round_->config(), *round_->plan(), later);
  ASSERT_TRUE(routes.ok());
  ASSERT_FALSE(routes->routes.empty());
  EXPECT_EQ(routes->routes[0].starts, kStart + absl::Hours(3));
  EXPECT_EQ(routes->residents, 4) << "no filter: the plan's whole list";
}

TEST_F(TeamsTest, AVisitIsRefusedWhereItCannotBeTrue) {
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  // A site's desk does not visit.
  EXPECT_THAT(round_->RecordVisit(NotHome(10, 0, 1)).status().message(),
              HasSubstr("door-to-door team's desk"));
  // Not home takes no reason; the others need one.
  Visit with_reason = NotHome(10, team, 2);
  with_reason.reason = "door shut";
  EXPECT_EQ(round_->RecordVisit(with_reason).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(round_->RecordVisit({Resident(10), team, VisitOutcome::kMovedAway, kAt, "", 3})
                  .status()
                  .message(),
              HasSubstr("needs a reason"));
  EXPECT_THAT(round_->RecordVisit({Resident(10), team, VisitOutcome::kRefused, kAt,
                                   std::string(201, 'x'), 4})
                  .status()
                  .message(),
              HasSubstr("reason is 201 bytes; at most 200"));
  EXPECT_THAT(
      round_->RecordVisit({Resident(10), team, static_cast<VisitOutcome>(9), kAt, "", 5})
          .status()
          .message(),
      HasSubstr("is not a visit outcome"));
  // A sampled resident is not visited.
  ASSERT_TRUE(round_->RackTube(0, "DESK-1").ok());
  ASSERT_EQ(round_->CheckIn(0, ResidentCode("tc", 10), kAt, 6).verdict,
            core::CheckInVerdict::kSampled);
  const absl::Status after_swab = round_->RecordVisit(NotHome(10, team, 7)).status();
  EXPECT_EQ(after_swab.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(after_swab.message(), HasSubstr("was sampled at sites/"));
  EXPECT_EQ(round_->VisitTotals()->visits, 0);
  // Closed: nothing more.
  ASSERT_TRUE(round_->Close().ok());
  EXPECT_EQ(round_->RecordVisit(NotHome(15, team, 8)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TeamsTest, ARequestIdNamesOneVisit) {
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  absl::StatusOr<visits::VisitBook::Recorded> first = round_->RecordVisit(NotHome(10, team, 42));
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->replayed);
  // A retry (even one stamped later) answers the first visit.
  Visit retry = NotHome(10, team, 42);
  retry.at_unix_seconds = kAt + 30;
  absl::StatusOr<visits::VisitBook::Recorded> again = round_->RecordVisit(retry);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->visit.at_unix_seconds, kAt);
  EXPECT_EQ(round_->VisitsOf(Resident(10))->count, 1u);
  // The same id for another resident records nothing.
  const absl::Status reused = round_->RecordVisit(NotHome(15, team, 42)).status();
  EXPECT_EQ(reused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reused.message(), HasSubstr("request_id was already used for the visit of resident"));
  EXPECT_FALSE(round_->VisitsOf(Resident(15)).has_value());
}

// Teams recording visits and checking residents in from several threads at
// once (the ThreadSanitizer build runs this): every visit is recorded once,
// and the counts agree with what each thread did.
TEST_F(TeamsTest, TeamsVisitingAtOnceRecordEachVisitOnce) {
  constexpr int kThreads = 4, kRounds = 50;
  const DeskIndex team = round_->ResolveTeam("tc", 1).value();
  const std::vector<int> homebound = {5, 10, 15, 20};
  std::vector<std::thread> threads;
  std::atomic<int> replayed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        // Every thread sends every request: each is recorded once.
        const int n = homebound[static_cast<size_t>(i) % homebound.size()];
        absl::StatusOr<visits::VisitBook::Recorded> r =
            round_->RecordVisit(NotHome(n, team, 1000 + static_cast<uint64_t>(i)));
        ASSERT_TRUE(r.ok()) << r.status();
        replayed += r->replayed;
        if (t == 0 && i % 10 == 0) (void)round_->VisitTotals();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(replayed.load(), (kThreads - 1) * kRounds);
  const visits::VisitCounts counts = round_->VisitTotals().value();
  EXPECT_EQ(counts.visits, kRounds);
  EXPECT_EQ(counts.not_home, static_cast<int64_t>(homebound.size()));
}

TEST(VisitRecordTest, AVisitRecordReadsBackAndABadOneIsRefused) {
  journal::VisitRecord in{3, Visit{17, 40, VisitOutcome::kMovedAway, kAt, "left for Wuhan", 0xabc}};
  std::string record;
  journal::EncodeVisit(in, &record);
  absl::StatusOr<journal::VisitRecord> out = journal::DecodeVisit(record);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->round, 3u);
  EXPECT_EQ(out->visit.resident, 17u);
  EXPECT_EQ(out->visit.desk, 40u);
  EXPECT_EQ(out->visit.outcome, VisitOutcome::kMovedAway);
  EXPECT_EQ(out->visit.at_unix_seconds, kAt);
  EXPECT_EQ(out->visit.reason, "left for Wuhan");
  EXPECT_EQ(out->visit.request, 0xabcu);
  EXPECT_FALSE(journal::DecodeVisit(record.substr(0, record.size() - 1)).ok());
  in.visit.reason.clear();  // moved away without a reason: not a visit
  record.clear();
  journal::EncodeVisit(in, &record);
  EXPECT_FALSE(journal::DecodeVisit(record).ok());
}

// Rounds journaled before teams existed read back with the default.
TEST(VisitRecordTest, ARoundRecordWithoutTeamsReadsWithTheDefault) {
  RoundConfig config;
  config.id = "r";
  config.community_ids = {"tc"};
  config.start = kStart;
  config.door_to_door_teams = 7;
  std::string record;
  journal::EncodeRoundCreated({config, kStart}, &record);
  EXPECT_EQ(journal::DecodeRoundCreated(record)->config.door_to_door_teams, 7);
  // The record as written before: the same without its last field (one
  // byte: 7 zig-zagged).
  record.pop_back();
  EXPECT_EQ(journal::DecodeRoundCreated(record)->config.door_to_door_teams,
            kDefaultDoorToDoorTeams);
}

}  // namespace
}  // namespace swabwave::engine
