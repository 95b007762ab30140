// The staffing fields of a plan (Plan::cell_desks, within_staff,
// waves_with_every_desk, staffing, availability) in the journal's byte
// format, shared by the plan record (records.h) and the round image of a
// dense snapshot (round_image.h).
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_JOURNAL_PLAN_STAFFING_CODEC_H_
#define SWABWAVE_ENGINE_JOURNAL_PLAN_STAFFING_CODEC_H_

#include "engine/journal/byte_codec.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::journal {

void PutPlanStaffing(ByteWriter& out, const plan::Plan& plan);

// Reads what PutPlanStaffing wrote into `plan`, whose wave_count and
// site_count are already set; false when malformed. Values are kept in range
// here (durations within a week, desks within a site's most, one desk count
// per cell) so nothing downstream can overflow; the staffing options' own
// rules are checked again when a roster is made.
[[nodiscard]] bool GetPlanStaffing(ByteReader& in, plan::Plan& plan);

}  // namespace swabwave::engine::journal

#endif  // SWABWAVE_ENGINE_JOURNAL_PLAN_STAFFING_CODEC_H_
