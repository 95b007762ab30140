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
#include "engine/plan/internal/parallel_for.h"
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

}  // namespace

absl::StatusOr<Plan> FlowPlanner::MakePlan(const RoundLayout& layout, const RoundConfig& config,
                                           const PlanOptions& options) const {
  if (absl::Status s = ValidatePlanOptions(options); !s.ok()) return s;
  Plan plan;
  plan.planner = std::string(name());
  plan.wave_count = config.WaveCount();
  plan.site_count = layout.site_count();
  plan.cell_capacity = ComputeCellCapacities(layout, config, options);
  plan.cell_load.assign(plan.cell_capacity.size(), 0);
  ClassifyResidents(layout, plan);

  // (a) W* per community; the round needs the largest.
  std::vector<CommunityPart> parts(layout.community_count());
  internal::ParallelFor(parts.size(), options.threads, [&](size_t c) {
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
  int waves = 0;
  for (const CommunityPart& part : parts) waves = std::max(waves, part.fewest_waves);

  // (b)-(d) with W* waves everywhere.
  internal::ParallelFor(parts.size(), options.threads, [&](size_t c) {
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
  plan.waves_optimum = waves;
  ComputePlanMetrics(layout, plan);
  if (absl::Status s = VerifyPlan(layout, plan); !s.ok()) return s;
  return plan;
}

}  // namespace swabwave::engine::plan
