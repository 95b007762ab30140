// Boxes, results and recalls between the engine (engine/custody,
// engine/lab) and lab.proto.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_SERVICES_API_LAB_CONVERT_H_
#define SWABWAVE_SERVICES_API_LAB_CONVERT_H_

#include "absl/status/statusor.h"
#include <vector>

#include "absl/time/time.h"
#include "engine/custody/box_book.h"
#include "engine/lab/result_book.h"
#include "engine/round/round.h"
#include "swabwave/v1/lab.pb.h"
#include "swabwave/v1/planning.pb.h"
#include "swabwave/v1/progress.pb.h"

namespace swabwave::services {

// `now` ages a box still travelling; `with_tubes` lists its tube barcodes.
void BoxToProto(const engine::Round& round, const engine::custody::Box& box, absl::Time now,
                bool with_tubes, v1::Box* out);
void ReportToProto(const engine::Round& round, const engine::lab::Report& report,
                   v1::ResultReport* out);
v1::LabState LabStateToProto(engine::Round::LabState state);
void LabCountsToProto(const engine::Round::LabTotals& totals, v1::LabCounts* out);
// The pool ratio advised for `created` by the opened rounds before it
// that share a community with it (engine/lab/pool_advice.h).
void PoolAdviceToProto(const std::vector<engine::Round*>& rounds, const engine::Round& created,
                       absl::Time now, v1::PoolAdvice* out);
// INVALID_ARGUMENT naming the field for a result that is not one.
[[nodiscard]] absl::StatusOr<engine::lab::TubeResult> ResultFromProto(v1::TubeResult result);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_API_LAB_CONVERT_H_
