#include "engine/io/community_xlsx.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/io/community_csv.h"
#include "engine/io/csv.h"
#include "engine/io/xlsx.h"

namespace swabwave::engine {
namespace {

constexpr const char* kTables[] = {"community", "compounds", "buildings", "units",
                                   "households", "residents", "sites",     "staff"};

bool IsIdColumn(absl::string_view name) {
  return name == "code" || absl::EndsWith(name, "_id");
}

// A sheet as the CSV text the roster reader takes, or why it cannot be.
absl::StatusOr<std::string> SheetAsCsv(const std::string& where, const XlsxSheet& sheet) {
  for (const std::string& range : sheet.merged) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": cells ", range,
                     " are merged; unmerge them, so that each cell holds its own value"));
  }
  std::vector<std::vector<std::string>> rows = sheet.rows;
  const std::vector<std::string> header = rows.empty() ? std::vector<std::string>() : rows[0];
  for (const XlsxCell& cell : sheet.dated) {
    if (cell.row == 1) continue;  // a heading is read as text
    const std::string column = cell.column <= static_cast<int>(header.size())
                                   ? header[cell.column - 1]
                                   : XlsxColumnName(cell.column);
    const std::string at = absl::StrCat(where, ", row ", cell.row, ": column ",
                                        XlsxColumnName(cell.column), " (", column, "): ");
    std::string& value = rows[cell.row - 1][cell.column - 1];
    double days = 0;
    if ((column == "opens" || column == "closes") && absl::SimpleAtod(value, &days) &&
        days >= 0 && days < 2) {
      // Excel's time: a fraction of a day ([h]:mm past midnight: above 1).
      const int minutes = static_cast<int>(std::lround(days * 24 * 60));
      value = absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
      continue;
    }
    if (IsIdColumn(column)) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, "Excel made this value a date; format the column as Text and type it again"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat(at, "a date where text or a number belongs; format the column as Text"));
  }
  std::string csv;
  for (const std::vector<std::string>& row : rows) {
    std::vector<absl::string_view> fields(row.begin(), row.end());
    // Every row as wide as the header, so blank trailing cells are fields.
    while (fields.size() < header.size()) fields.emplace_back();
    if (row.empty()) {
      csv += "\n";  // a blank row: skipped, like a blank line
      continue;
    }
    AppendCsvRow(fields, csv);
  }
  return csv;
}

}  // namespace

absl::StatusOr<Community> ReadCommunityXlsx(const std::string& path, RosterRows* rows) {
  absl::StatusOr<std::vector<XlsxSheet>> sheets = ReadXlsx(path);
  if (!sheets.ok()) return sheets.status();
  const std::string book = std::filesystem::path(path).filename().string();
  std::map<std::string, const XlsxSheet*> by_name;
  for (const XlsxSheet& sheet : *sheets) {
    by_name[absl::AsciiStrToLower(sheet.name)] = &sheet;
  }
  std::map<std::string, std::string> csv;  // by file name
  for (const char* table : kTables) {
    const auto sheet = by_name.find(table);
    if (sheet == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          book, ": no sheet '", table, "' (a roster workbook has the sheets ",
          absl::StrJoin(kTables, ", "), ", each with the header row of its CSV file)"));
    }
    absl::StatusOr<std::string> text =
        SheetAsCsv(absl::StrCat(book, " sheet ", table), *sheet->second);
    if (!text.ok()) return text.status();
    csv[absl::StrCat(table, ".csv")] = *std::move(text);
  }
  RosterTables tables;
  tables.read = [&csv](absl::string_view file_name) -> absl::StatusOr<std::string> {
    return csv.at(std::string(file_name));
  };
  tables.name = [&book](absl::string_view file_name) {
    return absl::StrCat(book, " sheet ", file_name.substr(0, file_name.size() - 4));
  };
  tables.sheet_rows = true;
  tables.rows = rows;
  return ReadCommunityTables(tables);
}

}  // namespace swabwave::engine
