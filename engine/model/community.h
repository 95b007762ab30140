// Community: one version of an imported community (compounds, buildings,
// units, households, residents, sampling sites, staff), immutable once
// built. A re-import makes a new version beside it (Registry::ImportVersion).
//
// Built through CommunityBuilder, which resolves the string ids the outside
// world uses into dense ids (ids.h) and rejects inconsistent input with a
// message that names the entity and field. The CSV importer (io/) and the
// gRPC import both feed it.
//
// Example:
//   CommunityBuilder b("kangcheng", "Kangcheng", 480);
//   RETURN_IF_ERROR(b.AddCompound("c01", "Riverside", CompoundKind::kResidential));
//   RETURN_IF_ERROR(b.AddBuilding("c01-b01", "c01", "1", {120, 40}));
//   ...
//   absl::StatusOr<Community> community = std::move(b).Finish();
//
// Ownership: a Community is a value that owns all its data; the Registry
// keeps imported ones and never frees them while it lives, so rounds hold
// plain pointers. resident_code's view points into resident_codes.
//
// Errors: every error is INVALID_ARGUMENT naming the entity and field.
//
// Thread-safety: a built Community is immutable and may be read from any
// thread; CommunityBuilder is single-threaded.
#ifndef SWABWAVE_ENGINE_MODEL_COMMUNITY_H_
#define SWABWAVE_ENGINE_MODEL_COMMUNITY_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/model/code_arena.h"
#include "engine/model/ids.h"

namespace swabwave::engine {

// Metres east and north of the community's chosen origin.
struct Location {
  double x_m = 0;
  double y_m = 0;
};

inline double Distance(Location a, Location b) { return std::hypot(a.x_m - b.x_m, a.y_m - b.y_m); }

enum class CompoundKind : uint8_t { kResidential, kOffice, kSchool };

enum class ExemptionReason : uint8_t { kNone, kInfant, kMedical, kAway, kOther };

// Bit set of roles a staff member can fill.
enum StaffRole : uint8_t {
  kRoleSampler = 1 << 0,
  kRoleScanner = 1 << 1,
  kRoleMarshal = 1 << 2,
};

struct Compound {
  std::string id;
  std::string name;
  CompoundKind kind = CompoundKind::kResidential;
};

struct Building {
  std::string id;
  CompoundId compound = kNoId;
  std::string name;
  Location location;
};

// A stairwell (entrance): the unit a schedule notice addresses.
struct Unit {
  std::string id;
  BuildingId building = kNoId;
  std::string name;
};

struct Household {
  std::string id;
  UnitId unit = kNoId;
};

// Codes live in Community::resident_codes (same index).
struct Resident {
  HouseholdId household = kNoId;
  bool mobility_limited = false;
  ExemptionReason exemption = ExemptionReason::kNone;
};

// Where a resident stands in a round: due at a site, due at home
// (door-to-door), not due (exempt), or outside a targeted round (not
// checked in at all; RoundConfig::target).
enum class Standing : uint8_t { kDueAtSite, kDoorToDoor, kExempt, kNotTargeted };

inline Standing StandingOf(const Resident& resident) {
  if (resident.exemption != ExemptionReason::kNone) return Standing::kExempt;
  return resident.mobility_limited ? Standing::kDoorToDoor : Standing::kDueAtSite;
}

inline constexpr int kMaxDesksPerSite = 64;
inline constexpr int kMinutesPerDay = 24 * 60;

struct Site {
  std::string id;
  std::string name;
  Location location;
  int desks = 0;
  // Local time, minutes after midnight; closes may exceed 1440 (past midnight).
  int opens_at_minute = 0;
  int closes_at_minute = 0;
};

// A site's desks, opening hours and location: INVALID_ARGUMENT naming the
// site unless they are in range (CommunityBuilder::AddSite and the dense
// snapshot's community image both check with it).
[[nodiscard]] absl::Status CheckSiteSettings(const Site& site);

struct StaffMember {
  std::string id;
  uint8_t roles = 0;  // StaffRole bits
  SiteId home_site = kNoId;
};

struct Community {
  std::string id;
  std::string name;
  int utc_offset_minutes = 0;
  // An IANA zone ("Asia/Shanghai"); when set it rules local times and
  // utc_offset_minutes is only its offset for older readers. Empty: the
  // fixed offset (engine/model/local_time.h).
  std::string time_zone;
  // Which version of the community's roster this is: 1 when first
  // imported, one more for each re-import (engine/roster/roster_diff.h).
  // The registry keeps every version; a round pins the one it was created
  // on.
  uint32_t version = 1;
  // The walk-ins this version took in (engine/roster/walk_in_roster.h),
  // each as roster::WalkInKey of its round and request, so a later version
  // never takes them in again (not even after a re-import dropped them).
  std::vector<uint64_t> walk_ins_taken_in;

  std::vector<Compound> compounds;
  std::vector<Building> buildings;
  std::vector<Unit> units;
  std::vector<Household> households;
  std::vector<Resident> residents;
  CodeArena resident_codes;  // index = ResidentId
  std::vector<Site> sites;
  std::vector<StaffMember> staff;

  absl::string_view resident_code(ResidentId r) const { return resident_codes.Get(r); }
  BuildingId building_of(ResidentId r) const {
    return units[households[residents[r].household].unit].building;
  }
  int TotalDesks() const;
};

// Builds a Community from entities that name each other by string id.
// Entities must arrive in dependency order (a building after its compound).
// Each Add* returns INVALID_ARGUMENT naming the entity, its id and the field
// at fault, and leaves the builder unchanged.
class CommunityBuilder {
 public:
  CommunityBuilder(std::string id, std::string name, int utc_offset_minutes);
  // The code set points into community_: a builder stays where it was made.
  CommunityBuilder(const CommunityBuilder&) = delete;
  CommunityBuilder& operator=(const CommunityBuilder&) = delete;

  // The community's IANA zone; INVALID_ARGUMENT naming the community when
  // tzdata does not know it. Empty keeps the fixed offset.
  [[nodiscard]] absl::Status SetTimeZone(std::string name);
  [[nodiscard]] absl::Status AddCompound(std::string id, std::string name, CompoundKind kind);
  [[nodiscard]] absl::Status AddBuilding(std::string id, absl::string_view compound_id,
                                         std::string name, Location location);
  [[nodiscard]] absl::Status AddUnit(std::string id, absl::string_view building_id,
                                     std::string name);
  [[nodiscard]] absl::Status AddHousehold(std::string id, absl::string_view unit_id);
  [[nodiscard]] absl::Status AddResident(absl::string_view code, absl::string_view household_id,
                                         bool mobility_limited, ExemptionReason exemption);
  [[nodiscard]] absl::Status AddSite(Site site);
  [[nodiscard]] absl::Status AddStaff(std::string id, uint8_t roles,
                                      absl::string_view home_site_id);

  // Checks the community as a whole (header, at least one resident and one
  // site) and hands it over. The builder is spent afterwards. A bad header
  // (the constructor's id, name or UTC offset) is reported here.
  [[nodiscard]] absl::StatusOr<Community> Finish() &&;

  size_t resident_count() const { return community_.residents.size(); }

 private:
  // Finds codes in community_.resident_codes by content, storing only indices.
  struct CodeHash {
    using is_transparent = void;
    const CodeArena* arena;
    size_t operator()(uint32_t i) const { return absl::HashOf(arena->Get(i)); }
    size_t operator()(absl::string_view s) const { return absl::HashOf(s); }
  };
  struct CodeEq {
    using is_transparent = void;
    const CodeArena* arena;
    absl::string_view View(uint32_t i) const { return arena->Get(i); }
    absl::string_view View(absl::string_view s) const { return s; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };

  Community community_;
  absl::Status header_status_;
  absl::flat_hash_map<std::string, CompoundId> compound_ids_;
  absl::flat_hash_map<std::string, BuildingId> building_ids_;
  absl::flat_hash_map<std::string, UnitId> unit_ids_;
  absl::flat_hash_map<std::string, HouseholdId> household_ids_;
  absl::flat_hash_map<std::string, SiteId> site_ids_;
  absl::flat_hash_set<std::string> staff_ids_;
  absl::flat_hash_set<uint32_t, CodeHash, CodeEq> codes_;
};

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_MODEL_COMMUNITY_H_
