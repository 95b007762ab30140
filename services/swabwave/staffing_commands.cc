// `swabwave roster` and `swabwave routes`: the staff and door-to-door side
// of a plan, as tables for the command center and CSV for the sites.
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/api/proto_convert.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/commands.h"
#include "services/swabwave/table.h"

namespace swabwave::services::cli {

namespace {

std::string Clock(const google::protobuf::Timestamp& t, absl::TimeZone zone) {
  return LocalClock(FromProto(t), zone);
}

// With its offset: what a spreadsheet reads back unambiguously.
std::string Rfc3339(const google::protobuf::Timestamp& t, absl::TimeZone zone) {
  return absl::FormatTime(absl::RFC3339_sec, FromProto(t), zone);
}

std::string Span(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Trunc(FromProto(d), absl::Minutes(1)));
}

std::string RoleName(v1::StaffRole role) {
  return absl::AsciiStrToLower(v1::StaffRole_Name(role).substr(11));  // after "STAFF_ROLE_"
}

void PrintRosterHeader(const v1::GetRosterResponse& r) {
  absl::PrintF("staffing           %s\n", r.within_staff()
                                            ? "planned within the staff on hand"
                                            : "planned with every desk open");
  absl::PrintF("gear rules         %s in gear (gear changes of %s counted), rest %s: at most %d "
               "waves in a row at a desk, then %d off\n",
               Span(r.max_in_gear()), Span(r.gear_change()), Span(r.rest()),
               r.max_waves_per_stint(), r.min_idle_waves());
  const v1::Headcount& h = r.headcount();
  // "Needed" counts a pool member at every site it may serve: an upper
  // bound, which a plan within the staff may exceed without a shortfall.
  absl::PrintF("headcount          samplers %d on hand, at most %d needed; scanners %d on hand, "
               "at most %d needed; %d staff on hand\n"
               "                   (needed: with everyone on hand all round, an upper bound; "
               "the shortfalls say where staff is missing)\n",
               h.samplers_on_hand(), h.samplers_needed(), h.scanners_on_hand(),
               h.scanners_needed(), h.staff_on_hand());
  absl::PrintF("desk-waves         %d of %d staffed; %d (site, wave) short of staff\n",
               r.desk_waves_staffed(), r.desk_waves_needed(), r.shortfalls_total());
}

}  // namespace

int Roster(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::Round about;
  if (const grpc::Status status = FetchRound(client, round, &about); !status.ok()) {
    return Fail(status, "roster");
  }
  const absl::TimeZone zone = RoundZone(about);
  v1::GetRosterRequest request;
  request.set_round(RoundArg(round));
  request.set_page_size(1000);
  std::vector<v1::RosterShift> shifts;
  std::vector<v1::DeskShortfall> shortfalls;
  bool first_page = true;
  const bool for_people = options.output == OutputFormat::kTable;
  Pages<v1::GetRosterResponse> pages;
  do {
    v1::GetRosterResponse response;
    const grpc::Status status = Client::Call(
        [&](grpc::ClientContext& context) {
          return client.planning().GetRoster(&context, request, &response);
        },
        absl::Minutes(10));
    if (!status.ok()) return Fail(status, "roster");
    if (first_page && for_people) PrintRosterHeader(response);
    first_page = false;
    if (!for_people) pages.Add(response);
    shifts.insert(shifts.end(), response.shifts().begin(), response.shifts().end());
    shortfalls.insert(shortfalls.end(), response.shortfalls().begin(),
                      response.shortfalls().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());

  for (const v1::DeskShortfall& s : shortfalls) {
    if (!for_people) break;
    absl::PrintF("    short: %-12s wave %-3d %d of %d desks staffed\n", s.site_id(), s.wave(),
                 s.desks_staffed(), s.desks_needed());
  }
  if (!options.csv.empty()) {
    std::ostringstream out;
    out << "community,staff,site,desk,role,first_wave,end_wave,starts,ends\n";
    for (const v1::RosterShift& s : shifts) {
      out << s.community_id() << ',' << s.staff_id() << ',' << s.site_id() << ',' << s.desk()
          << ',' << RoleName(s.role()) << ',' << s.first_wave() << ',' << s.end_wave() << ','
          << Rfc3339(s.starts(), zone) << ',' << Rfc3339(s.ends(), zone) << '\n';
    }
    if (WriteExport("roster", options.csv, out.str()) != 0) return 1;
    if (PrintForScripts(options.output, pages.merged(), "shifts")) return 0;
    absl::PrintF("wrote %d shifts to %s\n", shifts.size(), options.csv);
    return 0;
  }
  if (PrintForScripts(options.output, pages.merged(), "shifts")) return 0;
  absl::PrintF("%d shifts (times %s; a member's consecutive shifts are one stint in gear)\n",
               shifts.size(), about.time_zone().empty() ? "UTC" : about.time_zone());
  Table table({{"staff"},
               {"site"},
               {"desk", Table::kRight},
               {"role"},
               {"waves", Table::kRight},
               {"starts"},
               {"ends"}});
  for (const v1::RosterShift& s : shifts) {
    table.AddRow({s.staff_id(), s.site_id(), absl::StrCat(s.desk()), RoleName(s.role()),
                  absl::StrCat(s.first_wave(), "..", s.end_wave() - 1), Clock(s.starts(), zone),
                  Clock(s.ends(), zone)});
  }
  table.Print(stdout, "    ");
  return 0;
}

int Routes(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::Round about;
  if (const grpc::Status status = FetchRound(client, round, &about); !status.ok()) {
    return Fail(status, "routes");
  }
  const absl::TimeZone zone = RoundZone(about);
  v1::ListDoorToDoorRoutesRequest request;
  request.set_round(RoundArg(round));
  request.mutable_options()->set_teams_per_community(options.teams);
  if (options.per_visit != absl::ZeroDuration()) {
    ToProto(options.per_visit, request.mutable_options()->mutable_per_visit());
  }
  request.set_page_size(1000);
  request.set_follow_ups(options.follow_ups);
  const bool to_csv = !options.csv.empty();
  std::ostringstream csv;
  if (to_csv) csv << "community,team,base_site,stop,building,residents,arrives\n";
  bool first_page = true;
  int64_t stops = 0;
  const bool for_people = options.output == OutputFormat::kTable;
  Pages<v1::ListDoorToDoorRoutesResponse> pages;
  do {
    v1::ListDoorToDoorRoutesResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().ListDoorToDoorRoutes(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "routes");
    if (!for_people) pages.Add(response);
    if (first_page && for_people) {
      absl::PrintF("door-to-door       %d residents on %d routes; longest %s; %s (times %s)\n",
                   response.residents(), response.total_routes(), Span(response.longest()),
                   response.all_fit()
                       ? "every route is back before the round ends"
                       : absl::StrFormat("%d routes run past the round's end: add teams",
                                         response.late_routes()),
                   about.time_zone().empty() ? "UTC" : about.time_zone());
      first_page = false;
    }
    for (const v1::DoorToDoorRoute& r : response.routes()) {
      if (for_people) {
        absl::PrintF("%s team %d from %s: %d stops, %.0f m; walking %s + visiting %s = %s; "
                   "%s -> %s%s\n",
                   r.community_id(), r.team(), r.base_site_id(), r.stops_size(), r.walking_m(),
                   Span(r.walking()), Span(r.visiting()), Span(r.total()), Clock(r.starts(), zone),
                   Clock(r.ends(), zone), r.fits() ? "" : "  LATE");
      }
      for (int i = 0; i < r.stops_size(); ++i) {
        const v1::RouteStop& stop = r.stops(i);
        if (to_csv) {
          csv << r.community_id() << ',' << r.team() << ',' << r.base_site_id() << ',' << i + 1
              << ',' << stop.building_id() << ',' << stop.resident_ids_size() << ','
              << Rfc3339(stop.arrives(), zone) << '\n';
        } else if (for_people) {
          absl::PrintF("    %3d. %-20s %3d residents, arrives %s\n", i + 1, stop.building_id(),
                       stop.resident_ids_size(), Clock(stop.arrives(), zone));
        }
      }
      stops += r.stops_size();
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (to_csv) {
    if (WriteExport("routes", options.csv, csv.str()) != 0) return 1;
    if (for_people) absl::PrintF("wrote %d stops to %s\n", stops, options.csv);
  }
  PrintForScripts(options.output, pages.merged(), "routes");
  return 0;
}

}  // namespace swabwave::services::cli
