// Reading an Excel workbook (.xlsx: a zip of XML parts), as much as a
// roster needs and no more (issue 18): each sheet's cells as text by row
// and column, shared strings resolved, numbers as Excel stores them, cells
// formatted as dates or times marked, and merged ranges listed. libzip
// opens the archive and expat reads the parts; Debian has no xlsx reader
// for C++.
//
// Not read: formulas (their cached value is), rich text formatting,
// hidden state, comments.
//
// Thread-safety: a pure function.
#ifndef SWABWAVE_ENGINE_IO_XLSX_H_
#define SWABWAVE_ENGINE_IO_XLSX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace swabwave::engine {

struct XlsxCell {
  int row = 0;     // from 1
  int column = 0;  // from 1 (A)
};

struct XlsxSheet {
  std::string name;
  // rows[r][c] is the text of the cell at row r + 1, column c + 1; rows
  // end at their last cell, and missing cells are "".
  std::vector<std::vector<std::string>> rows;
  // Numeric cells formatted as a date or a time (Excel's serial days: a
  // date turns "2-3" into 44960; "07:00" is 0.291666...).
  std::vector<XlsxCell> dated;
  std::vector<std::string> merged;  // ranges such as "A3:B3"
};

// The workbook's sheets in workbook order. NOT_FOUND when `path` cannot be
// opened; INVALID_ARGUMENT naming the path and the part when it is not a
// workbook or a part does not parse.
[[nodiscard]] absl::StatusOr<std::vector<XlsxSheet>> ReadXlsx(const std::string& path);

// "A", "B", ... "Z", "AA" for column 1, 2, ... 27.
std::string XlsxColumnName(int column);

}  // namespace swabwave::engine

#endif  // SWABWAVE_ENGINE_IO_XLSX_H_
