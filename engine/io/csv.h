// A small CSV reader and writer: the subset of RFC 4180 that spreadsheets
// and the command center's import files use.
//
// Reading: comma separator; fields optionally enclosed in double quotes, a
// quote inside a quoted field written as two quotes; records end at CRLF or
// LF (also inside a quoted field, where the line break is part of the
// value); a UTF-8 byte-order mark at the very start is skipped; empty lines
// are skipped (a record with one empty field must be written as `""`). Every
// record carries the 1-based physical line it starts on, so an importer can
// say "buildings.csv:17: ...". Malformed input (a stray quote, an unclosed
// quote, a bare carriage return) is an INVALID_ARGUMENT naming the file,
// line and column; the reader never throws and never echoes field contents
// in its own messages (a field may hold a resident code, which identifies a
// person).
//
// Writing: fields are quoted only when they must be (they hold a comma, a
// quote, CR or LF, or are the only, empty field of a record); lines end in
// LF.
//
// Callers: engine/io/community_csv.cc and the other importers in engine/io/.
//
// Example:
//   CsvReader reader("sites.csv", text);
//   RETURN_IF_ERROR(reader.ReadHeader({"site_id", "name"}));
//   std::vector<std::string> row;
//   while (true) {
//     absl::StatusOr<bool> more = reader.Next(row);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     ... row[0], row[1]; errors via reader.RowError("column name", ...) ...
//   }
//
// Thread-safety: a CsvReader or CsvWriter is used by one thread at a time;
// the free functions are pure.
#ifndef SWABWAVE_ENGINE_IO_CSV_H_
#define SWABWAVE_ENGINE_IO_CSV_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace swabwave::engine {

class CsvReader {
 public:
  // `file_name` prefixes every error message ("sites.csv:3: ..."). `text` is
  // the whole file and must outlive the reader.
  CsvReader(std::string file_name, absl::string_view text);
  // A spreadsheet's sheet as CSV, one record per sheet row: messages read
  // "book.xlsx sheet sites, row 3: column C (x_m): ..." (`where` is
  // "book.xlsx sheet sites").
  struct SheetRows {};
  CsvReader(std::string where, absl::string_view text, SheetRows);

  // Reads the first record and checks that it is exactly `expected`, in
  // order. Afterwards every record Next() returns has exactly that many
  // fields, and errors name columns by these names.
  // REQUIRES: called before the first Next(), at most once.
  // Returns INVALID_ARGUMENT "file:1: ..." for an empty file or a wrong,
  // missing or extra column. The message quotes a found column name only
  // when it looks like a misspelt header name, never a data value.
  // `optional`: columns that may follow `expected`, in order (a file
  // written before they existed has fewer); each record then has as many
  // fields as the header had.
  [[nodiscard]] absl::Status ReadHeader(absl::Span<const absl::string_view> expected,
                                        absl::Span<const absl::string_view> optional = {});

  // Reads the next record into `fields` (reusing its strings' storage).
  // Returns true when a record was read, false at the end of the input, or
  // INVALID_ARGUMENT "file:line: ..." for malformed CSV or (after
  // ReadHeader) a record with the wrong number of fields. After an error the
  // reader stays at the error: calling Next() again returns false.
  [[nodiscard]] absl::StatusOr<bool> Next(std::vector<std::string>& fields);

  // The 1-based line on which the record last returned by Next() (or the
  // header) starts; 0 before any record.
  int64_t record_line() const { return record_line_; }

  // The 1-based line just after the last record read: where a missing
  // record would have been.
  int64_t next_line() const { return line_; }

  const std::string& file_name() const { return file_name_; }

  // "file:line: " for the current record.
  std::string Where() const;

  // INVALID_ARGUMENT "file:line: column <name>: <message>" for the current
  // record. `column` is an index into the header passed to ReadHeader.
  [[nodiscard]] absl::Status ColumnError(size_t column, absl::string_view message) const;

  // INVALID_ARGUMENT "file:line: <message>" for the current record.
  [[nodiscard]] absl::Status RowError(absl::string_view message) const;

  // `status` with "file:line: " put in front of its message (same code);
  // OK stays OK.
  [[nodiscard]] absl::Status Annotate(const absl::Status& status) const;

 private:
  // What follows a field at pos_: a comma (another field follows), a line
  // end or the end of the text (the record ends; both are consumed), or
  // anything else (kNeither, pos_ left at it). The one place a field ends.
  enum class FieldEnd { kAnotherField, kEndOfRecord, kNeither };
  FieldEnd EndField();

  std::string ColumnName(size_t column) const;
  absl::Status Error(int64_t line, absl::string_view message) const;

  std::string file_name_;
  bool sheet_rows_ = false;  // rows and lettered columns, not lines
  absl::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  bool failed_ = false;
  std::vector<std::string> header_;
};

// Appends `field` to `out`, quoted only if it must be (see the file comment;
// `only_field` says the field is alone in its record, where empty needs
// quotes).
void AppendCsvField(absl::string_view field, bool only_field, std::string& out);

// Appends one record (fields joined by commas, LF at the end) to `out`.
void AppendCsvRow(absl::Span<const absl::string_view> fields, std::string& out);

// Builds a CSV file in memory, row by row.
//
// Example:
//   CsvWriter w;
//   w.WriteRow({"site_id", "name"});
//   w.WriteRow({"s01", "Site 1, north gate"});  // written as "Site 1, ..."
//   RETURN_IF_ERROR(WriteFileAtomically(path, w.text()));
class CsvWriter {
 public:
  void WriteRow(absl::Span<const absl::string_view> fields) { AppendCsvRow(fields, text_); }
  const std::string& text() const { return text_; }
  std::string Release() && { return std::move(text_); }

 private:
  std::string text_;
};

// Field helpers shared by the importers. Parsers are strict (no blanks, no
// trailing text) and return nullopt on anything else, so the caller can say
// which column was wrong.

// A whole number: optional sign, decimal digits, within int64.
std::optional<int64_t> ParseCsvInteger(absl::string_view field);

// A finite decimal number ("12", "-3.25", "1e3"); not "inf" or "nan".
std::optional<double> ParseCsvNumber(absl::string_view field);

// The shortest text that ParseCsvNumber reads back as exactly `value`.
std::string FormatCsvNumber(double value);

// Local clock time "HH:MM" (or "H:MM") as minutes after midnight. Hours may
// run to 47 so a closing time past midnight can be written "25:30".
std::optional<int> ParseClockMinutes(absl::string_view field);

// Minutes after midnight as "HH:MM" (hours past 23 kept, e.g. "25:30").
// REQUIRES: minutes >= 0.
std::string FormatClockMinutes(int minutes);

// The items of a list field such as "sampler|marshal", each with blanks
// around it removed; an empty (or all-blank) field is an empty list. An
// empty item ("a||b") comes back as an empty string_view for the caller to
// reject. The views point into `field`.
std::vector<absl::string_view> SplitListField(absl::string_view field, char separator = '|');

// `value` for an error message: at most 40 characters, non-printable bytes
// escaped, in single quotes. Never pass a resident code.
std::string QuoteForMessage(absl::string_view value);

// Reads a whole file into memory. NOT_FOUND when it does not exist, another
// code from errno when it cannot be read; the message names `path`.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(const std::filesystem::path& path);

// Writes `contents` to `path` through a temporary file in the same
// directory and a rename, so a reader sees the old file or the new one,
// never half of it. Does not fsync (exports, not acknowledged check-ins).
// The file is its owner's only (0600) whatever the umask: rosters, lists
// and traces hold resident codes and addresses.
[[nodiscard]] absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                               absl::string_view contents);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_CSV_H_
