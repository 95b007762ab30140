// A community's roster as an Excel workbook (issue 18: "communities keep
// their rosters in Excel"): one sheet per table of the CSV directory
// (engine/io/community_csv.h), named like its file without ".csv"
// (community, compounds, buildings, units, households, residents, sites,
// staff), each with the same header row. The rows go through the same
// reading as the CSV files, so the same checks apply; errors name the
// sheet, row and column ("book.xlsx sheet residents, row 5: column A
// (code): ...").
//
// What Excel does to a roster, refused or undone:
//   - merged cells: refused, naming the range (each cell holds its own value);
//   - a date or time in an id or code column (Excel turns "3-12" into a
//     date): refused, asking for the column to be formatted as Text;
//   - a time in sites' opens/closes (Excel turns "07:00" into a time):
//     read back as HH:MM, past midnight too ("25:30");
//   - a date anywhere else: refused.
//
// Thread-safety: a pure function.
#ifndef SWABWAVE_ENGINE_IO_COMMUNITY_XLSX_H_
#define SWABWAVE_ENGINE_IO_COMMUNITY_XLSX_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/io/community_csv.h"
#include "engine/model/community.h"

namespace swabwave::engine {

// NOT_FOUND when the file cannot be opened; INVALID_ARGUMENT naming the
// sheet, row and column otherwise.
// `rows`, if not null, learns each resident's row (community_csv.h).
[[nodiscard]] absl::StatusOr<Community> ReadCommunityXlsx(const std::string& path,
                                                          RosterRows* rows = nullptr);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_COMMUNITY_XLSX_H_
