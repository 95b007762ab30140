// PoolingFigures: what household-aware pooling changes, measured on a
// replayed day (issue 17): how many tubes the day used, how many
// households share a tube, how many households were split over two tubes,
// and how many people a positive resident brings onto recall lists.
//
// Tubes, and who is in each, come from the fleet's outcomes; households
// from the scans' group labels (a scan without one is a household of one).
// Recalls are simulated over that tube assignment, because they depend on
// who is infected: in each of `trials` draws every household is infected
// with probability `household_prevalence`; an infected household has one
// case, and each other member is positive with probability `attack_rate`
// (the household secondary attack rate). A tube holding a positive is
// positive, and all its members are recalled. The same seed draws the same
// infections for any tube assignment, so a day played with groups and the
// same day in plain scan order are compared on the same infections.
//
// Thread-safety: a plain function.
#ifndef SWABWAVE_SERVICES_REPLAY_POOLING_FIGURES_H_
#define SWABWAVE_SERVICES_REPLAY_POOLING_FIGURES_H_

#include <cstdint>
#include <vector>

#include "services/replay/tablet_fleet.h"

namespace swabwave::services {

struct InfectionModel {
  uint64_t seed = 1;
  double household_prevalence = 0.002;
  double attack_rate = 0.4;
  int trials = 2000;
};

struct PoolingFigures {
  int64_t residents = 0;   // sampled by the day, each once
  int64_t households = 0;  // of them (group labels; a resident alone is one)
  int64_t tubes = 0;       // tubes that hold a swab of the day
  double households_per_tube = 0;
  // Households no larger than the pool ratio whose members are in more
  // than one tube.
  int64_t households_split = 0;
  // Over the trials: positive residents, residents recalled (every member
  // of a positive tube, the positives included), positive tubes.
  int64_t positives = 0;
  int64_t recalled = 0;
  int64_t positive_tubes = 0;
  double recalled_per_positive() const {
    return positives > 0 ? static_cast<double>(recalled) / static_cast<double>(positives) : 0;
  }
};

// The figures of a day played as `work` (report.outcomes[d][i] answers
// work[d].scans[i]) with tubes of `pool_ratio`.
PoolingFigures MeasurePooling(const std::vector<DeskWork>& work, const FleetReport& report,
                              int pool_ratio, const InfectionModel& model);

}  // namespace swabwave::services

#endif  // SWABWAVE_SERVICES_REPLAY_POOLING_FIGURES_H_
