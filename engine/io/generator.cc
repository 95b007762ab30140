#include "engine/io/generator.h"

#include <algorithm>
#include <array>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "engine/model/local_time.h"
#include "engine/parallel/parallel_for.h"
#include "engine/random/xoshiro.h"

namespace swabwave::engine {

namespace {

// --- Deterministic randomness ---------------------------------------------

using random::SplitMix64;

// The engine's xoshiro256** (engine/random/xoshiro.h) with the draws the
// generator makes.
class Rng {
 public:
  explicit Rng(uint64_t seed) : bits_(seed) {}

  uint64_t Next() { return bits_.Next(); }

  // Uniform in [0, n). REQUIRES: n > 0. Rejecting the lowest 2^64 mod n
  // words keeps it exactly uniform.
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    while (true) {
      const uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }

  // Uniform in [low, high]. REQUIRES: low <= high.
  int64_t Between(int64_t low, int64_t high) {
    return low + static_cast<int64_t>(Below(static_cast<uint64_t>(high - low) + 1));
  }

  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[Below(i)]);
    }
  }

 private:
  random::Xoshiro256 bits_;
};

// --- Resident codes ---------------------------------------------------------

// Crockford's base32: no I, L, O or U, which are misread for 1, 1, 0 and V
// when a code is typed in by hand.
constexpr char kCodeAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kCodeLength = 16;

// Makes "SW" + 14 base32 characters. Characters 3-15 encode a keyed
// bijection of the resident's index in the city, so two residents of one
// generated city never share a code (no set of issued codes is needed);
// one random bit tops up the first of them and the last character is
// random.
class CodeMaker {
 public:
  explicit CodeMaker(uint64_t seed)
      : key1_(SplitMix64(seed ^ 0x243F6A8885A308D3ULL)),
        key2_(SplitMix64(seed + 0x13198A2E03707344ULL)) {}

  void Make(uint64_t index, uint64_t random, char (&out)[kCodeLength]) const {
    uint64_t value = SplitMix64(SplitMix64(index + key1_) ^ key2_);
    out[0] = 'S';
    out[1] = 'W';
    for (size_t i = 14; i >= 3; --i) {
      out[i] = kCodeAlphabet[value & 31];
      value >>= 5;
    }
    // 12 characters took 60 bits; the top 4 and one random bit remain.
    out[2] = kCodeAlphabet[(value & 15) | ((random & 1) << 4)];
    out[15] = kCodeAlphabet[(random >> 1) & 31];
  }

 private:
  uint64_t key1_;
  uint64_t key2_;
};

// --- Shape of a community ---------------------------------------------------

constexpr int kUtcOffsetMinutes = 8 * 60;  // China Standard Time
// The layout is computed in whole decimetres, in integers: floating point
// may round differently where the compiler fuses a multiply and an add, and
// the output must be the same bytes on every platform.
constexpr int64_t kKangchengSideDm = 9'300;  // 930 m: ~860,000 m² in all
constexpr int kKangchengResidentialCompounds = 12;
constexpr int kKangchengOfficeCompounds = 2;
constexpr int kFloorsPerUnit = 6;  // walk-ups: no lift above six floors
constexpr int kFlatsPerFloor = 2;
constexpr int kFlatsPerUnit = kFloorsPerUnit * kFlatsPerFloor;
// About one flat in twelve stands empty, so ~11 households per stairwell.
constexpr int kHouseholdsPerUnit = 11;
constexpr int kDesksPerSite = 4;
constexpr int kOpensAt = 7 * 60;
constexpr int kClosesAt = 22 * 60;
// Samplers ≈ population / 360 (national guidance, DESIGN.md §2).
constexpr int64_t kResidentsPerSampler = 360;
// A city gets about one site per 2,000 residents (guidance: 2,000-3,000).
constexpr int64_t kCityResidentsPerSite = 2'000;

// Households by size 1..6, per mille; mean 2.59 people, as in the reference
// community (17,000 / 6,558).
constexpr std::array<int64_t, 6> kHouseholdSizeShare = {250, 300, 210, 130, 70, 40};

// Resident flags, per 10,000 residents (one draw decides all of them).
constexpr uint64_t kMobilityLimitedBelow = 200;  // 2%: sampled at home
constexpr uint64_t kInfantBelow = 260;           // 0.6% exempt: infant
constexpr uint64_t kMedicalBelow = 300;          // 0.4% exempt: medical
constexpr uint64_t kAwayBelow = 500;             // 2% away

constexpr absl::string_view kCompoundNames[] = {
    "Kangle Garden",   "Jinxiu Court",     "Heping Lane",     "Chunhui Estate",
    "Yuhua Garden",    "Xinyuan Court",    "Dongfang Estate", "Lianhua Garden",
    "Taoyuan Court",   "Fuqiang Estate",   "Qingshui Garden", "Baiyun Court",
    "Minsheng Estate", "Guangming Garden", "Songhe Court",    "Meilin Estate",
};

// What one community will hold; fixed before any community is generated
// so communities can be generated in parallel and still number residents
// and sites across the city.
struct CommunityPlan {
  std::string id;
  std::string name;
  std::string id_prefix;  // before site and staff ids: "" or "d0001-"
  int64_t residents = 0;
  int64_t households = 0;
  int sites = 0;
  int community_staff = 0;
  int samplers = 0;
  uint64_t first_resident = 0;  // index of its first resident in the city
  uint64_t seed = 0;
};

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Households for `residents` people at the reference community's ratio.
int64_t HouseholdsFor(int64_t residents) {
  return (residents * kKangchengHouseholds + kKangchengResidents / 2) / kKangchengResidents;
}

// The smallest r with r * r >= n.
int64_t CeilSqrt(int64_t n) {
  int64_t r = 0;
  while (r * r < n) ++r;
  return r;
}

// The largest r with r * r <= n.
int64_t FloorSqrt(int64_t n) {
  int64_t r = 0;
  while ((r + 1) * (r + 1) <= n) ++r;
  return r;
}

// A point of the local plane in decimetres.
struct Point {
  int64_t x = 0;
  int64_t y = 0;
};

int64_t SquaredDistance(Point a, Point b) {
  return (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
}

// Dividing a whole number by 10.0 rounds the same everywhere.
Location ToLocation(Point p) {
  return {static_cast<double>(p.x) / 10.0, static_cast<double>(p.y) / 10.0};
}

// Sizes of `households` households holding exactly `residents` people, in
// random order. REQUIRES: households <= residents <= 6 * households.
std::vector<uint8_t> HouseholdSizes(int64_t households, int64_t residents, Rng& rng) {
  std::array<int64_t, 7> count{};  // by size; [0] unused
  std::array<int64_t, 6> remainder{};
  int64_t assigned = 0;
  for (size_t k = 0; k < 6; ++k) {
    count[k + 1] = households * kHouseholdSizeShare[k] / 1000;
    remainder[k] = households * kHouseholdSizeShare[k] % 1000;
    assigned += count[k + 1];
  }
  while (assigned < households) {  // largest remainder first
    const size_t k = static_cast<size_t>(std::max_element(remainder.begin(), remainder.end()) -
                                         remainder.begin());
    ++count[k + 1];
    remainder[k] = -1;
    ++assigned;
  }
  int64_t total = 0;
  for (int k = 1; k <= 6; ++k) total += k * count[k];
  // Move households one size up (or down), cycling through the sizes so
  // the shape of the distribution stays, until the people add up.
  int next = 1;
  while (total < residents) {
    while (count[next] == 0) next = next % 5 + 1;
    --count[next];
    ++count[next + 1];
    ++total;
    next = next % 5 + 1;
  }
  next = 6;
  while (total > residents) {
    while (count[next] == 0) next = next == 2 ? 6 : next - 1;
    --count[next];
    ++count[next - 1];
    --total;
    next = next == 2 ? 6 : next - 1;
  }
  std::vector<uint8_t> sizes;
  sizes.reserve(static_cast<size_t>(households));
  for (int k = 1; k <= 6; ++k) sizes.insert(sizes.end(), count[k], k);
  rng.Shuffle(sizes);
  return sizes;
}

// Splits a compound's stairwells into buildings of 2-4 (a compound with a
// single stairwell gets one building of one).
std::vector<int> UnitsPerBuilding(int units, Rng& rng) {
  std::vector<int> buildings;
  while (units > 0) {
    int take = units <= 4 ? units : 2 + static_cast<int>(rng.Below(3));
    if (units - take == 1) --take;  // never leave one stairwell over
    buildings.push_back(take);
    units -= take;
  }
  return buildings;
}

// Places `count` buildings in rows inside a square cell, with a margin for
// the compound's wall and gate and a little jitter so rows are not ruled.
// Walk-ups stand in east-west rows, so there are about twice as many rows
// as columns.
std::vector<Point> LayOutBuildings(int count, Point origin, int64_t cell, Rng& rng) {
  const int64_t columns = std::max<int64_t>(1, CeilSqrt((count + 1) / 2));
  const int64_t rows = (count + columns - 1) / columns;
  const int64_t margin = cell * 12 / 100;
  const int64_t dx = (cell - 2 * margin) / columns;
  const int64_t dy = (cell - 2 * margin) / rows;
  std::vector<Point> points;
  for (int i = 0; i < count; ++i) {
    const int64_t column = i % columns;
    const int64_t row = i / columns;
    points.push_back({origin.x + margin + column * dx + dx / 2 + rng.Between(-dx / 10, dx / 10),
                      origin.y + margin + row * dy + dy / 2 + rng.Between(-dy / 10, dy / 10)});
  }
  return points;
}

struct ResidentialBuilding {
  Point point;
  CompoundId compound = kNoId;
  int64_t residents = 0;
};

// Places `count` sites among the residential buildings: weighted k-means
// (residents as weights) started from contiguous runs of buildings, so each
// site sits at the centre of the people it will serve.
// REQUIRES: 1 <= count <= buildings.size().
std::vector<Point> PlaceSites(const std::vector<ResidentialBuilding>& buildings, int count) {
  int64_t total = 0;
  for (const ResidentialBuilding& b : buildings) total += b.residents;
  std::vector<Point> centres(count);
  // A run can come out empty when one building is huge; seed it anyway.
  for (int k = 0; k < count; ++k) {
    centres[k] = buildings[buildings.size() * k / count].point;
  }
  std::vector<int64_t> wx(count), wy(count), w(count);
  auto recentre = [&](const std::vector<int>& cluster) {
    std::fill(wx.begin(), wx.end(), 0);
    std::fill(wy.begin(), wy.end(), 0);
    std::fill(w.begin(), w.end(), 0);
    for (size_t i = 0; i < buildings.size(); ++i) {
      const int64_t weight = buildings[i].residents + 1;
      wx[cluster[i]] += weight * buildings[i].point.x;
      wy[cluster[i]] += weight * buildings[i].point.y;
      w[cluster[i]] += weight;
    }
    for (int k = 0; k < count; ++k) {
      if (w[k] > 0) centres[k] = {wx[k] / w[k], wy[k] / w[k]};
    }
  };
  std::vector<int> cluster(buildings.size());
  int64_t running = 0;
  for (size_t i = 0; i < buildings.size(); ++i) {
    cluster[i] = static_cast<int>(
        std::min<int64_t>(count - 1, running * count / std::max<int64_t>(total, 1)));
    running += buildings[i].residents;
  }
  recentre(cluster);
  for (int iteration = 0; iteration < 10; ++iteration) {
    for (size_t i = 0; i < buildings.size(); ++i) {
      int best = 0;
      for (int k = 1; k < count; ++k) {
        if (SquaredDistance(buildings[i].point, centres[k]) <
            SquaredDistance(buildings[i].point, centres[best])) {
          best = k;
        }
      }
      cluster[i] = best;
    }
    recentre(cluster);
  }
  return centres;
}

void AppendTwoDigits(int n, std::string& out) {
  if (n >= 100) {
    absl::StrAppend(&out, n);
    return;
  }
  out.push_back(static_cast<char>('0' + n / 10));
  out.push_back(static_cast<char>('0' + n % 10));
}

// Wraps a CommunityBuilder error: the generator made invalid input, a bug.
absl::Status Bug(const absl::Status& status) {
  return absl::InternalError(
      absl::StrCat("the generator made an invalid community: ", status.message()));
}

#define SWABWAVE_GENERATOR_CHECK(expr)                      \
  do {                                                      \
    if (absl::Status s_ = (expr); !s_.ok()) return Bug(s_); \
  } while (false)

absl::StatusOr<Community> GenerateCommunity(const CommunityPlan& plan, const CodeMaker& codes) {
  Rng rng(plan.seed);
  CommunityBuilder builder(plan.id, plan.name, kUtcOffsetMinutes);
  // Without tzdata the fixed offset (the same all year in China) serves.
  if (!builder.SetTimeZone(kDefaultTimeZone).ok()) (void)builder.SetTimeZone("");

  // Scaled to the community's share of 17,000, rounded half up.
  auto scaled = [&](int64_t reference) {
    return std::max<int64_t>(
        1, (reference * plan.residents + kKangchengResidents / 2) / kKangchengResidents);
  };
  const int residential_compounds = static_cast<int>(scaled(kKangchengResidentialCompounds));
  const int office_compounds = static_cast<int>(scaled(kKangchengOfficeCompounds));
  const int64_t units = CeilDiv(plan.households, kHouseholdsPerUnit);

  // The community is a square grid of compound-sized cells; cells not used
  // by a compound are schools, parks and markets, which hold nobody.
  const int grid = static_cast<int>(CeilSqrt(residential_compounds + office_compounds));
  // Area in proportion to residents: side = 930 m * sqrt(share).
  const int64_t side =
      FloorSqrt(kKangchengSideDm * kKangchengSideDm * plan.residents / kKangchengResidents);
  const int64_t cell = side / grid;
  enum CellUse : uint8_t { kOpen, kHomes, kOffices };
  std::vector<CellUse> cells(static_cast<size_t>(grid) * grid, kOpen);
  std::fill_n(cells.begin(), residential_compounds, kHomes);
  std::fill_n(cells.begin() + residential_compounds, office_compounds, kOffices);
  rng.Shuffle(cells);

  // Stairwells per residential compound: one each, the rest by weights so
  // compounds differ in size.
  std::vector<int64_t> weight(residential_compounds);  // per mille
  int64_t weight_sum = 0;
  for (int64_t& w : weight) weight_sum += (w = rng.Between(750, 1'250));
  std::vector<int> compound_units(residential_compounds, 1);
  {
    const int64_t spare = units - residential_compounds;
    int64_t given = 0;
    int64_t cumulative = 0;
    for (int c = 0; c < residential_compounds; ++c) {
      cumulative += weight[c];
      const int64_t upto = spare * cumulative / weight_sum;
      compound_units[c] += static_cast<int>(upto - given);
      given = upto;
    }
  }

  const std::vector<uint8_t> household_sizes = HouseholdSizes(plan.households, plan.residents, rng);
  // Which flats are lived in: selection sampling picks exactly
  // plan.households of all flats, each equally likely.
  int64_t flats_left = units * kFlatsPerUnit;
  int64_t households_left = plan.households;
  size_t household_index = 0;
  uint64_t resident_index = plan.first_resident;

  std::vector<ResidentialBuilding> residential_buildings;
  std::vector<std::string> compound_names;
  int residential_seen = 0;
  int office_seen = 0;
  int compound_number = 0;
  std::string household_id;
  for (int row = 0; row < grid; ++row) {
    // Boustrophedon order: consecutive compounds are neighbours.
    for (int step = 0; step < grid; ++step) {
      const int column = row % 2 == 0 ? step : grid - 1 - step;
      const CellUse use = cells[static_cast<size_t>(row) * grid + column];
      if (use == kOpen) continue;
      const CompoundId compound_id = static_cast<CompoundId>(compound_number);
      ++compound_number;
      const std::string compound = absl::StrFormat("c%02d", compound_number);
      std::string name;
      if (use == kHomes) {
        const size_t n = static_cast<size_t>(residential_seen);
        name = std::string(kCompoundNames[n % std::size(kCompoundNames)]);
        if (n >= std::size(kCompoundNames)) {
          absl::StrAppend(&name, " ", n / std::size(kCompoundNames) + 1);
        }
      } else {
        name = absl::StrCat("Office Park ", office_seen + 1);
      }
      compound_names.push_back(name);
      SWABWAVE_GENERATOR_CHECK(builder.AddCompound(
          compound, name, use == kHomes ? CompoundKind::kResidential : CompoundKind::kOffice));

      const std::vector<int> building_units =
          use == kHomes ? UnitsPerBuilding(compound_units[residential_seen], rng)
                        : std::vector<int>(2 + rng.Below(3), 0);
      const std::vector<Point> points = LayOutBuildings(static_cast<int>(building_units.size()),
                                                        {column * cell, row * cell}, cell, rng);
      for (size_t b = 0; b < building_units.size(); ++b) {
        std::string building_id = absl::StrCat(compound, "-b");
        AppendTwoDigits(static_cast<int>(b + 1), building_id);
        SWABWAVE_GENERATOR_CHECK(
            builder.AddBuilding(building_id, compound, absl::StrCat(b + 1), ToLocation(points[b])));
        if (use != kHomes) continue;
        ResidentialBuilding drafted{points[b], compound_id, 0};
        for (int u = 1; u <= building_units[b]; ++u) {
          const std::string unit_id = absl::StrCat(building_id, "-u", u);
          SWABWAVE_GENERATOR_CHECK(builder.AddUnit(unit_id, building_id, absl::StrCat(u)));
          for (int floor = 1; floor <= kFloorsPerUnit; ++floor) {
            for (int door = 1; door <= kFlatsPerFloor; ++door) {
              const bool lived_in =
                  static_cast<int64_t>(rng.Below(static_cast<uint64_t>(flats_left))) <
                  households_left;
              --flats_left;
              if (!lived_in) continue;
              --households_left;
              household_id = unit_id;
              household_id.push_back('-');
              AppendTwoDigits(floor, household_id);
              AppendTwoDigits(door, household_id);
              SWABWAVE_GENERATOR_CHECK(builder.AddHousehold(household_id, unit_id));
              const int size = household_sizes[household_index++];
              for (int person = 0; person < size; ++person) {
                const uint64_t draw = rng.Below(10'000);
                ExemptionReason exemption = ExemptionReason::kNone;
                if (draw >= kMobilityLimitedBelow && draw < kInfantBelow) {
                  exemption = ExemptionReason::kInfant;
                } else if (draw >= kInfantBelow && draw < kMedicalBelow) {
                  exemption = ExemptionReason::kMedical;
                } else if (draw >= kMedicalBelow && draw < kAwayBelow) {
                  exemption = ExemptionReason::kAway;
                }
                char code[kCodeLength];
                codes.Make(resident_index++, rng.Next(), code);
                SWABWAVE_GENERATOR_CHECK(
                    builder.AddResident(absl::string_view(code, kCodeLength), household_id,
                                        draw < kMobilityLimitedBelow, exemption));
              }
              drafted.residents += size;
            }
          }
        }
        residential_buildings.push_back(drafted);
      }
      if (use == kHomes) {
        ++residential_seen;
      } else {
        ++office_seen;
      }
    }
  }

  const int site_count = std::min(plan.sites, static_cast<int>(residential_buildings.size()));
  const std::vector<Point> site_points = PlaceSites(residential_buildings, site_count);
  std::vector<std::string> site_ids;
  for (int s = 0; s < site_count; ++s) {
    // Name the site after the compound it is closest to, as residents would.
    size_t nearest = 0;
    for (size_t i = 1; i < residential_buildings.size(); ++i) {
      if (SquaredDistance(residential_buildings[i].point, site_points[s]) <
          SquaredDistance(residential_buildings[nearest].point, site_points[s])) {
        nearest = i;
      }
    }
    Site site;
    site.id = absl::StrFormat("%ss%02d", plan.id_prefix, s + 1);
    site.name = absl::StrCat("Site ", s + 1, ", by ",
                             compound_names[residential_buildings[nearest].compound]);
    site.location = ToLocation(site_points[s]);
    site.desks = kDesksPerSite;
    site.opens_at_minute = kOpensAt;
    site.closes_at_minute = kClosesAt;
    site_ids.push_back(site.id);
    SWABWAVE_GENERATOR_CHECK(builder.AddSite(std::move(site)));
  }

  // Community staff scan codes at the desks (about a third also marshal the
  // queue) and belong to a site; medical samplers are sent by hospitals and
  // posted by the roster, so they have no home site.
  for (int i = 0; i < plan.community_staff; ++i) {
    const uint8_t roles = kRoleScanner | (rng.Below(3) == 0 ? kRoleMarshal : 0);
    SWABWAVE_GENERATOR_CHECK(builder.AddStaff(absl::StrFormat("%sst%02d", plan.id_prefix, i + 1),
                                              roles,
                                              site_ids[static_cast<size_t>(i) % site_ids.size()]));
  }
  for (int i = 0; i < plan.samplers; ++i) {
    SWABWAVE_GENERATOR_CHECK(
        builder.AddStaff(absl::StrFormat("%smd%02d", plan.id_prefix, i + 1), kRoleSampler, ""));
  }

  absl::StatusOr<Community> community = std::move(builder).Finish();
  if (!community.ok()) return Bug(community.status());
  return community;
}

#undef SWABWAVE_GENERATOR_CHECK

uint64_t CommunitySeed(uint64_t seed, uint64_t index) {
  return SplitMix64(seed ^ SplitMix64(index + 0xA4093822299F31D0ULL));
}

absl::StatusOr<std::vector<CommunityPlan>> PlanCommunities(const GeneratorOptions& options) {
  std::vector<CommunityPlan> plans;
  if (options.preset == "kangcheng") {
    if (options.residents != 0 && options.residents != kKangchengResidents) {
      return absl::InvalidArgumentError(absl::StrCat(
          "preset kangcheng always has ", kKangchengResidents, " residents (got residents = ",
          options.residents, "); leave residents at 0, or use preset city for another size"));
    }
    CommunityPlan plan;
    plan.id = "kangcheng";
    plan.name = "Kangcheng";
    plan.residents = kKangchengResidents;
    plan.households = kKangchengHouseholds;
    plan.sites = kKangchengSites;
    plan.community_staff = kKangchengCommunityStaff;
    plan.samplers = static_cast<int>(CeilDiv(kKangchengResidents, kResidentsPerSampler));
    plan.seed = CommunitySeed(options.seed, 0);
    plans.push_back(std::move(plan));
    return plans;
  }
  if (options.preset == "city") {
    const int64_t total = options.residents;
    if (total < kMinCityResidents || total > kMaxCityResidents) {
      return absl::InvalidArgumentError(absl::StrCat("preset city needs residents between ",
                                                     kMinCityResidents, " and ", kMaxCityResidents,
                                                     " (got ", total, ")"));
    }
    const int64_t count = CeilDiv(total, kKangchengResidents);
    const int64_t sites_total =
        std::max(count, (total + kCityResidentsPerSite / 2) / kCityResidentsPerSite);
    int64_t cumulative = 0;
    int64_t sites_before = 0;
    for (int64_t i = 0; i < count; ++i) {
      CommunityPlan plan;
      plan.id = absl::StrFormat("d%04d", i + 1);
      plan.name = absl::StrCat("Community ", plan.id);
      plan.id_prefix = absl::StrCat(plan.id, "-");
      plan.residents = total / count + (i < total % count ? 1 : 0);
      plan.households = HouseholdsFor(plan.residents);
      plan.first_resident = static_cast<uint64_t>(cumulative);
      cumulative += plan.residents;
      // Sites in proportion to residents, at least one per community.
      const int64_t sites_upto = sites_total * cumulative / total;
      plan.sites = static_cast<int>(std::max<int64_t>(1, sites_upto - sites_before));
      sites_before = sites_upto;
      plan.community_staff = static_cast<int>(std::max<int64_t>(
          2, (plan.residents * kKangchengCommunityStaff + kKangchengResidents / 2) /
                 kKangchengResidents));
      plan.samplers = static_cast<int>(CeilDiv(plan.residents, kResidentsPerSampler));
      plan.seed = CommunitySeed(options.seed, static_cast<uint64_t>(i));
      plans.push_back(std::move(plan));
    }
    return plans;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown generator preset '", options.preset,
                   "'; use kangcheng (the reference community) or city "
                   "(with residents)"));
}

}  // namespace

absl::StatusOr<std::vector<Community>> GenerateCommunities(const GeneratorOptions& options) {
  absl::StatusOr<std::vector<CommunityPlan>> plans = PlanCommunities(options);
  if (!plans.ok()) return plans.status();
  const CodeMaker codes(options.seed);

  // Communities are independent once planned: generate them on a few
  // threads. Each result lands in its own slot, so the output does not
  // depend on which thread made it.
  std::vector<absl::StatusOr<Community>> results(plans->size());
  // One thread per core, at most 16: a city has a few hundred communities.
  const int threads =
      static_cast<int>(std::min(16u, std::max(1u, std::thread::hardware_concurrency())));
  ParallelFor(plans->size(), threads,
              [&](size_t i) { results[i] = GenerateCommunity((*plans)[i], codes); });

  std::vector<Community> communities;
  communities.reserve(results.size());
  for (absl::StatusOr<Community>& result : results) {
    if (!result.ok()) return result.status();
    communities.push_back(*std::move(result));
  }
  return communities;
}

}  // namespace swabwave::engine
