#include "engine/model/community.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Site MakeSite(std::string id, int desks = 4, int opens = 7 * 60, int closes = 22 * 60) {
  Site site;
  site.id = std::move(id);
  site.name = "Site";
  site.location = {10, 20};
  site.desks = desks;
  site.opens_at_minute = opens;
  site.closes_at_minute = closes;
  return site;
}

// A builder holding one compound, building, unit and household, one
// resident and one site: enough to Finish().
class CommunityBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(b_.AddCompound("c01", "Plum Garden", CompoundKind::kResidential).ok());
    ASSERT_TRUE(b_.AddBuilding("c01-b01", "c01", "1", {100, 200}).ok());
    ASSERT_TRUE(b_.AddUnit("c01-b01-u1", "c01-b01", "1").ok());
    ASSERT_TRUE(b_.AddHousehold("h1", "c01-b01-u1").ok());
    ASSERT_TRUE(b_.AddResident("SW00000001", "h1", false, ExemptionReason::kNone).ok());
    ASSERT_TRUE(b_.AddSite(MakeSite("s01")).ok());
  }

  CommunityBuilder b_{"riverside", "Riverside", 480};
};

TEST_F(CommunityBuilderTest, BuildsWithDenseIds) {
  ASSERT_TRUE(b_.AddCompound("c02", "Office", CompoundKind::kOffice).ok());
  ASSERT_TRUE(b_.AddBuilding("c02-b01", "c02", "A", {1, 2}).ok());
  ASSERT_TRUE(b_.AddUnit("c01-b01-u2", "c01-b01", "2").ok());
  ASSERT_TRUE(b_.AddHousehold("h2", "c01-b01-u2").ok());
  ASSERT_TRUE(b_.AddResident("SW00000002", "h2", true, ExemptionReason::kAway).ok());
  ASSERT_TRUE(b_.AddSite(MakeSite("s02", 2, 20 * 60, 25 * 60 + 30)).ok());
  ASSERT_TRUE(b_.AddStaff("st01", kRoleScanner | kRoleMarshal, "s02").ok());
  ASSERT_TRUE(b_.AddStaff("md01", kRoleSampler, "").ok());
  EXPECT_EQ(b_.resident_count(), 2u);

  absl::StatusOr<Community> c = std::move(b_).Finish();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, "riverside");
  EXPECT_EQ(c->utc_offset_minutes, 480);
  EXPECT_EQ(c->buildings[1].compound, 1u);
  EXPECT_EQ(c->units[1].building, 0u);
  EXPECT_EQ(c->households[1].unit, 1u);
  EXPECT_EQ(c->residents[1].household, 1u);
  EXPECT_TRUE(c->residents[1].mobility_limited);
  EXPECT_EQ(c->residents[1].exemption, ExemptionReason::kAway);
  EXPECT_EQ(c->resident_code(0), "SW00000001");
  EXPECT_EQ(c->resident_code(1), "SW00000002");
  EXPECT_EQ(c->building_of(1), 0u);
  EXPECT_EQ(c->sites[1].closes_at_minute, 25 * 60 + 30);
  EXPECT_EQ(c->TotalDesks(), 6);
  EXPECT_EQ(c->staff[0].home_site, 1u);
  EXPECT_EQ(c->staff[1].home_site, kNoId);
}

TEST_F(CommunityBuilderTest, RejectsDuplicateIds) {
  EXPECT_THAT(b_.AddCompound("c01", "x", CompoundKind::kSchool).message(),
              HasSubstr("compound id 'c01' appears twice"));
  EXPECT_THAT(b_.AddBuilding("c01-b01", "c01", "x", {}).message(),
              HasSubstr("building id 'c01-b01' appears twice"));
  EXPECT_THAT(b_.AddUnit("c01-b01-u1", "c01-b01", "x").message(),
              HasSubstr("unit id 'c01-b01-u1' appears twice"));
  EXPECT_THAT(b_.AddHousehold("h1", "c01-b01-u1").message(),
              HasSubstr("household id 'h1' appears twice"));
  EXPECT_THAT(b_.AddSite(MakeSite("s01")).message(), HasSubstr("site id 's01' appears twice"));
  ASSERT_TRUE(b_.AddStaff("st01", kRoleScanner, "").ok());
  EXPECT_THAT(b_.AddStaff("st01", kRoleScanner, "").message(),
              HasSubstr("staff member id 'st01' appears twice"));
}

TEST_F(CommunityBuilderTest, RejectsUnknownParents) {
  const absl::Status building = b_.AddBuilding("c09-b01", "c09", "1", {});
  EXPECT_EQ(building.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(building.message(), HasSubstr("building 'c09-b01': compound_id 'c09' is not a known "
                                            "compound"));
  EXPECT_THAT(b_.AddUnit("u9", "c01-b09", "1").message(),
              HasSubstr("unit 'u9': building_id 'c01-b09' is not a known building"));
  EXPECT_THAT(b_.AddHousehold("h9", "u9").message(),
              HasSubstr("household 'h9': unit_id 'u9' is not a known unit"));
  EXPECT_THAT(b_.AddResident("SW00000009", "h9", false, ExemptionReason::kNone).message(),
              HasSubstr("household_id 'h9' is not a known household"));
  EXPECT_THAT(b_.AddStaff("st09", kRoleScanner, "s09").message(),
              HasSubstr("staff member 'st09': home_site_id 's09' is not a known site"));
}

TEST_F(CommunityBuilderTest, RejectsInvalidIds) {
  EXPECT_THAT(b_.AddCompound("", "x", CompoundKind::kOffice).message(),
              HasSubstr("compound_id is required"));
  EXPECT_THAT(b_.AddBuilding("b 1", "c01", "x", {}).message(),
              HasSubstr("building_id 'b 1' is not a valid id"));
  EXPECT_THAT(b_.AddUnit("u,1", "c01-b01", "x").message(), HasSubstr("unit_id"));
  EXPECT_THAT(b_.AddHousehold("h/1", "c01-b01-u1").message(), HasSubstr("household_id"));
  EXPECT_THAT(b_.AddSite(MakeSite("s 2")).message(), HasSubstr("site_id"));
  EXPECT_THAT(b_.AddStaff("", kRoleSampler, "").message(), HasSubstr("staff_id is required"));
}

TEST_F(CommunityBuilderTest, ResidentCodesAreCheckedButNeverEchoed) {
  const absl::Status duplicate = b_.AddResident("SW00000001", "h1", false, ExemptionReason::kNone);
  EXPECT_THAT(duplicate.message(), HasSubstr("resident #2: its code is already used"));
  EXPECT_THAT(duplicate.message(), Not(HasSubstr("SW00000001")));

  const absl::Status invalid = b_.AddResident("SW 01", "h1", false, ExemptionReason::kNone);
  EXPECT_THAT(invalid.message(), HasSubstr("code is not a valid code"));
  EXPECT_THAT(invalid.message(), Not(HasSubstr("SW 01")));
  EXPECT_EQ(b_.resident_count(), 1u);
}

TEST_F(CommunityBuilderTest, RejectsNonFiniteLocations) {
  EXPECT_THAT(b_.AddBuilding("c01-b02", "c01", "2", {std::nan(""), 0}).message(),
              HasSubstr("location must be finite"));
  Site site = MakeSite("s02");
  site.location.y_m = INFINITY;
  EXPECT_THAT(b_.AddSite(site).message(), HasSubstr("location must be finite"));
}

TEST_F(CommunityBuilderTest, SiteDesksAndHoursAreChecked) {
  EXPECT_THAT(b_.AddSite(MakeSite("s02", 0)).message(), HasSubstr("desks is 0"));
  EXPECT_THAT(b_.AddSite(MakeSite("s02", kMaxDesksPerSite + 1)).message(),
              HasSubstr("desks is 65"));
  EXPECT_TRUE(b_.AddSite(MakeSite("s02", kMaxDesksPerSite)).ok());

  EXPECT_THAT(b_.AddSite(MakeSite("s03", 4, -1, 600)).message(), HasSubstr("opening hours"));
  EXPECT_THAT(b_.AddSite(MakeSite("s03", 4, 1440, 1500)).message(), HasSubstr("opening hours"));
  EXPECT_THAT(b_.AddSite(MakeSite("s03", 4, 600, 600)).message(), HasSubstr("opening hours"));
  EXPECT_THAT(b_.AddSite(MakeSite("s03", 4, 600, 500)).message(), HasSubstr("opening hours"));
  EXPECT_THAT(b_.AddSite(MakeSite("s03", 4, 600, 600 + 1441)).message(), HasSubstr("within 24 h"));
  // Past midnight, up to a full day, is fine.
  EXPECT_TRUE(b_.AddSite(MakeSite("s03", 4, 600, 600 + 1440)).ok());
  EXPECT_TRUE(b_.AddSite(MakeSite("s04", 4, 1439, 1500)).ok());
}

TEST_F(CommunityBuilderTest, StaffNeedARole) {
  EXPECT_THAT(b_.AddStaff("st01", 0, "s01").message(), HasSubstr("needs at least one role"));
  EXPECT_TRUE(b_.AddStaff("st01", kRoleSampler, "s01").ok());
}

TEST_F(CommunityBuilderTest, AFailedAddChangesNothing) {
  ASSERT_FALSE(b_.AddBuilding("c01-b02", "c09", "2", {}).ok());
  // The id was not taken by the failed call.
  EXPECT_TRUE(b_.AddBuilding("c01-b02", "c01", "2", {}).ok());
  ASSERT_FALSE(b_.AddResident("SW00000002", "h9", false, ExemptionReason::kNone).ok());
  EXPECT_TRUE(b_.AddResident("SW00000002", "h1", false, ExemptionReason::kNone).ok());
  absl::StatusOr<Community> c = std::move(b_).Finish();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->buildings.size(), 2u);
  EXPECT_EQ(c->residents.size(), 2u);
}

TEST(CommunityBuilderFinishTest, NeedsResidentsSitesAndAValidHeader) {
  {
    CommunityBuilder b("empty", "Empty", 0);
    ASSERT_TRUE(b.AddSite(MakeSite("s01")).ok());
    EXPECT_THAT(std::move(b).Finish().status().message(),
                HasSubstr("community 'empty' has no residents"));
  }
  {
    CommunityBuilder b("nosite", "No site", 0);
    ASSERT_TRUE(b.AddCompound("c", "c", CompoundKind::kResidential).ok());
    ASSERT_TRUE(b.AddBuilding("b", "c", "b", {}).ok());
    ASSERT_TRUE(b.AddUnit("u", "b", "u").ok());
    ASSERT_TRUE(b.AddHousehold("h", "u").ok());
    ASSERT_TRUE(b.AddResident("SW000001", "h", false, ExemptionReason::kNone).ok());
    EXPECT_THAT(std::move(b).Finish().status().message(),
                HasSubstr("community 'nosite' has no sampling sites"));
  }
  for (int offset : {-841, 841, 100000}) {
    CommunityBuilder b("far", "Far", offset);
    const absl::Status status = std::move(b).Finish().status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("utc_offset_minutes")) << offset;
  }
  {
    CommunityBuilder b("bad id", "Bad", 0);
    EXPECT_THAT(std::move(b).Finish().status().message(),
                HasSubstr("community_id 'bad id' is not a valid id"));
  }
}

TEST(CommunityTest, DistanceIsEuclideanMetres) {
  EXPECT_DOUBLE_EQ(Distance({0, 0}, {3, 4}), 5);
  EXPECT_DOUBLE_EQ(Distance({-1, -1}, {-1, -1}), 0);
}

}  // namespace
}  // namespace swabwave::engine
