// Import and export of one community as a directory of CSV files, the form
// a command center keeps its roster in and edits in a spreadsheet.
//
// A community directory holds eight files, each with a header row naming
// exactly these columns, in this order:
//
//   community.csv   community_id,name,utc_offset_minutes,time_zone   (one data row)
//   compounds.csv   compound_id,name,kind   (kind: residential|office|school)
//   buildings.csv   building_id,compound_id,name,x_m,y_m   (metres, local plane)
//   units.csv       unit_id,building_id,name
//   households.csv  household_id,unit_id
//   residents.csv   code,household_id,flags
//   sites.csv       site_id,name,x_m,y_m,desks,opens,closes
//   staff.csv       staff_id,roles,home_site_id
//
// community.time_zone is an IANA name ("Asia/Shanghai") and rules local
// times when given; a file without the column (written before zones) or
// with it empty keeps the fixed utc_offset_minutes (engine/model/local_time.h).
// residents.flags is empty or a '|'-separated list of mobility_limited and
// at most one of exempt:infant, exempt:medical, exempt:away, exempt:other.
// sites.opens/closes are local "HH:MM"; closes may pass midnight ("25:30").
// staff.roles is a '|'-separated list of sampler, scanner, marshal;
// staff.home_site_id may be empty. A row names what contains it, so a file
// may only name entities of earlier files (or earlier rows).
//
// Rows go through CommunityBuilder (engine/model/community.h), so the CSV
// import and the gRPC import accept and reject the same things. Every
// error message starts "file.csv:LINE: " (LINE is the 1-based physical line
// the row starts on; the header is line 1) and names the column, e.g.
//   buildings.csv:17: column x_m: 'abc' is not a number
// Messages never contain a resident code (codes identify people).
//
// Callers: the swabwave CLI (import/export/generate), the server's import
// RPC and tests.
//
// Ownership: results are values (ReadCommunityDir's Community owns its
// data); nothing is kept of the arguments.
//
// Thread-safety: the functions share no state; concurrent calls on
// different directories are safe.
#ifndef SWABWAVE_ENGINE_IO_COMMUNITY_CSV_H_
#define SWABWAVE_ENGINE_IO_COMMUNITY_CSV_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/model/community.h"

namespace swabwave::engine {

// The file that marks a directory as a community directory.
inline constexpr char kCommunityFileName[] = "community.csv";

// Reads the community in `dir`. All or nothing: on any error nothing is
// returned. Returns NOT_FOUND when `dir` or one of the eight files is
// missing ("dir/units.csv: file not found"), INVALID_ARGUMENT
// "file.csv:LINE: column NAME: ..." for a malformed or inconsistent row or
// header, RESOURCE_EXHAUSTED when the community is too large to index
// (over 4 GiB of resident codes or 2^32 of anything), and a code from errno
// naming the path when a file exists but cannot be read.
//
// `rows`, if not null, learns where each resident came from (for messages
// about rows, such as a re-import's changes).
struct RosterRows;
[[nodiscard]] absl::StatusOr<Community> ReadCommunityDir(const std::filesystem::path& dir,
                                                         RosterRows* rows = nullptr);

// Where each resident of a read community came from: its line in
// residents.csv, or its row in the workbook's residents sheet.
struct RosterRows {
  std::string residents_table;  // "residents.csv", "book.xlsx sheet residents"
  bool sheet_rows = false;
  std::vector<int64_t> resident_lines;  // by resident id

  // "residents.csv:17" or "book.xlsx sheet residents, row 17".
  std::string Where(ResidentId resident) const;
};

// Where a community's tables come from: a directory's CSV files, or a
// workbook's sheets (engine/io/community_xlsx.h). `read` gives a table's
// CSV text by its file name ("sites.csv"), `name` what errors call it,
// and with `sheet_rows` errors name rows and lettered columns.
struct RosterTables {
  std::function<absl::StatusOr<std::string>(absl::string_view file_name)> read;
  std::function<std::string(absl::string_view file_name)> name;
  bool sheet_rows = false;
  RosterRows* rows = nullptr;  // filled when not null
};
// ReadCommunityDir's reading, from any tables: the same checks and errors.
[[nodiscard]] absl::StatusOr<Community> ReadCommunityTables(const RosterTables& tables);

// Writes `community` into `dir` (created with its parents if missing),
// replacing the eight files if present; other files are left alone. Each
// file is replaced atomically, the directory as a whole is not. The output
// reads back through ReadCommunityDir to an equal community (numbers are
// written in their shortest exact form).
// REQUIRES: `community` was built by CommunityBuilder (or is equally valid).
// Returns the filesystem's error, naming the path, on failure.
[[nodiscard]] absl::Status WriteCommunityDir(const Community& community,
                                             const std::filesystem::path& dir);

// The community directories under `root`: `root` itself when it holds
// community.csv, otherwise those immediate subdirectories of `root` that
// do, sorted by path. Returns NOT_FOUND when `root` is not a directory or
// no community directory is found there, and a code from errno naming
// `root` when it cannot be listed.
[[nodiscard]] absl::StatusOr<std::vector<std::filesystem::path>> FindCommunityDirs(
    const std::filesystem::path& root);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_COMMUNITY_CSV_H_
