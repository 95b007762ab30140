#include "engine/core/resident_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<ResidentTable> BuildOrDie(const std::vector<std::string>& codes) {
  absl::StatusOr<std::unique_ptr<ResidentTable>> table = ResidentTable::Build(
      static_cast<uint32_t>(codes.size()), [&](uint32_t i) { return absl::string_view(codes[i]); },
      [](uint32_t i) { return i / 10; });
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : nullptr;
}

uint32_t FindResident(const ResidentTable& table, absl::string_view code) {
  const uint32_t position = table.Find(ResidentTable::MakeKey(code));
  return position == kNoId ? kNoId : table.at(position).resident;
}

TEST(ResidentTableTest, FindsEveryCodeAndNothingElse) {
  std::vector<std::string> codes;
  for (int i = 0; i < 100000; ++i) codes.push_back(absl::StrCat("SW", i * 7919));
  std::unique_ptr<ResidentTable> table = BuildOrDie(codes);
  ASSERT_NE(table, nullptr);
  for (uint32_t i = 0; i < codes.size(); ++i) {
    ASSERT_EQ(FindResident(*table, codes[i]), i);
    ASSERT_EQ(table->at(table->position_of(i)).resident, i);
    ASSERT_EQ(table->building_at(table->position_of(i)), i / 10);
  }
  EXPECT_EQ(FindResident(*table, "SW1"), kNoId);
  EXPECT_EQ(FindResident(*table, ""), kNoId);
  EXPECT_EQ(FindResident(*table, "SW0 "), kNoId);   // a known code plus a byte
  EXPECT_EQ(FindResident(*table, "SW791"), kNoId);  // a prefix of a known code
}

TEST(ResidentTableTest, CodesLongerThanTheInlineSpaceSpill) {
  std::vector<std::string> codes = {"short-1", std::string(16, 'x'), std::string(17, 'x'),
                                    std::string(64, 'y'), std::string(63, 'y')};
  std::unique_ptr<ResidentTable> table = BuildOrDie(codes);
  ASSERT_NE(table, nullptr);
  for (uint32_t i = 0; i < codes.size(); ++i) EXPECT_EQ(FindResident(*table, codes[i]), i);
  EXPECT_EQ(FindResident(*table, std::string(18, 'x')), kNoId);
  EXPECT_EQ(FindResident(*table, std::string(15, 'x')), kNoId);
}

TEST(ResidentTableTest, EmptyTableFindsNothing) {
  std::unique_ptr<ResidentTable> table = BuildOrDie({});
  ASSERT_NE(table, nullptr);
  EXPECT_EQ(FindResident(*table, "anything"), kNoId);
}

TEST(ResidentTableTest, DuplicateCodeIsRejectedWithoutNamingIt) {
  const std::vector<std::string> codes = {"SWAAAA1111", "SWBBBB2222", "SWAAAA1111"};
  absl::StatusOr<std::unique_ptr<ResidentTable>> table = ResidentTable::Build(
      3, [&](uint32_t i) { return absl::string_view(codes[i]); }, [](uint32_t) { return 0u; });
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("#0"));
  EXPECT_THAT(table.status().message(), HasSubstr("#2"));
  EXPECT_THAT(table.status().message(), Not(HasSubstr("SWAAAA1111")));
}

TEST(ResidentTableTest, SlotsAreHalfACacheLineAndTheTableAtMostSeventyPercentFull) {
  EXPECT_EQ(sizeof(ResidentTable::Slot), 32u);
  std::vector<std::string> codes;
  for (int i = 0; i < 1000; ++i) codes.push_back(absl::StrCat("code-", i));
  std::unique_ptr<ResidentTable> table = BuildOrDie(codes);
  ASSERT_NE(table, nullptr);
  EXPECT_GE(table->capacity(), 1000u * 10 / 7);
}

}  // namespace
}  // namespace swabwave::engine::core
