#include "services/replay/door_teams.h"

#include <atomic>
#include <map>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/api/status.h"
#include "services/replay/round_reader.h"
#include "services/replay/seeded_draw.h"
#include "swabwave/v1/planning.pb.h"

namespace swabwave::services {
namespace {

// What the door finds; VISIT_OUTCOME_UNSPECIFIED: the resident is sampled.
DoorVisit AtTheDoor(const TeamDayOptions& options, const std::string& code) {
  double u = SeededDraw(options.seed, options.call, code, "door");
  DoorVisit visit{code, v1::VISIT_OUTCOME_UNSPECIFIED, ""};
  if ((u -= options.not_home) < 0) {
    visit.outcome = v1::VISIT_OUTCOME_NOT_HOME;
  } else if ((u -= options.refused) < 0) {
    visit.outcome = v1::VISIT_OUTCOME_REFUSED;
    visit.reason = "declined at the door";
  } else if ((u -= options.in_hospital) < 0) {
    visit.outcome = v1::VISIT_OUTCOME_IN_HOSPITAL;
    visit.reason = "admitted to hospital, said a relative";
  } else if ((u -= options.moved_away) < 0) {
    visit.outcome = v1::VISIT_OUTCOME_MOVED_AWAY;
    visit.reason = "moved out, said the neighbours";
  }
  return visit;
}

// The untested residents, by code of the door-to-door ones' dense ids and,
// for neighbours, the site-due ones per building.
struct Untested {
  std::map<int64_t, std::string> code_of;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> at_sites_in_building;
};

absl::StatusOr<Untested> ReadUntested(Client& client, const std::string& round) {
  Untested untested;
  absl::Status status = ForEachUntested(client, round, [&](const v1::UntestedResident& u) {
    untested.code_of[u.resident_id()] = u.code();
    if (!u.door_to_door()) {
      untested.at_sites_in_building[{u.community_id(), u.building_id()}].push_back(u.code());
    }
  });
  if (!status.ok()) return status;
  return untested;
}

absl::StatusOr<std::vector<v1::DoorToDoorRoute>> ReadRoutes(Client& client,
                                                            const std::string& round) {
  std::vector<v1::DoorToDoorRoute> routes;
  v1::ListDoorToDoorRoutesRequest request;
  request.set_round(round);
  request.set_page_size(1000);
  do {
    v1::ListDoorToDoorRoutesResponse page;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().ListDoorToDoorRoutes(&context, request, &page);
    });
    if (!status.ok()) return FromGrpcStatus(status);
    for (v1::DoorToDoorRoute& route : *page.mutable_routes()) routes.push_back(std::move(route));
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return routes;
}

}  // namespace

absl::StatusOr<std::vector<TeamWork>> TeamWorkFromServer(Client& client, const std::string& round,
                                                         const TeamDayOptions& options) {
  absl::StatusOr<std::vector<v1::DoorToDoorRoute>> routes = ReadRoutes(client, round);
  if (!routes.ok()) return routes.status();
  absl::StatusOr<Untested> untested = ReadUntested(client, round);
  if (!untested.ok()) return untested.status();
  std::vector<TeamWork> work;
  for (const v1::DoorToDoorRoute& route : *routes) {
    if (route.desk().empty()) continue;  // more routes than the round has teams
    TeamWork team;
    team.desk = route.desk();
    team.samples.desk = route.desk();
    team.samples.site_id = route.desk();  // the key of the team's token
    for (const v1::RouteStop& stop : route.stops()) {
      for (int64_t id : stop.resident_ids()) {
        const auto code = untested->code_of.find(id);
        if (code == untested->code_of.end()) continue;
        DoorVisit visit = AtTheDoor(options, code->second);
        if (visit.outcome == v1::VISIT_OUTCOME_UNSPECIFIED) {
          team.samples.scans.push_back(Scan{.code = code->second});
        } else {
          team.visits.push_back(std::move(visit));
        }
      }
      // A neighbour on the stairs, due at a site and not yet there.
      auto& neighbours =
          untested->at_sites_in_building[{route.community_id(), stop.building_id()}];
      if (!neighbours.empty() &&
          SeededDraw(options.seed, options.call, neighbours.back(), "neighbour") < options.neighbours) {
        team.samples.scans.push_back(Scan{.code = neighbours.back()});
        neighbours.pop_back();  // met once
        ++team.off_route;
      }
    }
    work.push_back(std::move(team));
  }
  return work;
}

absl::StatusOr<TeamReport> RunTeams(Client& client, const std::vector<TeamWork>& work,
                                    const FleetOptions& options) {
  TeamReport report;
  std::vector<DeskWork> samples;
  for (const TeamWork& team : work) {
    report.off_route += team.off_route;
    if (!team.samples.scans.empty()) samples.push_back(team.samples);
  }
  absl::StatusOr<FleetReport> check_ins = RunFleet(client, samples, options);
  if (!check_ins.ok()) return check_ins.status();
  report.check_ins = *std::move(check_ins);

  // Visits are unary calls, one team's after another's on its own thread
  // (a team walks its route in order).
  absl::Mutex mu;
  const std::string run_id = Client::NewRequestId("visit");
  const absl::Time start = absl::Now();
  std::vector<std::thread> teams;
  for (size_t t = 0; t < work.size(); ++t) {
    teams.emplace_back([&, t] {
      const TeamWork& team = work[t];
      for (size_t v = 0; v < team.visits.size(); ++v) {
        const DoorVisit& visit = team.visits[v];
        v1::RecordVisitRequest request;
        request.set_request_id(absl::StrCat(run_id, "-t", t, "-", v));
        request.set_round(options.round);
        request.set_desk(team.desk);
        request.set_resident_code(visit.code);
        request.set_outcome(visit.outcome);
        request.set_reason(visit.reason);
        v1::RecordVisitResponse response;
        const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
          client.AuthorizeAtSite(context, team.desk);
          return client.checkin().RecordVisit(&context, request, &response);
        });
        absl::MutexLock lock(&mu);
        if (!status.ok()) {
          ++report.visit_errors;
          if (report.first_visit_error.empty()) report.first_visit_error = status.error_message();
          continue;
        }
        ++report.visits;
        if (response.replayed()) ++report.visits_replayed;
        ++report.by_outcome[static_cast<size_t>(response.outcome()) % report.by_outcome.size()];
      }
    });
  }
  for (std::thread& team : teams) team.join();
  report.visits_elapsed = absl::Now() - start;
  return report;
}

}  // namespace swabwave::services
