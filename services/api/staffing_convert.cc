#include "services/api/staffing_convert.h"

#include <tuple>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/api/proto_convert.h"

namespace swabwave::services {

namespace {

using engine::plan::Availability;

bool RoundListsStaff(const engine::RoundLayout& layout) {
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    if (!layout.community(c).staff.empty()) return true;
  }
  return false;
}

// The round staff index of member `staff_id` of community `community_id`.
absl::StatusOr<uint32_t> FindMember(const engine::RoundLayout& layout,
                                    const engine::plan::RoundStaff& staff,
                                    const std::string& community_id, const std::string& staff_id) {
  for (uint32_t c = 0; c < layout.community_count(); ++c) {
    const engine::Community& community = layout.community(c);
    if (community.id != community_id) continue;
    for (uint32_t i = 0; i < community.staff.size(); ++i) {
      if (community.staff[i].id == staff_id) return staff.base[c] + i;
    }
    return absl::InvalidArgumentError(absl::StrCat("staffing.availability: community ",
                                                   community_id, " has no staff member '",
                                                   staff_id, "'"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "staffing.availability: community '", community_id, "' is not in this round"));
}

absl::Status AvailabilityFromProto(const engine::RoundLayout& layout,
                                   const v1::StaffingOptions& options,
                                   engine::plan::StaffAvailability* out) {
  if (options.availability().empty()) return absl::OkStatus();
  const engine::plan::RoundStaff staff = engine::plan::ListRoundStaff(layout);
  out->assign(staff.count(), Availability{});
  std::vector<char> listed(staff.count(), 0);
  for (const v1::StaffAvailability& window : options.availability()) {
    absl::StatusOr<uint32_t> member =
        FindMember(layout, staff, window.community_id(), window.staff_id());
    if (!member.ok()) return member.status();
    if (listed[*member]) {
      return absl::InvalidArgumentError(absl::StrCat("staffing.availability lists staff member '",
                                                     window.staff_id(), "' of ",
                                                     window.community_id(), " twice"));
    }
    listed[*member] = 1;
    Availability& a = (*out)[*member];
    if (window.has_available_from()) {
      absl::StatusOr<absl::Time> from =
          TimeFromRequest("staffing.availability.available_from", window.available_from());
      if (!from.ok()) return from.status();
      a.from = *from;
    }
    if (window.has_available_until()) {
      absl::StatusOr<absl::Time> until =
          TimeFromRequest("staffing.availability.available_until", window.available_until());
      if (!until.ok()) return until.status();
      a.until = *until;
    }
    if (a.until <= a.from) {
      return absl::InvalidArgumentError(absl::StrCat(
          "staffing.availability of staff member '", window.staff_id(), "' of ",
          window.community_id(), " ends before it starts"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<engine::plan::StaffingRequest> StaffingRequestFromProto(
    const engine::Round& round, const v1::StaffingOptions& options) {
  engine::plan::StaffingRequest request;
  const bool lists_staff = RoundListsStaff(round.layout());
  switch (options.mode()) {
    case v1::STAFFING_MODE_UNSPECIFIED: request.within_staff = lists_staff; break;
    case v1::STAFFING_MODE_WITHIN_STAFF:
      if (!lists_staff) {
        return absl::FailedPreconditionError(absl::StrCat(
            "round ", round.config().id, "'s communities list no staff, so it cannot be planned "
            "within the staff on hand; import the staff or use STAFFING_MODE_EVERY_DESK"));
      }
      request.within_staff = true;
      break;
    case v1::STAFFING_MODE_EVERY_DESK: request.within_staff = false; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "staffing.mode ", options.mode(),
          " is not a mode: use STAFFING_MODE_WITHIN_STAFF or STAFFING_MODE_EVERY_DESK"));
  }
  for (auto [field, has, value, into] :
       {std::tuple("staffing.max_in_gear", options.has_max_in_gear(), &options.max_in_gear(),
                   &request.options.max_in_gear),
        std::tuple("staffing.rest", options.has_rest(), &options.rest(), &request.options.rest),
        std::tuple("staffing.gear_change", options.has_gear_change(), &options.gear_change(),
                   &request.options.gear_change)}) {
    if (!has) continue;
    absl::StatusOr<absl::Duration> duration = DurationFromRequest(field, *value);
    if (!duration.ok()) return duration.status();
    *into = *duration;
  }
  // The rules must leave a whole wave at a desk in this round.
  if (absl::StatusOr<engine::plan::GearCycle> cycle =
          engine::plan::ComputeGearCycle(request.options, round.config());
      !cycle.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("staffing: ", cycle.status().message()));
  }
  if (absl::Status s = AvailabilityFromProto(round.layout(), options, &request.availability);
      !s.ok()) {
    return s;
  }
  return request;
}

void RosterToProto(const engine::Round& round, const engine::plan::Plan& plan,
                   const engine::plan::Roster& roster, size_t first_site, size_t end_site,
                   v1::GetRosterResponse* out) {
  const engine::RoundLayout& layout = round.layout();
  out->set_within_staff(plan.within_staff);
  ToProto(plan.staffing.max_in_gear, out->mutable_max_in_gear());
  ToProto(plan.staffing.rest, out->mutable_rest());
  ToProto(plan.staffing.gear_change, out->mutable_gear_change());
  out->set_max_waves_per_stint(roster.cycle.max_waves_per_stint);
  out->set_min_idle_waves(roster.cycle.min_idle_waves);
  v1::Headcount* headcount = out->mutable_headcount();
  headcount->set_samplers_needed(roster.headcount.samplers_needed);
  headcount->set_scanners_needed(roster.headcount.scanners_needed);
  headcount->set_samplers_on_hand(roster.headcount.samplers_on_hand);
  headcount->set_scanners_on_hand(roster.headcount.scanners_on_hand);
  headcount->set_staff_on_hand(roster.headcount.staff_on_hand);
  out->set_desk_waves_needed(roster.desk_waves_needed);
  out->set_desk_waves_staffed(roster.desk_waves_staffed);
  out->set_shortfalls_total(static_cast<int64_t>(roster.shortfalls.size()));
  out->set_total_sites(static_cast<int32_t>(layout.site_count()));

  const engine::plan::RoundStaff staff = engine::plan::ListRoundStaff(layout);
  auto on_page = [&](uint32_t site) { return site >= first_site && site < end_site; };
  for (const engine::plan::Shift& shift : roster.shifts) {
    if (!on_page(shift.site)) continue;
    // Members work only in their own community, which owns the site.
    const engine::RoundLayout::Local site = layout.LocateSite(shift.site);
    const engine::Community& community = layout.community(site.community);
    v1::RosterShift* o = out->add_shifts();
    o->set_community_id(community.id);
    o->set_staff_id(community.staff[shift.staff - staff.base[site.community]].id);
    o->set_site_id(layout.site(shift.site).id);
    o->set_desk(shift.desk + 1);
    o->set_role(shift.role == engine::kRoleSampler ? v1::STAFF_ROLE_SAMPLER
                                                   : v1::STAFF_ROLE_SCANNER);
    o->set_first_wave(shift.first_wave);
    o->set_end_wave(shift.end_wave);
    ToProto(shift.starts, o->mutable_starts());
    ToProto(shift.ends, o->mutable_ends());
  }
  for (const engine::plan::DeskShortfall& shortfall : roster.shortfalls) {
    if (!on_page(shortfall.site)) continue;
    v1::DeskShortfall* o = out->add_shortfalls();
    o->set_site_id(layout.site(shortfall.site).id);
    o->set_wave(shortfall.wave);
    o->set_desks_needed(shortfall.desks_needed);
    o->set_desks_staffed(shortfall.desks_staffed);
  }
}

absl::StatusOr<engine::plan::DoorToDoorOptions> DoorToDoorOptionsFromProto(
    const v1::DoorToDoorOptions& options) {
  engine::plan::DoorToDoorOptions out;
  if (options.teams_per_community() != 0) out.teams_per_community = options.teams_per_community();
  if (options.has_per_visit()) {
    absl::StatusOr<absl::Duration> per_visit =
        DurationFromRequest("options.per_visit", options.per_visit());
    if (!per_visit.ok()) return per_visit.status();
    out.per_visit = *per_visit;
  }
  if (options.walking_m_per_minute() != 0) {
    out.walking_m_per_minute = options.walking_m_per_minute();
  }
  if (absl::Status s = engine::plan::ValidateDoorToDoorOptions(out); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("options.", s.message()));
  }
  return out;
}

void RoutesToProto(const engine::Round& round, const engine::plan::DoorToDoorPlan& routes,
                   size_t first_route, size_t end_route, v1::ListDoorToDoorRoutesResponse* out) {
  const engine::RoundLayout& layout = round.layout();
  out->set_total_routes(static_cast<int32_t>(routes.routes.size()));
  out->set_residents(routes.residents);
  out->set_all_fit(routes.all_fit);
  out->set_late_routes(static_cast<int32_t>(routes.late_routes.size()));
  ToProto(routes.longest, out->mutable_longest());
  for (size_t i = first_route; i < end_route; ++i) {
    const engine::plan::DoorToDoorRoute& route = routes.routes[i];
    v1::DoorToDoorRoute* o = out->add_routes();
    o->set_community_id(layout.community(route.community).id);
    o->set_team(route.team + 1);
    if (route.team < round.config().door_to_door_teams) {
      o->set_desk(absl::StrCat("communities/", o->community_id(), "/teams/", route.team + 1));
    }
    o->set_base_site_id(layout.site(route.base_site).id);
    for (const engine::plan::DoorToDoorStop& stop : route.stops) {
      v1::RouteStop* s = o->add_stops();
      const engine::RoundLayout::Local building = layout.LocateBuilding(stop.building);
      s->set_building_id(layout.community(building.community).buildings[building.id].id);
      for (uint32_t r : stop.residents) s->add_resident_ids(r);
      ToProto(stop.arrives, s->mutable_arrives());
    }
    o->set_walking_m(route.walking_m);
    ToProto(route.walking, o->mutable_walking());
    ToProto(route.visiting, o->mutable_visiting());
    ToProto(route.total, o->mutable_total());
    ToProto(route.starts, o->mutable_starts());
    ToProto(route.ends, o->mutable_ends());
    o->set_fits(route.fits);
  }
}

}  // namespace swabwave::services
