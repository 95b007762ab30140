#include "engine/registry/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/journal/records.h"
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

// Community `id`, whose residents from row `first_shared` on (counting from
// 1) carry the codes of community "a"'s residents of the same rows.
Community SharingCodesWithA(const std::string& id, int first_shared) {
  Community c = MakeCommunity(Shape{.id = id});
  CodeArena codes;
  for (uint32_t r = 0; r < c.residents.size(); ++r) {
    const int row = static_cast<int>(r) + 1;
    codes.Append(testing::ResidentCode(row >= first_shared ? "a" : id, row));
  }
  c.resident_codes = std::move(codes);
  c.sites[0].id = id + "-only";
  return c;
}

// A resident code names one person on the server: a community sharing one
// with another is refused whole, naming the row and never the code.
TEST(RegistryTest, CodesSharedWithAnotherCommunityAreRefusedAtImport) {
  Registry registry;
  ASSERT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.id = "a"})).ok());
  absl::StatusOr<const Community*> shared = registry.ImportCommunity(SharingCodesWithA("b", 3));
  EXPECT_EQ(shared.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(shared.status().message(),
              HasSubstr("resident #3 of community 'b': its code was already imported with "
                        "another community"));
  EXPECT_THAT(shared.status().message(), ::testing::Not(HasSubstr(testing::ResidentCode("a", 3))));
  EXPECT_EQ(registry.FindCommunity("b"), nullptr);
  EXPECT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.id = "b"})).ok());
  // Without the check (kNone, for the benchmark) the same import is taken.
  Registry unchecked(Registry::CodeCheck::kNone);
  ASSERT_TRUE(unchecked.ImportCommunity(MakeCommunity(Shape{.id = "a"})).ok());
  EXPECT_TRUE(unchecked.ImportCommunity(SharingCodesWithA("b", 3)).ok());
}

// Communities a journal accepted before codes were checked server-wide are
// recovered as they were (no round can span two that share codes), and the
// first import after recovery checks against them too.
TEST(RegistryTest, RecoveredCommunitiesSharingCodesAreKeptAndCheckedAgainst) {
  Registry registry;
  for (const Community& community : {MakeCommunity(Shape{.id = "a"}), SharingCodesWithA("a2", 1)}) {
    std::string record;
    journal::EncodeCommunity(community, &record);
    ASSERT_TRUE(registry.ApplyRecord(record).ok());
  }
  registry.FinishRecovery();
  absl::StatusOr<Round*> round = registry.CreateRound(Config("both", {"a", "a2"}));
  EXPECT_EQ(round.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(round.status().message(), HasSubstr("same code"));
  EXPECT_TRUE(registry.CreateRound(Config("just-a", {"a"})).ok());
  EXPECT_EQ(registry.ImportCommunity(SharingCodesWithA("c", 5)).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(registry.ImportCommunity(MakeCommunity(Shape{.id = "c"})).ok());
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
