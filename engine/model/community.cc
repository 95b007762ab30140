#include "engine/model/community.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/model/local_time.h"
#include "engine/model/names.h"

namespace swabwave::engine {

int Community::TotalDesks() const {
  int desks = 0;
  for (const Site& site : sites) desks += site.desks;
  return desks;
}

namespace {

// Prefixes an entity's description to a field check's message.
absl::Status InEntity(absl::string_view entity, absl::string_view id, absl::Status status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(entity, " '", id, "': ", status.message()));
}

absl::Status Unknown(absl::string_view entity, absl::string_view id, absl::string_view field,
                     absl::string_view parent_kind, absl::string_view parent_id) {
  // The reference is cut like CheckId cuts ids: a megabyte of it would not
  // fit in the status trailers.
  return absl::InvalidArgumentError(absl::StrCat(
      entity, " '", id, "': ", field, " '", parent_id.substr(0, kMaxIdLength), "' is not a known ",
      parent_kind, " of this community (import each ", parent_kind, " before what it contains)"));
}

absl::Status Duplicate(absl::string_view entity, absl::string_view id) {
  return absl::InvalidArgumentError(
      absl::StrCat(entity, " id '", id, "' appears twice in this community"));
}

}  // namespace

CommunityBuilder::CommunityBuilder(std::string id, std::string name, int utc_offset_minutes)
    : codes_(0, CodeHash{&community_.resident_codes}, CodeEq{&community_.resident_codes}) {
  header_status_ = CheckId("community_id", id);
  if (header_status_.ok()) {
    header_status_ = InEntity("community", id, CheckName("name", name));
  }
  if (header_status_.ok() && (utc_offset_minutes < -14 * 60 || utc_offset_minutes > 14 * 60)) {
    header_status_ = absl::InvalidArgumentError(absl::StrCat(
        "community '", id, "': utc_offset_minutes ", utc_offset_minutes, " is outside -840..840"));
  }
  community_.id = std::move(id);
  community_.name = std::move(name);
  community_.utc_offset_minutes = utc_offset_minutes;
}

absl::Status CommunityBuilder::SetTimeZone(std::string name) {
  if (!name.empty()) {
    if (absl::StatusOr<absl::TimeZone> zone = LoadNamedZone(name); !zone.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("community '", community_.id, "': ", zone.status().message()));
    }
  }
  community_.time_zone = std::move(name);
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddCompound(std::string id, std::string name, CompoundKind kind) {
  if (absl::Status s = CheckId("compound_id", id); !s.ok()) return s;
  if (absl::Status s = CheckName("name", name); !s.ok()) return InEntity("compound", id, s);
  if (compound_ids_.contains(id)) return Duplicate("compound", id);
  compound_ids_.emplace(id, static_cast<CompoundId>(community_.compounds.size()));
  community_.compounds.push_back(Compound{std::move(id), std::move(name), kind});
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddBuilding(std::string id, absl::string_view compound_id,
                                           std::string name, Location location) {
  if (absl::Status s = CheckId("building_id", id); !s.ok()) return s;
  if (absl::Status s = CheckName("name", name); !s.ok()) return InEntity("building", id, s);
  if (building_ids_.contains(id)) return Duplicate("building", id);
  auto compound = compound_ids_.find(compound_id);
  if (compound == compound_ids_.end()) {
    return Unknown("building", id, "compound_id", "compound", compound_id);
  }
  if (!std::isfinite(location.x_m) || !std::isfinite(location.y_m)) {
    return absl::InvalidArgumentError(
        absl::StrCat("building '", id, "': location must be finite metres"));
  }
  building_ids_.emplace(id, static_cast<BuildingId>(community_.buildings.size()));
  community_.buildings.push_back(
      Building{std::move(id), compound->second, std::move(name), location});
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddUnit(std::string id, absl::string_view building_id,
                                       std::string name) {
  if (absl::Status s = CheckId("unit_id", id); !s.ok()) return s;
  if (absl::Status s = CheckName("name", name); !s.ok()) return InEntity("unit", id, s);
  if (unit_ids_.contains(id)) return Duplicate("unit", id);
  auto building = building_ids_.find(building_id);
  if (building == building_ids_.end()) {
    return Unknown("unit", id, "building_id", "building", building_id);
  }
  unit_ids_.emplace(id, static_cast<UnitId>(community_.units.size()));
  community_.units.push_back(Unit{std::move(id), building->second, std::move(name)});
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddHousehold(std::string id, absl::string_view unit_id) {
  if (absl::Status s = CheckId("household_id", id); !s.ok()) return s;
  if (household_ids_.contains(id)) return Duplicate("household", id);
  auto unit = unit_ids_.find(unit_id);
  if (unit == unit_ids_.end()) return Unknown("household", id, "unit_id", "unit", unit_id);
  household_ids_.emplace(id, static_cast<HouseholdId>(community_.households.size()));
  community_.households.push_back(Household{std::move(id), unit->second});
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddResident(absl::string_view code, absl::string_view household_id,
                                           bool mobility_limited, ExemptionReason exemption) {
  const std::string where = absl::StrCat("resident #", community_.residents.size() + 1);
  if (absl::Status s = CheckCode("code", code); !s.ok()) return InEntity("resident", where, s);
  auto household = household_ids_.find(household_id);
  if (household == household_ids_.end()) {
    return Unknown("resident", where, "household_id", "household", household_id);
  }
  if (codes_.contains(code)) {
    // The code itself is personal data: say which resident, not which code.
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": its code is already used by another resident"));
  }
  const uint32_t index = community_.resident_codes.Append(code);
  codes_.insert(index);
  community_.residents.push_back(Resident{household->second, mobility_limited, exemption});
  return absl::OkStatus();
}

absl::Status CheckSiteSettings(const Site& site) {
  if (site.desks < 1 || site.desks > kMaxDesksPerSite) {
    return absl::InvalidArgumentError(absl::StrCat("site '", site.id, "': desks is ", site.desks,
                                                   "; it must be 1..", kMaxDesksPerSite));
  }
  if (site.opens_at_minute < 0 || site.opens_at_minute >= kMinutesPerDay ||
      site.closes_at_minute <= site.opens_at_minute ||
      site.closes_at_minute > site.opens_at_minute + kMinutesPerDay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "site '", site.id, "': opening hours ", site.opens_at_minute, "..", site.closes_at_minute,
        " (minutes after local midnight) must open in 0..1439 and close after opening, "
        "within 24 h"));
  }
  if (!std::isfinite(site.location.x_m) || !std::isfinite(site.location.y_m)) {
    return absl::InvalidArgumentError(
        absl::StrCat("site '", site.id, "': location must be finite metres"));
  }
  return InEntity("site", site.id, CheckName("name", site.name));
}

absl::Status CommunityBuilder::AddSite(Site site) {
  if (absl::Status s = CheckId("site_id", site.id); !s.ok()) return s;
  if (site_ids_.contains(site.id)) return Duplicate("site", site.id);
  if (absl::Status s = CheckSiteSettings(site); !s.ok()) return s;
  site_ids_.emplace(site.id, static_cast<SiteId>(community_.sites.size()));
  community_.sites.push_back(std::move(site));
  return absl::OkStatus();
}

absl::Status CommunityBuilder::AddStaff(std::string id, uint8_t roles,
                                        absl::string_view home_site_id) {
  if (absl::Status s = CheckId("staff_id", id); !s.ok()) return s;
  if (staff_ids_.contains(id)) return Duplicate("staff member", id);
  if (roles == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("staff member '", id, "': needs at least one role"));
  }
  SiteId home = kNoId;
  if (!home_site_id.empty()) {
    auto site = site_ids_.find(home_site_id);
    if (site == site_ids_.end()) {
      return Unknown("staff member", id, "home_site_id", "site", home_site_id);
    }
    home = site->second;
  }
  staff_ids_.insert(id);
  community_.staff.push_back(StaffMember{std::move(id), roles, home});
  return absl::OkStatus();
}

absl::StatusOr<Community> CommunityBuilder::Finish() && {
  if (!header_status_.ok()) return header_status_;
  if (community_.residents.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("community '", community_.id, "' has no residents"));
  }
  if (community_.sites.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("community '", community_.id, "' has no sampling sites"));
  }
  codes_.clear();
  return std::move(community_);
}

}  // namespace swabwave::engine
