// Plan: a round's assignment of every due unit to a (site, wave), its
// door-to-door list, and the numbers that judge it (DESIGN.md §5, Planner).
//
// A "cell" is one (site, wave) pair: cell = site * wave_count + wave, with
// round-wide site indices (model/round_layout.h). Capacity of a cell is
// desks × per-desk rate × the part of the wave the site is open (its local
// opening hours) × a utilization target, rounded down.
//
// Planners implement Planner; the greedy first planner is in
// greedy_planner.h, and better ones (optimal waves, staffing) plug in here.
//
// Ownership: a Plan is a value and keeps no reference to the layout or
// config it was made for. A function that takes a plan and a layout
// REQUIRES the ones the plan was made for, unless it documents an error for
// a mismatch.
//
// Thread-safety: a Plan is an immutable value once made; a Planner's
// MakePlan may be called concurrently for different rounds. The free
// functions are pure, apart from writing the `plan` a caller passes.
#ifndef SWABWAVE_ENGINE_PLAN_PLAN_H_
#define SWABWAVE_ENGINE_PLAN_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/community.h"
#include "engine/model/ids.h"
#include "engine/model/round_config.h"
#include "engine/model/round_layout.h"
#include "engine/plan/staffing_options.h"

namespace swabwave::engine::plan {

struct PlanOptions {
  double per_desk_rate_per_hour = 110;  // field figure: 110-120 people/hour
  double utilization = 0.85;
  // Optimal planners only (flow_planner.h): a building may be sent to its
  // `nearest_sites` nearest sites of its community, and the plan is made on
  // `threads` threads (0: one per core). The greedy planner ignores both.
  int nearest_sites = 6;
  int threads = 0;
  // Objective weight (optimal planners): the resident-metres of walking one
  // more wave is worth. 0: lexicographic, fewest waves then least walking;
  // above 0, one more wave is taken while it saves at least this much.
  double walking_m_per_wave = 0;
  // At most this many desks open per cell, [cell] (site * waves + wave);
  // empty: every desk. Set by PlanWithinStaff (staffed_planning.h) to the
  // desks the staff can open; REQUIRES: empty or one per cell.
  std::vector<int32_t> cell_desk_caps;
  // Only the first `max_waves` waves take anyone (a round that must finish
  // by a time: engine/plan/finish_by.h); 0: every wave of the round.
  int max_waves = 0;
};

inline constexpr int kMaxNearestSites = 64;
inline constexpr double kMaxWalkingMPerWave = 1e12;

// INVALID_ARGUMENT naming the field when an option is out of range.
[[nodiscard]] absl::Status ValidatePlanOptions(const PlanOptions& options);

// Units are round-wide unit indices; households round-wide household indices.
struct UnitAssignment {
  uint32_t unit = kNoId;
  uint32_t site = kNoId;
  int wave = 0;
  int residents = 0;
  // The households of this part; empty when the whole unit is in this cell.
  std::vector<uint32_t> households;

  bool operator==(const UnitAssignment&) const = default;
};

struct Plan {
  std::string planner;
  int wave_count = 0;         // waves the round's duration allows
  int waves_used = 0;         // last used wave + 1
  int waves_lower_bound = 0;  // no plan can use fewer (see ComputeLowerBound)
  // The fewest waves a flow over the nearest sites needs (W*); 0 when the
  // planner does not compute it. waves_lower_bound <= waves_optimum.
  int waves_optimum = 0;
  uint32_t site_count = 0;

  std::vector<int32_t> cell_capacity;       // [cell]
  std::vector<int32_t> cell_load;           // [cell]
  std::vector<Standing> resident_standing;  // [round resident]
  std::vector<CellIndex> resident_cell;     // [round resident]; kNoId unless kDueAtSite
  // Grouped by unit (a split unit's parts are adjacent), buildings in order.
  std::vector<UnitAssignment> assignments;
  std::vector<uint32_t> door_to_door;  // round residents, by building then id

  int64_t residents = 0;
  int64_t due_at_sites = 0;
  int64_t door_to_door_count = 0;
  int64_t exempt = 0;
  int64_t units = 0;  // units with anyone due at a site
  int64_t split_units = 0;
  double total_walking_m = 0;
  // The min-cost flow's walking distance with the plan's waves (W*, unless
  // walking_m_per_wave bought more), in exact metres:
  // the fractional optimum no household-whole plan can beat; 0 when the
  // planner does not compute it.
  double flow_walking_m = 0;
  // Buildings whose residents are not all within two consecutive waves.
  int64_t scattered_buildings = 0;
  int64_t overloaded_cells = 0;  // cells whose load exceeds capacity; 0 in a valid plan

  // Desks each cell's capacity counts, [cell]; empty: every desk of its
  // site. Lower where the staff on hand cannot open them all
  // (staffed_planning.h) or where a re-plan changed a site's desks.
  std::vector<int32_t> cell_desks;
  // Planned within the staff on hand: every desk the plan opens is staffed
  // under `staffing` and `availability`, which the roster keeps (the
  // roster of any plan is made with them; defaults when not staffed).
  bool within_staff = false;
  int waves_with_every_desk = 0;  // when within_staff: the waves with every desk open
  StaffingOptions staffing;
  StaffAvailability availability;  // [round staff]; empty: everyone all round

  CellIndex cell(uint32_t site, int wave) const {
    return static_cast<CellIndex>(site * static_cast<uint32_t>(wave_count) +
                                  static_cast<uint32_t>(wave));
  }
  uint32_t site_of_cell(CellIndex cell) const { return cell / static_cast<uint32_t>(wave_count); }
  int wave_of_cell(CellIndex cell) const { return static_cast<int>(cell % wave_count); }
  uint32_t cell_count() const { return site_count * static_cast<uint32_t>(wave_count); }
  // Desks `cell`'s capacity counts (see cell_desks).
  int desks_of_cell(const RoundLayout& layout, CellIndex cell) const {
    return cell_desks.empty() ? layout.site(site_of_cell(cell)).desks : cell_desks[cell];
  }

  // Every field (a new one is compared without being listed): the journal's
  // round-trip tests compare decoded plans whole.
  bool operator==(const Plan&) const = default;
};

class Planner {
 public:
  virtual ~Planner() = default;
  virtual absl::string_view name() const = 0;
  // Plans the round. RESOURCE_EXHAUSTED when the sites cannot serve
  // everyone due within the round's waves (the message says how many
  // places are missing and what to change); INVALID_ARGUMENT for bad
  // options (ValidatePlanOptions).
  [[nodiscard]] virtual absl::StatusOr<Plan> MakePlan(const RoundLayout& layout,
                                                      const RoundConfig& config,
                                                      const PlanOptions& options) const = 0;
};

// What every planner starts from: `options` validated (INVALID_ARGUMENT
// otherwise), the plan named `planner`, its waves, sites and cell
// capacities set, every cell's load zero, and every resident classified
// (ClassifyResidents).
[[nodiscard]] absl::StatusOr<Plan> StartPlan(absl::string_view planner, const RoundLayout& layout,
                                             const RoundConfig& config,
                                             const PlanOptions& options);

// Capacities of every cell, [site * wave_count + wave].
std::vector<int32_t> ComputeCellCapacities(const RoundLayout& layout, const RoundConfig& config,
                                           const PlanOptions& options);

// Capacity of one cell of `site` (round-wide) in `wave` with `desks` open:
// what ComputeCellCapacities gives with the site's own desk count.
int32_t CellCapacity(const RoundLayout& layout, const RoundConfig& config,
                     const PlanOptions& options, uint32_t site, int wave, int desks);

// Minutes of [window_start, window_end) during which a site with the given
// local opening hours is open; `utc_offset_minutes` maps UTC to local time.
int64_t OpenMinutesInWindow(int64_t window_start_unix_s, int64_t window_end_unix_s,
                            int utc_offset_minutes, int opens_at_minute, int closes_at_minute);

// Standing of every round resident, and the door-to-door list grouped by
// building; fills those fields and the counts of `plan`.
void ClassifyResidents(const RoundLayout& layout, Plan& plan);

// Fills waves_used, split_units, total_walking_m, scattered_buildings and
// overloaded_cells from
// the assignments and cell loads, and per community the lower bound:
// the fewest waves whose total capacity covers its load (communities are
// served only by their own sites, so the round's bound is the largest).
void ComputePlanMetrics(const RoundLayout& layout, Plan& plan);

// Checks that every index and array of `plan` fits `layout` (sites, waves,
// cells, units, households, residents), so that nothing reading the plan
// indexes out of range: a plan read back from a journal may hold anything
// its CRC allowed. INTERNAL naming the first misfit. Linear in residents
// and assignments, with no allocation: recovery runs it on every plan.
[[nodiscard]] absl::Status CheckPlanIndexes(const RoundLayout& layout, const Plan& plan);

// Checks every invariant of DESIGN.md §4.4 over the whole plan (its
// indexes first, as CheckPlanIndexes): no cell
// over capacity, every due resident in exactly one cell that matches its
// unit's assignment, every door-to-door resident listed once. INTERNAL
// naming the first violation; used by tests and after every plan.
[[nodiscard]] absl::Status VerifyPlan(const RoundLayout& layout, const Plan& plan);

}  // namespace swabwave::engine::plan

#endif  // SWABWAVE_ENGINE_PLAN_PLAN_H_
