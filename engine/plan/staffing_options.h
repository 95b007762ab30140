// Staffing options: the protective-gear rules a roster must keep, and the
// gear cycle they imply in whole waves (DESIGN.md §5, Planner; issue 4).
//
// Time in protective gear runs from the moment a member starts putting it on
// to the moment they have taken it off: changing gear counts, at both ends.
// So a stint at a desk of k waves keeps a member in gear for
// gear_change + k × wave_length + gear_change, which may not exceed
// max_in_gear; after it the member rests at least `rest` before starting to
// put gear on again. In waves: at most GearCycle::max_waves_per_stint waves
// in a row, then at least GearCycle::min_idle_waves waves off.
//
// Thread-safety: plain values and pure functions.
#ifndef SWABWAVE_ENGINE_PLAN_STAFFING_OPTIONS_H_
#define SWABWAVE_ENGINE_PLAN_STAFFING_OPTIONS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/model/round_config.h"

namespace swabwave::engine::plan {

inline constexpr absl::Duration kMinInGear = absl::Hours(1);
inline constexpr absl::Duration kMaxInGear = absl::Hours(4);
inline constexpr absl::Duration kSummerHeatInGear = absl::Hours(1);

struct StaffingOptions {
  // Continuous time in gear, changes included: 1-4 h; in summer heat, 1 h.
  absl::Duration max_in_gear = absl::Hours(2);
  // Rest between taking gear off and starting to put it on again.
  absl::Duration rest = absl::Minutes(30);
  // Time to put gear on, and again to take it off.
  absl::Duration gear_change = absl::Minutes(15);

  bool operator==(const StaffingOptions&) const = default;
};

// When a member is on hand this round: their first gear change may not start
// before `from`, and their last must end by `until`.
struct Availability {
  absl::Time from = absl::InfinitePast();
  absl::Time until = absl::InfiniteFuture();

  bool operator==(const Availability&) const = default;
};

// Availability per round staff member (see RoundStaff in staffing.h); an
// empty vector means everyone is available all round.
using StaffAvailability = std::vector<Availability>;

// The gear rules in whole waves of the round.
struct GearCycle {
  int max_waves_per_stint = 0;  // (max_in_gear - 2 × gear_change) / wave, rounded down
  int min_idle_waves = 0;       // (2 × gear_change + rest) / wave, rounded up; at least 1
};

// INVALID_ARGUMENT naming the option when one is out of range, or when the
// cap leaves no whole wave at a desk once both gear changes are counted.
[[nodiscard]] absl::StatusOr<GearCycle> ComputeGearCycle(const StaffingOptions& options,
                                                        const RoundConfig& config);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_STAFFING_OPTIONS_H_
