#include "engine/registry/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/engine/test_community.h"

namespace swabwave::engine {
namespace {

using ::swabwave::engine::testing::MakeCommunity;
using ::swabwave::engine::testing::Shape;
using ::testing::HasSubstr;

RoundConfig Config(std::string id, std::vector<std::string> communities) {
  RoundConfig config;
  config.id = std::move(id);
  config.community_ids = std::move(communities);
  config.start = absl::FromUnixSeconds(1795762800);
  return config;
}

TEST(RegistryTest, ImportRejectsTakenCommunityAndSiteIds) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{})).ok());
  absl::StatusOr<const Community*> again = registry.ImportCommunity(MakeCommunity(Shape{}));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("'tc'"));

  Community other = MakeCommunity(Shape{.id = "other"});
  other.sites[0].id = "tc-s0";  // belongs to tc already
  absl::StatusOr<const Community*> clash = registry.ImportCommunity(std::move(other));
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(clash.status().message(), HasSubstr("tc-s0"));
  EXPECT_EQ(registry.community_count(), 1u);
}

TEST(RegistryTest, CreateRoundChecksCommunitiesIdsAndConfig) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{})).ok());
  EXPECT_EQ(registry.CreateRound(Config("r1", {"nope"})).status().code(),
            absl::StatusCode::kNotFound);
  RoundConfig bad = Config("r1", {"tc"});
  bad.pool_ratio = 7;
  EXPECT_EQ(registry.CreateRound(bad).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(registry.CreateRound(Config("r1", {"tc"})).ok());
  EXPECT_EQ(registry.CreateRound(Config("r1", {"tc"})).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(registry.CreateRound(Config("r2", {"tc"})).ok());
  ASSERT_NE(registry.FindRound("r1"), nullptr);
  EXPECT_EQ(registry.FindRound("r1")->config().id, "r1");
  EXPECT_EQ(registry.FindRound("r3"), nullptr);
  const std::vector<Round*> rounds = registry.ListRounds();
  ASSERT_EQ(rounds.size(), 2u);
  EXPECT_EQ(rounds[1]->config().id, "r2");
}

TEST(RegistryTest, CodesSharedBetweenCommunitiesOfARoundAreRejected) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.id = "a"})).ok());
  // Same codes as "a" (codes are built from the community id; fake it).
  Community b = MakeCommunity(Shape{.id = "a2"});
  CodeArena codes;
  for (uint32_t r = 0; r < b.residents.size(); ++r) {
    codes.Append(testing::ResidentCode("a", static_cast<int>(r) + 1));
  }
  b.resident_codes = std::move(codes);
  b.sites[0].id = "a2-only";
  ASSERT_TRUE(registry.ImportCommunity(std::move(b)).ok());
  absl::StatusOr<Round*> round = registry.CreateRound(Config("both", {"a", "a2"}));
  EXPECT_EQ(round.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(round.status().message(), HasSubstr("same code"));
  EXPECT_TRUE(registry.CreateRound(Config("just-a", {"a"})).ok());
}

TEST(RegistryTest, ManyRoundsAreAllFound) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{})).ok());
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(registry.CreateRound(Config(absl::StrCat("round-", i), {"tc"})).ok());
  }
  for (int i = 0; i < 300; ++i) {
    Round* round = registry.FindRound(absl::StrCat("round-", i));
    ASSERT_NE(round, nullptr);
    EXPECT_EQ(round->config().id, absl::StrCat("round-", i));
  }
}

}  // namespace
}  // namespace swabwave::engine
