// Table: a CLI table whose columns fit what is in them, so a long label
// (a site named "Site 2, by Chunhui Estate", or one in Chinese) does not
// push the columns after it out of line. Rows are kept until Print.
//
// Example:
//   Table table({{"key"}, {"label"}, {"due", Table::kRight}});
//   table.AddRow({"sites/s01", "Site 1", "1788"});
//   table.Print(stdout);
//
// Thread-safety: a plain value; one thread at a time.
#ifndef SWABWAVE_SERVICES_SWABWAVE_TABLE_H_
#define SWABWAVE_SERVICES_SWABWAVE_TABLE_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace swabwave::services::cli {

// Columns a terminal gives `text` (UTF-8): East Asian wide characters
// take two, combining marks none, everything else one.
size_t DisplayWidth(absl::string_view text);

class Table {
 public:
  enum Align { kLeft, kRight };
  struct Column {
    std::string heading;
    Align align = kLeft;
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // REQUIRES: one cell per column.
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  size_t rows() const { return rows_.size(); }

  // The heading and every row, columns two spaces apart, with `indent`
  // before each line; trailing spaces trimmed.
  void Print(std::FILE* out, absl::string_view indent = "") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace swabwave::services::cli

#endif  // SWABWAVE_SERVICES_SWABWAVE_TABLE_H_
