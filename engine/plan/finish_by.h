// Finish by a time (issue 18): a command center is told "the round must be
// done by noon". AdviseFinish says what that takes — the sites and desks
// open at once, the samplers and scanners the gear rules need — and the
// earliest finish with every desk open and with the staff on hand. The plan
// that meets it is an ordinary plan with PlanOptions::max_waves set to
// waves_allowed (PlanRound's finish_by).
//
// How it is worked out (each a real plan of the round, nothing installed):
//   1. waves_allowed: the round's waves that end by finish_by;
//   2. every desk open, staff unlimited: the planner's fewest waves, and a
//      plan within waves_allowed; its roster's headcount (staffing.h) is
//      what finishing by then takes under the gear rules (an upper bound:
//      the planner packs people into the fewest waves, so fewer desks could
//      serve them spread out; desks_at_least says how few at best);
//   3. within the staff on hand (PlanWithinStaff): its waves, so the
//      earliest finish the staff allow;
//   4. when even every desk cannot finish by then: how many people every
//      desk serves by then against those due, and a plan of the same sites
//      with more desks (added where a desk serves most by then) that fits,
//      with its staff as in 2.
//
// Thread-safety: a pure function of its arguments.
#ifndef SWABWAVE_ENGINE_PLAN_FINISH_BY_H_
#define SWABWAVE_ENGINE_PLAN_FINISH_BY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"
#include "engine/plan/staffed_planning.h"
#include "engine/plan/staffing.h"

namespace swabwave::engine::plan {

struct FinishAdvice {
  absl::Time finish_by;
  int waves_allowed = 0;  // the round's waves that end by finish_by

  // Every desk open, staff enough: the fewest waves, and when they end.
  int waves_every_desk = 0;
  absl::Time finish_every_desk;
  bool met_with_every_desk = false;

  // Within the staff on hand; planned_on_hand false when no plan within
  // the staff exists at all (the message says why).
  bool planned_on_hand = false;
  int waves_on_hand = 0;
  absl::Time finish_on_hand;
  bool met_on_hand = false;
  std::string on_hand_error;

  // When met with every desk: what the plan finishing by then opens.
  struct SiteNeed {
    uint32_t site = 0;     // round site index
    int desks_open = 0;    // the most desks open at once
    int desks_on_hand = 0;
  };
  std::vector<SiteNeed> sites;  // the sites the plan opens, by site index
  int desks_open = 0;           // the most desks open at once, in all
  int desks_at_least = 0;       // no plan within waves_allowed opens fewer at once
  int desks_on_hand = 0;        // every site's desks
  Headcount headcount;          // needed under the gear rules, and on hand

  // When not even every desk finishes by then: how far short, and the
  // desks to add (where a desk serves most by then) for a plan that fits.
  // With met_with_more_desks, `sites`, the desk counts and `headcount`
  // above describe that plan (desks_on_hand: today's), as if the desks
  // were there; without it (every site at its most desks), extra_desks is
  // the estimate short / the best site's people a desk by then.
  int64_t due_at_sites = 0;
  int64_t served_by_then = 0;  // people every desk can serve by finish_by
  int extra_desks = 0;
  bool met_with_more_desks = false;
};

// INVALID_ARGUMENT when finish_by is not after the end of the round's
// first wave (nothing can be done by then); planner and staffing errors
// other than RESOURCE_EXHAUSTED pass through. A finish_by past the round's
// end counts the round's waves.
[[nodiscard]] absl::StatusOr<FinishAdvice> AdviseFinish(const Planner& planner,
                                                        const RoundLayout& layout,
                                                        const RoundConfig& config,
                                                        const PlanOptions& options,
                                                        const StaffingRequest& staffing,
                                                        absl::Time finish_by);

// The waves of `config` that end by `finish_by` (at most the round's).
int WavesEndingBy(const RoundConfig& config, absl::Time finish_by);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_FINISH_BY_H_
