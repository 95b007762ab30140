// .xlsx rosters (engine/io/xlsx.h, engine/io/community_xlsx.h): workbooks
// written here with libzip, part by part as Excel lays them out, read
// back to the same community as the CSV directory, and what Excel does to a
// roster (merged cells, dates in code columns, times in opening hours)
// refused or undone with the sheet, row and column named.
#include "engine/io/community_xlsx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/io/community_csv.h"
#include "engine/io/csv.h"
#include "engine/io/xlsx.h"
#include "engine/journal/records.h"

namespace swabwave::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

struct Cell {
  std::string text;
  enum Kind { kShared, kInline, kNumber, kDate, kTime } kind = kShared;
};
struct Sheet {
  std::string name;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> merged;
};

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// A workbook as Excel writes one: shared strings, styles (1: a date, 2: a
// time), one part per sheet.
void WriteXlsx(const std::string& path, const std::vector<Sheet>& sheets) {
  std::vector<std::string> strings;
  std::string workbook =
      "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/"
      "spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/"
      "2006/relationships\"><sheets>";
  std::string rels = "<?xml version=\"1.0\"?><Relationships>";
  std::vector<std::pair<std::string, std::string>> parts;
  for (size_t s = 0; s < sheets.size(); ++s) {
    absl::StrAppend(&workbook, "<sheet name=\"", Escape(sheets[s].name), "\" sheetId=\"", s + 1,
                    "\" r:id=\"rId", s + 1, "\"/>");
    absl::StrAppend(&rels, "<Relationship Id=\"rId", s + 1, "\" Target=\"worksheets/sheet",
                    s + 1, ".xml\"/>");
    std::string xml = "<?xml version=\"1.0\"?><worksheet><sheetData>";
    for (size_t r = 0; r < sheets[s].rows.size(); ++r) {
      absl::StrAppend(&xml, "<row r=\"", r + 1, "\">");
      for (size_t c = 0; c < sheets[s].rows[r].size(); ++c) {
        const Cell& cell = sheets[s].rows[r][c];
        if (cell.text.empty()) continue;
        const std::string ref = absl::StrCat(XlsxColumnName(static_cast<int>(c) + 1), r + 1);
        switch (cell.kind) {
          case Cell::kShared:
            absl::StrAppend(&xml, "<c r=\"", ref, "\" t=\"s\"><v>", strings.size(), "</v></c>");
            strings.push_back(cell.text);
            break;
          case Cell::kInline:
            absl::StrAppend(&xml, "<c r=\"", ref, "\" t=\"inlineStr\"><is><t>",
                            Escape(cell.text), "</t></is></c>");
            break;
          case Cell::kNumber:
            absl::StrAppend(&xml, "<c r=\"", ref, "\"><v>", cell.text, "</v></c>");
            break;
          case Cell::kDate:
          case Cell::kTime:
            absl::StrAppend(&xml, "<c r=\"", ref, "\" s=\"", cell.kind == Cell::kDate ? 1 : 2,
                            "\"><v>", cell.text, "</v></c>");
            break;
        }
      }
      xml += "</row>";
    }
    xml += "</sheetData>";
    if (!sheets[s].merged.empty()) {
      xml += "<mergeCells>";
      for (const std::string& range : sheets[s].merged) {
        absl::StrAppend(&xml, "<mergeCell ref=\"", range, "\"/>");
      }
      xml += "</mergeCells>";
    }
    xml += "</worksheet>";
    parts.emplace_back(absl::StrCat("xl/worksheets/sheet", s + 1, ".xml"), xml);
  }
  workbook += "</sheets></workbook>";
  rels += "</Relationships>";
  std::string shared = "<?xml version=\"1.0\"?><sst>";
  for (const std::string& s : strings) absl::StrAppend(&shared, "<si><t>", Escape(s), "</t></si>");
  shared += "</sst>";
  parts.emplace_back("xl/workbook.xml", workbook);
  parts.emplace_back("xl/_rels/workbook.xml.rels", rels);
  parts.emplace_back("xl/sharedStrings.xml", shared);
  parts.emplace_back("xl/styles.xml",
                     "<?xml version=\"1.0\"?><styleSheet><numFmts><numFmt numFmtId=\"164\" "
                     "formatCode=\"[h]:mm\"/></numFmts><cellXfs><xf numFmtId=\"0\"/><xf "
                     "numFmtId=\"14\"/><xf numFmtId=\"164\"/></cellXfs></styleSheet>");
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(zip, nullptr) << error;
  for (const auto& [name, text] : parts) {
    zip_source_t* source = zip_source_buffer(zip, text.data(), text.size(), 0);
    ASSERT_GE(zip_file_add(zip, name.c_str(), source, ZIP_FL_OVERWRITE), 0) << name;
  }
  ASSERT_EQ(zip_close(zip), 0);  // copies the buffers: `parts` lives until here
}

// The CSV directory of community_csv_test.cc's small community, as sheets:
// numbers as numbers, opening hours as Excel's times.
std::vector<Sheet> SmallWorkbook() {
  const std::vector<std::pair<std::string, std::string>> csv = {
      {"community", "community_id,name,utc_offset_minutes,time_zone\n"
                    "riverside,\"Riverside, East\",480,Asia/Shanghai\n"},
      {"compounds", "compound_id,name,kind\nc01,Plum Garden,residential\nc02,Tech Park,office\n"},
      {"buildings", "building_id,compound_id,name,x_m,y_m\nc01-b01,c01,1,10.5,20\n"
                    "c02-b01,c02,Tower A,300,300\n"},
      {"units", "unit_id,building_id,name\nc01-b01-u1,c01-b01,1\nc02-b01-u1,c02-b01,1\n"},
      {"households", "household_id,unit_id\nh1,c01-b01-u1\nh2,c02-b01-u1\n"},
      {"residents", "code,household_id,flags\nSWAAAA0001,h1,\nSWAAAA0002,h1,mobility_limited\n"
                    "SWAAAA0003,h2,exempt:infant\n"},
      {"sites", "site_id,name,x_m,y_m,desks,opens,closes\n"
                "s01,North gate,0,0,4,07:00,22:00\ns02,\"Night, clinic\",50.25,60,2,20:00,25:30\n"},
      {"staff", "staff_id,roles,home_site_id\nst01,scanner|marshal,s01\nmd01,sampler,\n"},
  };
  std::vector<Sheet> sheets;
  for (const auto& [name, text] : csv) {
    Sheet sheet{name, {}, {}};
    CsvReader reader(name, text);
    std::vector<std::string> row;
    while (reader.Next(row).value_or(false)) {
      std::vector<Cell> cells;
      for (const std::string& field : row) {
        Cell cell{field, Cell::kShared};
        double number = 0;
        if (sheet.rows.size() > 0 && absl::SimpleAtod(field, &number)) cell.kind = Cell::kNumber;
        if (sheet.rows.size() > 0 && name == "sites" && field.find(':') != std::string::npos) {
          const int minutes = std::stoi(field.substr(0, 2)) * 60 + std::stoi(field.substr(3));
          cell = Cell{absl::StrCat(minutes / 1440.0), Cell::kTime};
        }
        cells.push_back(cell);
      }
      sheet.rows.push_back(cells);
    }
    sheets.push_back(sheet);
  }
  sheets[1].rows[1][1].kind = Cell::kInline;  // Excel writes some strings inline
  return sheets;
}

class CommunityXlsxTest : public ::testing::Test {
 protected:
  std::string Write(const std::vector<Sheet>& sheets) {
    const std::string path =
        (fs::path(::testing::TempDir()) /
         absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), ".xlsx"))
            .string();
    WriteXlsx(path, sheets);
    return path;
  }
  static std::string Message(const std::string& path) {
    return std::string(ReadCommunityXlsx(path).status().message());
  }
};

TEST_F(CommunityXlsxTest, AWorkbookReadsAsTheSameCommunityAsItsCsvFiles) {
  absl::StatusOr<Community> community = ReadCommunityXlsx(Write(SmallWorkbook()));
  ASSERT_TRUE(community.ok()) << community.status();
  EXPECT_EQ(community->id, "riverside");
  EXPECT_EQ(community->name, "Riverside, East");
  EXPECT_EQ(community->time_zone, "Asia/Shanghai");
  EXPECT_EQ(community->compounds[1].name, "Tech Park");
  EXPECT_EQ(community->buildings[0].location.x_m, 10.5);
  ASSERT_EQ(community->residents.size(), 3u);
  EXPECT_TRUE(community->residents[1].mobility_limited);
  EXPECT_EQ(community->resident_code(2), "SWAAAA0003");
  // Excel's times read back as the opening hours, past midnight too.
  EXPECT_EQ(community->sites[0].opens_at_minute, 7 * 60);
  EXPECT_EQ(community->sites[1].closes_at_minute, 25 * 60 + 30);
  EXPECT_EQ(community->sites[1].name, "Night, clinic");

  // Written out as CSV and read back: the same community, field by field.
  const fs::path dir = fs::path(::testing::TempDir()) / "xlsx-as-csv";
  ASSERT_TRUE(WriteCommunityDir(*community, dir).ok());
  absl::StatusOr<Community> again = ReadCommunityDir(dir);
  ASSERT_TRUE(again.ok()) << again.status();
  std::string a, b;
  journal::EncodeCommunity(*community, &a);
  journal::EncodeCommunity(*again, &b);
  EXPECT_EQ(a, b);
}

TEST_F(CommunityXlsxTest, AWrongHeaderNamesTheSheetRowAndColumn) {
  std::vector<Sheet> sheets = SmallWorkbook();
  sheets[5].rows[0][1].text = "household";  // residents: household_id
  EXPECT_THAT(Message(Write(sheets)),
              HasSubstr("sheet residents, row 1: header column 2 must be 'household_id' "
                        "(expected header 'code,household_id,flags')"));
}

TEST_F(CommunityXlsxTest, AMergedCellIsRefusedWithItsRange) {
  std::vector<Sheet> sheets = SmallWorkbook();
  sheets[2].merged = {"B3:C3"};  // buildings
  EXPECT_THAT(Message(Write(sheets)),
              HasSubstr("sheet buildings: cells B3:C3 are merged; unmerge them"));
}

TEST_F(CommunityXlsxTest, ADateInACodeColumnIsRefusedAndNotEchoed) {
  std::vector<Sheet> sheets = SmallWorkbook();
  sheets[5].rows[2][0] = Cell{"44960", Cell::kDate};  // residents row 3: "2-3" became a date
  const std::string message = Message(Write(sheets));
  EXPECT_THAT(message, HasSubstr("sheet residents, row 3: column A (code): Excel made this value "
                                 "a date; format the column as Text"));
  EXPECT_THAT(message, Not(HasSubstr("44960")));
  sheets = SmallWorkbook();
  sheets[1].rows[1][1] = Cell{"44960", Cell::kDate};  // a compound's name
  EXPECT_THAT(Message(Write(sheets)),
              HasSubstr("sheet compounds, row 2: column B (name): a date where text"));
}

TEST_F(CommunityXlsxTest, ABadValueNamesItsLetteredColumn) {
  std::vector<Sheet> sheets = SmallWorkbook();
  sheets[2].rows[1][3] = Cell{"east", Cell::kShared};  // buildings row 2, x_m
  EXPECT_THAT(Message(Write(sheets)),
              HasSubstr("sheet buildings, row 2: column D (x_m): 'east' is not a number"));
}

TEST_F(CommunityXlsxTest, WhatIsNotARosterWorkbookIsSaid) {
  std::vector<Sheet> sheets = SmallWorkbook();
  sheets.pop_back();  // no staff sheet
  EXPECT_THAT(Message(Write(sheets)), HasSubstr("no sheet 'staff' (a roster workbook has"));
  const std::string text = (fs::path(::testing::TempDir()) / "not-a-zip.xlsx").string();
  std::ofstream(text) << "community_id,name\n";
  EXPECT_EQ(ReadCommunityXlsx(text).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(text), HasSubstr("not an .xlsx workbook"));
  EXPECT_EQ(ReadCommunityXlsx("/nonexistent/book.xlsx").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace swabwave::engine
