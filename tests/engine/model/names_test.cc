#include "engine/model/names.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(IsValidIdTest, AcceptsOneToSixtyFourSafeCharacters) {
  for (absl::string_view id : {"a", "c03-b07-u2-0501", "d0001-s03", "Site_1.north:gate", "Z9"}) {
    EXPECT_TRUE(IsValidId(id)) << id;
  }
  EXPECT_TRUE(IsValidId(std::string(kMaxIdLength, 'x')));
  EXPECT_FALSE(IsValidId(std::string(kMaxIdLength + 1, 'x')));
  EXPECT_FALSE(IsValidId(""));
  for (absl::string_view id : {"a b", "a,b", "a/b", "a\"b", "a\tb", "é", "a\nb", "a|b", "a'b"}) {
    EXPECT_FALSE(IsValidId(id)) << id;
  }
  EXPECT_FALSE(IsValidId(absl::string_view("a\0b", 3)));
}

TEST(IsValidCodeTest, AcceptsFourToSixtyFourPrintableCharacters) {
  for (absl::string_view code : {"SW12", "SWH8ACJVEF4Z11TX", "a-b_c.d:e/f+g", "!#$%&'()*"}) {
    EXPECT_TRUE(IsValidCode(code)) << code;
  }
  EXPECT_TRUE(IsValidCode(std::string(kMaxCodeLength, 'Q')));
  EXPECT_FALSE(IsValidCode(std::string(kMaxCodeLength + 1, 'Q')));
  EXPECT_FALSE(IsValidCode("SW1"));
  EXPECT_FALSE(IsValidCode(""));
  // No spaces, commas or quotes: a code must survive CSV unquoted.
  for (absl::string_view code :
       {"SW 12345", "SW,12345", "SW\"12345", "SW\t1234", "SW\x7f-1234", "SW\xc3\xa9-1234"}) {
    EXPECT_FALSE(IsValidCode(code)) << code;
  }
}

TEST(CheckIdTest, NamesTheFieldAndShowsTheId) {
  EXPECT_TRUE(CheckId("site_id", "s01").ok());
  const absl::Status empty = CheckId("site_id", "");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "site_id is required");
  const absl::Status bad = CheckId("site_id", "north gate");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("site_id 'north gate' is not a valid id"));
  // A very long id is cut to the maximum length in the message.
  const absl::Status long_id = CheckId("unit_id", std::string(1000, 'u'));
  EXPECT_LT(long_id.message().size(), 200u);
}

TEST(CheckCodeTest, NamesTheFieldButNeverShowsTheCode) {
  EXPECT_TRUE(CheckCode("code", "SWH8ACJVEF4Z11TX").ok());
  EXPECT_EQ(CheckCode("code", "").message(), "code is required");
  const absl::Status bad = CheckCode("code", "SECRET 42");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("code is not a valid code (9 characters)"));
  EXPECT_THAT(bad.message(), Not(HasSubstr("SECRET")));
}

TEST(CheckNameTest, UpTo256BytesOfPrintableTextWithLineBreaksAndTabs) {
  EXPECT_TRUE(IsValidName(""));
  EXPECT_TRUE(IsValidName(std::string(kMaxNameLength, 'n')));
  EXPECT_TRUE(IsValidName("\xe6\xa2\x85\xe8\x8a\xb1 Garden\nPhase 2\t(east)\r"));
  EXPECT_FALSE(IsValidName(std::string(kMaxNameLength + 1, 'n')));
  EXPECT_FALSE(IsValidName(std::string("nul\0inside", 11)));
  EXPECT_FALSE(IsValidName("escape \x1b[31m"));
  EXPECT_FALSE(IsValidName("delete \x7f"));
  const absl::Status long_name = CheckName("name", std::string(100000, 'n'));
  EXPECT_EQ(long_name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(long_name.message(),
            "name is 100000 bytes long; at most 256 bytes of UTF-8 are kept");
  EXPECT_THAT(CheckName("name", "a\x1b").message(), HasSubstr("control character"));
}

}  // namespace
}  // namespace swabwave::engine
