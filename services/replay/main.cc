// swabwave-replay: plays sampling-site tablets against a running swabwaved,
// one CheckInStream per desk, as the sites do on the day.
//
//   swabwave-replay --round R
//       every untested resident due at a site checks in at one of its
//       desks, flat out; prints the achieved rate and latency.
//   swabwave-replay generate --round R --out day.csv [--misbehave] [--seed N]
//                            [--households_together]
//       writes the round's day as a trace (services/replay/day_trace.h).
//   swabwave-replay export --data_dir DIR --round R --out day.csv
//       writes a real past day from a server's journal as a trace (the
//       journal is copied first; a running server is not disturbed).
//   swabwave-replay play --round R --trace day.csv [--speed 1000] [--json report.json]
//       replays a trace at a speed factor (0: flat out), then verifies the
//       server's end state against it; exits 1 on any mismatch. A trace
//       generated with --households_together sends each household as one
//       group (--plain_order: without), and prints the pooling figures.
//   swabwave-replay teams --round R --team_tokens FILE [--call N] [--seed N]
//       sends the door-to-door teams on their routes (services/replay/
//       door_teams.h): each samples at the door or records the visit; the
//       Nth call finds other doors open than the first.
//   swabwave-replay lab --round R --site_tokens F --team_tokens F --courier_token T
//                       --lab_token T [--hold_boxes K] [--missing_tubes K]
//       the day after the swab (services/replay/lab_day.h): every site and
//       team packs its sealed tubes, a courier ships them, the lab reports
//       results, the teams retest everyone called back; then verifies the
//       end state and exits 1 on any mismatch.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "services/api/status.h"
#include "services/replay/day_trace.h"
#include "services/replay/door_teams.h"
#include "services/replay/journal_export.h"
#include "services/replay/lab_day.h"
#include "services/replay/pooling_figures.h"
#include "services/replay/report_json.h"
#include "services/replay/tablet_fleet.h"
#include "services/swabwave/client_absl_flags.h"
#include "swabwave/version.h"

ABSL_FLAG(std::string, round, "", "round id (or rounds/{id}) to play");
ABSL_FLAG(int, batch, 32, "check-ins per stream message");
ABSL_FLAG(int, window, 256, "check-ins in flight per desk");
ABSL_FLAG(double, fraction, 1.0,
          "share of each desk's untested residents to check in (0-1]; the rest stay untested "
          "for a later run");
ABSL_FLAG(int, tube_series, 0,
          "a number put into the tube barcodes, so a later run over the same round scans new "
          "tubes");
ABSL_FLAG(std::string, out, "", "generate: where to write the trace");
ABSL_FLAG(bool, misbehave, false,
          "generate: tablets also retry with the same request id, double-scan at another desk, "
          "and go offline and upload late");
ABSL_FLAG(uint64_t, seed, 1, "generate: random seed (same seed and round, same day)");
ABSL_FLAG(bool, households_together, false,
          "generate: each household arrives together, at one desk, scanned as one group");
ABSL_FLAG(bool, plain_order, false,
          "play: send a trace's households in plain scan order, without their groups");
ABSL_FLAG(double, household_prevalence, 0.002,
          "play: share of households infected, for the pooling figures' recalls");
ABSL_FLAG(double, attack_rate, 0.4,
          "play: chance that each other member of an infected household is positive");
ABSL_FLAG(std::string, trace, "", "play: the trace to replay");
ABSL_FLAG(std::string, data_dir, "", "export: the server's journal directory");
ABSL_FLAG(double, speed, 1000,
          "play: how many times faster than the day (1: real time; 0: flat out)");
ABSL_FLAG(std::string, json, "",
          "also write the report as JSON to this file (every mode; play adds the day's check)");
ABSL_FLAG(int, call, 1, "teams: which time the teams are sent (from 1); each call draws anew");
ABSL_FLAG(double, not_home, 0.15, "teams: share of doors where nobody answers");
ABSL_FLAG(double, refused, 0.02, "teams: share of residents who refuse the swab");
ABSL_FLAG(double, in_hospital, 0.02, "teams: share of residents found in hospital");
ABSL_FLAG(double, moved_away, 0.02, "teams: share of residents found moved away");
ABSL_FLAG(int, box_tubes, 100, "lab: tubes per box (at most the round's box capacity)");
ABSL_FLAG(std::string, lab_id, "lab-1", "lab: the lab that receives the boxes");
ABSL_FLAG(std::string, courier_token, "", "lab: the courier's token");
ABSL_FLAG(std::string, lab_token, "", "lab: the lab's token (bound to --lab_id)");
ABSL_FLAG(double, positive, 0.02, "lab: share of pooled tubes found positive");
ABSL_FLAG(double, invalid, 0.005, "lab: share of pooled tubes found invalid");
ABSL_FLAG(double, retest_positive, 0.1,
          "lab: share of recalled residents whose own follow-up swab is positive (a case)");
ABSL_FLAG(int, hold_boxes, 0,
          "lab: boxes the courier leaves on the table this call (a later call ships them late)");
ABSL_FLAG(int, missing_tubes, 0, "lab: tubes the lab does not find in the first box it opens");
ABSL_FLAG(int, in_flight, 4, "lab: ReportResults calls in flight at once (the lab's instruments)");
ABSL_FLAG(double, neighbours, 0.05,
          "teams: share of route buildings where the team samples a neighbour due at a site");

namespace {

using swabwave::services::FleetReport;

int Fail(const std::string& what) {
  std::cerr << "swabwave-replay: " << what << "\n";
  return 1;
}

// --json FILE: the report for scripts; false (after saying why) when it
// cannot be written.
bool WriteJsonReport(const nlohmann::json& report) {
  const std::string path = absl::GetFlag(FLAGS_json);
  if (path.empty()) return true;
  if (absl::Status written = swabwave::services::WriteReportJson(path, report); !written.ok()) {
    std::cerr << "swabwave-replay: cannot write --json " << path << ": " << written.message()
              << "\n";
    return false;
  }
  return true;
}

void PrintReport(const FleetReport& report, const swabwave::services::FleetOptions& options) {
  absl::PrintF("desks              %d (one CheckInStream each, %d in flight, %d per message)\n",
               report.desks, options.window, options.batch);
  absl::PrintF("tubes              %d racked, %d partly filled sealed by hand\n",
               report.tubes_racked, report.tubes_sealed_by_hand);
  absl::PrintF("check-ins          %d sent, %d sampled, %d already sampled, %d errors\n",
               report.sent, report.sampled, report.already_sampled, report.errors);
  absl::PrintF("rate               %.0f check-ins/s (%s streaming)\n",
               report.check_ins_per_second(), absl::FormatDuration(report.elapsed));
  const swabwave::services::LogLinearHistogram& latency = report.latency;
  absl::PrintF("latency            p50 %s, p90 %s, p99 %s, p99.9 %s, max %s "
               "(per check-in, message written to answer read)\n",
               absl::FormatDuration(latency.Percentile(50)),
               absl::FormatDuration(latency.Percentile(90)),
               absl::FormatDuration(latency.Percentile(99)),
               absl::FormatDuration(latency.Percentile(99.9)), absl::FormatDuration(latency.max()));
  std::string codes;
  for (size_t c = 0; c < report.by_code.size(); ++c) {
    if (report.by_code[c] > 0) absl::StrAppendFormat(&codes, " %d:%d", c, report.by_code[c]);
  }
  absl::PrintF("answers by code   %s\n", codes);
}

// The pooling figures of a day whose trace has households (issue 17);
// false when a household sent as a group was split although it fits a tube.
bool PrintPooling(const std::vector<swabwave::services::DeskWork>& work,
                  const FleetReport& report, int pool_ratio, bool sent_as_groups) {
  swabwave::services::InfectionModel model;
  model.seed = absl::GetFlag(FLAGS_seed);
  model.household_prevalence = absl::GetFlag(FLAGS_household_prevalence);
  model.attack_rate = absl::GetFlag(FLAGS_attack_rate);
  const swabwave::services::PoolingFigures f =
      swabwave::services::MeasurePooling(work, report, pool_ratio, model);
  absl::PrintF("pooling            %s: %d residents of %d households in %d tubes, "
               "%.2f households a tube, %d households split\n",
               sent_as_groups ? "households together" : "plain scan order", f.residents,
               f.households, f.tubes, f.households_per_tube, f.households_split);
  absl::PrintF("recalls            %.3f people recalled per positive resident (%d recalled for %d "
               "positives in %d positive tubes over %d simulated days: households infected "
               "%.4f, attack rate %.2f)\n",
               f.recalled_per_positive(), f.recalled, f.positives, f.positive_tubes, model.trials,
               model.household_prevalence, model.attack_rate);
  if (sent_as_groups && f.households_split > 0) {
    absl::PrintF("MISMATCH           %d households sent together were split over tubes\n",
                 f.households_split);
    return false;
  }
  return true;
}

// Residents sampled in the round so far, from the server.
absl::StatusOr<int64_t> SampledSoFar(swabwave::services::Client& client, const std::string& round) {
  swabwave::v1::GetProgressRequest request;
  request.set_round(round);
  request.set_level(swabwave::v1::PROGRESS_LEVEL_COMMUNITY);
  swabwave::v1::GetProgressResponse response;
  const grpc::Status status =
      swabwave::services::Client::Call([&](grpc::ClientContext& context) {
        return client.progress().GetProgress(&context, request, &response);
      });
  if (!status.ok()) return swabwave::services::FromGrpcStatus(status);
  return response.total().sampled();
}

// The teams' call: samples at the doors, then the other visits.
int PlayTeams(swabwave::services::Client& client, swabwave::services::FleetOptions options) {
  swabwave::services::TeamDayOptions day;
  day.seed = absl::GetFlag(FLAGS_seed);
  day.call = absl::GetFlag(FLAGS_call);
  day.not_home = absl::GetFlag(FLAGS_not_home);
  day.refused = absl::GetFlag(FLAGS_refused);
  day.in_hospital = absl::GetFlag(FLAGS_in_hospital);
  day.moved_away = absl::GetFlag(FLAGS_moved_away);
  day.neighbours = absl::GetFlag(FLAGS_neighbours);
  const double shares[] = {day.not_home, day.refused, day.in_hospital, day.moved_away,
                           day.neighbours};
  for (double share : shares) {
    if (!(share >= 0 && share <= 1)) return Fail("each share (--not_home ...) must be in [0, 1]");
  }
  if (day.not_home + day.refused + day.in_hospital + day.moved_away > 1 || day.call < 1) {
    return Fail("--not_home + --refused + --in_hospital + --moved_away must be at most 1, and "
                "--call at least 1");
  }
  // The teams' tubes are their own: a prefix per call, so a second call
  // racks new ones.
  options.tube_prefix = absl::StrCat("D", day.call);
  auto work = swabwave::services::TeamWorkFromServer(client, options.round, day);
  if (!work.ok()) return Fail(absl::StrCat("reading the routes failed: ", work.status().message()));
  auto report = swabwave::services::RunTeams(client, *work, options);
  if (!report.ok()) return Fail(std::string(report.status().message()));
  const swabwave::services::FleetReport& at_doors = report->check_ins;
  const auto& by = report->by_outcome;
  absl::PrintF("teams              %d on call %d (one CheckInStream each, RecordVisit for the rest)\n",
               work->size(), day.call);
  absl::PrintF("at the door        %d sent, %d sampled (%d neighbours off route), %d errors\n",
               at_doors.sent, at_doors.sampled, report->off_route, at_doors.errors);
  absl::PrintF("rate               %.0f check-ins/s (%s streaming)\n",
               at_doors.check_ins_per_second(), absl::FormatDuration(at_doors.elapsed));
  absl::PrintF("visits             %d recorded: not home %d, refused %d, in hospital %d, "
               "moved away %d; %d errors\n",
               report->visits, by[swabwave::v1::VISIT_OUTCOME_NOT_HOME],
               by[swabwave::v1::VISIT_OUTCOME_REFUSED], by[swabwave::v1::VISIT_OUTCOME_IN_HOSPITAL],
               by[swabwave::v1::VISIT_OUTCOME_MOVED_AWAY], report->visit_errors);
  if (report->visit_errors > 0) {
    absl::PrintF("first visit error  %s\n", report->first_visit_error);
  }
  if (at_doors.errors > 0) absl::PrintF("first error        %s\n", at_doors.first_error);
  const bool clean = at_doors.errors == 0 && at_doors.already_sampled == 0 &&
                     report->visit_errors == 0;
  if (!WriteJsonReport(swabwave::services::TeamReportJson(*report, work->size(), day.call))) {
    return 1;
  }
  return clean ? 0 : 1;
}

// The day after the swab: boxes, results, recalls and retests, verified.
int PlayLabDay(swabwave::services::Client& client, const std::string& round) {
  swabwave::services::LabDayOptions day;
  day.round = round;
  day.seed = absl::GetFlag(FLAGS_seed);
  day.box_tubes = absl::GetFlag(FLAGS_box_tubes);
  day.lab_id = absl::GetFlag(FLAGS_lab_id);
  day.courier_token = absl::GetFlag(FLAGS_courier_token);
  day.lab_token = absl::GetFlag(FLAGS_lab_token);
  day.positive = absl::GetFlag(FLAGS_positive);
  day.invalid = absl::GetFlag(FLAGS_invalid);
  day.retest_positive = absl::GetFlag(FLAGS_retest_positive);
  day.hold_boxes = absl::GetFlag(FLAGS_hold_boxes);
  day.missing_tubes = absl::GetFlag(FLAGS_missing_tubes);
  day.in_flight = absl::GetFlag(FLAGS_in_flight);
  for (double share : {day.positive, day.invalid, day.retest_positive}) {
    if (!(share >= 0 && share <= 1)) {
      return Fail("--positive, --invalid and --retest_positive are shares in [0, 1]");
    }
  }
  if (day.positive + day.invalid > 1 || day.box_tubes < 1 || day.hold_boxes < 0 ||
      day.missing_tubes < 0 || day.in_flight < 1) {
    return Fail("need --positive + --invalid <= 1, --box_tubes and --in_flight >= 1, "
                "--hold_boxes and --missing_tubes >= 0");
  }
  auto report = swabwave::services::RunLabDay(client, day);
  if (!report.ok()) return Fail(std::string(report.status().message()));
  const swabwave::services::LabDayReport& r = *report;
  absl::PrintF("packed             %d tubes in %d boxes (%d held back by the courier)\n",
               r.tubes_packed, r.boxes_packed, r.boxes_held);
  absl::PrintF("shipped            %d boxes picked up, %d received by %s, %d tubes missing\n",
               r.boxes_picked_up, r.boxes_received, day.lab_id, r.tubes_missing);
  absl::PrintF("results            %d sent, %d recorded (%d positive, %d invalid), %d replayed; "
               "%.0f results/s\n",
               r.results_sent, r.results_recorded, r.positive, r.invalid, r.results_replayed,
               r.results_per_second());
  absl::PrintF("follow-up swabs    %d taken, %d replayed\n", r.follow_ups, r.follow_ups_replayed);
  absl::PrintF("recalled           %d residents of %d positive tubes\n", r.recalled,
               r.recall_tubes);
  absl::PrintF("resampled          %d residents of %d tubes (invalid, lost, or in %d late boxes)\n",
               r.resampled, r.resample_tubes, r.late_boxes);
  absl::PrintF("retested           %d of %d called back; %d cases\n", r.retested,
               r.recalled + r.resampled, r.cases);
  absl::PrintF("errors             %d%s\n", r.errors,
               r.first_error.empty() ? "" : absl::StrCat(" (first: ", r.first_error, ")"));
  for (const std::string& line : r.mismatches) absl::PrintF("MISMATCH           %s\n", line);
  if (!WriteJsonReport(swabwave::services::LabDayReportJson(r))) return 1;
  return r.errors == 0 && r.mismatches.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // --version: the version and the source revision built (cmake/Version.cmake).
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] {
    return absl::StrCat("swabwave-replay ", swabwave::kVersion, " (revision ", swabwave::kRevision,
                        ")\n");
  };
  absl::SetFlagsUsageConfig(usage_config);
  // As swabwaved: absl's deadlock detection keeps a graph of every lock
  // taken, a cost on every lock of every stream and call in flight.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "swabwave-replay [generate|play] --round R [--server host:port]: plays every desk's "
      "tablet against swabwaved (see the header of services/replay/main.cc)");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string mode = positional.size() > 1 ? positional[1] : "";
  if (mode != "" && mode != "generate" && mode != "export" && mode != "play" && mode != "teams" &&
      mode != "lab") {
    std::cerr << "swabwave-replay: unknown mode '" << mode
              << "': generate, export, play, teams, lab, or none\n";
    return 2;
  }
  std::string round = absl::GetFlag(FLAGS_round);
  if (round.empty()) {
    std::cerr << "swabwave-replay: --round is required\n";
    return 2;
  }
  if (round.rfind("rounds/", 0) != 0) round = "rounds/" + round;
  if (mode == "export") {
    const std::string out = absl::GetFlag(FLAGS_out);
    const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
    if (out.empty() || data_dir.empty()) return Fail("export needs --data_dir DIR and --out FILE");
    auto rows = swabwave::services::ExportDay(data_dir, round.substr(7));
    if (!rows.ok()) return Fail(std::string(rows.status().message()));
    if (absl::Status s = swabwave::services::WriteTrace(out, *rows); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    absl::PrintF("wrote %d check-ins of %s to %s\n", rows->size(), round, out);
    return 0;
  }
  swabwave::services::FleetOptions options;
  options.round = round;
  options.batch = absl::GetFlag(FLAGS_batch);
  options.window = absl::GetFlag(FLAGS_window);
  options.tube_series = absl::GetFlag(FLAGS_tube_series);
  const double fraction = absl::GetFlag(FLAGS_fraction);
  if (options.batch < 1 || options.batch > 1000 || options.window < options.batch) {
    std::cerr << "swabwave-replay: need 1 <= --batch <= 1000 and --window >= --batch\n";
    return 2;
  }
  if (!(fraction > 0 && fraction <= 1) || options.tube_series < 0) {
    std::cerr << "swabwave-replay: need 0 < --fraction <= 1 and --tube_series >= 0\n";
    return 2;
  }
  absl::StatusOr<swabwave::services::ClientOptions> client_options =
      swabwave::services::ClientOptionsFromFlags();
  if (!client_options.ok()) {
    std::cerr << "swabwave-replay: " << client_options.status().message() << "\n";
    return 2;
  }
  // --token (a command token) reads the work and the progress;
  // --site_tokens gives each site's tablets theirs.
  swabwave::services::Client client(*client_options);

  if (mode == "generate") {
    const std::string out = absl::GetFlag(FLAGS_out);
    if (out.empty()) return Fail("generate needs --out FILE");
    swabwave::services::DayOptions day;
    day.seed = absl::GetFlag(FLAGS_seed);
    day.misbehave = absl::GetFlag(FLAGS_misbehave);
    day.households_together = absl::GetFlag(FLAGS_households_together);
    auto rows = swabwave::services::GenerateDay(client, round, day);
    if (!rows.ok()) return Fail(absl::StrCat("generating the day: ", rows.status().message()));
    if (absl::Status s = swabwave::services::WriteTrace(out, *rows); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    absl::PrintF("wrote %d scans to %s\n", rows->size(), out);
    return 0;
  }

  if (mode == "teams") return PlayTeams(client, options);
  if (mode == "lab") return PlayLabDay(client, round);

  std::vector<swabwave::services::DeskWork> work;
  if (mode == "play") {
    const std::string trace = absl::GetFlag(FLAGS_trace);
    if (trace.empty()) return Fail("play needs --trace FILE");
    options.speed = absl::GetFlag(FLAGS_speed);
    if (!(options.speed >= 0)) return Fail("--speed must be 0 (flat out) or more");
    options.send_groups = !absl::GetFlag(FLAGS_plain_order);
    auto rows = swabwave::services::ReadTrace(trace);
    if (!rows.ok()) return Fail(std::string(rows.status().message()));
    work = swabwave::services::DeskWorkOf(*rows);
  } else {
    auto from_server = swabwave::services::WorkFromServer(client, round);
    if (!from_server.ok()) {
      return Fail(absl::StrCat("reading the work failed: ", from_server.status().message()));
    }
    work = *std::move(from_server);
    for (swabwave::services::DeskWork& desk : work) {
      desk.scans.resize(static_cast<size_t>(std::ceil(desk.scans.size() * fraction)));
    }
  }
  if (isatty(fileno(stderr))) {
    // A bar with the live rate for a person watching; scripts get none.
    options.progress = [](int64_t answered, int64_t total, double rate) {
      constexpr int kWidth = 40;
      const int filled = total > 0 ? static_cast<int>(kWidth * answered / total) : kWidth;
      absl::FPrintF(stderr, "\r[%s%s] %d/%d check-ins, %.0f/s   ", std::string(filled, '#'),
                    std::string(kWidth - filled, '.'), answered, total, rate);
    };
  }
  absl::StatusOr<int64_t> before = SampledSoFar(client, round);
  if (!before.ok()) return Fail(std::string(before.status().message()));
  auto report = swabwave::services::RunFleet(client, work, options);
  if (options.progress != nullptr) absl::FPrintF(stderr, "\n");
  if (!report.ok()) return Fail(std::string(report.status().message()));
  PrintReport(*report, options);
  if (mode != "play") {
    if (!WriteJsonReport(swabwave::services::FleetReportJson(*report))) return 1;
    return report->errors == 0 && report->already_sampled == 0 ? 0 : 1;
  }

  absl::StatusOr<int64_t> after = SampledSoFar(client, round);
  if (!after.ok()) return Fail(std::string(after.status().message()));
  swabwave::v1::GetRoundRequest get_round;
  get_round.set_round(round);
  swabwave::v1::GetRoundResponse got;
  const grpc::Status status =
      swabwave::services::Client::Call([&](grpc::ClientContext& context) {
        return client.planning().GetRound(&context, get_round, &got);
      });
  if (!status.ok()) return Fail(status.error_message());
  const swabwave::services::DayCheck check = swabwave::services::VerifyDay(
      work, *report, got.round().pool_ratio(), *before, *after);
  absl::PrintF("verified           %d residents in the trace, %d sampled exactly once\n",
               check.residents, check.sampled_once);
  for (const std::string& line : check.mismatches) absl::PrintF("MISMATCH           %s\n", line);
  const bool households = std::any_of(work.begin(), work.end(), [](const auto& desk) {
    return std::any_of(desk.scans.begin(), desk.scans.end(),
                       [](const swabwave::services::Scan& scan) { return !scan.group.empty(); });
  });
  if (households && !PrintPooling(work, *report, got.round().pool_ratio(), options.send_groups)) {
    return 1;
  }
  if (!WriteJsonReport(swabwave::services::DayReportJson(*report, check))) return 1;
  return check.mismatches.empty() ? 0 : 1;
}
