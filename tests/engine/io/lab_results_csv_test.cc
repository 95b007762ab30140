// An instrument's results CSV (issue 17): read with a BOM, CRLF and quoted
// fields; every bad line named with its number; a tube listed twice refused.
#include "engine/io/lab_results_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace swabwave::engine {
namespace {

using ::testing::HasSubstr;

TEST(LabResultsCsvTest, ReadsAnInstrumentsExport) {
  const std::string text =
      "\xEF\xBB\xBFtube_barcode,result,ct,run_id\r\n"
      "TB-0001,Negative,,RUN-A\r\n"
      "TB-0002,POSITIVE,31.25,\"RUN-A\"\r\n"
      "TB-0003,invalid,Undetermined,RUN-A\r\n";
  absl::StatusOr<std::vector<LabResultRow>> rows = ReadLabResultsCsv("results.csv", text);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].tube_barcode, "TB-0001");
  EXPECT_EQ((*rows)[0].result, lab::TubeResult::kNegative);
  EXPECT_FALSE((*rows)[0].ct.has_value());
  EXPECT_EQ((*rows)[1].result, lab::TubeResult::kPositive);
  EXPECT_EQ((*rows)[1].ct, 31.25);
  EXPECT_EQ((*rows)[1].run_id, "RUN-A");
  EXPECT_EQ((*rows)[1].line, 3);
  EXPECT_EQ((*rows)[2].result, lab::TubeResult::kInvalid);
  EXPECT_FALSE((*rows)[2].ct.has_value());
}

TEST(LabResultsCsvTest, ACorrectionGivesItsReason) {
  absl::StatusOr<std::vector<LabResultRow>> rows = ReadLabResultsCsv(
      "fix.csv", "tube_barcode,result,ct,run_id,correction_reason\nTB-0002,negative,,RUN-B,"
                 "\"plate row swapped, rerun\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].correction_reason, "plate row swapped, rerun");
}

TEST(LabResultsCsvTest, EveryBadLineIsNamedAndNothingIsReturned) {
  const std::string text =
      "tube_barcode,result,ct,run_id\n"
      "TB-0001,negative,,RUN-A\n"
      "TB-0002,maybe,,RUN-A\n"
      "TB-0003,positive,abc,RUN-A\n"
      "TB-0004,positive,75,RUN-A\n"
      "no barcode,negative,,RUN-A\n"
      "TB-0001,positive,30,RUN-A\n";
  absl::StatusOr<std::vector<LabResultRow>> rows = ReadLabResultsCsv("results.csv", text);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(rows.status().message());
  EXPECT_THAT(message, HasSubstr("5 bad lines; nothing was sent"));
  EXPECT_THAT(message, HasSubstr("results.csv:3: column result"));
  EXPECT_THAT(message, HasSubstr("results.csv:4: column ct"));
  EXPECT_THAT(message, HasSubstr("results.csv:5: ct must be a cycle threshold"));
  EXPECT_THAT(message, HasSubstr("results.csv:6: column tube_barcode"));
  EXPECT_THAT(message, HasSubstr("results.csv:7: tube TB-0001 is listed on line 2 already"));
  EXPECT_FALSE(ReadLabResultsCsv("x.csv", "tube_barcode,result,ct\n").ok());
  EXPECT_FALSE(ReadLabResultsCsv("x.csv", "tube_barcode,result,ct,run_id\n").ok());
}

}  // namespace
}  // namespace swabwave::engine
