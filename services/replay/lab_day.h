// LabDay: plays the day after the swab against a running swabwaved, the
// way sites, couriers and a lab work it — every site and team packs its
// sealed tubes into boxes (ListTubesToPack, PackBox), a courier picks the
// boxes up, the lab receives them tube by tube and reports a result for
// each tube in batches (LabService.ReportResults), and the teams take one
// follow-up swab from each resident called back (a positive pool:
// recalled; an invalid pool, a late box, a lost tube: resampled). The
// follow-up tubes are packed, shipped and reported in turn. Then it checks
// the server's end state.
//
// What the lab finds is drawn from the seed and each tube's barcode
// (services/replay/seeded_draw.h), and every request id and barcode it
// makes comes from what it is about, so a second run (after a crash, say)
// answers `replayed` rather than doing anything twice. A run acts on what
// the server holds, so a later run is a later part of the same day: a run
// may keep boxes back from the courier (`hold_boxes`), and a later run, on
// a server whose clock has moved on, ships them late, past the 4 h limit.
// A run may also have the lab miss tubes in the first box it opens.
//
// Thread-safety: RunLabDay is called from one thread; it sends results from
// `in_flight` threads.
#ifndef SWABWAVE_SERVICES_REPLAY_LAB_DAY_H_
#define SWABWAVE_SERVICES_REPLAY_LAB_DAY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "services/swabwave/client.h"
#include "swabwave/v1/progress.pb.h"

namespace swabwave::services {

struct LabDayOptions {
  std::string round;  // "rounds/{id}"
  uint64_t seed = 1;
  int box_tubes = 100;  // tubes per box, at most the round's box_capacity
  std::string lab_id = "lab-1";
  // Tokens of the courier and the lab (empty: the server takes none; the
  // sites' and teams' come with the client, by site id and team desk).
  std::string courier_token;
  std::string lab_token;
  // Shares of pooled tubes the lab finds positive and invalid; the share
  // of recalled residents whose own swab is positive (a case).
  double positive = 0.02;
  double invalid = 0.005;
  double retest_positive = 0.1;
  // Boxes packed this run that the courier leaves on the table.
  int hold_boxes = 0;
  // Tubes the lab does not find in the first box it opens this run.
  int missing_tubes = 0;
  // ReportResults calls in flight at once (a lab's instruments).
  int in_flight = 4;
  // Called with each request the server acknowledged (PackBoxRequest,
  // PickUpBoxRequest, ReceiveBoxRequest, each ResultReport recorded or
  // replayed, TakeFollowUpSwabRequest), one call at a time (results from
  // the threads that send them): what a crash test checks is still there
  // after a restart. Returning false
  // stops the day there (the report says `stopped`; nothing is verified).
  std::function<bool(const google::protobuf::Message& request)> acknowledged;
};

struct LabDayReport {
  int64_t tubes_packed = 0;  // this run, pooled and follow-up
  int64_t boxes_packed = 0;
  int64_t boxes_held = 0;    // left for a later run
  int64_t boxes_picked_up = 0;
  int64_t boxes_received = 0;
  int64_t tubes_missing = 0;
  int64_t results_sent = 0;  // every result sent this run, replays included
  int64_t results_recorded = 0;
  int64_t results_replayed = 0;
  int64_t positive = 0;  // of those recorded (pooled and follow-up tubes)
  int64_t invalid = 0;
  absl::Duration results_elapsed;
  int64_t follow_ups = 0;  // follow-up swabs taken this run
  int64_t follow_ups_replayed = 0;
  int64_t errors = 0;  // any call or outcome that failed
  std::string first_error;
  // The end state, as the server tells it.
  int64_t recall_tubes = 0;     // positive pools
  int64_t recalled = 0;         // their members
  int64_t resample_tubes = 0;   // invalid pools, late boxes' and lost tubes
  int64_t resampled = 0;
  int64_t retested = 0;         // of recalled and resampled, with their follow-up swab
  int64_t cases = 0;
  int64_t late_boxes = 0;       // boxes past the age limit
  v1::LabCounts counts;
  std::vector<std::string> mismatches;  // what the end state got wrong
  bool stopped = false;  // `acknowledged` stopped the day

  double results_per_second() const {
    const double seconds = absl::ToDoubleSeconds(results_elapsed);
    return seconds > 0 ? static_cast<double>(results_sent) / seconds : 0;
  }
};

// Plays the lab day on what the server holds and verifies the end state:
//   - every positive pool's members are on the recall list exactly once,
//     as many as the tube's swabs;
//   - every resident recalled or resampled gave exactly one follow-up
//     swab (no one left recalled or resample-due);
//   - every late box's tubes and every lost tube are on the resample list;
//   - the progress counts agree with the lists.
// Errors: reading the round or its plan failed.
[[nodiscard]] absl::StatusOr<LabDayReport> RunLabDay(Client& client,
                                                     const LabDayOptions& options);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_LAB_DAY_H_
