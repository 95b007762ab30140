// TabletFleet: plays every desk's tablet against a running swabwaved, the
// way sites do on the day — one CheckInStream per desk, many check-ins in
// flight, tubes scanned into each desk's rack — and reports what happened.
//
// The work comes from the server itself (every untested resident due at a
// site, spread over that site's desks, all at once) or from a day trace
// (services/replay/day_trace.h: each scan at its moment, replayed at a
// speed factor). Tubes are racked before the clock starts (a box of
// labelled tubes scanned in), and each desk's last, partly filled tube is
// sealed at the end. Every scan's outcome is kept, in scan order (a stream
// answers in message order), for the caller to verify.
//
// Thread-safety: RunFleet is called from one thread; its stream reactors
// run on gRPC's threads.
#ifndef SWABWAVE_SERVICES_REPLAY_TABLET_FLEET_H_
#define SWABWAVE_SERVICES_REPLAY_TABLET_FLEET_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/replay/log_linear_histogram.h"
#include "services/swabwave/client.h"

namespace swabwave::services {

struct FleetOptions {
  std::string round;  // "rounds/{id}"
  int batch = 32;     // check-ins per stream message
  int window = 256;   // check-ins in flight per desk
  absl::Duration timeout = absl::Minutes(30);
  // Tube barcodes carry the series (when not 0), so a second run over the
  // same round scans new tubes rather than ones already used.
  int tube_series = 0;
  // What tube barcodes start with: "T" for sites' desks, another for
  // teams' (services/replay/door_teams.h), so neither scans the other's.
  std::string tube_prefix = "T";
  // Send households scanned together as groups (CheckInRequest.group), each
  // within one message; false: the same scans in plain scan order.
  bool send_groups = true;
  // Scans are sent at their `send_at` divided by this; 0: flat out (all at
  // once, in order, with the server's clock as the scan time).
  double speed = 0;
  // Called about twice a second while the streams run, and once at the
  // end: scans answered, scans in all, answers per second lately.
  std::function<void(int64_t answered, int64_t total, double rate)> progress;
};

// One scan a desk's tablet makes.
struct Scan {
  std::string code;        // the resident's QR code
  std::string request_id;  // empty: the fleet makes one, unique to the run
  // From the start of the day: when the tablet sends it, and when it was
  // scanned (earlier for a batch held while offline). With a speed the
  // scan time sent is the replay's start plus scanned_at / speed.
  absl::Duration send_at;
  absl::Duration scanned_at;
  // A household scanned together: one after another, the same label.
  std::string group;
};

// What one desk's tablet will scan.
struct DeskWork {
  std::string desk;         // "sites/{site}/desks/{n}"
  std::string site_id;      // {site}: whose tablet token the desk uses
  std::vector<Scan> scans;  // in send order
};

// What the server answered to one scan.
struct ScanOutcome {
  int code = -1;  // grpc::StatusCode; -1: never answered (the stream broke)
  bool replayed = false;
  std::string tube_barcode;
  int position = 0;
};

struct FleetReport {
  int desks = 0;
  int64_t sent = 0;
  int64_t sampled = 0;
  int64_t replayed = 0;
  int64_t already_sampled = 0;
  int64_t errors = 0;  // outcomes other than OK and ALREADY_EXISTS
  std::array<int64_t, 17> by_code{};
  int64_t tubes_racked = 0;
  int64_t tubes_sealed_by_hand = 0;
  int64_t stream_failures = 0;
  std::string first_error;  // the message of the first error answered, if any
  std::vector<std::vector<ScanOutcome>> outcomes;  // [desk][scan]
  absl::Duration elapsed;  // streaming only (tubes racked before)
  // CPU time this whole process used while streaming, in user space and in
  // the kernel. A load generator that keeps its machine's cores busy is
  // measuring itself, not the server (and with the server in the same
  // process, as in bench/grpc_ceiling, it is the cost per check-in).
  absl::Duration cpu_user;
  absl::Duration cpu_kernel;
  // Per check-in, from its message's write to its outcome's arrival.
  LogLinearHistogram latency;
  double check_ins_per_second() const {
    const double seconds = absl::ToDoubleSeconds(elapsed);
    return seconds > 0 ? static_cast<double>(sent) / seconds : 0;
  }
};

// Every untested resident due at a site, dealt round-robin over the site's
// desks (door-to-door residents are left to the home-visit teams).
[[nodiscard]] absl::StatusOr<std::vector<DeskWork>> WorkFromServer(Client& client,
                                                                   const std::string& round);

// Racks tubes, streams every desk's work at once, seals the last tubes.
[[nodiscard]] absl::StatusOr<FleetReport> RunFleet(Client& client,
                                                   const std::vector<DeskWork>& work,
                                                   const FleetOptions& options);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_TABLET_FLEET_H_
