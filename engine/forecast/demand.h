// Demand: who a plan tells to come where and when, as the forecast needs
// it: per site, the parties (households, or the part of a household due at
// a site) told each wave, in the order the plan lists them.
//
// Built once per forecast from the plan's resident_cell; every replication
// draws its arrivals from it.
//
// Thread-safety: plain values; BuildDemand may run concurrently.
#ifndef SWABWAVE_ENGINE_FORECAST_DEMAND_H_
#define SWABWAVE_ENGINE_FORECAST_DEMAND_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::forecast {

struct PlannedParty {
  int32_t wave = 0;
  int32_t size = 0;             // residents of the household due in this cell
  int32_t index_in_wave = 0;    // its place among the parties told this (site, wave)
  int32_t parties_in_wave = 0;  // how many parties were told this (site, wave)
};

struct SiteDemand {
  uint32_t site = kNoId;  // round site index
  int desks = 0;                       // the most open in any wave
  std::vector<int32_t> desks_by_wave;  // [wave] the desks the plan's capacity counts
  int64_t residents = 0;              // the plan's load of the site over all waves
  std::vector<PlannedParty> parties;  // by wave, then in household order
};

// One SiteDemand per round site (index = round site), sites with nobody
// planned included. INVALID_ARGUMENT naming "plan" when the plan does not
// belong to this layout and config (site or wave count, resident count, a
// cell out of range) or sends residents to a site without desks.
[[nodiscard]] absl::StatusOr<std::vector<SiteDemand>> BuildDemand(const RoundLayout& layout,
                                                                  const RoundConfig& config,
                                                                  const plan::Plan& plan);

}  // namespace swabwave::engine::forecast

#endif  // SWABWAVE_ENGINE_FORECAST_DEMAND_H_
