// The CSV a PCR instrument exports, read for `swabwave lab import`
// (issue 17): one result per tube.
//
//   tube_barcode,result,ct,run_id[,correction_reason]
//   TB-000017,Negative,,RUN-2026-12-05-A
//   TB-000018,Positive,31.4,RUN-2026-12-05-A
//
// `result` is negative, positive or invalid (any case); `ct` is a number
// from 0 to 60, or empty, "undetermined" or "n/a" for none. A BOM, CRLF
// line ends and quoted fields read as the engine's CSV reader reads them.
//
// Every bad line is named with its line number, all of them in one error
// (the first 50, then how many more), so a lab fixes its file in one go;
// a tube listed twice is a bad line.
//
// Thread-safety: pure functions.
#ifndef SWABWAVE_ENGINE_IO_LAB_RESULTS_CSV_H_
#define SWABWAVE_ENGINE_IO_LAB_RESULTS_CSV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/lab/result_book.h"

namespace swabwave::engine {

struct LabResultRow {
  int64_t line = 0;
  std::string tube_barcode;
  lab::TubeResult result = lab::TubeResult::kNegative;
  std::optional<double> ct;
  std::string run_id;
  std::string correction_reason;
};

// INVALID_ARGUMENT naming every bad line ("results.csv:7: column result:
// ..."), or the rows in file order.
[[nodiscard]] absl::StatusOr<std::vector<LabResultRow>> ReadLabResultsCsv(
    const std::string& file_name, absl::string_view text);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_LAB_RESULTS_CSV_H_
