// Staffing and door-to-door through PlanningService on a real server:
// PlanRound within the staff on hand (the default when staff are listed),
// GetRoster's shifts against the plan's open desks, the gear rules and
// availability reaching the roster, and ListDoorToDoorRoutes covering every
// home visit. Every constraint is checked over the whole answer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"
#include "tests/services/test_server.h"

namespace swabwave::services {
namespace {

using ::swabwave::services::testing::CommunitySpec;
using ::swabwave::services::testing::kRoundStart;
using ::swabwave::services::testing::MakeCommunity;
using ::testing::HasSubstr;

// 240 residents over two sites of four desks, and one sampler and one
// scanner per site: with every desk the round takes few waves, but each
// site's pair opens one desk at a time and rests between stints.
CommunitySpec ShortStaffedSpec() {
  CommunitySpec spec;
  spec.buildings = 20;
  spec.desks_per_site = 4;
  spec.staff = 4;
  return spec;
}

class StaffingServiceTest : public testing::ServerTest {
 protected:
  void Start(const CommunitySpec& spec) {
    ASSERT_TRUE(Import(MakeCommunity(spec)).ok());
    ASSERT_TRUE(CreateRound("r", "tc").ok());
  }

  grpc::Status PlanWith(const v1::PlanOptions& options, v1::PlanSummary* summary = nullptr) {
    v1::PlanRoundRequest request;
    request.set_request_id(Client::NewRequestId("plan"));
    request.set_round("rounds/r");
    *request.mutable_options() = options;
    v1::PlanRoundResponse response;
    const grpc::Status status = client_->planning().PlanRound(Context().get(), request, &response);
    if (summary != nullptr) *summary = response.summary();
    return status;
  }

  // Every page of GetRoster merged (page_size sites a page).
  v1::GetRosterResponse Roster(int page_size = 1000) {
    v1::GetRosterRequest request;
    request.set_round("rounds/r");
    request.set_page_size(page_size);
    v1::GetRosterResponse all;
    for (int pages = 0; pages < 100; ++pages) {
      v1::GetRosterResponse page;
      const grpc::Status status = client_->planning().GetRoster(Context().get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      const auto shifts = all.shifts();
      const auto shortfalls = all.shortfalls();
      all = page;
      all.mutable_shifts()->Add(shifts.begin(), shifts.end());
      all.mutable_shortfalls()->Add(shortfalls.begin(), shortfalls.end());
      if (page.next_page_token().empty()) break;
      request.set_page_token(page.next_page_token());
    }
    return all;
  }

  // Desks each loaded (site, wave) counts, from GetPlan.
  std::map<std::pair<std::string, int>, int> LoadedCells() {
    v1::GetPlanRequest request;
    request.set_round("rounds/r");
    v1::GetPlanResponse plan;
    EXPECT_TRUE(client_->planning().GetPlan(Context().get(), request, &plan).ok());
    std::map<std::pair<std::string, int>, int> cells;
    for (const v1::SitePlan& site : plan.sites()) {
      for (const v1::WaveLoad& wave : site.waves()) {
        EXPECT_LE(wave.load(), wave.capacity());
        EXPECT_LE(wave.desks(), site.desks());
        cells[{site.site_id(), wave.wave()}] = wave.desks();
      }
    }
    return cells;
  }
};

TEST_F(StaffingServiceTest, PlansWithinTheStaffOnHandByDefault) {
  ASSERT_NO_FATAL_FAILURE(Start(ShortStaffedSpec()));
  v1::PlanSummary every_desk;
  v1::PlanOptions options;
  options.mutable_staffing()->set_mode(v1::STAFFING_MODE_EVERY_DESK);
  ASSERT_TRUE(PlanWith(options, &every_desk).ok());
  EXPECT_FALSE(every_desk.within_staff());
  EXPECT_GT(Roster().shortfalls_total(), 0) << "the spec should be short of staff";

  v1::PlanSummary summary;
  const grpc::Status status = PlanWith({}, &summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(summary.within_staff());
  EXPECT_EQ(summary.waves_with_every_desk(), every_desk.waves_used());
  EXPECT_GT(summary.waves_used(), summary.waves_with_every_desk());
  EXPECT_GT(summary.desk_waves_closed_for_staff(), 0);
  EXPECT_EQ(summary.overloaded_cells(), 0);
  EXPECT_EQ(summary.due_at_sites(), 240);

  // The roster staffs every desk the plan opens: in every loaded cell a
  // sampler and a scanner at each desk in use, and no desk past the plan's.
  const v1::GetRosterResponse roster = Roster();
  EXPECT_TRUE(roster.within_staff());
  EXPECT_EQ(roster.shortfalls_total(), 0);
  EXPECT_TRUE(roster.shortfalls().empty());
  EXPECT_EQ(roster.desk_waves_staffed(), roster.desk_waves_needed());
  EXPECT_EQ(roster.headcount().staff_on_hand(), 4);
  const std::map<std::pair<std::string, int>, int> cells = LoadedCells();
  std::map<std::tuple<std::string, int, int, v1::StaffRole>, int> at_desk;  // site, wave, desk, role
  for (const v1::RosterShift& shift : roster.shifts()) {
    EXPECT_LT(shift.first_wave(), shift.end_wave());
    EXPECT_LE(shift.end_wave() - shift.first_wave(), roster.max_waves_per_stint());
    for (int w = shift.first_wave(); w < shift.end_wave(); ++w) {
      const auto cell = cells.find({shift.site_id(), w});
      ASSERT_NE(cell, cells.end()) << shift.staff_id() << " works an empty wave " << w;
      EXPECT_LE(shift.desk(), cell->second) << shift.site_id() << " wave " << w;
      ++at_desk[std::make_tuple(shift.site_id(), w, shift.desk(), shift.role())];
    }
  }
  for (const auto& [cell, desks] : cells) {
    for (v1::StaffRole role : {v1::STAFF_ROLE_SAMPLER, v1::STAFF_ROLE_SCANNER}) {
      EXPECT_EQ(at_desk[std::make_tuple(cell.first, cell.second, 1, role)], 1)
          << cell.first << " wave " << cell.second << " role " << role;
    }
  }
  for (const auto& [key, count] : at_desk) EXPECT_EQ(count, 1) << "two members at one desk";
}

TEST_F(StaffingServiceTest, EveryDeskModeListsTheDesksNobodyCanStaffOnEveryPage) {
  ASSERT_NO_FATAL_FAILURE(Start(ShortStaffedSpec()));
  v1::PlanOptions options;
  options.mutable_staffing()->set_mode(v1::STAFFING_MODE_EVERY_DESK);
  ASSERT_TRUE(PlanWith(options).ok());
  const v1::GetRosterResponse whole = Roster();
  const v1::GetRosterResponse paged = Roster(1);  // one site a page
  EXPECT_FALSE(whole.within_staff());
  EXPECT_EQ(whole.total_sites(), 2);
  EXPECT_GT(whole.shortfalls_total(), 0);
  EXPECT_EQ(whole.shortfalls_size(), whole.shortfalls_total());
  EXPECT_LT(whole.desk_waves_staffed(), whole.desk_waves_needed());
  EXPECT_GT(whole.headcount().samplers_needed(), whole.headcount().samplers_on_hand());
  std::set<std::string> a, b;
  for (const v1::RosterShift& s : whole.shifts()) a.insert(s.SerializeAsString());
  for (const v1::RosterShift& s : paged.shifts()) b.insert(s.SerializeAsString());
  EXPECT_EQ(a, b);
  EXPECT_EQ(paged.shortfalls_size(), whole.shortfalls_size());
  for (const v1::DeskShortfall& s : whole.shortfalls()) {
    EXPECT_LT(s.desks_staffed(), s.desks_needed());
  }
}

TEST_F(StaffingServiceTest, WithinStaffNeedsStaff) {
  CommunitySpec spec;
  spec.staff = 0;
  ASSERT_NO_FATAL_FAILURE(Start(spec));
  v1::PlanOptions options;
  options.mutable_staffing()->set_mode(v1::STAFFING_MODE_WITHIN_STAFF);
  const grpc::Status status = PlanWith(options);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              HasSubstr("round r's communities list no staff, so it cannot be planned within the "
                        "staff on hand; import the staff or use STAFFING_MODE_EVERY_DESK"));
  // Unspecified: staff not tracked, every desk.
  v1::PlanSummary summary;
  ASSERT_TRUE(PlanWith({}, &summary).ok());
  EXPECT_FALSE(summary.within_staff());
}

TEST_F(StaffingServiceTest, TooFewStaffIsResourceExhausted) {
  CommunitySpec spec;
  spec.staff = 1;  // a sampler, no scanner
  ASSERT_NO_FATAL_FAILURE(Start(spec));
  const grpc::Status status = PlanWith({});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("the staff on hand cannot open"));
  EXPECT_THAT(status.error_message(),
              HasSubstr("add staff, lengthen the round or relax the gear rules"));
}

// One hour in gear with 15-minute changes leaves one 30-minute wave per
// stint; a scanner on hand only from two hours in starts no earlier.
TEST_F(StaffingServiceTest, GearRulesAndAvailabilityReachTheRoster) {
  CommunitySpec spec;
  spec.staff = 8;  // two pairs per site
  ASSERT_NO_FATAL_FAILURE(Start(spec));
  v1::PlanOptions options;
  v1::StaffingOptions* staffing = options.mutable_staffing();
  staffing->mutable_max_in_gear()->set_seconds(3600);
  v1::StaffAvailability* late = staffing->add_availability();
  late->set_community_id("tc");
  late->set_staff_id("tc-st1");
  ToProto(kRoundStart + absl::Hours(2), late->mutable_available_from());
  const grpc::Status status = PlanWith(options);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::GetRosterResponse roster = Roster();
  EXPECT_EQ(FromProto(roster.max_in_gear()), absl::Hours(1));
  EXPECT_EQ(roster.max_waves_per_stint(), 1);
  EXPECT_EQ(roster.shortfalls_total(), 0);
  ASSERT_FALSE(roster.shifts().empty());
  for (const v1::RosterShift& shift : roster.shifts()) {
    EXPECT_EQ(shift.end_wave() - shift.first_wave(), 1);
    if (shift.staff_id() == "tc-st1") {
      // Gear goes on 15 minutes before the wave.
      EXPECT_GE(FromProto(shift.starts()) - absl::Minutes(15), kRoundStart + absl::Hours(2));
    }
  }
}

// ------------------------------------------------------ ListDoorToDoorRoutes

TEST_F(StaffingServiceTest, RoutesVisitEveryDoorToDoorResidentOnce) {
  CommunitySpec spec;
  spec.mobility_limited_every = 5;
  ASSERT_NO_FATAL_FAILURE(Start(spec));
  v1::PlanSummary summary;
  ASSERT_TRUE(PlanWith({}, &summary).ok());
  ASSERT_GT(summary.door_to_door(), 0);

  std::set<int64_t> listed;
  v1::ListDoorToDoorRequest list;
  list.set_round("rounds/r");
  v1::ListDoorToDoorResponse buildings;
  ASSERT_TRUE(client_->planning().ListDoorToDoor(Context().get(), list, &buildings).ok());
  for (const v1::DoorToDoorBuilding& b : buildings.buildings()) {
    for (const v1::DoorToDoorVisit& v : b.visits()) listed.insert(v.resident_id());
  }

  v1::ListDoorToDoorRoutesRequest request;
  request.set_round("rounds/r");
  request.mutable_options()->set_teams_per_community(2);
  request.set_page_size(1);  // one route a page
  std::multiset<int64_t> visited;
  int routes = 0;
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListDoorToDoorRoutesResponse page;
    const grpc::Status status =
        client_->planning().ListDoorToDoorRoutes(Context().get(), request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(page.residents(), summary.door_to_door());
    EXPECT_TRUE(page.all_fit());
    for (const v1::DoorToDoorRoute& route : page.routes()) {
      ++routes;
      EXPECT_EQ(route.community_id(), "tc");
      EXPECT_EQ(FromProto(route.total()), FromProto(route.walking()) + FromProto(route.visiting()));
      EXPECT_EQ(FromProto(route.ends()), FromProto(route.starts()) + FromProto(route.total()));
      EXPECT_EQ(FromProto(route.visiting()),
                absl::Minutes(10) * static_cast<int64_t>([&] {
                  int n = 0;
                  for (const v1::RouteStop& s : route.stops()) n += s.resident_ids_size();
                  return n;
                }()));
      absl::Time previous = FromProto(route.starts());
      for (const v1::RouteStop& stop : route.stops()) {
        EXPECT_GE(FromProto(stop.arrives()), previous);  // in visiting order
        previous = FromProto(stop.arrives());
        visited.insert(stop.resident_ids().begin(), stop.resident_ids().end());
      }
    }
    if (page.next_page_token().empty()) {
      EXPECT_EQ(routes, page.total_routes());
      break;
    }
    request.set_page_token(page.next_page_token());
  }
  EXPECT_GE(routes, 1);
  EXPECT_LE(routes, 2);
  EXPECT_EQ(std::set<int64_t>(visited.begin(), visited.end()), listed);
  EXPECT_EQ(visited.size(), listed.size()) << "a resident visited twice";
}

// ------------------------------------------------------------ finish by a time

v1::AdviseFinishResponse Advise(Client& client, absl::Duration after_start,
                                grpc::Status* status) {
  v1::AdviseFinishRequest request;
  request.set_round("rounds/r");
  ToProto(kRoundStart + after_start, request.mutable_finish_by());
  v1::AdviseFinishResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  *status = client.planning().AdviseFinish(&context, request, &response);
  return response;
}

// Every desk does it in one wave; the two pairs on hand open two desks at
// a time and need longer. The advice says both, and what one wave takes.
TEST_F(StaffingServiceTest, AdviseFinishSaysWhatADeadlineTakesAndWhenTheStaffOnHandFinish) {
  ASSERT_NO_FATAL_FAILURE(Start(ShortStaffedSpec()));
  grpc::Status status;
  v1::AdviseFinishResponse advice = Advise(*client_, absl::Minutes(30), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(advice.waves_allowed(), 1);
  EXPECT_EQ(advice.waves_every_desk(), 1);
  EXPECT_TRUE(advice.met_with_every_desk());
  EXPECT_EQ(FromProto(advice.finish_every_desk()), kRoundStart + absl::Minutes(30));
  EXPECT_EQ(advice.sites_size(), 2);
  EXPECT_EQ(advice.desks_on_hand(), 8);
  EXPECT_GT(advice.desks_open(), 2);
  EXPECT_GT(advice.headcount().samplers_needed(), advice.headcount().samplers_on_hand());
  EXPECT_EQ(advice.headcount().samplers_on_hand(), 2);
  ASSERT_TRUE(advice.planned_on_hand()) << advice.on_hand_error();
  EXPECT_GT(advice.waves_on_hand(), 1);
  EXPECT_FALSE(advice.met_on_hand());
  EXPECT_EQ(FromProto(advice.finish_on_hand()),
            kRoundStart + advice.waves_on_hand() * absl::Minutes(30));

  // By the time the staff on hand finish, they meet it.
  advice = Advise(*client_, advice.waves_on_hand() * absl::Minutes(30), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(advice.met_on_hand());

  // The plan that meets one wave needs every desk; within the staff it is
  // refused with the way out, and nothing is planned.
  v1::PlanOptions options;
  ToProto(kRoundStart + absl::Minutes(30), options.mutable_finish_by());
  options.mutable_staffing()->set_mode(v1::STAFFING_MODE_WITHIN_STAFF);
  status = PlanWith(options);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(),
              HasSubstr("cannot finish in the 1 waves before options.finish_by"));
  EXPECT_THAT(status.error_message(), HasSubstr("`swabwave finish-by`"));
  options.mutable_staffing()->set_mode(v1::STAFFING_MODE_EVERY_DESK);
  v1::PlanSummary summary;
  status = PlanWith(options, &summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.waves_used(), 1);
}

TEST_F(StaffingServiceTest, AdviseFinishPastEveryDeskSaysHowFarShort) {
  CommunitySpec spec = ShortStaffedSpec();
  spec.buildings = 60;  // 720 residents: two waves with every desk (187 a site a wave)
  ASSERT_NO_FATAL_FAILURE(Start(spec));
  grpc::Status status;
  const v1::AdviseFinishResponse advice = Advise(*client_, absl::Minutes(30), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(advice.waves_every_desk(), 2);
  EXPECT_FALSE(advice.met_with_every_desk());
  EXPECT_FALSE(advice.met_on_hand());
  EXPECT_EQ(advice.due_at_sites(), 720);
  EXPECT_EQ(advice.served_by_then(), 2 * 187);
  // 346 short at 46.75 a desk: at least 8 more, spread over both sites.
  EXPECT_TRUE(advice.met_with_more_desks());
  EXPECT_GE(advice.extra_desks(), 8);
  ASSERT_EQ(advice.sites_size(), 2);
  EXPECT_EQ(advice.sites(0).desks_on_hand(), 4);
  EXPECT_EQ(advice.desks_on_hand(), 8);
  EXPECT_GT(advice.desks_open(), 8);
  EXPECT_GT(advice.headcount().samplers_needed(), advice.headcount().samplers_on_hand());
}

TEST_F(StaffingServiceTest, AdviseFinishRefusesWhatItCannotAnswer) {
  ASSERT_NO_FATAL_FAILURE(Start(ShortStaffedSpec()));
  grpc::Status status;
  Advise(*client_, absl::Minutes(29), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("is before round r's first wave ends"));

  v1::AdviseFinishRequest request;
  request.set_round("rounds/r");
  v1::AdviseFinishResponse response;
  status = client_->planning().AdviseFinish(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("finish_by is required"));

  v1::PlanOptions options;
  ToProto(kRoundStart + absl::Minutes(10), options.mutable_finish_by());
  status = PlanWith(options);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("options.finish_by"));

  ASSERT_TRUE(PlanWith(v1::PlanOptions()).ok());
  ASSERT_TRUE(Open("r").ok());
  Advise(*client_, absl::Hours(2), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("round r is open"));
}

}  // namespace
}  // namespace swabwave::services
