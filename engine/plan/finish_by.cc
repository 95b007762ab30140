#include "engine/plan/finish_by.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"

namespace swabwave::engine::plan {

int WavesEndingBy(const RoundConfig& config, absl::Time finish_by) {
  if (finish_by < config.WaveEnd(0)) return 0;
  absl::Duration rest;  // IDivDuration writes the remainder somewhere
  const int64_t waves = absl::IDivDuration(finish_by - config.start, config.wave_length, &rest);
  return static_cast<int>(std::min<int64_t>(waves, config.WaveCount()));
}

namespace {

// Every desk open over the first `waves` waves: people served per site,
// and in all.
struct ServedByThen {
  std::vector<int64_t> per_site;
  int64_t total = 0;
};

ServedByThen Served(const RoundLayout& layout, const RoundConfig& config,
                    const PlanOptions& options, int waves) {
  PlanOptions every_desk = options;
  every_desk.cell_desk_caps.clear();
  every_desk.max_waves = waves;
  const std::vector<int32_t> capacity = ComputeCellCapacities(layout, config, every_desk);
  const int wave_count = config.WaveCount();
  ServedByThen served;
  served.per_site.assign(layout.site_count(), 0);
  for (uint32_t s = 0; s < layout.site_count(); ++s) {
    for (int w = 0; w < waves; ++w) served.per_site[s] += capacity[size_t{s} * wave_count + w];
    served.total += served.per_site[s];
  }
  return served;
}

// What the plan that finishes by then opens, and its staff.
absl::Status DescribeNeeds(const RoundLayout& layout, const RoundConfig& config,
                           const PlanOptions& options, const Plan& plan,
                           const StaffingRequest& staffing, FinishAdvice& advice) {
  absl::StatusOr<Roster> roster =
      StaffPlan(layout, config, plan, staffing.options, staffing.availability);
  if (!roster.ok()) return roster.status();
  advice.headcount = roster->headcount;
  const int waves = config.WaveCount();
  for (uint32_t s = 0; s < layout.site_count(); ++s) {
    int most = 0;
    for (int w = 0; w < waves; ++w) {
      most = std::max(most, roster->cell_desks_needed[size_t{s} * waves + w]);
    }
    if (most > 0) advice.sites.push_back({s, most, layout.site(s).desks});
    advice.desks_open += most;
  }
  // Spread evenly over every wave allowed, at the best rate a desk does:
  // no plan opens fewer desks at once.
  const double per_desk_wave = options.per_desk_rate_per_hour * options.utilization *
                               absl::ToDoubleHours(config.wave_length);
  advice.desks_at_least = static_cast<int>(std::ceil(
      static_cast<double>(plan.due_at_sites) / (per_desk_wave * advice.waves_allowed) - 1e-9));
  return absl::OkStatus();
}

// Not even every desk: the same sites with more desks, each added where a
// desk serves most by then, until a plan fits in the waves allowed (a few
// tries, each adding half as many again). Fills `advice` from the plan that
// fits, as if those desks were there; extra_desks is how many it took.
absl::Status WithMoreDesks(const Planner& planner, const RoundLayout& layout,
                           const RoundConfig& config, const PlanOptions& options,
                           const StaffingRequest& staffing, const ServedByThen& served,
                           FinishAdvice& advice) {
  std::vector<uint32_t> order;  // sites a desk serves most at, best first
  for (uint32_t s = 0; s < layout.site_count(); ++s) {
    if (layout.site(s).desks > 0 && served.per_site[s] > 0) order.push_back(s);
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return served.per_site[a] * layout.site(b).desks > served.per_site[b] * layout.site(a).desks;
  });
  if (order.empty()) return absl::OkStatus();  // no site serves anyone by then
  std::vector<Community> grown;
  grown.reserve(layout.community_count());
  for (uint32_t c = 0; c < layout.community_count(); ++c) grown.push_back(layout.community(c));
  std::vector<const Community*> pointers;
  for (const Community& c : grown) pointers.push_back(&c);

  PlanOptions every_desk = options;
  every_desk.cell_desk_caps.clear();
  every_desk.max_waves = advice.waves_allowed;
  constexpr int kTries = 6;
  for (int attempt = 0, extra = advice.extra_desks; attempt < kTries;
       ++attempt, extra += std::max(1, extra / 2)) {
    int added = 0;
    for (uint32_t s : order) {  // back to the sites' own desks
      const RoundLayout::Local at = layout.LocateSite(s);
      grown[at.community].sites[at.id].desks = layout.site(s).desks;
    }
    // Round robin over the best sites first, skipping those at their most.
    for (size_t next = 0, full = 0; added < extra && full < order.size();
         next = (next + 1) % order.size()) {
      const RoundLayout::Local at = layout.LocateSite(order[next]);
      int& desks = grown[at.community].sites[at.id].desks;
      if (desks >= kMaxDesksPerSite) {
        ++full;
        continue;
      }
      full = 0;
      ++desks;
      ++added;
    }
    const RoundLayout bigger(pointers);
    absl::StatusOr<Plan> plan = planner.MakePlan(bigger, config, every_desk);
    if (!plan.ok() && !absl::IsResourceExhausted(plan.status())) return plan.status();
    if (!plan.ok()) {
      if (added < extra) break;  // every site at its most desks
      continue;
    }
    advice.extra_desks = added;
    advice.met_with_more_desks = true;
    if (absl::Status s = DescribeNeeds(bigger, config, options, *plan, staffing, advice); !s.ok()) {
      return s;
    }
    for (FinishAdvice::SiteNeed& need : advice.sites) {
      need.desks_on_hand = layout.site(need.site).desks;  // what there is today
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FinishAdvice> AdviseFinish(const Planner& planner, const RoundLayout& layout,
                                          const RoundConfig& config, const PlanOptions& options,
                                          const StaffingRequest& staffing,
                                          absl::Time finish_by) {
  FinishAdvice advice;
  advice.finish_by = finish_by;
  advice.waves_allowed = WavesEndingBy(config, finish_by);
  if (advice.waves_allowed == 0) {
    const absl::TimeZone zone = ZoneOf(layout.community(0));  // as people read it
    return absl::InvalidArgumentError(absl::StrCat(
        "finish_by ", absl::FormatTime("%Y-%m-%d %H:%M %Ez", finish_by, zone), " is before round ",
        config.id, "'s first wave ends (", absl::FormatTime("%H:%M", config.WaveEnd(0), zone),
        "): nothing can be done by then"));
  }
  for (uint32_t s = 0; s < layout.site_count(); ++s) advice.desks_on_hand += layout.site(s).desks;

  // 2. Every desk open: the fewest waves, then a plan within the deadline.
  PlanOptions every_desk = options;
  every_desk.cell_desk_caps.clear();
  every_desk.max_waves = 0;
  absl::StatusOr<Plan> fewest = planner.MakePlan(layout, config, every_desk);
  if (!fewest.ok() && !absl::IsResourceExhausted(fewest.status())) return fewest.status();
  if (fewest.ok()) {
    advice.waves_every_desk = fewest->waves_used;
    advice.finish_every_desk = config.WaveEnd(fewest->waves_used - 1);
    advice.due_at_sites = fewest->due_at_sites;
  }
  every_desk.max_waves = advice.waves_allowed;
  absl::StatusOr<Plan> by_then = fewest.ok() && fewest->waves_used <= advice.waves_allowed
                                     ? planner.MakePlan(layout, config, every_desk)
                                     : absl::ResourceExhaustedError("past the deadline");
  if (!by_then.ok() && !absl::IsResourceExhausted(by_then.status())) return by_then.status();
  advice.met_with_every_desk = by_then.ok();
  if (by_then.ok()) {
    advice.due_at_sites = by_then->due_at_sites;
    if (absl::Status s = DescribeNeeds(layout, config, options, *by_then, staffing, advice);
        !s.ok()) {
      return s;
    }
  } else {
    // 4. Not even every desk: how far short, and about how many desks more
    // (each as good as the best site's by then).
    const ServedByThen served = Served(layout, config, options, advice.waves_allowed);
    advice.served_by_then = served.total;
    if (advice.due_at_sites == 0) {
      // No plan at all: classify the residents to count who is due.
      absl::StatusOr<Plan> start = StartPlan("count", layout, config, every_desk);
      if (!start.ok()) return start.status();
      advice.due_at_sites = start->due_at_sites;
    }
    double best_per_desk = 0;
    for (uint32_t s = 0; s < layout.site_count(); ++s) {
      if (layout.site(s).desks > 0) {
        best_per_desk = std::max(best_per_desk, static_cast<double>(served.per_site[s]) /
                                                    layout.site(s).desks);
      }
    }
    const int64_t short_by = advice.due_at_sites - advice.served_by_then;
    advice.extra_desks =
        best_per_desk > 0
            ? std::max(1, static_cast<int>(std::ceil(static_cast<double>(std::max<int64_t>(
                                                         short_by, 1)) /
                                                     best_per_desk)))
            : 0;
    if (advice.extra_desks > 0) {
      if (absl::Status s =
              WithMoreDesks(planner, layout, config, options, staffing, served, advice);
          !s.ok()) {
        return s;
      }
    }
  }

  // 3. Within the staff on hand: the earliest finish it allows.
  absl::StatusOr<StaffedPlan> on_hand = PlanWithinStaff(
      planner, layout, config, options, staffing.options, staffing.availability);
  if (!on_hand.ok() && !absl::IsResourceExhausted(on_hand.status())) return on_hand.status();
  advice.planned_on_hand = on_hand.ok();
  if (on_hand.ok()) {
    advice.waves_on_hand = on_hand->waves;
    advice.finish_on_hand = config.WaveEnd(on_hand->waves - 1);
    advice.met_on_hand = on_hand->waves <= advice.waves_allowed;
  } else {
    advice.on_hand_error = std::string(on_hand.status().message());
  }
  return advice;
}

}  // namespace swabwave::engine::plan
