#include "engine/journal/plan_fields.h"

#include <limits>

namespace swabwave::engine::journal {

namespace {

constexpr int64_t kWeekSeconds = 7 * 24 * 3600;

// Availability bounds in whole seconds; the unbounded ends as the int64
// limits, which no real time reaches.
int64_t UnixSecondsOrLimit(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixSeconds(t);
}

absl::Time TimeOrInfinite(int64_t seconds) {
  if (seconds == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (seconds == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixSeconds(seconds);
}

constexpr uint64_t kMaxCount = uint64_t{1} << 31;

// INVALID_ARGUMENT: `what` of the plan, and where it starts.
absl::Status Damaged(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(what, " (at byte ", offset, ")"));
}

// A count no larger than the bytes left (each item takes at least one).
bool Count(ByteReader& in, uint64_t* count) {
  if (!in.Varint(count)) return false;
  if (*count > kMaxCount || *count > in.remaining()) return in.Fail();
  return true;
}

}  // namespace

absl::Status CheckDecodedPlan(const plan::Plan& p) {
  auto bad = [](absl::string_view what) { return absl::InvalidArgumentError(what); };
  if (p.wave_count <= 0 || p.wave_count > kMaxPlanWaves) return bad("wave count");
  for (int waves : {p.waves_used, p.waves_lower_bound, p.waves_optimum}) {
    if (waves < 0 || waves > p.wave_count) return bad("waves used or bounds");
  }
  if (p.site_count > kMaxPlanSites) return bad("site count");
  const uint64_t cells = uint64_t{p.site_count} * static_cast<uint64_t>(p.wave_count);
  if (cells >= kNoId || p.cell_capacity.size() != cells || p.cell_load.size() != cells) {
    return bad("cells");
  }
  const size_t residents = p.resident_standing.size();
  if (p.resident_cell.size() != residents) return bad("resident cells");
  for (size_t r = 0; r < residents; ++r) {
    if (static_cast<uint8_t>(p.resident_standing[r]) >
            static_cast<uint8_t>(Standing::kNotTargeted) ||
        (p.resident_cell[r] != kNoId && p.resident_cell[r] >= cells)) {
      return bad(absl::StrCat("plan of resident #", r));
    }
  }
  for (const plan::UnitAssignment& a : p.assignments) {
    if (a.site >= p.site_count || a.wave < 0 || a.wave >= p.wave_count || a.residents < 0) {
      return bad("assignment");
    }
  }
  for (uint32_t r : p.door_to_door) {
    if (r >= residents) return bad("door-to-door visit");
  }
  return absl::OkStatus();
}

bool NarrowToInt(int64_t value, int* out) {
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return false;
  }
  *out = static_cast<int>(value);
  return true;
}

void PutPlanStaffing(ByteWriter& out, const plan::Plan& plan) {
  out.Varint(plan.cell_desks.size());
  for (int32_t desks : plan.cell_desks) out.SignedVarint(desks);
  out.U8(plan.within_staff ? 1 : 0);
  out.SignedVarint(plan.waves_with_every_desk);
  out.SignedVarint(absl::ToInt64Seconds(plan.staffing.max_in_gear));
  out.SignedVarint(absl::ToInt64Seconds(plan.staffing.rest));
  out.SignedVarint(absl::ToInt64Seconds(plan.staffing.gear_change));
  out.Varint(plan.availability.size());
  for (const plan::Availability& a : plan.availability) {
    out.SignedVarint(UnixSecondsOrLimit(a.from));
    out.SignedVarint(UnixSecondsOrLimit(a.until));
  }
}

bool GetPlanStaffing(ByteReader& in, plan::Plan& plan) {
  uint64_t cells;
  if (!Count(in, &cells) || (cells != 0 && cells != plan.cell_count())) return false;
  plan.cell_desks.resize(cells);
  for (int32_t& desks : plan.cell_desks) {
    int64_t v;
    if (!in.SignedVarint(&v) || v < 0 || v > kMaxDesksPerSite) return false;
    desks = static_cast<int32_t>(v);
  }
  uint8_t within_staff;
  int64_t waves_with_every_desk, max_in_gear, rest, gear_change;
  uint64_t available;
  if (!in.U8(&within_staff) || within_staff > 1 || !in.SignedVarint(&waves_with_every_desk) ||
      waves_with_every_desk < 0 || waves_with_every_desk > plan.wave_count ||
      !in.SignedVarint(&max_in_gear) || !in.SignedVarint(&rest) ||
      !in.SignedVarint(&gear_change) || !Count(in, &available)) {
    return false;
  }
  for (int64_t seconds : {max_in_gear, rest, gear_change}) {
    if (seconds < 0 || seconds > kWeekSeconds) return false;
  }
  plan.within_staff = within_staff == 1;
  plan.waves_with_every_desk = static_cast<int>(waves_with_every_desk);
  plan.staffing = {absl::Seconds(max_in_gear), absl::Seconds(rest), absl::Seconds(gear_change)};
  plan.availability.resize(available);
  for (plan::Availability& a : plan.availability) {
    int64_t from, until;
    if (!in.SignedVarint(&from) || !in.SignedVarint(&until)) return false;
    a = {TimeOrInfinite(from), TimeOrInfinite(until)};
  }
  return true;
}

void PutPlanImage(ByteWriter& w, const plan::Plan& p) {
  w.String(p.planner);
  w.SignedVarint(p.wave_count);
  w.SignedVarint(p.waves_used);
  w.SignedVarint(p.waves_lower_bound);
  w.SignedVarint(p.waves_optimum);
  w.Varint(p.site_count);
  w.Array(p.cell_capacity);
  w.Array(p.cell_load);
  w.Array(p.resident_standing);
  w.Array(p.resident_cell);
  w.Varint(p.assignments.size());
  for (const plan::UnitAssignment& a : p.assignments) {
    w.Varint(a.unit);
    w.Varint(a.site);
    w.SignedVarint(a.wave);
    w.SignedVarint(a.residents);
    w.Array(a.households);
  }
  w.Array(p.door_to_door);
  w.SignedVarint(p.residents);
  w.SignedVarint(p.due_at_sites);
  w.SignedVarint(p.door_to_door_count);
  w.SignedVarint(p.exempt);
  w.SignedVarint(p.units);
  w.SignedVarint(p.split_units);
  w.Double(p.total_walking_m);
  w.Double(p.flow_walking_m);
  w.SignedVarint(p.scattered_buildings);
  w.SignedVarint(p.overloaded_cells);
  PutPlanStaffing(w, p);
}

absl::Status GetPlanImage(ByteReader& in, plan::Plan* p) {
  const size_t at = in.offset();
  int64_t wave_count, waves_used, lower_bound, optimum;
  if (!in.String(&p->planner) || !in.SignedVarint(&wave_count) || !in.SignedVarint(&waves_used) ||
      !in.SignedVarint(&lower_bound) || !in.SignedVarint(&optimum) ||
      !in.Varint32(&p->site_count) || !NarrowToInt(wave_count, &p->wave_count) ||
      !NarrowToInt(waves_used, &p->waves_used) ||
      !NarrowToInt(lower_bound, &p->waves_lower_bound) ||
      !NarrowToInt(optimum, &p->waves_optimum) || wave_count <= 0 ||
      wave_count > kMaxPlanWaves || p->site_count > kMaxPlanSites) {
    return Damaged(at, "plan header");
  }
  // Bounded before reading: the arrays' lengths are checked against it.
  const uint64_t cells = uint64_t{p->site_count} * static_cast<uint64_t>(wave_count);
  if (!in.Array(&p->cell_capacity, cells) || !in.Array(&p->cell_load, cells) ||
      !in.Array(&p->resident_standing, kMaxCount) ||
      !in.Array(&p->resident_cell, p->resident_standing.size())) {
    return Damaged(at, "plan arrays");
  }
  uint64_t count;
  if (!Count(in, &count)) return Damaged(at, "assignment count");
  p->assignments.resize(count);
  for (plan::UnitAssignment& a : p->assignments) {
    int64_t wave, residents;
    if (!in.Varint32(&a.unit) || !in.Varint32(&a.site) || !in.SignedVarint(&wave) ||
        !in.SignedVarint(&residents) || !in.Array(&a.households, kMaxCount) ||
        !NarrowToInt(wave, &a.wave) || !NarrowToInt(residents, &a.residents)) {
      return Damaged(at, "assignment");
    }
  }
  if (!in.Array(&p->door_to_door, p->resident_standing.size()) ||
      !in.SignedVarint(&p->residents) || !in.SignedVarint(&p->due_at_sites) ||
      !in.SignedVarint(&p->door_to_door_count) || !in.SignedVarint(&p->exempt) ||
      !in.SignedVarint(&p->units) || !in.SignedVarint(&p->split_units) ||
      !in.Double(&p->total_walking_m) || !in.Double(&p->flow_walking_m) ||
      !in.SignedVarint(&p->scattered_buildings) || !in.SignedVarint(&p->overloaded_cells)) {
    return Damaged(at, "plan lists and totals");
  }
  if (absl::Status s = CheckDecodedPlan(*p); !s.ok()) return Damaged(at, s.message());
  if (const size_t staffing_at = in.offset(); !GetPlanStaffing(in, *p)) {
    return Damaged(staffing_at, "plan staffing");
  }
  return absl::OkStatus();
}

}  // namespace swabwave::engine::journal
