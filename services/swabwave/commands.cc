#include "services/swabwave/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <google/protobuf/struct.pb.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/io/community_csv.h"
#include "engine/io/csv.h"
#include "engine/io/generator.h"
#include "engine/io/schedule_csv.h"
#include "services/api/proto_convert.h"
#include "services/api/resource_names.h"
#include "services/api/tokens.h"
#include "services/swabwave/command_support.h"
#include "services/swabwave/table.h"

namespace swabwave::services::cli {

namespace {

void PrintSummary(const v1::PlanSummary& s) {
  absl::PrintF("planner            %s\n", s.planner());
  absl::PrintF("residents          %d\n", s.residents());
  absl::PrintF("due at sites       %d in %d units (%d split at household boundaries)\n",
               s.due_at_sites(), s.units(), s.split_units());
  absl::PrintF("door-to-door       %d\n", s.door_to_door());
  absl::PrintF("exempt             %d\n", s.exempt());
  absl::PrintF("waves used         %d of %d (lower bound %d, gap %d)\n", s.waves_used(),
               s.waves_available(), s.waves_lower_bound(), s.waves_used() - s.waves_lower_bound());
  if (s.waves_optimum() > 0) {
    absl::PrintF("waves optimum      %d (W*: the fewest a flow over the nearest sites needs)\n",
                 s.waves_optimum());
  }
  absl::PrintF("walking            %.0f m in all, %.0f m per resident\n", s.total_walking_m(),
               s.mean_walking_m());
  if (s.flow_walking_m() > 0) {
    absl::PrintF("walking optimum    %.0f m (the plan walks %.2f%% more)\n", s.flow_walking_m(),
                 100.0 * (s.total_walking_m() / s.flow_walking_m() - 1));
  }
  absl::PrintF("scattered          %d buildings not within two consecutive waves\n",
               s.scattered_buildings());
  absl::PrintF("overloaded cells   %d\n", s.overloaded_cells());
  if (s.within_staff()) {
    absl::PrintF("staffing           within the staff on hand: %d desk-waves nobody can staff "
                 "kept shut; %d waves with every desk open (%+d)\n",
                 s.desk_waves_closed_for_staff(), s.waves_with_every_desk(),
                 s.waves_used() - s.waves_with_every_desk());
  } else {
    absl::PrintF("staffing           every desk open ('swabwave roster' lists the desks nobody "
                 "can staff)\n");
  }
}

void PrintRound(const v1::Round& r) {
  absl::PrintF("%-24s %-8s ratio %2d  residents %8d  starts %s %s  communities %s\n", r.name(),
               absl::AsciiStrToLower(v1::RoundState_Name(r.state()).substr(12)), r.pool_ratio(),
               r.residents(), LocalClock(FromProto(r.start_time()), RoundZone(r)),
               r.time_zone().empty() ? "UTC" : r.time_zone(),
               absl::StrJoin(r.community_ids(), ","));
  if (!r.has_target()) return;
  const v1::RoundTarget& t = r.target();
  std::vector<std::string> parts;
  if (t.compound_ids_size() > 0) parts.push_back("compounds " + absl::StrJoin(t.compound_ids(), ","));
  if (t.building_ids_size() > 0) parts.push_back("buildings " + absl::StrJoin(t.building_ids(), ","));
  if (t.unit_ids_size() > 0) parts.push_back("units " + absl::StrJoin(t.unit_ids(), ","));
  // Codes are personal data: counted, not printed.
  if (t.resident_codes_size() > 0) parts.push_back(absl::StrCat(t.resident_codes_size(), " listed residents"));
  absl::PrintF("  targeted: %s; covers %d of its %d residents\n", absl::StrJoin(parts, "; "),
               r.targeted(), r.residents());
}

// --target "building:b1,unit:b2-u1,compound:c1" and --target_codes FILE
// (one code a line) into the request; false after printing what is wrong.
bool ParseTarget(const Options& options, v1::RoundTarget* target) {
  for (absl::string_view entry : absl::StrSplit(options.target, ',', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> kind_id =
        absl::StrSplit(entry, absl::MaxSplits(':', 1));
    const std::string id(absl::StripAsciiWhitespace(kind_id.second));
    if (kind_id.first == "compound") {
      target->add_compound_ids(id);
    } else if (kind_id.first == "building") {
      target->add_building_ids(id);
    } else if (kind_id.first == "unit") {
      target->add_unit_ids(id);
    } else {
      std::cerr << "swabwave round create: --target entry '" << entry
                << "' is not compound:ID, building:ID or unit:ID (list residents with "
                   "--target_codes FILE)\n";
      return false;
    }
  }
  if (options.target_codes.empty()) return true;
  absl::StatusOr<std::string> text = engine::ReadFileToString(options.target_codes);
  if (!text.ok()) {
    std::cerr << "swabwave round create: --target_codes: " << text.status().message() << "\n";
    return false;
  }
  for (absl::string_view line : absl::StrSplit(*text, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    const absl::string_view code = absl::StripAsciiWhitespace(line);
    if (!code.empty()) target->add_resident_codes(std::string(code));
  }
  return true;
}

}  // namespace

int Generate(const Options& options) {
  if (options.out.empty()) {
    std::cerr << "swabwave generate: --out DIR is required\n";
    return 2;
  }
  engine::GeneratorOptions generator;
  generator.preset = options.preset;
  generator.residents = options.residents;
  generator.seed = options.seed;
  absl::StatusOr<std::vector<engine::Community>> communities =
      engine::GenerateCommunities(generator);
  if (!communities.ok()) return Fail(communities.status(), "generate");
  int64_t residents = 0, sites = 0;
  for (const engine::Community& c : *communities) {
    const std::filesystem::path dir = std::filesystem::path(options.out) / c.id;
    if (absl::Status s = engine::WriteCommunityDir(c, dir); !s.ok()) return Fail(s, "generate");
    residents += static_cast<int64_t>(c.residents.size());
    sites += static_cast<int64_t>(c.sites.size());
  }
  google::protobuf::Struct summary;
  (*summary.mutable_fields())["out"].set_string_value(options.out);
  (*summary.mutable_fields())["communities"].set_number_value(
      static_cast<double>(communities->size()));
  (*summary.mutable_fields())["residents"].set_number_value(static_cast<double>(residents));
  (*summary.mutable_fields())["sites"].set_number_value(static_cast<double>(sites));
  if (PrintForScripts(options.output, summary)) return 0;
  absl::PrintF("generated %d communities (%d residents, %d sites) under %s\n", communities->size(),
               residents, sites, options.out);
  return 0;
}

int RoundCreate(const Options& options) {
  v1::CreateRoundRequest request;
  request.set_request_id(Client::NewRequestId("create-round"));
  request.set_round_id(options.round_id);
  for (absl::string_view c : absl::StrSplit(options.communities, ',', absl::SkipEmpty())) {
    request.add_community_ids(std::string(c));
  }
  absl::Time start;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, options.start, &start, &error)) {
    std::cerr << "swabwave round create: --start '" << options.start
              << "' is not an RFC 3339 time (e.g. 2026-11-27T07:00:00+08:00): " << error << "\n";
    return 2;
  }
  ToProto(start, request.mutable_start_time());
  // One swab a tube where a case was found (a follow-up round), unless
  // --ratio says otherwise.
  const int default_ratio = options.follow_up_of.empty() ? 10 : 1;
  request.set_pool_ratio(options.ratio != 0 ? options.ratio : default_ratio);
  request.set_door_to_door_teams(options.teams);
  request.set_box_capacity(options.box_capacity);
  if (!ParseTarget(options, request.mutable_target())) return 2;
  if (!options.follow_up_of.empty()) {
    // The server targets the cases' buildings.
    request.set_follow_up_of(RoundArg(options.follow_up_of));
    request.clear_target();
  }
  if (options.wave_length > absl::ZeroDuration()) {
    ToProto(options.wave_length, request.mutable_wave_length());
  }
  if (options.duration > absl::ZeroDuration())
    ToProto(options.duration, request.mutable_duration());
  Client client(options.client);
  v1::CreateRoundResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().CreateRound(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "round create");
  if (PrintForScripts(options.output, response)) return 0;
  PrintRound(response.round());
  const v1::PoolAdvice& advice = response.advice();
  std::cout << "  pool advice: " << advice.ratio() << " per tube (" << advice.why() << ")\n"
            << "  expected tests per person:";
  for (const v1::PoolAdvice::ExpectedTests& e : advice.expected()) {
    std::cout << absl::StrFormat("  %d: %.3f", e.ratio(), e.tests_per_person());
  }
  std::cout << "\n";
  if (advice.ratio() != response.round().pool_ratio()) {
    std::cout << "  this round pools " << response.round().pool_ratio()
              << " per tube; the advice is " << advice.ratio() << "\n";
  }
  return 0;
}

int RoundShow(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::GetRoundRequest request;
  request.set_round(RoundArg(round));
  v1::GetRoundResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().GetRound(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "round show");
  if (PrintForScripts(options.output, response)) return 0;
  PrintRound(response.round());
  return 0;
}

int RoundList(const Options& options) {
  Client client(options.client);
  v1::ListRoundsRequest request;
  Pages<v1::ListRoundsResponse> pages;
  do {
    v1::ListRoundsResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().ListRounds(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "round list");
    pages.Add(response);
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, pages.merged(), "rounds")) return 0;
  for (const v1::Round& r : pages.merged().rounds()) PrintRound(r);
  return 0;
}

int RoundOpen(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::OpenRoundRequest request;
  request.set_request_id(Client::NewRequestId("open-round"));
  request.set_round(RoundArg(round));
  v1::OpenRoundResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().OpenRound(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "round open");
  if (PrintForScripts(options.output, response)) return 0;
  PrintRound(response.round());
  return 0;
}

int RoundClose(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::CloseRoundRequest request;
  request.set_request_id(Client::NewRequestId("close-round"));
  request.set_round(RoundArg(round));
  v1::CloseRoundResponse response;
  const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().CloseRound(&context, request, &response);
  });
  if (!status.ok()) return Fail(status, "round close");
  if (PrintForScripts(options.output, response)) return 0;
  PrintRound(response.round());
  return 0;
}

int PlanOptionsFromFlags(const Options& options, absl::string_view command,
                         v1::PlanOptions* out) {
  out->set_per_desk_rate_per_hour(options.rate);
  out->set_utilization(options.utilization);
  out->set_nearest_sites(options.nearest_sites);
  if (options.planner == "greedy") {
    out->set_planner(v1::PLANNER_GREEDY);
  } else if (options.planner.empty() || options.planner == "optimal") {
    out->set_planner(v1::PLANNER_OPTIMAL);
  } else {
    std::cerr << "swabwave " << command << ": --planner must be optimal or greedy\n";
    return 2;
  }
  out->set_walking_m_per_wave(options.walking_m_per_wave);
  v1::StaffingOptions* staffing = out->mutable_staffing();
  if (options.staffing == "within") {
    staffing->set_mode(v1::STAFFING_MODE_WITHIN_STAFF);
  } else if (options.staffing == "every-desk") {
    staffing->set_mode(v1::STAFFING_MODE_EVERY_DESK);
  } else if (!options.staffing.empty()) {
    std::cerr << "swabwave " << command << ": --staffing must be within or every-desk\n";
    return 2;
  }
  if (options.max_in_gear != absl::ZeroDuration()) {
    ToProto(options.max_in_gear, staffing->mutable_max_in_gear());
  }
  if (options.rest != absl::ZeroDuration()) ToProto(options.rest, staffing->mutable_rest());
  if (options.gear_change != absl::ZeroDuration()) {
    ToProto(options.gear_change, staffing->mutable_gear_change());
  }
  return 0;
}

int Plan(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::PlanRoundRequest request;
  request.set_request_id(Client::NewRequestId("plan"));
  request.set_round(RoundArg(round));
  if (int bad = PlanOptionsFromFlags(options, "plan", request.mutable_options()); bad != 0) {
    return bad;
  }
  if (!options.by.empty()) {
    // --by: only the waves that end by then (the plan that meets it).
    v1::Round about;
    if (const grpc::Status status = FetchRound(client, round, &about); !status.ok()) {
      return Fail(status, "plan");
    }
    absl::StatusOr<absl::Time> by = ParseFinishBy(options.by, about);
    if (!by.ok()) return Fail(by.status(), "plan --by");
    ToProto(*by, request.mutable_options()->mutable_finish_by());
  }
  v1::PlanRoundResponse response;
  const absl::Time start = absl::Now();
  const grpc::Status status = Client::Call(
      [&](grpc::ClientContext& context) {
        return client.planning().PlanRound(&context, request, &response);
      },
      absl::Minutes(10));
  if (!status.ok()) return Fail(status, "plan");
  if (PrintForScripts(options.output, response)) return 0;
  PrintSummary(response.summary());
  absl::PrintF("planned in         %s (round trip)\n",
               absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))));
  return 0;
}

namespace {

std::string Minutes(const google::protobuf::Duration& d) {
  return absl::FormatDuration(absl::Trunc(FromProto(d), absl::Minutes(1)));
}

}  // namespace

int Forecast(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::ForecastRoundRequest request;
  request.set_round(RoundArg(round));
  request.mutable_options()->set_replications(options.replications);
  request.mutable_options()->set_seed(options.seed);
  request.mutable_options()->set_per_desk_rate_per_hour(options.rate);
  request.mutable_options()->set_crowding_limit(options.crowding_limit);
  request.set_page_size(1000);
  bool first_page = true;
  std::vector<v1::CrowdedWave> crowded;  // every page carries them all
  const bool for_people = options.output == OutputFormat::kTable;
  Pages<v1::ForecastRoundResponse> pages;
  do {
    v1::ForecastRoundResponse response;
    const grpc::Status status = Client::Call(
        [&](grpc::ClientContext& context) {
          return client.planning().ForecastRound(&context, request, &response);
        },
        absl::Minutes(10));
    if (!status.ok()) return Fail(status, "forecast");
    if (!first_page) response.clear_crowded_waves();
    pages.Add(response);
    if (!for_people) {
      first_page = false;
      request.set_page_token(response.next_page_token());
      continue;
    }
    if (first_page) {
      absl::PrintF("forecast           %d replications, seed %d, crowding limit %d waiting\n",
                   response.replications(), response.seed(), response.crowding_limit());
      absl::PrintF("completion         p50 %s, p95 %s after the round's start\n",
                   Minutes(response.completion_p50()), Minutes(response.completion_p95()));
      absl::PrintF("residents          %d planned at sites: %.0f come, %.0f no-shows (means)\n",
                   response.planned(), response.mean_served(), response.mean_no_shows());
      absl::PrintF("%-12s %5s %8s %15s %19s %14s %13s\n", "site", "desks", "planned",
                   "peak line p50/95", "done p50/p95", "mean wait p95", "longest p95");
      crowded.assign(response.crowded_waves().begin(), response.crowded_waves().end());
      first_page = false;
    }
    for (const v1::SiteForecast& s : response.sites()) {
      absl::PrintF("%-12s %5d %8d %7d/%-7d %9s/%-9s %14s %13s\n", s.site_id(), s.desks(),
                   s.planned(), s.peak_queue_p50(), s.peak_queue_p95(), Minutes(s.done_p50()),
                   Minutes(s.done_p95()),
                   absl::FormatDuration(absl::Trunc(FromProto(s.mean_wait_p95()), absl::Seconds(1))),
                   absl::FormatDuration(
                       absl::Trunc(FromProto(s.longest_wait_p95()), absl::Seconds(1))));
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, pages.merged(), "sites")) return 0;
  absl::PrintF("%d crowded waves (the line's p95 over the limit)\n", crowded.size());
  for (const v1::CrowdedWave& w : crowded) {
    absl::PrintF("    %s wave %d: %d waiting at once (p95; p50 %d), %d over, in %.0f%% of "
                 "replications\n",
                 w.site_id(), w.wave(), w.peak_queue_p95(), w.peak_queue_p50(), w.over_limit_by(),
                 100 * w.share_over());
  }
  return 0;
}

int Replan(const Options& options, const std::string& round) {
  if (options.from_wave < 0 || options.changes.empty()) {
    std::cerr << "swabwave replan: give --from_wave (the first wave not yet started) and "
                 "--changes SITE=DESKS[,SITE=DESKS...] (0 desks closes a site)\n";
    return 2;
  }
  v1::ReplanRoundRequest request;
  request.set_request_id(Client::NewRequestId("replan"));
  request.set_round(RoundArg(round));
  request.set_from_wave(options.from_wave);
  if (options.placement == "nearest-site") {
    request.set_placement(v1::REPLAN_PLACEMENT_NEAREST_SITE);
  } else if (options.placement.empty() || options.placement == "earliest-wave") {
    request.set_placement(v1::REPLAN_PLACEMENT_EARLIEST_WAVE);
  } else {
    std::cerr << "swabwave replan: --placement is earliest-wave (the default) or nearest-site, "
                 "not '" << options.placement << "'\n";
    return 2;
  }
  for (absl::string_view change : absl::StrSplit(options.changes, ',')) {
    const std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(change, '=');
    int desks = 0;
    if (parts.first.empty() || !absl::SimpleAtoi(parts.second, &desks)) {
      std::cerr << "swabwave replan: --changes wants SITE=DESKS pairs, got '" << change << "'\n";
      return 2;
    }
    v1::SiteChange* site = request.add_changes();
    site->set_site_id(std::string(parts.first));
    site->set_desks(desks);
  }
  request.mutable_options()->set_per_desk_rate_per_hour(options.rate);
  request.mutable_options()->set_utilization(options.utilization);
  Client client(options.client);
  v1::ReplanRoundResponse response;
  const grpc::Status status = Client::Call(
      [&](grpc::ClientContext& context) {
        return client.planning().ReplanRound(&context, request, &response);
      },
      absl::Minutes(10));
  if (!status.ok()) return Fail(status, "replan");
  const bool for_people = options.output == OutputFormat::kTable;
  if (for_people) PrintSummary(response.summary());
  if (for_people) {
    absl::PrintF("moved              %d households, %d untested residents to notify\n",
                 response.moved_households(), response.moved_size());
  }
  if (!options.csv.empty()) {
    std::ostringstream out;
    out << "resident,resident_code,from_site,from_wave,to_site,to_wave\n";
    for (const v1::MovedResident& m : response.moved()) {
      out << m.resident() << ',' << m.resident_code() << ',' << m.from_site_id() << ','
          << m.from_wave() << ',' << m.to_site_id() << ',' << m.to_wave() << '\n';
    }
    if (WriteExport("replan", options.csv, out.str()) != 0) return 1;
    if (PrintForScripts(options.output, response, "moved")) return 0;
    absl::PrintF("wrote %d moved residents to %s\n", response.moved_size(), options.csv);
    return 0;
  }
  if (PrintForScripts(options.output, response, "moved")) return 0;
  constexpr int kShown = 20;
  for (int i = 0; i < response.moved_size() && i < kShown; ++i) {
    const v1::MovedResident& m = response.moved(i);
    absl::PrintF("    resident %-9d %s wave %d -> %s wave %d\n", m.resident(), m.from_site_id(),
                 m.from_wave(), m.to_site_id(), m.to_wave());
  }
  if (response.moved_size() > kShown) {
    absl::PrintF("    ... %d more (--csv FILE writes them all, with resident codes)\n",
                 response.moved_size() - kShown);
  }
  return 0;
}

int Schedule(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::GetRoundRequest get_round;
  get_round.set_round(RoundArg(round));
  v1::GetRoundResponse round_response;
  grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
    return client.planning().GetRound(&context, get_round, &round_response);
  });
  if (!status.ok()) return Fail(status, "schedule");

  v1::ListAssignmentsRequest request;
  request.set_round(RoundArg(round));
  request.set_community_id(options.community);
  request.set_building_id(options.building);
  request.set_page_size(5000);
  std::vector<engine::ScheduleRow> rows;
  Pages<v1::ListAssignmentsResponse> pages;
  do {
    v1::ListAssignmentsResponse response;
    status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().ListAssignments(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "schedule");
    if (options.output != OutputFormat::kTable) pages.Add(response);
    for (const v1::Assignment& a : response.assignments()) {
      engine::ScheduleRow row;
      row.community_id = a.community_id();
      row.building_id = a.building_id();
      row.unit_id = a.unit_id();
      row.site_id = a.site_id();
      row.wave = a.wave();
      row.window_start = FromProto(a.window_start());
      row.window_end = FromProto(a.window_end());
      row.residents = a.residents();
      row.household_ids.assign(a.household_ids().begin(), a.household_ids().end());
      row.time_zone = round_response.round().time_zone();
      rows.push_back(std::move(row));
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());

  if (!options.csv.empty()) {
    if (WriteExport("schedule", options.csv, engine::FormatScheduleCsv(rows)) != 0) return 1;
    if (PrintForScripts(options.output, pages.merged(), "assignments")) return 0;
    absl::PrintF("wrote %d schedule rows to %s\n", rows.size(), options.csv);
    return 0;
  }
  if (PrintForScripts(options.output, pages.merged(), "assignments")) return 0;
  // The notices' local times, as residents read them.
  const absl::TimeZone zone = RoundZone(round_response.round());
  absl::PrintF("times %s\n", round_response.round().time_zone().empty()
                                  ? "UTC"
                                  : round_response.round().time_zone());
  Table table({{"community"},
               {"building"},
               {"unit"},
               {"site"},
               {"wave", Table::kRight},
               {"window"},
               {"residents", Table::kRight}});
  for (const engine::ScheduleRow& row : rows) {
    table.AddRow({row.community_id, row.building_id, row.unit_id, row.site_id,
                  absl::StrCat(row.wave),
                  absl::StrCat(absl::FormatTime("%H:%M", row.window_start, zone), "-",
                               absl::FormatTime("%H:%M", row.window_end, zone)),
                  absl::StrCat(row.residents, row.household_ids.empty() ? "" : " (part)")});
  }
  table.Print(stdout);
  return 0;
}

int DoorToDoor(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::ListDoorToDoorRequest request;
  request.set_round(RoundArg(round));
  int64_t visits = 0, buildings = 0;
  Pages<v1::ListDoorToDoorResponse> pages;
  do {
    v1::ListDoorToDoorResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.planning().ListDoorToDoor(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "door-to-door");
    pages.Add(response);
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, pages.merged(), "buildings")) return 0;
  {
    const v1::ListDoorToDoorResponse& response = pages.merged();
    for (const v1::DoorToDoorBuilding& b : response.buildings()) {
      ++buildings;
      absl::PrintF("%s/%s: %d visits\n", b.community_id(), b.building_id(), b.visits_size());
      for (const v1::DoorToDoorVisit& v : b.visits()) {
        absl::PrintF("    resident %-9d unit %-20s household %s\n", v.resident_id(), v.unit_id(),
                     v.household_id());
      }
      visits += b.visits_size();
    }
  }
  absl::PrintF("%d door-to-door visits in %d buildings\n", visits, buildings);
  return 0;
}

int Progress(const Options& options, const std::string& round) {
  v1::ProgressLevel level;
  const std::string name = absl::StrCat("PROGRESS_LEVEL_", absl::AsciiStrToUpper(options.level));
  if (!v1::ProgressLevel_Parse(name, &level) || level == v1::PROGRESS_LEVEL_UNSPECIFIED) {
    std::cerr << "swabwave progress: --level must be community, compound, building, site, "
                 "wave or team\n";
    return 2;
  }
  Client client(options.client);
  v1::GetProgressRequest request;
  request.set_round(RoundArg(round));
  request.set_level(level);
  request.set_page_size(5000);
  const bool teams = level == v1::PROGRESS_LEVEL_TEAM;
  Table table = teams ? Table({{"key"},
                               {"label"},
                               {"sampled", Table::kRight},
                               {"off route", Table::kRight},
                               {"visits", Table::kRight}})
                      : Table({{"key"},
                               {"label"},
                               {"due", Table::kRight},
                               {"sampled", Table::kRight},
                               {"remaining", Table::kRight},
                               {"exempt", Table::kRight},
                               {"d2d", Table::kRight},
                               {"here", Table::kRight},
                               {"off plan", Table::kRight}});
  bool first = true;
  Pages<v1::GetProgressResponse> pages;
  do {
    v1::GetProgressResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.progress().GetProgress(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "progress");
    if (options.output != OutputFormat::kTable) {
      pages.Add(response);
      request.set_page_token(response.next_page_token());
      continue;
    }
    if (first) {
      const v1::Counts& t = response.total();
      absl::PrintF(
          "total: due %d, sampled %d, remaining %d, exempt %d, door-to-door left %d, "
          "tubes sealed %d\n",
          t.due(), t.sampled(), t.remaining(), t.exempt(), t.door_to_door(),
          response.tubes_sealed());
      absl::PrintF(
          "visited: not home %d, refused %d, in hospital %d, moved away %d; unaccounted %d\n",
          t.not_home(), t.refused(), t.in_hospital(), t.moved_away(), t.unaccounted());
      if (response.has_lab()) {
        const v1::LabCounts& l = response.lab();
        absl::PrintF(
            "after the swab: result pending %d, negative %d, recalled %d, resample due %d, "
            "retest pending %d, retest negative %d, cases %d, retest invalid %d; boxes %d "
            "(received %d, warning %d, breach %d)\n",
            l.result_pending(), l.negative(), l.recalled(), l.resample_due(), l.retest_pending(),
            l.retest_negative(), l.cases(), l.retest_invalid(), l.boxes(), l.boxes_received(),
            l.box_warnings(), l.box_breaches());
      }
      first = false;
    }
    for (const v1::ProgressRow& row : response.rows()) {
      const v1::Counts& c = row.counts();
      using absl::StrCat;
      if (teams) {
        table.AddRow({row.key(), row.label(), StrCat(row.check_ins_here()), StrCat(row.off_plan()),
                      StrCat(row.visits_here())});
      } else {
        table.AddRow({row.key(), row.label(), StrCat(c.due()), StrCat(c.sampled()),
                      StrCat(c.remaining()), StrCat(c.exempt()), StrCat(c.door_to_door()),
                      StrCat(row.check_ins_here()), StrCat(row.off_plan())});
      }
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, pages.merged(), "rows")) return 0;
  table.Print(stdout);
  return 0;
}

int Untested(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::ListUntestedRequest request;
  request.set_round(RoundArg(round));
  request.set_community_id(options.community);
  request.set_building_id(options.building);
  request.set_page_size(1000);
  int64_t shown = 0;
  const int64_t limit = options.limit > 0 ? options.limit : INT64_MAX;
  const bool for_people = options.output == OutputFormat::kTable;
  v1::ListUntestedResponse listed;  // --output json|csv: the residents listed
  do {
    v1::ListUntestedResponse response;
    const grpc::Status status = Client::Call([&](grpc::ClientContext& context) {
      return client.progress().ListUntested(&context, request, &response);
    });
    if (!status.ok()) return Fail(status, "untested");
    for (const v1::UntestedResident& u : response.residents()) {
      if (shown == limit) break;
      ++shown;
      if (!for_people) {
        *listed.add_residents() = u;
        continue;
      }
      // "visited 2x, not home" tells a resident the teams found out from
      // one nobody has called on yet.
      std::string visited;
      if (u.visits() > 0) {
        visited = absl::StrCat("  visited ", u.visits(), "x, ",
                               absl::AsciiStrToLower(absl::StrReplaceAll(
                                   v1::VisitOutcome_Name(u.last_visit()).substr(14), {{"_", " "}})));
      }
      absl::PrintF(
          "%-9d %-18s %-12s %-16s %-20s %-24s %s%s\n", u.resident_id(), u.code(),
          u.community_id(), u.building_id(), u.unit_id(), u.household_id(),
          u.door_to_door() ? "door-to-door" : absl::StrCat(u.site_id(), " wave ", u.wave()),
          visited);
    }
    request.set_page_token(shown == limit ? "" : response.next_page_token());
  } while (!request.page_token().empty());
  if (PrintForScripts(options.output, listed, "residents")) return 0;
  absl::PrintF("%d untested residents listed\n", shown);
  return 0;
}

int Watch(const Options& options, const std::string& round) {
  Client client(options.client);
  v1::Round about;
  if (const grpc::Status status = FetchRound(client, round, &about); !status.ok()) {
    return Fail(status, "watch");
  }
  v1::WatchProgressRequest request;
  request.set_round(RoundArg(round));
  if (options.interval > absl::ZeroDuration())
    ToProto(options.interval, request.mutable_interval());
  grpc::ClientContext context;
  auto reader = client.progress().WatchProgress(&context, request);
  v1::WatchProgressResponse update;
  bool header = options.output == OutputFormat::kCsv;
  while (reader->Read(&update)) {
    // A stream of updates: one JSON line, or one CSV row, each.
    if (options.output == OutputFormat::kJson) {
      std::fputs((JsonLine(update) + "\n").c_str(), stdout);
      std::fflush(stdout);
      continue;
    }
    if (options.output == OutputFormat::kCsv) {
      std::vector<std::string> cells = CsvRow(update);
      std::string text;
      if (header) {
        const std::vector<std::string> columns = CsvColumns(*update.GetDescriptor());
        engine::AppendCsvRow(std::vector<absl::string_view>(columns.begin(), columns.end()), text);
        header = false;
      }
      engine::AppendCsvRow(std::vector<absl::string_view>(cells.begin(), cells.end()), text);
      std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
      continue;
    }
    const v1::Counts& t = update.total();
    absl::PrintF("%s  sampled %d / %d due, remaining %d, %.0f check-ins/s, %d tubes sealed%s\n",
                 absl::FormatTime("%H:%M:%S", FromProto(update.as_of()), RoundZone(about)),
                 t.sampled(), t.due(), t.remaining(), update.check_ins_per_second(),
                 update.tubes_sealed(), update.round_closed() ? "  (round closed)" : "");
    std::fflush(stdout);
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(status, "watch");
  return 0;
}

int TokensCheck(const Options& options, const std::string& path) {
  absl::StatusOr<std::string> checked = CheckTokensFile(path);
  if (!checked.ok()) {
    std::cerr << "swabwave tokens check: " << checked.status().message()
              << "\nswabwaved would keep its old tokens on SIGHUP: fix the line first\n";
    return 1;
  }
  google::protobuf::Struct summary;
  (*summary.mutable_fields())["file"].set_string_value(path);
  (*summary.mutable_fields())["loads"].set_bool_value(true);
  (*summary.mutable_fields())["tokens"].set_string_value(*checked);
  if (PrintForScripts(options.output, summary)) return 0;
  std::cout << *checked << "; swabwaved loads it on SIGHUP\n";
  return 0;
}

int NewToken(const Options& options) {
  std::string scope;
  if (options.role == "command") {
    if (options.communities.empty()) {
      std::cerr << "swabwave new-token: a command token needs --communities C1,C2 (or '*')\n";
      return 2;
    }
    scope = absl::StrCat(" communities=", options.communities);
  } else if (options.role == "tablet") {
    if (options.site.empty()) {
      std::cerr << "swabwave new-token: a tablet token needs --site S\n";
      return 2;
    }
    scope = absl::StrCat(" site=", options.site);
  } else if (options.role == "team") {
    if (options.team.empty()) {
      std::cerr << "swabwave new-token: a team token needs --team COMMUNITY/N (N from 1)\n";
      return 2;
    }
    scope = absl::StrCat(" team=", options.team);
  } else if (options.role == "lab") {
    if (options.lab.empty()) {
      std::cerr << "swabwave new-token: a lab token needs --lab LAB_ID\n";
      return 2;
    }
    scope = absl::StrCat(" lab=", options.lab);
  } else if (options.role != "courier") {
    std::cerr << "swabwave new-token: --role must be command, tablet, team, courier or lab\n";
    return 2;
  }
  if (options.token_rate >= 0) absl::StrAppend(&scope, " rate=", options.token_rate);
  absl::StatusOr<std::string> token = services::NewToken();
  if (!token.ok()) return Fail(token.status(), "new-token");
  const std::string line = absl::StrCat(Sha256Hex(*token), " ", options.role, scope);
  // Check the line as the server will read it.
  if (absl::StatusOr<std::shared_ptr<const TokenSet>> parsed =
          TokenSet::Parse(line, "the new line", 0);
      !parsed.ok()) {
    return Fail(parsed.status(), "new-token");
  }
  if (options.tokens_file.empty()) {
    std::cerr << "add this line to the server's tokens file:\n" << line << "\n";
  } else {
    // Owner-only: the file holds no token, but who may do what is the
    // operator's business.
    const int fd = open(options.tokens_file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    const std::string text = line + "\n";
    if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      std::cerr << "swabwave new-token: cannot append to " << options.tokens_file << "\n";
      if (fd >= 0) close(fd);
      return 1;
    }
    close(fd);
    std::cerr << "added to " << options.tokens_file
              << "; send swabwaved SIGHUP to load it. The token (shown once):\n";
  }
  google::protobuf::Struct made;
  (*made.mutable_fields())["token"].set_string_value(*token);
  (*made.mutable_fields())["tokens_file_line"].set_string_value(line);
  (*made.mutable_fields())["role"].set_string_value(options.role);
  if (PrintForScripts(options.output, made)) return 0;
  std::cout << *token << "\n";
  return 0;
}

}  // namespace swabwave::services::cli
