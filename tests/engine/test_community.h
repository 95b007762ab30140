// Small hand-shaped communities for engine tests: every count is a
// parameter, codes are predictable ("<community>-R<n>"), and the layout
// is regular so expected numbers can be worked out by hand; and the round
// the plan tests plan over them.
#ifndef SWABWAVE_TESTS_ENGINE_TEST_COMMUNITY_H_
#define SWABWAVE_TESTS_ENGINE_TEST_COMMUNITY_H_

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/model/community.h"
#include "engine/model/round_config.h"

namespace swabwave::engine::testing {

struct Shape {
  std::string id = "tc";
  int buildings = 2;
  int units_per_building = 2;
  int households_per_unit = 3;
  int residents_per_household = 2;
  int sites = 1;
  int desks_per_site = 2;
  // Open all day, so rounds can start whenever a test runs.
  int opens_at_minute = 0;
  int closes_at_minute = 24 * 60;
  int utc_offset_minutes = 0;
  // Every n-th resident (1-based count) is mobility-limited / exempt; 0: none.
  int mobility_limited_every = 0;
  int exempt_every = 0;
};

// 2026-11-27 07:00 UTC: when the test rounds start (the test communities'
// sites are open all day).
inline const absl::Time kRoundStart = absl::FromUnixSeconds(1795762800);

// Round "r" over `communities` from kRoundStart: 30-minute waves for
// `duration` (8 h: 16 waves), pools of 10.
inline RoundConfig TestRound(absl::Duration duration = absl::Hours(8),
                             std::vector<std::string> communities = {"tc"}) {
  RoundConfig config;
  config.id = "r";
  config.community_ids = std::move(communities);
  config.start = kRoundStart;
  config.pool_ratio = 10;
  config.wave_length = absl::Minutes(30);
  config.duration = duration;
  return config;
}

inline std::string ResidentCode(const std::string& community, int n) {
  return absl::StrCat(community, "-R", n);
}

// Builds the community or fails the test (via CHECK-like abort: the shape
// is the test's own, so a failure here is a bug in the test).
inline Community MakeCommunity(const Shape& s) {
  CommunityBuilder b(s.id, s.id, s.utc_offset_minutes);
  auto must = [](absl::Status status) {
    if (!status.ok()) {
      fprintf(stderr, "MakeCommunity: %s\n", std::string(status.message()).c_str());
      abort();
    }
  };
  must(b.AddCompound("c1", "Compound 1", CompoundKind::kResidential));
  int resident = 0;
  for (int bi = 0; bi < s.buildings; ++bi) {
    const std::string building = absl::StrCat("b", bi);
    must(b.AddBuilding(building, "c1", building, Location{100.0 * bi, 0}));
    for (int ui = 0; ui < s.units_per_building; ++ui) {
      const std::string unit = absl::StrCat(building, "-u", ui);
      must(b.AddUnit(unit, building, unit));
      for (int hi = 0; hi < s.households_per_unit; ++hi) {
        const std::string household = absl::StrCat(unit, "-h", hi);
        must(b.AddHousehold(household, unit));
        for (int ri = 0; ri < s.residents_per_household; ++ri) {
          ++resident;
          const bool mobility =
              s.mobility_limited_every > 0 && resident % s.mobility_limited_every == 0;
          const bool exempt = s.exempt_every > 0 && resident % s.exempt_every == 0;
          must(b.AddResident(ResidentCode(s.id, resident), household, mobility,
                             exempt ? ExemptionReason::kMedical : ExemptionReason::kNone));
        }
      }
    }
  }
  for (int si = 0; si < s.sites; ++si) {
    Site site;
    site.id = absl::StrCat(s.id, "-s", si);
    site.name = site.id;
    site.location = Location{150.0 * si, 50};
    site.desks = s.desks_per_site;
    site.opens_at_minute = s.opens_at_minute;
    site.closes_at_minute = s.closes_at_minute;
    must(b.AddSite(site));
  }
  absl::StatusOr<Community> community = std::move(b).Finish();
  must(community.status());
  return *std::move(community);
}

// Changes to a community's roster, as a re-import would bring them.
// Rows count residents from 1, as the community holds them.
struct RosterEdits {
  std::vector<int> remove_rows;
  std::vector<std::pair<int, std::string>> move_rows;  // row, new household id
  std::vector<int> mobility_limited_rows;              // rows that become so
  std::vector<std::pair<std::string, std::string>> add;  // code, household id
};

// `c` rebuilt with `edits` applied (through CommunityBuilder, as an import
// would); aborts on a bad edit (the test's own bug).
inline Community Rebuilt(const Community& c, const RosterEdits& edits) {
  CommunityBuilder b(c.id, c.name, c.utc_offset_minutes);
  auto must = [](absl::Status status) {
    if (!status.ok()) {
      fprintf(stderr, "Rebuilt: %s\n", std::string(status.message()).c_str());
      abort();
    }
  };
  must(b.SetTimeZone(c.time_zone));
  for (const Compound& x : c.compounds) must(b.AddCompound(x.id, x.name, x.kind));
  for (const Building& x : c.buildings) {
    must(b.AddBuilding(x.id, c.compounds[x.compound].id, x.name, x.location));
  }
  for (const Unit& x : c.units) must(b.AddUnit(x.id, c.buildings[x.building].id, x.name));
  for (const Household& x : c.households) must(b.AddHousehold(x.id, c.units[x.unit].id));
  auto has = [](const std::vector<int>& rows, int row) {
    return std::find(rows.begin(), rows.end(), row) != rows.end();
  };
  for (ResidentId r = 0; r < c.residents.size(); ++r) {
    const int row = static_cast<int>(r) + 1;
    if (has(edits.remove_rows, row)) continue;
    std::string household = c.households[c.residents[r].household].id;
    for (const auto& [moved_row, to] : edits.move_rows) {
      if (moved_row == row) household = to;
    }
    must(b.AddResident(c.resident_code(r), household,
                       c.residents[r].mobility_limited || has(edits.mobility_limited_rows, row),
                       c.residents[r].exemption));
  }
  for (const auto& [code, household] : edits.add) {
    must(b.AddResident(code, household, false, ExemptionReason::kNone));
  }
  for (const Site& site : c.sites) must(b.AddSite(site));
  for (const StaffMember& x : c.staff) {
    must(b.AddStaff(x.id, x.roles, x.home_site == kNoId ? "" : c.sites[x.home_site].id));
  }
  absl::StatusOr<Community> rebuilt = std::move(b).Finish();
  must(rebuilt.status());
  return *std::move(rebuilt);
}

}  // namespace swabwave::engine::testing

#endif  // SWABWAVE_TESTS_ENGINE_TEST_COMMUNITY_H_
