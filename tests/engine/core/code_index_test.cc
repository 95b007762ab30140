#include "engine/core/code_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace swabwave::engine::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CodeIndexTest, FindsEveryCodeAndNothingElse) {
  CodeArena codes;
  for (int i = 0; i < 100000; ++i) codes.Append(absl::StrCat("SW", i * 7919));
  absl::StatusOr<CodeIndex> index = CodeIndex::Build(&codes);
  ASSERT_TRUE(index.ok()) << index.status();
  for (uint32_t i = 0; i < codes.size(); ++i) ASSERT_EQ(index->Find(codes.Get(i)), i);
  EXPECT_EQ(index->Find("SW1"), kNoId);
  EXPECT_EQ(index->Find(""), kNoId);
  EXPECT_EQ(index->Find("SW0 "), kNoId);   // a longer string with a known prefix
  EXPECT_EQ(index->Find("SW791"), kNoId);  // a prefix of a known code
}

TEST(CodeIndexTest, EmptyIndexFindsNothing) {
  CodeArena codes;
  absl::StatusOr<CodeIndex> index = CodeIndex::Build(&codes);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->Find("anything"), kNoId);
}

TEST(CodeIndexTest, DuplicateCodeIsRejectedWithoutNamingIt) {
  CodeArena codes;
  codes.Append("SWAAAA1111");
  codes.Append("SWBBBB2222");
  codes.Append("SWAAAA1111");
  absl::StatusOr<CodeIndex> index = CodeIndex::Build(&codes);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(index.status().message(), HasSubstr("#0"));
  EXPECT_THAT(index.status().message(), HasSubstr("#2"));
  EXPECT_THAT(index.status().message(), Not(HasSubstr("SWAAAA1111")));
}

TEST(CodeIndexTest, TableStaysUnderFiveEighthsFull) {
  CodeArena codes;
  for (int i = 0; i < 1000; ++i) codes.Append(absl::StrCat("code-", i));
  absl::StatusOr<CodeIndex> index = CodeIndex::Build(&codes);
  ASSERT_TRUE(index.ok());
  // 8 bytes a slot; at most 5/8 full means at least 1.6 slots a code.
  EXPECT_GE(index->MemoryBytes(), codes.size() * 8 * 8 / 5);
}

}  // namespace
}  // namespace swabwave::engine::core
