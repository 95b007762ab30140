#include "engine/model/local_time.h"

#include <cstdlib>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace swabwave::engine {

namespace {

// absl's zone cache makes its lock and map on first use, in Debian's
// prebuilt (uninstrumented) Abseil: ThreadSanitizer cannot see that first
// use ordered before another thread's. Making it under a C++ static, which
// every caller passes first, orders it: threads that generate communities
// or plan in parallel then only ever take the cache's own lock.
void WarmZoneCache() {
  static const bool warmed = [] {
    (void)absl::FixedTimeZone(0);
    absl::TimeZone zone;
    (void)absl::LoadTimeZone(kDefaultTimeZone, &zone);
    return true;
  }();
  (void)warmed;
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadNamedZone(absl::string_view name) {
  WarmZoneCache();
  absl::TimeZone zone;
  // absl reads any path it is given: a zone name is a tzdata name, never a
  // file of the caller's choosing.
  const bool plausible = !name.empty() && name.size() <= 64 && name.front() != '/' &&
                         name.find("..") == absl::string_view::npos;
  if (!plausible || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time zone '", name.substr(0, 64),
                     "' is not one tzdata knows; give an IANA name such as ", kDefaultTimeZone,
                     " (is the tzdata package installed?)"));
  }
  return zone;
}

namespace {

// "UTC+08:00" / "UTC-05:30" as minutes; none for anything else.
std::optional<int> FixedLabelMinutes(absl::string_view label) {
  if (label.size() != 9 || !absl::StartsWith(label, "UTC") || label[6] != ':' ||
      (label[3] != '+' && label[3] != '-')) {
    return std::nullopt;
  }
  int hours = 0, minutes = 0;
  if (!absl::SimpleAtoi(label.substr(4, 2), &hours) ||
      !absl::SimpleAtoi(label.substr(7, 2), &minutes) || hours > 14 || minutes > 59) {
    return std::nullopt;
  }
  return (label[3] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

}  // namespace

absl::TimeZone ZoneFor(absl::string_view name, int utc_offset_minutes) {
  WarmZoneCache();
  if (const std::optional<int> fixed = FixedLabelMinutes(name)) {
    return absl::FixedTimeZone(*fixed * 60);
  }
  if (!name.empty()) {
    absl::StatusOr<absl::TimeZone> zone = LoadNamedZone(name);
    if (zone.ok()) return *zone;
  }
  return absl::FixedTimeZone(utc_offset_minutes * 60);
}

std::string ZoneLabel(absl::string_view name, int utc_offset_minutes) {
  if (!name.empty()) return std::string(name);
  const int magnitude = std::abs(utc_offset_minutes);
  return absl::StrFormat("UTC%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+', magnitude / 60,
                         magnitude % 60);
}

int OffsetMinutesAt(const Community& community, absl::Time t) {
  return ZoneOf(community).At(t).offset / 60;
}

}  // namespace swabwave::engine
