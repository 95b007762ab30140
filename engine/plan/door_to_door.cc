#include "engine/plan/door_to_door.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::plan {
namespace {

struct Stop {
  uint32_t building;  // round building
  Location location;
  std::vector<uint32_t> residents;
};

// Nearest-neighbour order from `base`: the closest unvisited stop next,
// ties to the lower building index (stops come in building order).
std::vector<Stop> NearestNeighbourOrder(Location base, std::vector<Stop> stops) {
  std::vector<Stop> tour;
  std::vector<char> visited(stops.size(), 0);
  Location here = base;
  for (size_t n = 0; n < stops.size(); ++n) {
    size_t best = stops.size();
    double best_m = 0;
    for (size_t i = 0; i < stops.size(); ++i) {
      if (visited[i]) continue;
      const double m = Distance(here, stops[i].location);
      if (best == stops.size() || m < best_m) {
        best = i;
        best_m = m;
      }
    }
    visited[best] = 1;
    here = stops[best].location;
    tour.push_back(std::move(stops[best]));
  }
  return tour;
}

// Minutes of a route over tour[first, end), from and back to `base`.
class RouteTimer {
 public:
  RouteTimer(Location base, const std::vector<Stop>& tour, const DoorToDoorOptions& options)
      : base_(base), tour_(tour), options_(options) {}

  double VisitMinutes(size_t i) const {
    return static_cast<double>(tour_[i].residents.size()) *
           absl::ToDoubleMinutes(options_.per_visit);
  }
  double WalkMinutes(Location a, Location b) const {
    return Distance(a, b) / options_.walking_m_per_minute;
  }
  // Minutes of the route [first, end) if stop `end` were added.
  double Extended(double minutes_without_return, size_t last, size_t next) const {
    return minutes_without_return + WalkMinutes(tour_[last].location, tour_[next].location) +
           VisitMinutes(next) + WalkMinutes(tour_[next].location, base_);
  }

  double WholeTourMinutes() const {
    double minutes = 0;
    Location here = base_;
    for (size_t i = 0; i < tour_.size(); ++i) {
      minutes += WalkMinutes(here, tour_[i].location) + VisitMinutes(i);
      here = tour_[i].location;
    }
    return minutes + WalkMinutes(here, base_);
  }

  // Cuts the tour greedily into routes of at most `limit` minutes (a single
  // stop longer than the limit is a route of its own); returns the cut points.
  std::vector<size_t> Cut(double limit) const {
    std::vector<size_t> starts;
    double open = 0;  // minutes of the open route without the walk back
    for (size_t i = 0; i < tour_.size(); ++i) {
      const bool fits = !starts.empty() && Extended(open, i - 1, i) <= limit;
      if (fits) {
        open += WalkMinutes(tour_[i - 1].location, tour_[i].location) + VisitMinutes(i);
      } else {
        starts.push_back(i);
        open = WalkMinutes(base_, tour_[i].location) + VisitMinutes(i);
      }
    }
    return starts;
  }

 private:
  Location base_;
  const std::vector<Stop>& tour_;
  const DoorToDoorOptions& options_;
};

// The cut into at most `teams` routes with the shortest longest route:
// bisection on the limit between 0 and one route over the whole tour
// (Cut's route count only falls as the limit grows).
std::vector<size_t> BalancedCut(const RouteTimer& timer, int teams) {
  double low = 0;
  double high = timer.WholeTourMinutes();
  std::vector<size_t> best = timer.Cut(high);
  for (int iteration = 0; iteration < 60 && teams > 1; ++iteration) {
    const double mid = low + (high - low) / 2;
    std::vector<size_t> cut = timer.Cut(mid);
    if (cut.size() <= static_cast<size_t>(teams)) {
      high = mid;
      best = std::move(cut);
    } else {
      low = mid;
    }
  }
  return best;
}

}  // namespace

absl::Status ValidateDoorToDoorOptions(const DoorToDoorOptions& options) {
  if (options.teams_per_community < 1 || options.teams_per_community > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("teams_per_community ",
                                                   options.teams_per_community,
                                                   " must be between 1 and 1000"));
  }
  if (options.per_visit <= absl::ZeroDuration() || options.per_visit > absl::Hours(2)) {
    return absl::InvalidArgumentError(absl::StrCat("per_visit ",
                                                   absl::FormatDuration(options.per_visit),
                                                   " must be more than 0 and at most 2h"));
  }
  if (!(options.walking_m_per_minute >= 1 && options.walking_m_per_minute <= 1000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("walking_m_per_minute ", options.walking_m_per_minute,
                     " must be between 1 and 1000 (about 60 is a walk)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DoorToDoorPlan> PlanDoorToDoor(const RoundLayout& layout,
                                              const RoundConfig& config, const Plan& plan,
                                              const DoorToDoorOptions& options,
                                              const std::function<bool(uint32_t)>& to_visit) {
  if (!to_visit) return PlanRoutes(layout, config, plan.door_to_door, options);
  std::vector<uint32_t> residents;
  for (uint32_t r : plan.door_to_door) {
    if (to_visit(r)) residents.push_back(r);
  }
  return PlanRoutes(layout, config, residents, options);
}

absl::StatusOr<DoorToDoorPlan> PlanRoutes(const RoundLayout& layout, const RoundConfig& config,
                                          const std::vector<uint32_t>& residents,
                                          const DoorToDoorOptions& options) {
  if (absl::Status s = ValidateDoorToDoorOptions(options); !s.ok()) return s;
  DoorToDoorPlan result;
  const absl::Time round_end = config.start + config.duration;
  const absl::Time leave = std::max(config.start, options.leave_at);
  // The list is grouped by building, communities in order: one stop per run.
  std::vector<std::vector<Stop>> stops(layout.community_count());
  for (uint32_t r : residents) {
    const RoundLayout::Local local = layout.LocateResident(r);
    const Community& community = layout.community(local.community);
    const BuildingId b = community.building_of(local.id);
    const uint32_t building = layout.building_base(local.community) + b;
    std::vector<Stop>& list = stops[local.community];
    if (list.empty() || list.back().building != building) {
      list.push_back(Stop{building, community.buildings[b].location, {}});
    }
    list.back().residents.push_back(r);
    ++result.residents;
  }
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    if (stops[c].empty()) continue;
    const Community& community = layout.community(c);
    if (community.sites.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "community '", community.id, "' has door-to-door residents but no site to leave from"));
    }
    const Location base = community.sites[0].location;
    const std::vector<Stop> tour = NearestNeighbourOrder(base, std::move(stops[c]));
    const RouteTimer timer(base, tour, options);
    std::vector<size_t> starts = BalancedCut(timer, options.teams_per_community);
    starts.push_back(tour.size());
    for (size_t t = 0; t + 1 < starts.size(); ++t) {
      DoorToDoorRoute route;
      route.community = c;
      route.team = static_cast<int>(t);
      route.base_site = layout.site_base(c);
      route.starts = leave;
      Location here = base;
      absl::Time clock = leave;
      for (size_t i = starts[t]; i < starts[t + 1]; ++i) {
        const double metres = Distance(here, tour[i].location);
        route.walking_m += metres;
        clock += absl::Seconds(60 * metres / options.walking_m_per_minute);
        route.stops.push_back(DoorToDoorStop{tour[i].building, tour[i].residents, clock});
        const absl::Duration visit =
            static_cast<int64_t>(tour[i].residents.size()) * options.per_visit;
        route.visiting += visit;
        clock += visit;
        here = tour[i].location;
      }
      route.walking_m += Distance(here, base);
      route.walking = absl::Seconds(60 * route.walking_m / options.walking_m_per_minute);
      route.total = route.walking + route.visiting;
      route.ends = route.starts + route.total;
      route.fits = route.ends <= round_end;
      if (!route.fits) {
        result.all_fit = false;
        result.late_routes.push_back(result.routes.size());
      }
      result.longest = std::max(result.longest, route.total);
      result.routes.push_back(std::move(route));
    }
  }
  return result;
}

}  // namespace swabwave::engine::plan
