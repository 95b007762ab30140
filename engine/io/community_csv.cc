#include "engine/io/community_csv.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/io/csv.h"
#include "engine/model/ids.h"
#include "engine/model/local_time.h"
#include "engine/model/names.h"

namespace swabwave::engine {

namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kCommunityColumns[] = {"community_id", "name", "utc_offset_minutes"};
// Optional: files written before zones have three columns.
constexpr absl::string_view kCommunityZoneColumn[] = {"time_zone"};
constexpr absl::string_view kCompoundColumns[] = {"compound_id", "name", "kind"};
constexpr absl::string_view kBuildingColumns[] = {"building_id", "compound_id", "name", "x_m",
                                                  "y_m"};
constexpr absl::string_view kUnitColumns[] = {"unit_id", "building_id", "name"};
constexpr absl::string_view kHouseholdColumns[] = {"household_id", "unit_id"};
constexpr absl::string_view kResidentColumns[] = {"code", "household_id", "flags"};
constexpr absl::string_view kSiteColumns[] = {"site_id", "name",  "x_m",   "y_m",
                                              "desks",   "opens", "closes"};
constexpr absl::string_view kStaffColumns[] = {"staff_id", "roles", "home_site_id"};

constexpr char kCompoundsFile[] = "compounds.csv";
constexpr char kBuildingsFile[] = "buildings.csv";
constexpr char kUnitsFile[] = "units.csv";
constexpr char kHouseholdsFile[] = "households.csv";
constexpr char kResidentsFile[] = "residents.csv";
constexpr char kSitesFile[] = "sites.csv";
constexpr char kStaffFile[] = "staff.csv";

// CodeArena addresses its bytes with 32-bit offsets.
constexpr uint64_t kMaxCodeBytes = std::numeric_limits<uint32_t>::max();

absl::string_view KindName(CompoundKind kind) {
  switch (kind) {
    case CompoundKind::kResidential:
      return "residential";
    case CompoundKind::kOffice:
      return "office";
    case CompoundKind::kSchool:
      return "school";
  }
  return "residential";
}

std::optional<CompoundKind> ParseKind(absl::string_view text) {
  if (text == "residential") return CompoundKind::kResidential;
  if (text == "office") return CompoundKind::kOffice;
  if (text == "school") return CompoundKind::kSchool;
  return std::nullopt;
}

absl::string_view ExemptionFlag(ExemptionReason reason) {
  switch (reason) {
    case ExemptionReason::kNone:
      return "";
    case ExemptionReason::kInfant:
      return "exempt:infant";
    case ExemptionReason::kMedical:
      return "exempt:medical";
    case ExemptionReason::kAway:
      return "exempt:away";
    case ExemptionReason::kOther:
      return "exempt:other";
  }
  return "";
}

constexpr struct {
  absl::string_view name;
  StaffRole role;
} kRoleNames[] = {
    {"sampler", kRoleSampler},
    {"scanner", kRoleScanner},
    {"marshal", kRoleMarshal},
};

// Reads one CSV file of a community directory row by row; `on_row` gets the
// reader (for error messages) and the row's fields, one per header column.
template <typename OnRow>
absl::Status ForEachRow(const RosterTables& tables, absl::string_view file_name,
                        absl::Span<const absl::string_view> columns, OnRow&& on_row,
                        absl::Span<const absl::string_view> optional_columns = {}) {
  absl::StatusOr<std::string> text = tables.read(file_name);
  if (!text.ok()) return text.status();
  CsvReader reader = tables.sheet_rows
                         ? CsvReader(tables.name(file_name), *text, CsvReader::SheetRows{})
                         : CsvReader(tables.name(file_name), *text);
  if (absl::Status s = reader.ReadHeader(columns, optional_columns); !s.ok()) return s;
  std::vector<std::string> row;
  uint64_t rows = 0;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(row);
    if (!more.ok()) return more.status();
    if (!*more) break;
    // Dense ids are 32-bit and kNoId is reserved.
    if (++rows >= kNoId) {
      return absl::ResourceExhaustedError(
          absl::StrCat(reader.Where(), "too many rows for one community"));
    }
    if (absl::Status s = on_row(reader, row); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Parses column `column` as an int; the error names the column.
absl::StatusOr<int> IntColumn(const CsvReader& reader, const std::vector<std::string>& row,
                              size_t column, absl::string_view what) {
  const std::optional<int64_t> value = ParseCsvInteger(row[column]);
  if (!value.has_value()) {
    return reader.ColumnError(column, absl::StrCat(QuoteForMessage(row[column]), " is not ", what));
  }
  if (*value < std::numeric_limits<int>::min() || *value > std::numeric_limits<int>::max()) {
    return reader.ColumnError(column,
                              absl::StrCat(QuoteForMessage(row[column]), " is out of range"));
  }
  return static_cast<int>(*value);
}

absl::StatusOr<double> NumberColumn(const CsvReader& reader, const std::vector<std::string>& row,
                                    size_t column) {
  const std::optional<double> value = ParseCsvNumber(row[column]);
  if (!value.has_value()) {
    return reader.ColumnError(column,
                              absl::StrCat(QuoteForMessage(row[column]), " is not a number"));
  }
  return *value;
}

absl::StatusOr<int> ClockColumn(const CsvReader& reader, const std::vector<std::string>& row,
                                size_t column) {
  const std::optional<int> minutes = ParseClockMinutes(row[column]);
  if (!minutes.has_value()) {
    return reader.ColumnError(column, absl::StrCat(QuoteForMessage(row[column]),
                                                   " is not a local time; write HH:MM, e.g. 07:00 "
                                                   "(25:30 for 01:30 past midnight)"));
  }
  return *minutes;
}

struct ResidentFlags {
  bool mobility_limited = false;
  ExemptionReason exemption = ExemptionReason::kNone;
};

absl::StatusOr<ResidentFlags> FlagsColumn(const CsvReader& reader,
                                          const std::vector<std::string>& row, size_t column) {
  ResidentFlags flags;
  for (absl::string_view token : SplitListField(row[column])) {
    ExemptionReason reason = ExemptionReason::kNone;
    if (token == "mobility_limited") {
      flags.mobility_limited = true;
      continue;
    } else if (token == "exempt:infant") {
      reason = ExemptionReason::kInfant;
    } else if (token == "exempt:medical") {
      reason = ExemptionReason::kMedical;
    } else if (token == "exempt:away") {
      reason = ExemptionReason::kAway;
    } else if (token == "exempt:other") {
      reason = ExemptionReason::kOther;
    } else {
      return reader.ColumnError(column,
                                absl::StrCat(QuoteForMessage(token),
                                             " is not a flag; use mobility_limited, "
                                             "exempt:infant, exempt:medical, exempt:away or "
                                             "exempt:other, separated by |"));
    }
    if (flags.exemption != ExemptionReason::kNone && flags.exemption != reason) {
      return reader.ColumnError(column, absl::StrCat("'", ExemptionFlag(flags.exemption), "' and '",
                                                     ExemptionFlag(reason),
                                                     "' both given; a resident has at most one "
                                                     "exemption reason"));
    }
    flags.exemption = reason;
  }
  return flags;
}

absl::StatusOr<uint8_t> RolesColumn(const CsvReader& reader, const std::vector<std::string>& row,
                                    size_t column) {
  uint8_t roles = 0;
  for (absl::string_view token : SplitListField(row[column])) {
    uint8_t role = 0;
    for (const auto& known : kRoleNames) {
      if (token == known.name) role = known.role;
    }
    if (role == 0) {
      return reader.ColumnError(column, absl::StrCat(QuoteForMessage(token),
                                                     " is not a role; use sampler, scanner or "
                                                     "marshal, separated by |"));
    }
    roles |= role;
  }
  if (roles == 0) {
    return reader.ColumnError(column,
                              "a staff member needs at least one role (sampler, scanner, marshal)");
  }
  return roles;
}

struct CommunityHeader {
  std::string id;
  std::string name;
  int utc_offset_minutes = 0;
  std::string time_zone;  // empty: the fixed offset
  int64_t line = 0;
};

// "community.csv:2: " or "book.xlsx sheet community, row 2: ".
std::string RowOf(const RosterTables& tables, absl::string_view file_name, int64_t line) {
  return tables.sheet_rows ? absl::StrCat(tables.name(file_name), ", row ", line, ": ")
                           : absl::StrCat(tables.name(file_name), ":", line, ": ");
}

absl::StatusOr<CommunityHeader> ReadCommunityFile(const RosterTables& tables) {
  CommunityHeader header;
  bool seen = false;
  absl::Status status = ForEachRow(
      tables, kCommunityFileName, kCommunityColumns,
      [&](const CsvReader& reader, std::vector<std::string>& row) {
        if (seen) {
          return reader.RowError(
              "a community directory holds one community; found a second "
              "row (put each community in its own directory)");
        }
        seen = true;
        if (absl::Status s = CheckId("community_id", row[0]); !s.ok()) {
          return reader.Annotate(s);
        }
        absl::StatusOr<int> offset = IntColumn(reader, row, 2, "a whole number of minutes");
        if (!offset.ok()) return offset.status();
        std::string zone = row.size() > 3 ? std::move(row[3]) : std::string();
        if (!zone.empty()) {
          if (absl::StatusOr<absl::TimeZone> z = LoadNamedZone(zone); !z.ok()) {
            return reader.ColumnError(3, z.status().message());
          }
        }
        header = CommunityHeader{std::move(row[0]), std::move(row[1]), *offset, std::move(zone),
                                 reader.record_line()};
        return absl::OkStatus();
      },
      kCommunityZoneColumn);
  if (!status.ok()) return status;
  if (!seen) {
    return absl::InvalidArgumentError(
        absl::StrCat(RowOf(tables, kCommunityFileName, 2),
                     "no community row; expected one row after the header"));
  }
  return header;
}

// Reads the other seven files into `builder`.
absl::Status ReadEntities(const RosterTables& tables, CommunityBuilder& builder) {
  absl::Status s = ForEachRow(
      tables, kCompoundsFile, kCompoundColumns,
      [&](const CsvReader& reader, std::vector<std::string>& row) {
        const std::optional<CompoundKind> kind = ParseKind(row[2]);
        if (!kind.has_value()) {
          return reader.ColumnError(2, absl::StrCat(QuoteForMessage(row[2]),
                                                    " is not a kind; use residential, office or "
                                                    "school"));
        }
        return reader.Annotate(builder.AddCompound(std::move(row[0]), std::move(row[1]), *kind));
      });
  if (!s.ok()) return s;

  s = ForEachRow(tables, kBuildingsFile, kBuildingColumns,
                 [&](const CsvReader& reader, std::vector<std::string>& row) {
                   absl::StatusOr<double> x = NumberColumn(reader, row, 3);
                   if (!x.ok()) return x.status();
                   absl::StatusOr<double> y = NumberColumn(reader, row, 4);
                   if (!y.ok()) return y.status();
                   return reader.Annotate(
                       builder.AddBuilding(std::move(row[0]), row[1], std::move(row[2]), {*x, *y}));
                 });
  if (!s.ok()) return s;

  s = ForEachRow(
      tables, kUnitsFile, kUnitColumns, [&](const CsvReader& reader, std::vector<std::string>& row) {
        return reader.Annotate(builder.AddUnit(std::move(row[0]), row[1], std::move(row[2])));
      });
  if (!s.ok()) return s;

  s = ForEachRow(tables, kHouseholdsFile, kHouseholdColumns,
                 [&](const CsvReader& reader, std::vector<std::string>& row) {
                   return reader.Annotate(builder.AddHousehold(std::move(row[0]), row[1]));
                 });
  if (!s.ok()) return s;

  uint64_t code_bytes = 0;
  s = ForEachRow(
      tables, kResidentsFile, kResidentColumns,
      [&](const CsvReader& reader, std::vector<std::string>& row) {
        absl::StatusOr<ResidentFlags> flags = FlagsColumn(reader, row, 2);
        if (!flags.ok()) return flags.status();
        code_bytes += row[0].size();
        if (tables.rows != nullptr) tables.rows->resident_lines.push_back(reader.record_line());
        if (code_bytes > kMaxCodeBytes) {
          return reader.RowError("resident codes exceed 4 GiB in one community; split it");
        }
        return reader.Annotate(
            builder.AddResident(row[0], row[1], flags->mobility_limited, flags->exemption));
      });
  if (!s.ok()) return s;
  if (builder.resident_count() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kResidentsFile, ":2: no residents; a community needs at least one"));
  }

  size_t sites = 0;
  s = ForEachRow(tables, kSitesFile, kSiteColumns,
                 [&](const CsvReader& reader, std::vector<std::string>& row) {
                   absl::StatusOr<double> x = NumberColumn(reader, row, 2);
                   if (!x.ok()) return x.status();
                   absl::StatusOr<double> y = NumberColumn(reader, row, 3);
                   if (!y.ok()) return y.status();
                   absl::StatusOr<int> desks = IntColumn(reader, row, 4, "a whole number of desks");
                   if (!desks.ok()) return desks.status();
                   absl::StatusOr<int> opens = ClockColumn(reader, row, 5);
                   if (!opens.ok()) return opens.status();
                   absl::StatusOr<int> closes = ClockColumn(reader, row, 6);
                   if (!closes.ok()) return closes.status();
                   // CommunityBuilder checks the same rules; checking here first lets
                   // the message name the column.
                   if (*opens >= kMinutesPerDay) {
                     return reader.ColumnError(
                         5, absl::StrCat(QuoteForMessage(row[5]), " must be before 24:00"));
                   }
                   if (*closes <= *opens || *closes > *opens + kMinutesPerDay) {
                     return reader.ColumnError(
                         6, absl::StrCat(QuoteForMessage(row[6]), " must be after opens ",
                                         QuoteForMessage(row[5]),
                                         " and at most 24 hours later (write a time past "
                                         "midnight as e.g. 25:30)"));
                   }
                   ++sites;
                   Site site;
                   site.id = std::move(row[0]);
                   site.name = std::move(row[1]);
                   site.location = {*x, *y};
                   site.desks = *desks;
                   site.opens_at_minute = *opens;
                   site.closes_at_minute = *closes;
                   return reader.Annotate(builder.AddSite(std::move(site)));
                 });
  if (!s.ok()) return s;
  if (sites == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kSitesFile, ":2: no sampling sites; a community needs at least one"));
  }

  return ForEachRow(tables, kStaffFile, kStaffColumns,
                    [&](const CsvReader& reader, std::vector<std::string>& row) {
                      absl::StatusOr<uint8_t> roles = RolesColumn(reader, row, 1);
                      if (!roles.ok()) return roles.status();
                      return reader.Annotate(builder.AddStaff(std::move(row[0]), *roles, row[2]));
                    });
}

}  // namespace

std::string RosterRows::Where(ResidentId resident) const {
  const int64_t line = resident < resident_lines.size() ? resident_lines[resident] : 0;
  return sheet_rows ? absl::StrCat(residents_table, ", row ", line)
                    : absl::StrCat(residents_table, ":", line);
}

absl::StatusOr<Community> ReadCommunityTables(const RosterTables& tables) {
  if (tables.rows != nullptr) {
    *tables.rows = RosterRows{tables.name(kResidentsFile), tables.sheet_rows, {}};
  }
  absl::StatusOr<CommunityHeader> header = ReadCommunityFile(tables);
  if (!header.ok()) return header.status();
  // CommunityBuilder neither moves nor copies (it points into itself).
  auto builder =
      std::make_unique<CommunityBuilder>(header->id, header->name, header->utc_offset_minutes);
  if (absl::Status s = builder->SetTimeZone(header->time_zone); !s.ok()) return s;
  if (absl::Status s = ReadEntities(tables, *builder); !s.ok()) return s;
  absl::StatusOr<Community> community = std::move(*builder).Finish();
  if (!community.ok()) {
    // ReadEntities has ruled out the other reasons (no residents, no
    // sites), so what is left is about community.csv's row.
    return absl::Status(community.status().code(),
                        absl::StrCat(RowOf(tables, kCommunityFileName, header->line),
                                     community.status().message()));
  }
  return community;
}

absl::StatusOr<Community> ReadCommunityDir(const fs::path& dir, RosterRows* rows) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir.string(),
                                            ": not a directory (expected a community directory "
                                            "holding community.csv and the other files)"));
  }
  RosterTables tables;
  tables.read = [&dir](absl::string_view file_name) {
    return ReadFileToString(dir / std::string(file_name));
  };
  tables.name = [](absl::string_view file_name) { return std::string(file_name); };
  tables.rows = rows;
  return ReadCommunityTables(tables);
}

absl::Status WriteCommunityDir(const Community& community, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return absl::ErrnoToStatus(ec.value(), absl::StrCat(dir.string(), ": cannot create directory"));
  }

  {
    CsvWriter w;
    w.WriteRow({kCommunityColumns[0], kCommunityColumns[1], kCommunityColumns[2],
                kCommunityZoneColumn[0]});
    const std::string offset = absl::StrCat(community.utc_offset_minutes);
    w.WriteRow({community.id, community.name, offset, community.time_zone});
    absl::Status s = WriteFileAtomically(dir / kCommunityFileName, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kCompoundColumns);
    for (const Compound& c : community.compounds) {
      w.WriteRow({c.id, c.name, KindName(c.kind)});
    }
    absl::Status s = WriteFileAtomically(dir / kCompoundsFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kBuildingColumns);
    for (const Building& b : community.buildings) {
      const std::string x = FormatCsvNumber(b.location.x_m);
      const std::string y = FormatCsvNumber(b.location.y_m);
      w.WriteRow({b.id, community.compounds[b.compound].id, b.name, x, y});
    }
    absl::Status s = WriteFileAtomically(dir / kBuildingsFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kUnitColumns);
    for (const Unit& u : community.units) {
      w.WriteRow({u.id, community.buildings[u.building].id, u.name});
    }
    absl::Status s = WriteFileAtomically(dir / kUnitsFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kHouseholdColumns);
    for (const Household& h : community.households) {
      w.WriteRow({h.id, community.units[h.unit].id});
    }
    absl::Status s = WriteFileAtomically(dir / kHouseholdsFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kResidentColumns);
    std::string flags;
    for (ResidentId r = 0; r < community.residents.size(); ++r) {
      const Resident& resident = community.residents[r];
      flags.clear();
      if (resident.mobility_limited) flags = "mobility_limited";
      if (resident.exemption != ExemptionReason::kNone) {
        if (!flags.empty()) flags.push_back('|');
        absl::StrAppend(&flags, ExemptionFlag(resident.exemption));
      }
      w.WriteRow({community.resident_code(r), community.households[resident.household].id, flags});
    }
    absl::Status s = WriteFileAtomically(dir / kResidentsFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kSiteColumns);
    for (const Site& site : community.sites) {
      const std::string x = FormatCsvNumber(site.location.x_m);
      const std::string y = FormatCsvNumber(site.location.y_m);
      const std::string desks = absl::StrCat(site.desks);
      const std::string opens = FormatClockMinutes(site.opens_at_minute);
      const std::string closes = FormatClockMinutes(site.closes_at_minute);
      w.WriteRow({site.id, site.name, x, y, desks, opens, closes});
    }
    absl::Status s = WriteFileAtomically(dir / kSitesFile, w.text());
    if (!s.ok()) return s;
  }
  {
    CsvWriter w;
    w.WriteRow(kStaffColumns);
    std::string roles;
    for (const StaffMember& member : community.staff) {
      roles.clear();
      for (const auto& known : kRoleNames) {
        if ((member.roles & known.role) == 0) continue;
        if (!roles.empty()) roles.push_back('|');
        absl::StrAppend(&roles, known.name);
      }
      const absl::string_view home =
          member.home_site == kNoId ? absl::string_view() : community.sites[member.home_site].id;
      w.WriteRow({member.id, roles, home});
    }
    absl::Status s = WriteFileAtomically(dir / kStaffFile, w.text());
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<fs::path>> FindCommunityDirs(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat(root.string(), ": not a directory"));
  }
  if (fs::is_regular_file(root / kCommunityFileName, ec)) {
    return std::vector<fs::path>{root};
  }
  std::vector<fs::path> dirs;
  fs::directory_iterator it(root, ec);
  if (ec) {
    return absl::ErrnoToStatus(ec.value(), absl::StrCat(root.string(), ": cannot list directory"));
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code entry_ec;
    const fs::path& path = it->path();
    if (fs::is_directory(path, entry_ec) &&
        fs::is_regular_file(path / kCommunityFileName, entry_ec)) {
      dirs.push_back(path);
    }
  }
  if (ec) {
    return absl::ErrnoToStatus(ec.value(), absl::StrCat(root.string(), ": cannot list directory"));
  }
  if (dirs.empty()) {
    return absl::NotFoundError(absl::StrCat(root.string(), ": no ", kCommunityFileName,
                                            " here or in its immediate subdirectories"));
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

}  // namespace swabwave::engine
