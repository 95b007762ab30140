// Writes one community's placed households into the round's Plan: the
// unit assignments (a unit split between cells lists its households per
// part), every due resident's cell, and the loads of the community's cells.
//
// Thread-safety: communities own disjoint residents and cells, so distinct
// communities may be written concurrently into one Plan; the assignments
// come back per community for the caller to concatenate in order.
#ifndef SWABWAVE_ENGINE_PLAN_INTERNAL_UNIT_ASSIGNMENTS_H_
#define SWABWAVE_ENGINE_PLAN_INTERNAL_UNIT_ASSIGNMENTS_H_

#include <vector>

#include "engine/model/round_layout.h"
#include "engine/plan/internal/community_demand.h"
#include "engine/plan/internal/wave_filling.h"
#include "engine/plan/plan.h"

namespace swabwave::engine::plan::internal {

// REQUIRES: every household of `placed` has a wave; plan.cell_load sized
// and zero over the community's cells.
std::vector<UnitAssignment> WriteCommunityPlan(const RoundLayout& layout,
                                               const CommunityDemand& demand,
                                               const CommunityWaves& placed, Plan& plan);

}  // namespace swabwave::engine::plan::internal

#endif  // SWABWAVE_ENGINE_PLAN_INTERNAL_UNIT_ASSIGNMENTS_H_
