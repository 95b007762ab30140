#include "engine/io/generator.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/io/community_csv.h"
#include "engine/io/csv.h"
#include "engine/model/names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Kangcheng is generated once for the whole file; it takes ~15 ms, but
// many tests look at it.
const Community& Kangcheng() {
  static const Community* const kangcheng = [] {
    absl::StatusOr<std::vector<Community>> generated = GenerateCommunities({});
    EXPECT_TRUE(generated.ok()) << generated.status();
    EXPECT_EQ(generated->size(), 1u);
    return new Community(std::move(generated->front()));
  }();
  return *kangcheng;
}

// The eight CSV files of `communities`, written under a fresh directory.
std::map<std::string, std::string> Written(const std::vector<Community>& communities,
                                           const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / "generator_test" / name;
  fs::remove_all(dir);
  std::map<std::string, std::string> files;
  for (const Community& c : communities) {
    EXPECT_TRUE(WriteCommunityDir(c, dir / c.id).ok());
    for (const auto& entry : fs::directory_iterator(dir / c.id)) {
      files[c.id + "/" + entry.path().filename().string()] =
          ReadFileToString(entry.path()).value_or("");
    }
  }
  return files;
}

int CountIf(const Community& c, bool (*pred)(const Resident&)) {
  return static_cast<int>(std::count_if(c.residents.begin(), c.residents.end(), pred));
}

TEST(GeneratorTest, KangchengHasTheReferenceNumbers) {
  const Community& c = Kangcheng();
  EXPECT_EQ(c.id, "kangcheng");
  EXPECT_EQ(c.utc_offset_minutes, 480);
  EXPECT_EQ(c.residents.size(), 17'000u);
  EXPECT_EQ(c.resident_codes.size(), 17'000u);
  EXPECT_EQ(c.households.size(), 6'558u);

  int residential = 0, office = 0;
  for (const Compound& compound : c.compounds) {
    if (compound.kind == CompoundKind::kResidential) ++residential;
    if (compound.kind == CompoundKind::kOffice) ++office;
  }
  EXPECT_EQ(residential, 12);
  EXPECT_EQ(office, 2);
  EXPECT_EQ(c.compounds.size(), 14u);

  // About 600 stairwells in about 200 buildings, ~11 households each.
  EXPECT_GE(c.units.size(), 570u);
  EXPECT_LE(c.units.size(), 630u);
  EXPECT_GE(c.buildings.size(), 180u);
  EXPECT_LE(c.buildings.size(), 230u);

  ASSERT_EQ(c.sites.size(), 6u);
  for (const Site& site : c.sites) {
    EXPECT_EQ(site.desks, 4);
    EXPECT_EQ(site.opens_at_minute, 7 * 60);
    EXPECT_EQ(site.closes_at_minute, 22 * 60);
  }
  EXPECT_EQ(c.TotalDesks(), 24);

  int community_staff = 0, samplers = 0, marshals = 0;
  for (const StaffMember& member : c.staff) {
    if (member.roles & kRoleScanner) {
      ++community_staff;
      EXPECT_NE(member.home_site, kNoId);
    }
    if (member.roles & kRoleSampler) ++samplers;
    if (member.roles & kRoleMarshal) {
      ++marshals;
      EXPECT_TRUE(member.roles & kRoleScanner);
    }
  }
  EXPECT_EQ(community_staff, 34);
  EXPECT_EQ(samplers, 48);  // ceil(17,000 / 360)
  EXPECT_EQ(c.staff.size(), 82u);
  EXPECT_GT(marshals, 0);
  EXPECT_LT(marshals, 34);
}

TEST(GeneratorTest, KangchengIdsAreReadableAndUnique) {
  const Community& c = Kangcheng();
  absl::flat_hash_set<std::string> ids;
  auto unique = [&](const std::string& id) {
    EXPECT_TRUE(IsValidId(id)) << id;
    EXPECT_TRUE(ids.insert(id).second) << id;
  };
  for (const Compound& x : c.compounds) unique(x.id);
  for (const Building& x : c.buildings) unique(x.id);
  for (const Unit& x : c.units) unique(x.id);
  for (const Household& x : c.households) unique(x.id);
  for (const Site& x : c.sites) unique(x.id);
  for (const StaffMember& x : c.staff) unique(x.id);
  EXPECT_EQ(c.compounds[2].id, "c03");
  EXPECT_EQ(c.buildings[0].id, "c01-b01");
  // "c03-b07-u2-0501": compound, building, stairwell, floor and door.
  const Household& h = c.households[100];
  const Unit& u = c.units[h.unit];
  const Building& b = c.buildings[u.building];
  EXPECT_EQ(u.id.rfind(b.id + "-u", 0), 0u) << u.id;
  EXPECT_EQ(h.id.rfind(u.id + "-", 0), 0u) << h.id;
  EXPECT_EQ(h.id.size(), u.id.size() + 5) << h.id;
  EXPECT_EQ(b.id.rfind(c.compounds[b.compound].id + "-b", 0), 0u) << b.id;
  EXPECT_EQ(u.name, u.id.substr(u.id.rfind('u') + 1));
}

TEST(GeneratorTest, ResidentCodesAreOpaqueUniqueBase32) {
  const Community& c = Kangcheng();
  absl::flat_hash_set<std::string> codes;
  for (ResidentId r = 0; r < c.residents.size(); ++r) {
    const std::string code(c.resident_code(r));
    ASSERT_EQ(code.size(), 16u);
    ASSERT_EQ(code.substr(0, 2), "SW");
    ASSERT_EQ(code.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 2), std::string::npos)
        << "resident " << r;
    ASSERT_TRUE(IsValidCode(code));
    ASSERT_TRUE(codes.insert(code).second) << "resident " << r;
  }
  // Opaque: neighbours in a household do not share long prefixes.
  EXPECT_NE(c.resident_code(0).substr(0, 6), c.resident_code(1).substr(0, 6));
}

TEST(GeneratorTest, HouseholdsAndFlagsArePlausible) {
  const Community& c = Kangcheng();
  std::vector<int> size(c.households.size());
  for (const Resident& r : c.residents) ++size[r.household];
  std::vector<int> by_size(8);
  for (int s : size) {
    ASSERT_GE(s, 1);
    ASSERT_LE(s, 6);
    ++by_size[s];
  }
  // Most households are of two or three, some live alone, few are of six.
  EXPECT_GT(by_size[2], by_size[1]);
  EXPECT_GT(by_size[1], by_size[4]);
  EXPECT_GT(by_size[6], 0);
  EXPECT_LT(by_size[6], by_size[5]);

  // Office buildings house nobody; every stairwell of a home has people.
  std::vector<int> per_unit(c.units.size());
  for (const Household& h : c.households) ++per_unit[h.unit];
  for (UnitId u = 0; u < c.units.size(); ++u) {
    const Building& b = c.buildings[c.units[u].building];
    EXPECT_EQ(c.compounds[b.compound].kind, CompoundKind::kResidential);
    EXPECT_GE(per_unit[u], 6) << c.units[u].id;
    EXPECT_LE(per_unit[u], 12) << c.units[u].id;
  }

  const int mobility = CountIf(c, [](const Resident& r) { return r.mobility_limited; });
  const int exempt = CountIf(c, [](const Resident& r) {
    return r.exemption == ExemptionReason::kInfant || r.exemption == ExemptionReason::kMedical;
  });
  const int infants =
      CountIf(c, [](const Resident& r) { return r.exemption == ExemptionReason::kInfant; });
  const int away =
      CountIf(c, [](const Resident& r) { return r.exemption == ExemptionReason::kAway; });
  EXPECT_NEAR(mobility, 340, 80);  // 2%
  EXPECT_NEAR(exempt, 170, 50);    // 1%
  EXPECT_GT(infants, 0);
  EXPECT_LT(infants, exempt);
  EXPECT_NEAR(away, 340, 80);  // 2%
}

TEST(GeneratorTest, LayoutFitsTheReferenceAreaAndSitesServeEveryone) {
  const Community& c = Kangcheng();
  for (const Building& b : c.buildings) {
    EXPECT_GE(b.location.x_m, 0);
    EXPECT_LE(b.location.x_m, 930);
    EXPECT_GE(b.location.y_m, 0);
    EXPECT_LE(b.location.y_m, 930);
  }
  // Each site is the nearest one for a fair share of residents, and nobody
  // walks more than ~half the community to their nearest site.
  std::vector<int> served(c.sites.size());
  double farthest = 0;
  for (ResidentId r = 0; r < c.residents.size(); ++r) {
    const Location home = c.buildings[c.building_of(r)].location;
    size_t best = 0;
    for (size_t s = 1; s < c.sites.size(); ++s) {
      if (Distance(home, c.sites[s].location) < Distance(home, c.sites[best].location)) {
        best = s;
      }
    }
    ++served[best];
    farthest = std::max(farthest, Distance(home, c.sites[best].location));
  }
  for (int n : served) {
    EXPECT_GT(n, 1'000);
    EXPECT_LT(n, 6'000);
  }
  EXPECT_LT(farthest, 500);
}

TEST(GeneratorTest, SameSeedSameBytesOtherSeedOtherCommunity) {
  absl::StatusOr<std::vector<Community>> a = GenerateCommunities({});
  absl::StatusOr<std::vector<Community>> b = GenerateCommunities({});
  absl::StatusOr<std::vector<Community>> other =
      GenerateCommunities({.preset = "kangcheng", .seed = 2});
  ASSERT_TRUE(a.ok() && b.ok() && other.ok());
  const auto written_a = Written(*a, "seed1a");
  EXPECT_EQ(written_a, Written(*b, "seed1b"));
  const auto written_other = Written(*other, "seed2");
  EXPECT_NE(written_a.at("kangcheng/residents.csv"), written_other.at("kangcheng/residents.csv"));
  EXPECT_NE(written_a.at("kangcheng/buildings.csv"), written_other.at("kangcheng/buildings.csv"));
  // Another seed is another community of the same size.
  EXPECT_EQ(other->front().residents.size(), 17'000u);
  EXPECT_EQ(other->front().households.size(), 6'558u);
  EXPECT_EQ(other->front().sites.size(), 6u);
  absl::flat_hash_set<std::string> codes;
  for (ResidentId r = 0; r < 17'000; ++r) {
    codes.insert(std::string(a->front().resident_code(r)));
  }
  int shared = 0;
  for (ResidentId r = 0; r < 17'000; ++r) {
    shared += codes.contains(std::string(other->front().resident_code(r)));
  }
  EXPECT_EQ(shared, 0);
}

// Pins seed 1's output, so a change to the generator, or a platform where
// it comes out differently, is noticed. If you change the generator on
// purpose, update the constants from the failure message.
TEST(GeneratorTest, SeedOneIsPinned) {
  const Community& c = Kangcheng();
  absl::StatusOr<std::vector<Community>> again = GenerateCommunities({});
  ASSERT_TRUE(again.ok());
  uint64_t hash = 0xCBF29CE484222325ULL;  // FNV-1a over every file
  for (const auto& [name, text] : Written(*again, "pinned")) {
    for (char ch : name + text) {
      hash ^= static_cast<unsigned char>(ch);
      hash *= 0x100000001B3ULL;
    }
  }
  EXPECT_EQ(std::string(c.resident_code(0)), "SW18ACJVEF4Z11TQ");
  // Changed once on purpose: community.csv gained its time_zone column.
  EXPECT_EQ(hash, 0x6D42B69FAE440FA2ULL) << absl::StrCat("hash 0x", absl::Hex(hash));
}

TEST(GeneratorTest, CitySumsExactlyWithUniqueCodesAndSites) {
  absl::StatusOr<std::vector<Community>> city =
      GenerateCommunities({.preset = "city", .residents = 50'000, .seed = 9});
  ASSERT_TRUE(city.ok()) << city.status();
  ASSERT_EQ(city->size(), 3u);  // ceil(50,000 / 17,000)
  EXPECT_EQ((*city)[0].id, "d0001");
  EXPECT_EQ((*city)[2].id, "d0003");

  size_t residents = 0, households = 0, sites = 0;
  absl::flat_hash_set<std::string> codes, site_ids, staff_ids;
  for (const Community& c : *city) {
    EXPECT_GE(c.residents.size(), 16'666u);
    EXPECT_LE(c.residents.size(), 16'667u);
    EXPECT_GE(c.sites.size(), 1u);
    EXPECT_EQ(c.utc_offset_minutes, 480);
    EXPECT_EQ(c.time_zone, "Asia/Shanghai");
    residents += c.residents.size();
    households += c.households.size();
    sites += c.sites.size();
    for (ResidentId r = 0; r < c.residents.size(); ++r) {
      ASSERT_TRUE(codes.insert(std::string(c.resident_code(r))).second);
    }
    for (const Site& s : c.sites) {
      EXPECT_EQ(s.id.rfind(c.id + "-s", 0), 0u) << s.id;
      EXPECT_TRUE(site_ids.insert(s.id).second) << s.id;
    }
    for (const StaffMember& m : c.staff) {
      EXPECT_TRUE(staff_ids.insert(m.id).second) << m.id;
    }
  }
  EXPECT_EQ(residents, 50'000u);
  EXPECT_NEAR(static_cast<double>(households), 50'000 / 2.592, 30);
  EXPECT_EQ(sites, 25u);  // one per 2,000 residents
}

TEST(GeneratorTest, CityCommunitiesReadBackFromDisk) {
  absl::StatusOr<std::vector<Community>> city =
      GenerateCommunities({.preset = "city", .residents = 20'000});
  ASSERT_TRUE(city.ok()) << city.status();
  ASSERT_EQ(city->size(), 2u);
  Written(*city, "city20k");
  absl::StatusOr<std::vector<fs::path>> dirs =
      FindCommunityDirs(fs::path(::testing::TempDir()) / "generator_test" / "city20k");
  ASSERT_TRUE(dirs.ok()) << dirs.status();
  ASSERT_EQ(dirs->size(), 2u);
  for (size_t i = 0; i < dirs->size(); ++i) {
    absl::StatusOr<Community> c = ReadCommunityDir((*dirs)[i]);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->id, (*city)[i].id);
    EXPECT_EQ(c->residents.size(), 10'000u);
  }
}

TEST(GeneratorTest, SmallestCityIsOneSmallCommunity) {
  absl::StatusOr<std::vector<Community>> city =
      GenerateCommunities({.preset = "city", .residents = 1'000});
  ASSERT_TRUE(city.ok()) << city.status();
  ASSERT_EQ(city->size(), 1u);
  const Community& c = city->front();
  EXPECT_EQ(c.residents.size(), 1'000u);
  EXPECT_NEAR(static_cast<double>(c.households.size()), 386, 1);
  EXPECT_EQ(c.sites.size(), 1u);
  EXPECT_EQ(c.sites[0].id, "d0001-s01");
  EXPECT_GE(c.staff.size(), 3u);
}

TEST(GeneratorTest, RejectsBadOptions) {
  auto error = [](GeneratorOptions options) {
    absl::StatusOr<std::vector<Community>> out = GenerateCommunities(options);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(out.status().message());
  };
  EXPECT_THAT(error({.preset = "metropolis"}), HasSubstr("unknown generator preset 'metropolis'"));
  EXPECT_THAT(error({.preset = "city"}), HasSubstr("preset city needs residents between 1000"));
  EXPECT_THAT(error({.preset = "city", .residents = 999}), HasSubstr("999"));
  EXPECT_THAT(error({.preset = "city", .residents = -5}), HasSubstr("-5"));
  EXPECT_THAT(error({.preset = "city", .residents = kMaxCityResidents + 1}), HasSubstr("between"));
  EXPECT_THAT(error({.preset = "kangcheng", .residents = 5'000}),
              HasSubstr("preset kangcheng always has 17000 residents"));
  EXPECT_TRUE(GenerateCommunities({.preset = "kangcheng", .residents = 17'000}).ok());
}

}  // namespace
}  // namespace swabwave::engine
