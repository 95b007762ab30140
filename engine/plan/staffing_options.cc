#include "engine/plan/staffing_options.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan {

absl::StatusOr<GearCycle> ComputeGearCycle(const StaffingOptions& options,
                                           const RoundConfig& config) {
  if (options.max_in_gear < kMinInGear || options.max_in_gear > kMaxInGear) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_in_gear ", absl::FormatDuration(options.max_in_gear),
                     " must be between 1h and 4h (1h in summer heat)"));
  }
  if (options.rest < absl::ZeroDuration() || options.rest > absl::Hours(24)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rest ", absl::FormatDuration(options.rest), " must be between 0 and 24h"));
  }
  if (options.gear_change < absl::ZeroDuration() || options.gear_change > absl::Hours(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "gear_change ", absl::FormatDuration(options.gear_change), " must be between 0 and 1h"));
  }
  if (config.wave_length <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("wave_length must be positive");
  }
  if (options.max_in_gear - 2 * options.gear_change < config.wave_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_in_gear ", absl::FormatDuration(options.max_in_gear),
        " leaves no whole wave of ", absl::FormatDuration(config.wave_length),
        " at a desk once two gear changes of ", absl::FormatDuration(options.gear_change),
        " are counted; raise max_in_gear or shorten the waves"));
  }
  GearCycle cycle;
  absl::Duration unused;
  cycle.max_waves_per_stint = static_cast<int>(absl::IDivDuration(
      options.max_in_gear - 2 * options.gear_change, config.wave_length, &unused));
  const absl::Duration off = 2 * options.gear_change + options.rest;
  const int64_t whole = absl::IDivDuration(off, config.wave_length, &unused);
  // At least one wave off: two stints back to back would be one stint.
  cycle.min_idle_waves =
      std::max(1, static_cast<int>(whole + (unused > absl::ZeroDuration() ? 1 : 0)));
  return cycle;
}

}  // namespace swabwave::engine::plan
