#include "engine/journal/plan_staffing_codec.h"

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

// A count no larger than the bytes left (each item takes at least one).
bool Count(ByteReader& in, uint64_t* count) {
  return in.Varint(count) && (*count <= in.remaining() || in.Fail());
}

}  // namespace

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

}  // namespace swabwave::engine::journal
