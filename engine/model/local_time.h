// Local time: the community's time zone, wherever a person reads a time
// (issue 18). A community names an IANA zone ("Asia/Shanghai", read from
// Debian's tzdata through absl) or, in data from before zones, a fixed
// offset from UTC. The API stays in UTC timestamps; tables, notices, the
// schedule CSV, routes and rosters show the zone's local time.
//
// Thread-safety: pure functions (absl caches loaded zones under its own
// lock).
#ifndef SWABWAVE_ENGINE_MODEL_LOCAL_TIME_H_
#define SWABWAVE_ENGINE_MODEL_LOCAL_TIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/model/community.h"

namespace swabwave::engine {

// Where a community says nothing else (the generator's communities, the
// CLI's default).
inline constexpr char kDefaultTimeZone[] = "Asia/Shanghai";

// The zone `name` names. INVALID_ARGUMENT naming it when tzdata does not
// know it (absl reads $TZDIR, else /usr/share/zoneinfo).
[[nodiscard]] absl::StatusOr<absl::TimeZone> LoadNamedZone(absl::string_view name);

// A zone for `name` (an IANA name, or a label "UTC+08:00" as ZoneLabel
// writes), or the fixed `utc_offset_minutes` when `name` is empty (or,
// after a tzdata removal, unknown: the offset is the best left).
absl::TimeZone ZoneFor(absl::string_view name, int utc_offset_minutes);
inline absl::TimeZone ZoneOf(const Community& community) {
  return ZoneFor(community.time_zone, community.utc_offset_minutes);
}

// "Asia/Shanghai", or "UTC+08:00" for a fixed offset.
std::string ZoneLabel(absl::string_view name, int utc_offset_minutes);
inline std::string ZoneLabel(const Community& community) {
  return ZoneLabel(community.time_zone, community.utc_offset_minutes);
}

// The community's offset from UTC at `t`, in minutes (a zone's offset
// changes with daylight saving time; Asia/Shanghai's does not).
int OffsetMinutesAt(const Community& community, absl::Time t);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_LOCAL_TIME_H_
