#include "engine/io/lab_results_csv.h"

#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/io/csv.h"
#include "engine/model/names.h"

namespace swabwave::engine {
namespace {

constexpr size_t kMaxListedErrors = 50;
constexpr std::array<absl::string_view, 4> kColumns = {"tube_barcode", "result", "ct", "run_id"};
constexpr std::array<absl::string_view, 1> kOptional = {"correction_reason"};

std::optional<lab::TubeResult> ParseResult(absl::string_view text) {
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (word == "negative") return lab::TubeResult::kNegative;
  if (word == "positive") return lab::TubeResult::kPositive;
  if (word == "invalid") return lab::TubeResult::kInvalid;
  return std::nullopt;
}

// The row, or the error naming its column.
absl::StatusOr<LabResultRow> ParseRow(const CsvReader& reader,
                                      const std::vector<std::string>& fields) {
  LabResultRow row;
  row.line = reader.record_line();
  row.tube_barcode = std::string(absl::StripAsciiWhitespace(fields[0]));
  if (!IsValidCode(row.tube_barcode)) {
    return reader.ColumnError(0, "not a tube barcode (4-64 printable characters, no spaces)");
  }
  std::optional<lab::TubeResult> result = ParseResult(fields[1]);
  if (!result.has_value()) return reader.ColumnError(1, "use negative, positive or invalid");
  row.result = *result;
  const std::string ct = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields[2]));
  if (!ct.empty() && ct != "undetermined" && ct != "n/a") {
    double value;
    if (!absl::SimpleAtod(ct, &value)) {
      return reader.ColumnError(2, "not a number (leave it empty for no Ct)");
    }
    row.ct = value;
  }
  row.run_id = std::string(absl::StripAsciiWhitespace(fields[3]));
  if (fields.size() > 4) row.correction_reason = std::string(absl::StripAsciiWhitespace(fields[4]));
  lab::Report report;
  report.result = row.result;
  report.ct = row.ct;
  report.run_id = row.run_id;
  report.correction_reason = row.correction_reason;
  if (absl::Status s = lab::ValidateReport(report); !s.ok()) return reader.RowError(s.message());
  return row;
}

}  // namespace

absl::StatusOr<std::vector<LabResultRow>> ReadLabResultsCsv(const std::string& file_name,
                                                            absl::string_view text) {
  CsvReader reader(file_name, text);
  if (absl::Status s = reader.ReadHeader(kColumns, kOptional); !s.ok()) return s;
  std::vector<LabResultRow> rows;
  std::vector<std::string> errors;
  size_t more_errors = 0;
  absl::flat_hash_map<std::string, int64_t> first_line;  // tube -> line
  std::vector<std::string> fields;
  auto fail = [&](const absl::Status& status) {
    if (errors.size() < kMaxListedErrors) {
      errors.emplace_back(status.message());
    } else {
      ++more_errors;
    }
  };
  while (true) {
    absl::StatusOr<bool> more = reader.Next(fields);
    if (!more.ok()) {
      fail(more.status());  // malformed CSV: the reader stops here
      break;
    }
    if (!*more) break;
    absl::StatusOr<LabResultRow> row = ParseRow(reader, fields);
    if (!row.ok()) {
      fail(row.status());
      continue;
    }
    auto [at, added] = first_line.emplace(row->tube_barcode, row->line);
    if (!added) {
      fail(reader.RowError(absl::StrCat("tube ", row->tube_barcode, " is listed on line ",
                                        at->second, " already; one result per tube")));
      continue;
    }
    rows.push_back(*std::move(row));
  }
  if (!errors.empty()) {
    std::string message = absl::StrCat(errors.size() + more_errors, " bad line",
                                       errors.size() + more_errors == 1 ? "" : "s",
                                       "; nothing was sent:\n  ", absl::StrJoin(errors, "\n  "));
    if (more_errors > 0) absl::StrAppend(&message, "\n  ... and ", more_errors, " more");
    return absl::InvalidArgumentError(message);
  }
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": no results after the header"));
  }
  return rows;
}

}  // namespace swabwave::engine
