// swabwave-replay: plays sampling-site tablets against a running swabwaved.
// This first mode takes its work from the server: every untested resident
// due at a site is checked in at one of that site's desks, flat out, one
// CheckInStream per desk, and the tool prints the achieved rate.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "services/replay/tablet_fleet.h"
#include "services/swabwave/client_flags.h"

ABSL_FLAG(std::string, round, "", "round id (or rounds/{id}) to play");
ABSL_FLAG(int, batch, 32, "check-ins per stream message");
ABSL_FLAG(int, window, 256, "check-ins in flight per desk");
ABSL_FLAG(double, fraction, 1.0,
          "share of each desk's untested residents to check in (0-1]; the rest stay untested "
          "for a later run");
ABSL_FLAG(int, tube_series, 0,
          "a number put into the tube barcodes, so a later run over the same round scans new "
          "tubes");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "swabwave-replay --round R [--server host:port]: every desk's tablet checks its "
      "residents in, flat out");
  absl::ParseCommandLine(argc, argv);
  std::string round = absl::GetFlag(FLAGS_round);
  if (round.empty()) {
    std::cerr << "swabwave-replay: --round is required\n";
    return 2;
  }
  if (round.rfind("rounds/", 0) != 0) round = "rounds/" + round;
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
  // --token (a command token) reads the work; --site_tokens gives each
  // site's tablets theirs.
  swabwave::services::Client client(*client_options);
  auto work = swabwave::services::WorkFromServer(client, round);
  if (!work.ok()) {
    std::cerr << "swabwave-replay: reading the work failed: " << work.status().message() << "\n";
    return 1;
  }
  for (swabwave::services::DeskWork& desk : *work) {
    desk.codes.resize(static_cast<size_t>(std::ceil(desk.codes.size() * fraction)));
  }
  auto report = swabwave::services::RunFleet(client, *work, options);
  if (!report.ok()) {
    std::cerr << "swabwave-replay: " << report.status().message() << "\n";
    return 1;
  }
  absl::PrintF("desks              %d (one CheckInStream each, %d in flight, %d per message)\n",
               report->desks, options.window, options.batch);
  absl::PrintF("tubes              %d racked, %d partly filled sealed by hand\n",
               report->tubes_racked, report->tubes_sealed_by_hand);
  absl::PrintF("check-ins          %d sent, %d sampled, %d already sampled, %d errors\n",
               report->sent, report->sampled, report->already_sampled, report->errors);
  absl::PrintF("rate               %.0f check-ins/s (%s streaming)\n",
               report->check_ins_per_second(), absl::FormatDuration(report->elapsed));
  const swabwave::services::LogLinearHistogram& latency = report->latency;
  absl::PrintF("latency            p50 %s, p90 %s, p99 %s, p99.9 %s, max %s "
               "(per check-in, message written to answer read)\n",
               absl::FormatDuration(latency.Percentile(50)),
               absl::FormatDuration(latency.Percentile(90)),
               absl::FormatDuration(latency.Percentile(99)),
               absl::FormatDuration(latency.Percentile(99.9)), absl::FormatDuration(latency.max()));
  return report->errors == 0 && report->already_sampled == 0 ? 0 : 1;
}
