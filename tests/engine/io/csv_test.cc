#include "engine/io/csv.h"

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace swabwave::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Record {
  int64_t line;
  std::vector<std::string> fields;
};

// Reads all records of `text`; the first error ends the list.
absl::StatusOr<std::vector<Record>> ReadAll(absl::string_view text) {
  CsvReader reader("t.csv", text);
  std::vector<Record> records;
  std::vector<std::string> fields;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) return records;
    records.push_back({reader.record_line(), fields});
  }
}

std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<std::vector<Record>> records = ReadAll(text);
  EXPECT_FALSE(records.ok()) << text;
  return std::string(records.status().message());
}

TEST(CsvReaderTest, ReadsPlainRecordsWithLineNumbers) {
  absl::StatusOr<std::vector<Record>> records = ReadAll("a,b,c\n1,2,3\n4,,6");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].line, 1);
  EXPECT_THAT((*records)[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_EQ((*records)[2].line, 3);
  EXPECT_THAT((*records)[2].fields, ElementsAre("4", "", "6"));
}

TEST(CsvReaderTest, AcceptsCrlfAndSkipsBlankLinesAndByteOrderMark) {
  absl::StatusOr<std::vector<Record>> records = ReadAll("\xEF\xBB\xBFx,y\r\n\r\n1,2\r\n\n3,4\r\n");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_THAT((*records)[0].fields, ElementsAre("x", "y"));
  EXPECT_EQ((*records)[1].line, 3);
  EXPECT_THAT((*records)[1].fields, ElementsAre("1", "2"));
  EXPECT_EQ((*records)[2].line, 5);
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  absl::StatusOr<std::vector<Record>> records = ReadAll(
      "id,name\n"
      "1,\"Site 1, north gate\"\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"two\r\nlines\nand three\"\n"
      "4,\"\"\n"
      "5,after\n");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 6u);
  EXPECT_THAT((*records)[1].fields, ElementsAre("1", "Site 1, north gate"));
  EXPECT_THAT((*records)[2].fields, ElementsAre("2", "say \"hi\""));
  EXPECT_THAT((*records)[3].fields, ElementsAre("3", "two\r\nlines\nand three"));
  EXPECT_EQ((*records)[3].line, 4);
  EXPECT_THAT((*records)[4].fields, ElementsAre("4", ""));
  // The record after a three-line field starts on physical line 7.
  EXPECT_EQ((*records)[4].line, 7);
  EXPECT_EQ((*records)[5].line, 8);
}

TEST(CsvReaderTest, TrailingCommaMakesAnEmptyLastField) {
  absl::StatusOr<std::vector<Record>> records = ReadAll("a,\n,\n");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_THAT((*records)[0].fields, ElementsAre("a", ""));
  EXPECT_THAT((*records)[1].fields, ElementsAre("", ""));
}

TEST(CsvReaderTest, MalformedQuotingNamesLineAndColumn) {
  EXPECT_THAT(ErrorOf("a,b\n1,\"open\n2,3\n"),
              HasSubstr("t.csv:2: column 2: a quoted field is never closed"));
  EXPECT_THAT(ErrorOf("a,b\n1,\"x\"y\n"),
              HasSubstr("t.csv:2: column 2: text after the closing quote"));
  EXPECT_THAT(ErrorOf("a,b\n1,x\"y\n"),
              HasSubstr("t.csv:2: column 2: a quote inside an unquoted field"));
  EXPECT_THAT(ErrorOf("a,b\n1,x\ry\n"), HasSubstr("t.csv:2: column 2: a carriage return"));
}

TEST(CsvReaderTest, ErrorLineCountsLineBreaksInsideEarlierQuotes) {
  EXPECT_THAT(ErrorOf("a,b\n1,\"x\ny\nz\"\n2,x\"\n"), HasSubstr("t.csv:5:"));
}

TEST(CsvReaderTest, ErrorMessagesDoNotEchoFieldContents) {
  EXPECT_THAT(ErrorOf("SECRETCODE1,\"SECRETCODE2\"x\n"), Not(HasSubstr("SECRETCODE")));
}

TEST(CsvReaderTest, StopsAfterAnError) {
  CsvReader reader("t.csv", "a\n\"bad\n");
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_FALSE(reader.Next(fields).ok());
  absl::StatusOr<bool> again = reader.Next(fields);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(CsvReaderTest, HeaderMustMatchExactly) {
  constexpr absl::string_view kColumns[] = {"site_id", "name", "desks"};
  auto header_error = [&](absl::string_view text) {
    CsvReader reader("sites.csv", text);
    return reader.ReadHeader(kColumns);
  };
  EXPECT_TRUE(header_error("site_id,name,desks\n").ok());

  absl::Status wrong = header_error("site_id,Name,desks\n");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong.message(), HasSubstr("sites.csv:1: header column 2 is 'Name' but must be "
                                         "'name' (expected header 'site_id,name,desks')"));

  EXPECT_THAT(header_error("site_id,name\n").message(),
              HasSubstr("sites.csv:1: header has no column 'desks'"));
  EXPECT_THAT(header_error("site_id,name,desks,extra\n").message(),
              HasSubstr("sites.csv:1: header has 4 columns"));
  EXPECT_THAT(header_error("").message(), HasSubstr("sites.csv:1: the file is empty"));
  EXPECT_THAT(header_error("\n\n").message(), HasSubstr("the file is empty"));

  // A missing header row: the first data row is not quoted back, since it
  // may hold a resident code.
  absl::Status missing = header_error("SW12345,c01,4\n");
  EXPECT_THAT(missing.message(), HasSubstr("header column 1 must be 'site_id'"));
  EXPECT_THAT(missing.message(), HasSubstr("is the header row missing?"));
  EXPECT_THAT(missing.message(), Not(HasSubstr("SW12345")));
}

TEST(CsvReaderTest, RowsMustHaveTheHeadersColumnCount) {
  constexpr absl::string_view kColumns[] = {"x_m", "y_m"};
  CsvReader reader("b.csv", "x_m,y_m\n1,2\n3\n");
  ASSERT_TRUE(reader.ReadHeader(kColumns).ok());
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  absl::StatusOr<bool> short_row = reader.Next(fields);
  ASSERT_FALSE(short_row.ok());
  EXPECT_THAT(short_row.status().message(), HasSubstr("b.csv:3: column y_m is missing"));

  CsvReader wide("b.csv", "x_m,y_m\n1,2,3\n");
  ASSERT_TRUE(wide.ReadHeader(kColumns).ok());
  absl::StatusOr<bool> wide_row = wide.Next(fields);
  ASSERT_FALSE(wide_row.ok());
  EXPECT_THAT(wide_row.status().message(),
              HasSubstr("b.csv:2: the row has 3 fields but the header has 2"));
}

TEST(CsvReaderTest, ColumnErrorsUseHeaderNames) {
  constexpr absl::string_view kColumns[] = {"x_m", "y_m"};
  CsvReader reader("b.csv", "x_m,y_m\n1,2\n");
  ASSERT_TRUE(reader.ReadHeader(kColumns).ok());
  std::vector<std::string> fields;
  ASSERT_TRUE(*reader.Next(fields));
  EXPECT_EQ(reader.ColumnError(1, "bad").message(), "b.csv:2: column y_m: bad");
  EXPECT_EQ(reader.RowError("bad row").message(), "b.csv:2: bad row");
  const absl::Status annotated = reader.Annotate(absl::NotFoundError("no such thing"));
  EXPECT_EQ(annotated.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(annotated.message(), "b.csv:2: no such thing");
  EXPECT_TRUE(reader.Annotate(absl::OkStatus()).ok());
}

TEST(CsvWriterTest, QuotesOnlyWhenNeeded) {
  CsvWriter writer;
  writer.WriteRow({"plain", "with space", " padded "});
  writer.WriteRow({"a,b", "say \"hi\"", "two\nlines", "cr\r"});
  writer.WriteRow({"", ""});
  writer.WriteRow({""});
  EXPECT_EQ(writer.text(),
            "plain,with space, padded \n"
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\n"
            ",\n"
            "\"\"\n");
}

TEST(CsvWriterTest, WhatIsWrittenReadsBack) {
  // A deterministic spread of awkward fields, written and read back.
  const std::vector<std::string> alphabet = {"",  "a",    ",",   "\"", "\n",   "\r",
                                             " ", "\r\n", "x y", "é",  "\"\"", ",,"};
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<std::vector<std::string>> rows(1 + next() % 4);
    const size_t width = 1 + next() % 4;
    CsvWriter writer;
    for (auto& row : rows) {
      for (size_t i = 0; i < width; ++i) {
        std::string field;
        for (uint64_t k = next() % 4; k > 0; --k) {
          field += alphabet[next() % alphabet.size()];
        }
        row.push_back(field);
      }
      std::vector<absl::string_view> views(row.begin(), row.end());
      writer.WriteRow(views);
    }
    absl::StatusOr<std::vector<Record>> back = ReadAll(writer.text());
    ASSERT_TRUE(back.ok()) << back.status() << " in " << writer.text();
    ASSERT_EQ(back->size(), rows.size()) << writer.text();
    for (size_t r = 0; r < rows.size(); ++r) {
      EXPECT_EQ((*back)[r].fields, rows[r]) << writer.text();
    }
  }
}

TEST(CsvReaderTest, SurvivesArbitraryBytes) {
  // Not a fuzzer, but the same idea: any bytes give records or an error,
  // never a crash or a hang.
  const char kBytes[] = {',', '"', '\r', '\n', 'a', '\0', '\xff', ' '};
  uint64_t state = 7;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t length = (state >> 33) % 40;
    for (size_t i = 0; i < length; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text.push_back(kBytes[(state >> 33) % sizeof(kBytes)]);
    }
    CsvReader reader("f.csv", text);
    constexpr absl::string_view kColumns[] = {"a", "b"};
    if (round % 2 == 0 && !reader.ReadHeader(kColumns).ok()) continue;
    std::vector<std::string> fields;
    for (int records = 0; records <= 41; ++records) {
      absl::StatusOr<bool> more = reader.Next(fields);
      if (!more.ok()) {
        EXPECT_THAT(more.status().message(), HasSubstr("f.csv:"));
        break;
      }
      if (!*more) break;
      ASSERT_LT(records, 41) << "more records than lines";
    }
  }
}

TEST(CsvFieldTest, ParsesIntegers) {
  EXPECT_EQ(ParseCsvInteger("480"), 480);
  EXPECT_EQ(ParseCsvInteger("+480"), 480);
  EXPECT_EQ(ParseCsvInteger("-300"), -300);
  EXPECT_EQ(ParseCsvInteger("0"), 0);
  for (absl::string_view bad :
       {"", "+", "-", "+-1", "4.5", " 4", "4 ", "4a", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(ParseCsvInteger(bad).has_value()) << bad;
  }
}

TEST(CsvFieldTest, ParsesFiniteNumbers) {
  EXPECT_EQ(ParseCsvNumber("12"), 12.0);
  EXPECT_EQ(ParseCsvNumber("-3.25"), -3.25);
  EXPECT_EQ(ParseCsvNumber("+1e3"), 1000.0);
  for (absl::string_view bad :
       {"", "abc", "inf", "-inf", "nan", "1e999", "1,5", " 1", "1 ", "0x1p3"}) {
    EXPECT_FALSE(ParseCsvNumber(bad).has_value()) << bad;
  }
}

TEST(CsvFieldTest, FormatsNumbersExactlyAndShortly) {
  EXPECT_EQ(FormatCsvNumber(0), "0");
  EXPECT_EQ(FormatCsvNumber(123.4), "123.4");
  EXPECT_EQ(FormatCsvNumber(-0.5), "-0.5");
  for (double value : {0.1, 1.0 / 3, 929.9999999999, 1e-300, -12345.678}) {
    EXPECT_EQ(ParseCsvNumber(FormatCsvNumber(value)), value);
  }
}

TEST(CsvFieldTest, ParsesAndFormatsClockTimes) {
  EXPECT_EQ(ParseClockMinutes("07:00"), 420);
  EXPECT_EQ(ParseClockMinutes("7:05"), 425);
  EXPECT_EQ(ParseClockMinutes("00:00"), 0);
  EXPECT_EQ(ParseClockMinutes("23:59"), 1439);
  EXPECT_EQ(ParseClockMinutes("25:30"), 1530);
  for (absl::string_view bad : {"", "7", "07", "0700", "07:0", "07:000", "07:60", "48:00", "-1:00",
                                "007:00", "a7:00", "07:0a", ":30"}) {
    EXPECT_FALSE(ParseClockMinutes(bad).has_value()) << bad;
  }
  EXPECT_EQ(FormatClockMinutes(420), "07:00");
  EXPECT_EQ(FormatClockMinutes(1530), "25:30");
  EXPECT_EQ(FormatClockMinutes(0), "00:00");
}

TEST(CsvFieldTest, SplitsListFields) {
  EXPECT_TRUE(SplitListField("").empty());
  EXPECT_TRUE(SplitListField("  ").empty());
  EXPECT_THAT(SplitListField("sampler"), ElementsAre("sampler"));
  EXPECT_THAT(SplitListField(" a | b|c "), ElementsAre("a", "b", "c"));
  EXPECT_THAT(SplitListField("a||b"), ElementsAre("a", "", "b"));
}

TEST(CsvFieldTest, QuotesValuesForMessagesSafely) {
  EXPECT_EQ(QuoteForMessage("abc"), "'abc'");
  EXPECT_EQ(QuoteForMessage(absl::string_view("a\n\0", 3)), "'a\\n\\x00'");
  const std::string shown = QuoteForMessage(std::string(100, 'x'));
  EXPECT_EQ(shown, "'" + std::string(40, 'x') + "...'");
}

TEST(CsvFileTest, WritesAtomicallyAndReadsBack) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "csv_file_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / "x.csv";
  ASSERT_TRUE(WriteFileAtomically(path, "a,b\n1,2\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "a,b\n3,4\n").ok());
  absl::StatusOr<std::string> text = ReadFileToString(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "a,b\n3,4\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "x.csv.tmp"));

  absl::StatusOr<std::string> missing = ReadFileToString(dir / "nope.csv");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.csv: file not found"));

  EXPECT_FALSE(WriteFileAtomically(dir / "no_dir" / "x.csv", "a").ok());
}

// Issue 25 item 5: exports hold resident codes and addresses, so they are
// their owner's only, whatever the umask and whatever mode an older file
// or a leftover temporary file had.
TEST(CsvFileTest, ExportsAreOwnerOnlyWhateverTheUmask) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "csv_mode_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path path = dir / "untested.csv";
  const mode_t old_mask = ::umask(0);
  std::filesystem::remove(path);
  ASSERT_TRUE(WriteFileAtomically(dir / "x.csv.tmp", "stale").ok());  // something left behind
  std::filesystem::rename(dir / "x.csv.tmp", path.string() + ".tmp");
  std::filesystem::permissions(path.string() + ".tmp", std::filesystem::perms::all);
  const absl::Status written = WriteFileAtomically(path, "resident_code\nTC-0001\n");
  ::umask(old_mask);
  ASSERT_TRUE(written.ok()) << written;
  EXPECT_EQ(std::filesystem::status(path).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace swabwave::engine
