// What the plan's two layouts share: its record (records.h, RoundPlanned)
// and its part of a dense snapshot's round image (round_image.h). The
// staffing fields (Plan::cell_desks, within_staff, waves_with_every_desk,
// staffing, availability) are written and read by one codec, and a decoded
// plan of either layout passes one check before anything indexes with it.
// tests/engine/journal/plan_fields_test.cc encodes a fully populated plan
// both ways, so a field cannot be forgotten on one side.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_PLAN_FIELDS_H_
#define SWABWAVE_ENGINE_JOURNAL_PLAN_FIELDS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "engine/journal/byte_codec.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::journal {

// More waves or sites than this in a decoded plan is a damaged record.
inline constexpr int64_t kMaxPlanWaves = int64_t{1} << 20;
inline constexpr uint32_t kMaxPlanSites = 1u << 24;

// Whether a decoded plan is safe to index with: waves and sites within the
// bounds above, one capacity and load per cell, one standing and cell per
// resident (each cell in range or kNoId), assignments within the sites and
// waves, door-to-door residents within the residents. INVALID_ARGUMENT
// naming the first field that is not; the decoders wrap it as their
// DATA_LOSS.
[[nodiscard]] absl::Status CheckDecodedPlan(const plan::Plan& plan);

// The image layout (round_image.h): the plan's arrays whole, for a dense
// snapshot that loads without rebuilding. GetPlanImage reads what
// PutPlanImage wrote, checked as CheckDecodedPlan says; INVALID_ARGUMENT
// naming the part and its byte offset otherwise.
void PutPlanImage(ByteWriter& w, const plan::Plan& plan);
[[nodiscard]] absl::Status GetPlanImage(ByteReader& in, plan::Plan* plan);

// `value` as an int, or false when it does not fit.
[[nodiscard]] bool NarrowToInt(int64_t value, int* out);

void PutPlanStaffing(ByteWriter& out, const plan::Plan& plan);

// Reads what PutPlanStaffing wrote into `plan`, whose wave_count and
// site_count are already set; false when malformed. Values are kept in range
// here (durations within a week, desks within a site's most, one desk count
// per cell) so nothing downstream can overflow; the staffing options' own
// rules are checked again when a roster is made.
[[nodiscard]] bool GetPlanStaffing(ByteReader& in, plan::Plan& plan);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_PLAN_FIELDS_H_
