#include "engine/plan/flow_planner.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "engine/plan/internal/community_demand.h"
#include "engine/plan/internal/fewest_waves.h"
#include "engine/plan/internal/household_rounding.h"
#include "engine/plan/internal/overflow_repair.h"
#include "engine/parallel/parallel_for.h"
#include "engine/plan/internal/service_network.h"
#include "engine/plan/internal/unit_assignments.h"
#include "engine/plan/internal/wave_filling.h"

namespace swabwave::engine::plan {

namespace {

using internal::CommunityDemand;
using internal::ServiceNetwork;

// One community's work, owned by whichever thread takes it.
struct CommunityPart {
  CommunityDemand demand;
  std::unique_ptr<ServiceNetwork> network;
  absl::Status status;
  int fewest_waves = 0;
  double flow_walking_m = 0;
  std::vector<UnitAssignment> assignments;
};

// The first failure in round order, so the error does not depend on threads.
absl::Status FirstFailure(const std::vector<CommunityPart>& parts) {
  for (const CommunityPart& part : parts) {
    if (!part.status.ok()) return part.status;
  }
  return absl::OkStatus();
}

// Steps (b)-(d) for one community with the round's W*.
absl::Status PlanCommunity(const RoundLayout& layout, int waves, CommunityPart& part, Plan& plan) {
  const Community& community = layout.community(part.demand.community);
  absl::StatusOr<internal::SiteAssignment> flow =
      part.network->CheapestAssignment(internal::SitePlaces(part.demand, waves));
  if (!flow.ok()) return flow.status();
  part.flow_walking_m = flow->walking_m;
  internal::CommunityWaves placed =
      internal::FillWaves(part.demand, internal::RoundToHouseholds(part.demand, *flow), waves);
  if (absl::StatusOr<int64_t> moved =
          internal::RepairOverflow(part.demand, community, waves, placed);
      !moved.ok()) {
    return moved.status();
  }
  part.assignments = internal::WriteCommunityPlan(layout, part.demand, placed, plan);
  return absl::OkStatus();
}

// The round's flow walking with `waves` waves everywhere (every community's
// min-cost flow), on `threads` threads.
absl::StatusOr<double> FlowWalking(std::vector<CommunityPart>& parts, int waves, int threads) {
  std::vector<double> walking(parts.size(), 0);
  ParallelFor(parts.size(), threads, [&](size_t c) {
    absl::StatusOr<internal::SiteAssignment> flow =
        parts[c].network->CheapestAssignment(internal::SitePlaces(parts[c].demand, waves));
    if (flow.ok()) {
      walking[c] = flow->walking_m;
    } else {
      parts[c].status = flow.status();
    }
  });
  if (absl::Status s = FirstFailure(parts); !s.ok()) return s;
  double total = 0;
  for (double w : walking) total += w;
  return total;
}

// The objective weight: from W*, one more wave while it saves at least
// `walking_m_per_wave` of walking. The flow's cost only falls as places
// grow, and falls less with each wave (the min cost of a flow is convex in
// its capacities, which grow linearly in the waves), so the first wave
// that saves too little ends the search.
absl::StatusOr<int> WavesWorthWalking(std::vector<CommunityPart>& parts, int fewest,
                                      int wave_count, const PlanOptions& options) {
  if (options.walking_m_per_wave <= 0) return fewest;
  absl::StatusOr<double> walking = FlowWalking(parts, fewest, options.threads);
  if (!walking.ok()) return walking.status();
  int waves = fewest;
  while (waves < wave_count) {
    absl::StatusOr<double> more = FlowWalking(parts, waves + 1, options.threads);
    if (!more.ok()) return more.status();
    if (*walking - *more < options.walking_m_per_wave) break;
    ++waves;
    walking = more;
  }
  return waves;
}

}  // namespace

absl::StatusOr<Plan> FlowPlanner::MakePlan(const RoundLayout& layout, const RoundConfig& config,
                                           const PlanOptions& options) const {
  absl::StatusOr<Plan> started = StartPlan(name(), layout, config, options);
  if (!started.ok()) return started.status();
  Plan plan = *std::move(started);

  // (a) W* per community; the round needs the largest.
  std::vector<CommunityPart> parts(layout.community_count());
  ParallelFor(parts.size(), options.threads, [&](size_t c) {
    CommunityPart& part = parts[c];
    part.demand = internal::MakeCommunityDemand(layout, plan, static_cast<uint32_t>(c),
                                                options.nearest_sites);
    part.network = std::make_unique<ServiceNetwork>(part.demand);
    absl::StatusOr<int> fewest =
        internal::FindFewestWaves(part.demand, layout.community(static_cast<uint32_t>(c)),
                                  options.nearest_sites, *part.network);
    if (fewest.ok()) {
      part.fewest_waves = *fewest;
    } else {
      part.status = fewest.status();
    }
  });
  if (absl::Status s = FirstFailure(parts); !s.ok()) return s;
  int fewest = 0;
  for (const CommunityPart& part : parts) fewest = std::max(fewest, part.fewest_waves);
  absl::StatusOr<int> worth = WavesWorthWalking(parts, fewest, plan.wave_count, options);
  if (!worth.ok()) return worth.status();
  const int waves = *worth;

  // (b)-(d) with W* waves everywhere (or more, bought by the objective weight).
  ParallelFor(parts.size(), options.threads, [&](size_t c) {
    parts[c].status = PlanCommunity(layout, waves, parts[c], plan);
    parts[c].network.reset();  // free the graph while others still work
  });
  if (absl::Status s = FirstFailure(parts); !s.ok()) return s;

  size_t assignment_count = 0;
  for (const CommunityPart& part : parts) assignment_count += part.assignments.size();
  plan.assignments.reserve(assignment_count);
  for (CommunityPart& part : parts) {
    plan.flow_walking_m += part.flow_walking_m;
    std::move(part.assignments.begin(), part.assignments.end(),
              std::back_inserter(plan.assignments));
  }
  plan.waves_optimum = fewest;
  ComputePlanMetrics(layout, plan);
  if (absl::Status s = VerifyPlan(layout, plan); !s.ok()) return s;
  return plan;
}

}  // namespace swabwave::engine::plan
