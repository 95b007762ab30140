#include "engine/plan/staffed_planning.h"

#include "absl/strings/str_cat.h"
#include "engine/model/round_layout.h"

namespace swabwave::engine::plan {

std::vector<Community> CommunitiesWithDesks(const std::vector<const Community*>& communities,
                                            const std::vector<int>& site_desks) {
  std::vector<Community> copies;
  copies.reserve(communities.size());
  size_t site = 0;
  for (const Community* community : communities) {
    copies.push_back(*community);
    for (Site& s : copies.back().sites) s.desks = site_desks[site++];
  }
  return copies;
}

absl::StatusOr<StaffedPlan> PlanWithinStaff(const Planner& planner,
                                            const std::vector<const Community*>& communities,
                                            const RoundConfig& config,
                                            const PlanOptions& plan_options,
                                            const StaffingOptions& staffing_options,
                                            const StaffAvailability& availability) {
  StaffedPlan result;
  for (const Community* community : communities) {
    for (const Site& site : community->sites) result.site_desks.push_back(site.desks);
  }
  // Each pass lowers at least one site's desks by one, so the loop ends
  // within the round's total desks.
  while (true) {
    const std::vector<Community> copies = CommunitiesWithDesks(communities, result.site_desks);
    std::vector<const Community*> pointers;
    for (const Community& c : copies) pointers.push_back(&c);
    const RoundLayout layout(pointers);
    absl::StatusOr<Plan> plan = planner.MakePlan(layout, config, plan_options);
    ++result.plans_made;
    if (!plan.ok()) {
      if (result.plans_made == 1 || plan.status().code() != absl::StatusCode::kResourceExhausted) {
        return plan.status();
      }
      std::string desks;
      for (size_t s = 0; s < result.site_desks.size(); ++s) {
        absl::StrAppend(&desks, s == 0 ? "" : ", ", layout.site(static_cast<uint32_t>(s)).id, ": ",
                        result.site_desks[s]);
      }
      return absl::ResourceExhaustedError(absl::StrCat(
          "the staff on hand can open only these desks (", desks,
          "), too few to serve everyone within the round: ", plan.status().message(),
          "; add staff, lengthen the round or relax the gear rules"));
    }
    absl::StatusOr<Roster> roster =
        StaffPlan(layout, config, *plan, staffing_options, availability);
    if (!roster.ok()) return roster.status();
    if (result.plans_made == 1) result.waves_with_every_desk = plan->waves_used;
    if (roster->shortfalls.empty()) {
      result.waves = plan->waves_used;
      result.longer = (result.waves - result.waves_with_every_desk) * config.wave_length;
      result.plan = *std::move(plan);
      result.roster = *std::move(roster);
      return result;
    }
    // Shortfalls come by site: each short site gives up one desk.
    uint32_t last = kNoId;
    for (const DeskShortfall& shortfall : roster->shortfalls) {
      if (shortfall.site == last) continue;
      last = shortfall.site;
      --result.site_desks[shortfall.site];
    }
  }
}

}  // namespace swabwave::engine::plan
