#include "engine/plan/staffed_planning.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan {

namespace {

// Marks the plan as made within the staff on hand, with the desks and rules
// its roster keeps.
void RecordStaffing(const RoundLayout& layout, const std::vector<int32_t>& caps,
                    const StaffingOptions& staffing_options,
                    const StaffAvailability& availability, Plan& plan) {
  plan.cell_desks.resize(plan.cell_count());
  for (CellIndex cell = 0; cell < plan.cell_count(); ++cell) {
    plan.cell_desks[cell] = std::min(caps[cell], layout.site(plan.site_of_cell(cell)).desks);
  }
  plan.within_staff = true;
  plan.staffing = staffing_options;
  plan.availability = availability;
}

}  // namespace

absl::StatusOr<StaffedPlan> PlanWithinStaff(const Planner& planner, const RoundLayout& layout,
                                            const RoundConfig& config,
                                            const PlanOptions& plan_options,
                                            const StaffingOptions& staffing_options,
                                            const StaffAvailability& availability) {
  StaffedPlan result;
  PlanOptions options = plan_options;
  const int waves = config.WaveCount();
  options.cell_desk_caps.resize(size_t{layout.site_count()} * waves);
  int64_t every_desk = 0;
  for (uint32_t site = 0; site < layout.site_count(); ++site) {
    for (int w = 0; w < waves; ++w) {
      options.cell_desk_caps[size_t{site} * waves + w] = layout.site(site).desks;
      every_desk += layout.site(site).desks;
    }
  }
  while (true) {
    absl::StatusOr<Plan> plan = planner.MakePlan(layout, config, options);
    ++result.plans_made;
    if (!plan.ok()) {
      if (result.plans_made == 1 || plan.status().code() != absl::StatusCode::kResourceExhausted) {
        return plan.status();
      }
      return absl::ResourceExhaustedError(absl::StrCat(
          "without the ", result.desk_waves_capped, " desk-waves (of ", every_desk,
          ") the staff on hand cannot open, the round has too few places: ",
          plan.status().message(), "; add staff, lengthen the round or relax the gear rules"));
    }
    // The roster is made for the desks this plan may open.
    plan->cell_desks = options.cell_desk_caps;
    absl::StatusOr<Roster> roster = StaffPlan(layout, config, *plan, staffing_options, availability);
    if (!roster.ok()) return roster.status();
    if (result.plans_made == 1) result.waves_with_every_desk = plan->waves_used;
    if (roster->shortfalls.empty()) {
      result.waves = plan->waves_used;
      result.longer = (result.waves - result.waves_with_every_desk) * config.wave_length;
      RecordStaffing(layout, options.cell_desk_caps, staffing_options, availability, *plan);
      plan->waves_with_every_desk = result.waves_with_every_desk;
      result.plan = *std::move(plan);
      result.roster = *std::move(roster);
      return result;
    }
    for (const DeskShortfall& shortfall : roster->shortfalls) {
      int32_t& cap = options.cell_desk_caps[size_t{shortfall.site} * waves + shortfall.wave];
      result.desk_waves_capped += cap - shortfall.desks_staffed;
      cap = shortfall.desks_staffed;
    }
  }
}

}  // namespace swabwave::engine::plan
